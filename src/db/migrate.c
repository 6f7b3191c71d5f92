/*
 * src/db/migrate.c
 *     Applying migrations and sql/ objects (see migrate.h).
 *
 * The bookkeeping table centra.schema_migrations is created by a bootstrap
 * step here, before any migration runs, so that migration 0001 is recorded
 * like every other one.
 */
#include "centra/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/log.h"
#include "centra/sha256.h"
#include "centra/strutil.h"
#include "centra/version.h"
#include "embedded_sql_int.h"

/* Advisory lock key serializing migrate runs on one database ("cbmigrat"). */
#define MIGRATE_LOCK_KEY "7161968373633090932"

/* Run once, when centra.schema_migrations does not exist yet. */
static const char bootstrap_sql[] =
    "CREATE TABLE centra.schema_migrations (\n"
    "    version integer PRIMARY KEY CHECK (version > 0),\n"
    "    name text NOT NULL,\n"
    "    checksum text NOT NULL,\n"
    "    applied_at timestamptz NOT NULL DEFAULT now(),\n"
    "    applied_by text NOT NULL DEFAULT current_user,\n"
    "    duration_ms bigint,\n"
    "    bridge_version text\n"
    ");\n"
    "COMMENT ON TABLE centra.schema_migrations IS "
    "'Schema migrations applied by \"centra-bridge migrate\", one row each. Written only by "
    "migrate; an applied migration is never edited (its checksum is verified on every run).';\n"
    "COMMENT ON COLUMN centra.schema_migrations.version IS "
    "'Migration number, the NNNN of migrations/NNNN_name.sql.';\n"
    "COMMENT ON COLUMN centra.schema_migrations.name IS "
    "'File name of the migration when it was applied.';\n"
    "COMMENT ON COLUMN centra.schema_migrations.checksum IS "
    "'SHA-256 (hex) of the migration text as applied; a binary whose file differs refuses to "
    "run.';\n"
    "COMMENT ON COLUMN centra.schema_migrations.applied_at IS 'When the migration was applied.';\n"
    "COMMENT ON COLUMN centra.schema_migrations.applied_by IS "
    "'Database user that applied it.';\n"
    "COMMENT ON COLUMN centra.schema_migrations.duration_ms IS "
    "'How long the migration took, in milliseconds.';\n"
    "COMMENT ON COLUMN centra.schema_migrations.bridge_version IS "
    "'Version of centra-bridge that applied it.';\n";

typedef struct AppliedRow {
    int version;                       /* migration number */
    char name[128];                    /* recorded file name */
    char checksum[SHA256_HEX_LEN + 1]; /* recorded checksum */
    char applied_at[64];               /* time applied, UTC text */
} AppliedRow;

MigrationSet
migrate_embedded(void)
{
    MigrationSet set = {embedded_migrations, embedded_migrations_count, embedded_objects,
                        embedded_objects_count};

    return set;
}

int
migrate_version_of(const char *name)
{
    size_t len = strlen(name);
    size_t i = 0;
    long v = 0;

    for (; i < len && name[i] >= '0' && name[i] <= '9'; i++) {
        v = v * 10 + (name[i] - '0');
        if (v > 999999)
            return -1;
    }
    /* NNNN (at least four digits) "_" name ".sql", name not empty */
    if (i < 4 || v <= 0 || name[i] != '_' || len < i + 1 + 1 + 4 ||
        strcmp(name + len - 4, ".sql") != 0)
        return -1;
    for (size_t j = i + 1; j < len - 4; j++) {
        char c = name[j];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return -1;
    }
    return (int)v;
}

ErrKind
migrate_check_set(const MigrationSet *set, Error *err)
{
    int prev = 0;

    for (size_t i = 0; i < set->nmigrations; i++) {
        const SqlFile *m = &set->migrations[i];
        int v = migrate_version_of(m->name);

        if (v < 0) {
            err_set(err, ERR_INTERNAL, "invalid migration file name \"%s\"", m->name);
            err_detail(err, "Migration files are named NNNN_name.sql: a number of at least four "
                            "digits, then lower-case letters, digits and underscores.");
            return ERR_INTERNAL;
        }
        if (v <= prev) {
            err_set(err, ERR_INTERNAL, "migration \"%s\" does not follow version %04d", m->name,
                    prev);
            err_detail(err, "Migration versions must strictly increase.");
            return ERR_INTERNAL;
        }
        if (m->len == 0)
            return err_set(err, ERR_INTERNAL, "migration \"%s\" is empty", m->name);
        prev = v;
    }
    for (size_t i = 0; i < set->nobjects; i++)
        if (set->objects[i].len == 0)
            return err_set(err, ERR_INTERNAL, "SQL file \"sql/%s\" is empty", set->objects[i].name);
    return ERR_OK;
}

ErrKind
migrate_check_current(DbConn *db, int *version, Error *err)
{
    MigrationSet set = migrate_embedded();
    MigrationInfo *info;
    size_t n;
    size_t pending = 0;
    size_t applied = 0;
    ErrKind rc = migrate_status(db, &set, &info, &n, err);

    *version = 0;
    if (rc != ERR_OK)
        return rc;
    for (size_t i = 0; i < n && rc == ERR_OK; i++) {
        if (info[i].state == MIGRATION_CHANGED)
            rc = err_set(err, ERR_MIGRATION, "migration %s was changed after it was applied",
                         info[i].name);
        else if (info[i].state == MIGRATION_UNKNOWN)
            rc = err_set(err, ERR_MIGRATION,
                         "migration %s is unknown to this centra-bridge: a newer version "
                         "migrated the database",
                         info[i].name);
        pending += info[i].state == MIGRATION_PENDING;
        applied += info[i].state != MIGRATION_PENDING;
        if (info[i].state == MIGRATION_APPLIED)
            *version = info[i].version;
    }
    xfree(info);
    if (rc != ERR_OK) {
        err_hint(err, "\"centra-bridge migrate --status\" lists the migrations; use the "
                      "centra-bridge that migrated this database.");
        return rc;
    }
    if (pending == 0)
        return ERR_OK;
    if (applied == 0)
        err_set(err, ERR_DB_SCHEMA, "the database has no centra-bridge schema");
    else
        err_set(err, ERR_DB_SCHEMA,
                "the database schema is not up to date: %zu migration%s pending", pending,
                pending == 1 ? "" : "s");
    err_detail(err, "Database: %s.", db_describe(db));
    err_hint(err, applied == 0 ? "Run \"centra-bridge migrate\"."
                               : "Run \"centra-bridge migrate\", with the daemon and the timer "
                                 "stopped: a migration waits for the locks it needs (see "
                                 "docs/migrations.md).");
    return ERR_DB_SCHEMA;
}

const char *
migrate_state_name(MigrationState state)
{
    switch (state) {
    case MIGRATION_APPLIED:
        return "applied";
    case MIGRATION_PENDING:
        return "pending";
    case MIGRATION_CHANGED:
        return "changed";
    case MIGRATION_UNKNOWN:
        return "unknown";
    }
    return "?";
}

/* ---------------------------------------------------------------------------
 * Reading what the database has
 * ------------------------------------------------------------------------- */

static ErrKind
table_exists(DbConn *db, bool *exists, Error *err)
{
    DbResult *res;
    ErrKind rc = db_query(db, "SELECT to_regclass('centra.schema_migrations') IS NOT NULL", 0, NULL,
                          &res, err);

    if (rc != ERR_OK)
        return rc;
    *exists = strcmp(db_result_value(res, 0, 0), "t") == 0;
    db_result_free(res);
    return ERR_OK;
}

/* Rows of centra.schema_migrations; *rows is NULL and *n 0 when none. */
static ErrKind
load_applied(DbConn *db, AppliedRow **rows, size_t *n, Error *err)
{
    DbResult *res;
    bool exists;
    ErrKind rc;
    int count;

    *rows = NULL;
    *n = 0;
    rc = table_exists(db, &exists, err);
    if (rc != ERR_OK || !exists)
        return rc;
    rc = db_query(db,
                  "SELECT version, name, checksum, "
                  "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC' "
                  "FROM centra.schema_migrations ORDER BY version",
                  0, NULL, &res, err);
    if (rc != ERR_OK)
        return rc;
    count = db_result_rows(res);
    if (count > 0)
        *rows = xcalloc((size_t)count, sizeof(AppliedRow));
    for (int i = 0; i < count; i++) {
        AppliedRow *r = &(*rows)[i];
        long long v = 0;

        (void)str_to_ll(db_result_value(res, i, 0), &v);
        r->version = (int)v;
        snprintf(r->name, sizeof(r->name), "%s", db_result_value(res, i, 1));
        snprintf(r->checksum, sizeof(r->checksum), "%s", db_result_value(res, i, 2));
        snprintf(r->applied_at, sizeof(r->applied_at), "%s", db_result_value(res, i, 3));
    }
    *n = (size_t)count;
    db_result_free(res);
    return ERR_OK;
}

static const SqlFile *
find_migration(const MigrationSet *set, int version)
{
    for (size_t i = 0; i < set->nmigrations; i++)
        if (migrate_version_of(set->migrations[i].name) == version)
            return &set->migrations[i];
    return NULL;
}

static const AppliedRow *
find_applied(const AppliedRow *rows, size_t n, int version)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].version == version)
            return &rows[i];
    return NULL;
}

static void
checksum_of(const SqlFile *f, char hex[SHA256_HEX_LEN + 1])
{
    sha256_hex(f->sql, f->len, hex);
}

static int
latest_version(const MigrationSet *set)
{
    if (set->nmigrations == 0)
        return 0;
    return migrate_version_of(set->migrations[set->nmigrations - 1].name);
}

/*
 * Checksums of earlier copies of a migration that differ from the file only
 * in comments: an edit that should not have been made to a migration once
 * it had landed, which databases migrated by a build of that time still
 * record.  They are accepted as the same migration; nothing else is.
 */
static const struct {
    const char *name;     /* migration file */
    const char *checksum; /* of the earlier copy */
} same_but_comments[] = {
    /* 0013's header comment, reworded in 80c9be8 */
    {"0013_outbox_sessions.sql",
     "ce09600ad48156cbb84d162054543586a78da91256775aeec9d29801629961a5"},
};

/* Whether recorded, the checksum a database holds for m, is m's (sum) or an equivalent. */
static bool
same_checksum(const SqlFile *m, const char *sum, const char *recorded)
{
    if (strcmp(sum, recorded) == 0)
        return true;
    for (size_t i = 0; i < CB_LENGTH(same_but_comments); i++)
        if (strcmp(m->name, same_but_comments[i].name) == 0 &&
            strcmp(recorded, same_but_comments[i].checksum) == 0)
            return true;
    return false;
}

/* Refuse changed, unknown and out-of-order migrations. */
static ErrKind
verify(const MigrationSet *set, const AppliedRow *rows, size_t n, Error *err)
{
    int max_applied = 0;

    for (size_t i = 0; i < n; i++) {
        const SqlFile *m = find_migration(set, rows[i].version);
        char sum[SHA256_HEX_LEN + 1];

        if (rows[i].version > max_applied)
            max_applied = rows[i].version;
        if (m == NULL) {
            err_set(err, ERR_MIGRATION,
                    "the database has migration %04d (\"%s\"), which this centra-bridge does "
                    "not know",
                    rows[i].version, rows[i].name);
            err_detail(err, "It was applied on %s. The latest migration in this binary is %04d.",
                       rows[i].applied_at, latest_version(set));
            err_hint(err, "The database was migrated by a newer centra-bridge: run that version.");
            return ERR_MIGRATION;
        }
        checksum_of(m, sum);
        if (!same_checksum(m, sum, rows[i].checksum)) {
            err_set(err, ERR_MIGRATION, "migration \"%s\" was changed after it was applied",
                    m->name);
            err_detail(err,
                       "It was applied on %s with checksum %s; the file in this binary has "
                       "checksum %s.",
                       rows[i].applied_at, rows[i].checksum, sum);
            err_hint(err, "Applied migrations are immutable: restore the original file and put "
                          "the change in a new migration.");
            return ERR_MIGRATION;
        }
    }
    for (size_t i = 0; i < set->nmigrations; i++) {
        int v = migrate_version_of(set->migrations[i].name);

        if (v < max_applied && find_applied(rows, n, v) == NULL) {
            err_set(err, ERR_MIGRATION,
                    "migration \"%s\" is pending, but the later migration %04d is already "
                    "applied",
                    set->migrations[i].name, max_applied);
            err_detail(err, "Migrations must be applied in order.");
            err_hint(err, "The migrations of this binary do not match the database's history: "
                          "use the centra-bridge build that migrated this database.");
            return ERR_MIGRATION;
        }
    }
    return ERR_OK;
}

/* ---------------------------------------------------------------------------
 * Applying
 *
 * Every step runs in its own transaction, which first takes the
 * transaction-level advisory lock MIGRATE_LOCK_KEY and then checks again
 * what it is about to do.  A lock per transaction, not per session, cannot
 * be lost silently when the connection is re-established between steps, and
 * works behind a transaction-pooling PgBouncer.  A concurrent run waits at
 * each step and then finds the step done.
 * ------------------------------------------------------------------------- */

/* Take the migrate lock for the current transaction, saying so if it must wait. */
static ErrKind
lock_step(DbConn *db, MigrateOutcome *out, Error *err)
{
    DbResult *res;
    bool got;
    ErrKind rc =
        db_query(db, "SELECT pg_try_advisory_xact_lock(" MIGRATE_LOCK_KEY ")", 0, NULL, &res, err);

    if (rc != ERR_OK)
        return rc;
    got = strcmp(db_result_value(res, 0, 0), "t") == 0;
    db_result_free(res);
    if (got)
        return ERR_OK;
    if (!out->waited_for_lock)
        log_info("another \"centra-bridge migrate\" is running on this database; waiting for it "
                 "to finish");
    out->waited_for_lock = true;
    /* No deadline: the other run holds the lock only while it migrates. */
    return db_exec_timeout(db, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")", 0, err);
}

/*
 * BEGIN, take the lock, lift a statement_timeout set for the role or
 * database, and read string literals as standard ones (a database with
 * standard_conforming_strings = off failed at migration 0003).  SET LOCAL,
 * not the session settings of db.c: behind a transaction pooler those would
 * stay on the server connection for its next clients.
 */
static ErrKind
begin_step(DbConn *db, MigrateOutcome *out, Error *err)
{
    ErrKind rc = db_begin(db, err);

    if (rc == ERR_OK)
        rc = lock_step(db, out, err);
    if (rc == ERR_OK)
        rc = db_exec(
            db, "SET LOCAL statement_timeout = 0; SET LOCAL standard_conforming_strings = on", err);
    return rc;
}

/* COMMIT when rc is ERR_OK, otherwise roll back and return rc (err kept). */
static ErrKind
end_step(DbConn *db, ErrKind rc, Error *err)
{
    Error rb;

    if (rc == ERR_OK)
        return db_commit(db, err);
    err_reset(&rb);
    if (db_rollback(db, &rb) != ERR_OK)
        log_debug("rollback failed: %s", rb.message);
    return rc;
}

/*
 * Create schema centra and centra.schema_migrations if missing.  Only the DDL
 * that is needed runs, so once bootstrapped, migrate needs no CREATE privilege
 * on the database.
 */
static ErrKind
bootstrap(DbConn *db, MigrateOutcome *out, Error *err)
{
    DbResult *res = NULL;
    bool have_schema = false;
    bool have_table = false;
    ErrKind rc = begin_step(db, out, err);

    if (rc == ERR_OK)
        rc = db_query(db,
                      "SELECT to_regnamespace('centra') IS NOT NULL, "
                      "to_regclass('centra.schema_migrations') IS NOT NULL",
                      0, NULL, &res, err);
    if (rc == ERR_OK) {
        have_schema = strcmp(db_result_value(res, 0, 0), "t") == 0;
        have_table = strcmp(db_result_value(res, 0, 1), "t") == 0;
        db_result_free(res);
    }
    if (rc == ERR_OK && !have_schema)
        rc = db_exec(db, "CREATE SCHEMA centra", err);
    if (rc == ERR_OK && !have_table)
        rc = db_exec(db, bootstrap_sql, err);
    return end_step(db, rc, err);
}

/* Whether migration version is recorded (checked under the lock). */
static ErrKind
is_recorded(DbConn *db, const char *version, bool *recorded, Error *err)
{
    const char *params[1] = {version};
    DbResult *res;
    ErrKind rc = db_query(db, "SELECT 1 FROM centra.schema_migrations WHERE version = $1", 1,
                          params, &res, err);

    if (rc == ERR_OK) {
        *recorded = db_result_rows(res) > 0;
        db_result_free(res);
    }
    return rc;
}

/*
 * Our own SQL failing is a failed statement, whatever its SQLSTATE: "run
 * migrate" would be no advice inside migrate.  PostgreSQL's hint, if it gave
 * one, stays.  what names the file ("migration "0001_initial.sql""), at the
 * place in it.
 */
static ErrKind
explain_step_failure(Error *err, const char *what, const DbScriptPos *at)
{
    if (at->line > 0 && at->column > 0)
        err_prefix(err, "%s failed at line %d, column %d", what, at->line, at->column);
    else if (at->line > 0)
        err_prefix(err, "%s failed at line %d", what, at->line);
    else
        err_prefix(err, "%s failed", what);
    if (err->kind == ERR_DB_SCHEMA)
        err->kind = ERR_DB_QUERY;
    if (err->kind == ERR_DB_QUERY && err->hint[0] == '\0')
        err_hint(err, "Nothing of this step was kept; the migrations before it stay applied.");
    return err->kind;
}

static ErrKind
run_migration_sql(DbConn *db, const SqlFile *m, Error *err)
{
    DbScriptPos at;
    char what[160];
    ErrKind rc = db_exec_script(db, m->sql, 0, &at, err);

    if (rc != ERR_OK) {
        snprintf(what, sizeof(what), "migration \"%s\"", m->name);
        return explain_step_failure(err, what, &at);
    }
    if (!db_in_transaction(db)) {
        err_set(err, ERR_INTERNAL, "migration \"%s\" ended its own transaction", m->name);
        err_detail(err, "It contains COMMIT, ROLLBACK or END, so it did not run atomically and "
                        "was not recorded as applied.");
        err_hint(err, "Remove the transaction control from the migration, and check the "
                      "database for objects it created.");
        return ERR_INTERNAL;
    }
    return ERR_OK;
}

/* Apply m unless another run did meanwhile; *applied says which. */
static ErrKind
apply_migration(DbConn *db, const SqlFile *m, MigrateOutcome *out, bool *applied, Error *err)
{
    char sum[SHA256_HEX_LEN + 1];
    char version[16];
    char duration[32];
    const char *params[5];
    long long start = backoff_now_ms();
    bool recorded = false;
    ErrKind rc;

    *applied = false;
    checksum_of(m, sum);
    snprintf(version, sizeof(version), "%d", migrate_version_of(m->name));
    rc = begin_step(db, out, err);
    if (rc == ERR_OK)
        rc = is_recorded(db, version, &recorded, err);
    if (rc == ERR_OK && recorded) {
        log_detail("migration %s was applied meanwhile by another run", m->name);
        return end_step(db, rc, err);
    }
    if (rc == ERR_OK)
        rc = run_migration_sql(db, m, err);
    if (rc == ERR_OK) {
        snprintf(duration, sizeof(duration), "%lld", backoff_now_ms() - start);
        params[0] = version;
        params[1] = m->name;
        params[2] = sum;
        params[3] = duration;
        params[4] = CENTRA_BRIDGE_VERSION;
        rc = db_query(db,
                      "INSERT INTO centra.schema_migrations "
                      "(version, name, checksum, duration_ms, bridge_version) "
                      "VALUES ($1, $2, $3, $4, $5)",
                      5, params, NULL, err);
    }
    rc = end_step(db, rc, err);
    if (rc == ERR_OK) {
        *applied = true;
        log_info("applied migration %s in %lld ms", m->name, backoff_now_ms() - start);
    }
    return rc;
}

static ErrKind
apply_objects(DbConn *db, const MigrationSet *set, MigrateOutcome *out, Error *err)
{
    ErrKind rc = begin_step(db, out, err);

    for (size_t i = 0; rc == ERR_OK && i < set->nobjects; i++) {
        DbScriptPos at;
        char what[160];

        rc = db_exec_script(db, set->objects[i].sql, 0, &at, err);
        if (rc != ERR_OK) {
            snprintf(what, sizeof(what), "applying \"sql/%s\"", set->objects[i].name);
            rc = explain_step_failure(err, what, &at);
        } else {
            log_detail("applied sql/%s", set->objects[i].name);
        }
    }
    return end_step(db, rc, err);
}

static ErrKind
migrate_steps(DbConn *db, const MigrationSet *set, MigrateOutcome *out, Error *err)
{
    AppliedRow *rows = NULL;
    size_t n = 0;
    ErrKind rc = bootstrap(db, out, err);

    if (rc == ERR_OK)
        rc = load_applied(db, &rows, &n, err);
    if (rc == ERR_OK)
        rc = verify(set, rows, n, err);
    for (size_t i = 0; rc == ERR_OK && i < set->nmigrations; i++) {
        const SqlFile *m = &set->migrations[i];
        bool applied;

        if (find_applied(rows, n, migrate_version_of(m->name)) != NULL)
            continue;
        rc = apply_migration(db, m, out, &applied, err);
        if (rc == ERR_OK && applied)
            out->applied++;
    }
    if (rc == ERR_OK)
        rc = apply_objects(db, set, out, err);
    if (rc == ERR_OK) {
        out->latest = latest_version(set);
        for (size_t i = 0; i < n; i++)
            if (rows[i].version > out->latest)
                out->latest = rows[i].version;
    }
    xfree(rows);
    return rc;
}

ErrKind
migrate_run(DbConn *db, const MigrationSet *set, MigrateOutcome *out, Error *err)
{
    ErrKind rc;

    memset(out, 0, sizeof(*out));
    rc = migrate_check_set(set, err);
    if (rc != ERR_OK)
        return rc;
    rc = migrate_steps(db, set, out, err);
    if (rc == ERR_DB_PERMISSION)
        err_hint(err, "Run \"centra-bridge migrate\" as the owner of the schemas centra and "
                      "centra_outbox (the user that first ran it), or as a superuser.");
    return rc;
}

/* ---------------------------------------------------------------------------
 * Status
 * ------------------------------------------------------------------------- */

static int
compare_info(const void *a, const void *b)
{
    const MigrationInfo *x = a;
    const MigrationInfo *y = b;

    return (x->version > y->version) - (x->version < y->version);
}

ErrKind
migrate_status(DbConn *db, const MigrationSet *set, MigrationInfo **out, size_t *n, Error *err)
{
    AppliedRow *rows = NULL;
    size_t nrows = 0;
    MigrationInfo *info;
    size_t count = 0;
    ErrKind rc;

    *out = NULL;
    *n = 0;
    rc = load_applied(db, &rows, &nrows, err);
    if (rc != ERR_OK)
        return rc;
    info = xcalloc(set->nmigrations + nrows + 1, sizeof(MigrationInfo));
    for (size_t i = 0; i < set->nmigrations; i++) {
        const SqlFile *m = &set->migrations[i];
        MigrationInfo *mi = &info[count++];
        const AppliedRow *r = find_applied(rows, nrows, migrate_version_of(m->name));
        char sum[SHA256_HEX_LEN + 1];

        mi->version = migrate_version_of(m->name);
        snprintf(mi->name, sizeof(mi->name), "%s", m->name);
        mi->state = MIGRATION_PENDING;
        if (r != NULL) {
            checksum_of(m, sum);
            mi->state = same_checksum(m, sum, r->checksum) ? MIGRATION_APPLIED : MIGRATION_CHANGED;
            snprintf(mi->applied_at, sizeof(mi->applied_at), "%s", r->applied_at);
        }
    }
    for (size_t i = 0; i < nrows; i++) {
        MigrationInfo *mi;

        if (find_migration(set, rows[i].version) != NULL)
            continue;
        mi = &info[count++];
        mi->version = rows[i].version;
        snprintf(mi->name, sizeof(mi->name), "%s", rows[i].name);
        mi->state = MIGRATION_UNKNOWN;
        snprintf(mi->applied_at, sizeof(mi->applied_at), "%s", rows[i].applied_at);
    }
    qsort(info, count, sizeof(MigrationInfo), compare_info);
    xfree(rows);
    *out = info;
    *n = count;
    return ERR_OK;
}
