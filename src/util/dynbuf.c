/*
 * src/util/dynbuf.c
 *     Growable buffer with a hard cap (see dynbuf.h).
 *
 * Growth doubles the allocation, clamped to cap + 1, so appends are amortised
 * O(1) and a buffer never allocates more than its cap allows.
 */
#include "centra/dynbuf.h"

#include <stdio.h>
#include <string.h>

#include "centra/alloc.h"

#define DYNBUF_MIN_ALLOC 64

void
dynbuf_init(DynBuf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
}

/* Make room for extra more bytes plus the NUL. */
static ErrKind
dynbuf_reserve(DynBuf *b, size_t extra)
{
    size_t need;
    size_t want;

    if (extra > b->cap - b->len)
        return ERR_TOO_BIG;
    need = b->len + extra + 1;
    if (need <= b->alloc)
        return ERR_OK;
    want = b->alloc < DYNBUF_MIN_ALLOC ? DYNBUF_MIN_ALLOC : b->alloc;
    while (want < need)
        want = want > ((size_t)-1) / 2 ? need : want * 2;
    if (b->cap < ((size_t)-1) && want > b->cap + 1)
        want = b->cap + 1;
    b->data = xrealloc(b->data, want);
    b->alloc = want;
    return ERR_OK;
}

ErrKind
dynbuf_add_grow(DynBuf *b, const void *data, size_t len)
{
    if (dynbuf_reserve(b, len) != ERR_OK)
        return ERR_TOO_BIG;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return ERR_OK;
}

ErrKind
dynbuf_addstr(DynBuf *b, const char *s)
{
    return dynbuf_add(b, s, strlen(s));
}

ErrKind
dynbuf_addc(DynBuf *b, char c)
{
    return dynbuf_add(b, &c, 1);
}

ErrKind
dynbuf_addvf(DynBuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return ERR_INTERNAL;
    if (dynbuf_reserve(b, (size_t)n) != ERR_OK)
        return ERR_TOO_BIG;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return ERR_OK;
}

ErrKind
dynbuf_addf(DynBuf *b, const char *fmt, ...)
{
    va_list ap;
    ErrKind rc;

    va_start(ap, fmt);
    rc = dynbuf_addvf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void
dynbuf_reset(DynBuf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

void
dynbuf_truncate(DynBuf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

void
dynbuf_free(DynBuf *b)
{
    xfree(b->data);
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
}

const char *
dynbuf_str(const DynBuf *b)
{
    return b->data != NULL ? b->data : "";
}

size_t
dynbuf_len(const DynBuf *b)
{
    return b->len;
}

char *
dynbuf_take(DynBuf *b)
{
    char *p = b->data != NULL ? b->data : xstrdup("");

    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    return p;
}
