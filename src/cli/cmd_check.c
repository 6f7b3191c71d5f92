/*
 * src/cli/cmd_check.c
 *     "centra-bridge check": is the configuration complete, can we reach the
 *     database (with its schema current) and Centra (login accepted)?
 *
 * Says exactly what is wrong, one line per check, with the detail and hint
 * of each failure below it.  Changes nothing anywhere: the database is only
 * read, and Centra gets events_Get calls (one per configured event type),
 * which are read-only (nothing is acknowledged).  Kept quick: at most one
 * retry for the database and for Centra, whatever the configuration says.
 * Secrets are never printed.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/archive.h"
#include "centra/db.h"
#include "centra/dynbuf.h"
#include "centra/eventparser.h"
#include "centra/export.h"
#include "centra/http.h"
#include "centra/import.h"
#include "centra/log.h"
#include "centra/migrate.h"
#include "centra/soap.h"
#include "centra/strutil.h"
#include "cli_int.h"

static const char check_help[] =
    "Usage: centra-bridge [OPTION]... check\n"
    "\n"
    "Check that centra-bridge can work, and say exactly what is wrong when not:\n"
    "  configuration  the Centra settings are all there; warns about a plain\n"
    "                 http:// URL and TLS verification turned off\n"
    "  database       PostgreSQL accepts the connection (DATABASE_URL, or libpq's\n"
    "                 PG* variables and ~/.pgpass), takes writes (not a standby,\n"
    "                 not read-only by default), lets the user create temporary\n"
    "                 tables (TEMP), and knows centra_timezone (else a FAIL of\n"
    "                 the configuration)\n"
    "  schema         every migration of this centra-bridge is applied, and the\n"
    "                 user may read and write the tables the commands write (as\n"
    "                 centra_bridge may)\n"
    "  centra         Centra accepts the login: events_Get (one per type of\n"
    "                 centra_event_types), which only reads (nothing is\n"
    "                 acknowledged); shows how many events wait\n"
    "Each line starts with ok, warn, FAIL or skip (a check that needs one that\n"
    "failed).  The database and Centra are tried at most twice, so a check of an\n"
    "unreachable service ends quickly.  Nothing is changed anywhere.  A setting\n"
    "with an invalid value (a number out of range, an unknown event type, ...)\n"
    "stops check before it runs, as it stops every command: exit 78.\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help, then exit\n"
    "\n"
    "Exit status: 0 every check passed (warnings allowed); otherwise the code of\n"
    "the first failure: 78 configuration, database access refused or schema not\n"
    "current (run \"centra-bridge migrate\"), TLS certificate not verified; 69 the\n"
    "database or Centra is unreachable; 77 Centra refused the login; 76 Centra\n"
    "answered with an error.  docs/monitoring.md explains each failure.\n";

#define CHECK_INDENT "                      " /* under the message of a check line */

typedef struct CheckRun {
    ErrKind first; /* kind of the first failure, ERR_OK while none */
    int failed;    /* FAIL lines */
    int warned;    /* warn lines */
} CheckRun;

/*
 * Print text indented under the message, line by line, masked as the log
 * is: an error may quote the password (a server that echoes the request).
 */
static void
indented(const char *text)
{
    char *masked;

    if (text == NULL)
        return;
    masked = log_redact(text);
    for (const char *t = masked; *t != '\0';) {
        size_t len = strcspn(t, "\n");

        printf(CHECK_INDENT "%.*s\n", (int)len, t);
        t += len + (t[len] == '\n');
    }
    xfree(masked);
}

/* One check line: mark ("ok", "warn", "FAIL", "skip"), check name, message. */
static void CB_PRINTF(4, 5)
    line(CheckRun *cr, const char *mark, const char *name, const char *fmt, ...)
{
    va_list ap;
    char text[ERR_MESSAGE_MAX + 512];
    char *masked;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    masked = log_redact(text); /* as indented() */
    printf("%-6s%-16s%s\n", mark, name, masked);
    xfree(masked);
    if (strcmp(mark, "FAIL") == 0)
        cr->failed++;
    else if (strcmp(mark, "warn") == 0)
        cr->warned++;
}

/* A failed check: its line, then err's detail and hint; remembers the first kind. */
static void
fail(CheckRun *cr, const char *name, const Error *err)
{
    line(cr, "FAIL", name, "%s", err->message);
    indented(err->detail);
    indented(err->hint);
    if (cr->first == ERR_OK)
        cr->first = err->kind;
}

/* ---------------------------------------------------------------------------
 * 1. configuration
 * ------------------------------------------------------------------------- */

/* Where the settings come from: "4 settings from /etc/x.conf, 3 from the environment". */
static void
sources_text(const Config *cfg, char *buf, size_t size)
{
    char path[512] = "";
    int nfile = 0;
    int nenv = 0;

    for (int k = 0; k < CONFIG_KEY_COUNT_; k++) {
        ConfigSource src = config_get_source(cfg, (ConfigKey)k);

        nenv += src == CONFIG_SOURCE_ENV;
        if (src == CONFIG_SOURCE_FILE && nfile++ == 0) {
            /* The origin reads: config file "PATH" line N. */
            const char *o = strchr(config_get_origin(cfg, (ConfigKey)k), '"');
            const char *e = o != NULL ? strrchr(o + 1, '"') : NULL;

            if (e != NULL)
                snprintf(path, sizeof(path), "%.*s", (int)(e - o - 1), o + 1);
        }
    }
    if (nfile > 0)
        snprintf(buf, size, "%d setting%s from %s, %d from the environment", nfile,
                 nfile == 1 ? "" : "s", path, nenv);
    else
        snprintf(buf, size, "%d setting%s from the environment, the rest are defaults", nenv,
                 nenv == 1 ? "" : "s");
}

/* A required setting: FAIL when unset. */
static void
require(CheckRun *cr, const Config *cfg, ConfigKey key, const char *example)
{
    const ConfigDef *d = config_def(key);
    Error err;

    if (config_get_str(cfg, key) != NULL)
        return;
    err_set(&err, ERR_CONFIG, "%s is not set", d->env);
    err_hint(&err, "Set the environment variable %s%s, or \"%s\" in the file given with --config.",
             d->env, example, d->key);
    fail(cr, "configuration", &err);
}

/* The configuration check; returns whether it passed (warnings allowed). */
static bool
check_config(CheckRun *cr, const Config *cfg)
{
    const char *url = config_get_str(cfg, CONFIG_CENTRA_URL);
    const char *ca = config_get_str(cfg, CONFIG_CA_FILE);
    const char *archive = config_get_str(cfg, CONFIG_ARCHIVE_DIR);
    int failed = cr->failed;
    char sources[700];
    ExportOptions eo;
    Error err;

    sources_text(cfg, sources, sizeof(sources));
    require(cr, cfg, CONFIG_CENTRA_URL,
            " to Centra's SOAP endpoint (https://x.centra.com/ams/system/service/module/soap/api)");
    require(cr, cfg, CONFIG_CENTRA_USERNAME, "");
    require(cr, cfg, CONFIG_CENTRA_PASSWORD, "");
    if (ca != NULL && http_check_ca_file(ca, &err) != ERR_OK)
        fail(cr, "configuration", &err);
    err_reset(&err);
    if (archive != NULL && archive_check_dir(archive, "CENTRA_ARCHIVE_DIR", &err) != ERR_OK)
        fail(cr, "configuration", &err); /* as import would refuse it */
    err_reset(&err);
    export_options_from_config(&eo, cfg);
    if (export_check_options(&eo, &err) != ERR_OK)
        fail(cr, "configuration", &err); /* as export would refuse them */
    if (cr->failed == failed)
        line(cr, "ok", "configuration", "%s", sources);
    if (config_get_str(cfg, CONFIG_DATABASE_URL) == NULL)
        indented("DATABASE_URL is not set: libpq's PG* variables and ~/.pgpass apply.");
    if (url != NULL && str_starts_with(url, "http://")) {
        line(cr, "warn", "configuration", "CENTRA_URL uses http://: no TLS");
        indented("The password and every order travel unencrypted.  Use https:// outside a "
                 "test setup.");
    }
    if (config_get_int(cfg, CONFIG_TLS_VERIFY) != 0) {
        line(cr, "warn", "configuration",
             "CENTRA_TLS_VERIFY is off: Centra's certificate is not "
             "verified");
        indented("Anyone on the way could pose as Centra.  Name a private CA in CENTRA_CA_FILE "
                 "instead.");
    }
    return cr->failed == failed;
}

/* ---------------------------------------------------------------------------
 * 2. database and schema
 * ------------------------------------------------------------------------- */

/*
 * centra_timezone, which only PostgreSQL can judge: set in this session as
 * the import sets it in its own (a FAIL of the configuration, 78).
 */
static void
check_timezone(CheckRun *cr, const Config *cfg, DbConn *db)
{
    const char *tz = config_get_str(cfg, CONFIG_TIMEZONE);
    Error err;
    ErrKind rc;

    if (tz == NULL)
        return;
    err_reset(&err);
    rc = db_set_time_zone(db, tz, config_get_origin(cfg, CONFIG_TIMEZONE), &err);
    if (rc == ERR_DB_CONNECTION)
        fail(cr, "database", &err);
    else if (rc != ERR_OK)
        fail(cr, "configuration", &err);
}

/*
 * What the commands need of the database beyond a login: to write (not a
 * standby, not read-only by default) and, for import and load, to create
 * temporary tables (their work tables).
 */
static void
check_access(CheckRun *cr, DbConn *db)
{
    DbResult *res;
    Error err;

    err_reset(&err);
    if (db_query(db,
                 "SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on', "
                 "has_database_privilege(current_database(), 'TEMP'), "
                 "quote_ident(current_database())",
                 0, NULL, &res, &err) != ERR_OK) {
        fail(cr, "database", &err);
        return;
    }
    if (strcmp(db_result_value(res, 0, 0), "t") == 0) {
        err_set(&err, ERR_DB_PERMISSION, "the database is a standby: it takes no writes");
        err_hint(&err, "Point DATABASE_URL at the primary.");
        fail(cr, "database", &err);
    } else if (strcmp(db_result_value(res, 0, 1), "t") == 0) {
        err_set(&err, ERR_DB_PERMISSION,
                "transactions are read-only by default (default_transaction_read_only)");
        err_hint(&err,
                 "ALTER DATABASE %s RESET default_transaction_read_only, or the same for "
                 "the role (ALTER ROLE ... RESET ...).",
                 db_result_value(res, 0, 3));
        fail(cr, "database", &err);
    }
    if (strcmp(db_result_value(res, 0, 2), "f") == 0) {
        err_set(&err, ERR_DB_PERMISSION,
                "the user may not create temporary tables, which import and load work in");
        err_hint(&err,
                 "GRANT TEMP ON DATABASE %s TO centra_bridge (the TEMP privilege; "
                 "docs/security.md).",
                 db_result_value(res, 0, 3));
        fail(cr, "database", &err);
    }
    db_result_free(res);
}

/*
 * The tables the commands write, and the sequence: what centra_bridge is
 * granted (sql/90_roles.sql) and a user of the program must have.  A fixed
 * list, not every table of the schemas: a DBA's own table there (a backup
 * copy, say) is none of the program's business.
 */
static const char check_privileges_sql[] =
    "WITH need(t, privs) AS (VALUES ('centra.runs', '{SELECT,INSERT,UPDATE}'::text[]), "
    "('centra.events', '{SELECT,INSERT,UPDATE,DELETE}'), "
    "('centra.orders', '{SELECT,INSERT,UPDATE}'), "
    "('centra.order_lines', '{SELECT,INSERT,DELETE}'), "
    "('centra.order_line_warehouses', '{SELECT,INSERT,DELETE}'), "
    "('centra.order_line_supplier_orders', '{SELECT,INSERT,DELETE}'), "
    "('centra.order_bundles', '{SELECT,INSERT,DELETE}'), "
    "('centra.order_additionals', '{SELECT,INSERT,DELETE}'), "
    "('centra.payments', '{SELECT,INSERT,DELETE}'), "
    "('centra.cancelled_lines', '{SELECT,INSERT,DELETE}'), "
    "('centra.shipments', '{SELECT,INSERT,DELETE}'), "
    "('centra.shipment_lines', '{SELECT,INSERT,DELETE}'), "
    "('centra.refunds', '{SELECT,INSERT,DELETE}'), "
    "('centra.refund_lines', '{SELECT,INSERT,DELETE}'), "
    "('centra.entities', '{SELECT,INSERT,UPDATE}'), "
    "('centra.id_map', '{SELECT,INSERT,UPDATE,DELETE}'), "
    "('centra.schema_migrations', '{SELECT}'), "
    "('centra_outbox.messages', '{SELECT,UPDATE}')), "
    "m AS (SELECT n.t, string_agg(p, ', ' ORDER BY k) AS privs FROM need n "
    "CROSS JOIN LATERAL unnest(n.privs) WITH ORDINALITY u(p, k) "
    "WHERE to_regclass(n.t) IS NOT NULL AND NOT has_table_privilege(n.t, p) GROUP BY n.t "
    "UNION ALL SELECT 'centra.unidentified_event_seq', 'USAGE' "
    "WHERE to_regclass('centra.unidentified_event_seq') IS NOT NULL "
    "AND NOT has_sequence_privilege('centra.unidentified_event_seq', 'USAGE')) "
    "SELECT count(*), array_to_string((array_agg(format('%s (%s)', t, privs) ORDER BY t))[1:3], "
    "', '), quote_ident(current_user), "
    /* CASE, not AND: only CASE is sure to skip pg_has_role when the role does not exist. */
    "CASE WHEN to_regrole('centra_bridge') IS NOT NULL "
    "THEN pg_has_role('centra_bridge', 'MEMBER') ELSE false END, "
    "CASE WHEN to_regrole('centra_bridge') IS NOT NULL "
    "THEN pg_has_role('centra_bridge', 'USAGE') ELSE false END, "
    "to_regrole('centra_bridge') IS NOT NULL FROM m";

/*
 * What the commands read and write, of a current schema (check_privileges_sql).
 * A user in centra_erp or centra_reader, or one granted too little, is said
 * here rather than by the first run that fails.
 */
static void
check_privileges(CheckRun *cr, DbConn *db)
{
    DbResult *res;
    Error err;
    const char *user;

    err_reset(&err);
    if (db_query(db, check_privileges_sql, 0, NULL, &res, &err) != ERR_OK) {
        fail(cr, "schema", &err);
        return;
    }
    user = db_result_value(res, 0, 2);
    if (strcmp(db_result_value(res, 0, 0), "0") != 0) {
        long n = strtol(db_result_value(res, 0, 0), NULL, 10);

        err_set(&err, ERR_DB_PERMISSION,
                "the user %s lacks privileges on tables the commands read and write", user);
        if (n > 3)
            err_detail(&err, "Missing: %s, and on %ld more tables or sequences.",
                       db_result_value(res, 0, 1), n - 3);
        else
            err_detail(&err, "Missing: %s.", db_result_value(res, 0, 1));
        if (strcmp(db_result_value(res, 0, 5), "f") == 0)
            err_hint(&err,
                     "The role centra_bridge does not exist: run \"centra-bridge migrate\" once "
                     "as a user with CREATEROLE, which creates it, then GRANT centra_bridge TO "
                     "%s (docs/migrations.md).",
                     user);
        else if (strcmp(db_result_value(res, 0, 4), "t") == 0)
            err_hint(&err, "The user is in centra_bridge, which lacks them: run \"centra-bridge "
                           "migrate\" as the schemas' owner, which grants them again.");
        else if (strcmp(db_result_value(res, 0, 3), "t") == 0)
            err_hint(&err,
                     "The user is a member of centra_bridge but does not inherit its privileges "
                     "(NOINHERIT): ALTER ROLE %s INHERIT.",
                     user);
        else
            err_hint(&err,
                     "GRANT centra_bridge TO %s: the role migrate creates for the program "
                     "(centra_erp and centra_reader are for the ERP and for people; "
                     "docs/security.md).",
                     user);
        fail(cr, "schema", &err);
    }
    db_result_free(res);
}

/* The schema check on a connected database. */
static void
check_schema(CheckRun *cr, DbConn *db)
{
    int version;
    Error err;

    err_reset(&err);
    if (migrate_check_current(db, &version, &err) != ERR_OK) {
        fail(cr, "schema", &err);
        return;
    }
    line(cr, "ok", "schema", "schema at version %d, current", version);
    check_privileges(cr, db);
}

static void
check_database(CheckRun *cr, const Config *cfg)
{
    DbOptions opts;
    DbConn *db;
    Error err;
    int v;

    err_reset(&err);
    db_options_from_config(&opts, cfg);
    if (opts.retries > 1)
        opts.retries = 1;
    if (db_new(&opts, &db, &err) != ERR_OK) {
        fail(cr, "database", &err);
        line(cr, "skip", "schema", "no database connection");
        return;
    }
    v = db_server_version(db);
    line(cr, "ok", "database", "%s, PostgreSQL %d.%d", db_describe(db), v / 10000, v % 100);
    check_access(cr, db);
    check_timezone(cr, cfg, db);
    check_schema(cr, db);
    db_free(db);
}

/* ---------------------------------------------------------------------------
 * 3. centra
 * ------------------------------------------------------------------------- */

static ErrKind
count_begin(void *arg, const HttpResponse *resp, Error *err)
{
    (void)arg;
    (void)resp;
    (void)err;
    return ERR_OK;
}

static ErrKind
count_chunk(void *arg, const char *data, size_t len, Error *err)
{
    return evp_feed(arg, data, len, err);
}

/* What import would ask for: the event types and markets of the settings. */
typedef struct CheckLists {
    char *types[IMPORT_LIST_MAX];
    int ntypes;
    char *markets[IMPORT_LIST_MAX];
    int nmarkets;
} CheckLists;

/*
 * One events_Get (events_GetByMarkets with markets) of type into a counting
 * parser: *events gets the events in the answer.
 */
static ErrKind
events_get_once(SoapClient *soap, const EvpLimits *limits, const CheckLists *l, const char *type,
                long long *events, HttpResponse *resp, Error *err)
{
    EvpSink counter = evp_count_sink(events);
    EvParser *p = evp_new(limits, &counter);
    HttpSink sink = {count_begin, count_chunk, p};
    DynBuf body;
    ErrKind rc;

    *events = 0;
    dynbuf_init(&body, 1024 * 1024);
    soap_build_events_get(soap, &body, type, (const char *const *)l->markets, (size_t)l->nmarkets);
    rc = soap_call(soap, l->nmarkets > 0 ? "events_GetByMarkets" : "events_Get", &body, &sink, resp,
                   err);
    if (rc == ERR_TOO_BIG && evp_stopped(p))
        rc = ERR_OK;
    if (rc == ERR_OK)
        rc = evp_finish(p, err);
    evp_free(p);
    dynbuf_free(&body);
    return rc;
}

/* Append what, then the items of list separated by ", ", to scope. */
static void
scope_add(char *scope, size_t size, const char *what, char *const *list, int n)
{
    size_t at = strlen(scope);

    snprintf(scope + at, size - at, "%s", what);
    for (int i = 0; i < n; i++) {
        at = strlen(scope);
        snprintf(scope + at, size - at, "%s%s", i > 0 ? ", " : "", list[i]);
    }
}

/* events_Get of type, tried again as import would; *events gets its count. */
static ErrKind
events_get_retried(SoapClient *soap, const EvpLimits *limits, const CheckLists *l, const char *type,
                   long long *events, Error *err)
{
    ErrKind rc;

    for (int attempt = 1;; attempt++) {
        HttpResponse resp;

        memset(&resp, 0, sizeof(resp));
        resp.retry_after_ms = -1;
        rc = events_get_once(soap, limits, l, type, events, &resp, err);
        if (rc == ERR_OK)
            soap_answered(soap, l->nmarkets > 0 ? "events_GetByMarkets" : "events_Get");
        if (rc == ERR_OK || !soap_retry_wait(soap, attempt, &resp, err))
            return rc;
    }
}

/*
 * Centra accepts the login: one events_Get per event type import would ask
 * for (centra_event_types, centra_markets), each read-only.
 */
static void
check_centra(CheckRun *cr, const Config *cfg)
{
    EvpLimits limits;
    SoapClient *soap = NULL;
    CheckLists l;
    long long events = 0;
    bool more = false;
    char scope[512] = "";
    Error err;
    ErrKind rc;

    err_reset(&err);
    limits.max_response = config_get_int(cfg, CONFIG_MAX_RESPONSE_SIZE);
    limits.max_text = config_get_int(cfg, CONFIG_MAX_TEXT_SIZE);
    limits.max_depth = (int)config_get_int(cfg, CONFIG_MAX_DEPTH);
    l.ntypes = import_split_list(config_get_str(cfg, CONFIG_EVENT_TYPES), l.types, IMPORT_LIST_MAX);
    l.nmarkets = import_split_list(config_get_str(cfg, CONFIG_MARKETS), l.markets, IMPORT_LIST_MAX);
    if (l.ntypes > 1 || (l.ntypes == 1 && strcmp(l.types[0], "all") != 0))
        scope_add(scope, sizeof(scope), " of types ", l.types, l.ntypes);
    if (l.nmarkets > 0)
        scope_add(scope, sizeof(scope), " in markets ", l.markets, l.nmarkets);
    rc = soap_client_from_config_retries(cfg, 1, &soap, &err); /* quick, when down */
    for (int i = 0; rc == ERR_OK && i < (l.ntypes > 0 ? l.ntypes : 1); i++) {
        long long n;

        rc = events_get_retried(soap, &limits, &l, l.ntypes > 0 ? l.types[i] : "all", &n, &err);
        events += n;
        more |= n >= 100; /* one answer holds at most 100 */
    }
    if (rc != ERR_OK)
        fail(cr, "centra", &err);
    else
        line(cr, "ok", "centra", "%s: login accepted, %s%lld event%s%s waiting", soap_url(soap),
             more ? "at least " : "", events, events == 1 ? "" : "s", scope);
    soap_client_free(soap);
    import_free_list(l.types, l.ntypes);
    import_free_list(l.markets, l.nmarkets);
}

/* ---------------------------------------------------------------------------
 * The command
 * ------------------------------------------------------------------------- */

static ErrKind
check_cmd_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    static const struct option long_options[] = {{NULL, 0, NULL, 0}};
    CheckRun cr = {ERR_OK, 0, 0};
    bool config_ok;
    int c;
    int at;

    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+:", long_options, &at)) != -1)
        return cli_bad_option(err, "check", argc, argv, at, c);
    if (optind < argc)
        return cli_usage_error(err, "check", "unexpected argument \"%s\"", argv[optind]);

    config_ok = check_config(&cr, ctx->cfg);
    check_database(&cr, ctx->cfg);
    if (config_ok)
        check_centra(&cr, ctx->cfg);
    else
        line(&cr, "skip", "centra", "the configuration check failed");
    if (cr.failed == 0 && cr.warned == 0)
        printf("All checks passed.\n");
    else if (cr.failed == 0)
        printf("All checks passed, with %d warning%s.\n", cr.warned, cr.warned == 1 ? "" : "s");
    else
        printf("%d check%s failed: fix what is marked FAIL above, then run \"centra-bridge "
               "check\" again.\n",
               cr.failed, cr.failed == 1 ? "" : "s");
    /* Every failure is printed above: nothing more for the caller to report. */
    err_reset(err);
    return cr.first;
}

const CliCommand cli_cmd_check = {
    "check",       "check the configuration, the database and the login to Centra",
    check_help,    NULL,
    check_cmd_run, false,
};
