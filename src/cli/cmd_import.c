/*
 * src/cli/cmd_import.c
 *     "centra-bridge import" and "centra-bridge load".
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "centra/import.h"
#include "cli_int.h"

static const char import_help[] =
    "Usage: centra-bridge [OPTION]... import --once|--follow [--types LIST] [--markets LIST]\n"
    "                                 [--wait] [--on-malformed=quarantine|stop]\n"
    "\n"
    "Fetch events from Centra's queue (events_Get, 100 at a time), store each batch in\n"
    "the schema \"centra\" in one transaction, and only then acknowledge it\n"
    "(events_Done).  Orders, lines, shipments, refunds and bundles land in their\n"
    "tables; every other event type is kept in centra.entities; every event is kept\n"
    "in centra.events.  An event received again changes nothing, and an event older\n"
    "than the stored state of its order is kept as \"stale\" without applying it.\n"
    "\n"
    "An event that cannot be parsed is quarantined (stored with its bytes and the\n"
    "reason) and acknowledged, so it cannot block the queue; the run then exits 1.\n"
    "Transient failures (network, timeouts, HTTP 5xx or 429, database connection)\n"
    "are retried with backoff; nothing of a failed batch is acknowledged.\n"
    "\n"
    "Options:\n"
    "      --once           drain the queue until it is empty, then exit\n"
    "      --follow         keep importing; wait centra_poll_interval when empty;\n"
    "                       after an outage of Centra or the database, wait (from\n"
    "                       centra_retry_delay, doubling up to centra_poll_interval)\n"
    "                       and go on; SIGTERM or SIGINT finish the current batch,\n"
    "                       then exit 0\n"
    "      --types LIST     event types, comma-separated (default centra_event_types:\n"
    "                       all): all, order, customer, account, invoice, market,\n"
    "                       pricelist, salesrep, paymentterm, shippingterm, size,\n"
    "                       warehouse\n"
    "      --markets LIST   only these market ids, comma-separated, through\n"
    "                       events_GetByMarkets (default centra_markets: all)\n"
    "      --wait           wait while another importer drains the same queue\n"
    "                       (default: --once exits 75 at once; --follow stands by,\n"
    "                       trying again every centra_poll_interval at most)\n"
    "      --on-malformed=quarantine|stop\n"
    "                       an answer that is not well-formed XML: quarantine the\n"
    "                       broken event and acknowledge it (default), or store\n"
    "                       what was read but acknowledge nothing of that answer\n"
    "  -h, --help           show this help, then exit\n"
    "\n"
    "Exit status: 0 done; 1 done, but events were quarantined; 64 usage; 69 Centra\n"
    "or the database unreachable after retries; 75 another importer holds the\n"
    "queue; 76 Centra answered with an error; 77 Centra refused the login; 78\n"
    "configuration.\n";

static const char load_help[] =
    "Usage: centra-bridge [OPTION]... load FILE...\n"
    "\n"
    "Import saved events_Get answers (whole SOAP responses, as Centra sent them)\n"
    "exactly as \"import\" would, one transaction per file, and acknowledge\n"
    "nothing: Centra is not contacted.  Use it to replay an answer, or to load the\n"
    "raw bytes of a quarantined event after fixing them.  Events already stored are\n"
    "recognised and skipped.\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help, then exit\n"
    "\n"
    "Exit status: 0 done; 1 done, but events were quarantined; 64 usage; 65 a\n"
    "file is not a complete events_Get answer; 66 a file cannot be opened; 69 the\n"
    "database is unreachable; 74 a file cannot be read (e.g. a directory); 78\n"
    "configuration.  Every file is tried.\n";

static ErrKind
import_cmd_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    static const struct option long_options[] = {
        {"once", no_argument, NULL, 'o'},
        {"follow", no_argument, NULL, 'f'},
        {"types", required_argument, NULL, 't'},
        {"markets", required_argument, NULL, 'm'},
        {"wait", no_argument, NULL, 'w'},
        {"on-malformed", required_argument, NULL, 'x'},
        {NULL, 0, NULL, 0},
    };
    ImportOptions opts;
    bool once = false;
    const char *types_cli = NULL;
    const char *markets_cli = NULL;
    int c;
    int at;

    import_options_from_config(&opts, ctx->cfg);
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+:", long_options, &at)) != -1) {
        switch (c) {
        case 'o':
            once = true;
            break;
        case 'f':
            opts.follow = true;
            break;
        case 't':
            opts.types = types_cli = optarg;
            break;
        case 'm':
            opts.markets = markets_cli = optarg;
            break;
        case 'w':
            opts.wait_lock = true;
            break;
        case 'x':
            if (strcmp(optarg, "quarantine") != 0 && strcmp(optarg, "stop") != 0)
                return cli_usage_error(err, "import",
                                       "invalid value \"%s\" for --on-malformed: use quarantine "
                                       "or stop",
                                       optarg);
            opts.stop_on_malformed = strcmp(optarg, "stop") == 0;
            break;
        default:
            return cli_bad_option(err, "import", argc, argv, at, c);
        }
    }
    if (optind < argc)
        return cli_usage_error(err, "import", "unexpected argument \"%s\"", argv[optind]);
    if (cli_once_or_follow(err, "import", once, opts.follow) != ERR_OK)
        return ERR_USAGE;
    if (cli_check_import_lists(ctx->cfg, "import", types_cli, markets_cli, err) != ERR_OK)
        return err->kind;
    return import_run(ctx->cfg, &opts, err);
}

static ErrKind
load_cmd_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    static const struct option long_options[] = {{NULL, 0, NULL, 0}};
    int c;
    int at;

    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+:", long_options, &at)) != -1)
        return cli_bad_option(err, "load", argc, argv, at, c);
    if (optind >= argc)
        return cli_usage_error(err, "load", "no file given");
    return import_load(ctx->cfg, argv + optind, argc - optind, err);
}

const CliCommand cli_cmd_import = {
    "import",       "fetch, store and acknowledge Centra's events (--once or --follow)",
    import_help,    NULL,
    import_cmd_run, false,
};

const CliCommand cli_cmd_load = {
    "load",       "import saved events_Get answers from files (acknowledges nothing)",
    load_help,    NULL,
    load_cmd_run, false,
};
