// JPEG decoding through libjpeg(-turbo) with a setjmp-based error manager, so that a corrupt or
// truncated file becomes a status code and a message instead of exit() (libjpeg's default) or a grey
// fill (libjpeg's answer to a premature end of data).
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "CImageCodecs.h"

typedef struct {
    struct jpeg_error_mgr base;  // must be first: libjpeg sees a pointer to this
    jmp_buf jump;
    int truncated;
    char message[JMSG_LENGTH_MAX];
} jpeg_error_state;

static void on_jpeg_error(j_common_ptr cinfo) {
    jpeg_error_state *state = (jpeg_error_state *)cinfo->err;
    cinfo->err->format_message(cinfo, state->message);
    longjmp(state->jump, 1);
}

// Warnings (level -1) are ignored, as Pillow ignores them, except a premature end of data: libjpeg
// would invent an EOI marker and fill the rest with grey; Pillow raises "image file is truncated".
static void on_jpeg_message(j_common_ptr cinfo, int level) {
    jpeg_error_state *state = (jpeg_error_state *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        state->truncated = 1;
        cinfo->err->format_message(cinfo, state->message);
        longjmp(state->jump, 1);
    }
    if (level < 0) cinfo->err->num_warnings++;
}

static void on_jpeg_output(j_common_ptr cinfo) { (void)cinfo; }  // never print

cic_status cic_decode_jpeg(const unsigned char *data, size_t size, cic_image *out) {
    struct jpeg_decompress_struct cinfo;
    jpeg_error_state err;
    unsigned char *volatile pixels = NULL;  // volatile: read after longjmp

    memset(out, 0, sizeof *out);
    memset(&err, 0, sizeof err);
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = on_jpeg_error;
    err.base.emit_message = on_jpeg_message;
    err.base.output_message = on_jpeg_output;

    if (setjmp(err.jump)) {
        free(pixels);
        jpeg_destroy_decompress(&cinfo);
        snprintf(out->message, sizeof out->message, "%s", err.message);
        return err.truncated ? CIC_TRUNCATED : CIC_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    // Pillow opens 4-component files as CMYK and everything else as L or RGB; libjpeg's defaults
    // (islow IDCT, fancy upsampling) are Pillow's too.
    int layout = cinfo.num_components == 4 ? CIC_CMYK : CIC_RGB;
    cinfo.out_color_space = layout == CIC_CMYK ? JCS_CMYK : JCS_RGB;
    if ((long long)cinfo.image_width * (long long)cinfo.image_height > CIC_MAX_PIXELS) {
        out->width = (int)cinfo.image_width;
        out->height = (int)cinfo.image_height;
        snprintf(out->message, sizeof out->message, "%ux%u pixels exceeds the limit of %lld",
                 cinfo.image_width, cinfo.image_height, CIC_MAX_PIXELS);
        jpeg_destroy_decompress(&cinfo);
        return CIC_TOO_LARGE;
    }

    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    pixels = malloc(stride * cinfo.output_height);
    if (pixels == NULL) {
        jpeg_destroy_decompress(&cinfo);
        snprintf(out->message, sizeof out->message, "out of memory");
        return CIC_NO_MEMORY;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);

    out->pixels = pixels;
    out->width = (int)cinfo.output_width;
    out->height = (int)cinfo.output_height;
    out->layout = layout;
    out->has_alpha = 0;
    jpeg_destroy_decompress(&cinfo);
    return CIC_OK;
}

void cic_image_free(cic_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}
