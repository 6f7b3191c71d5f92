/*
 * include/centra/json.h
 *     Writing JSON text: string escaping that always yields valid UTF-8.
 */
#ifndef CENTRA_JSON_H
#define CENTRA_JSON_H

#include <stddef.h>

#include "centra/attrs.h"
#include "centra/dynbuf.h"
#include "centra/error.h"

/*
 * Append s as a JSON string literal, quotes included.  Control characters are
 * escaped; bytes that are not valid UTF-8 become U+FFFD, so the output is
 * valid JSON whatever the input.  Returns ERR_TOO_BIG if b's cap is reached.
 */
ErrKind json_append_string(DynBuf *b, const char *s) CB_MUSTCHECK;

/* As json_append_string for the first len bytes of s (which may hold NULs). */
ErrKind json_append_stringn(DynBuf *b, const char *s, size_t len) CB_MUSTCHECK;

#endif /* CENTRA_JSON_H */
