/*
 * include/centra/log.h
 *     Logging: six levels, text or JSON lines on stderr, context on every line,
 *     secrets redacted before anything is written.
 *
 * The log_* macros test the level before evaluating their arguments, so a
 * disabled level costs one comparison (Redis serverLog, PG pg_log_debug).
 * Program output goes to stdout; logs never do.
 *
 * Redaction: every string registered with log_add_secret is replaced by
 * "<redacted>" in the message, detail, hint and context values, and so is the
 * password part of any URL ("scheme://user:password@") or libpq conninfo
 * ("password=...") that appears in them.  This is the last line of defence;
 * callers still avoid formatting secrets at all.
 */
#ifndef CENTRA_LOG_H
#define CENTRA_LOG_H

#include <stdbool.h>
#include <stdio.h>

#include "centra/attrs.h"
#include "centra/error.h"

typedef enum LogLevel {
    LOG_LEVEL_ERROR,  /* the run cannot do what it was asked */
    LOG_LEVEL_WARN,   /* something is wrong but the run goes on */
    LOG_LEVEL_INFO,   /* what an operator wants to see: one line per step */
    LOG_LEVEL_DETAIL, /* per-batch and per-object progress (-v) */
    LOG_LEVEL_DEBUG,  /* internals: SQL, HTTP exchanges without bodies (-vv) */
    LOG_LEVEL_TRACE   /* everything, including bodies (-vvv) */
} LogLevel;

typedef enum LogFormat {
    LOG_FORMAT_TEXT, /* "2026-01-02 03:04:05.678 UTC [pid] LEVEL: [ctx] message" */
    LOG_FORMAT_JSON  /* one JSON object per line */
} LogFormat;

/*
 * Context that is printed on every line while set.  The run id is the
 * process's (every thread's lines carry it); the others are per thread.
 */
typedef enum LogContextKey {
    LOG_CTX_RUN,     /* run id: one per command invocation (per process) */
    LOG_CTX_EVENT,   /* Centra event id being processed (this thread) */
    LOG_CTX_MESSAGE, /* outbox message id being processed (this thread) */
    LOG_CTX_COUNT_   /* not a key: the number of keys */
} LogContextKey;

/* Current threshold; read by the macros below.  Set with log_set_level. */
extern LogLevel log_threshold;

#define log_enabled(level) ((level) <= log_threshold)

#define log_error(...)     log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)                                                                              \
    do {                                                                                           \
        if (log_enabled(LOG_LEVEL_WARN))                                                           \
            log_write(LOG_LEVEL_WARN, __VA_ARGS__);                                                \
    } while (0)
#define log_info(...)                                                                              \
    do {                                                                                           \
        if (log_enabled(LOG_LEVEL_INFO))                                                           \
            log_write(LOG_LEVEL_INFO, __VA_ARGS__);                                                \
    } while (0)
#define log_detail(...)                                                                            \
    do {                                                                                           \
        if (CB_UNLIKELY(log_enabled(LOG_LEVEL_DETAIL)))                                            \
            log_write(LOG_LEVEL_DETAIL, __VA_ARGS__);                                              \
    } while (0)
#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (CB_UNLIKELY(log_enabled(LOG_LEVEL_DEBUG)))                                             \
            log_write(LOG_LEVEL_DEBUG, __VA_ARGS__);                                               \
    } while (0)
#define log_trace(...)                                                                             \
    do {                                                                                           \
        if (CB_UNLIKELY(log_enabled(LOG_LEVEL_TRACE)))                                             \
            log_write(LOG_LEVEL_TRACE, __VA_ARGS__);                                               \
    } while (0)

/* Set the threshold: messages above it are dropped. */
void log_set_level(LogLevel level);

/* Choose text or JSON lines. */
void log_set_format(LogFormat format);

/* The format chosen (text until log_set_format). */
LogFormat log_get_format(void);

/*
 * Send log lines to stream (default stderr).  The stream is borrowed, not
 * closed.  Tests use a memory stream; the daemon reopens its log on SIGHUP.
 */
void log_set_stream(FILE *stream);

/*
 * Append log lines to the file at path from now on (created 0600 when
 * missing).  ERR_CONFIG naming the file and the reason when it cannot be
 * opened.
 */
ErrKind log_open_file(const char *path, Error *err) CB_MUSTCHECK;

/*
 * Open the log file again under its name (after logrotate moved it away);
 * on failure keep writing to the old one, with a warning.  No-op without a
 * log file.  Safe while other threads write: the stream is swapped between
 * two of their lines, never during one.  Not from a signal handler (it
 * takes a lock): the handler sets a flag, the main loop calls this.
 */
void log_reopen(void);

/* Close the log file; lines go to stderr again. */
void log_close_file(void);

/* Write one message at level (no level check: use the macros). */
void log_write(LogLevel level, const char *fmt, ...) CB_PRINTF(2, 3);

/* Write a message with optional detail and hint (either may be NULL or ""). */
void log_write_parts(LogLevel level, const char *message, const char *detail, const char *hint);

/* Report err (message, detail, hint) at level. */
void log_report(LogLevel level, const Error *err);

/*
 * Report err at WARN as an outage being waited out: its message, "; " and
 * what happens next (fmt), then its detail and hint, so that the journal of a
 * daemon says why as an exit would.
 */
void log_warn_waiting(const Error *err, const char *fmt, ...) CB_PRINTF(2, 3);

/* Set (or, with NULL, clear) a context value.  The value is copied. */
void log_context_set(LogContextKey key, const char *value);

/* The current value of a context key; "" when unset.  Owned by the logger. */
const char *log_context_get(LogContextKey key);

/* Clear every context value. */
void log_context_clear(void);

/*
 * Register a secret to redact from every line.  The string is copied; empty
 * strings are ignored.  Up to 16 secrets; registering more is a no-op.
 */
void log_add_secret(const char *secret);

/* Forget every registered secret (tests). */
void log_clear_secrets(void);

/*
 * Copy of text with registered secrets and URL/conninfo passwords replaced by
 * "<redacted>".  Caller frees with xfree.  Used for config dumps and tests.
 */
char *log_redact(const char *text);

/* Parse "error", "warn", "info", "detail", "debug" or "trace". */
bool log_level_parse(const char *s, LogLevel *out);

/* Lower-case name of level. */
const char *log_level_name(LogLevel level);

/* Parse "text" or "json". */
bool log_format_parse(const char *s, LogFormat *out);

#endif /* CENTRA_LOG_H */
