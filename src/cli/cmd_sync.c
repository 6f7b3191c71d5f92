/*
 * src/cli/cmd_sync.c
 *     "centra-bridge sync": import --once, then export --once.
 *
 * The scheduled run of cron and systemd timers.  A session advisory lock
 * keyed on the Centra URL makes an overlapping run (the previous one still
 * going) exit at once with 75 and the holder's pid, instead of piling up.
 * The import and the export record their own rows in centra.runs; the sync
 * records one more with the sums and the combined outcome.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "centra/archive.h"
#include "centra/db.h"
#include "centra/export.h"
#include "centra/import.h"
#include "centra/log.h"
#include "centra/netaddr.h"
#include "centra/runs.h"
#include "centra/signals.h"
#include "centra/soap.h"
#include "cli_int.h"

static const char sync_help[] =
    "Usage: centra-bridge [OPTION]... sync [--types LIST] [--markets LIST]\n"
    "\n"
    "The scheduled run, for cron and systemd timers: \"import --once\" (fetch, store\n"
    "and acknowledge every waiting event), then \"export --once\" (send every outbox\n"
    "message that is ready), then exit.  Only one sync per Centra URL runs at a time:\n"
    "when the previous one is still going, this one exits 75 at once and says which\n"
    "process holds it.\n"
    "\n"
    "The export runs even when the import quarantined events or Centra answered it\n"
    "with an error, or lacked a privilege of its own (TEMP, say); it does not run\n"
    "when the import stopped on bad credentials, the configuration or the database\n"
    "being unreachable.  SIGTERM or SIGINT finish the current batch or request,\n"
    "then exit with the status of what was done so far (0, or 1 when something was\n"
    "quarantined or failed for good).\n"
    "\n"
    "Options:\n"
    "      --types LIST     event types to import, comma-separated (default\n"
    "                       centra_event_types: all); see \"import --help\"\n"
    "      --markets LIST   only these market ids (events_GetByMarkets; default\n"
    "                       centra_markets: all)\n"
    "  -h, --help           show this help, then exit\n"
    "\n"
    "Exit status: 0 done; 1 done, but events were quarantined or messages failed\n"
    "for good; 64 usage; 69 Centra or the database unreachable after retries; 75\n"
    "another sync (or importer) of this Centra is still running; 76 Centra answered\n"
    "with an error; 77 Centra refused the login; 78 configuration.\n";

/* Who holds the sync lock, from centra.runs, as a detail of err. */
static void
describe_holder(DbConn *db, Error *err)
{
    DbResult *res;
    Error e2;

    err_reset(&e2);
    if (db_query(db,
                 "SELECT pid, host, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS TZ'), "
                 "extract(epoch FROM now() - started_at)::bigint FROM centra.runs "
                 "WHERE command = 'sync' AND outcome = 'running' AND finished_at IS NULL "
                 "ORDER BY run_id DESC LIMIT 1",
                 0, NULL, &res, &e2) != ERR_OK)
        return;
    if (db_result_rows(res) == 1)
        err_detail(err, "The sync started at %s (%s s ago) by process %s on %s is still running.",
                   db_result_value(res, 0, 2), db_result_value(res, 0, 3),
                   db_result_value(res, 0, 0), db_result_value(res, 0, 1));
    db_result_free(res);
}

/* Take the sync lock named key on db: ERR_BUSY when another sync holds it. */
static ErrKind
lock_sync(DbConn *db, const char *key, Error *err)
{
    bool got;
    ErrKind rc = db_try_lock(db, key, &got, err);

    if (rc != ERR_OK || got)
        return rc;
    err_set(err, ERR_BUSY, "another centra-bridge sync is still running");
    describe_holder(db, err);
    err_hint(err, "This run stops without doing anything; the next one will catch up. If "
                  "syncs often overlap, schedule them further apart.");
    return ERR_BUSY;
}

/* Whether the export should still run after the import ended with rc. */
static bool
export_after(ErrKind rc)
{
    switch (rc) {
    case ERR_OK:
    case ERR_PARTIAL:
    case ERR_BUSY:
    case ERR_CENTRA_FAULT:
    case ERR_CENTRA_UNAVAILABLE:
    case ERR_DATA:
    case ERR_TOO_BIG:
    case ERR_IO: /* the answer archive: the outbox does not need it */
    /* A privilege the import needs may not be one the export needs (TEMP, the staging
       tables); if it is, the export says so itself. */
    case ERR_DB_PERMISSION:
        return !sig_stop_requested();
    default:
        return false;
    }
}

/* The outcome of the whole run: the first hard failure, else partial, else ok. */
static ErrKind
combine(ErrKind import_rc, ErrKind export_rc)
{
    if (import_rc != ERR_OK && import_rc != ERR_PARTIAL)
        return import_rc;
    if (export_rc != ERR_OK && export_rc != ERR_PARTIAL)
        return export_rc;
    return import_rc == ERR_PARTIAL || export_rc == ERR_PARTIAL ? ERR_PARTIAL : ERR_OK;
}

static ErrKind
sync_run(CliContext *ctx, ImportOptions *io, Error *err)
{
    ExportOptions eo;
    RunCounts totals;
    SoapOptions so;
    DbOptions dbo;
    DbConn *db = NULL;
    char lock_key[2048 + 32];
    char url[2048]; /* CENTRA_URL as the lock key spells it */
    unsigned lock_epoch = 0;
    long long run_id = 0;
    ErrKind import_rc;
    ErrKind export_rc = ERR_OK;
    ErrKind rc;
    Error export_err;
    Error e2;

    memset(&totals, 0, sizeof(totals));
    rc = soap_options_from_config(&so, ctx->cfg, err);
    if (rc != ERR_OK)
        return rc;
    export_options_from_config(&eo, ctx->cfg);
    rc = export_check_options(&eo, err); /* before the import, not after it */
    if (rc == ERR_OK && io->archive_dir != NULL)
        rc = archive_check_dir(io->archive_dir, "CENTRA_ARCHIVE_DIR", err);
    if (rc != ERR_OK)
        return rc;
    db_options_from_config(&dbo, ctx->cfg);
    net_canonical_url(so.url, url, sizeof(url));
    snprintf(lock_key, sizeof(lock_key), "centra-bridge sync %s", url);
    rc = db_new(&dbo, &db, err);
    if (rc == ERR_OK)
        rc = lock_sync(db, lock_key, err);
    if (rc == ERR_OK) {
        lock_epoch = db_epoch(db);
        rc = runs_begin(db, "sync", &run_id, err);
    }
    if (rc != ERR_OK) {
        db_unlock(db, lock_key, lock_epoch);
        db_free(db);
        return rc;
    }

    sig_install();
    io->totals = &totals;
    import_rc = import_run(ctx->cfg, io, err);
    io->totals = NULL; /* totals ends with this call; io is the caller's */
    if (import_rc != ERR_OK)
        log_report(import_rc == ERR_PARTIAL ? LOG_LEVEL_WARN : LOG_LEVEL_ERROR, err);
    err_reset(&export_err);
    if (export_after(import_rc)) {
        eo.totals = &totals;
        export_rc = export_run(ctx->cfg, &eo, &export_err);
        if (export_rc != ERR_OK)
            log_report(export_rc == ERR_PARTIAL ? LOG_LEVEL_WARN : LOG_LEVEL_ERROR, &export_err);
    } else if (!sig_stop_requested()) {
        log_warn("the export was skipped: the import stopped on an error the export would meet "
                 "too");
    }
    sig_restore();

    rc = combine(import_rc, export_rc);
    if (rc == export_rc && rc != import_rc)
        *err = export_err;
    err_reset(&e2);
    if (runs_update(db, run_id, &totals, true, rc, err, &e2) != ERR_OK)
        log_warn("could not record the end of the run: %s", e2.message);
    db_unlock(db, lock_key, lock_epoch); /* the next sync may start at once */
    db_free(db);
    /* Both parts reported their errors already: keep the exit code, print nothing more. */
    if (rc != ERR_OK)
        err->message[0] = '\0';
    return rc;
}

static ErrKind
sync_cmd_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    static const struct option long_options[] = {
        {"types", required_argument, NULL, 't'},
        {"markets", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    ImportOptions io;
    const char *types_cli = NULL;
    const char *markets_cli = NULL;
    int c;
    int at;

    import_options_from_config(&io, ctx->cfg);
    io.in_sync = true;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+:", long_options, &at)) != -1) {
        switch (c) {
        case 't':
            io.types = types_cli = optarg;
            break;
        case 'm':
            io.markets = markets_cli = optarg;
            break;
        default:
            return cli_bad_option(err, "sync", argc, argv, at, c);
        }
    }
    if (optind < argc)
        return cli_usage_error(err, "sync", "unexpected argument \"%s\"", argv[optind]);
    if (cli_check_import_lists(ctx->cfg, "sync", types_cli, markets_cli, err) != ERR_OK)
        return err->kind;
    return sync_run(ctx, &io, err);
}

const CliCommand cli_cmd_sync = {
    "sync",       "import --once, then export --once: the scheduled run (cron, timers)",
    sync_help,    NULL,
    sync_cmd_run, false,
};
