/*
 * src/util/error.c
 *     The error object and the table of error kinds.
 *
 * Texts are formatted into fixed buffers and truncated, never allocated: an
 * error must be reportable when memory is exhausted.
 */
#include "centra/error.h"

#include <stdio.h>
#include <string.h>

typedef struct ErrKindInfo {
    const char *name;        /* stable name, used in logs and JSON */
    int exit_code;           /* sysexits code */
    bool retryable;          /* may be retried after a backoff */
    const char *description; /* one line for docs */
} ErrKindInfo;

static const ErrKindInfo err_kinds[] = {
#define ERR_KIND(kname, str, code, retry, desc) {str, code, retry, desc},
#include "centra/error_kinds.h"
#undef ERR_KIND
};

_Static_assert(sizeof(err_kinds) / sizeof(err_kinds[0]) == ERR_KIND_COUNT_,
               "error kind table out of step with ErrKind");

static const ErrKindInfo *
kind_info(ErrKind kind)
{
    if ((unsigned)kind >= (unsigned)ERR_KIND_COUNT_)
        return NULL;
    return &err_kinds[kind];
}

void
err_reset(Error *err)
{
    if (err == NULL)
        return;
    err->kind = ERR_OK;
    err->message[0] = '\0';
    err->detail[0] = '\0';
    err->hint[0] = '\0';
}

ErrKind
err_setv(Error *err, ErrKind kind, const char *fmt, va_list ap)
{
    if (err == NULL)
        return kind;
    err->kind = kind;
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    err->detail[0] = '\0';
    err->hint[0] = '\0';
    return kind;
}

ErrKind
err_set(Error *err, ErrKind kind, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    err_setv(err, kind, fmt, ap);
    va_end(ap);
    return kind;
}

void
err_detail(Error *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
}

void
err_hint(Error *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
    va_end(ap);
}

void
err_detail_append(Error *err, bool nl, const char *fmt, ...)
{
    va_list ap;
    size_t len;

    if (err == NULL)
        return;
    len = strlen(err->detail);
    if (len > 0 && len + 1 < sizeof(err->detail)) {
        err->detail[len++] = nl ? '\n' : ' ';
        err->detail[len] = '\0';
    }
    if (len + 1 >= sizeof(err->detail))
        return;
    va_start(ap, fmt);
    vsnprintf(err->detail + len, sizeof(err->detail) - len, fmt, ap);
    va_end(ap);
}

/* Append src to dst (holding *len bytes of size), truncating. */
static void
append_trunc(char *dst, size_t size, size_t *len, const char *src)
{
    size_t n = strlen(src);

    if (*len + 1 >= size)
        return;
    if (n > size - 1 - *len)
        n = size - 1 - *len;
    memcpy(dst + *len, src, n);
    *len += n;
    dst[*len] = '\0';
}

void
err_prefix(Error *err, const char *fmt, ...)
{
    char old[ERR_MESSAGE_MAX];
    size_t len;
    va_list ap;

    if (err == NULL)
        return;
    memcpy(old, err->message, sizeof(old));
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    len = strlen(err->message);
    append_trunc(err->message, sizeof(err->message), &len, ": ");
    append_trunc(err->message, sizeof(err->message), &len, old);
}

int
err_exit_code(ErrKind kind)
{
    const ErrKindInfo *info = kind_info(kind);

    return info ? info->exit_code : err_kinds[ERR_INTERNAL].exit_code;
}

ErrKind
err_kind_for_exit_code(int code)
{
    for (int k = 0; k < ERR_KIND_COUNT_; k++)
        if (err_kinds[k].exit_code == code)
            return (ErrKind)k;
    return ERR_INTERNAL;
}

bool
err_is_retryable(ErrKind kind)
{
    const ErrKindInfo *info = kind_info(kind);

    return info ? info->retryable : false;
}

const char *
err_kind_name(ErrKind kind)
{
    const ErrKindInfo *info = kind_info(kind);

    return info ? info->name : "unknown";
}

const char *
err_kind_description(ErrKind kind)
{
    const ErrKindInfo *info = kind_info(kind);

    return info ? info->description : "unknown error kind";
}
