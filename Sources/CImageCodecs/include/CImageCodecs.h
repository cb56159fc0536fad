// CImageCodecs: JPEG and PNG decoding (and PNG encoding) with errors reported as return codes, never exit() or a longjmp
// that crosses Swift frames. libjpeg's default error handler calls exit() and libpng reports errors by
// longjmp; both are caught here, in C, with setjmp, and turned into a code plus a message.
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H

#include <stddef.h>

/// Outcome of a decode call.
typedef enum {
    CIC_OK = 0,
    CIC_CORRUPT = 1,      // the codec rejected the data; `message` says why
    CIC_TRUNCATED = 2,    // the data ended before the image was complete
    CIC_TOO_LARGE = 3,    // the header declares more pixels than CIC_MAX_PIXELS
    CIC_NO_MEMORY = 4,
} cic_status;

/// The largest image accepted: Pillow's decompression-bomb limit (2 × 89,478,485 pixels).
#define CIC_MAX_PIXELS 178956970LL

/// Colour layout of `cic_image.pixels`.
typedef enum {
    CIC_RGB = 0,   // 3 bytes per pixel
    CIC_RGBA = 1,  // 4 bytes per pixel, straight (not premultiplied) alpha
    CIC_CMYK = 2,  // 4 bytes per pixel, as stored in the JPEG (Adobe files store it inverted)
} cic_layout;

/// A decoded image. `pixels` is malloc'd by the decoder; release it with `cic_image_free`.
typedef struct {
    unsigned char *pixels;
    int width;
    int height;
    int layout;        // a cic_layout
    int has_alpha;     // PNG: 1 when the file has an alpha channel or a tRNS chunk (the alpha byte is real)
    char message[200]; // set when the status is not CIC_OK
} cic_image;

/// Decodes a baseline or progressive JPEG to RGB (grayscale and YCbCr are converted by libjpeg) or,
/// for 4-component files, to CMYK. A premature end of data is reported as CIC_TRUNCATED instead of the
/// grey fill libjpeg would produce.
cic_status cic_decode_jpeg(const unsigned char *data, size_t size, cic_image *out);

/// Decodes any PNG (all bit depths, palette, gray, alpha, interlaced) to 8-bit RGBA: palette and gray
/// are expanded, tRNS becomes alpha, 16-bit samples keep their high byte, opaque images get alpha 255.
cic_status cic_decode_png(const unsigned char *data, size_t size, cic_image *out);

/// Frees `image->pixels` (safe to call on a zeroed or already freed image).
void cic_image_free(cic_image *image);

/// An encoded file. `data` is malloc'd by the encoder; release it with `cic_buffer_free`.
typedef struct {
    unsigned char *data;
    size_t size;
    char message[200]; // set when the status is not CIC_OK
} cic_buffer;

/// Encodes 8-bit RGB pixels (row-major, 3 bytes per pixel, `width * height * 3` bytes) as a
/// non-interlaced 8-bit RGB PNG with zlib level 6 and no ancillary chunks: equal pixels give equal
/// bytes. CIC_TOO_LARGE for an empty or oversized image, CIC_NO_MEMORY, or CIC_CORRUPT with libpng's message.
cic_status cic_encode_png_rgb(const unsigned char *rgb, int width, int height, cic_buffer *out);

/// Frees `buffer->data` (safe to call on a zeroed or already freed buffer).
void cic_buffer_free(cic_buffer *buffer);

#endif
