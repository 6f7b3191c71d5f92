/*
 * src/cli/cmd_migrate.c
 *     "centra-bridge migrate": create or upgrade the schemas.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/db.h"
#include "centra/log.h"
#include "centra/migrate.h"
#include "cli_int.h"

static const char migrate_help[] =
    "Usage: centra-bridge [OPTION]... migrate [--status]\n"
    "\n"
    "Create the schemas \"centra\" (staging, written by centra-bridge) and\n"
    "\"centra_outbox\" (written by the ERP), or upgrade them to this version of\n"
    "centra-bridge; then apply the views, functions and roles again.\n"
    "\n"
    "Safe to run at any time and as often as you like: migrations already applied\n"
    "are skipped, and concurrent runs wait for each other.  Each migration runs in\n"
    "its own transaction.  It refuses to run when an applied migration was changed,\n"
    "or when the database was migrated by a newer centra-bridge.\n"
    "\n"
    "The roles centra_bridge, centra_erp and centra_reader are created when the\n"
    "database user may create roles; otherwise that step is skipped with a notice.\n"
    "\n"
    "Options:\n"
    "      --status   list applied and pending migrations; change nothing\n"
    "  -h, --help     show this help, then exit\n"
    "\n"
    "Exit status: 0 up to date; 1 (--status) migrations are pending; 78 a\n"
    "migration was changed or is unknown, or the database refused the connection\n"
    "or a privilege; 69 the database is unreachable; 75 a statement timed out; 70 a\n"
    "migration failed (nothing of it was kept).\n";

static ErrKind
print_status(DbConn *db, const MigrationSet *set, Error *err)
{
    MigrationInfo *info;
    size_t n;
    size_t pending = 0;
    bool bad = false;
    ErrKind rc = migrate_status(db, set, &info, &n, err);

    if (rc != ERR_OK)
        return rc;
    printf("%-8s %-40s %-8s %s\n", "VERSION", "NAME", "STATE", "APPLIED AT");
    for (size_t i = 0; i < n; i++) {
        printf("%04d     %-40s %-8s %s\n", info[i].version, info[i].name,
               migrate_state_name(info[i].state), info[i].applied_at);
        pending += info[i].state == MIGRATION_PENDING;
        bad |= info[i].state == MIGRATION_CHANGED || info[i].state == MIGRATION_UNKNOWN;
    }
    xfree(info);
    if (bad) {
        err_set(err, ERR_MIGRATION, "the database's migrations do not match this centra-bridge");
        err_detail(err, "A migration marked \"changed\" differs from the one applied; one marked "
                        "\"unknown\" was applied by another version.");
        err_hint(err, "Run \"centra-bridge migrate\" for the details.");
        return ERR_MIGRATION;
    }
    if (pending > 0) {
        /* Not up to date: exit 1, so that a deploy script can tell (found in review). */
        err_set(err, ERR_PARTIAL, "%zu migration%s pending: run \"centra-bridge migrate\"", pending,
                pending == 1 ? "" : "s");
        err_hint(err, "Stop the daemon and the timer first: a migration waits for the locks it "
                      "needs (see docs/migrations.md).");
        return ERR_PARTIAL;
    }
    return ERR_OK;
}

static ErrKind
migrate_cmd_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    static const struct option long_options[] = {
        {"status", no_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    MigrationSet set = migrate_embedded();
    MigrateOutcome outcome;
    DbOptions opts;
    DbConn *db;
    bool status = false;
    ErrKind rc;
    int c;
    int at;

    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+:", long_options, &at)) != -1) {
        if (c == 's')
            status = true;
        else
            return cli_bad_option(err, "migrate", argc, argv, at, c);
    }
    if (optind < argc)
        return cli_usage_error(err, "migrate", "unexpected argument \"%s\"", argv[optind]);

    db_options_from_config(&opts, ctx->cfg);
    opts.pooled_transactions = true; /* it sets what it needs per transaction (migrate.c) */
    rc = db_new(&opts, &db, err);
    if (rc != ERR_OK)
        return rc;
    log_detail("connected to %s", db_describe(db));
    if (status) {
        rc = print_status(db, &set, err);
    } else {
        rc = migrate_run(db, &set, &outcome, err);
        if (rc == ERR_OK && outcome.applied == 0)
            log_info("database schema is up to date (migration %04d)", outcome.latest);
        else if (rc == ERR_OK)
            log_info("database schema upgraded to migration %04d (%d applied)", outcome.latest,
                     outcome.applied);
    }
    db_free(db);
    return rc;
}

const CliCommand cli_cmd_migrate = {
    "migrate",       "create or upgrade the database schemas (idempotent)",
    migrate_help,    NULL,
    migrate_cmd_run, false,
};
