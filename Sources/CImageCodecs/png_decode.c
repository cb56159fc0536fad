// PNG decoding through libpng. libpng reports errors by longjmp; the jump lands in this file's
// setjmp, never in Swift frames, and becomes a status code and a message.
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "CImageCodecs.h"

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t position;
    int truncated;
    char message[200];
} png_source;

static void on_png_read(png_structp png, png_bytep buffer, size_t count) {
    png_source *source = (png_source *)png_get_io_ptr(png);
    if (count > source->size - source->position) {
        source->truncated = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(buffer, source->data + source->position, count);
    source->position += count;
}

static void on_png_error(png_structp png, png_const_charp message) {
    png_source *source = (png_source *)png_get_error_ptr(png);
    // An error raised from our reader keeps the truncation message it was given.
    snprintf(source->message, sizeof source->message, "%s", message);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp message) { (void)png; (void)message; }

cic_status cic_decode_png(const unsigned char *data, size_t size, cic_image *out) {
    png_source source;
    unsigned char *volatile pixels = NULL;  // volatile: read after longjmp
    png_bytep *volatile rows = NULL;

    memset(out, 0, sizeof *out);
    memset(&source, 0, sizeof source);
    source.data = data;
    source.size = size;

    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, on_png_error, on_png_warning);
    if (png == NULL) {
        snprintf(out->message, sizeof out->message, "out of memory");
        return CIC_NO_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(out->message, sizeof out->message, "out of memory");
        return CIC_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        free(pixels);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        snprintf(out->message, sizeof out->message, "%s", source.message);
        return source.truncated ? CIC_TRUNCATED : CIC_CORRUPT;
    }
    png_set_read_fn(png, &source, on_png_read);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info);
    int color = png_get_color_type(png, info);
    int has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    if ((long long)width * (long long)height > CIC_MAX_PIXELS) {
        png_destroy_read_struct(&png, &info, NULL);
        out->width = (int)width;
        out->height = (int)height;
        snprintf(out->message, sizeof out->message, "%ux%u pixels exceeds the limit of %lld",
                 width, height, CIC_MAX_PIXELS);
        return CIC_TOO_LARGE;
    }

    // Everything becomes 8-bit RGBA. These are Pillow's conversions: palette lookup, gray bits
    // replicated (1-bit → 0/255, 4-bit × 17), tRNS as alpha, and for 16-bit samples the high byte.
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (has_trns) png_set_tRNS_to_alpha(png);
    if (depth == 16) png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER);  // only acts when there is no alpha yet
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t stride = png_get_rowbytes(png, info);
    if (stride != (size_t)width * 4) {
        snprintf(source.message, sizeof source.message, "unexpected row size %zu after conversion", stride);
        png_longjmp(png, 1);
    }
    pixels = malloc(stride * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (pixels == NULL || rows == NULL) {
        free(pixels);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        snprintf(out->message, sizeof out->message, "out of memory");
        return CIC_NO_MEMORY;
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + (size_t)y * stride;
    png_read_image(png, rows);
    // No png_read_end: like Pillow, the image is complete once its pixel data is; chunks after the
    // image data (and a missing IEND) are not checked.

    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    out->pixels = pixels;
    out->width = (int)width;
    out->height = (int)height;
    out->layout = CIC_RGBA;
    out->has_alpha = (color & PNG_COLOR_MASK_ALPHA) != 0 || has_trns;
    return CIC_OK;
}
