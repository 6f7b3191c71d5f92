/*
 * tests/fakes/fake_libpq.c
 *     Scripted libpq for unit tests (see fake_libpq.h).
 *
 * Only the functions src/db/db.c calls are defined; a call to anything else
 * fails at link time, which is the point.  The socket libpq would hand out is
 * a pipe: one that always has a byte to read (results ready) or, while a
 * "hang" step waits for a cancel, one that never does.
 */
#include "fake_libpq.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pg_conn {
    ConnStatusType status;       /* CONNECTION_OK or CONNECTION_BAD */
    PGTransactionStatusType txn; /* tracked from BEGIN/COMMIT/ROLLBACK */
    char error[512];             /* PQerrorMessage */
    bool needs_password;         /* PQconnectionNeedsPassword */
    int ready[2];                /* pipe with a byte in it: readable */
    int idle[2];                 /* empty pipe: never readable */
    const FakeStep *step;        /* statement in flight, NULL when none */
    int next_result;             /* index into step->results */
    bool cancelled;              /* PQcancel hit the step in flight */
    bool in_error;               /* the in-flight statement failed */
    bool noticed;                /* the step's notice was delivered */
    int copy_left;               /* rows PQgetCopyData still yields */
    PQnoticeReceiver notice_fn;  /* set by PQsetNoticeReceiver */
    void *notice_arg;            /* its argument */
};

struct pg_result {
    const FakeResult *spec; /* what to report */
    FakeResult own_spec;    /* storage for synthetic results (57014, notices) */
    const char *sql;        /* statement that produced it */
};

struct pg_cancel {
    PGconn *conn; /* the connection to cancel */
};

#define CB_FAKE_NKEYWORDS 6

static const FakeStep *script;
static size_t script_len;
static size_t script_pos;
static int live_results;
static int live_conns;
static int cancels;
static const char *last_params[16];
static char connect_keywords[16][64];
static char connect_values[16][512];
static int connect_nparams;
static char exec_sql[1024]; /* the last PQexec */
static int exec_calls;      /* PQexec calls since the script started */

void
fake_pq_script(const FakeStep *steps, size_t n)
{
    script = steps;
    script_len = n;
    script_pos = 0;
    live_results = 0;
    live_conns = 0;
    cancels = 0;
    memset(last_params, 0, sizeof(last_params));
    connect_nparams = 0;
    exec_sql[0] = '\0';
    exec_calls = 0;
}

void
fake_pq_verify(void)
{
    ck_assert_msg(script_pos == script_len, "script used %zu of %zu steps", script_pos, script_len);
    ck_assert_msg(live_results == 0, "%d PGresult(s) not cleared", live_results);
    ck_assert_msg(live_conns == 0, "%d connection(s) not finished", live_conns);
}

int
fake_pq_cancels(void)
{
    return cancels;
}

const char *
fake_pq_last_param(int i)
{
    return i >= 0 && i < 16 ? last_params[i] : NULL;
}

const char *
fake_pq_connect_keyword(int i)
{
    return i >= 0 && i < connect_nparams ? connect_keywords[i] : NULL;
}

const char *
fake_pq_connect_value(const char *keyword)
{
    const char *v = NULL;

    for (int i = 0; i < connect_nparams; i++)
        if (strcmp(connect_keywords[i], keyword) == 0)
            v = connect_values[i]; /* the last one wins, as in libpq */
    return v;
}

static const FakeStep *
next_step(FakeStepKind kind, const char *what)
{
    const FakeStep *s;

    ck_assert_msg(script_pos < script_len, "unexpected %s: the script has no step left", what);
    s = &script[script_pos++];
    ck_assert_msg(s->kind == kind, "unexpected %s at step %zu", what, script_pos);
    return s;
}

/* ---------------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------------- */

PGconn *
PQconnectdbParams(const char *const *keywords, const char *const *values, int expand_dbname)
{
    const FakeStep *s = next_step(FAKE_CONNECT, "connection attempt");
    PGconn *c = calloc(1, sizeof(PGconn));

    ck_assert_int_eq(expand_dbname, 1);
    ck_assert_ptr_nonnull(c);
    for (connect_nparams = 0; keywords[connect_nparams] != NULL && connect_nparams < 16;
         connect_nparams++) {
        snprintf(connect_keywords[connect_nparams], sizeof(connect_keywords[0]), "%s",
                 keywords[connect_nparams]);
        snprintf(connect_values[connect_nparams], sizeof(connect_values[0]), "%s",
                 values[connect_nparams]);
    }
    c->status = s->connect_ok ? CONNECTION_OK : CONNECTION_BAD;
    c->txn = s->connect_ok ? PQTRANS_IDLE : PQTRANS_UNKNOWN;
    snprintf(c->error, sizeof(c->error), "%s\n", s->error != NULL ? s->error : "");
    c->needs_password = s->needs_password;
    ck_assert_int_eq(pipe(c->ready), 0);
    ck_assert_int_eq(pipe(c->idle), 0);
    ck_assert_int_eq(write(c->ready[1], "x", 1), 1);
    live_conns++;
    return c;
}

void
PQfinish(PGconn *conn)
{
    if (conn == NULL)
        return;
    close(conn->ready[0]);
    close(conn->ready[1]);
    close(conn->idle[0]);
    close(conn->idle[1]);
    free(conn);
    live_conns--;
}

ConnStatusType
PQstatus(const PGconn *conn)
{
    return conn != NULL ? conn->status : CONNECTION_BAD;
}

char *
PQerrorMessage(const PGconn *conn)
{
    return conn != NULL ? (char *)(uintptr_t)conn->error : (char *)(uintptr_t) "";
}

int
PQconnectionNeedsPassword(const PGconn *conn)
{
    return conn->needs_password;
}

PQnoticeReceiver
PQsetNoticeReceiver(PGconn *conn, PQnoticeReceiver proc, void *arg)
{
    PQnoticeReceiver old = conn->notice_fn;

    conn->notice_fn = proc;
    conn->notice_arg = arg;
    return old;
}

char *
PQhost(const PGconn *conn)
{
    (void)conn;
    return (char *)(uintptr_t) "fakehost";
}

char *
PQport(const PGconn *conn)
{
    (void)conn;
    return (char *)(uintptr_t) "5432";
}

char *
PQdb(const PGconn *conn)
{
    (void)conn;
    return (char *)(uintptr_t) "fakedb";
}

char *
PQuser(const PGconn *conn)
{
    (void)conn;
    return (char *)(uintptr_t) "fakeuser";
}

int
PQserverVersion(const PGconn *conn)
{
    (void)conn;
    return 150000;
}

PGTransactionStatusType
PQtransactionStatus(const PGconn *conn)
{
    return conn->status == CONNECTION_OK ? conn->txn : PQTRANS_UNKNOWN;
}

/* A tiny conninfo "parser": enough to test validation and secret capture. */
PQconninfoOption *
PQconninfoParse(const char *conninfo, char **errmsg)
{
    PQconninfoOption *opts;
    const char *pw;

    if (strstr(conninfo, "INVALID") != NULL) {
        if (errmsg != NULL)
            *errmsg = strdup("missing \"=\" after \"INVALID\" in connection info string\n");
        return NULL;
    }
    if (strstr(conninfo, "UNKNOWNOPT") != NULL) {
        if (errmsg != NULL)
            *errmsg = strdup("invalid connection option \"bogus_opt\"\n");
        return NULL;
    }
    if (strstr(conninfo, "UNKNOWNPARAM") != NULL) {
        if (errmsg != NULL)
            *errmsg = strdup("invalid URI query parameter: \"s3cr!t\"\n");
        return NULL;
    }
    if (strstr(conninfo, "BADKEY") != NULL) {
        if (errmsg != NULL)
            *errmsg = strdup("invalid connection option \"sslmode\" near \"BADKEY\"\n");
        return NULL;
    }
    opts = calloc(2, sizeof(PQconninfoOption));
    ck_assert_ptr_nonnull(opts);
    opts[0].keyword = (char *)(uintptr_t) "password";
    pw = strstr(conninfo, "password=");
    if (pw != NULL)
        opts[0].val = strndup(pw + 9, strcspn(pw + 9, " "));
    return opts;
}

PQconninfoOption *
PQconndefaults(void)
{
    static const char *const keywords[] = {"host", "port", "dbname", "user", "password", "sslmode"};
    PQconninfoOption *opts = calloc(CB_FAKE_NKEYWORDS + 1, sizeof(PQconninfoOption));

    ck_assert_ptr_nonnull(opts);
    for (size_t i = 0; i < CB_FAKE_NKEYWORDS; i++)
        opts[i].keyword = (char *)(uintptr_t)keywords[i];
    return opts;
}

void
PQconninfoFree(PQconninfoOption *opts)
{
    if (opts == NULL)
        return;
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
        free(o->val);
    free(opts);
}

void
PQfreemem(void *ptr)
{
    free(ptr);
}

/* ---------------------------------------------------------------------------
 * Cancelling
 * ------------------------------------------------------------------------- */

PGcancel *
PQgetCancel(PGconn *conn)
{
    PGcancel *c = calloc(1, sizeof(PGcancel));

    ck_assert_ptr_nonnull(c);
    c->conn = conn;
    return c;
}

int
PQcancel(PGcancel *cancel, char *errbuf, int errbufsize)
{
    (void)errbuf;
    (void)errbufsize;
    cancels++;
    cancel->conn->cancelled = true;
    return 1;
}

void
PQfreeCancel(PGcancel *cancel)
{
    free(cancel);
}

/* ---------------------------------------------------------------------------
 * Sending and receiving
 * ------------------------------------------------------------------------- */

static int
start(PGconn *conn, const char *send, const char *sql, int nparams, const char *const *params)
{
    const FakeStep *s;
    char what[256];

    snprintf(what, sizeof(what), "%s \"%.200s\"", send, sql);
    s = next_step(FAKE_SEND, what);
    ck_assert_msg(conn->status == CONNECTION_OK, "%s on a broken connection", what);
    ck_assert_msg(conn->step == NULL, "%s while another statement is in flight", what);
    if (s->send != NULL)
        ck_assert_msg(strcmp(s->send, send) == 0, "expected a %s, got %s", s->send, what);
    if (s->sql != NULL)
        ck_assert_msg(strcmp(s->sql, sql) == 0, "expected \"%s\", got %s", s->sql, what);
    memset(last_params, 0, sizeof(last_params));
    for (int i = 0; i < nparams && i < 16; i++)
        last_params[i] = params[i];
    if (s->send_fails != NULL) {
        snprintf(conn->error, sizeof(conn->error), "%s\n", s->send_fails);
        return 0;
    }
    conn->step = s;
    conn->next_result = 0;
    conn->cancelled = false;
    conn->in_error = false;
    conn->noticed = false;
    return 1;
}

int
PQsendQuery(PGconn *conn, const char *query)
{
    return start(conn, "query", query, 0, NULL);
}

int
PQsendQueryParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
                  const char *const *paramValues, const int *paramLengths, const int *paramFormats,
                  int resultFormat)
{
    (void)paramTypes;
    (void)paramLengths;
    (void)paramFormats;
    (void)resultFormat;
    return start(conn, "params", command, nParams, paramValues);
}

int
PQsendPrepare(PGconn *conn, const char *stmtName, const char *query, int nParams,
              const Oid *paramTypes)
{
    (void)stmtName;
    (void)nParams;
    (void)paramTypes;
    return start(conn, "prepare", query, 0, NULL);
}

int
PQsendQueryPrepared(PGconn *conn, const char *stmtName, int nParams, const char *const *paramValues,
                    const int *paramLengths, const int *paramFormats, int resultFormat)
{
    (void)paramLengths;
    (void)paramFormats;
    (void)resultFormat;
    return start(conn, "prepared", stmtName, nParams, paramValues);
}

/* Whether the statement in flight is still running on the "server". */
static bool
running(const PGconn *conn)
{
    return conn->step != NULL && conn->step->hang &&
           (!conn->cancelled || conn->step->ignore_cancel);
}

int
PQsocket(const PGconn *conn)
{
    if (conn->status != CONNECTION_OK)
        return -1;
    return running(conn) ? conn->idle[0] : conn->ready[0];
}

int
PQconsumeInput(PGconn *conn)
{
    if (conn->step != NULL && conn->step->drop) {
        conn->status = CONNECTION_BAD;
        snprintf(conn->error, sizeof(conn->error), "server closed the connection unexpectedly\n");
        conn->step = NULL;
        return 0;
    }
    return conn->status == CONNECTION_OK;
}

PGnotify *
PQnotifies(PGconn *conn)
{
    (void)conn;
    return NULL;
}

int
PQisBusy(PGconn *conn)
{
    return running(conn);
}

static void
track_transaction(PGconn *conn, const FakeResult *r)
{
    const char *sql = conn->step->sql;

    if (r->status == PGRES_FATAL_ERROR) {
        conn->in_error = true;
        if (conn->txn == PQTRANS_INTRANS)
            conn->txn = PQTRANS_INERROR;
        return;
    }
    if (sql == NULL)
        return;
    if (strcmp(sql, "BEGIN") == 0)
        conn->txn = PQTRANS_INTRANS;
    else if (strcmp(sql, "COMMIT") == 0 || strcmp(sql, "ROLLBACK") == 0)
        conn->txn = PQTRANS_IDLE;
}

static PGresult *
new_result(PGconn *conn, const FakeResult *spec)
{
    PGresult *res = calloc(1, sizeof(PGresult));

    ck_assert_ptr_nonnull(res);
    res->spec = spec != NULL ? spec : &res->own_spec;
    res->sql = conn->step != NULL ? conn->step->sql : NULL;
    live_results++;
    return res;
}

/*
 * Only the session settings right after connecting use PQexec: accepted,
 * outside the script, the SQL kept for fake_pq_session_sql.
 */

PGresult *
PQexec(PGconn *conn, const char *query)
{
    PGresult *res = new_result(conn, NULL);

    snprintf(exec_sql, sizeof(exec_sql), "%s", query);
    exec_calls++;
    res->own_spec.status = PGRES_COMMAND_OK;
    return res;
}

const char *
fake_pq_session_sql(int *calls)
{
    if (calls != NULL)
        *calls = exec_calls;
    return exec_sql;
}

static void
deliver_notice(PGconn *conn)
{
    PGresult *n;

    conn->noticed = true;
    if (conn->notice_fn == NULL)
        return;
    n = new_result(conn, NULL);
    n->own_spec.status = PGRES_NONFATAL_ERROR;
    n->own_spec.severity = "NOTICE";
    n->own_spec.message = conn->step->notice;
    conn->notice_fn(conn->notice_arg, n);
    PQclear(n);
}

PGresult *
PQgetResult(PGconn *conn)
{
    PGresult *res;

    if (conn->step == NULL)
        return NULL;
    if (conn->step->notice != NULL && !conn->noticed)
        deliver_notice(conn);
    if (conn->step->hang && conn->cancelled) {
        if (conn->next_result++ > 0) {
            conn->step = NULL;
            return NULL;
        }
        res = new_result(conn, NULL);
        res->own_spec.status = PGRES_FATAL_ERROR;
        res->own_spec.sqlstate = "57014";
        res->own_spec.message = "canceling statement due to user request";
        if (conn->txn == PQTRANS_INTRANS)
            conn->txn = PQTRANS_INERROR;
        return res;
    }
    if (conn->next_result >= conn->step->nresults) {
        conn->step = NULL;
        return NULL;
    }
    res = new_result(conn, &conn->step->results[conn->next_result++]);
    if (res->spec->status == PGRES_COPY_OUT)
        conn->copy_left = res->spec->copy_rows;
    track_transaction(conn, res->spec);
    return res;
}

int
PQgetCopyData(PGconn *conn, char **buffer, int async)
{
    (void)async;
    if (conn->copy_left <= 0)
        return -1;
    conn->copy_left--;
    *buffer = strdup("row\n");
    ck_assert_ptr_nonnull(*buffer);
    return 4;
}

char *
PQcmdStatus(PGresult *res)
{
    if (res->spec->cmd_status != NULL)
        return (char *)(uintptr_t)res->spec->cmd_status;
    if (res->sql != NULL && strcmp(res->sql, "COMMIT") == 0)
        return (char *)(uintptr_t) "COMMIT";
    return (char *)(uintptr_t) "";
}

void
PQclear(PGresult *res)
{
    if (res == NULL)
        return;
    free(res);
    live_results--;
}

int
PQputCopyData(PGconn *conn, const char *buffer, int nbytes)
{
    (void)conn;
    (void)buffer;
    (void)nbytes;
    return 1;
}

int
PQputCopyEnd(PGconn *conn, const char *errormsg)
{
    (void)conn;
    (void)errormsg;
    return 1;
}

/* ---------------------------------------------------------------------------
 * Results
 * ------------------------------------------------------------------------- */

ExecStatusType
PQresultStatus(const PGresult *res)
{
    return res != NULL ? res->spec->status : PGRES_FATAL_ERROR;
}

char *
PQresultErrorField(const PGresult *res, int fieldcode)
{
    const char *v = NULL;

    if (res == NULL)
        return NULL;
    switch (fieldcode) {
    case PG_DIAG_SQLSTATE:
        v = res->spec->sqlstate;
        break;
    case PG_DIAG_MESSAGE_PRIMARY:
        v = res->spec->message;
        break;
    case PG_DIAG_MESSAGE_DETAIL:
        v = res->spec->detail;
        break;
    case PG_DIAG_MESSAGE_HINT:
        v = res->spec->hint;
        break;
    case PG_DIAG_STATEMENT_POSITION:
        v = res->spec->position;
        break;
    case PG_DIAG_SEVERITY_NONLOCALIZED:
        v = res->spec->severity != NULL ? res->spec->severity
                                        : (res->spec->status == PGRES_FATAL_ERROR ? "ERROR" : NULL);
        break;
    default:
        break;
    }
    return (char *)(uintptr_t)v;
}

char *
PQresultErrorMessage(const PGresult *res)
{
    const char *m = res != NULL && res->spec->message != NULL ? res->spec->message : "";

    return (char *)(uintptr_t)m;
}

int
PQntuples(const PGresult *res)
{
    return res->spec->nrows;
}

int
PQnfields(const PGresult *res)
{
    return res->spec->ncols;
}

static const char *
value_at(const PGresult *res, int row, int col)
{
    ck_assert_msg(row >= 0 && row < res->spec->nrows && col >= 0 && col < res->spec->ncols,
                  "value (%d, %d) out of range", row, col);
    return res->spec->values[row * res->spec->ncols + col];
}

int
PQgetisnull(const PGresult *res, int row, int col)
{
    return value_at(res, row, col) == NULL;
}

char *
PQgetvalue(const PGresult *res, int row, int col)
{
    const char *v = value_at(res, row, col);

    return (char *)(uintptr_t)(v != NULL ? v : "");
}

char *
PQfname(const PGresult *res, int col)
{
    (void)res;
    (void)col;
    return (char *)(uintptr_t) "column";
}

char *
PQcmdTuples(PGresult *res)
{
    return (char *)(uintptr_t)(res->spec->cmd_tuples != NULL ? res->spec->cmd_tuples : "");
}
