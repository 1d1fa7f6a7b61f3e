// libpng wrappers: see include/cpng.h for the contract.
// Every libpng call made between setjmp and the end of a function may longjmp back to the setjmp;
// locals that change after setjmp and are read after the jump are volatile (C11 7.13.2.1).
#include "cpng.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *message;           // CPNG_MESSAGE_SIZE bytes, owned by the caller
    int truncated;           // set by the read callback before it raises
    const uint8_t *data;     // decode input
    size_t length;
    size_t offset;
    uint8_t *buffer;         // encode output
    size_t used;
    size_t capacity;
    int out_of_memory;
} cpng_state;

static void cpng_error(png_structp png, png_const_charp text) {
    cpng_state *state = (cpng_state *)png_get_error_ptr(png);
    if (state && state->message && state->message[0] == 0)
        snprintf(state->message, CPNG_MESSAGE_SIZE, "%s", text ? text : "libpng error");
    png_longjmp(png, 1);
}

static void cpng_warning(png_structp png, png_const_charp text) {
    (void)png; (void)text; // warnings (e.g. an unknown chunk) are not failures
}

static void cpng_read(png_structp png, png_bytep out, size_t count) {
    cpng_state *state = (cpng_state *)png_get_io_ptr(png);
    if (count > state->length - state->offset) {
        state->truncated = 1;
        snprintf(state->message, CPNG_MESSAGE_SIZE,
                 "data ends at byte %zu but %zu more bytes were needed", state->length,
                 count - (state->length - state->offset));
        png_longjmp(png, 1);
    }
    memcpy(out, state->data + state->offset, count);
    state->offset += count;
}

static void cpng_write(png_structp png, png_bytep in, size_t count) {
    cpng_state *state = (cpng_state *)png_get_io_ptr(png);
    if (count > state->capacity - state->used) {
        size_t want = state->capacity ? state->capacity : 65536;
        while (want - state->used < count) {
            if (want > SIZE_MAX / 2) { want = 0; break; }
            want *= 2;
        }
        uint8_t *grown = want ? (uint8_t *)realloc(state->buffer, want) : NULL;
        if (!grown) {
            state->out_of_memory = 1;
            snprintf(state->message, CPNG_MESSAGE_SIZE, "out of memory growing the PNG buffer");
            png_longjmp(png, 1);
        }
        state->buffer = grown;
        state->capacity = want;
    }
    memcpy(state->buffer + state->used, in, count);
    state->used += count;
}

static void cpng_flush(png_structp png) { (void)png; }

int cpng_encode_rgb8(const uint8_t *rgb, uint32_t width, uint32_t height, int level, int filter,
                     uint8_t **out, size_t *out_length, char message[CPNG_MESSAGE_SIZE]) {
    message[0] = 0;
    *out = NULL;
    *out_length = 0;
    if (!rgb || width == 0 || height == 0 || width > PNG_UINT_31_MAX || height > PNG_UINT_31_MAX
        || level < 0 || level > 9 || filter < 0 || filter > 2) {
        snprintf(message, CPNG_MESSAGE_SIZE, "bad arguments: %ux%u level %d filter %d", width, height,
                 level, filter);
        return CPNG_BAD_ARGUMENT;
    }
    cpng_state state;
    memset(&state, 0, sizeof state);
    state.message = message;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, cpng_error, cpng_warning);
    if (!png) { snprintf(message, CPNG_MESSAGE_SIZE, "png_create_write_struct failed"); return CPNG_NO_MEMORY; }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        snprintf(message, CPNG_MESSAGE_SIZE, "png_create_info_struct failed");
        return CPNG_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        int code = state.out_of_memory ? CPNG_NO_MEMORY : CPNG_MALFORMED;
        png_destroy_write_struct(&png, &info);
        free(state.buffer);
        return code;
    }
    png_set_write_fn(png, &state, cpng_write, cpng_flush);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, level);
    // Screens are mostly flat colour: no filter at low levels keeps encode time down with little
    // size cost; the adaptive choice helps photographs at higher levels.
    png_set_filter(png, PNG_FILTER_TYPE_BASE,
                   filter == 0 ? PNG_FILTER_NONE : filter == 1 ? PNG_FILTER_SUB : PNG_ALL_FILTERS);
    png_write_info(png, info);
    const size_t stride = (size_t)width * 3;
    for (uint32_t y = 0; y < height; y++)
        png_write_row(png, (png_const_bytep)(rgb + (size_t)y * stride));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *out = state.buffer;
    *out_length = state.used;
    return CPNG_OK;
}

int cpng_decode_rgb8(const uint8_t *data, size_t length, uint64_t max_pixels,
                     uint8_t **out, uint32_t *width, uint32_t *height, char message[CPNG_MESSAGE_SIZE]) {
    message[0] = 0;
    *out = NULL;
    *width = 0;
    *height = 0;
    if (!data || length < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        snprintf(message, CPNG_MESSAGE_SIZE, "no PNG signature in the first 8 of %zu bytes", length);
        return CPNG_NOT_PNG;
    }
    // The IHDR chunk must come first (PNG spec 5.6): read the claimed size before libpng does, so
    // an absurd header is reported as too large rather than as libpng's generic "Invalid IHDR".
    if (length >= 24 && memcmp(data + 12, "IHDR", 4) == 0) {
        uint32_t cw = ((uint32_t)data[16] << 24) | ((uint32_t)data[17] << 16) | ((uint32_t)data[18] << 8) | data[19];
        uint32_t ch = ((uint32_t)data[20] << 24) | ((uint32_t)data[21] << 16) | ((uint32_t)data[22] << 8) | data[23];
        if (cw > 65535 || ch > 65535 || (uint64_t)cw * ch > max_pixels) {
            snprintf(message, CPNG_MESSAGE_SIZE, "header claims %ux%u (limit 65535 a side, %llu pixels)", cw, ch,
                     (unsigned long long)max_pixels);
            return CPNG_TOO_LARGE;
        }
    }
    cpng_state state;
    memset(&state, 0, sizeof state);
    state.message = message;
    state.data = data;
    state.length = length;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, cpng_error, cpng_warning);
    if (!png) { snprintf(message, CPNG_MESSAGE_SIZE, "png_create_read_struct failed"); return CPNG_NO_MEMORY; }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(message, CPNG_MESSAGE_SIZE, "png_create_info_struct failed");
        return CPNG_NO_MEMORY;
    }
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    volatile int too_large = 0;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        if (too_large || strstr(message, "user limit")) return CPNG_TOO_LARGE;
        return state.truncated ? CPNG_TRUNCATED : CPNG_MALFORMED;
    }
    png_set_read_fn(png, &state, cpng_read);
    // libpng's own limit applies while the header is read, before any allocation of image size.
    png_set_user_limits(png, 65535, 65535);
    png_set_chunk_malloc_max(png, 64u << 20);
    png_read_info(png, info);
    png_uint_32 w = 0, h = 0;
    int bit_depth = 0, color_type = 0;
    png_get_IHDR(png, info, &w, &h, &bit_depth, &color_type, NULL, NULL, NULL);
    if ((uint64_t)w * (uint64_t)h > max_pixels) {
        too_large = 1;
        snprintf(message, CPNG_MESSAGE_SIZE, "%ux%u exceeds the limit of %llu pixels", w, h,
                 (unsigned long long)max_pixels);
        png_longjmp(png, 1);
    }
    if (bit_depth == 16) png_set_strip_16(png);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3) {
        snprintf(message, CPNG_MESSAGE_SIZE, "unexpected row size %zu after conversion for width %u",
                 (size_t)png_get_rowbytes(png, info), w);
        png_longjmp(png, 1);
    }
    pixels = (uint8_t *)malloc((size_t)w * h * 3);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * h);
    if (!pixels || !rows) {
        snprintf(message, CPNG_MESSAGE_SIZE, "out of memory for %ux%u pixels", w, h);
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = pixels + (size_t)y * w * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    *out = pixels;
    *width = w;
    *height = h;
    return CPNG_OK;
}

void cpng_free(void *pointer) { free(pointer); }
