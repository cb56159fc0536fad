// PNG encoding through libpng into memory. As in png_decode.c, libpng's errors longjmp into this
// file's setjmp and become a status code and a message; nothing jumps through Swift frames.
// The output depends only on the pixels: no time or text chunks are written, and the zlib level and
// filter choice are fixed, so equal pixels give equal bytes.
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "CImageCodecs.h"

typedef struct {
    unsigned char *data;
    size_t size;
    size_t capacity;
    int out_of_memory;
    char message[200];
} png_sink;

static void on_png_write(png_structp png, png_bytep bytes, size_t count) {
    png_sink *sink = (png_sink *)png_get_io_ptr(png);
    if (count > sink->capacity - sink->size) {
        size_t capacity = sink->capacity ? sink->capacity : 4096;
        while (capacity - sink->size < count) capacity *= 2;
        unsigned char *grown = realloc(sink->data, capacity);
        if (grown == NULL) {
            sink->out_of_memory = 1;
            png_error(png, "out of memory");
        }
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->data + sink->size, bytes, count);
    sink->size += count;
}

static void on_png_flush(png_structp png) { (void)png; }

static void on_png_encode_error(png_structp png, png_const_charp message) {
    png_sink *sink = (png_sink *)png_get_error_ptr(png);
    snprintf(sink->message, sizeof sink->message, "%s", message);
    png_longjmp(png, 1);
}

static void on_png_encode_warning(png_structp png, png_const_charp message) { (void)png; (void)message; }

cic_status cic_encode_png_rgb(const unsigned char *rgb, int width, int height, cic_buffer *out) {
    png_sink sink;
    png_bytep *volatile rows = NULL;  // volatile: read after longjmp

    memset(out, 0, sizeof *out);
    memset(&sink, 0, sizeof sink);
    if (width <= 0 || height <= 0 || (long long)width * (long long)height > CIC_MAX_PIXELS) {
        snprintf(out->message, sizeof out->message, "cannot encode a %dx%d image", width, height);
        return CIC_TOO_LARGE;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, on_png_encode_error, on_png_encode_warning);
    if (png == NULL) {
        snprintf(out->message, sizeof out->message, "out of memory");
        return CIC_NO_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        snprintf(out->message, sizeof out->message, "out of memory");
        return CIC_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        free(sink.data);
        png_destroy_write_struct(&png, &info);
        snprintf(out->message, sizeof out->message, "%s", sink.message);
        return sink.out_of_memory ? CIC_NO_MEMORY : CIC_CORRUPT;
    }
    png_set_write_fn(png, &sink, on_png_write, on_png_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    rows = malloc(sizeof(png_bytep) * (size_t)height);
    if (rows == NULL) {
        sink.out_of_memory = 1;
        png_error(png, "out of memory");
    }
    for (int y = 0; y < height; y++) rows[y] = (png_bytep)(rgb + (size_t)y * (size_t)width * 3);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, info);

    free(rows);
    png_destroy_write_struct(&png, &info);
    out->data = sink.data;
    out->size = sink.size;
    return CIC_OK;
}

void cic_buffer_free(cic_buffer *buffer) {
    free(buffer->data);
    buffer->data = NULL;
    buffer->size = 0;
}
