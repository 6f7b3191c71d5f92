/*
 * src/export/outbox.c
 *     "outbox list", "outbox retry", "outbox cancel": the queue as an
 *     operator sees and steers it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/db.h"
#include "centra/dynbuf.h"
#include "centra/export.h"
#include "centra/log.h"
#include "centra/migrate.h"
#include "centra/strutil.h"

/*
 * Connected to a database whose schema is this binary's: an older binary must
 * not steer messages a newer one wrote (maybe_applied, say), nor a newer one
 * a schema not yet migrated to it.
 */
static ErrKind
connect_db(const Config *cfg, DbConn **db, Error *err)
{
    DbOptions dbo;
    int version;
    ErrKind rc;

    db_options_from_config(&dbo, cfg);
    rc = db_new(&dbo, db, err);
    if (rc == ERR_OK)
        rc = migrate_check_current(*db, &version, err);
    return rc;
}

/* Characters (not bytes) of UTF-8 text, for column widths. */
static size_t
text_width(const char *s)
{
    size_t n = 0;

    for (; s != NULL && *s != '\0'; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* A value as shown: NULL as nothing. */
static const char *
cell(const DbResult *res, int row, int col)
{
    const char *v = db_result_value(res, row, col);

    return v != NULL ? v : "";
}

/* Print res as an aligned table with a header and a row count, as psql does. */
static void
print_table(const DbResult *res, FILE *out)
{
    int rows = db_result_rows(res);
    int cols = db_result_cols(res);
    size_t *width = xcalloc((size_t)cols, sizeof(size_t));

    for (int c = 0; c < cols; c++) {
        width[c] = strlen(db_result_col_name(res, c));
        for (int r = 0; r < rows; r++) {
            size_t w = text_width(cell(res, r, c));

            width[c] = w > width[c] ? w : width[c];
        }
    }
    for (int c = 0; c < cols; c++)
        fprintf(out, "%s%-*s", c > 0 ? " | " : " ", c + 1 < cols ? (int)width[c] : 0,
                db_result_col_name(res, c));
    fputc('\n', out);
    for (int c = 0; c < cols; c++) {
        fputs(c > 0 ? "-+-" : "-", out);
        for (size_t i = 0; i < width[c]; i++)
            fputc('-', out);
    }
    fputs("-\n", out);
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            const char *v = cell(res, r, c);
            size_t pad = width[c] - text_width(v);

            fprintf(out, "%s%s", c > 0 ? " | " : " ", v);
            for (size_t i = 0; c + 1 < cols && i < pad; i++)
                fputc(' ', out);
        }
        fputc('\n', out);
    }
    fprintf(out, "(%d row%s)\n", rows, rows == 1 ? "" : "s");
    xfree(width);
}

/*
 * SQL of text x on one line: line breaks (and the white space around them)
 * become one space; other runs of spaces stay, as in "Product  PWC", where
 * they are the point.
 */
#define ONE_LINE(x) "regexp_replace(" x ", '\\s*[\\r\\n\\t]\\s*', ' ', 'g')"

ErrKind
outbox_list(const Config *cfg, const OutboxListOptions *o, Error *err)
{
    static const char *const statuses[] = {"pending", "sending",   "sent",
                                           "failed",  "cancelled", "superseded"};
    DbConn *db = NULL;
    DbResult *res = NULL;
    char limit[32];
    const char *params[2] = {o->status, limit};
    ErrKind rc;

    if (o->status != NULL) {
        bool known = false;

        for (size_t i = 0; i < CB_LENGTH(statuses); i++)
            known = known || strcmp(statuses[i], o->status) == 0;
        if (!known) {
            err_set(err, ERR_USAGE, "invalid status \"%s\"", o->status);
            err_hint(err, "Use pending, sending, sent, failed, cancelled or superseded.");
            return ERR_USAGE;
        }
    }
    snprintf(limit, sizeof(limit), "%d", o->limit > 0 ? o->limit : 100);
    rc = connect_db(cfg, &db, err);
    if (rc == ERR_OK && o->blocked)
        rc = db_query(db,
                      /* A key of thousands of characters would widen every row: cut. */
                      "SELECT f.id, f.operation, CASE WHEN length(f.entity_key) > 80 "
                      "THEN left(f.entity_key, 77) || '...' ELSE f.entity_key END AS entity_key, "
                      "f.attempts, "
                      "to_char(f.updated_at, 'YYYY-MM-DD HH24:MI:SS \"UTC\"') AS failed_at, "
                      "(SELECT count(*) FROM centra_outbox.messages w "
                      "WHERE w.entity_key = f.entity_key AND w.id > f.id "
                      "AND w.status IN ('pending', 'sending')) AS waiting, "
                      "left(" ONE_LINE(
                          "f.last_error") ", 100) AS last_error "
                                          "FROM centra_outbox.messages f WHERE f.status = 'failed' "
                                          "AND NOT EXISTS (SELECT 1 FROM centra_outbox.messages o "
                                          "WHERE o.entity_key = f.entity_key AND o.id < f.id AND "
                                          "o.status = 'failed') "
                                          "ORDER BY f.id LIMIT $1::integer",
                      1, params + 1, &res, err);
    else if (rc == ERR_OK)
        rc = db_query(
            db,
            "SELECT id, operation, CASE WHEN length(entity_key) > 80 "
            "THEN left(entity_key, 77) || '...' ELSE entity_key END AS entity_key, status, "
            "attempts, "
            "to_char(created_at, 'YYYY-MM-DD HH24:MI:SS \"UTC\"') AS created, "
            "CASE WHEN status = 'pending' AND next_attempt_at > now() THEN "
            "to_char(next_attempt_at, 'YYYY-MM-DD HH24:MI:SS \"UTC\"') END AS next_attempt, "
            "left(" ONE_LINE(
                "last_error") ", 100) AS last_error "
                              "FROM centra_outbox.messages WHERE CASE WHEN $1::text IS NULL THEN "
                              "status IN ('pending', 'sending', 'failed') ELSE status = $1 END "
                              "ORDER BY id LIMIT $2::integer",
            2, params, &res, err);
    if (rc == ERR_OK)
        print_table(res, stdout);
    db_result_free(res);
    db_free(db);
    return rc;
}

/* The status of message id, or ERR_USAGE when there is none. */
static ErrKind
message_status(DbConn *db, long long id, char *status, size_t size, Error *err)
{
    char idtext[32];
    const char *params[1] = {idtext};
    DbResult *res;
    ErrKind rc;

    snprintf(idtext, sizeof(idtext), "%lld", id);
    rc = db_query(db, "SELECT status FROM centra_outbox.messages WHERE id = $1::bigint", 1, params,
                  &res, err);
    if (rc != ERR_OK)
        return rc;
    if (db_result_rows(res) == 0) {
        db_result_free(res);
        err_set(err, ERR_USAGE, "there is no outbox message %lld", id);
        err_hint(err, "\"centra-bridge outbox list\" shows the messages.");
        return ERR_USAGE;
    }
    snprintf(status, size, "%s", db_result_value(res, 0, 0));
    db_result_free(res);
    return ERR_OK;
}

/* Why message id, in status, was left alone: sets err (ERR_USAGE). */
typedef void (*RefusedFn)(Error *err, long long id, const char *status);

/*
 * Run sql, an UPDATE ... RETURNING id whose $1 is id (0: every message it
 * matches); *changed gets the rows changed.  When a given id matched
 * nothing, say why: there is no such message, or refused explains its status.
 */
static ErrKind
change_messages(const Config *cfg, long long id, const char *sql, RefusedFn refused, int *changed,
                Error *err)
{
    DbConn *db = NULL;
    DbResult *res = NULL;
    char idtext[32];
    char status[32];
    const char *params[1] = {idtext};
    ErrKind rc = connect_db(cfg, &db, err);

    *changed = 0;
    snprintf(idtext, sizeof(idtext), "%lld", id);
    if (rc == ERR_OK)
        rc = db_query(db, sql, 1, params, &res, err);
    if (rc == ERR_OK)
        *changed = db_result_rows(res);
    if (rc == ERR_OK && id > 0 && *changed == 0) {
        rc = message_status(db, id, status, sizeof(status), err);
        if (rc == ERR_OK) {
            refused(err, id, status);
            rc = ERR_USAGE;
        }
    }
    db_result_free(res);
    db_free(db);
    return rc;
}

static void
retry_refused(Error *err, long long id, const char *status)
{
    err_set(err, ERR_USAGE, "outbox message %lld is %s, not failed", id, status);
    err_hint(err, "Only a failed message can be retried.");
}

/*
 * After "retry --failed": warn about the failed messages it left because
 * Centra may have applied them (maybe_applied), naming them.
 */
static ErrKind
warn_maybe_applied(const Config *cfg, Error *err)
{
    DbConn *db = NULL;
    DbResult *res = NULL;
    DynBuf ids;
    int n;
    ErrKind rc = connect_db(cfg, &db, err);

    if (rc == ERR_OK)
        rc = db_query(db,
                      "SELECT id FROM centra_outbox.messages WHERE status = 'failed' "
                      "AND maybe_applied ORDER BY id",
                      0, NULL, &res, err);
    n = rc == ERR_OK ? db_result_rows(res) : 0;
    dynbuf_init(&ids, SIZE_MAX / 2);
    for (int i = 0; i < n && i < 20; i++)
        (void)dynbuf_addf(&ids, "%s%s", i > 0 ? ", " : "", db_result_value(res, i, 0));
    if (n > 20)
        (void)dynbuf_addf(&ids, " and %d more", n - 20);
    if (n > 0)
        log_warn("%d failed message%s not queued again: %s: Centra may have applied %s and "
                 "would apply %s again (a cancellation whose answer was lost); check the "
                 "order%s in Centra, then \"centra-bridge outbox retry ID\" or \"centra-bridge "
                 "outbox cancel ID\" for each",
                 n, n == 1 ? "" : "s", dynbuf_str(&ids), n == 1 ? "it" : "them",
                 n == 1 ? "it" : "them", n == 1 ? "" : "s");
    dynbuf_free(&ids);
    db_result_free(res);
    db_free(db);
    return rc;
}

ErrKind
outbox_retry(const Config *cfg, long long id, Error *err)
{
    int n;
    ErrKind rc = change_messages(cfg, id,
                                 "UPDATE centra_outbox.messages SET status = 'pending', "
                                 "attempts = 0, next_attempt_at = now(), updated_at = now(), "
                                 "maybe_applied = false "
                                 "WHERE status = 'failed' AND ($1::bigint = 0 OR id = $1::bigint) "
                                 "AND ($1::bigint <> 0 OR NOT maybe_applied) RETURNING id",
                                 retry_refused, &n, err);

    if (rc == ERR_OK)
        printf("%d message%s queued again\n", n, n == 1 ? "" : "s");
    if (rc == ERR_OK && id == 0 && warn_maybe_applied(cfg, err) != ERR_OK) {
        /* The retry is done: only the list of what it left could not be read. */
        log_warn("could not list the failed messages retry --failed left: %s", err->message);
        err_reset(err);
    }
    return rc;
}

static void
cancel_refused(Error *err, long long id, const char *status)
{
    err_set(err, ERR_USAGE, "outbox message %lld is %s: it cannot be cancelled", id, status);
    err_hint(err, strcmp(status, "sending") == 0
                      ? "An exporter is sending it right now; look again in a moment."
                      : "Only a pending or failed message can be cancelled.");
}

ErrKind
outbox_cancel(const Config *cfg, long long id, Error *err)
{
    int n;
    ErrKind rc = change_messages(cfg, id,
                                 "UPDATE centra_outbox.messages SET status = 'cancelled', "
                                 "updated_at = now() WHERE id = $1::bigint "
                                 "AND status IN ('pending', 'failed') RETURNING id",
                                 cancel_refused, &n, err);

    if (rc == ERR_OK)
        printf("message %lld cancelled\n", id);
    return rc;
}
