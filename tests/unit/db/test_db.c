/*
 * tests/unit/db/test_db.c
 *     The database layer against the scripted fake libpq: classification,
 *     connection retries, deadlines, connection loss, transactions and
 *     prepared statements.  Every test ends with fake_pq_verify: the script
 *     was used up, every PGresult cleared, every connection finished.
 */
#include "centra/db.h"

#include <stdlib.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/log.h"
#include "centra/runs.h"
#include "fake_libpq.h"
#include "testutil.h"

#define REFUSED                                                                                    \
    "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n"                   \
    "\tIs the server running on that host and accepting TCP/IP connections?"

static DbOptions opts;
static Error err;

static void
setup(void)
{
    opts.conninfo = "host=db dbname=erp";
    opts.connect_timeout_ms = 2000;
    opts.statement_timeout_ms = 0;
    opts.retries = 3;
    opts.retry_delay_ms = 10;
    err_reset(&err);
    log_clear_secrets();
    log_set_level(LOG_LEVEL_INFO);
    log_capture_begin();
}

static void
teardown(void)
{
    free(log_capture_end());
}

/* What was logged since the last call (caller frees). */
static char *
take_log(void)
{
    char *out = log_capture_end();

    log_capture_begin();
    return out;
}

#define CONNECT_OK                                                                                 \
    {                                                                                              \
        .kind = FAKE_CONNECT, .connect_ok = true                                                   \
    }
#define CONNECT_FAIL(msg)                                                                          \
    {                                                                                              \
        .kind = FAKE_CONNECT, .connect_ok = false, .error = (msg)                                  \
    }
#define OK_RESULT                                                                                  \
    {                                                                                              \
        .status = PGRES_COMMAND_OK                                                                 \
    }
#define SEND_OK(sql_)                                                                              \
    {                                                                                              \
        .kind = FAKE_SEND, .sql = (sql_), .nresults = 1, .results = { OK_RESULT }                  \
    }
#define SEND_ERROR(sql_, state, msg)                                                               \
    {                                                                                              \
        .kind = FAKE_SEND, .sql = (sql_), .nresults = 1, .results = {                              \
            {.status = PGRES_FATAL_ERROR, .sqlstate = (state), .message = (msg)}                   \
        }                                                                                          \
    }
#define SEND_DROP(sql_)                                                                            \
    {                                                                                              \
        .kind = FAKE_SEND, .sql = (sql_), .drop = true                                             \
    }

/* --- classification ------------------------------------------------------ */

typedef struct StateCase {
    const char *sqlstate; /* SQLSTATE or NULL */
    bool lost;            /* connection gone */
    ErrKind kind;         /* expected */
} StateCase;

static const StateCase state_cases[] = {
    {"40001", false, ERR_DB_CONFLICT},   {"40P01", false, ERR_DB_CONFLICT},
    {"55P03", false, ERR_DB_CONFLICT},   {"08006", false, ERR_DB_CONNECTION},
    {"08000", false, ERR_DB_CONNECTION}, {"57P01", false, ERR_DB_CONNECTION},
    {"57P02", false, ERR_DB_CONNECTION}, {"57P03", false, ERR_DB_CONNECTION},
    {"53300", false, ERR_DB_CONNECTION}, {"57014", false, ERR_DB_TIMEOUT},
    {"28P01", false, ERR_DB_AUTH},       {"28000", false, ERR_DB_AUTH},
    {"3D000", false, ERR_DB_AUTH},       {"42501", false, ERR_DB_PERMISSION},
    {"25006", false, ERR_DB_CONNECTION}, {"23505", false, ERR_DB_QUERY},
    {"42P01", false, ERR_DB_SCHEMA},     {"3F000", false, ERR_DB_SCHEMA},
    {"42883", false, ERR_DB_SCHEMA},     {"42703", false, ERR_DB_SCHEMA},
    {"53100", false, ERR_DB_QUERY},      {"XX000", false, ERR_DB_QUERY},
    {NULL, false, ERR_DB_QUERY},         {"", false, ERR_DB_QUERY},
    {"23505", true, ERR_DB_CONNECTION},  {NULL, true, ERR_DB_CONNECTION},
};

START_TEST(sqlstates_are_classified_once)
{
    const StateCase *c = &state_cases[_i];

    ck_assert_msg(db_classify_sqlstate(c->sqlstate, c->lost) == c->kind, "%s lost=%d",
                  c->sqlstate ? c->sqlstate : "NULL", c->lost);
}
END_TEST

typedef struct ConnectCase {
    const char *message; /* PQerrorMessage of the failed attempt */
    ErrKind kind;        /* expected */
} ConnectCase;

static const ConnectCase connect_cases[] = {
    {REFUSED, ERR_DB_CONNECTION},
    {"could not translate host name \"nope\" to address: Name or service not known",
     ERR_DB_CONNECTION},
    {"connection to server at \"10.0.0.1\", port 5432 failed: timeout expired", ERR_DB_CONNECTION},
    {"connection to server at \"db\" failed: FATAL:  the database system is starting up",
     ERR_DB_CONNECTION},
    {"connection to server at \"db\" failed: FATAL:  sorry, too many clients already",
     ERR_DB_CONNECTION},
    {"connection to server at \"db\" failed: FATAL:  password authentication failed for user "
     "\"bob\"",
     ERR_DB_AUTH},
    {"connection to server at \"db\" failed: FATAL:  database \"erp\" does not exist", ERR_DB_AUTH},
    {"connection to server at \"db\" failed: FATAL:  no pg_hba.conf entry for host", ERR_DB_AUTH},
    {"connection to server at \"db\" failed: FATAL:  role \"bob\" is not permitted to log in",
     ERR_DB_AUTH},
    /* libpq refusing an option's value before it connects: the settings are wrong. */
    {"invalid sslmode value: \"maybe\"", ERR_CONFIG},
    {"invalid integer value \"x\" for connection option \"port\"", ERR_CONFIG},
    {"connection to server at \"db\", port 5432 failed: invalid integer value \"abc\" for "
     "connection option \"connect_timeout\"",
     ERR_CONFIG},
    {"could not match 3 port numbers to 2 hosts", ERR_CONFIG},
    {"could not parse network address \"nope\": Name or service not known", ERR_CONFIG},
    /* A FATAL we cannot read (a localized server) is retried, not taken as a refusal. */
    {"connection to server at \"db\" failed: FATAL:  das Datenbanksystem startet",
     ERR_DB_CONNECTION},
};

START_TEST(connection_failures_are_classified)
{
    const ConnectCase *c = &connect_cases[_i];

    ck_assert_int_eq(db_classify_connect_failure(c->message, false), c->kind);
    ck_assert_int_eq(db_classify_connect_failure(c->message, true), ERR_DB_AUTH);
}
END_TEST

/* --- connecting ------------------------------------------------------------ */

START_TEST(connects_on_the_first_attempt)
{
    static const FakeStep script[] = {CONNECT_OK};
    DbConn *db;

    fake_pq_script(script, CB_LENGTH(script));
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_OK);
    ck_assert_str_eq(db_describe(db), "database \"fakedb\" on fakehost:5432 as user \"fakeuser\"");
    ck_assert_int_eq(db_server_version(db), 150000);
    db_free(db);
    db_free(NULL);
    fake_pq_verify();
}
END_TEST

START_TEST(refused_connections_are_retried_with_backoff)
{
    static const FakeStep script[] = {CONNECT_FAIL(REFUSED), CONNECT_FAIL(REFUSED), CONNECT_OK};
    DbConn *db;
    char *log;

    fake_pq_script(script, CB_LENGTH(script));
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_OK);
    db_free(db);
    log = take_log();
    ck_assert_contains(log, "WARNING: could not connect to the database (attempt 1 of 4), "
                            "retrying in ");
    ck_assert_contains(log, "(attempt 2 of 4)");
    ck_assert_not_contains(log, "(attempt 3 of 4)");
    /* libpq's second line stays in the record: a text log does not split it. */
    ck_assert_contains(log, "Connection refused Is the server running on that host and "
                            "accepting TCP/IP connections?\n");
    ck_assert_not_contains(log, "\tIs the server");
    free(log);
    fake_pq_verify();
}
END_TEST

START_TEST(exhausted_retries_report_every_attempt)
{
    static const FakeStep script[] = {
        CONNECT_FAIL("connection to server at \"db\" failed: timeout expired"),
        CONNECT_FAIL(REFUSED), CONNECT_FAIL(REFUSED), CONNECT_FAIL(REFUSED)};
    DbConn *db = (DbConn *)&err;

    fake_pq_script(script, CB_LENGTH(script));
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_DB_CONNECTION);
    ck_assert_ptr_null(db);
    ck_assert_str_eq(err.message, "could not connect to the database after 4 attempts");
    ck_assert_str_eq(err.detail,
                     "Attempt 1: connection to server at \"db\" failed: timeout expired\n"
                     "Attempts 2-4: " REFUSED);
    ck_assert_str_eq(err.hint, "Check that the server is running and reachable, and DATABASE_URL "
                               "(or the PG* variables).  The number of retries is set by "
                               "centra_db_retries.");
    ck_assert_int_eq(err_exit_code(err.kind), 69);
    fake_pq_verify();
}
END_TEST

START_TEST(no_retries_means_one_attempt)
{
    static const FakeStep script[] = {CONNECT_FAIL(REFUSED)};
    DbConn *db;

    opts.retries = 0;
    fake_pq_script(script, CB_LENGTH(script));
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_DB_CONNECTION);
    ck_assert_str_eq(err.message, "could not connect to the database after 1 attempt");
    ck_assert_str_eq(err.detail, "Attempt 1: " REFUSED);
    fake_pq_verify();
}
END_TEST

START_TEST(a_refusal_by_the_server_is_not_retried)
{
    static const FakeStep script[] = {CONNECT_FAIL(
        "connection to server at \"db\" failed: FATAL:  password authentication failed for user "
        "\"bob\"")};
    DbConn *db;

    fake_pq_script(script, CB_LENGTH(script));
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_DB_AUTH);
    ck_assert_str_eq(err.message, "the database server refused the connection");
    ck_assert_str_eq(err.detail, "connection to server at \"db\" failed: FATAL:  password "
                                 "authentication failed for user \"bob\"");
    ck_assert_contains(err.hint, "pg_hba.conf");
    ck_assert_int_eq(err_exit_code(err.kind), 78);
    fake_pq_verify();
}
END_TEST

START_TEST(a_missing_password_is_not_retried)
{
    static const FakeStep script[] = {{.kind = FAKE_CONNECT,
                                       .error = "fe_sendauth: no password supplied",
                                       .needs_password = true}};
    DbConn *db;

    fake_pq_script(script, CB_LENGTH(script));
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_DB_AUTH);
    fake_pq_verify();
}
END_TEST

START_TEST(an_unparsable_database_url_is_a_config_error)
{
    DbConn *db;

    opts.conninfo = "INVALID conninfo";
    opts.conninfo_origin = "environment variable DATABASE_URL";
    fake_pq_script(NULL, 0);
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_CONFIG);
    ck_assert_str_eq(err.message, "invalid value for setting \"database_url\"");
    /* The quoted fragment could be the password: only keywords and "=" are kept. */
    ck_assert_str_eq(err.detail, "libpq reports: missing \"=\" after \"<redacted>\" in connection "
                                 "info string. The value comes from environment variable "
                                 "DATABASE_URL.");
    opts.conninfo = "BADKEY";
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_CONFIG);
    ck_assert_str_eq(err.detail, "libpq reports: invalid connection option \"sslmode\" near "
                                 "\"<redacted>\". The value comes from environment variable "
                                 "DATABASE_URL.");
    /* An option given that libpq does not know is named: it is a word before "=". */
    opts.conninfo = "UNKNOWNOPT";
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_CONFIG);
    ck_assert_str_eq(err.detail, "libpq reports: invalid connection option \"bogus_opt\". The "
                                 "value comes from environment variable DATABASE_URL.");
    /* Not a word: it could be a password written in the wrong place. */
    opts.conninfo = "UNKNOWNPARAM";
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_CONFIG);
    ck_assert_str_eq(err.detail, "libpq reports: invalid URI query parameter: \"<redacted>\". "
                                 "The value comes from environment variable DATABASE_URL.");
    fake_pq_verify();
}
END_TEST

/*
 * Found in review: libpq read part of such a password as the host or port
 * and quoted it in its errors, and the log's URL masking missed it.
 */
START_TEST(a_uri_whose_password_is_not_percent_encoded_is_refused_unshown)
{
    static const char *const bad[] = {
        "postgresql://bridge:S3cr3t/Pa55@127.0.0.1:5432/postgres",
        "postgresql://bridge:S3cr3t@Pa55@127.0.0.1:5432/postgres",
        "postgres://bridge:S3cr3t/Pa55=@127.0.0.1/x", /* base64: an "=" after the "/" */
        "postgresql://bridge:S3cr/et?Pa55@127.0.0.1/x",
        "postgresql://bridge:S3cr/Pa55?Zk3=x@127.0.0.1/x",       /* "/", then a query */
        "postgresql://127.0.0.1:5432?user=u&password=S3cr@Pa55", /* read as a user part */
    };
    DbConn *db;

    opts.conninfo_origin = "environment variable DATABASE_URL";
    fake_pq_script(NULL, 0);
    for (size_t i = 0; i < CB_LENGTH(bad); i++) {
        opts.conninfo = bad[i];
        ck_assert_int_eq(db_new(&opts, &db, &err), ERR_CONFIG);
        ck_assert_str_eq(err.message, "invalid value for setting \"database_url\"");
        ck_assert_ptr_null(strstr(err.detail, "S3cr"));
        ck_assert_ptr_null(strstr(err.detail, "Pa55"));
        ck_assert_ptr_nonnull(strstr(err.hint, "%40"));
    }
    /* An "@" in a query value, after its "=", is not the password's. */
    opts.conninfo = "postgresql://u@h/db?application_name=a@b";
    ck_assert_int_eq(db_check_conninfo(&opts, &err), ERR_OK);
    opts.conninfo = "postgresql://h/db?application_name=a@b";
    ck_assert_int_eq(db_check_conninfo(&opts, &err), ERR_OK);
    /* libpq reads "?" and "#" in a password before its "@" as the password's. */
    opts.conninfo = "postgresql://u:S3cr?et#x@h/db";
    ck_assert_int_eq(db_check_conninfo(&opts, &err), ERR_OK);
    /* Ports, host lists and IPv6 addresses with an "@" in a query value. */
    opts.conninfo = "postgresql://h1:5432,[::1]:5433/db?application_name=a@b";
    ck_assert_int_eq(db_check_conninfo(&opts, &err), ERR_OK);
    opts.conninfo = "postgresql:///db?host=/tmp&application_name=a@b";
    ck_assert_int_eq(db_check_conninfo(&opts, &err), ERR_OK);
    fake_pq_verify();
}
END_TEST

START_TEST(a_connection_option_libpq_refuses_is_a_config_error_at_once)
{
    static const FakeStep script[] = {
        {.kind = FAKE_CONNECT, .error = "invalid sslmode value: \"maybe\""}};
    DbConn *db;

    opts.conninfo = "host=db sslmode=maybe";
    opts.conninfo_origin = "environment variable DATABASE_URL";
    fake_pq_script(script, CB_LENGTH(script));
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_CONFIG); /* one attempt: no retries */
    ck_assert_int_eq(err_exit_code(err.kind), 78);
    ck_assert_str_eq(err.message, "invalid database connection settings");
    ck_assert_str_eq(err.detail, "libpq reports: invalid sslmode value: \"maybe\". The settings "
                                 "come from environment variable DATABASE_URL and the PG* "
                                 "environment variables.");
    fake_pq_verify();
}
END_TEST

/* /healthz's question, for a daemon worker: is its last error newer than its last success? */
START_TEST(a_worker_is_failing_exactly_while_its_last_error_is_its_newest_news)
{
    static const FakeStep script[] = {CONNECT_OK, SEND_OK(NULL), SEND_OK(NULL)};
    RunLive live;
    RunCounts c;
    DbConn *db;

    memset(&live, 0, sizeof(live));
    memset(&c, 0, sizeof(c));
    fake_pq_script(script, CB_LENGTH(script));
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_OK);
    runs_set_live(&live);
    ck_assert(!runs_live_failing(&live));
    backoff_note_retry("could not connect (attempt 1 of 6)"); /* as a retried attempt does */
    ck_assert(runs_live_failing(&live));
    ck_assert_int_eq(live.errors, 1);
    /* A success in the same second (the clock cannot tell them apart): no longer failing. */
    ck_assert_int_eq(runs_update(db, 7, &c, false, ERR_OK, NULL, &err), ERR_OK);
    ck_assert(!runs_live_failing(&live));
    /* An error in the same second as that success: failing again, and a new outage. */
    live.failing_since = 0;
    runs_note_error(&(Error){.kind = ERR_DB_CONNECTION, .message = "lost the connection"});
    ck_assert(runs_live_failing(&live));
    ck_assert_int_ne(live.failing_since, 0);
    ck_assert_str_eq(live.last_error, "lost the connection");
    /* A run recorded as failed is no success. */
    ck_assert_int_eq(runs_update(db, 7, &c, true, ERR_DB_CONNECTION, NULL, &err), ERR_OK);
    ck_assert(runs_live_failing(&live));
    runs_set_live(NULL);
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(the_database_password_is_registered_for_redaction)
{
    static const FakeStep script[] = {CONNECT_OK};
    DbConn *db;
    char *red;

    opts.conninfo = "host=db password=pw-1234";
    fake_pq_script(script, CB_LENGTH(script));
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_OK);
    red = log_redact("echo pw-1234");
    ck_assert_str_eq(red, "echo <redacted>");
    xfree(red);
    db_free(db);
    fake_pq_verify();
}
END_TEST

/* --- statements ------------------------------------------------------------- */

static DbConn *
connected(const FakeStep *script, size_t n)
{
    DbConn *db;

    fake_pq_script(script, n);
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_OK);
    return db;
}

START_TEST(rows_and_nulls_are_returned)
{
    static const FakeStep script[] = {CONNECT_OK,
                                      {.kind = FAKE_SEND,
                                       .send = "params",
                                       .sql = "SELECT $1, $2",
                                       .nresults = 1,
                                       .results = {{.status = PGRES_TUPLES_OK,
                                                    .nrows = 2,
                                                    .ncols = 2,
                                                    .values = {"a", NULL, "c", "d"}}}}};
    DbConn *db = connected(script, CB_LENGTH(script));
    const char *params[] = {"x", NULL};
    DbResult *res;

    ck_assert_int_eq(db_query(db, "SELECT $1, $2", 2, params, &res, &err), ERR_OK);
    ck_assert_str_eq(fake_pq_last_param(0), "x");
    ck_assert_ptr_null(fake_pq_last_param(1));
    ck_assert_int_eq(db_result_rows(res), 2);
    ck_assert_int_eq(db_result_cols(res), 2);
    ck_assert_str_eq(db_result_value(res, 0, 0), "a");
    ck_assert_ptr_null(db_result_value(res, 0, 1));
    ck_assert_str_eq(db_result_value(res, 1, 1), "d");
    ck_assert_ptr_null(db_result_value(res, 2, 0));
    ck_assert_ptr_null(db_result_value(res, 0, -1));
    db_result_free(res);
    db_result_free(NULL);
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(affected_rows_are_reported)
{
    static const FakeStep script[] = {
        CONNECT_OK,
        {.kind = FAKE_SEND,
         .nresults = 1,
         .results = {{.status = PGRES_COMMAND_OK, .cmd_tuples = "3"}}},
        SEND_OK("SET x = 1")};
    DbConn *db = connected(script, CB_LENGTH(script));
    DbResult *res;

    ck_assert_int_eq(db_query(db, "UPDATE t SET a = 1", 0, NULL, &res, &err), ERR_OK);
    ck_assert_int_eq(db_result_affected(res), 3);
    db_result_free(res);
    ck_assert_int_eq(db_query(db, "SET x = 1", 0, NULL, &res, &err), ERR_OK);
    ck_assert_int_eq(db_result_affected(res), -1);
    db_result_free(res);
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(statement_errors_carry_detail_hint_and_query)
{
    static const FakeStep script[] = {
        CONNECT_OK,
        {.kind = FAKE_SEND,
         .nresults = 1,
         .results = {{.status = PGRES_FATAL_ERROR,
                      .sqlstate = "23505",
                      .message = "duplicate key value violates unique constraint \"t_pkey\"",
                      .detail = "Key (id)=(1) already exists.",
                      .hint = "Pick another id."}}}};
    DbConn *db = connected(script, CB_LENGTH(script));
    DbResult *res = (DbResult *)&err;

    ck_assert_int_eq(db_query(db, "INSERT INTO t VALUES (1)", 0, NULL, &res, &err), ERR_DB_QUERY);
    ck_assert_ptr_null(res);
    ck_assert_str_eq(err.message, "duplicate key value violates unique constraint \"t_pkey\"");
    ck_assert_str_eq(err.detail, "Key (id)=(1) already exists.\nSQLSTATE 23505.\n"
                                 "Query was: INSERT INTO t VALUES (1)");
    ck_assert_str_eq(err.hint, "Pick another id.");
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(a_missing_privilege_gets_a_hint)
{
    static const FakeStep script[] = {
        CONNECT_OK, SEND_ERROR("SELECT 1 FROM t", "42501", "permission denied for table t")};
    DbConn *db = connected(script, CB_LENGTH(script));

    ck_assert_int_eq(db_exec(db, "SELECT 1 FROM t", &err), ERR_DB_PERMISSION);
    ck_assert_str_eq(err.hint, "Check the privileges of the database user; the roles "
                               "centra_bridge, centra_erp and centra_reader are described in "
                               "docs/schema.md.");
    ck_assert_int_eq(err_exit_code(err.kind), 78);
    db_free(db);
    fake_pq_verify();
}
END_TEST

/* A standby, or default_transaction_read_only: a configuration error (78) that says so. */
/*
 * A standby, or default_transaction_read_only: like a lost connection (after
 * a failover the address may reach the new primary; the setting is read when
 * a session starts), so the session is dropped and the next statement
 * connects again; said clearly (found in review: exit 70, or 78 stopping the
 * daemon for good).
 */
START_TEST(a_read_only_database_gets_a_hint_and_a_new_session)
{
    static const FakeStep script[] = {
        CONNECT_OK,
        SEND_ERROR("INSERT INTO t VALUES (1)", "25006",
                   "cannot execute INSERT in a read-only transaction"),
        CONNECT_OK, SEND_OK("INSERT INTO t VALUES (1)")};
    DbConn *db = connected(script, CB_LENGTH(script));

    ck_assert_int_eq(db_exec(db, "INSERT INTO t VALUES (1)", &err), ERR_DB_CONNECTION);
    ck_assert_str_eq(err.message, "cannot execute INSERT in a read-only transaction");
    ck_assert_contains(err.hint, "connect to the primary, not a standby");
    ck_assert_contains(err.hint, "default_transaction_read_only");
    ck_assert_int_eq(db_exec(db, "INSERT INTO t VALUES (1)", &err), ERR_OK);
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(errors_in_long_scripts_point_at_the_line)
{
    static char sql[2000];
    FakeStep script[] = {CONNECT_OK,
                         {.kind = FAKE_SEND,
                          .nresults = 1,
                          .results = {{.status = PGRES_FATAL_ERROR,
                                       .sqlstate = "42601",
                                       .message = "syntax error at or near \"TABLEE\"",
                                       .position = NULL}}}};
    char pos[16];
    DbConn *db;
    size_t at;

    memset(sql, ' ', sizeof(sql) - 1);
    memcpy(sql, "-- å comment\nSELECT 1;\n", 24);
    memcpy(sql + 24, "CREATE TABLEE x ();\n", 20);
    sql[sizeof(sql) - 1] = '\0';
    at = 24 + 7 + 1;                           /* byte offset of "TABLEE" */
    snprintf(pos, sizeof(pos), "%zu", at - 1); /* characters: "å" is two bytes */
    script[1].results[0].position = pos;
    db = connected(script, CB_LENGTH(script));
    ck_assert_int_eq(db_exec(db, sql, &err), ERR_DB_QUERY);
    ck_assert_str_eq(err.detail, "SQLSTATE 42601.\nThe error is at line 3: CREATE TABLEE x ();");
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(a_script_error_names_the_line_of_the_failing_statement_not_the_text)
{
    static const char sql[] = "-- header text\nSELECT 1;\nSELECT 2;\n\nCREATE TABLE t (a int);\n";
    static const FakeStep script[] = {CONNECT_OK,
                                      {.kind = FAKE_SEND,
                                       .nresults = 3,
                                       .results = {OK_RESULT,
                                                   OK_RESULT,
                                                   {.status = PGRES_FATAL_ERROR,
                                                    .sqlstate = "42P07",
                                                    .message = "relation \"t\" already exists"}}}};
    DbConn *db = connected(script, CB_LENGTH(script));
    DbScriptPos at;

    ck_assert_int_eq(db_exec_script(db, sql, 0, &at, &err), ERR_DB_QUERY);
    ck_assert_int_eq(at.line, 5);
    ck_assert_int_eq(at.column, 0);
    ck_assert_str_eq(err.message, "relation \"t\" already exists");
    ck_assert_str_eq(err.detail, "SQLSTATE 42P07.\nLine 5: CREATE TABLE t (a int);");
    ck_assert_str_eq(err.hint, "");
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(the_first_error_of_a_script_wins)
{
    static const FakeStep script[] = {
        CONNECT_OK,
        {.kind = FAKE_SEND,
         .send = "query",
         .nresults = 3,
         .results = {
             OK_RESULT,
             {.status = PGRES_FATAL_ERROR, .sqlstate = "22012", .message = "division by zero"},
             {.status = PGRES_FATAL_ERROR,
              .sqlstate = "42P01",
              .message = "relation \"nope\" does not exist"}}}};
    DbConn *db = connected(script, CB_LENGTH(script));

    ck_assert_int_eq(db_exec(db, "SELECT 1; SELECT 1/0; SELECT * FROM nope", &err), ERR_DB_QUERY);
    ck_assert_str_eq(err.message, "division by zero");
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(a_statement_past_its_deadline_is_cancelled)
{
    static const FakeStep script[] = {
        CONNECT_OK, {.kind = FAKE_SEND, .sql = "SELECT pg_sleep(60)", .hang = true}};
    DbConn *db;

    opts.statement_timeout_ms = 50;
    db = connected(script, CB_LENGTH(script));
    ck_assert_int_eq(db_exec(db, "SELECT pg_sleep(60)", &err), ERR_DB_TIMEOUT);
    ck_assert_int_eq(fake_pq_cancels(), 1);
    ck_assert_str_eq(err.message, "statement timed out after 50ms and was cancelled");
    ck_assert_str_eq(err.detail, "Query was: SELECT pg_sleep(60)");
    ck_assert_contains(err.hint,
                       "If the statement needs longer, raise centra_db_statement_timeout.");
    ck_assert_contains(err.hint, "It may also have waited for a lock: VACUUM FULL, CLUSTER");
    ck_assert(!err_is_retryable(err.kind));
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(a_lost_connection_is_reported_then_reestablished)
{
    static const FakeStep script[] = {CONNECT_OK, SEND_DROP("SELECT 1"), CONNECT_OK,
                                      SEND_OK("SELECT 2")};
    DbConn *db = connected(script, CB_LENGTH(script));
    char *log;

    ck_assert_int_eq(db_exec(db, "SELECT 1", &err), ERR_DB_CONNECTION);
    ck_assert_str_eq(err.message, "lost the connection to the database while waiting for a "
                                  "result");
    ck_assert_str_eq(err.detail, "server closed the connection unexpectedly\nQuery was: SELECT 1");
    ck_assert(err_is_retryable(err.kind));
    ck_assert_int_eq(db_exec(db, "SELECT 2", &err), ERR_OK);
    log = take_log();
    ck_assert_contains(log, "reconnecting to the database");
    free(log);
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(a_connection_lost_inside_a_transaction_is_never_silently_replaced)
{
    static const FakeStep script[] = {CONNECT_OK, SEND_OK("BEGIN"), SEND_DROP("INSERT 1"),
                                      CONNECT_OK, SEND_OK("SELECT 3")};
    DbConn *db = connected(script, CB_LENGTH(script));

    ck_assert_int_eq(db_begin(db, &err), ERR_OK);
    ck_assert(db_in_transaction(db));
    ck_assert_int_eq(db_exec(db, "INSERT 1", &err), ERR_DB_CONNECTION);
    /* Without the transaction, "INSERT 2" would run in autocommit: refuse. */
    ck_assert_int_eq(db_exec(db, "INSERT 2", &err), ERR_DB_CONNECTION);
    ck_assert_str_eq(err.message, "lost the connection to the database inside a transaction");
    ck_assert_int_eq(db_rollback(db, &err), ERR_OK);
    ck_assert_int_eq(db_exec(db, "SELECT 3", &err), ERR_OK);
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(the_database_url_overrides_the_built_in_connection_settings)
{
    static const FakeStep script[] = {CONNECT_OK};
    DbConn *db;
    int last = 0;

    opts.conninfo = "postgresql://bob@db/erp?connect_timeout=3";
    opts.connect_timeout_ms = 2500;
    fake_pq_script(script, CB_LENGTH(script));
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_OK);
    while (strcmp(fake_pq_connect_keyword(last + 1), "dbname") != 0)
        last++;
    /*
     * libpq lets later keywords win: DATABASE_URL (expanded from dbname)
     * comes after the built-in defaults, and only the encoding after it.
     */
    ck_assert_str_eq(fake_pq_connect_keyword(last + 2), "client_encoding");
    ck_assert_ptr_null(fake_pq_connect_keyword(last + 3));
    ck_assert_str_eq(fake_pq_connect_value("dbname"), "postgresql://bob@db/erp?connect_timeout=3");
    ck_assert_str_eq(fake_pq_connect_value("fallback_application_name"), "centra-bridge");
    ck_assert_str_eq(fake_pq_connect_value("connect_timeout"), "3"); /* 2.5 s, rounded up */
    ck_assert_str_eq(fake_pq_connect_value("keepalives"), "1");
    db_free(db);
    fake_pq_verify();
}
END_TEST

/*
 * What the SQL assumes is set on every connection, whatever the database,
 * the role or the environment set (found in review: LATIN1 from
 * PGCLIENTENCODING stored mojibake in id_map; SERIALIZABLE failed
 * concurrent exporters; a role's statement_timeout overrode
 * centra_db_statement_timeout): the encoding as a connection keyword, the
 * rest with SET once connected (a pooler may refuse startup options), but
 * not for migrate, which may run behind a transaction pooler.
 */
START_TEST(every_connection_sets_what_the_sql_assumes)
{
    static const FakeStep script[] = {CONNECT_OK, CONNECT_OK};
    int calls;
    DbConn *db;

    fake_pq_script(script, CB_LENGTH(script));
    opts.conninfo = "host=db dbname=erp";
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_OK);
    ck_assert_str_eq(fake_pq_connect_value("client_encoding"), "UTF8");
    ck_assert_ptr_null(fake_pq_connect_value("options")); /* the user's, if any, left alone */
    ck_assert_str_eq(fake_pq_session_sql(&calls),
                     "SET standard_conforming_strings = on; SET default_transaction_isolation = "
                     "'read committed'; SET statement_timeout = 0; SET TIME ZONE 'UTC'");
    ck_assert_int_eq(calls, 1);
    db_free(db);

    opts.pooled_transactions = true;
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_OK);
    ck_assert_str_eq(fake_pq_connect_value("client_encoding"), "UTF8");
    (void)fake_pq_session_sql(&calls);
    ck_assert_int_eq(calls, 1); /* none for this connection */
    db_free(db);
    opts.pooled_transactions = false;
    fake_pq_verify();
}
END_TEST

START_TEST(without_a_database_url_libpq_variables_apply)
{
    static const FakeStep script[] = {CONNECT_OK};
    DbConn *db;

    opts.conninfo = NULL;
    fake_pq_script(script, CB_LENGTH(script));
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_OK);
    ck_assert_ptr_null(fake_pq_connect_value("dbname"));
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(a_copy_out_is_drained_not_spun_on)
{
    static const FakeStep script[] = {
        CONNECT_OK,
        {.kind = FAKE_SEND,
         .nresults = 2,
         .results = {{.status = PGRES_COPY_OUT, .copy_rows = 3}, OK_RESULT}},
        SEND_OK("SELECT 1")};
    DbConn *db = connected(script, CB_LENGTH(script));

    ck_assert_int_eq(db_exec(db, "COPY t TO STDOUT", &err), ERR_INTERNAL);
    ck_assert_str_eq(err.message, "COPY is not supported by this statement");
    /* The connection is still usable. */
    ck_assert_int_eq(db_exec(db, "SELECT 1", &err), ERR_OK);
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(a_statement_libpq_refuses_to_send_is_not_a_lost_connection)
{
    static const FakeStep script[] = {
        CONNECT_OK,
        {.kind = FAKE_SEND, .send_fails = "number of parameters must be between 0 and 65535"},
        SEND_OK("SELECT 1")};
    DbConn *db = connected(script, CB_LENGTH(script));

    ck_assert_int_eq(db_exec(db, "SELECT big", &err), ERR_INTERNAL);
    ck_assert_str_eq(err.message, "could not send a statement to the database: number of "
                                  "parameters must be between 0 and 65535");
    ck_assert(!err_is_retryable(err.kind));
    ck_assert_int_eq(db_exec(db, "SELECT 1", &err), ERR_OK); /* no reconnect needed */
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(a_server_ignoring_the_cancel_loses_the_connection)
{
    static const FakeStep script[] = {CONNECT_OK,
                                      {.kind = FAKE_SEND, .hang = true, .ignore_cancel = true},
                                      CONNECT_OK,
                                      SEND_OK("SELECT 1")};
    DbConn *db;

    opts.statement_timeout_ms = 30;
    opts.cancel_grace_ms = 40;
    db = connected(script, CB_LENGTH(script));
    ck_assert_int_eq(db_exec(db, "SELECT pg_sleep(60)", &err), ERR_DB_CONNECTION);
    ck_assert_int_eq(fake_pq_cancels(), 1);
    ck_assert_str_eq(err.message, "the database did not answer a cancel request within 40 ms; "
                                  "the connection was dropped");
    ck_assert_int_eq(db_exec(db, "SELECT 1", &err), ERR_OK); /* reconnects */
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(server_notices_reach_the_log)
{
    static const FakeStep script[] = {CONNECT_OK,
                                      {.kind = FAKE_SEND,
                                       .notice = "relation \"t\" already exists, skipping",
                                       .nresults = 1,
                                       .results = {OK_RESULT}}};
    DbConn *db = connected(script, CB_LENGTH(script));
    char *log;

    ck_assert_int_eq(db_exec(db, "CREATE TABLE IF NOT EXISTS t ()", &err), ERR_OK);
    log = take_log();
    ck_assert_contains(log, "INFO: database: relation \"t\" already exists, skipping\n");
    free(log);
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(a_missing_table_says_to_migrate)
{
    static const FakeStep script[] = {CONNECT_OK,
                                      SEND_ERROR("SELECT 1 FROM centra.orders", "42P01",
                                                 "relation \"centra.orders\" does not exist")};
    DbConn *db = connected(script, CB_LENGTH(script));

    ck_assert_int_eq(db_exec(db, "SELECT 1 FROM centra.orders", &err), ERR_DB_SCHEMA);
    ck_assert_str_eq(err.hint, "Run \"centra-bridge migrate\" to create or upgrade the schemas.");
    ck_assert_int_eq(err_exit_code(err.kind), 78);
    db_free(db);
    fake_pq_verify();
}
END_TEST

/* --- transactions ----------------------------------------------------------- */

START_TEST(a_transaction_with_a_failed_statement_is_never_reported_committed)
{
    static const FakeStep script[] = {CONNECT_OK, SEND_OK("BEGIN"),
                                      SEND_ERROR("INSERT x", "23505", "duplicate key"),
                                      SEND_OK("ROLLBACK")};
    DbConn *db = connected(script, CB_LENGTH(script));

    ck_assert_int_eq(db_begin(db, &err), ERR_OK);
    ck_assert_int_eq(db_exec(db, "INSERT x", &err), ERR_DB_QUERY);
    /* A caller that ignores the error must not be told COMMIT worked. */
    ck_assert_int_eq(db_commit(db, &err), ERR_INTERNAL);
    ck_assert_str_eq(err.message, "transaction not committed: a statement in it had failed");
    ck_assert(!db_in_transaction(db));
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(a_commit_answered_with_rollback_is_an_error)
{
    static const FakeStep script[] = {
        CONNECT_OK,
        SEND_OK("BEGIN"),
        {.kind = FAKE_SEND,
         .sql = "COMMIT",
         .nresults = 1,
         .results = {{.status = PGRES_COMMAND_OK, .cmd_status = "ROLLBACK"}}}};
    DbConn *db = connected(script, CB_LENGTH(script));

    ck_assert_int_eq(db_begin(db, &err), ERR_OK);
    ck_assert_int_eq(db_commit(db, &err), ERR_INTERNAL);
    ck_assert_str_eq(err.message,
                     "transaction not committed: the server answered COMMIT with \"ROLLBACK\"");
    db_free(db);
    fake_pq_verify();
}
END_TEST

typedef struct TxnArg {
    int calls;       /* how often the body ran */
    const char *sql; /* what it executes */
} TxnArg;

static ErrKind
txn_body(DbConn *db, void *arg, Error *e)
{
    TxnArg *a = arg;

    a->calls++;
    return db_exec(db, a->sql, e);
}

#define SERIALIZE "could not serialize access due to concurrent update"

START_TEST(a_serialization_failure_reruns_the_transaction)
{
    static const FakeStep script[] = {
        CONNECT_OK,          SEND_OK("BEGIN"), SEND_ERROR("UPDATE t", "40001", SERIALIZE),
        SEND_OK("ROLLBACK"), SEND_OK("BEGIN"), SEND_OK("UPDATE t"),
        SEND_OK("COMMIT")};
    DbConn *db = connected(script, CB_LENGTH(script));
    TxnArg arg = {0, "UPDATE t"};

    ck_assert_int_eq(db_transaction(db, 3, txn_body, &arg, &err), ERR_OK);
    ck_assert_int_eq(arg.calls, 2);
    ck_assert(!db_in_transaction(db));
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(a_transaction_gives_up_after_its_attempts)
{
    static const FakeStep script[] = {
        CONNECT_OK,          SEND_OK("BEGIN"), SEND_ERROR("UPDATE t", "40P01", "deadlock detected"),
        SEND_OK("ROLLBACK"), SEND_OK("BEGIN"), SEND_ERROR("UPDATE t", "40P01", "deadlock detected"),
        SEND_OK("ROLLBACK")};
    DbConn *db = connected(script, CB_LENGTH(script));
    TxnArg arg = {0, "UPDATE t"};

    ck_assert_int_eq(db_transaction(db, 2, txn_body, &arg, &err), ERR_DB_CONFLICT);
    ck_assert_int_eq(arg.calls, 2);
    ck_assert_str_eq(err.message, "deadlock detected");
    ck_assert_str_eq(err.detail, "Attempts 1-2: deadlock detected\nSQLSTATE 40P01.\n"
                                 "Query was: UPDATE t");
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(a_permanent_error_is_not_retried)
{
    static const FakeStep script[] = {CONNECT_OK, SEND_OK("BEGIN"),
                                      SEND_ERROR("UPDATE t", "23502", "null value"),
                                      SEND_OK("ROLLBACK")};
    DbConn *db = connected(script, CB_LENGTH(script));
    TxnArg arg = {0, "UPDATE t"};

    ck_assert_int_eq(db_transaction(db, 5, txn_body, &arg, &err), ERR_DB_QUERY);
    ck_assert_int_eq(arg.calls, 1);
    ck_assert_str_eq(err.detail, "SQLSTATE 23502.\nQuery was: UPDATE t");
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(a_transaction_survives_a_lost_connection)
{
    static const FakeStep script[] = {CONNECT_OK,       SEND_OK("BEGIN"), SEND_DROP("UPDATE t"),
                                      CONNECT_OK,       SEND_OK("BEGIN"), SEND_OK("UPDATE t"),
                                      SEND_OK("COMMIT")};
    DbConn *db = connected(script, CB_LENGTH(script));
    TxnArg arg = {0, "UPDATE t"};

    ck_assert_int_eq(db_transaction(db, 3, txn_body, &arg, &err), ERR_OK);
    ck_assert_int_eq(arg.calls, 2);
    db_free(db);
    fake_pq_verify();
}
END_TEST

/* --- prepared statements ---------------------------------------------------- */

START_TEST(prepared_statements_survive_a_reconnect)
{
    static const FakeStep script[] = {
        CONNECT_OK,
        {.kind = FAKE_SEND,
         .send = "prepare",
         .sql = "SELECT $1::int",
         .nresults = 1,
         .results = {OK_RESULT}},
        {.kind = FAKE_SEND, .send = "prepared", .sql = "s1", .nresults = 1, .results = {OK_RESULT}},
        {.kind = FAKE_SEND, .send = "prepared", .sql = "s1", .drop = true},
        CONNECT_OK,
        {.kind = FAKE_SEND,
         .send = "prepare",
         .sql = "SELECT $1::int",
         .nresults = 1,
         .results = {OK_RESULT}},
        {.kind = FAKE_SEND,
         .send = "prepared",
         .sql = "s1",
         .nresults = 1,
         .results = {OK_RESULT}}};
    DbConn *db = connected(script, CB_LENGTH(script));
    const char *p[] = {"7"};

    ck_assert_int_eq(db_prepare(db, "s1", "SELECT $1::int", 1, &err), ERR_OK);
    ck_assert_int_eq(db_prepare(db, "s1", "SELECT $1::int", 1, &err), ERR_OK); /* no-op */
    ck_assert_int_eq(db_exec_prepared(db, "s1", 1, p, NULL, &err), ERR_OK);
    ck_assert_str_eq(fake_pq_last_param(0), "7");
    ck_assert_int_eq(db_exec_prepared(db, "s1", 1, p, NULL, &err), ERR_DB_CONNECTION);
    ck_assert_int_eq(db_exec_prepared(db, "s1", 1, p, NULL, &err), ERR_OK);
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(misused_prepared_statements_are_internal_errors)
{
    static const FakeStep script[] = {
        CONNECT_OK, {.kind = FAKE_SEND, .send = "prepare", .nresults = 1, .results = {OK_RESULT}}};
    DbConn *db = connected(script, CB_LENGTH(script));

    ck_assert_int_eq(db_exec_prepared(db, "nope", 0, NULL, NULL, &err), ERR_INTERNAL);
    ck_assert_str_eq(err.message, "prepared statement \"nope\" was never registered");
    ck_assert_int_eq(db_prepare(db, "s", "SELECT 1", 0, &err), ERR_OK);
    ck_assert_int_eq(db_exec_prepared(db, "s", 2, NULL, NULL, &err), ERR_INTERNAL);
    ck_assert_str_eq(err.message, "prepared statement \"s\" takes 0 parameters, not 2");
    ck_assert_int_eq(db_prepare(db, "s", "SELECT 2", 0, &err), ERR_INTERNAL);
    db_free(db);
    fake_pq_verify();
}
END_TEST

START_TEST(literals_are_quoted_for_ddl)
{
    char *q = db_quote_literal("O'Brien");

    ck_assert_str_eq(q, "'O''Brien'");
    xfree(q);
    q = db_quote_literal("a\\b");
    ck_assert_str_eq(q, "E'a\\\\b'");
    xfree(q);
    q = db_quote_literal("");
    ck_assert_str_eq(q, "''");
    xfree(q);
}
END_TEST

/* --- session locks ---------------------------------------------------------- */

#define TRY_LOCK_SQL "SELECT pg_try_advisory_lock(hashtextextended($1, 0))"
#define UNLOCK_SQL   "SELECT pg_advisory_unlock(hashtextextended($1, 0))"
/* A parameterized statement answering one boolean, true. */
#define SEND_TRUE(sql_)                                                                            \
    {                                                                                              \
        .kind = FAKE_SEND, .send = "params", .sql = (sql_), .nresults = 1, .results = {            \
            {.status = PGRES_TUPLES_OK, .nrows = 1, .ncols = 1, .values = {"t"}}                   \
        }                                                                                          \
    }

START_TEST(a_session_lock_is_released_only_by_the_session_that_took_it)
{
    /*
     * Any statement the script does not list fails the test: the releases
     * that must do nothing are exactly those without a step.
     */
    static const FakeStep script[] = {
        CONNECT_OK,        SEND_TRUE(TRY_LOCK_SQL), SEND_OK("BEGIN"),
        SEND_OK("COMMIT"), SEND_TRUE(UNLOCK_SQL),   SEND_DROP("SELECT 1"),
        CONNECT_OK,        SEND_OK("SELECT 2")};
    DbConn *db = connected(script, CB_LENGTH(script));
    unsigned epoch;
    bool got = false;

    ck_assert_int_eq(db_try_lock(db, "queue q", &got, &err), ERR_OK);
    ck_assert(got);
    epoch = db_epoch(db);
    ck_assert_uint_ne(epoch, 0);
    db_unlock(db, "queue q", 0); /* never taken */
    ck_assert_int_eq(db_begin(db, &err), ERR_OK);
    db_unlock(db, "queue q", epoch); /* inside a transaction: left to the session */
    ck_assert_int_eq(db_commit(db, &err), ERR_OK);
    db_unlock(db, "queue q", epoch);
    ck_assert_str_eq(fake_pq_last_param(0), "queue q");
    ck_assert_int_eq(db_exec(db, "SELECT 1", &err), ERR_DB_CONNECTION);
    db_unlock(db, "queue q", epoch); /* the session is gone: no reconnect to release it */
    ck_assert_int_eq(db_exec(db, "SELECT 2", &err), ERR_OK);
    ck_assert_uint_ne(db_epoch(db), epoch);
    db_unlock(db, "queue q", epoch); /* a new session never held it */
    db_unlock(NULL, "queue q", epoch);
    db_free(db);
    fake_pq_verify();
}
END_TEST

static Suite *
db_suite(void)
{
    Suite *s = suite_create("db");
    TCase *classify = tcase_create("classification");
    TCase *connect = tcase_create("connecting");
    TCase *stmt = tcase_create("statements");
    TCase *txn = tcase_create("transactions");
    TCase *prep = tcase_create("prepared statements");
    TCase *locks = tcase_create("session locks");
    TCase *all[] = {classify, connect, stmt, txn, prep, locks};

    for (size_t i = 0; i < CB_LENGTH(all); i++)
        tcase_add_checked_fixture(all[i], setup, teardown);
    tcase_add_loop_test(classify, sqlstates_are_classified_once, 0, (int)CB_LENGTH(state_cases));
    tcase_add_loop_test(classify, connection_failures_are_classified, 0,
                        (int)CB_LENGTH(connect_cases));
    tcase_add_test(connect, connects_on_the_first_attempt);
    tcase_add_test(connect, refused_connections_are_retried_with_backoff);
    tcase_add_test(connect, exhausted_retries_report_every_attempt);
    tcase_add_test(connect, no_retries_means_one_attempt);
    tcase_add_test(connect, a_refusal_by_the_server_is_not_retried);
    tcase_add_test(connect, a_missing_password_is_not_retried);
    tcase_add_test(connect, an_unparsable_database_url_is_a_config_error);
    tcase_add_test(connect, a_uri_whose_password_is_not_percent_encoded_is_refused_unshown);
    tcase_add_test(connect, a_connection_option_libpq_refuses_is_a_config_error_at_once);
    tcase_add_test(connect, the_database_password_is_registered_for_redaction);
    tcase_add_test(connect, a_worker_is_failing_exactly_while_its_last_error_is_its_newest_news);
    tcase_add_test(connect, the_database_url_overrides_the_built_in_connection_settings);
    tcase_add_test(connect, every_connection_sets_what_the_sql_assumes);
    tcase_add_test(connect, without_a_database_url_libpq_variables_apply);
    tcase_add_test(stmt, rows_and_nulls_are_returned);
    tcase_add_test(stmt, affected_rows_are_reported);
    tcase_add_test(stmt, statement_errors_carry_detail_hint_and_query);
    tcase_add_test(stmt, a_missing_privilege_gets_a_hint);
    tcase_add_test(stmt, a_read_only_database_gets_a_hint_and_a_new_session);
    tcase_add_test(stmt, errors_in_long_scripts_point_at_the_line);
    tcase_add_test(stmt, a_script_error_names_the_line_of_the_failing_statement_not_the_text);
    tcase_add_test(stmt, the_first_error_of_a_script_wins);
    tcase_add_test(stmt, a_statement_past_its_deadline_is_cancelled);
    tcase_add_test(stmt, a_lost_connection_is_reported_then_reestablished);
    tcase_add_test(stmt, a_connection_lost_inside_a_transaction_is_never_silently_replaced);
    tcase_add_test(stmt, a_copy_out_is_drained_not_spun_on);
    tcase_add_test(stmt, a_statement_libpq_refuses_to_send_is_not_a_lost_connection);
    tcase_add_test(stmt, a_server_ignoring_the_cancel_loses_the_connection);
    tcase_add_test(stmt, server_notices_reach_the_log);
    tcase_add_test(stmt, a_missing_table_says_to_migrate);
    tcase_add_test(txn, a_transaction_with_a_failed_statement_is_never_reported_committed);
    tcase_add_test(txn, a_commit_answered_with_rollback_is_an_error);
    tcase_add_test(txn, a_serialization_failure_reruns_the_transaction);
    tcase_add_test(txn, a_transaction_gives_up_after_its_attempts);
    tcase_add_test(txn, a_permanent_error_is_not_retried);
    tcase_add_test(txn, a_transaction_survives_a_lost_connection);
    tcase_add_test(prep, prepared_statements_survive_a_reconnect);
    tcase_add_test(prep, misused_prepared_statements_are_internal_errors);
    tcase_add_test(prep, literals_are_quoted_for_ddl);
    tcase_add_test(locks, a_session_lock_is_released_only_by_the_session_that_took_it);
    suite_add_tcase(s, classify);
    suite_add_tcase(s, connect);
    suite_add_tcase(s, stmt);
    suite_add_tcase(s, txn);
    suite_add_tcase(s, prep);
    suite_add_tcase(s, locks);
    return s;
}

CB_TEST_MAIN(db_suite)
