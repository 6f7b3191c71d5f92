/*
 * tests/unit/import/test_loader.c
 *     The loader's session setup against the scripted fake libpq: a lost
 *     connection while it is set up is not taken for a server without lz4,
 *     and a session is only used once every setting, work table and prepared
 *     statement was made on it.
 */
#include "centra/loader.h"

#include <stdlib.h>
#include <string.h>

#include "centra/log.h"
#include "fake_libpq.h"
#include "testutil.h"

#define ENCODING_SQL "SELECT current_setting('server_encoding')"
#define TIMEZONE_SQL "SET TIME ZONE 'Europe/Stockholm'"
#define LZ4_SQL      "SET default_toast_compression = lz4"
#define COPY_SQL     "COPY cb_rows (ev, kind, rec, parent, f, doc, raw, xdoc) FROM STDIN"
#define PREPARED     36 /* apply_stmts and cb_counts */
#define MAX_STEPS    128

static DbOptions opts;
static Error err;
static FakeStep script[MAX_STEPS];
static size_t nsteps;

static void
setup(void)
{
    opts.conninfo = "host=db dbname=erp";
    opts.connect_timeout_ms = 2000;
    opts.retries = 0;
    opts.retry_delay_ms = 10;
    err_reset(&err);
    memset(script, 0, sizeof(script));
    nsteps = 0;
    log_set_level(LOG_LEVEL_DEBUG);
    log_capture_begin();
}

static void
teardown(void)
{
    free(log_capture_end());
    log_set_level(LOG_LEVEL_INFO);
}

static FakeStep *
step(FakeStepKind kind)
{
    ck_assert_uint_lt(nsteps, MAX_STEPS);
    script[nsteps].kind = kind;
    script[nsteps].connect_ok = true;
    return &script[nsteps++];
}

/* A statement answered with one result of status st. */
static FakeStep *
send(const char *how, const char *sql, ExecStatusType st)
{
    FakeStep *s = step(FAKE_SEND);

    s->send = how;
    s->sql = sql;
    s->nresults = 1;
    s->results[0].status = st;
    return s;
}

/* The statements of session_setup up to the lz4 setting, which is left to the caller. */
static void
setup_until_lz4(void)
{
    FakeStep *s = send(NULL, ENCODING_SQL, PGRES_TUPLES_OK);

    s->results[0].nrows = 1;
    s->results[0].ncols = 1;
    s->results[0].values[0] = "UTF8";
    send("query", TIMEZONE_SQL, PGRES_COMMAND_OK);
    send("query", NULL, PGRES_COMMAND_OK); /* client_min_messages, search_path, ... */
}

/* The statements of session_setup after the lz4 setting. */
static void
setup_after_lz4(void)
{
    send("query", NULL, PGRES_COMMAND_OK); /* the work tables */
    for (int i = 0; i < PREPARED; i++)
        send("prepare", NULL, PGRES_COMMAND_OK);
}

/* BEGIN and the COPY loader_begin starts; ROLLBACK when the loader is freed. */
static void
batch_begins_and_is_abandoned(void)
{
    send("query", "BEGIN", PGRES_COMMAND_OK);
    send("query", COPY_SQL, PGRES_COPY_IN);
    send("query", "ROLLBACK", PGRES_COMMAND_OK);
}

static DbConn *
connect_db(void)
{
    DbConn *db;

    fake_pq_script(script, nsteps);
    ck_assert_int_eq(db_new(&opts, &db, &err), ERR_OK);
    return db;
}

START_TEST(a_server_without_lz4_is_only_slower)
{
    Loader *L;
    DbConn *db;
    char *log;
    FakeStep *lz4;

    step(FAKE_CONNECT);
    setup_until_lz4();
    lz4 = send("query", LZ4_SQL, PGRES_FATAL_ERROR);
    lz4->results[0].sqlstate = "22023";
    lz4->results[0].message = "invalid value for parameter \"default_toast_compression\": \"lz4\"";
    setup_after_lz4();
    batch_begins_and_is_abandoned();
    db = connect_db();
    L = loader_new(db, "Europe/Stockholm", NULL);
    ck_assert_int_eq(loader_begin(L, &err), ERR_OK);
    ck_assert_int_eq(err.kind, ERR_OK);
    loader_free(L);
    db_free(db);
    log = log_capture_end();
    ck_assert_contains(log, "lz4 compression not available: invalid value for parameter");
    free(log);
    log_capture_begin();
    fake_pq_verify();
}
END_TEST

/*
 * The connection lost on the lz4 setting: the work tables must not be made on
 * a new session that never got the time zone and synchronous_commit (found
 * in an import review).  The batch fails as a lost connection; the next one
 * sets the new session up from the start.
 */
START_TEST(a_connection_lost_during_setup_is_not_a_missing_lz4)
{
    Loader *L;
    DbConn *db;
    char *log;
    FakeStep *lz4;

    step(FAKE_CONNECT);
    setup_until_lz4();
    lz4 = step(FAKE_SEND);
    lz4->send = "query";
    lz4->sql = LZ4_SQL;
    lz4->drop = true;
    step(FAKE_CONNECT);
    setup_until_lz4();
    send("query", LZ4_SQL, PGRES_COMMAND_OK);
    setup_after_lz4();
    batch_begins_and_is_abandoned();
    db = connect_db();
    L = loader_new(db, "Europe/Stockholm", NULL);
    ck_assert_int_eq(loader_begin(L, &err), ERR_DB_CONNECTION);
    ck_assert_int_eq(loader_begin(L, &err), ERR_OK);
    loader_free(L);
    db_free(db);
    log = log_capture_end();
    ck_assert_not_contains(log, "lz4 compression not available");
    free(log);
    log_capture_begin();
    fake_pq_verify();
}
END_TEST

static Suite *
loader_suite(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = tcase_create("session");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_server_without_lz4_is_only_slower);
    tcase_add_test(tc, a_connection_lost_during_setup_is_not_a_missing_lz4);
    suite_add_tcase(s, tc);
    return s;
}

CB_TEST_MAIN(loader_suite)
