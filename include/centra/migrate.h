/*
 * include/centra/migrate.h
 *     Schema migrations: numbered, immutable SQL files compiled into the
 *     binary, plus re-appliable objects (views, functions, roles) from sql/.
 *
 * Rules enforced:
 * - Migrations are applied in version order, each in its own transaction
 *   together with its row in centra.schema_migrations (version, name,
 *   SHA-256 checksum, time), so a failed migration leaves no trace.
 * - A migration already applied whose text changed since is refused, as is a
 *   database migrated by a newer binary, and a pending migration older than
 *   one already applied.
  * - Every step runs in a transaction holding a transaction-level advisory
 *   lock and re-checks its work under it, so concurrent runs on one database
 *   wait for each other and the second finds nothing to do, even across a
 *   reconnect.
 * - A failing migration or sql/ file is named with the line of the error
 *   (db_exec_script), never quoted whole.
 * - Migrations run with statement_timeout 0, whatever the role or database
 *   sets; a migration that ends its own transaction is refused.
 * - After the migrations, every sql/ file is applied again in name order in
 *   one transaction: those files must be idempotent (CREATE OR REPLACE, ...).
 */
#ifndef CENTRA_MIGRATE_H
#define CENTRA_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "centra/attrs.h"
#include "centra/db.h"
#include "centra/error.h"

/* An SQL file: a migration ("0001_initial.sql") or a sql/ object file. */
typedef struct SqlFile {
    const char *name; /* file name without directory */
    const char *sql;  /* contents, NUL-terminated */
    size_t len;       /* length of sql in bytes */
} SqlFile;

/* The migrations and the re-appliable files to apply. */
typedef struct MigrationSet {
    const SqlFile *migrations; /* in version order */
    size_t nmigrations;        /* number of migrations */
    const SqlFile *objects;    /* sql/ files, in name order */
    size_t nobjects;           /* number of object files */
} MigrationSet;

/* The set compiled into this binary from migrations/ and sql/. */
MigrationSet migrate_embedded(void);

/*
 * Check a set: names are "NNNN_name.sql" with NNNN > 0, versions strictly
 * increase, no file is empty.  ERR_INTERNAL naming the bad file otherwise.
 */
ErrKind migrate_check_set(const MigrationSet *set, Error *err) CB_MUSTCHECK;

/* Version number of a migration file name ("0001_x.sql" -> 1), -1 if invalid. */
int migrate_version_of(const char *name);

typedef struct MigrateOutcome {
    int applied;          /* migrations applied by this run */
    int latest;           /* latest version now applied, 0 for none */
    bool waited_for_lock; /* another migrate held the lock for a while */
} MigrateOutcome;

/*
 * Bring the database up to date with set (see the rules above).
 * Errors: ERR_MIGRATION (changed, unknown or out-of-order migrations),
 * database errors as returned by db.h, with the failing file named.
 */
ErrKind migrate_run(DbConn *db, const MigrationSet *set, MigrateOutcome *out,
                    Error *err) CB_MUSTCHECK;

typedef enum MigrationState {
    MIGRATION_APPLIED, /* applied, checksum matches */
    MIGRATION_PENDING, /* in this binary, not yet applied */
    MIGRATION_CHANGED, /* applied, but the file differs from what was applied */
    MIGRATION_UNKNOWN  /* applied, but not in this binary (newer binary's) */
} MigrationState;

typedef struct MigrationInfo {
    int version;          /* migration number */
    char name[128];       /* file name, or the name recorded in the database */
    MigrationState state; /* see MigrationState */
    char applied_at[64];  /* time applied (database text form); "" if pending */
} MigrationInfo;

/*
 * Read-only report of every migration known to the binary or the database,
 * in version order.  *out is an array of *n entries the caller frees with
 * xfree.  Works on a database never migrated (everything pending).
 */
ErrKind migrate_status(DbConn *db, const MigrationSet *set, MigrationInfo **out, size_t *n,
                       Error *err) CB_MUSTCHECK;

/*
 * Whether the database's schema is exactly this binary's: ERR_OK with
 * *version the latest migration applied; ERR_DB_SCHEMA when there is no
 * schema or migrations are pending (hint: run migrate); ERR_MIGRATION when
 * an applied migration was changed or is unknown to this binary.
 */
ErrKind migrate_check_current(DbConn *db, int *version, Error *err) CB_MUSTCHECK;

/* "applied", "pending", "changed" or "unknown". */
const char *migrate_state_name(MigrationState state);

#endif /* CENTRA_MIGRATE_H */
