/*
 * src/util/log.c
 *     Log lines in text or JSON on stderr (see log.h).
 *
 * Each call builds its whole output (all lines of a multi-line message) in one
 * buffer and writes it with one fwrite, so lines from concurrent processes
 * sharing a journal or file do not interleave within a record.  Redaction runs
 * on the complete text before any truncation or escaping, so a secret can
 * never be cut in half and slip through.
 *
 * The stream is swapped (log_reopen on SIGHUP, log_open_file, log_close_file)
 * on the main thread while other threads (the daemon's metrics endpoint) may
 * be writing: log_stream_lock serialises each write with each swap, so no
 * line goes to a stream that was just closed.  Formatting and redaction stay
 * outside the lock.
 */
#include "centra/log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "centra/json.h"
#include "centra/strutil.h"

#define LOG_MAX_SECRETS   64
#define LOG_CTX_VALUE_MAX 128
#define LOG_LINE_CAP      (4u * 1024 * 1024) /* a message longer than this is not printed */
#define LOG_REDACTED      "<redacted>"
#define SHORT_SECRET      4 /* shorter secrets are redacted as whole words only */

LogLevel log_threshold = LOG_LEVEL_INFO;

static LogFormat log_format = LOG_FORMAT_TEXT;
/* Guards log_stream, log_file and log_path, and each write to the stream. */
static pthread_mutex_t log_stream_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_stream; /* NULL means stderr */
static FILE *log_file;   /* the stream opened by log_open_file, owned */
static char *log_path;   /* its path, for log_reopen */
static char *log_secrets[LOG_MAX_SECRETS];
static size_t log_nsecrets;
/*
 * Event and message ids belong to the thread working on them; the run id to
 * the whole process, so that lines of other threads (the daemon's metrics
 * endpoint) carry it too.  The run id is set before any thread starts.
 */
static _Thread_local char log_ctx[LOG_CTX_COUNT_][LOG_CTX_VALUE_MAX];
static char log_run_id[LOG_CTX_VALUE_MAX];

static const char *const log_level_names[] = {"error", "warn", "info", "detail", "debug", "trace"};
static const char *const log_level_labels[] = {"ERROR",  "WARNING", "INFO",
                                               "DETAIL", "DEBUG",   "TRACE"};
/* Context names in text lines, and as JSON fields (apart from "message"). */
static const char *const log_ctx_names[LOG_CTX_COUNT_] = {"run", "event", "message"};
static const char *const log_ctx_json_names[LOG_CTX_COUNT_] = {"run_id", "event_id", "message_id"};

void
log_set_level(LogLevel level)
{
    log_threshold = level;
}

void
log_set_format(LogFormat format)
{
    log_format = format;
}

LogFormat
log_get_format(void)
{
    return log_format;
}

void
log_set_stream(FILE *stream)
{
    pthread_mutex_lock(&log_stream_lock);
    log_stream = stream;
    pthread_mutex_unlock(&log_stream_lock);
}

/*
 * Open path for appending (close-on-exec); NULL with errno set on failure.
 * Created 0600, as the systemd units' UMask=0077 and logrotate's "create
 * 0600" make it anyway: one mode whoever creates the file.
 */
static FILE *
open_append(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    FILE *f;

    if (fd < 0)
        return NULL;
    f = fdopen(fd, "a");
    if (f == NULL) {
        int e = errno;

        close(fd);
        errno = e;
    }
    return f;
}

/* Close the log file (log_stream_lock held); lines go to stderr again. */
static void
close_file_locked(void)
{
    if (log_file == NULL)
        return;
    if (log_stream == log_file)
        log_stream = NULL;
    fclose(log_file);
    log_file = NULL;
    xfree(log_path);
    log_path = NULL;
}

ErrKind
log_open_file(const char *path, Error *err)
{
    FILE *f = open_append(path);
    char *copy;
    char ebuf[128];

    if (f == NULL) {
        err_set(err, ERR_CONFIG, "could not open log file \"%s\": %s", path,
                str_errno(errno, ebuf, sizeof(ebuf)));
        err_hint(err, "Check centra_log_file, and that the directory exists and is writable "
                      "by this user.");
        return ERR_CONFIG;
    }
    copy = xstrdup(path);
    pthread_mutex_lock(&log_stream_lock);
    close_file_locked();
    log_file = f;
    log_path = copy;
    log_stream = f;
    pthread_mutex_unlock(&log_stream_lock);
    return ERR_OK;
}

void
log_reopen(void)
{
    FILE *f;
    char *failed = NULL; /* the path that could not be opened */
    int error = 0;
    char ebuf[128];

    pthread_mutex_lock(&log_stream_lock);
    if (log_path == NULL) {
        pthread_mutex_unlock(&log_stream_lock);
        return;
    }
    f = open_append(log_path);
    if (f == NULL) {
        error = errno;
        failed = xstrdup(log_path);
    } else {
        if (log_stream == log_file)
            log_stream = f;
        fclose(log_file);
        log_file = f;
    }
    pthread_mutex_unlock(&log_stream_lock);
    /* Logged without the lock: the write takes it. */
    if (failed != NULL) {
        log_warn("could not reopen log file \"%s\": %s; writing to the old one", failed,
                 str_errno(error, ebuf, sizeof(ebuf)));
        xfree(failed);
        return;
    }
    log_detail("log file reopened");
}

void
log_close_file(void)
{
    pthread_mutex_lock(&log_stream_lock);
    close_file_locked();
    pthread_mutex_unlock(&log_stream_lock);
}

bool
log_level_parse(const char *s, LogLevel *out)
{
    for (size_t i = 0; i < CB_LENGTH(log_level_names); i++) {
        if (strcmp(s, log_level_names[i]) == 0) {
            *out = (LogLevel)i;
            return true;
        }
    }
    return false;
}

const char *
log_level_name(LogLevel level)
{
    if ((size_t)level >= CB_LENGTH(log_level_names))
        return "unknown";
    return log_level_names[level];
}

bool
log_format_parse(const char *s, LogFormat *out)
{
    if (strcmp(s, "text") == 0)
        *out = LOG_FORMAT_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = LOG_FORMAT_JSON;
    else
        return false;
    return true;
}

/* The value of context key in this thread ("" when unset). */
static char *
ctx_value(size_t key)
{
    return key == LOG_CTX_RUN ? log_run_id : log_ctx[key];
}

void
log_context_set(LogContextKey key, const char *value)
{
    if ((size_t)key >= LOG_CTX_COUNT_)
        return;
    if (value == NULL)
        ctx_value(key)[0] = '\0';
    else
        snprintf(ctx_value(key), LOG_CTX_VALUE_MAX, "%s", value);
}

const char *
log_context_get(LogContextKey key)
{
    if ((size_t)key >= LOG_CTX_COUNT_)
        return "";
    return ctx_value(key);
}

void
log_context_clear(void)
{
    for (size_t i = 0; i < LOG_CTX_COUNT_; i++)
        ctx_value(i)[0] = '\0';
}

static void
add_secret(const char *secret)
{
    if (secret == NULL || secret[0] == '\0' || log_nsecrets >= LOG_MAX_SECRETS)
        return;
    for (size_t i = 0; i < log_nsecrets; i++)
        if (strcmp(log_secrets[i], secret) == 0)
            return;
    log_secrets[log_nsecrets++] = xstrdup(secret);
}

/* secret as XML text escapes it: & and < always, > too; all five when quotes is set. */
static char *
xml_escaped(const char *secret, bool quotes)
{
    DynBuf b;

    dynbuf_init(&b, strlen(secret) * 6 + 1);
    for (const char *c = secret; *c != '\0'; c++) {
        const char *e = *c == '&'              ? "&amp;"
                        : *c == '<'            ? "&lt;"
                        : *c == '>'            ? "&gt;"
                        : quotes && *c == '"'  ? "&quot;"
                        : quotes && *c == '\'' ? "&apos;"
                                               : NULL;

        if (e != NULL)
            (void)dynbuf_addstr(&b, e);
        else
            (void)dynbuf_addc(&b, *c);
    }
    return dynbuf_take(&b);
}

/* secret percent-encoded (RFC 3986: all but the unreserved characters). */
static char *
percent_encoded(const char *secret)
{
    DynBuf b;

    dynbuf_init(&b, strlen(secret) * 3 + 1);
    for (const unsigned char *c = (const unsigned char *)secret; *c != '\0'; c++) {
        if (isalnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~')
            (void)dynbuf_addc(&b, (char)*c);
        else
            (void)dynbuf_addf(&b, "%%%02X", *c);
    }
    return dynbuf_take(&b);
}

void
log_add_secret(const char *secret)
{
    char *forms[3];

    if (secret == NULL || secret[0] == '\0')
        return;
    add_secret(secret);
    /* As an answer or a URL may quote it: its escaped forms (the same when it needs none). */
    forms[0] = xml_escaped(secret, false);
    forms[1] = xml_escaped(secret, true);
    forms[2] = percent_encoded(secret);
    for (size_t i = 0; i < CB_LENGTH(forms); i++) {
        add_secret(forms[i]);
        xfree(forms[i]);
    }
}

void
log_clear_secrets(void)
{
    for (size_t i = 0; i < log_nsecrets; i++)
        xfree(log_secrets[i]);
    log_nsecrets = 0;
}

/* ---------------------------------------------------------------------------
 * Redaction
 * ------------------------------------------------------------------------- */

/* Out of memory in a log cap is not worth failing over: drop the rest. */
static void
add_or_ignore(DynBuf *b, const char *s, size_t n)
{
    if (dynbuf_add(b, s, n) != ERR_OK)
        return;
}

static bool
is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (unsigned char)c >= 0x80;
}

/*
 * Replace every occurrence of secret in in by LOG_REDACTED.  A secret shorter
 * than SHORT_SECRET bytes is replaced only where it stands as a word of its
 * own: a one-letter password must not blank out every "e" of the log.
 */
static void
redact_secret(const char *in, const char *secret, DynBuf *out)
{
    size_t slen = strlen(secret);
    bool whole_word = slen < SHORT_SECRET;
    const char *p = in;
    const char *from = in;
    const char *hit;

    while ((hit = strstr(from, secret)) != NULL) {
        if (whole_word && ((hit > in && is_word_char(hit[-1])) || is_word_char(hit[slen]))) {
            from = hit + 1;
            continue;
        }
        add_or_ignore(out, p, (size_t)(hit - p));
        add_or_ignore(out, LOG_REDACTED, sizeof(LOG_REDACTED) - 1);
        p = hit + slen;
        from = p;
    }
    add_or_ignore(out, p, strlen(p));
}

static bool
is_url_authority_end(char c)
{
    return c == '\0' || c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '\'' ||
           c == '<' || c == '>';
}

/* Mask the password of "scheme://user:password@host" URLs. */
static void
redact_urls(const char *in, DynBuf *out)
{
    const char *p = in;
    const char *sep;

    while ((sep = strstr(p, "://")) != NULL) {
        const char *auth = sep + 3;
        const char *end = auth;
        const char *at = NULL;
        const char *colon = NULL;

        while (!is_url_authority_end(*end)) {
            if (*end == '@')
                at = end; /* the last '@' ends the userinfo */
            end++;
        }
        if (at != NULL)
            colon = memchr(auth, ':', (size_t)(at - auth));
        if (colon != NULL) {
            add_or_ignore(out, p, (size_t)(colon + 1 - p));
            add_or_ignore(out, LOG_REDACTED, sizeof(LOG_REDACTED) - 1);
            p = at;
        } else {
            add_or_ignore(out, p, (size_t)(auth - p));
            p = auth;
        }
    }
    add_or_ignore(out, p, strlen(p));
}

/* Mask the value of conninfo "password=..." (quoted or bare) keywords. */
static void
redact_conninfo(const char *in, DynBuf *out)
{
    static const char kw[] = "password";
    const char *p = in;
    const char *hit;

    while ((hit = strstr(p, kw)) != NULL) {
        const char *q = hit + sizeof(kw) - 1;
        bool word_start = hit == in || hit[-1] == ' ' || hit[-1] == '\t' || hit[-1] == '&' ||
                          hit[-1] == '?' || hit[-1] == '"' || hit[-1] == '\'';

        while (*q == ' ' || *q == '\t')
            q++;
        if (!word_start || *q != '=') {
            add_or_ignore(out, p, (size_t)(hit + 1 - p));
            p = hit + 1;
            continue;
        }
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        add_or_ignore(out, p, (size_t)(q - p));
        add_or_ignore(out, LOG_REDACTED, sizeof(LOG_REDACTED) - 1);
        if (*q == '\'') {
            q++;
            while (*q != '\0' && *q != '\'') {
                if (*q == '\\' && q[1] != '\0')
                    q++;
                q++;
            }
            if (*q == '\'')
                q++;
        } else {
            /* libpq allows backslash escapes in unquoted values: "se\ cret". */
            while (*q != '\0' && *q != ' ' && *q != '\t' && *q != '\n' && *q != '&' && *q != '"') {
                if (*q == '\\' && q[1] != '\0')
                    q++;
                q++;
            }
        }
        p = q;
    }
    add_or_ignore(out, p, strlen(p));
}

char *
log_redact(const char *text)
{
    DynBuf a;
    DynBuf b;

    dynbuf_init(&a, LOG_LINE_CAP * 2);
    dynbuf_init(&b, LOG_LINE_CAP * 2);
    /*
     * URLs first: a secret replaced inside one ("u:<redacted>@x@h", the
     * password holding an "@") would end its userinfo at the "<", and the
     * rest of the password would stay.
     */
    redact_urls(text, &a);
    for (size_t i = 0; i < log_nsecrets; i++) {
        redact_secret(dynbuf_str(&a), log_secrets[i], &b);
        dynbuf_reset(&a);
        add_or_ignore(&a, dynbuf_str(&b), dynbuf_len(&b));
        dynbuf_reset(&b);
    }
    redact_conninfo(dynbuf_str(&a), &b);
    dynbuf_free(&a);
    return dynbuf_take(&b);
}

/* ---------------------------------------------------------------------------
 * Formatting
 * ------------------------------------------------------------------------- */

static void
format_time(char *buf, size_t size, bool iso)
{
    struct timespec ts;
    struct tm tm;
    char base[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(base, sizeof(base), iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf, size, iso ? "%s.%03ldZ" : "%s.%03ld UTC", base, ts.tv_nsec / 1000000L);
}

/* Text: one output line per line of body, each with the full prefix. */
static void
text_lines(DynBuf *out, const char *prefix, const char *label, const char *body)
{
    const char *line = body;

    for (;;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);

        add_or_ignore(out, prefix, strlen(prefix));
        add_or_ignore(out, label, strlen(label));
        add_or_ignore(out, line, len);
        add_or_ignore(out, "\n", 1);
        if (nl == NULL)
            break;
        line = nl + 1;
    }
}

static void
format_text(DynBuf *out, LogLevel level, const char *msg, const char *detail, const char *hint)
{
    char ts[48];
    char prefix[96];
    DynBuf first;
    bool any = false;

    format_time(ts, sizeof(ts), false);
    snprintf(prefix, sizeof(prefix), "%s [%ld] ", ts, (long)getpid());
    dynbuf_init(&first, LOG_CTX_COUNT_ * (LOG_CTX_VALUE_MAX + 16) + 32);
    add_or_ignore(&first, log_level_labels[level], strlen(log_level_labels[level]));
    add_or_ignore(&first, ": ", 2);
    for (size_t i = 0; i < LOG_CTX_COUNT_; i++) {
        char *v;

        if (ctx_value(i)[0] == '\0')
            continue;
        v = log_redact(ctx_value(i));
        add_or_ignore(&first, any ? " " : "[", 1);
        add_or_ignore(&first, log_ctx_names[i], strlen(log_ctx_names[i]));
        add_or_ignore(&first, "=", 1);
        add_or_ignore(&first, v, strlen(v));
        xfree(v);
        any = true;
    }
    if (any)
        add_or_ignore(&first, "] ", 2);
    text_lines(out, prefix, dynbuf_str(&first), msg);
    dynbuf_free(&first);
    if (detail != NULL && detail[0] != '\0')
        text_lines(out, prefix, "  detail: ", detail);
    if (hint != NULL && hint[0] != '\0')
        text_lines(out, prefix, "  hint: ", hint);
}

static void
json_field(DynBuf *out, const char *name, const char *value)
{
    add_or_ignore(out, ",", 1);
    if (json_append_string(out, name) != ERR_OK)
        return;
    add_or_ignore(out, ":", 1);
    if (json_append_string(out, value) != ERR_OK)
        return;
}

static void
format_json(DynBuf *out, LogLevel level, const char *msg, const char *detail, const char *hint)
{
    char ts[48];
    char pid[24];

    format_time(ts, sizeof(ts), true);
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    add_or_ignore(out, "{\"time\":", 8);
    if (json_append_string(out, ts) != ERR_OK)
        return;
    json_field(out, "level", log_level_names[level]);
    add_or_ignore(out, ",\"pid\":", 7);
    add_or_ignore(out, pid, strlen(pid));
    for (size_t i = 0; i < LOG_CTX_COUNT_; i++) {
        char *v;

        if (ctx_value(i)[0] == '\0')
            continue;
        v = log_redact(ctx_value(i));
        json_field(out, log_ctx_json_names[i], v);
        xfree(v);
    }
    json_field(out, "message", msg);
    if (detail != NULL && detail[0] != '\0')
        json_field(out, "detail", detail);
    if (hint != NULL && hint[0] != '\0')
        json_field(out, "hint", hint);
    add_or_ignore(out, "}\n", 2);
}

void
log_write_parts(LogLevel level, const char *message, const char *detail, const char *hint)
{
    FILE *stream;
    char *msg;
    char *det = NULL;
    char *hin = NULL;
    DynBuf out;

    if ((size_t)level >= CB_LENGTH(log_level_names))
        level = LOG_LEVEL_ERROR;
    msg = log_redact(message);
    if (detail != NULL && detail[0] != '\0')
        det = log_redact(detail);
    if (hint != NULL && hint[0] != '\0')
        hin = log_redact(hint);
    dynbuf_init(&out, LOG_LINE_CAP * 4);
    if (log_format == LOG_FORMAT_JSON)
        format_json(&out, level, msg, det, hin);
    else
        format_text(&out, level, msg, det, hin);
    pthread_mutex_lock(&log_stream_lock);
    stream = log_stream != NULL ? log_stream : stderr;
    fwrite(dynbuf_str(&out), 1, dynbuf_len(&out), stream);
    fflush(stream);
    pthread_mutex_unlock(&log_stream_lock);
    dynbuf_free(&out);
    xfree(msg);
    xfree(det);
    xfree(hin);
}

void
log_write(LogLevel level, const char *fmt, ...)
{
    DynBuf msg;
    va_list ap;
    ErrKind rc;

    dynbuf_init(&msg, LOG_LINE_CAP);
    va_start(ap, fmt);
    rc = dynbuf_addvf(&msg, fmt, ap);
    va_end(ap);
    if (rc != ERR_OK) {
        /* Never print a cut-off message: the cut could split a secret. */
        dynbuf_reset(&msg);
        add_or_ignore(&msg, "(log message too long to print)", 31);
    }
    log_write_parts(level, dynbuf_str(&msg), NULL, NULL);
    dynbuf_free(&msg);
}

void
log_report(LogLevel level, const Error *err)
{
    log_write_parts(level, err->message, err->detail, err->hint);
}

void
log_warn_waiting(const Error *err, const char *fmt, ...)
{
    char then[256];
    DynBuf msg;
    va_list ap;

    if (!log_enabled(LOG_LEVEL_WARN))
        return;
    va_start(ap, fmt);
    vsnprintf(then, sizeof(then), fmt, ap);
    va_end(ap);
    dynbuf_init(&msg, sizeof(err->message) + sizeof(then) + 8);
    (void)dynbuf_addf(&msg, "%s; %s", err->message, then);
    log_write_parts(LOG_LEVEL_WARN, dynbuf_str(&msg), err->detail, err->hint);
    dynbuf_free(&msg);
}
