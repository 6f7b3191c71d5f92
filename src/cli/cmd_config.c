/*
 * src/cli/cmd_config.c
 *     "centra-bridge config": show the effective configuration.
 */
#include <getopt.h>
#include <stdio.h>

#include "centra/config.h"
#include "cli_int.h"

static const char config_help_head[] =
    "Usage: centra-bridge [OPTION]... config\n"
    "\n"
    "Show every setting with the value in effect and where it comes from (the\n"
    "default, the --config file and line, an environment variable or an option).\n"
    "Secrets are shown as <redacted>.  Nothing is contacted.\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help and the list of settings, then exit\n"
    "\n"
    "Settings (environment variable; key in a --config file is the same name in\n"
    "lower case, e.g. CENTRA_URL is centra_url):\n";

static ErrKind
config_cmd_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    static const struct option long_options[] = {{NULL, 0, NULL, 0}};
    int c;
    int at;

    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+:", long_options, &at)) != -1)
        return cli_bad_option(err, "config", argc, argv, at, c);
    if (optind < argc)
        return cli_usage_error(err, "config", "unexpected argument \"%s\"", argv[optind]);
    config_dump(ctx->cfg, stdout);
    return ERR_OK;
}

const CliCommand cli_cmd_config = {
    "config",         "show the settings in effect and where each comes from",
    config_help_head, config_print_settings, /* generated from the settings table */
    config_cmd_run,   false,
};
