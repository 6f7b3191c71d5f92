/*
 * include/centra/error.h
 *     Error kinds and the error object.
 *
 * Every fallible function returns an ErrKind (ERR_OK is zero, as CURLE_OK) and
 * fills a caller-owned Error with a message in PostgreSQL's style: a primary
 * message (lower case, no final period, objects in double quotes), and
 * optionally a detail and a hint written as full sentences.  No setjmp, no
 * global error state: the Error travels with the call.
 */
#ifndef CENTRA_ERROR_H
#define CENTRA_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

#include "centra/attrs.h"

typedef enum ErrKind {
#define ERR_KIND(name, str, code, retry, desc) ERR_##name,
#include "centra/error_kinds.h"
#undef ERR_KIND
    ERR_KIND_COUNT_ /* not a kind: the number of kinds */
} ErrKind;

#define ERR_MESSAGE_MAX 1024 /* primary message, truncated beyond */
#define ERR_DETAIL_MAX  4096 /* detail, truncated beyond */
#define ERR_HINT_MAX    1024 /* hint, truncated beyond */

typedef struct Error {
    ErrKind kind;                  /* ERR_OK when no error is set */
    char message[ERR_MESSAGE_MAX]; /* primary message, "" when unset */
    char detail[ERR_DETAIL_MAX];   /* detail sentence(s), "" when none */
    char hint[ERR_HINT_MAX];       /* hint sentence(s), "" when none */
} Error;

/* Clear err to ERR_OK with empty texts.  err may be NULL. */
void err_reset(Error *err);

/*
 * Set kind and primary message, clearing detail and hint.  Returns kind so a
 * function can write "return err_set(err, ERR_CONFIG, ...)".  err may be NULL,
 * in which case only kind is returned.
 */
ErrKind err_set(Error *err, ErrKind kind, const char *fmt, ...) CB_PRINTF(3, 4);
ErrKind err_setv(Error *err, ErrKind kind, const char *fmt, va_list ap) CB_PRINTF(3, 0);

/* Set (replace) the detail or the hint of an error already set. */
void err_detail(Error *err, const char *fmt, ...) CB_PRINTF(2, 3);
void err_hint(Error *err, const char *fmt, ...) CB_PRINTF(2, 3);

/* Append a sentence to the detail, separated by a space (or a newline if nl). */
void err_detail_append(Error *err, bool nl, const char *fmt, ...) CB_PRINTF(3, 4);

/*
 * Prefix the primary message with "prefix: ", e.g. to name the operation that
 * failed around a lower-level message.
 */
void err_prefix(Error *err, const char *fmt, ...) CB_PRINTF(2, 3);

/* Process exit code of kind (sysexits), per the table in error_kinds.h. */
int err_exit_code(ErrKind kind);

/*
 * The first kind in error_kinds.h whose exit code is code (e.g. the exit of
 * a child process, as a kind of our own); ERR_INTERNAL when none has it.
 */
ErrKind err_kind_for_exit_code(int code);

/* Whether an operation that failed with kind may be retried after a backoff. */
bool err_is_retryable(ErrKind kind);

/* Stable lower-case name of kind, e.g. "db_connection"; "unknown" if invalid. */
const char *err_kind_name(ErrKind kind);

/* One-line description of kind, for documentation and --help. */
const char *err_kind_description(ErrKind kind);

#endif /* CENTRA_ERROR_H */
