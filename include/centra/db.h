/*
 * include/centra/db.h
 *     Database access: the only module that talks to libpq.
 *
 * What it guarantees:
 * - Connecting uses DATABASE_URL (a conninfo string or URI) or, when that is
 *   unset, libpq's own PG* environment variables and ~/.pgpass.  Refused or
 *   lost connections are retried with exponential backoff and jitter; every
 *   attempt is reported in one message when the retries are exhausted.
 * - Every statement runs under a client-side deadline: on expiry it is
 *   cancelled with PQcancel and reported as ERR_DB_TIMEOUT.
 * - Failures are classified once, here (db_classify_sqlstate): serialization
 *   failures, deadlocks and lock timeouts (40001, 40P01, 55P03) are
 *   ERR_DB_CONFLICT; connection loss, server shutdown and "too many clients"
 *   (class 08, 57P01-03, 53300) are ERR_DB_CONNECTION; both are retryable.  A
 *   missing schema object (42P01, 3F000, 42883, 42703) is ERR_DB_SCHEMA; the
 *   rest is permanent.
 * - COMMIT is checked: a transaction in which a statement failed is not
 *   reported as committed.
 * - Server notices and warnings are routed to the log.
 * - The password is registered with the logger for redaction and never
 *   appears in a message from this module.
 */
#ifndef CENTRA_DB_H
#define CENTRA_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "centra/attrs.h"
#include "centra/config.h"
#include "centra/error.h"

typedef struct DbConn DbConn;
typedef struct DbResult DbResult;

typedef struct DbOptions {
    const char *conninfo;           /* DATABASE_URL; NULL or "": PG* variables */
    const char *conninfo_origin;    /* where conninfo comes from, for messages */
    long long connect_timeout_ms;   /* per connection attempt */
    long long statement_timeout_ms; /* default deadline per statement; 0 = none */
    int retries;                    /* connection attempts after the first */
    long long retry_delay_ms;       /* first backoff delay; doubles up to 30 s */
    long long cancel_grace_ms;      /* wait for a cancelled statement; 0 = 5 s */
    bool pooled_transactions;       /* no session settings (migrate: behind a transaction
                                       pooler they would stay on the server connection) */
} DbOptions;

/* Fill opts from the configuration.  Strings are borrowed from cfg. */
void db_options_from_config(DbOptions *opts, const Config *cfg);

/*
 * Whether libpq can parse opts->conninfo (unset: yes); ERR_CONFIG naming
 * the setting and where it was set otherwise.  db_new checks it first; the
 * CLI checks it for every command, as every other setting.
 */
ErrKind db_check_conninfo(const DbOptions *opts, Error *err) CB_MUSTCHECK;

/*
 * Register the password inside conninfo (if any, as libpq parses it) with
 * the logger for redaction.  Called as soon as the configuration is loaded,
 * before anything could print it.
 */
void db_register_secrets(const char *conninfo);

/*
 * Connect.  On success *out is a connection the caller frees with db_free.
 * Errors: ERR_CONFIG (DATABASE_URL does not parse), ERR_DB_AUTH (the server
 * refused: password, role, database or pg_hba.conf; not retried),
 * ERR_DB_CONNECTION (unreachable after all retries).
 */
ErrKind db_new(const DbOptions *opts, DbConn **out, Error *err) CB_MUSTCHECK;

/* Close and free; db_free(NULL) is a no-op. */
void db_free(DbConn *db);

/*
 * Drop the connection and connect again (with retries).  Prepared statements
 * are prepared again on their next use.  Errors as db_new.
 */
ErrKind db_reconnect(DbConn *db, Error *err) CB_MUSTCHECK;

/*
 * Try to take the session advisory lock named key (hashed with
 * hashtextextended): *got says whether it was free.  Held until the
 * connection ends (a reconnect loses it).
 */
ErrKind db_try_lock(DbConn *db, const char *key, bool *got, Error *err) CB_MUSTCHECK;

/*
 * Release the session advisory lock named key, taken by db_try_lock (or
 * pg_advisory_lock) when db_epoch was epoch.  Call it before db_free: the
 * server releases a session's locks only when it notices the session ended,
 * which can be after the process exited, so a run started right after would
 * find the lock still held.  Does nothing when the connection was lost or
 * made again since (that session's locks went with it) or a transaction is
 * open; never connects.  A failure is logged at debug level only: the lock
 * still ends with the session.
 */
void db_unlock(DbConn *db, const char *key, unsigned epoch);

/* "database "x" on host:port as user "y"", for log lines. */
const char *db_describe(const DbConn *db);

/* Server version number, e.g. 150004. */
int db_server_version(const DbConn *db);

/*
 * Run one or more SQL statements (simple query protocol), discarding
 * results, under the default deadline.  A connection that was found broken
 * outside a transaction is re-established first.
 */
ErrKind db_exec(DbConn *db, const char *sql, Error *err) CB_MUSTCHECK;

/* As db_exec with an explicit deadline in ms (0 = none). */
ErrKind db_exec_timeout(DbConn *db, const char *sql, long long timeout_ms, Error *err) CB_MUSTCHECK;

/* Where in a script an error is: 1-based line and column; 0 when unknown. */
typedef struct DbScriptPos {
    int line;   /* line of the error, or of the start of the failing statement */
    int column; /* column of the error when PostgreSQL gives its position, else 0 */
} DbScriptPos;

/*
 * Run sql, a script of statements such as a migration file, as
 * db_exec_timeout does, but report an error by its place in the script and
 * never by the script's text: *where receives the line of the error (or,
 * when PostgreSQL gives no position, of the start of the failing statement,
 * or of the failing line of a DO block), and the error's detail holds
 * PostgreSQL's detail, the SQLSTATE and that one line of the script.  The
 * hint is PostgreSQL's only (none of the generic ones db_exec adds), so the
 * caller can add its own.  Errors as db_exec.
 */
ErrKind db_exec_script(DbConn *db, const char *sql, long long timeout_ms, DbScriptPos *where,
                       Error *err) CB_MUSTCHECK;

/*
 * Run one statement with text parameters ($1..$n; NULL pointers are SQL
 * NULL).  When res is not NULL, *res receives the rows, which the caller
 * frees with db_result_free; on error *res is NULL.
 */
ErrKind db_query(DbConn *db, const char *sql, int nparams, const char *const *params,
                 DbResult **res, Error *err) CB_MUSTCHECK;

/*
 * Register and prepare a named statement.  It is prepared again
 * automatically after a reconnect.  name and sql are copied.
 */
ErrKind db_prepare(DbConn *db, const char *name, const char *sql, int nparams,
                   Error *err) CB_MUSTCHECK;

/* Execute a statement registered with db_prepare; as db_query otherwise. */
ErrKind db_exec_prepared(DbConn *db, const char *name, int nparams, const char *const *params,
                         DbResult **res, Error *err) CB_MUSTCHECK;

/* BEGIN, COMMIT and ROLLBACK.  db_rollback is a no-op outside a transaction. */
ErrKind db_begin(DbConn *db, Error *err) CB_MUSTCHECK;
ErrKind db_commit(DbConn *db, Error *err) CB_MUSTCHECK;
ErrKind db_rollback(DbConn *db, Error *err) CB_MUSTCHECK;

/* Whether a transaction is open on db. */
bool db_in_transaction(const DbConn *db);

/* Body of a transaction run by db_transaction. */
typedef ErrKind (*DbTxnFn)(DbConn *db, void *arg, Error *err);

/*
 * Run fn between BEGIN and COMMIT.  When fn or COMMIT fails with a retryable
 * kind (ERR_DB_CONFLICT, ERR_DB_CONNECTION) the transaction is rolled back,
 * the connection re-established if needed, and the whole transaction run
 * again after a backoff, up to max_attempts times in all.  fn must therefore
 * be safe to run again (our writes are idempotent upserts).  Any other error
 * rolls back and is returned as is.  When attempts run out the last error is
 * returned with every attempt listed in its detail.
 */
ErrKind db_transaction(DbConn *db, int max_attempts, DbTxnFn fn, void *arg,
                       Error *err) CB_MUSTCHECK;

/*
 * COPY ... FROM STDIN in three steps: db_copy_begin sends the statement
 * (which must be a COPY FROM STDIN) and waits until the server accepts data;
 * db_copy_put passes data on (libpq buffers and sends it, blocking while the
 * server catches up); db_copy_end finishes it (abort_reason NULL) and stores
 * the rows copied in *rows (when not NULL), or aborts it with abort_reason,
 * which fails the open transaction.  Errors as db_query; after an error the
 * COPY is over.
 */
ErrKind db_copy_begin(DbConn *db, const char *sql, Error *err) CB_MUSTCHECK;
ErrKind db_copy_put(DbConn *db, const char *data, size_t len, Error *err) CB_MUSTCHECK;
ErrKind db_copy_end(DbConn *db, const char *abort_reason, long long *rows, Error *err) CB_MUSTCHECK;

/* Receives the data of db_copy_out: len bytes (one row, as libpq hands them). */
typedef ErrKind (*DbCopyOutFn)(void *arg, const char *data, size_t len, Error *err);

/*
 * Run sql, a COPY ... TO STDOUT, and hand its data to fn(arg, ...) as it
 * arrives (nothing is held beyond one row).  The default deadline covers the
 * whole COPY.  *rows (when not NULL) receives the rows copied.  When fn
 * fails, the statement is cancelled and fn's error returned.  Errors as
 * db_query; ERR_INTERNAL when sql is not a COPY TO STDOUT.
 */
ErrKind db_copy_out(DbConn *db, const char *sql, DbCopyOutFn fn, void *arg, long long *rows,
                    Error *err) CB_MUSTCHECK;

/*
 * Whether the last attempt to (re)connect failed after its retries
 * (centra_db_retries): a caller that would try its work again need not, the
 * database has been waited for already.  Until a connection succeeds, each
 * later reconnect tries once.  False again once connected.
 */
bool db_connect_gave_up(const DbConn *db);

/*
 * A number that changes whenever db connects again (after a loss): session
 * state (temporary tables, settings, advisory locks) must then be set up
 * again.
 */
unsigned db_epoch(const DbConn *db);

/*
 * Wait up to timeout_ms for a notification on a channel the session LISTENs
 * to (LISTEN is a plain db_exec; it must be issued again after a reconnect,
 * see db_epoch).  *notified says whether one came; all pending ones are
 * consumed.  Returns early, without error, when a signal interrupts the wait.
 * Errors: ERR_DB_CONNECTION when the connection is lost.
 */
ErrKind db_wait_notify(DbConn *db, long long timeout_ms, bool *notified, Error *err) CB_MUSTCHECK;

/* Rows, columns and values of a result.  Values are NULL for SQL NULL. */
int db_result_rows(const DbResult *res);
int db_result_cols(const DbResult *res);
const char *db_result_value(const DbResult *res, int row, int col);
const char *db_result_col_name(const DbResult *res, int col);

/* Rows affected by an INSERT/UPDATE/DELETE, or -1 if not applicable. */
long long db_result_affected(const DbResult *res);

/* Free a result; db_result_free(NULL) is a no-op. */
void db_result_free(DbResult *res);

/*
 * The error kind of a five-character SQLSTATE (NULL = none reported).
 * conn_lost says whether the connection is gone, which takes precedence.
 */
ErrKind db_classify_sqlstate(const char *sqlstate, bool conn_lost);

/*
 * Classify the message of a failed connection attempt: ERR_CONFIG when libpq
 * refused a connection option's value before connecting (sslmode=maybe,
 * port=x), ERR_DB_AUTH when the server answered and refused (a FATAL other
 * than start-up, shutdown or too many clients), ERR_DB_CONNECTION when it
 * could not be reached or may accept us later.
 */
ErrKind db_classify_connect_failure(const char *message, bool needs_password);

/*
 * Quote s as an SQL literal into a new string the caller frees with xfree
 * (standard_conforming_strings on: quotes doubled, E'' when backslashes).
 * For DDL and SET statements only; data always goes in parameters.
 */
char *db_quote_literal(const char *s);

/*
 * SET TIME ZONE zone (the setting centra_timezone) in this session.  When
 * PostgreSQL does not know the zone: ERR_CONFIG naming the setting, zone and
 * origin (where it was set; NULL: not said).  Connection errors as db_exec.
 */
ErrKind db_set_time_zone(DbConn *db, const char *zone, const char *origin, Error *err) CB_MUSTCHECK;

#endif /* CENTRA_DB_H */
