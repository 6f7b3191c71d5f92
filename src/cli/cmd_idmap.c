/*
 * src/cli/cmd_idmap.c
 *     "centra-bridge idmap import FILE.csv" and "centra-bridge idmap export".
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "centra/idmap.h"
#include "centra/log.h"
#include "cli_int.h"

#define IDMAP_KINDS_MAX 32 /* --kind options accepted */

static const char idmap_help[] =
    "Usage: centra-bridge [OPTION]... idmap import [--dry-run] FILE.csv|-\n"
    "       centra-bridge [OPTION]... idmap export [--kind KIND]... [--source SOURCE]\n"
    "\n"
    "Load Centra's ID conversion table into centra.id_map, or write centra.id_map\n"
    "out in the same format.  The format (docs/idmap.md): CSV as in RFC 4180, UTF-8,\n"
    "a header line naming the columns type, centra_id, external_id and optionally\n"
    "name, in any order (Centra's admin names such as \"Centra id\" and \"External id\"\n"
    "work too; other columns are ignored).\n"
    "\n"
    "  import FILE      validate every row first: when any is bad, all bad rows are\n"
    "                   named (line and column) and nothing is written.  Then one\n"
    "                   transaction adds or updates the mappings (source \"import\");\n"
    "                   a Centra id that another external id of the same type held\n"
    "                   moves to the file's external id, and the old mapping is\n"
    "                   removed (\"replaced\": Centra's table is the authority).\n"
    "                   FILE \"-\" reads standard input.  Prints\n"
    "                   \"N rows: I added, U changed, S unchanged, R replaced\".\n"
    "      --dry-run    validate and count what would change; write nothing\n"
    "  export           write centra.id_map as CSV to standard output, ordered by\n"
    "                   type and external id, with the header\n"
    "                   type,centra_id,external_id,name,source,updated_at; \"idmap\n"
    "                   import\" reads it back\n"
    "      --kind KIND  only mappings of this type (repeatable): order, product,\n"
    "                   variation, market, pricelist, warehouse, customer, ...\n"
    "      --source S   only mappings learned from S: \"event\" or \"import\"\n"
    "  -h, --help       show this help, then exit\n"
    "\n"
    "Exit status: 0 done; 64 usage; 65 bad rows in the file (nothing written);\n"
    "66 the file cannot be opened; 69 the database is unreachable; 74 reading the\n"
    "file or writing the output failed; 78 configuration, or a schema not this\n"
    "version's (run migrate; or a newer centra-bridge migrated it).\n";

static ErrKind
idmap_import_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    static const struct option long_options[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    IdmapCounts n;
    bool dry_run = false;
    int c;
    int at;
    ErrKind rc;

    /* Not "+": the file may come before --dry-run; "-" is an operand. */
    while ((c = cli_getopt(argc, argv, ":h", long_options, &at)) != -1) {
        if (c == 'h') {
            fputs(idmap_help, stdout);
            return ERR_OK;
        }
        if (c != 'n')
            return cli_bad_option(err, "idmap", argc, argv, at, c);
        dry_run = true;
    }
    if (optind >= argc)
        return cli_usage_error(err, "idmap", "import needs a file (\"-\" for standard input)");
    if (optind + 1 < argc)
        return cli_usage_error(err, "idmap", "unexpected argument \"%s\"", argv[optind + 1]);
    rc = idmap_import(ctx->cfg, argv[optind], dry_run, &n, err);
    if (rc != ERR_OK)
        return rc;
    printf("%lld row%s: %lld added, %lld changed, %lld unchanged, %lld replaced", n.rows,
           n.rows == 1 ? "" : "s", n.added, n.changed, n.unchanged, n.replaced);
    if (n.repeated > 0)
        printf("; %lld repeated", n.repeated);
    puts(dry_run ? " (dry run: nothing written)" : "");
    return ERR_OK;
}

static ErrKind
idmap_export_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    static const struct option long_options[] = {
        {"kind", required_argument, NULL, 'k'},
        {"source", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *kinds[IDMAP_KINDS_MAX];
    int nkinds = 0;
    const char *source = NULL;
    long long rows;
    int c;
    int at;
    ErrKind rc;

    while ((c = cli_getopt(argc, argv, "+:h", long_options, &at)) != -1) {
        switch (c) {
        case 'h':
            fputs(idmap_help, stdout);
            return ERR_OK;
        case 'k':
            if (nkinds == IDMAP_KINDS_MAX)
                return cli_usage_error(err, "idmap", "too many --kind options");
            kinds[nkinds] = idmap_kind_parse(optarg);
            if (kinds[nkinds] == NULL) {
                cli_usage_error(err, "idmap", "unknown --kind \"%s\"", optarg);
                err_detail(err, "Accepted types: %s.", idmap_kinds_list());
                return ERR_USAGE;
            }
            nkinds++;
            break;
        case 's':
            if (strcasecmp(optarg, "event") != 0 && strcasecmp(optarg, "import") != 0) {
                cli_usage_error(err, "idmap", "unknown --source \"%s\"", optarg);
                err_detail(err, "Accepted sources: event (learned from imported events), "
                                "import (idmap import).");
                return ERR_USAGE;
            }
            source = strcasecmp(optarg, "event") == 0 ? "event" : "import";
            break;
        default:
            return cli_bad_option(err, "idmap", argc, argv, at, c);
        }
    }
    if (optind < argc)
        return cli_usage_error(err, "idmap", "unexpected argument \"%s\"", argv[optind]);
    rc = idmap_export(ctx->cfg, kinds, nkinds, source, stdout, &rows, err);
    if (rc == ERR_OK)
        log_detail("exported %lld mappings", rows);
    return rc;
}

static ErrKind
idmap_cmd_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    const char *sub;

    opterr = 0;
    if (argc < 2)
        return cli_usage_error(err, "idmap", "say import or export");
    sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        fputs(idmap_help, stdout);
        return ERR_OK;
    }
    optind = 0; /* a new parse, "+" or not (see cli_getopt in cli_int.h) */
    if (strcmp(sub, "import") == 0)
        return idmap_import_run(ctx, argc - 1, argv + 1, err);
    if (strcmp(sub, "export") == 0)
        return idmap_export_run(ctx, argc - 1, argv + 1, err);
    return cli_usage_error(err, "idmap", "unknown subcommand \"%s\": say import or export", sub);
}

const CliCommand cli_cmd_idmap = {
    "idmap",       "load Centra's ID conversion table (CSV) or write centra.id_map out",
    idmap_help,    NULL,
    idmap_cmd_run, false,
};
