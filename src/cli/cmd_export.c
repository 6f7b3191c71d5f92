/*
 * src/cli/cmd_export.c
 *     "centra-bridge export" and "centra-bridge outbox list|retry|cancel".
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centra/export.h"
#include "cli_int.h"

static const char export_help[] =
    "Usage: centra-bridge [OPTION]... export --once|--follow\n"
    "\n"
    "Send the messages of centra_outbox.messages to Centra's *_Update operations and\n"
    "record Centra's answer on each (status, errors, notices, the request sent).\n"
    "Messages of one entity_key go one after another in id order; a failed message\n"
    "holds back the later ones of its key until \"outbox retry\" or \"outbox cancel\".\n"
    "Messages of one operation are sent together (centra_export_batch_size per\n"
    "request); when Centra refuses a batch it is split until the refused messages\n"
    "stand alone.  Any number of exporters may run at once.\n"
    "\n"
    "Options:\n"
    "      --once      send what is ready, then exit\n"
    "      --follow    keep sending; woken at once by every outbox insert (NOTIFY\n"
    "                  centra_outbox), and at the latest after centra_poll_interval;\n"
    "                  SIGTERM or SIGINT finish the current request, then exit 0\n"
    "  -h, --help      show this help, then exit\n"
    "\n"
    "Exit status: 0 done; 1 done, but messages failed for good; 64 usage; 69 Centra\n"
    "or the database unreachable after retries; 76 Centra answered with an error;\n"
    "77 Centra refused the login; 78 configuration.\n";

static const char outbox_help[] =
    "Usage: centra-bridge [OPTION]... outbox list [--status STATUS] [--blocked] [--limit N]\n"
    "       centra-bridge [OPTION]... outbox retry ID|--failed\n"
    "       centra-bridge [OPTION]... outbox cancel ID\n"
    "\n"
    "Look at and steer the outbox (centra_outbox.messages).\n"
    "\n"
    "  list              messages waiting, being sent or failed (or of --status:\n"
    "                    pending, sending, sent, failed, cancelled, superseded),\n"
    "                    oldest first, at most --limit (default 100)\n"
    "  list --blocked    the failed messages that hold back their entity_key, with\n"
    "                    how many messages wait behind each\n"
    "  retry ID          send failed message ID again (attempts start over)\n"
    "  retry --failed    send every failed message again\n"
    "  cancel ID         never send pending or failed message ID; the messages\n"
    "                    behind it flow on\n"
    "\n"
    "Exit status: 0 done; 64 usage (also: no such message, or one in another\n"
    "status); 69 the database is unreachable; 78 configuration.\n";

static ErrKind
export_cmd_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    static const struct option long_options[] = {
        {"once", no_argument, NULL, 'o'},
        {"follow", no_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    ExportOptions opts;
    bool once = false;
    int c;
    int at;

    export_options_from_config(&opts, ctx->cfg);
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+:", long_options, &at)) != -1) {
        switch (c) {
        case 'o':
            once = true;
            break;
        case 'f':
            opts.follow = true;
            break;
        default:
            return cli_bad_option(err, "export", argc, argv, at, c);
        }
    }
    if (optind < argc)
        return cli_usage_error(err, "export", "unexpected argument \"%s\"", argv[optind]);
    if (cli_once_or_follow(err, "export", once, opts.follow) != ERR_OK)
        return ERR_USAGE;
    return export_run(ctx->cfg, &opts, err);
}

/* A message id argument: a positive integer. */
static bool
parse_id(const char *s, long long *id)
{
    char *end;

    if (s[0] < '1' || s[0] > '9')
        return false;
    *id = strtoll(s, &end, 10);
    return *end == '\0' && *id > 0;
}

static ErrKind
outbox_list_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    static const struct option long_options[] = {
        {"status", required_argument, NULL, 's'},
        {"blocked", no_argument, NULL, 'b'},
        {"limit", required_argument, NULL, 'l'},
        {NULL, 0, NULL, 0},
    };
    OutboxListOptions o = {NULL, false, 100};
    int c;
    int at;

    while ((c = cli_getopt(argc, argv, "+:", long_options, &at)) != -1) {
        long long n;

        switch (c) {
        case 's':
            o.status = optarg;
            break;
        case 'b':
            o.blocked = true;
            break;
        case 'l':
            if (!parse_id(optarg, &n) || n > 1000000)
                return cli_usage_error(err, "outbox", "invalid --limit \"%s\" (1 to 1000000)",
                                       optarg);
            o.limit = (int)n;
            break;
        default:
            return cli_bad_option(err, "outbox", argc, argv, at, c);
        }
    }
    if (optind < argc)
        return cli_usage_error(err, "outbox", "unexpected argument \"%s\"", argv[optind]);
    if (o.blocked && o.status != NULL)
        return cli_usage_error(err, "outbox", "--blocked and --status exclude each other");
    return outbox_list(ctx->cfg, &o, err);
}

static ErrKind
outbox_cmd_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    const char *sub;
    long long id = 0;

    opterr = 0;
    if (argc < 2)
        return cli_usage_error(err, "outbox", "say list, retry or cancel");
    sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        fputs(outbox_help, stdout);
        return ERR_OK;
    }
    if (strcmp(sub, "list") == 0) {
        optind = 1;
        return outbox_list_run(ctx, argc - 1, argv + 1, err);
    }
    if (strcmp(sub, "retry") != 0 && strcmp(sub, "cancel") != 0)
        return cli_usage_error(err, "outbox",
                               "unknown subcommand \"%s\": say list, retry or cancel", sub);
    if (argc != 3)
        return cli_usage_error(err, "outbox", "%s takes one message id%s", sub,
                               strcmp(sub, "retry") == 0 ? " or --failed" : "");
    if (strcmp(sub, "retry") == 0 && strcmp(argv[2], "--failed") == 0)
        return outbox_retry(ctx->cfg, 0, err);
    if (!parse_id(argv[2], &id))
        return cli_usage_error(err, "outbox", "invalid message id \"%s\"", argv[2]);
    return strcmp(sub, "retry") == 0 ? outbox_retry(ctx->cfg, id, err)
                                     : outbox_cancel(ctx->cfg, id, err);
}

const CliCommand cli_cmd_export = {
    "export",       "send the outbox's messages to Centra (--once or --follow)", export_help, NULL,
    export_cmd_run,
};

const CliCommand cli_cmd_outbox = {
    "outbox", "list, retry or cancel outbox messages", outbox_help, NULL, outbox_cmd_run,
};
