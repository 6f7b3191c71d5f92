/*
 * src/config/config.c
 *     The settings table and the file, environment and command-line readers.
 *
 * Adding a setting: add its key to ConfigKey (config.h), its row to
 * config_defs below, and a line to docs/configuration.md.  The unit tests
 * check that every row is complete and that each file key is its env name
 * lower-cased.
 */
#include "centra/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "centra/log.h"
#include "centra/netaddr.h"
#include "centra/strutil.h"
#include "centra/utf8.h"

#define CONFIG_FILE_CAP (1024 * 1024) /* a config file is small; refuse anything bigger */
#define CONFIG_SHOW_MAX 120           /* longest value echoed in an error message */
#define SECOND          1000LL
#define MINUTE          (60 * SECOND)
#define HOUR            (60 * MINUTE)

static const char *const flavor_choices[] = {"soap", "navision", NULL};
static const char *const level_choices[] = {"error", "warn",  "info", "detail",
                                            "debug", "trace", NULL};
static const char *const format_choices[] = {"text", "json", NULL};
static const char *const onoff_choices[] = {"on", "off", NULL};
static const char *const malformed_choices[] = {"quarantine", "stop", NULL};

/* clang-format off */
static const ConfigDef config_defs[CONFIG_KEY_COUNT_] = {
    [CONFIG_CENTRA_URL] = {
        .key = "centra_url", .env = "CENTRA_URL", .type = CONFIG_TYPE_URL,
        .help = "Centra SOAP endpoint, e.g. "
                "https://example.centra.com/ams/system/service/module/soap/api"},
    [CONFIG_CENTRA_USERNAME] = {
        .key = "centra_username", .env = "CENTRA_USERNAME", .type = CONFIG_TYPE_STRING,
        .help = "SOAP API user name, sent in <login>"},
    [CONFIG_CENTRA_PASSWORD] = {
        .key = "centra_password", .env = "CENTRA_PASSWORD", .type = CONFIG_TYPE_STRING,
        .flags = CONFIG_FLAG_SECRET,
        .help = "SOAP API password, sent in <login>; never logged"},
    [CONFIG_CENTRA_FLAVOR] = {
        .key = "centra_flavor", .env = "CENTRA_FLAVOR", .type = CONFIG_TYPE_ENUM,
        .def = "soap", .choices = flavor_choices,
        .help = "API flavor: soap (current endpoint) or navision (legacy)"},
    [CONFIG_DATABASE_URL] = {
        .key = "database_url", .env = "DATABASE_URL", .type = CONFIG_TYPE_CONNINFO,
        .help = "libpq connection string or URI; unset: libpq's PG* variables apply"},
    [CONFIG_LOG_LEVEL] = {
        .key = "centra_log_level", .env = "CENTRA_LOG_LEVEL", .type = CONFIG_TYPE_ENUM,
        .def = "info", .choices = level_choices,
        .help = "log threshold: error, warn, info, detail, debug or trace"},
    [CONFIG_LOG_FORMAT] = {
        .key = "centra_log_format", .env = "CENTRA_LOG_FORMAT", .type = CONFIG_TYPE_ENUM,
        .def = "text", .choices = format_choices,
        .help = "log line format: text or json"},
    [CONFIG_DB_CONNECT_TIMEOUT] = {
        .key = "centra_db_connect_timeout", .env = "CENTRA_DB_CONNECT_TIMEOUT",
        .type = CONFIG_TYPE_DURATION, .def = "10s", .min = 1 * SECOND, .max = 10 * MINUTE,
        .help = "time limit for one attempt to connect to PostgreSQL"},
    [CONFIG_DB_STATEMENT_TIMEOUT] = {
        .key = "centra_db_statement_timeout", .env = "CENTRA_DB_STATEMENT_TIMEOUT",
        .type = CONFIG_TYPE_DURATION, .def = "5min", .min = 0, .max = 24 * HOUR,
        .help = "time limit for one SQL statement, then it is cancelled; 0 means none"},
    [CONFIG_DB_RETRIES] = {
        .key = "centra_db_retries", .env = "CENTRA_DB_RETRIES", .type = CONFIG_TYPE_INT,
        .def = "5", .min = 0, .max = 1000,
        .help = "how often to retry a lost or refused database connection"},
    [CONFIG_DB_RETRY_DELAY] = {
        .key = "centra_db_retry_delay", .env = "CENTRA_DB_RETRY_DELAY",
        .type = CONFIG_TYPE_DURATION, .def = "1s", .min = 10, .max = 10 * MINUTE,
        .help = "first delay between database retries; it doubles up to 30s"},
    [CONFIG_CA_FILE] = {
        .key = "centra_ca_file", .env = "CENTRA_CA_FILE", .type = CONFIG_TYPE_STRING,
        .help = "PEM file of the CA certificates that sign Centra's certificate (a private CA); "
                "unset: the system's CAs"},
    [CONFIG_TLS_VERIFY] = {
        .key = "centra_tls_verify", .env = "CENTRA_TLS_VERIFY", .type = CONFIG_TYPE_ENUM,
        .def = "on", .choices = onoff_choices,
        .help = "verify Centra's TLS certificate and host name; off only for tests"},
    [CONFIG_COMPRESSION] = {
        .key = "centra_compression", .env = "CENTRA_COMPRESSION", .type = CONFIG_TYPE_ENUM,
        .def = "on", .choices = onoff_choices,
        .help = "ask Centra for compressed answers (gzip, deflate, brotli, zstd); the "
                "size caps apply to the answer unpacked"},
    [CONFIG_CONNECT_TIMEOUT] = {
        .key = "centra_connect_timeout", .env = "CENTRA_CONNECT_TIMEOUT",
        .type = CONFIG_TYPE_DURATION, .def = "10s", .min = 1 * SECOND, .max = 10 * MINUTE,
        .help = "time limit for connecting to Centra"},
    [CONFIG_REQUEST_TIMEOUT] = {
        .key = "centra_request_timeout", .env = "CENTRA_REQUEST_TIMEOUT",
        .type = CONFIG_TYPE_DURATION, .def = "5min", .min = 1 * SECOND, .max = 24 * HOUR,
        .help = "time limit for one request to Centra, the whole answer included"},
    [CONFIG_RETRIES] = {
        .key = "centra_retries", .env = "CENTRA_RETRIES", .type = CONFIG_TYPE_INT,
        .def = "5", .min = 0, .max = 1000,
        .help = "how often a request that failed transiently (connection, timeout, HTTP 5xx or "
                "429, server fault) is retried"},
    [CONFIG_RETRY_DELAY] = {
        .key = "centra_retry_delay", .env = "CENTRA_RETRY_DELAY",
        .type = CONFIG_TYPE_DURATION, .def = "1s", .min = 10, .max = 10 * MINUTE,
        .help = "first delay between Centra retries; it doubles up to 1min, with jitter; "
                "a Retry-After from Centra wins when longer"},
    [CONFIG_RATE_LIMIT] = {
        .key = "centra_rate_limit", .env = "CENTRA_RATE_LIMIT", .type = CONFIG_TYPE_INT,
        .def = "0", .min = 0, .max = 10000,
        .help = "most requests per second sent to Centra, by all the processes of one command "
                "together (export --jobs, the workers of run); retries count; 0: no limit"},
    [CONFIG_TIMEZONE] = {
        .key = "centra_timezone", .env = "CENTRA_TIMEZONE", .type = CONFIG_TYPE_STRING,
        .def = "UTC",
        .help = "time zone of Centra dates written without one, e.g. Europe/Stockholm"},
    [CONFIG_EVENT_TYPES] = {
        .key = "centra_event_types", .env = "CENTRA_EVENT_TYPES", .type = CONFIG_TYPE_STRING,
        .def = "all",
        .help = "event types to import, comma-separated: all, or order, customer, account, ..."},
    [CONFIG_MARKETS] = {
        .key = "centra_markets", .env = "CENTRA_MARKETS", .type = CONFIG_TYPE_STRING,
        .help = "import only these market ids, comma-separated (events_GetByMarkets); unset: "
                "all markets"},
    [CONFIG_POLL_INTERVAL] = {
        .key = "centra_poll_interval", .env = "CENTRA_POLL_INTERVAL",
        .type = CONFIG_TYPE_DURATION, .def = "60s", .min = 1 * SECOND, .max = 24 * HOUR,
        .help = "import --follow: how long to wait after the queue was found empty (and the "
                "longest wait between tries while another importer holds the queue or Centra or "
                "the database is down); export --follow: the longest sleep without an outbox "
                "NOTIFY (an insert wakes it at once)"},
    [CONFIG_ON_MALFORMED] = {
        .key = "centra_on_malformed", .env = "CENTRA_ON_MALFORMED", .type = CONFIG_TYPE_ENUM,
        .def = "quarantine", .choices = malformed_choices,
        .help = "an event that cannot be parsed: quarantine it (store its bytes and acknowledge "
                "it) or stop (acknowledge nothing of that response)"},
    [CONFIG_MAX_RESPONSE_SIZE] = {
        .key = "centra_max_response_size", .env = "CENTRA_MAX_RESPONSE_SIZE",
        .type = CONFIG_TYPE_SIZE, .def = "512MB", .min = 64 * 1024,
        .max = 1024LL * 1024 * 1024,
        .help = "largest response accepted from Centra"},
    [CONFIG_MAX_TEXT_SIZE] = {
        .key = "centra_max_text_size", .env = "CENTRA_MAX_TEXT_SIZE",
        .type = CONFIG_TYPE_SIZE, .def = "8MB", .min = 1024, .max = 256LL * 1024 * 1024,
        .help = "largest text of one element (or one tag) in a response"},
    [CONFIG_MAX_DEPTH] = {
        .key = "centra_max_depth", .env = "CENTRA_MAX_DEPTH", .type = CONFIG_TYPE_INT,
        .def = "64", .min = 16, .max = 256,
        .help = "deepest element nesting accepted in a response"},
    [CONFIG_EXPORT_BATCH_SIZE] = {
        .key = "centra_export_batch_size", .env = "CENTRA_EXPORT_BATCH_SIZE",
        .type = CONFIG_TYPE_INT, .def = "100", .min = 1, .max = 1000,
        .help = "outbox messages of one operation sent together in one update request"},
    [CONFIG_EXPORT_MAX_ATTEMPTS] = {
        .key = "centra_export_max_attempts", .env = "CENTRA_EXPORT_MAX_ATTEMPTS",
        .type = CONFIG_TYPE_INT, .def = "10", .min = 1, .max = 1000,
        .help = "sends of a message that fail transiently (each with centra_retries retries) "
                "before it is marked failed"},
    [CONFIG_EXPORT_LEASE] = {
        .key = "centra_export_lease", .env = "CENTRA_EXPORT_LEASE",
        .type = CONFIG_TYPE_DURATION, .def = "10min", .min = 10 * SECOND, .max = 24 * HOUR,
        .help = "how long an exporter holds the messages it claimed; after that another "
                "exporter takes over the messages of one that died"},
    [CONFIG_EXPORT_BACKOFF_MAX] = {
        .key = "centra_export_backoff_max", .env = "CENTRA_EXPORT_BACKOFF_MAX",
        .type = CONFIG_TYPE_DURATION, .def = "1h", .min = 1 * SECOND, .max = 7 * 24 * HOUR,
        .help = "longest wait before a message that failed transiently is sent again (the "
                "wait starts at centra_retry_delay and doubles)"},
    [CONFIG_LOG_FILE] = {
        .key = "centra_log_file", .env = "CENTRA_LOG_FILE", .type = CONFIG_TYPE_STRING,
        .help = "append the log to this file instead of stderr; reopened on SIGHUP (for "
                "logrotate); unset: stderr (the journal under systemd)"},
    [CONFIG_METRICS_LISTEN] = {
        .key = "centra_metrics_listen", .env = "CENTRA_METRICS_LISTEN",
        .type = CONFIG_TYPE_LISTEN,
        .help = "run: serve Prometheus metrics (/metrics) and /healthz on this address:port, "
                "e.g. 127.0.0.1:9470; unset: no endpoint"},
    [CONFIG_ARCHIVE_DIR] = {
        .key = "centra_archive_dir", .env = "CENTRA_ARCHIVE_DIR", .type = CONFIG_TYPE_STRING,
        .help = "import: keep every events_Get answer that held events in a file of this "
                "directory, on disk before it is acknowledged (for \"load\" after a restore); "
                "unset: none"},
};
/* clang-format on */

typedef struct ConfigValue {
    char *text;          /* value as given; NULL when unset */
    long long num;       /* INT/DURATION/SIZE value, ENUM index */
    ConfigSource source; /* where it comes from */
    char *origin;        /* description of the source */
} ConfigValue;

struct Config {
    ConfigValue values[CONFIG_KEY_COUNT_]; /* indexed by ConfigKey */
};

const ConfigDef *
config_def(ConfigKey key)
{
    if ((unsigned)key >= (unsigned)CONFIG_KEY_COUNT_)
        return NULL;
    return &config_defs[key];
}

bool
config_key_lookup(const char *key, ConfigKey *out)
{
    for (size_t i = 0; i < CONFIG_KEY_COUNT_; i++) {
        if (strcmp(config_defs[i].key, key) == 0) {
            *out = (ConfigKey)i;
            return true;
        }
    }
    return false;
}

static void
value_assign(ConfigValue *v, const char *text, long long num, ConfigSource source,
             const char *origin)
{
    xfree(v->text);
    xfree(v->origin);
    v->text = xstrdup(text);
    v->num = num;
    v->source = source;
    v->origin = xstrdup(origin);
}

/*
 * Quote text for an error message: redacted, control characters written as
 * \n, \t, \r or \xNN (a newline would start what looks like another log
 * line), shortened if long.
 */
static void
show_value(const char *text, char *buf, size_t size)
{
    char *red = log_redact(text);
    size_t n = 0;

    for (const unsigned char *p = (const unsigned char *)red; *p != '\0' && n + 5 < size; p++) {
        const char *esc = *p == '\n' ? "\\n" : *p == '\t' ? "\\t" : *p == '\r' ? "\\r" : NULL;

        if (n >= CONFIG_SHOW_MAX) {
            n += (size_t)snprintf(buf + n, size - n, "...");
            break;
        }
        if (esc != NULL)
            n += (size_t)snprintf(buf + n, size - n, "%s", esc);
        else if (*p < 0x20 || *p == 0x7F)
            n += (size_t)snprintf(buf + n, size - n, "\\x%02X", *p);
        else
            buf[n++] = (char)*p;
    }
    buf[n < size ? n : size - 1] = '\0';
    xfree(red);
}

static ErrKind
invalid_value(Error *err, const ConfigDef *d, const char *text, const char *origin,
              const char *allowed)
{
    char shown[CONFIG_SHOW_MAX + 16];

    if (d->flags & CONFIG_FLAG_SECRET) {
        err_set(err, ERR_CONFIG, "invalid value for setting \"%s\"", d->key);
    } else {
        show_value(text, shown, sizeof(shown));
        err_set(err, ERR_CONFIG, "invalid value for setting \"%s\": \"%s\"", d->key, shown);
    }
    err_detail(err, "%s The value comes from %s.", allowed, origin);
    return ERR_CONFIG;
}

static ErrKind
parse_url(const ConfigDef *d, const char *text, const char *origin, Error *err)
{
    const char *rest;
    size_t hostlen;

    if (strncasecmp(text, "https://", 8) == 0)
        rest = text + 8;
    else if (strncasecmp(text, "http://", 7) == 0)
        rest = text + 7;
    else
        return invalid_value(err, d, text, origin,
                             "The URL must start with \"https://\" or \"http://\".");
    hostlen = strcspn(rest, "/?#");
    if (hostlen == 0 || strcspn(text, " \t\r\n") != strlen(text))
        return invalid_value(err, d, text, origin,
                             "The URL must name a host and may not contain spaces.");
    if (memchr(rest, '@', hostlen) != NULL) {
        invalid_value(err, d, text, origin, "The URL may not contain a user name or password.");
        err_hint(err, "Set the user name in CENTRA_USERNAME and the password in CENTRA_PASSWORD.");
        return ERR_CONFIG;
    }
    return ERR_OK;
}

static ErrKind
parse_enum(const ConfigDef *d, const char *text, const char *origin, long long *num, Error *err)
{
    char allowed[256];
    char sentence[320];
    size_t n = 0;

    for (; d->choices[n] != NULL; n++) {
        if (strcasecmp(text, d->choices[n]) == 0) {
            *num = (long long)n;
            return ERR_OK;
        }
    }
    str_join_quoted(d->choices, n, allowed, sizeof(allowed));
    snprintf(sentence, sizeof(sentence), "Valid values are %s.", allowed);
    return invalid_value(err, d, text, origin, sentence);
}

static ErrKind
parse_number(const ConfigDef *d, const char *text, const char *origin, long long *num, Error *err)
{
    char sentence[256];
    bool ok;

    if (d->type == CONFIG_TYPE_SIZE) {
        char lo[32];
        char hi[32];

        ok = str_to_size(text, num);
        snprintf(
            sentence, sizeof(sentence),
            "Valid values are sizes between %s and %s, written as a whole number with an optional "
            "unit B, kB, MB or GB (no unit means bytes).",
            str_format_size(d->min, lo, sizeof(lo)), str_format_size(d->max, hi, sizeof(hi)));
    } else if (d->type == CONFIG_TYPE_DURATION) {
        char lo[32];
        char hi[32];

        ok = str_to_duration_ms(text, num);
        snprintf(sentence, sizeof(sentence),
                 "Valid values are durations between %s and %s, written as a whole number with an "
                 "optional unit ms, s, min or h (no unit means seconds).",
                 str_format_duration(d->min, lo, sizeof(lo)),
                 str_format_duration(d->max, hi, sizeof(hi)));
    } else {
        ok = str_to_ll(text, num);
        snprintf(sentence, sizeof(sentence), "Valid values are integers between %lld and %lld.",
                 d->min, d->max);
    }
    if (!ok || *num < d->min || *num > d->max)
        return invalid_value(err, d, text, origin, sentence);
    return ERR_OK;
}

ErrKind
config_set(Config *cfg, ConfigKey key, const char *text, ConfigSource source, const char *origin,
           Error *err)
{
    const ConfigDef *d = config_def(key);
    long long num = 0;
    ErrKind rc = ERR_OK;
    char empty_origin[1024];

    if (d == NULL)
        return err_set(err, ERR_INTERNAL, "unknown setting number %d", (int)key);
    if (text == NULL || text[0] == '\0') {
        /* Explicitly empty: back to the default (which may be "unset"), and say so. */
        if (source != CONFIG_SOURCE_DEFAULT) {
            snprintf(empty_origin, sizeof(empty_origin), "the default (empty in %s)", origin);
            origin = empty_origin;
            source = CONFIG_SOURCE_DEFAULT;
        }
        text = d->def;
        if (text == NULL) {
            value_assign(&cfg->values[key], NULL, 0, source, origin);
            return ERR_OK;
        }
    }
    switch (d->type) {
    case CONFIG_TYPE_STRING:
    case CONFIG_TYPE_CONNINFO:
        break;
    case CONFIG_TYPE_URL:
        rc = parse_url(d, text, origin, err);
        break;
    case CONFIG_TYPE_LISTEN: {
        struct sockaddr_in addr;
        const char *why;

        if (!net_parse_listen(text, &addr, &why))
            rc = invalid_value(err, d, text, origin, why);
        break;
    }
    case CONFIG_TYPE_ENUM:
        rc = parse_enum(d, text, origin, &num, err);
        if (rc == ERR_OK)
            text = d->choices[num]; /* canonical spelling */
        break;
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_DURATION:
    case CONFIG_TYPE_SIZE:
        rc = parse_number(d, text, origin, &num, err);
        break;
    }
    if (rc != ERR_OK)
        return rc;
    if (d->flags & CONFIG_FLAG_SECRET)
        log_add_secret(text);
    value_assign(&cfg->values[key], text, num, source, origin);
    return ERR_OK;
}

Config *
config_new(void)
{
    Config *cfg = xcalloc(1, sizeof(Config));

    for (size_t i = 0; i < CONFIG_KEY_COUNT_; i++) {
        Error err;

        err_reset(&err);
        if (config_set(cfg, (ConfigKey)i, NULL, CONFIG_SOURCE_DEFAULT, "the default", &err) !=
            ERR_OK) {
            /* A bad built-in default is a bug the unit tests catch. */
            log_report(LOG_LEVEL_ERROR, &err);
        }
    }
    return cfg;
}

void
config_free(Config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < CONFIG_KEY_COUNT_; i++) {
        xfree(cfg->values[i].text);
        xfree(cfg->values[i].origin);
    }
    xfree(cfg);
}

/* ---------------------------------------------------------------------------
 * Config file
 * ------------------------------------------------------------------------- */

typedef struct FileState {
    const char *path;                /* file name for messages */
    int set_line[CONFIG_KEY_COUNT_]; /* line that set each key, 0 = none */
    bool holds_secret;               /* a password was found */
} FileState;

static ErrKind
read_file(int fd, const char *path, DynBuf *buf, Error *err)
{
    char chunk[4096];
    char ebuf[128];

    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return err_set(err, ERR_CONFIG, "could not read config file \"%s\": %s", path,
                           str_errno(errno, ebuf, sizeof(ebuf)));
        if (n == 0)
            return ERR_OK;
        if (dynbuf_add(buf, chunk, (size_t)n) != ERR_OK) {
            err_set(err, ERR_CONFIG, "config file \"%s\" is too large", path);
            err_detail(err, "The limit is %d bytes.", CONFIG_FILE_CAP);
            return ERR_CONFIG;
        }
    }
}

static char *
trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

static ErrKind
syntax_error(Error *err, const FileState *st, int lineno, const char *what)
{
    /* Never echo the line: it may hold a password. */
    err_set(err, ERR_CONFIG, "syntax error in config file \"%s\" line %d", st->path, lineno);
    err_detail(err, "%s", what);
    err_hint(err, "Lines have the form \"key = value\"; whole lines starting with \"#\" are "
                  "comments.");
    return ERR_CONFIG;
}

/*
 * Unquote a value in place that starts with a single or double quote, as
 * systemd reads an EnvironmentFile (so one file can serve as both): inside
 * single quotes every character stands for itself; inside double quotes a
 * backslash before one of " \ ` $ stands for that character and any other
 * backslash is kept.  The closing quote must end the value (trailing blanks
 * aside).  Returns false if it does not.
 */
static bool
unquote(char *v)
{
    char quote = v[0];
    char *out = v;
    char *in = v + 1;

    while (*in != '\0' && *in != quote) {
        if (quote == '"' && *in == '\\' && in[1] != '\0' && strchr("\"\\`$", in[1]) != NULL)
            in++;
        *out++ = *in++;
    }
    if (*in != quote)
        return false;
    in++;
    while (*in == ' ' || *in == '\t')
        in++;
    *out = '\0';
    return *in == '\0';
}

static ErrKind
unknown_key(Error *err, const FileState *st, int lineno, const char *key)
{
    const char *names[CONFIG_KEY_COUNT_];
    const char *close;

    for (size_t i = 0; i < CONFIG_KEY_COUNT_; i++)
        names[i] = config_defs[i].key;
    close = str_closest(key, names, CONFIG_KEY_COUNT_);
    err_set(err, ERR_CONFIG, "unrecognized setting \"%s\" in config file \"%s\" line %d", key,
            st->path, lineno);
    if (str_starts_with(key, "pg")) {
        /* A line of a systemd EnvironmentFile such as PGPASSWORD=... */
        err_detail(err, "libpq reads its PG* variables (PGPASSWORD, PGHOST, ...) from the "
                        "environment only, never from a config file.");
        err_hint(err, "Set it in the environment, for example in the systemd EnvironmentFile, or "
                      "use database_url or a ~/.pgpass file.");
    } else if (close != NULL)
        err_hint(err, "Did you mean \"%s\"?", close);
    else
        err_hint(err, "Run \"centra-bridge config\" to list the settings.");
    return ERR_CONFIG;
}

static bool
holds_password(ConfigKey key, const char *value)
{
    char *red;
    bool differs;

    if (config_defs[key].flags & CONFIG_FLAG_SECRET)
        return value[0] != '\0';
    if (config_defs[key].type != CONFIG_TYPE_CONNINFO)
        return false;
    red = log_redact(value);
    differs = strcmp(red, value) != 0;
    xfree(red);
    return differs;
}

static ErrKind
parse_line(Config *cfg, FileState *st, char *line, int lineno, Error *err)
{
    char *eq;
    char *key;
    char *value;
    char origin[512];
    ConfigKey k;

    line = trim(line);
    if (line[0] == '\0' || line[0] == '#')
        return ERR_OK;
    /* The file is UTF-8, as every value is: a Latin-1 file says so here, not at use. */
    if (!utf8_is_valid(line, strlen(line))) {
        ErrKind rc = syntax_error(err, st, lineno, "The line is not valid UTF-8.");

        err_hint(err, "Save the file as UTF-8: \"iconv -f LATIN1 -t UTF-8\" converts a Latin-1 "
                      "file, say.");
        return rc;
    }
    eq = strchr(line, '=');
    if (eq == NULL)
        return syntax_error(err, st, lineno, "The line has no \"=\".");
    *eq = '\0';
    key = trim(line);
    value = trim(eq + 1);
    if (key[0] == '\0')
        return syntax_error(err, st, lineno, "The line has no key before \"=\".");
    for (char *p = key; *p != '\0'; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return syntax_error(err, st, lineno,
                                "Keys consist of letters, digits and underscores.");
    }
    if ((value[0] == '"' || value[0] == '\'') && !unquote(value))
        return syntax_error(err, st, lineno,
                            "A quoted value must end with a closing quote and nothing after it.");
    if (!config_key_lookup(key, &k))
        return unknown_key(err, st, lineno, key);
    if (st->set_line[k] != 0) {
        err_set(err, ERR_CONFIG, "setting \"%s\" appears twice in config file \"%s\"", key,
                st->path);
        err_detail(err, "Lines %d and %d both set it.", st->set_line[k], lineno);
        return ERR_CONFIG;
    }
    st->set_line[k] = lineno;
    st->holds_secret |= holds_password(k, value);
    snprintf(origin, sizeof(origin), "config file \"%s\" line %d", st->path, lineno);
    return config_set(cfg, k, value, CONFIG_SOURCE_FILE, origin, err);
}

static ErrKind
parse_file(Config *cfg, FileState *st, char *text, Error *err)
{
    char *line = text;
    int lineno = 0;

    if (str_starts_with(line, "\xEF\xBB\xBF")) /* UTF-8 byte order mark */
        line += 3;
    while (line != NULL) {
        char *nl = strchr(line, '\n');
        ErrKind rc;

        if (nl != NULL)
            *nl = '\0';
        lineno++;
        rc = parse_line(cfg, st, line, lineno, err);
        if (rc != ERR_OK)
            return rc;
        line = nl != NULL ? nl + 1 : NULL;
    }
    return ERR_OK;
}

ErrKind
config_load_file(Config *cfg, const char *path, Error *err)
{
    FileState st;
    struct stat sb;
    DynBuf buf;
    char ebuf[128];
    ErrKind rc;
    int fd;

    memset(&st, 0, sizeof(st));
    st.path = path;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, ERR_CONFIG, "could not open config file \"%s\": %s", path,
                       str_errno(errno, ebuf, sizeof(ebuf)));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return err_set(err, ERR_CONFIG, "config file \"%s\" is not a regular file", path);
    }
    dynbuf_init(&buf, CONFIG_FILE_CAP);
    rc = read_file(fd, path, &buf, err);
    close(fd);
    if (rc == ERR_OK) {
        if (memchr(dynbuf_str(&buf), '\0', dynbuf_len(&buf)) != NULL) {
            rc = err_set(err, ERR_CONFIG, "config file \"%s\" contains a NUL byte", path);
            err_detail(err, "A config file is a text file.");
        } else {
            char *text = dynbuf_take(&buf);

            rc = parse_file(cfg, &st, text, err);
            xfree(text);
        }
    }
    dynbuf_free(&buf);
    if (rc == ERR_OK && st.holds_secret && (sb.st_mode & (S_IRGRP | S_IROTH)) != 0) {
        err_set(err, ERR_CONFIG,
                "config file \"%s\" holds a password but is readable by group or others", path);
        err_detail(err, "Its permissions are %04o.", (unsigned)(sb.st_mode & 07777));
        err_hint(err,
                 "Make it readable by its owner only (chmod 600 '%s'), or pass the password in "
                 "the environment (CENTRA_PASSWORD, or PGPASSWORD or a ~/.pgpass file for the "
                 "database).",
                 path);
        rc = ERR_CONFIG;
    }
    return rc;
}

/* ---------------------------------------------------------------------------
 * Environment
 * ------------------------------------------------------------------------- */

ErrKind
config_load_env(Config *cfg, Error *err)
{
    for (size_t i = 0; i < CONFIG_KEY_COUNT_; i++) {
        const char *v = getenv(config_defs[i].env);
        char origin[128];
        ErrKind rc;

        if (v == NULL || v[0] == '\0')
            continue;
        snprintf(origin, sizeof(origin), "environment variable %s", config_defs[i].env);
        rc = config_set(cfg, (ConfigKey)i, v, CONFIG_SOURCE_ENV, origin, err);
        if (rc != ERR_OK)
            return rc;
    }
    return ERR_OK;
}

extern char **environ;

int
config_warn_unknown_env(void)
{
    const char *envs[CONFIG_KEY_COUNT_];
    int warnings = 0;

    for (size_t i = 0; i < CONFIG_KEY_COUNT_; i++)
        envs[i] = config_defs[i].env;
    for (char **e = environ; e != NULL && *e != NULL; e++) {
        char name[128];
        size_t len = strcspn(*e, "=");
        const char *close;
        bool known = false;

        if (!str_starts_with(*e, "CENTRA_") || len >= sizeof(name))
            continue;
        memcpy(name, *e, len);
        name[len] = '\0';
        for (size_t i = 0; i < CONFIG_KEY_COUNT_ && !known; i++)
            known = strcmp(name, envs[i]) == 0;
        if (known)
            continue;
        close = str_closest(name, envs, CONFIG_KEY_COUNT_);
        if (close != NULL)
            log_warn("ignoring unknown environment variable %s (did you mean %s?)", name, close);
        else
            log_warn("ignoring unknown environment variable %s", name);
        warnings++;
    }
    return warnings;
}

/* ---------------------------------------------------------------------------
 * Accessors
 * ------------------------------------------------------------------------- */

const char *
config_get_str(const Config *cfg, ConfigKey key)
{
    if ((unsigned)key >= (unsigned)CONFIG_KEY_COUNT_)
        return NULL;
    return cfg->values[key].text;
}

long long
config_get_int(const Config *cfg, ConfigKey key)
{
    if ((unsigned)key >= (unsigned)CONFIG_KEY_COUNT_)
        return 0;
    return cfg->values[key].num;
}

ConfigSource
config_get_source(const Config *cfg, ConfigKey key)
{
    if ((unsigned)key >= (unsigned)CONFIG_KEY_COUNT_)
        return CONFIG_SOURCE_DEFAULT;
    return cfg->values[key].source;
}

const char *
config_get_origin(const Config *cfg, ConfigKey key)
{
    if ((unsigned)key >= (unsigned)CONFIG_KEY_COUNT_ || cfg->values[key].origin == NULL)
        return "the default";
    return cfg->values[key].origin;
}

ErrKind
config_require(const Config *cfg, ConfigKey key, Error *err)
{
    const ConfigDef *d = config_def(key);

    if (d == NULL)
        return err_set(err, ERR_INTERNAL, "unknown setting number %d", (int)key);
    if (cfg->values[key].text != NULL)
        return ERR_OK;
    err_set(err, ERR_CONFIG, "setting \"%s\" is not set", d->key);
    err_detail(err, "%s: %s.", d->env, d->help);
    err_hint(err, "Set the environment variable %s, or \"%s\" in the file given with --config.",
             d->env, d->key);
    return ERR_CONFIG;
}

void
config_dump(const Config *cfg, FILE *out)
{
    fprintf(out, "%-28s %-48s %s\n", "SETTING", "VALUE", "SOURCE");
    for (size_t i = 0; i < CONFIG_KEY_COUNT_; i++) {
        const ConfigValue *v = &cfg->values[i];
        char *shown;

        if (v->text == NULL)
            shown =
                xstrdup(i == CONFIG_DATABASE_URL ? "(not set: PG* variables apply)" : "(not set)");
        else if (config_defs[i].flags & CONFIG_FLAG_SECRET)
            shown = xstrdup("<redacted>");
        else
            shown = log_redact(v->text);
        fprintf(out, "%-28s %-48s %s\n", config_defs[i].key, shown,
                config_get_origin(cfg, (ConfigKey)i));
        xfree(shown);
    }
}

void
config_print_settings(FILE *out)
{
    for (size_t i = 0; i < CONFIG_KEY_COUNT_; i++) {
        const ConfigDef *d = &config_defs[i];
        char lo[32];
        char hi[32];
        char allowed[256];

        fprintf(out, "  %-28s %s\n", d->env, d->help);
        fprintf(out, "  %-28s ", "");
        if (d->def != NULL)
            fprintf(out, "default: %s", d->def);
        else
            fprintf(out, "no default");
        switch (d->type) {
        case CONFIG_TYPE_ENUM: {
            size_t n = 0;

            while (d->choices[n] != NULL)
                n++;
            fprintf(out, "; one of %s", str_join_quoted(d->choices, n, allowed, sizeof(allowed)));
            break;
        }
        case CONFIG_TYPE_INT:
            fprintf(out, "; %lld to %lld", d->min, d->max);
            break;
        case CONFIG_TYPE_DURATION:
            fprintf(out, "; %s to %s", str_format_duration(d->min, lo, sizeof(lo)),
                    str_format_duration(d->max, hi, sizeof(hi)));
            break;
        case CONFIG_TYPE_SIZE:
            fprintf(out, "; %s to %s", str_format_size(d->min, lo, sizeof(lo)),
                    str_format_size(d->max, hi, sizeof(hi)));
            break;
        default:
            break;
        }
        if (d->flags & CONFIG_FLAG_SECRET)
            fprintf(out, "; secret");
        fputc('\n', out);
    }
}
