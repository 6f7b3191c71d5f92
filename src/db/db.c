/*
 * src/db/db.c
 *     libpq wrapper: connections with retries, deadlines, classification.
 *
 * Design constraints:
 * - Only this file includes libpq-fe.h (STYLE 10), so the unit tests can link
 *   a scripted fake libpq in its place.
 * - Statements are sent asynchronously and awaited with poll() against a
 *   deadline; on expiry the statement is cancelled with PQcancel and, if the
 *   server does not answer the cancel within CANCEL_GRACE_MS, the connection
 *   is treated as lost.
 * - Every PGresult is cleared in the function that received it, except the
 *   one handed to the caller inside a DbResult.
 */
#include "centra/db.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/dynbuf.h"
#include "centra/log.h"
#include "centra/signals.h"
#include "centra/sqlscript.h"
#include "centra/strutil.h"

#define CANCEL_GRACE_MS  5000  /* default wait for a cancelled statement */
#define RETRY_CAP_MS     30000 /* longest backoff between attempts */
#define SQL_SHOWN_MAX    2000  /* longest SQL text quoted in an error detail */
#define LINE_SHOWN_MAX   200   /* longest script line quoted in an error detail */
#define ATTEMPT_LOG_CAP  3500  /* room for the attempt list in a detail */
#define APPLICATION_NAME "centra-bridge"

typedef struct DbStmt {
    char *name;     /* statement name */
    char *sql;      /* its text */
    int nparams;    /* number of parameters */
    unsigned epoch; /* connection epoch it was prepared on; 0 = never */
} DbStmt;

struct DbConn {
    PGconn *conn;        /* the libpq connection; NULL while down */
    DbOptions opts;      /* options; conninfo points at conninfo_copy */
    char *conninfo_copy; /* owned copy of the conninfo */
    unsigned epoch;      /* bumped on every (re)connect */
    DbStmt *stmts;       /* registered prepared statements */
    size_t nstmts;       /* used entries of stmts */
    size_t stmts_alloc;  /* allocated entries of stmts */
    bool txn_open;       /* BEGIN sent and not yet ended by COMMIT/ROLLBACK */
    bool gave_up;        /* the last attempt to connect used up its retries */
    uint64_t rng;        /* backoff jitter state */
    char describe[512];  /* "database "x" on host:port as user "y"" */
};

struct DbResult {
    PGresult *pg; /* owned */
};

typedef enum QueryMode {
    QUERY_SIMPLE,  /* PQsendQuery: any number of statements */
    QUERY_PARAMS,  /* PQsendQueryParams */
    QUERY_PREPARE, /* PQsendPrepare */
    QUERY_PREPARED /* PQsendQueryPrepared */
} QueryMode;

typedef struct Query {
    QueryMode mode;            /* how to send it */
    const char *sql;           /* SQL text, or the statement name for PREPARED */
    const char *shown;         /* SQL text for messages */
    const char *name;          /* statement name for PREPARE/PREPARED */
    int nparams;               /* parameter count */
    const char *const *params; /* parameter values */
    long long timeout_ms;      /* deadline; 0 = none */
    DbScriptPos *where;        /* a script (db_exec_script): where its error is; else NULL */
} Query;

/* ---------------------------------------------------------------------------
 * Classification
 * ------------------------------------------------------------------------- */

/* Whether sqlstate is 25006: a write refused, the transaction being read-only. */
static bool
is_read_only_state(const char *sqlstate)
{
    return sqlstate != NULL && strcmp(sqlstate, "25006") == 0;
}

ErrKind
db_classify_sqlstate(const char *sqlstate, bool conn_lost)
{
    if (conn_lost)
        return ERR_DB_CONNECTION;
    if (sqlstate == NULL || strlen(sqlstate) != 5)
        return ERR_DB_QUERY;
    if (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0 ||
        strcmp(sqlstate, "55P03") == 0)
        return ERR_DB_CONFLICT;
    if (strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 ||
        strcmp(sqlstate, "57P02") == 0 || strcmp(sqlstate, "57P03") == 0 ||
        strcmp(sqlstate, "53300") == 0)
        return ERR_DB_CONNECTION;
    if (strcmp(sqlstate, "57014") == 0)
        return ERR_DB_TIMEOUT;
    if (strncmp(sqlstate, "28", 2) == 0 || strcmp(sqlstate, "3D000") == 0)
        return ERR_DB_AUTH;
    /*
     * A read-only transaction: a standby (after a failover the address may
     * reach the new primary again) or default_transaction_read_only (read at
     * the start of a session): like a lost connection, connect again, with
     * backoff; persistent, it ends in 69 like an unreachable database.
     */
    if (is_read_only_state(sqlstate))
        return ERR_DB_CONNECTION;
    if (strcmp(sqlstate, "42501") == 0)
        return ERR_DB_PERMISSION;
    /* undefined table, schema, function, column: the schema is not (fully) migrated */
    if (strcmp(sqlstate, "42P01") == 0 || strcmp(sqlstate, "3F000") == 0 ||
        strcmp(sqlstate, "42883") == 0 || strcmp(sqlstate, "42703") == 0)
        return ERR_DB_SCHEMA;
    return ERR_DB_QUERY;
}

ErrKind
db_classify_connect_failure(const char *message, bool needs_password)
{
    /*
     * Refusals that waiting will not cure.  Anything else, including a FATAL
     * we do not recognise (a server with localized messages says "the
     * database system is starting up" in its own language), is retried: a
     * permanent refusal then costs the retries, a transient one is not
     * mistaken for a configuration error.
     */
    static const char *const permanent[] = {
        "password authentication failed",
        "authentication failed for user",
        "does not exist", /* database or role */
        "no pg_hba.conf entry",
        "pg_hba.conf rejects connection",
        "is not permitted to log in",
        "no password supplied",
        "permission denied for database",
        "must have CONNECT privilege",
        "server does not support SSL",
        "SSL is not enabled on the server",
        "certificate verify failed",
    };

    /* libpq refusing a connection option's value before it tries to connect. */
    static const char *const bad_option[] = {
        "invalid ",                       /* "invalid sslmode value: ...", "... port number" */
        "could not match ",               /* as many hosts as ports and hostaddrs */
        "could not parse network address" /* hostaddr */
    };

    if (needs_password)
        return ERR_DB_AUTH;
    if (message == NULL)
        return ERR_DB_CONNECTION;
    for (size_t i = 0; i < CB_LENGTH(bad_option); i++)
        if (str_starts_with(message, bad_option[i]))
            return ERR_CONFIG;
    if (strstr(message, " for connection option \"") != NULL) /* connect_timeout=x */
        return ERR_CONFIG;
    for (size_t i = 0; i < CB_LENGTH(permanent); i++)
        if (strstr(message, permanent[i]) != NULL)
            return ERR_DB_AUTH;
    return ERR_DB_CONNECTION;
}

/* ---------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------- */

/* libpq messages end with a newline; copy without it. */
static void
chomp_copy(char *dst, size_t size, const char *src)
{
    size_t len;

    snprintf(dst, size, "%s", src != NULL ? src : "");
    len = strlen(dst);
    while (len > 0 && (dst[len - 1] == '\n' || dst[len - 1] == ' '))
        dst[--len] = '\0';
}

static void
add_query_detail(Error *err, const char *sql)
{
    if (sql == NULL || sql[0] == '\0')
        return;
    if (strlen(sql) > SQL_SHOWN_MAX)
        err_detail_append(err, true, "Query was: %.*s...", SQL_SHOWN_MAX, sql);
    else
        err_detail_append(err, true, "Query was: %s", sql);
}

/*
 * For an error with a statement position (1-based character offset), say
 * which line of the SQL it is on and quote that line: far more useful than
 * the whole text of a long script such as a migration.
 */
static void
add_position_detail(Error *err, const char *sql, const char *position)
{
    long long pos;
    const char *line_start;
    size_t off;
    int line;
    int column;

    if (sql == NULL || position == NULL || !str_to_ll(position, &pos) || pos < 1)
        return;
    off = sqlscript_char_offset(sql, pos); /* pos counts characters, not bytes */
    sqlscript_line_of(sql, off, &line, &column);
    for (line_start = sql + off; line_start > sql && line_start[-1] != '\n'; line_start--)
        ;
    err_detail_append(err, true, "The error is at line %d: %.*s", line,
                      (int)strcspn(line_start, "\n"), line_start);
}

ErrKind
db_set_time_zone(DbConn *db, const char *zone, const char *origin, Error *err)
{
    char *lit = db_quote_literal(zone);
    DynBuf sql;
    ErrKind rc;

    dynbuf_init(&sql, 4096);
    (void)dynbuf_addf(&sql, "SET TIME ZONE %s", lit);
    rc = db_exec(db, sql.data, err);
    if (rc != ERR_OK && rc != ERR_DB_CONNECTION) {
        err_set(err, ERR_CONFIG, "invalid value for setting \"centra_timezone\": \"%s\"", zone);
        err_detail(err, "PostgreSQL does not know that time zone.%s%s%s",
                   origin != NULL ? " The value comes from " : "", origin != NULL ? origin : "",
                   origin != NULL ? "." : "");
        err_hint(err, "Use a name such as Europe/Stockholm or UTC (see pg_timezone_names).");
        rc = ERR_CONFIG;
    }
    dynbuf_free(&sql);
    xfree(lit);
    return rc;
}

char *
db_quote_literal(const char *s)
{
    DynBuf b;

    dynbuf_init(&b, (size_t)-1);
    if (strchr(s, '\\') != NULL)
        dynbuf_addc(&b, 'E');
    dynbuf_addc(&b, '\'');
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '\'' || *p == '\\')
            dynbuf_addc(&b, *p);
        dynbuf_addc(&b, *p);
    }
    dynbuf_addc(&b, '\'');
    return dynbuf_take(&b);
}

static void
notice_receiver(void *arg, const PGresult *res)
{
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
    char line[ERR_MESSAGE_MAX];
    LogLevel level = LOG_LEVEL_INFO;

    (void)arg;
    if (sev != NULL && strcmp(sev, "WARNING") == 0)
        level = LOG_LEVEL_WARN;
    else if (sev != NULL && (strcmp(sev, "DEBUG") == 0 || strcmp(sev, "LOG") == 0))
        level = LOG_LEVEL_DEBUG;
    if (!log_enabled(level))
        return;
    snprintf(line, sizeof(line), "database: %s", msg != NULL ? msg : "(no message)");
    log_write_parts(level, line, detail, hint);
}

void
db_register_secrets(const char *conninfo)
{
    PQconninfoOption *opts;
    char *errmsg = NULL;

    if (conninfo == NULL || conninfo[0] == '\0')
        return;
    opts = PQconninfoParse(conninfo, &errmsg);
    if (opts == NULL) {
        PQfreemem(errmsg);
        return;
    }
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
            log_add_secret(o->val);
    PQconninfoFree(opts);
}

/* Whether word is one of libpq's connection keywords. */
static bool
is_conninfo_keyword(const char *word, size_t len)
{
    PQconninfoOption *defs = PQconndefaults();
    bool found = false;

    for (PQconninfoOption *o = defs; o != NULL && o->keyword != NULL && !found; o++)
        found = strlen(o->keyword) == len && strncmp(o->keyword, word, len) == 0;
    PQconninfoFree(defs);
    return found;
}

/*
 * Whether the quoted part at open (len bytes) names an option the user gave:
 * libpq says "invalid connection option "X"" or "invalid URI query
 * parameter: "X"", and X, a word before "=", is not a password.
 */
static bool
names_option(const char *msg, const char *open, size_t len)
{
    static const char *const before[] = {"invalid connection option ",
                                         "invalid URI query parameter: "};
    bool word = len <= 63;

    for (size_t i = 0; word && i < len; i++)
        word = isalnum((unsigned char)open[1 + i]) || open[1 + i] == '_';
    for (size_t i = 0; word && i < CB_LENGTH(before); i++) {
        size_t blen = strlen(before[i]);

        if ((size_t)(open - msg) >= blen && strncmp(open - blen, before[i], blen) == 0)
            return true;
    }
    return false;
}

/*
 * libpq's parse errors quote the part of the string they choke on, which may
 * be the password ("invalid percent-encoded token: "s3cr%zzet"").  Keep
 * quoted keywords, the names of unknown options and single characters;
 * replace every other quoted part.
 */
static void
sanitize_parse_error(const char *msg, char *out, size_t size)
{
    DynBuf b;
    const char *p = msg;
    const char *open;

    dynbuf_init(&b, size - 1);
    while ((open = strchr(p, '"')) != NULL) {
        const char *close = strchr(open + 1, '"');
        size_t len;

        if (close == NULL)
            break;
        len = (size_t)(close - open - 1);
        dynbuf_add(&b, p, (size_t)(open + 1 - p));
        if (len <= 1 || is_conninfo_keyword(open + 1, len) || names_option(msg, open, len))
            dynbuf_add(&b, open + 1, len);
        else
            dynbuf_addstr(&b, "<redacted>");
        dynbuf_addc(&b, '"');
        p = close + 1;
    }
    dynbuf_addstr(&b, p);
    snprintf(out, size, "%s", dynbuf_str(&b));
    dynbuf_free(&b);
}

/* Whether the n bytes at a, hosts "h[:port]" between commas, hold a port that is not digits. */
static bool
port_not_digits(const char *a, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t end = i;
        size_t colon = SIZE_MAX;
        bool bracket = false;

        for (; end < n && a[end] != ','; end++) {
            if (a[end] == '[')
                bracket = true;
            else if (a[end] == ']')
                bracket = false;
            else if (a[end] == ':' && !bracket)
                colon = end;
        }
        for (size_t k = colon + 1; colon != SIZE_MAX && k < end; k++)
            if (a[k] < '0' || a[k] > '9')
                return true;
        i = end + 1;
    }
    return false;
}

/*
 * Whether a URI's user or password holds an "@", "/" or "?" that was not
 * percent-encoded.  libpq reads the user and password up to the first "@"
 * or "/" after "://" (a "?" does not end them), and the host and port after
 * them up to "/" or "?".  Refused, as libpq would read part of a password as
 * the host, port or database name and quote it in its errors:
 * - an "@" in the host or path (the password went on past an "@" or "/");
 * - a user part that holds a "?" with an "=" after it: a query libpq reads
 *   as the user and password (postgresql://h:5432?password=a@b);
 * - with no user part, an "@" further on while the port is not digits
 *   (postgresql://u:ab/cd?x=y@h: the password went on past a "/").
 */
static bool
unencoded_userinfo(const char *conninfo)
{
    const char *auth;
    const char *rest; /* after the user and password: host, port, path, query */
    const char *q;
    size_t user;
    size_t host;
    size_t path;

    if (strncmp(conninfo, "postgresql://", 13) != 0 && strncmp(conninfo, "postgres://", 11) != 0)
        return false;
    auth = strstr(conninfo, "://") + 3;
    user = strcspn(auth, "@/");
    rest = auth[user] == '@' ? auth + user + 1 : auth;
    host = strcspn(rest, "/?");
    path = strcspn(rest, "?");
    if (memchr(rest, '@', path) != NULL)
        return true;
    q = auth[user] == '@' ? memchr(auth, '?', user) : NULL;
    if (q != NULL && memchr(q, '=', (size_t)(auth + user - q)) != NULL)
        return true;
    return auth[user] != '@' && strchr(rest, '@') != NULL && port_not_digits(rest, host);
}

ErrKind
db_check_conninfo(const DbOptions *opts, Error *err)
{
    PQconninfoOption *parsed;
    char *errmsg = NULL;
    char raw[ERR_DETAIL_MAX];
    char msg[ERR_DETAIL_MAX];

    if (opts->conninfo == NULL || opts->conninfo[0] == '\0')
        return ERR_OK;
    if (unencoded_userinfo(opts->conninfo)) {
        err_set(err, ERR_CONFIG, "invalid value for setting \"database_url\"");
        err_detail(
            err,
            "The URI from %s has an \"@\" where its host, port or database name should "
            "be: its user name or password holds \"@\", \"/\" or \"?\" as it is, and part of "
            "it would be read as the host, the port or the database. The value is not "
            "shown: it holds the password.",
            opts->conninfo_origin != NULL ? opts->conninfo_origin : "DATABASE_URL");
        err_hint(err, "Percent-encode those characters in the user name and password (\"@\" as "
                      "%%40, \"/\" as %%2F, \"?\" as %%3F), or leave the password out of the URI "
                      "and use PGPASSWORD or a ~/.pgpass file.");
        return ERR_CONFIG;
    }
    parsed = PQconninfoParse(opts->conninfo, &errmsg);
    if (parsed != NULL) {
        PQconninfoFree(parsed);
        return ERR_OK;
    }
    chomp_copy(raw, sizeof(raw), errmsg != NULL ? errmsg : "out of memory");
    PQfreemem(errmsg);
    sanitize_parse_error(raw, msg, sizeof(msg));
    err_set(err, ERR_CONFIG, "invalid value for setting \"database_url\"");
    err_detail(err, "libpq reports: %s. The value comes from %s.", msg,
               opts->conninfo_origin != NULL ? opts->conninfo_origin : "DATABASE_URL");
    err_hint(err, "Use a URI such as postgresql://user@host:5432/dbname or a string such as "
                  "\"host=... dbname=...\"; percent-encode special characters in a URI.");
    return ERR_CONFIG;
}

static void
describe_conn(DbConn *db)
{
    const char *host = PQhost(db->conn);
    const char *port = PQport(db->conn);

    snprintf(db->describe, sizeof(db->describe), "database \"%s\" on %s%s%s as user \"%s\"",
             PQdb(db->conn) ? PQdb(db->conn) : "?",
             host != NULL && host[0] != '\0' ? host : "local socket",
             port != NULL && port[0] != '\0' ? ":" : "", port != NULL ? port : "",
             PQuser(db->conn) ? PQuser(db->conn) : "?");
}

/* ---------------------------------------------------------------------------
 * Connecting
 * ------------------------------------------------------------------------- */

/*
 * Set on every connection (but migrate's, which sets what it needs per
 * transaction): what the program's SQL assumes, whatever the database, the
 * role, PGOPTIONS or a service file set.  Standard string literals; each
 * statement its own snapshot (the claims use SKIP LOCKED, and under
 * SERIALIZABLE concurrent exporters fail with 40001); no server-side
 * statement_timeout, since centra_db_statement_timeout is enforced here (0:
 * no limit) with a message that names it; times shown in UTC (the importer
 * sets CENTRA_TIMEZONE for itself).  Sent as SET after connecting, not as
 * startup options, which a pooler such as PgBouncer may refuse.
 * client_encoding goes with the connection: UTF-8 whatever PGCLIENTENCODING
 * says (ids, names, payloads and CSV are UTF-8).
 */
static const char session_settings_sql[] =
    "SET standard_conforming_strings = on; SET default_transaction_isolation = 'read committed'; "
    "SET statement_timeout = 0; SET TIME ZONE 'UTC'";

/* Apply session_settings_sql to a new connection; on failure fills msg and returns the kind. */
static ErrKind
apply_session_settings(DbConn *db, char *msg, size_t msgsize)
{
    PGresult *res = PQexec(db->conn, session_settings_sql);
    ErrKind kind = ERR_OK;

    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        chomp_copy(msg, msgsize, PQerrorMessage(db->conn));
        kind = db_classify_sqlstate(res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL,
                                    PQstatus(db->conn) == CONNECTION_BAD);
    }
    PQclear(res);
    return kind;
}

/* One attempt.  On failure fills msg and returns the kind. */
static ErrKind
connect_once(DbConn *db, char *msg, size_t msgsize)
{
    const char *keys[10];
    const char *vals[10];
    char timeout[32];
    int n = 0;
    ErrKind kind;
    long long secs = (db->opts.connect_timeout_ms + 999) / 1000;

    snprintf(timeout, sizeof(timeout), "%lld", secs < 2 ? 2 : secs);
    keys[n] = "fallback_application_name";
    vals[n++] = APPLICATION_NAME;
    keys[n] = "connect_timeout";
    vals[n++] = timeout;
    keys[n] = "keepalives";
    vals[n++] = "1";
    keys[n] = "keepalives_idle";
    vals[n++] = "30";
    keys[n] = "keepalives_interval";
    vals[n++] = "10";
    keys[n] = "keepalives_count";
    vals[n++] = "3";
    if (db->opts.conninfo != NULL && db->opts.conninfo[0] != '\0') {
        /* After those, so the user's own settings override them; before the encoding. */
        keys[n] = "dbname";
        vals[n++] = db->opts.conninfo;
    }

    keys[n] = "client_encoding";
    vals[n++] = "UTF8";
    keys[n] = NULL;
    vals[n] = NULL;

    db->conn = PQconnectdbParams(keys, vals, 1);
    if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK && !db->opts.pooled_transactions &&
        (kind = apply_session_settings(db, msg, msgsize)) != ERR_OK) {
        PQfinish(db->conn);
        db->conn = NULL;
        return kind;
    }
    if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK) {
        PQsetNoticeReceiver(db->conn, notice_receiver, db);
        db->epoch++;
        describe_conn(db);
        return ERR_OK;
    }
    chomp_copy(msg, msgsize, db->conn != NULL ? PQerrorMessage(db->conn) : "out of memory");
    kind =
        db_classify_connect_failure(msg, db->conn != NULL && PQconnectionNeedsPassword(db->conn));
    PQfinish(db->conn);
    db->conn = NULL;
    return kind;
}

/*
 * A list of failed attempts for an error detail, with runs of identical
 * messages merged: "Attempts 1-5: connection refused".
 */
typedef struct AttemptLog {
    DynBuf text;     /* finished lines */
    char last[1024]; /* message of the current run */
    int first;       /* first attempt of the current run; 0 = none */
} AttemptLog;

static void
attempts_init(AttemptLog *a)
{
    dynbuf_init(&a->text, ATTEMPT_LOG_CAP);
    a->last[0] = '\0';
    a->first = 0;
}

/* Close the current run, which ended with attempt upto. */
static void
attempts_flush(AttemptLog *a, int upto)
{
    if (a->first == 0)
        return;
    if (dynbuf_len(&a->text) > 0)
        dynbuf_addc(&a->text, '\n');
    if (a->first == upto)
        dynbuf_addf(&a->text, "Attempt %d: %s", a->first, a->last);
    else
        dynbuf_addf(&a->text, "Attempts %d-%d: %s", a->first, upto, a->last);
    a->first = 0;
}

static void
attempts_add(AttemptLog *a, int attempt, const char *msg)
{
    if (a->first != 0 && strcmp(a->last, msg) == 0)
        return;
    attempts_flush(a, attempt - 1);
    a->first = attempt;
    snprintf(a->last, sizeof(a->last), "%s", msg);
}

/* A failed attempt to connect that is retried (backoff_note_retry). */
static void
note_attempt(int attempt, int attempts, const char *msg)
{
    char line[1200];

    snprintf(line, sizeof(line), "could not connect to the database (attempt %d of %d): %s",
             attempt, attempts, msg);
    backoff_note_retry(line);
}

static ErrKind
connect_with_retries(DbConn *db, Error *err)
{
    /*
     * Once the retries ran out, the next reconnect tries once: the caller
     * that goes on (a --follow loop) waits between its own tries, and one
     * that is finishing (recording the end of its run) is not held another
     * round of retries.
     */
    int attempts = db->gave_up ? 1 : db->opts.retries + 1;
    char msg[1024];
    AttemptLog tried;
    ErrKind kind = ERR_DB_CONNECTION;
    int i;

    db->txn_open = false;
    attempts_init(&tried);
    for (i = 1; i <= attempts; i++) {
        long long delay;
        char shown[32];
        char flat[1024];

        kind = connect_once(db, msg, sizeof(msg));
        if (kind == ERR_OK)
            break;
        attempts_add(&tried, i, msg);
        if (kind != ERR_DB_CONNECTION || i == attempts || sig_stop_requested())
            break;
        delay = backoff_delay_ms(db->opts.retry_delay_ms, RETRY_CAP_MS, i - 1, &db->rng);
        /* On one line: libpq continues on lines of its own ("\n\tIs the server ..."). */
        str_sanitize(msg, strlen(msg), sizeof(flat) - 4, flat, sizeof(flat));
        log_warn("could not connect to the database (attempt %d of %d), retrying in %s: %s", i,
                 attempts, str_format_duration(delay, shown, sizeof(shown)), flat);
        note_attempt(i, attempts, msg);
        /* SIGTERM or SIGINT ends the wait and the retries, as for Centra's (soap.c): a
           daemon asked to stop is not held by centra_db_retries rounds of backoff. */
        sig_sleep_ms(delay);
        if (sig_stop_requested())
            break;
    }
    db->gave_up = kind != ERR_OK;
    if (kind == ERR_CONFIG) {
        err_set(err, ERR_CONFIG, "invalid database connection settings");
        if (db->opts.conninfo == NULL || db->opts.conninfo[0] == '\0')
            err_detail(err,
                       "libpq reports: %s. DATABASE_URL is not set: the settings come from "
                       "the PG* environment variables.",
                       msg);
        else
            err_detail(
                err,
                "libpq reports: %s. The settings come from %s and the PG* "
                "environment variables.",
                msg, db->opts.conninfo_origin != NULL ? db->opts.conninfo_origin : "DATABASE_URL");
        err_hint(err, "Correct the value libpq names (see \"Parameter Key Words\" in the "
                      "PostgreSQL manual's libpq chapter).");
    } else if (kind == ERR_DB_AUTH) {
        err_set(err, ERR_DB_AUTH, "the database server refused the connection");
        err_detail(err, "%s", msg);
        err_hint(err, "Check the user name, password and database name in DATABASE_URL (or the "
                      "PG* variables and ~/.pgpass), and the server's pg_hba.conf.");
    } else if (kind != ERR_OK) {
        attempts_flush(&tried, i);
        err_set(err, ERR_DB_CONNECTION, "could not connect to the database after %d attempt%s", i,
                i == 1 ? "" : "s");
        err_detail(err, "%s", dynbuf_str(&tried.text));
        if (i < attempts && sig_stop_requested())
            err_detail_append(err, true, "Not tried again: a stop was asked for.");
        err_hint(err, "Check that the server is running and reachable, and DATABASE_URL (or the "
                      "PG* variables).  The number of retries is set by centra_db_retries.");
    }
    dynbuf_free(&tried.text);
    return kind;
}

void
db_options_from_config(DbOptions *opts, const Config *cfg)
{
    memset(opts, 0, sizeof(*opts)); /* what the configuration does not set: the defaults */
    opts->conninfo = config_get_str(cfg, CONFIG_DATABASE_URL);
    opts->conninfo_origin = config_get_origin(cfg, CONFIG_DATABASE_URL);
    opts->connect_timeout_ms = config_get_int(cfg, CONFIG_DB_CONNECT_TIMEOUT);
    opts->statement_timeout_ms = config_get_int(cfg, CONFIG_DB_STATEMENT_TIMEOUT);
    opts->retries = (int)config_get_int(cfg, CONFIG_DB_RETRIES);
    opts->retry_delay_ms = config_get_int(cfg, CONFIG_DB_RETRY_DELAY);
}

ErrKind
db_new(const DbOptions *opts, DbConn **out, Error *err)
{
    DbConn *db;
    ErrKind rc;

    *out = NULL;
    rc = db_check_conninfo(opts, err);
    if (rc != ERR_OK)
        return rc;
    db_register_secrets(opts->conninfo);
    db = xcalloc(1, sizeof(DbConn));
    db->opts = *opts;
    db->conninfo_copy = xstrdup(opts->conninfo);
    db->opts.conninfo = db->conninfo_copy;
    db->rng = backoff_seed();
    rc = connect_with_retries(db, err);
    if (rc != ERR_OK) {
        db_free(db);
        return rc;
    }
    log_debug("connected to %s", db->describe);
    *out = db;
    return ERR_OK;
}

void
db_free(DbConn *db)
{
    if (db == NULL)
        return;
    if (db->conn != NULL)
        PQfinish(db->conn);
    for (size_t i = 0; i < db->nstmts; i++) {
        xfree(db->stmts[i].name);
        xfree(db->stmts[i].sql);
    }
    xfree(db->stmts);
    xfree(db->conninfo_copy);
    xfree(db);
}

ErrKind
db_reconnect(DbConn *db, Error *err)
{
    if (db->conn != NULL) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    log_info("reconnecting to the database");
    return connect_with_retries(db, err);
}

ErrKind
db_try_lock(DbConn *db, const char *key, bool *got, Error *err)
{
    const char *params[1] = {key};
    DbResult *res;
    ErrKind rc =
        db_query(db, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", 1, params, &res, err);

    *got = false;
    if (rc != ERR_OK)
        return rc;
    *got = strcmp(db_result_value(res, 0, 0), "t") == 0;
    db_result_free(res);
    return ERR_OK;
}

const char *
db_describe(const DbConn *db)
{
    return db->describe;
}

int
db_server_version(const DbConn *db)
{
    return db->conn != NULL ? PQserverVersion(db->conn) : 0;
}

bool
db_connect_gave_up(const DbConn *db)
{
    return db->gave_up;
}

bool
db_in_transaction(const DbConn *db)
{
    PGTransactionStatusType st;

    if (db->conn == NULL)
        return false;
    st = PQtransactionStatus(db->conn);
    return st == PQTRANS_INTRANS || st == PQTRANS_INERROR || st == PQTRANS_ACTIVE;
}

static bool
conn_lost(const DbConn *db)
{
    return db->conn == NULL || PQstatus(db->conn) == CONNECTION_BAD;
}

/* ---------------------------------------------------------------------------
 * Running statements
 * ------------------------------------------------------------------------- */

static ErrKind
lost_error(DbConn *db, const char *what, const Query *q, Error *err)
{
    char msg[1024];

    chomp_copy(msg, sizeof(msg), db->conn != NULL ? PQerrorMessage(db->conn) : "");
    err_set(err, ERR_DB_CONNECTION, "lost the connection to the database %s", what);
    if (msg[0] != '\0')
        err_detail(err, "%s", msg);
    if (q != NULL)
        add_query_detail(err, q->shown);
    return ERR_DB_CONNECTION;
}

static long long
cancel_grace(const DbConn *db)
{
    return db->opts.cancel_grace_ms > 0 ? db->opts.cancel_grace_ms : CANCEL_GRACE_MS;
}

static void
cancel_statement(DbConn *db)
{
    PGcancel *c = PQgetCancel(db->conn);
    char errbuf[256];

    if (c == NULL)
        return;
    if (!PQcancel(c, errbuf, (int)sizeof(errbuf)))
        log_warn("could not send a cancel request to the database: %s", errbuf);
    PQfreeCancel(c);
}

/*
 * Wait until the connection's socket can be read, at most wait_ms (-1: no
 * limit; one call waits 1000 s at most).  *interrupted says a signal cut the
 * wait short.  what and q describe the wait in a lost-connection error.
 */
static ErrKind
poll_socket(DbConn *db, long long wait_ms, const char *what, const Query *q, bool *interrupted,
            Error *err)
{
    struct pollfd pfd;
    int rc;

    *interrupted = false;
    pfd.fd = PQsocket(db->conn);
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (pfd.fd < 0)
        return lost_error(db, what, q, err);
    rc = poll(&pfd, 1, wait_ms > 1000000 ? 1000000 : (int)wait_ms);
    if (rc < 0 && errno != EINTR) {
        char ebuf[128];

        return err_set(err, ERR_DB_CONNECTION, "could not wait for the database: %s",
                       str_errno(errno, ebuf, sizeof(ebuf)));
    }
    *interrupted = rc < 0;
    return ERR_OK;
}

/*
 * Wait until a result can be read without blocking.  On the deadline, cancel
 * once (*cancelled set) and wait a grace period; if even that passes, give
 * the connection up.
 */
static ErrKind
wait_ready(DbConn *db, const Query *q, long long *deadline, bool *cancelled, Error *err)
{
    for (;;) {
        long long wait = -1;
        bool interrupted;
        ErrKind rc;

        if (!PQconsumeInput(db->conn))
            return lost_error(db, "while waiting for a result", q, err);
        if (!PQisBusy(db->conn))
            return ERR_OK;
        if (*deadline > 0) {
            wait = *deadline - backoff_now_ms();
            if (wait <= 0) {
                if (*cancelled) {
                    PQfinish(db->conn);
                    db->conn = NULL;
                    err_set(err, ERR_DB_CONNECTION,
                            "the database did not answer a cancel request within %lld ms; "
                            "the connection was dropped",
                            cancel_grace(db));
                    add_query_detail(err, q->shown);
                    return ERR_DB_CONNECTION;
                }
                cancel_statement(db);
                *cancelled = true;
                *deadline = backoff_now_ms() + cancel_grace(db);
                continue;
            }
        }
        rc = poll_socket(db, wait, "while waiting for a result", q, &interrupted, err);
        if (rc != ERR_OK)
            return rc;
    }
}

/*
 * The line of a DO block's body that failed: PL/pgSQL numbers the lines of
 * the body from the one its opening quote is on.  0 when the error is not in
 * the DO block at stmt.
 */
static int
do_block_line(const char *sql, long stmt, const char *context)
{
    static const char frame[] = "PL/pgSQL function inline_code_block line ";
    const char *at = context != NULL ? strstr(context, frame) : NULL;
    long body = stmt >= 0 ? sqlscript_body_start(sql, (size_t)stmt) : -1;
    long long n = 0;
    int line;
    int column;

    if (at == NULL || body < 0 || strncasecmp(sql + stmt, "DO", 2) != 0)
        return 0;
    at += sizeof(frame) - 1;
    while (*at >= '0' && *at <= '9' && n < INT_MAX / 10)
        n = n * 10 + (*at++ - '0');
    if (n < 1)
        return 0;
    sqlscript_line_of(sql, (size_t)body, &line, &column);
    return line + (int)n - 1;
}

/*
 * Say where in the script q->sql the error of res is, in *q->where and as
 * one quoted line in the detail: at PostgreSQL's position, else in the DO
 * block, else at the start of statement number done (the ones before it
 * returned a result each).
 */
static void
add_script_detail(Error *err, const PGresult *res, const Query *q, int done)
{
    const char *position = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
    const char *context = PQresultErrorField(res, PG_DIAG_CONTEXT);
    long stmt = sqlscript_statement_start(q->sql, done);
    DbScriptPos *w = q->where;
    const char *line;
    long long pos;
    int column;
    int len;

    if (position != NULL && str_to_ll(position, &pos) && pos >= 1) {
        sqlscript_line_of(q->sql, sqlscript_char_offset(q->sql, pos), &w->line, &w->column);
    } else if ((w->line = do_block_line(q->sql, stmt, context)) > 0) {
        w->column = 0;
    } else if (stmt >= 0) {
        sqlscript_line_of(q->sql, (size_t)stmt, &w->line, &column);
        w->column = 0;
    } else {
        return;
    }
    line = q->sql;
    for (int i = 1; i < w->line && strchr(line, '\n') != NULL; i++)
        line = strchr(line, '\n') + 1;
    len = (int)strcspn(line, "\r\n");
    if (len > LINE_SHOWN_MAX) {
        len = LINE_SHOWN_MAX;
        while (len > 0 && ((unsigned char)line[len] & 0xC0) == 0x80)
            len--; /* cut before a character, not inside one */
    }
    err_detail_append(err, true, "Line %d: %.*s%s", w->line, len, line,
                      line[len] != '\0' && line[len] != '\n' && line[len] != '\r' ? "..." : "");
}

static ErrKind
result_error(DbConn *db, const PGresult *res, const Query *q, int done, bool cancelled, Error *err)
{
    const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
    const char *position = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
    bool lost = conn_lost(db);
    ErrKind kind = db_classify_sqlstate(sqlstate, lost);
    char msg[ERR_MESSAGE_MAX];

    if (kind == ERR_DB_TIMEOUT && cancelled) {
        char shown[32];

        err_set(err, ERR_DB_TIMEOUT, "statement timed out after %s and was cancelled",
                str_format_duration(q->timeout_ms, shown, sizeof(shown)));
        add_query_detail(err, q->shown);
        err_hint(err, "If the statement needs longer, raise centra_db_statement_timeout.  It may "
                      "also have waited for a lock: VACUUM FULL, CLUSTER, REINDEX (without "
                      "CONCURRENTLY) or ALTER TABLE on a table of the bridge, or a long "
                      "transaction writing the same rows (pg_stat_activity, pg_locks).");
        return ERR_DB_TIMEOUT;
    }
    if (primary != NULL)
        snprintf(msg, sizeof(msg), "%s", primary);
    else
        chomp_copy(msg, sizeof(msg), PQresultErrorMessage(res));
    if (lost && primary == NULL)
        return lost_error(db, "during a statement", q, err);
    err_set(err, kind, "%s", msg[0] != '\0' ? msg : "statement failed");
    if (detail != NULL)
        err_detail(err, "%s", detail);
    if (sqlstate != NULL)
        err_detail_append(err, true, "SQLSTATE %s.", sqlstate);
    /* In a multi-line script the line of the error says more than the whole text. */
    if (q->where != NULL)
        add_script_detail(err, res, q, done);
    else if (position != NULL && q->shown != NULL && strchr(q->shown, '\n') != NULL)
        add_position_detail(err, q->shown, position);
    else
        add_query_detail(err, q->shown);
    if (hint != NULL)
        err_hint(err, "%s", hint);
    else if (q->where != NULL)
        return kind; /* the caller knows what to advise */
    else if (is_read_only_state(sqlstate))
        err_hint(err, "The database takes no writes here: connect to the primary, not a standby "
                      "(SELECT pg_is_in_recovery()), and check default_transaction_read_only of "
                      "the database and the role (ALTER ... RESET default_transaction_read_only).");
    else if (kind == ERR_DB_PERMISSION)
        err_hint(err, "Check the privileges of the database user; the roles centra_bridge, "
                      "centra_erp and centra_reader are described in docs/schema.md.");
    else if (kind == ERR_DB_SCHEMA)
        err_hint(err, "Run \"centra-bridge migrate\" to create or upgrade the schemas.");
    return kind;
}

static int
send_query(DbConn *db, const Query *q)
{
    switch (q->mode) {
    case QUERY_SIMPLE:
        return PQsendQuery(db->conn, q->sql);
    case QUERY_PARAMS:
        return PQsendQueryParams(db->conn, q->sql, q->nparams, NULL, (const char *const *)q->params,
                                 NULL, NULL, 0);
    case QUERY_PREPARE:
        return PQsendPrepare(db->conn, q->name, q->sql, q->nparams, NULL);
    case QUERY_PREPARED:
        return PQsendQueryPrepared(db->conn, q->name, q->nparams, (const char *const *)q->params,
                                   NULL, NULL, 0);
    }
    return 0;
}

/* Read and discard a COPY TO STDOUT's data, so the statement can finish. */
static void
drain_copy_out(DbConn *db)
{
    char *buf = NULL;

    while (PQgetCopyData(db->conn, &buf, 0) > 0) {
        PQfreemem(buf);
        buf = NULL;
    }
}

/* A statement could not be sent: say why, as a lost connection or a bug. */
static ErrKind
send_error(DbConn *db, const Query *q, Error *err)
{
    char msg[1024];

    if (conn_lost(db))
        return lost_error(db, "while sending a statement", q, err);
    /* The connection is fine: libpq refused the statement itself. */
    chomp_copy(msg, sizeof(msg), PQerrorMessage(db->conn));
    err_set(err, ERR_INTERNAL, "could not send a statement to the database: %s", msg);
    add_query_detail(err, q->shown);
    return ERR_INTERNAL;
}

/*
 * Send q and collect its results.  The first error wins (later ones go to a
 * scratch Error); the last successful result is returned in *out when out is
 * not NULL.
 */
static ErrKind
run_query(DbConn *db, const Query *q, PGresult **out, Error *err)
{
    long long deadline = q->timeout_ms > 0 ? backoff_now_ms() + q->timeout_ms : 0;
    bool cancelled = false;
    PGresult *keep = NULL;
    ErrKind rc = ERR_OK;
    int done = 0;           /* statements that returned a result before the first error */
    bool read_only = false; /* the server refused a write (25006) */
    Error later;

    if (out != NULL)
        *out = NULL;
    if (conn_lost(db)) {
        /* Inside a transaction the work so far is gone: the caller must redo it. */
        if (db->txn_open)
            return lost_error(db, "inside a transaction", q, err);
        /* Outside one nothing is lost by connecting again. */
        rc = db_reconnect(db, err);
        if (rc != ERR_OK)
            return rc;
    }
    log_trace("sql: %s", q->shown != NULL ? q->shown : q->sql);
    if (!send_query(db, q))
        return send_error(db, q, err);
    for (;;) {
        Error *e = rc == ERR_OK ? err : &later;
        PGresult *res;
        ExecStatusType st;
        ErrKind wrc = ERR_DB_CONNECTION;

        if (db->conn != NULL)
            wrc = wait_ready(db, q, &deadline, &cancelled, e);
        else
            lost_error(db, "while waiting for a result", q, e);
        if (wrc != ERR_OK) {
            if (rc == ERR_OK)
                rc = wrc;
            break;
        }
        res = PQgetResult(db->conn);
        if (res == NULL)
            break;
        st = PQresultStatus(res);
        if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) {
            ErrKind k = result_error(db, res, q, done, cancelled, e);
            read_only = read_only || is_read_only_state(PQresultErrorField(res, PG_DIAG_SQLSTATE));

            if (rc == ERR_OK)
                rc = k;
            PQclear(res);
        } else if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
            /* Not supported by this API: end the COPY so the connection stays usable. */
            if (st == PGRES_COPY_OUT)
                drain_copy_out(db);
            else if (PQputCopyEnd(db->conn, "COPY is not supported here") < 0)
                log_debug("could not end a COPY: %s", PQerrorMessage(db->conn));
            PQclear(res);
            if (rc == ERR_OK) {
                rc = err_set(err, ERR_INTERNAL, "COPY is not supported by this statement");
                add_query_detail(err, q->shown);
            }
        } else if (out != NULL && rc == ERR_OK) {
            done++;
            PQclear(keep);
            keep = res;
        } else {
            done += rc == ERR_OK;
            PQclear(res);
        }
        if (conn_lost(db))
            break;
    }
    if (rc == ERR_OK && conn_lost(db))
        rc = lost_error(db, "while reading results", q, err);
    if (read_only && db->conn != NULL) {
        /* A new session, maybe elsewhere, and with the database's settings of now. */
        PQfinish(db->conn);
        db->conn = NULL;
    }
    if (rc != ERR_OK) {
        PQclear(keep);
        return rc;
    }
    if (out != NULL)
        *out = keep;
    return ERR_OK;
}

static DbResult *
wrap_result(PGresult *pg)
{
    DbResult *r;

    if (pg == NULL)
        return NULL;
    r = xmalloc(sizeof(DbResult));
    r->pg = pg;
    return r;
}

ErrKind
db_exec_timeout(DbConn *db, const char *sql, long long timeout_ms, Error *err)
{
    Query q = {QUERY_SIMPLE, sql, sql, NULL, 0, NULL, timeout_ms, NULL};

    return run_query(db, &q, NULL, err);
}

ErrKind
db_exec_script(DbConn *db, const char *sql, long long timeout_ms, DbScriptPos *where, Error *err)
{
    /* No text shown: a lost connection or a timeout must not quote the whole script either. */
    Query q = {QUERY_SIMPLE, sql, NULL, NULL, 0, NULL, timeout_ms, where};

    where->line = 0;
    where->column = 0;
    return run_query(db, &q, NULL, err);
}

ErrKind
db_exec(DbConn *db, const char *sql, Error *err)
{
    return db_exec_timeout(db, sql, db->opts.statement_timeout_ms, err);
}

ErrKind
db_query(DbConn *db, const char *sql, int nparams, const char *const *params, DbResult **res,
         Error *err)
{
    Query q = {QUERY_PARAMS, sql, sql, NULL, nparams, params, db->opts.statement_timeout_ms, NULL};
    PGresult *pg = NULL;
    ErrKind rc;

    if (res != NULL)
        *res = NULL;
    rc = run_query(db, &q, res != NULL ? &pg : NULL, err);
    if (rc == ERR_OK && res != NULL)
        *res = wrap_result(pg);
    return rc;
}

void
db_unlock(DbConn *db, const char *key, unsigned epoch)
{
    static const char sql[] = "SELECT pg_advisory_unlock(hashtextextended($1, 0))";
    const char *params[1] = {key};
    Query q = {QUERY_PARAMS, sql, sql, NULL, 1, params, CANCEL_GRACE_MS, NULL};
    Error err;

    if (db == NULL || epoch == 0 || epoch != db->epoch || conn_lost(db) ||
        PQtransactionStatus(db->conn) != PQTRANS_IDLE)
        return;
    err_reset(&err);
    if (run_query(db, &q, NULL, &err) != ERR_OK)
        log_debug("could not release the advisory lock; it ends with the session: %s", err.message);
}

static DbStmt *
find_stmt(DbConn *db, const char *name)
{
    for (size_t i = 0; i < db->nstmts; i++)
        if (strcmp(db->stmts[i].name, name) == 0)
            return &db->stmts[i];
    return NULL;
}

static ErrKind
prepare_stmt(DbConn *db, DbStmt *s, Error *err)
{
    Query q = {
        QUERY_PREPARE, s->sql, s->sql, s->name, s->nparams, NULL, db->opts.statement_timeout_ms,
        NULL};
    ErrKind rc = run_query(db, &q, NULL, err);

    /* run_query may have reconnected first: the statement lives on the new epoch. */
    if (rc == ERR_OK)
        s->epoch = db->epoch;
    return rc;
}

ErrKind
db_prepare(DbConn *db, const char *name, const char *sql, int nparams, Error *err)
{
    DbStmt *s = find_stmt(db, name);

    if (s != NULL) {
        if (strcmp(s->sql, sql) != 0)
            return err_set(err, ERR_INTERNAL,
                           "prepared statement \"%s\" registered twice with different SQL", name);
        return s->epoch == db->epoch ? ERR_OK : prepare_stmt(db, s, err);
    }
    if (db->nstmts == db->stmts_alloc) {
        db->stmts_alloc = db->stmts_alloc == 0 ? 16 : db->stmts_alloc * 2;
        db->stmts = xrealloc_array(db->stmts, db->stmts_alloc, sizeof(DbStmt));
    }
    s = &db->stmts[db->nstmts++];
    s->name = xstrdup(name);
    s->sql = xstrdup(sql);
    s->nparams = nparams;
    s->epoch = 0;
    return prepare_stmt(db, s, err);
}

ErrKind
db_exec_prepared(DbConn *db, const char *name, int nparams, const char *const *params,
                 DbResult **res, Error *err)
{
    DbStmt *s = find_stmt(db, name);
    PGresult *pg = NULL;
    Query q;
    ErrKind rc;

    if (res != NULL)
        *res = NULL;
    if (s == NULL)
        return err_set(err, ERR_INTERNAL, "prepared statement \"%s\" was never registered", name);
    if (nparams != s->nparams)
        return err_set(err, ERR_INTERNAL, "prepared statement \"%s\" takes %d parameters, not %d",
                       name, s->nparams, nparams);
    if (s->epoch != db->epoch || conn_lost(db)) {
        /* Prepared statements do not survive a reconnect: prepare it again. */
        rc = prepare_stmt(db, s, err);
        if (rc != ERR_OK)
            return rc;
    }
    q = (Query){QUERY_PREPARED,
                s->name,
                s->sql,
                s->name,
                nparams,
                params,
                db->opts.statement_timeout_ms,
                NULL};
    rc = run_query(db, &q, res != NULL ? &pg : NULL, err);
    if (rc == ERR_OK && res != NULL)
        *res = wrap_result(pg);
    return rc;
}

/* ---------------------------------------------------------------------------
 * COPY FROM STDIN
 * ------------------------------------------------------------------------- */

/* Read results until there are none; the first error wins.  *rows from COMMAND_OK. */
static ErrKind
collect_results(DbConn *db, const Query *q, bool expect_copy_in, bool aborting, long long *rows,
                Error *err)
{
    long long deadline = q->timeout_ms > 0 ? backoff_now_ms() + q->timeout_ms : 0;
    bool cancelled = false;
    ErrKind rc = ERR_OK;

    for (;;) {
        PGresult *res;
        ExecStatusType st;
        ErrKind wrc = wait_ready(db, q, &deadline, &cancelled, err);

        if (wrc != ERR_OK)
            return rc != ERR_OK ? rc : wrc;
        res = PQgetResult(db->conn);
        if (res == NULL)
            break;
        st = PQresultStatus(res);
        if (st == PGRES_COPY_IN && expect_copy_in) {
            PQclear(res);
            return ERR_OK;
        }
        if (st == PGRES_COMMAND_OK && rows != NULL)
            *rows = strtoll(PQcmdTuples(res), NULL, 10);
        if (st == PGRES_FATAL_ERROR && !aborting && rc == ERR_OK)
            rc = result_error(db, res, q, 0, cancelled, err);
        PQclear(res);
        if (conn_lost(db))
            break;
    }
    if (rc == ERR_OK && conn_lost(db))
        return lost_error(db, "during COPY", q, err);
    if (rc == ERR_OK && expect_copy_in) {
        rc = err_set(err, ERR_INTERNAL, "the statement did not start a COPY FROM STDIN");
        add_query_detail(err, q->shown);
    }
    return rc;
}

ErrKind
db_copy_begin(DbConn *db, const char *sql, Error *err)
{
    Query q = {QUERY_SIMPLE, sql, sql, NULL, 0, NULL, db->opts.statement_timeout_ms, NULL};

    if (conn_lost(db))
        return lost_error(db, "before COPY", &q, err);
    log_trace("sql: %s", sql);
    if (!PQsendQuery(db->conn, sql))
        return send_error(db, &q, err);
    return collect_results(db, &q, true, false, NULL, err);
}

ErrKind
db_copy_put(DbConn *db, const char *data, size_t len, Error *err)
{
    Query q = {QUERY_SIMPLE, "COPY", "COPY", NULL, 0, NULL, 0, NULL};

    while (len > 0) {
        int n = len > (size_t)INT_MAX ? INT_MAX : (int)len;

        if (db->conn == NULL || PQputCopyData(db->conn, data, n) != 1)
            return lost_error(db, "while sending COPY data", &q, err);
        data += n;
        len -= (size_t)n;
    }
    return ERR_OK;
}

ErrKind
db_copy_end(DbConn *db, const char *abort_reason, long long *rows, Error *err)
{
    Query q = {
        QUERY_SIMPLE, "COPY", "COPY (end of data)", NULL, 0, NULL, db->opts.statement_timeout_ms,
        NULL};

    if (rows != NULL)
        *rows = 0;
    if (db->conn == NULL || PQputCopyEnd(db->conn, abort_reason) != 1)
        return lost_error(db, "while ending COPY", &q, err);
    return collect_results(db, &q, false, abort_reason != NULL, rows, err);
}

/* ---------------------------------------------------------------------------
 * COPY TO STDOUT
 * ------------------------------------------------------------------------- */

/* Wait for the COPY OUT to start; a result other than COPY OUT is an error. */
static ErrKind
await_copy_out(DbConn *db, const Query *q, long long *deadline, bool *cancelled, Error *err)
{
    PGresult *res;
    ExecStatusType st;
    ErrKind rc = wait_ready(db, q, deadline, cancelled, err);

    if (rc != ERR_OK)
        return rc;
    res = PQgetResult(db->conn);
    st = res != NULL ? PQresultStatus(res) : PGRES_EMPTY_QUERY;
    if (st == PGRES_COPY_OUT) {
        PQclear(res);
        return ERR_OK;
    }
    if (st == PGRES_FATAL_ERROR)
        rc = result_error(db, res, q, 0, *cancelled, err);
    else {
        rc = err_set(err, ERR_INTERNAL, "the statement did not start a COPY TO STDOUT");
        add_query_detail(err, q->shown);
    }
    PQclear(res);
    if (!conn_lost(db))
        (void)collect_results(db, q, false, true, NULL, err);
    return rc;
}

/* Pass the rows of a started COPY OUT to fn until it ends. */
static ErrKind
pump_copy_out(DbConn *db, const Query *q, DbCopyOutFn fn, void *arg, long long *deadline,
              bool *cancelled, Error *err)
{
    ErrKind sink = ERR_OK;

    for (;;) {
        char *buf = NULL;
        int n = PQgetCopyData(db->conn, &buf, 1);
        long long wait = -1;
        bool interrupted;

        if (n > 0) {
            if (sink == ERR_OK)
                sink = fn(arg, buf, (size_t)n, err);
            PQfreemem(buf);
            if (sink != ERR_OK && !*cancelled) {
                cancel_statement(db);
                *cancelled = true;
            }
            continue;
        }
        if (n < 0)
            return sink;
        if (*deadline > 0 && !*cancelled) {
            wait = *deadline - backoff_now_ms();
            if (wait <= 0) {
                cancel_statement(db);
                *cancelled = true;
                wait = -1;
            }
        }
        if (poll_socket(db, wait, "during COPY", q, &interrupted, sink == ERR_OK ? err : NULL) !=
                ERR_OK ||
            !PQconsumeInput(db->conn))
            return sink != ERR_OK ? sink : lost_error(db, "during COPY", q, err);
    }
}

ErrKind
db_copy_out(DbConn *db, const char *sql, DbCopyOutFn fn, void *arg, long long *rows, Error *err)
{
    Query q = {QUERY_SIMPLE, sql, sql, NULL, 0, NULL, db->opts.statement_timeout_ms, NULL};
    long long deadline = q.timeout_ms > 0 ? backoff_now_ms() + q.timeout_ms : 0;
    bool cancelled = false;
    ErrKind rc;
    Error scratch;

    if (rows != NULL)
        *rows = 0;
    if (conn_lost(db)) {
        if (db->txn_open)
            return lost_error(db, "inside a transaction", &q, err);
        rc = db_reconnect(db, err);
        if (rc != ERR_OK)
            return rc;
    }
    log_trace("sql: %s", sql);
    if (!PQsendQuery(db->conn, sql))
        return send_error(db, &q, err);
    rc = await_copy_out(db, &q, &deadline, &cancelled, err);
    if (rc != ERR_OK)
        return rc;
    rc = pump_copy_out(db, &q, fn, arg, &deadline, &cancelled, err);
    if (rc != ERR_OK) {
        /* fn failed: the statement was cancelled; its error is no news. */
        (void)collect_results(db, &q, false, true, NULL, &scratch);
        return rc;
    }
    return collect_results(db, &q, false, false, rows, err);
}

unsigned
db_epoch(const DbConn *db)
{
    return db->epoch;
}

/* Consume every notification libpq holds; true when there was one. */
static bool
drain_notifies(DbConn *db)
{
    bool any = false;
    PGnotify *n;

    while ((n = PQnotifies(db->conn)) != NULL) {
        any = true;
        PQfreemem(n);
    }
    return any;
}

ErrKind
db_wait_notify(DbConn *db, long long timeout_ms, bool *notified, Error *err)
{
    long long deadline = backoff_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);

    *notified = false;
    if (db->conn == NULL)
        return lost_error(db, "while waiting for a notification", NULL, err);
    for (;;) {
        long long wait;
        bool interrupted;
        ErrKind rc;

        if (!PQconsumeInput(db->conn))
            return lost_error(db, "while waiting for a notification", NULL, err);
        if (drain_notifies(db)) {
            *notified = true;
            return ERR_OK;
        }
        wait = deadline - backoff_now_ms();
        if (wait <= 0)
            return ERR_OK;
        rc = poll_socket(db, wait, "while waiting for a notification", NULL, &interrupted, err);
        if (rc != ERR_OK || interrupted)
            return rc; /* a signal: let the caller look at its flags */
    }
}

/* ---------------------------------------------------------------------------
 * Transactions
 * ------------------------------------------------------------------------- */

ErrKind
db_begin(DbConn *db, Error *err)
{
    ErrKind rc = db_exec(db, "BEGIN", err);

    db->txn_open = rc == ERR_OK;
    return rc;
}

ErrKind
db_commit(DbConn *db, Error *err)
{
    Query q = {QUERY_SIMPLE, "COMMIT", "COMMIT", NULL, 0, NULL, db->opts.statement_timeout_ms,
               NULL};
    PGresult *res = NULL;
    ErrKind rc;

    if (!conn_lost(db) && PQtransactionStatus(db->conn) == PQTRANS_INERROR) {
        /* COMMIT would answer ROLLBACK without an error: never report that as success. */
        Error rb;

        err_reset(&rb);
        if (db_rollback(db, &rb) != ERR_OK)
            log_debug("rollback failed: %s", rb.message);
        err_set(err, ERR_INTERNAL, "transaction not committed: a statement in it had failed");
        err_detail(err, "The transaction was rolled back; nothing of it was kept.");
        return ERR_INTERNAL;
    }
    rc = run_query(db, &q, &res, err);
    db->txn_open = false;
    if (rc == ERR_OK && (res == NULL || strcmp(PQcmdStatus(res), "COMMIT") != 0)) {
        err_set(err, ERR_INTERNAL,
                "transaction not committed: the server answered COMMIT with "
                "\"%s\"",
                res != NULL ? PQcmdStatus(res) : "nothing");
        rc = ERR_INTERNAL;
    }
    PQclear(res);
    return rc;
}

ErrKind
db_rollback(DbConn *db, Error *err)
{
    bool open = db->txn_open;

    db->txn_open = false;
    if (!open || conn_lost(db) || !db_in_transaction(db))
        return ERR_OK;
    return db_exec(db, "ROLLBACK", err);
}

ErrKind
db_transaction(DbConn *db, int max_attempts, DbTxnFn fn, void *arg, Error *err)
{
    AttemptLog tried;
    ErrKind rc = ERR_OK;
    int attempt;

    attempts_init(&tried);
    for (attempt = 1; attempt <= max_attempts; attempt++) {
        long long delay;
        Error rb;

        rc = db_begin(db, err);
        if (rc == ERR_OK)
            rc = fn(db, arg, err);
        if (rc == ERR_OK)
            rc = db_commit(db, err);
        if (rc == ERR_OK)
            break;
        err_reset(&rb);
        if (db_rollback(db, &rb) != ERR_OK)
            log_debug("rollback failed: %s", rb.message);
        attempts_add(&tried, attempt, err->message);
        if (!err_is_retryable(rc) || attempt == max_attempts)
            break;
        delay =
            backoff_delay_ms(db->opts.retry_delay_ms / 4 + 1, RETRY_CAP_MS, attempt - 1, &db->rng);
        log_info("transaction failed (%s), retrying (attempt %d of %d)", err->message, attempt + 1,
                 max_attempts);
        backoff_sleep_ms(delay);
    }
    if (rc != ERR_OK && attempt > 1) {
        char detail[ERR_DETAIL_MAX];

        attempts_flush(&tried, attempt);
        memcpy(detail, err->detail, sizeof(detail));
        err_detail(err, "%s", dynbuf_str(&tried.text));
        if (detail[0] != '\0')
            err_detail_append(err, true, "%s", detail);
    }
    dynbuf_free(&tried.text);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Results
 * ------------------------------------------------------------------------- */

int
db_result_rows(const DbResult *res)
{
    return res != NULL ? PQntuples(res->pg) : 0;
}

int
db_result_cols(const DbResult *res)
{
    return res != NULL ? PQnfields(res->pg) : 0;
}

const char *
db_result_value(const DbResult *res, int row, int col)
{
    if (res == NULL || row < 0 || col < 0 || row >= PQntuples(res->pg) ||
        col >= PQnfields(res->pg) || PQgetisnull(res->pg, row, col))
        return NULL;
    return PQgetvalue(res->pg, row, col);
}

const char *
db_result_col_name(const DbResult *res, int col)
{
    return res != NULL ? PQfname(res->pg, col) : NULL;
}

long long
db_result_affected(const DbResult *res)
{
    const char *n;
    long long v;

    if (res == NULL)
        return -1;
    n = PQcmdTuples(res->pg);
    if (n == NULL || n[0] == '\0' || !str_to_ll(n, &v))
        return -1;
    return v;
}

void
db_result_free(DbResult *res)
{
    if (res == NULL)
        return;
    PQclear(res->pg);
    xfree(res);
}
