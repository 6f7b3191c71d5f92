/*
 * include/centra/config.h
 *     Configuration: one declarative table of every setting, read from
 *     defaults, then a config file, then the environment, then the command
 *     line (each later source overrides the earlier ones).
 *
 * Config file syntax: "key = value" lines, keys being the environment names
 * lower-cased; whole-line "#" comments; a value may be double-quoted (with \"
 * and \\ escapes) to keep surrounding spaces.  A "#" inside a value is part of
 * it, because passwords may contain one.  An empty value means "not set".
 *
 * Secrets (the Centra password, and the password inside DATABASE_URL) never
 * appear in errors or dumps, are registered with the logger for redaction,
 * and a config file that holds one must not be readable by group or others.
 */
#ifndef CENTRA_CONFIG_H
#define CENTRA_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "centra/attrs.h"
#include "centra/error.h"

typedef enum ConfigKey {
    CONFIG_CENTRA_URL,           /* SOAP endpoint */
    CONFIG_CENTRA_USERNAME,      /* SOAP login user */
    CONFIG_CENTRA_PASSWORD,      /* SOAP login password (secret) */
    CONFIG_CENTRA_FLAVOR,        /* soap | navision */
    CONFIG_DATABASE_URL,         /* libpq conninfo or URI; unset: PG* variables */
    CONFIG_LOG_LEVEL,            /* error .. trace */
    CONFIG_LOG_FORMAT,           /* text | json */
    CONFIG_DB_CONNECT_TIMEOUT,   /* per connection attempt, ms */
    CONFIG_DB_STATEMENT_TIMEOUT, /* per statement, ms; 0 = none */
    CONFIG_DB_RETRIES,           /* connection attempts after the first */
    CONFIG_DB_RETRY_DELAY,       /* first backoff delay, ms */
    CONFIG_CA_FILE,              /* PEM CA bundle for CENTRA_URL */
    CONFIG_TLS_VERIFY,           /* on | off */
    CONFIG_COMPRESSION,          /* on | off: ask Centra for compressed answers */
    CONFIG_CONNECT_TIMEOUT,      /* Centra: per connection attempt, ms */
    CONFIG_REQUEST_TIMEOUT,      /* Centra: per request, ms */
    CONFIG_RETRIES,              /* Centra: attempts after the first */
    CONFIG_RETRY_DELAY,          /* Centra: first backoff delay, ms */
    CONFIG_RATE_LIMIT,           /* Centra: most requests per second; 0 = none */
    CONFIG_TIMEZONE,             /* zone of Centra dates written without one */
    CONFIG_EVENT_TYPES,          /* comma list of event types to fetch */
    CONFIG_MARKETS,              /* comma list of market ids (events_GetByMarkets) */
    CONFIG_POLL_INTERVAL,        /* import --follow: wait when the queue is empty, ms */
    CONFIG_ON_MALFORMED,         /* quarantine | stop */
    CONFIG_MAX_RESPONSE_SIZE,    /* bytes */
    CONFIG_MAX_TEXT_SIZE,        /* bytes of one text node or token */
    CONFIG_MAX_DEPTH,            /* element nesting */
    CONFIG_EXPORT_BATCH_SIZE,    /* outbox messages per update request */
    CONFIG_EXPORT_MAX_ATTEMPTS,  /* sends of a message before it fails for good */
    CONFIG_EXPORT_LEASE,         /* how long a claimed message is held, ms */
    CONFIG_EXPORT_BACKOFF_MAX,   /* longest wait before a message is tried again, ms */
    CONFIG_LOG_FILE,             /* append logs here instead of stderr; reopened on SIGHUP */
    CONFIG_METRICS_LISTEN,       /* run: address:port of the metrics endpoint; unset: none */
    CONFIG_ARCHIVE_DIR,          /* import: keep every events_Get answer here; unset: none */
    CONFIG_KEY_COUNT_            /* not a key: the number of settings */
} ConfigKey;

typedef enum ConfigType {
    CONFIG_TYPE_STRING,   /* any text */
    CONFIG_TYPE_URL,      /* http:// or https:// URL without credentials */
    CONFIG_TYPE_CONNINFO, /* libpq conninfo or URI (checked when connecting) */
    CONFIG_TYPE_ENUM,     /* one of choices; number = index */
    CONFIG_TYPE_INT,      /* integer in [min, max] */
    CONFIG_TYPE_DURATION, /* integer with unit, in ms in [min, max] */
    CONFIG_TYPE_SIZE,     /* integer with unit B, kB, MB, GB, in bytes in [min, max] */
    CONFIG_TYPE_LISTEN    /* IPv4 ADDRESS:PORT to listen on (netaddr.h) */
} ConfigType;

typedef enum ConfigSource {
    CONFIG_SOURCE_DEFAULT, /* built-in default (or unset) */
    CONFIG_SOURCE_FILE,    /* --config FILE */
    CONFIG_SOURCE_ENV,     /* environment variable */
    CONFIG_SOURCE_CLI      /* command-line option */
} ConfigSource;

#define CONFIG_FLAG_SECRET 0x1u /* value never shown */

typedef struct ConfigDef {
    const char *key;            /* file key: env name lower-cased */
    const char *env;            /* environment variable */
    ConfigType type;            /* how the value is parsed */
    const char *def;            /* default as text; NULL = unset */
    long long min;              /* INT: smallest value; DURATION: in ms */
    long long max;              /* INT: largest value; DURATION: in ms */
    const char *const *choices; /* ENUM: NULL-terminated list */
    unsigned flags;             /* CONFIG_FLAG_* */
    const char *help;           /* one line for --help and docs */
} ConfigDef;

typedef struct Config Config;

/* The definition of key (never NULL for a valid key). */
const ConfigDef *config_def(ConfigKey key);

/* Find a setting by file key ("centra_url"); false if unknown. */
bool config_key_lookup(const char *key, ConfigKey *out);

/* New configuration holding the defaults.  Caller frees with config_free. */
Config *config_new(void);

/* Free cfg; config_free(NULL) is a no-op. */
void config_free(Config *cfg);

/*
 * Read a config file.  Errors (ERR_CONFIG): unreadable file, syntax error,
 * unknown or repeated key, invalid value, a password in a file readable by
 * group or others.  Messages name the file and line.
 */
ErrKind config_load_file(Config *cfg, const char *path, Error *err) CB_MUSTCHECK;

/*
 * Read every setting's environment variable (empty means unset).  Returns
 * ERR_CONFIG on an invalid value.
 */
ErrKind config_load_env(Config *cfg, Error *err) CB_MUSTCHECK;

/*
 * Log a warning for each CENTRA_* environment variable that is not a setting
 * (a typo such as CENTRA_PASWORD would otherwise be ignored silently), with a
 * suggestion when one is close.  Returns the number of warnings.
 */
int config_warn_unknown_env(void);

/*
 * Set key from text, validating it.  NULL or "" means the default (or unset
 * when there is none): its source is then CONFIG_SOURCE_DEFAULT and its
 * origin "the default (empty in ORIGIN)".  origin describes
 * where the value comes from for messages, e.g. "option --log-format".
 * Returns ERR_CONFIG with the setting's name, the value (unless secret) and
 * the allowed values or range.
 */
ErrKind config_set(Config *cfg, ConfigKey key, const char *text, ConfigSource source,
                   const char *origin, Error *err) CB_MUSTCHECK;

/* Value of a text setting; NULL when unset.  Owned by cfg. */
const char *config_get_str(const Config *cfg, ConfigKey key);

/* Value of an INT, DURATION (ms), SIZE (bytes) or ENUM (index) setting; 0 when unset. */
long long config_get_int(const Config *cfg, ConfigKey key);

/* Where the current value of key comes from. */
ConfigSource config_get_source(const Config *cfg, ConfigKey key);

/* Human description of that origin, e.g. "environment variable CENTRA_URL". */
const char *config_get_origin(const Config *cfg, ConfigKey key);

/*
 * ERR_OK if key is set; otherwise ERR_CONFIG saying how to set it.  Commands
 * call this for the settings they need.
 */
ErrKind config_require(const Config *cfg, ConfigKey key, Error *err) CB_MUSTCHECK;

/* Print every setting with its value (secrets redacted) and origin. */
void config_dump(const Config *cfg, FILE *out);

/* Print the list of settings: name, meaning, default and allowed values. */
void config_print_settings(FILE *out);

#endif /* CENTRA_CONFIG_H */
