#ifndef CPNG_H
#define CPNG_H
// PNG encode/decode for Imaging. libpng reports errors by longjmp, and a longjmp must not cross Swift
// frames, so every libpng call lives in cpng.c behind setjmp; Swift sees plain functions that return
// a status code and fill a message buffer.
#include <stddef.h>
#include <stdint.h>

enum {
    CPNG_OK = 0,
    CPNG_NOT_PNG = 1,        // the 8-byte signature is missing
    CPNG_TRUNCATED = 2,      // the data ended before libpng was done
    CPNG_TOO_LARGE = 3,      // header dimensions exceed the caller's limit
    CPNG_MALFORMED = 4,      // libpng rejected the data (message says why)
    CPNG_NO_MEMORY = 5,
    CPNG_BAD_ARGUMENT = 6,
};

#define CPNG_MESSAGE_SIZE 256

/// Encodes packed RGB8 rows (`width * 3` bytes per row, no padding) as a PNG.
/// `level` is the zlib level 0...9; `filter` is 0 for none, 1 for sub, 2 for libpng's adaptive choice.
/// On success `*out` is a malloc'ed buffer of `*out_length` bytes; free it with cpng_free.
int cpng_encode_rgb8(const uint8_t *rgb, uint32_t width, uint32_t height, int level, int filter,
                     uint8_t **out, size_t *out_length, char message[CPNG_MESSAGE_SIZE]);

/// Decodes any PNG (gray, palette, alpha, 16-bit, interlaced) into packed RGB8; alpha is dropped
/// (composited over black is not attempted: an agent's screenshots have none).
/// Images with more than `max_pixels` pixels or a side over 65535 are refused before allocation.
int cpng_decode_rgb8(const uint8_t *data, size_t length, uint64_t max_pixels,
                     uint8_t **out, uint32_t *width, uint32_t *height, char message[CPNG_MESSAGE_SIZE]);

void cpng_free(void *pointer);

#endif
