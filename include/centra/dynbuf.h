/*
 * include/centra/dynbuf.h
 *     A growable byte buffer whose maximum size is fixed at init.
 *
 * Modelled on curl's struct dynbuf: every buffer declares its cap, so an
 * oversized document or value fails with ERR_TOO_BIG instead of exhausting
 * memory (DESIGN.md rule 9).  Contents are always NUL-terminated.
 */
#ifndef CENTRA_DYNBUF_H
#define CENTRA_DYNBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "centra/attrs.h"
#include "centra/error.h"

typedef struct DynBuf {
    char *data;   /* contents plus NUL; NULL until the first add */
    size_t len;   /* bytes used, not counting the NUL */
    size_t alloc; /* bytes allocated for data */
    size_t cap;   /* largest len allowed; an add beyond it fails */
} DynBuf;

/* Initialise an empty buffer that may grow to cap bytes.  Allocates nothing. */
void dynbuf_init(DynBuf *b, size_t cap);

/* dynbuf_add when the bytes do not fit the allocation yet (grows it). */
ErrKind dynbuf_add_grow(DynBuf *b, const void *data, size_t len);

/*
 * Append len bytes.  Returns ERR_OK, or ERR_TOO_BIG (buffer unchanged) when
 * the result would exceed the cap.  Callers that build bounded output may
 * ignore the result; callers that store data must check it.  Inline: large
 * documents are written from millions of small pieces, and most fit.
 */
static inline ErrKind
dynbuf_add(DynBuf *b, const void *data, size_t len)
{
    /* Room already allocated (alloc never exceeds cap + 1, so the cap holds too). */
    if (len < b->alloc - b->len) {
        memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
        return ERR_OK;
    }
    return dynbuf_add_grow(b, data, len);
}

/* Append a NUL-terminated string; as dynbuf_add. */
ErrKind dynbuf_addstr(DynBuf *b, const char *s);

/* Append one byte; as dynbuf_add. */
ErrKind dynbuf_addc(DynBuf *b, char c);

/* Append formatted text; as dynbuf_add. */
ErrKind dynbuf_addf(DynBuf *b, const char *fmt, ...) CB_PRINTF(2, 3);
ErrKind dynbuf_addvf(DynBuf *b, const char *fmt, va_list ap) CB_PRINTF(2, 0);

/* Empty the buffer, keeping its memory for reuse. */
void dynbuf_reset(DynBuf *b);

/* Shorten the contents to len bytes (no-op if already shorter). */
void dynbuf_truncate(DynBuf *b, size_t len);

/* Release the memory; the buffer is empty and reusable with the same cap. */
void dynbuf_free(DynBuf *b);

/* The contents, NUL-terminated; "" when empty.  Owned by the buffer. */
const char *dynbuf_str(const DynBuf *b);

/* Number of bytes in the buffer. */
size_t dynbuf_len(const DynBuf *b);

/*
 * Hand the contents to the caller (who frees them with xfree) and leave the
 * buffer empty.  Never returns NULL: an empty buffer gives "".
 */
char *dynbuf_take(DynBuf *b);

#endif /* CENTRA_DYNBUF_H */
