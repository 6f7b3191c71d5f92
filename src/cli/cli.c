/*
 * src/cli/cli.c
 *     Global options, configuration loading and command dispatch.
 *
 * Global options come before the command, as with git; each command parses
 * its own options.  "COMMAND --help" works without a valid configuration.
 * Usage errors are printed in PostgreSQL's frontend style ("centra-bridge:
 * error: ..."), or as JSON log lines when JSON logs are asked for;
 * everything else goes through the logger.  The run id is set first, so
 * every log line carries it, start-up errors included.  Every setting is
 * validated before the command runs (an invalid one is exit 78 whatever the
 * command), except centra_timezone, which only PostgreSQL can judge.  A
 * command marked own_config (demo) reads none of the caller's settings.
 */
#include "cli_int.h"

#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/db.h"
#include "centra/export.h"
#include "centra/import.h"
#include "centra/log.h"
#include "centra/options.h"
#include "centra/strutil.h"
#include "centra/version.h"

static const CliCommand cli_cmd_help;

static const CliCommand *const cli_commands[] = {
    &cli_cmd_migrate, &cli_cmd_import, &cli_cmd_load,  &cli_cmd_export, &cli_cmd_sync,
    &cli_cmd_run,     &cli_cmd_status, &cli_cmd_check, &cli_cmd_outbox, &cli_cmd_idmap,
    &cli_cmd_demo,    &cli_cmd_config, &cli_cmd_help,
};

static const char cli_usage_head[] =
    "centra-bridge connects an ERP's PostgreSQL database to Centra's SOAP API.\n"
    "\n"
    "Usage:\n"
    "  centra-bridge [OPTION]... COMMAND [ARG]...\n";

static const char cli_usage_options[] =
    "\n"
    "Options (before the command):\n"
    "  -c, --config=FILE        read settings from FILE (\"key = value\" lines)\n"
    "  -v, --verbose            log more; repeat for more (detail, debug, trace)\n"
    "  -q, --quiet              log less; repeat for errors only\n"
    "      --log-level=LEVEL    error, warn, info, detail, debug or trace\n"
    "      --log-format=FORMAT  text (the default) or json\n"
    "  -h, --help               show this help, then exit\n"
    "  -V, --version            show the version, then exit\n"
    "\n"
    "Settings are read from the built-in defaults, then the --config file, then\n"
    "environment variables (CENTRA_URL, CENTRA_USERNAME, CENTRA_PASSWORD,\n"
    "CENTRA_FLAVOR, DATABASE_URL, ...), then the options above; later sources win.\n"
    "\"centra-bridge config --help\" lists every setting; \"centra-bridge config\"\n"
    "shows the values in effect.  When DATABASE_URL is unset, libpq's PG*\n"
    "variables and ~/.pgpass apply.  Passwords are never taken on the command line.\n"
    "\n"
    "Exit status:\n"
    "  0   success\n"
    "  1   finished, but something was quarantined or failed for good\n"
    "  64  usage error (a command-line option or argument)\n"
    "  65  a file given to load or idmap import is not what it should be\n"
    "  66  such a file is missing or unreadable\n"
    "  69  Centra or the database unreachable\n"
    "  70  internal error (a bug, or an SQL statement of ours failed)\n"
    "  74  file input/output error (a directory given to load, idmap export\n"
    "      unable to write)\n"
    "  75  temporary failure: retry later (lock busy, timeout, conflict)\n"
    "  76  Centra answered with a SOAP fault or something not understood\n"
    "      (check CENTRA_URL and CENTRA_FLAVOR)\n"
    "  77  Centra rejected the credentials\n"
    "  78  configuration error (settings, database access, schema missing or\n"
    "      not matching this version)\n"
    "\n"
    "Run \"centra-bridge COMMAND --help\" for a command's options.\n"
    "Documentation: README.md and docs/ in the centra-bridge sources.\n";

static void
print_program_help(FILE *out)
{
    fputs(cli_usage_head, out);
    fputs("\nCommands:\n", out);
    for (size_t i = 0; i < CB_LENGTH(cli_commands); i++)
        fprintf(out, "  %-12s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
    fputs(cli_usage_options, out);
}

static const CliCommand *
find_command(const char *name)
{
    for (size_t i = 0; i < CB_LENGTH(cli_commands); i++)
        if (strcmp(cli_commands[i]->name, name) == 0)
            return cli_commands[i];
    return NULL;
}

/* ---------------------------------------------------------------------------
 * Usage errors
 * ------------------------------------------------------------------------- */

ErrKind
cli_usage_error(Error *err, const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    err_setv(err, ERR_USAGE, fmt, ap);
    va_end(ap);
    if (cmd != NULL)
        err_hint(err, "Try \"%s %s --help\" for more information.", CLI_PROGNAME, cmd);
    else
        err_hint(err, "Try \"%s --help\" for more information.", CLI_PROGNAME);
    return ERR_USAGE;
}

ErrKind
cli_usage_from(Error *err, const char *cmd)
{
    char msg[ERR_MESSAGE_MAX];
    char detail[ERR_DETAIL_MAX];
    char hint[ERR_HINT_MAX];

    snprintf(msg, sizeof(msg), "%s", err->message);
    snprintf(detail, sizeof(detail), "%s", err->detail);
    snprintf(hint, sizeof(hint), "%s", err->hint);
    (void)cli_usage_error(err, cmd, "%s", msg);
    if (detail[0] != '\0')
        err_detail(err, "%s", detail);
    if (hint[0] != '\0')
        err_hint(err, "%s", hint); /* replaces "Try --help": it says what to do */
    return ERR_USAGE;
}

/* A list setting that import_check_* refused: a configuration error naming it. */
static ErrKind
list_setting_error(Error *err, const Config *cfg, ConfigKey key)
{
    char msg[ERR_MESSAGE_MAX];
    char detail[ERR_DETAIL_MAX];

    snprintf(msg, sizeof(msg), "%s", err->message);
    snprintf(detail, sizeof(detail), "%s", err->detail);
    err_set(err, ERR_CONFIG, "invalid value for setting \"%s\": %s", config_def(key)->key, msg);
    err_detail(err, "%s%sThe value comes from %s.", detail, detail[0] != '\0' ? " " : "",
               config_get_origin(cfg, key));
    if (key == CONFIG_MARKETS)
        err_hint(err, "To import every market, leave %s unset.", config_def(key)->key);
    return ERR_CONFIG;
}

ErrKind
cli_check_import_lists(const Config *cfg, const char *cmd, const char *types_cli,
                       const char *markets_cli, Error *err)
{
    if (import_check_types(types_cli != NULL ? types_cli : config_get_str(cfg, CONFIG_EVENT_TYPES),
                           err) != ERR_OK)
        return types_cli != NULL ? cli_usage_from(err, cmd)
                                 : list_setting_error(err, cfg, CONFIG_EVENT_TYPES);
    if (import_check_markets(
            markets_cli != NULL ? markets_cli : config_get_str(cfg, CONFIG_MARKETS), err) != ERR_OK)
        return markets_cli != NULL ? cli_usage_from(err, cmd)
                                   : list_setting_error(err, cfg, CONFIG_MARKETS);
    return ERR_OK;
}

ErrKind
cli_once_or_follow(Error *err, const char *cmd, bool once, bool follow)
{
    if (once != follow)
        return ERR_OK;
    return cli_usage_error(
        err, cmd, once ? "--once and --follow exclude each other" : "say --once or --follow");
}

ErrKind
cli_jobs_arg(Error *err, const char *cmd, const char *option, const char *arg, int *jobs)
{
    long long n;

    if (!str_to_ll(arg, &n) || n < 1 || n > EXPORT_JOBS_MAX)
        return cli_usage_error(err, cmd, "invalid %s \"%s\" (1 to %d)", option, arg,
                               EXPORT_JOBS_MAX);
    *jobs = (int)n;
    return ERR_OK;
}

/* A global option, as written before the command. */
typedef struct GlobalOption {
    const char *name;  /* "-c", "--config", ... */
    const char *value; /* what its value stands for in a hint; NULL: takes none */
} GlobalOption;

/* The global option named name (e.g. "--config" or "-v"), or NULL. */
static const GlobalOption *
global_option(const char *name)
{
    static const GlobalOption globals[] = {
        {"-c", "FILE"},
        {"--config", "FILE"},
        {"-v", NULL},
        {"--verbose", NULL},
        {"-q", NULL},
        {"--quiet", NULL},
        {"--log-level", "VALUE"},
        {"--log-format", "VALUE"},
        {"-V", NULL},
        {"--version", NULL},
    };

    for (size_t i = 0; i < CB_LENGTH(globals); i++)
        if (strcmp(name, globals[i].name) == 0)
            return &globals[i];
    return NULL;
}

/*
 * The global option whose value is the next argument when arg is written
 * before the command: "--config" and "-c", also at the end of a cluster
 * ("-vc"); NULL if arg carries its value or takes none.
 */
static const GlobalOption *
value_taker(const char *arg)
{
    const GlobalOption *g;

    if (arg[0] != '-' || arg[1] == '\0')
        return NULL;
    if (arg[1] == '-') {
        g = global_option(arg);
        return g != NULL && g->value != NULL ? g : NULL;
    }
    for (const char *c = arg + 1; *c != '\0'; c++) {
        char one[3] = {'-', *c, '\0'};

        g = global_option(one);
        if (g != NULL && g->value != NULL)
            return c[1] == '\0' ? g : NULL; /* the rest of the cluster is its value */
    }
    return NULL;
}

int
cli_getopt(int argc, char **argv, const char *optstring, const struct option *longopts, int *at)
{
    /*
     * The argument getopt_long reads next: the first when a parse starts
     * (optind 0); without "+", past the operands it permutes over ("idmap
     * import FILE --bogus").  In the middle of a cluster ("-vx") optind
     * still names the cluster, which begins with '-'.
     */
    int i = optind > 0 ? optind : 1;

    while (optstring[0] != '+' && i < argc && (argv[i][0] != '-' || argv[i][1] == '\0'))
        i++;
    *at = i;
    return getopt_long(argc, argv, optstring, longopts, NULL);
}

ErrKind
cli_bad_option(Error *err, const char *cmd, int argc, char **argv, int at, int getopt_rc)
{
    char name[128];
    char msg[256];
    const GlobalOption *global;

    option_name(argc, argv, at, name, sizeof(name));
    global = cmd != NULL ? global_option(name) : NULL;
    if (global != NULL) {
        /* The option as written, with its value: "--config FILE", "--config=FILE", "-cFILE". */
        const GlobalOption *last = value_taker(argv[at]);
        bool apart = last != NULL;
        const char *value = "";

        if (apart)
            value = at + 1 < argc ? argv[at + 1] : last->value;
        cli_usage_error(err, cmd, "option \"%s\" must come before the command", name);
        err_hint(err, "Write \"%s %s%s%s %s ...\".", CLI_PROGNAME, argv[at], apart ? " " : "",
                 value, cmd);
        return ERR_USAGE;
    }
    return cli_usage_error(err, cmd, "%s",
                           option_error(argc, argv, at, getopt_rc, msg, sizeof(msg)));
}

/* ---------------------------------------------------------------------------
 * Global options and configuration
 * ------------------------------------------------------------------------- */

typedef struct GlobalOptions {
    const char *config_file; /* --config */
    const char *log_level;   /* --log-level */
    const char *log_format;  /* --log-format */
    int verbose;             /* number of -v */
    int quiet;               /* number of -q */
    bool help;               /* --help */
    bool version;            /* --version */
} GlobalOptions;

enum { OPT_LOG_LEVEL = 1000, OPT_LOG_FORMAT };

static ErrKind
parse_global(int argc, char **argv, GlobalOptions *g, Error *err)
{
    static const struct option long_options[] = {
        {"config", required_argument, NULL, 'c'},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    int at;

    memset(g, 0, sizeof(*g));
    opterr = 0;
    optind = 0; /* a new parse (see cli_getopt in cli_int.h) */
    while ((c = cli_getopt(argc, argv, "+:c:vqhV", long_options, &at)) != -1) {
        switch (c) {
        case 'c':
            /* One file: a second one would silently replace the first. */
            if (g->config_file != NULL)
                return cli_usage_error(err, NULL,
                                       "option \"--config\" given twice (\"%s\", \"%s\")",
                                       g->config_file, optarg);
            if (optarg[0] == '\0')
                return cli_usage_error(err, NULL, "option \"--config\" needs a file name");
            g->config_file = optarg;
            break;
        case 'v':
            g->verbose++;
            break;
        case 'q':
            g->quiet++;
            break;
        case OPT_LOG_LEVEL:
            g->log_level = optarg;
            break;
        case OPT_LOG_FORMAT:
            g->log_format = optarg;
            break;
        case 'h':
            g->help = true;
            break;
        case 'V':
            g->version = true;
            break;
        default:
            return cli_bad_option(err, NULL, argc, argv, at, c);
        }
    }
    if (g->verbose > 0 && g->quiet > 0)
        return cli_usage_error(err, NULL, "options \"-v\" and \"-q\" cannot be used together");
    return ERR_OK;
}

/*
 * The values of --log-level and --log-format, checked before anything is
 * loaded: a bad option value is a usage error (64), like every other bad
 * option, while the same value from the environment or the config file is a
 * configuration error (78).
 */
static ErrKind
check_global_values(const GlobalOptions *g, Error *err)
{
    static const struct {
        ConfigKey key;
        const char *option;
    } opts[] = {{CONFIG_LOG_LEVEL, "--log-level"}, {CONFIG_LOG_FORMAT, "--log-format"}};
    const char *values[] = {g->log_level, g->log_format};
    Config *scratch = config_new();
    ErrKind rc = ERR_OK;

    for (size_t i = 0; rc == ERR_OK && i < CB_LENGTH(opts); i++) {
        char allowed[ERR_DETAIL_MAX];

        if (values[i] == NULL ||
            config_set(scratch, opts[i].key, values[i], CONFIG_SOURCE_CLI, "", err) == ERR_OK)
            continue;
        /* The detail reads "Valid values are ... The value comes from ."; keep the first part. */
        snprintf(allowed, sizeof(allowed), "%s", err->detail);
        allowed[strcspn(allowed, ".") + (strchr(allowed, '.') != NULL)] = '\0';
        rc = cli_usage_error(err, NULL, "invalid value for option \"%s\": \"%s\"", opts[i].option,
                             values[i]);
        err_detail(err, "%s", allowed);
    }
    config_free(scratch);
    return rc;
}

/*
 * -v and -q move centra_log_level up or down from whatever set it; the level
 * in effect is recorded as coming from the option, so "config" shows it.
 */
static ErrKind
apply_verbosity(const GlobalOptions *g, Config *cfg, Error *err)
{
    long long base = config_get_int(cfg, CONFIG_LOG_LEVEL);
    long long level = base + g->verbose - g->quiet;
    int n = g->verbose > 0 ? g->verbose : g->quiet;
    char flags[16];
    char origin[512];

    if (n == 0)
        return ERR_OK;
    if (level < LOG_LEVEL_ERROR)
        level = LOG_LEVEL_ERROR;
    if (level > LOG_LEVEL_TRACE)
        level = LOG_LEVEL_TRACE;
    if (n > (int)sizeof(flags) - 2)
        n = (int)sizeof(flags) - 2;
    flags[0] = '-';
    memset(flags + 1, g->verbose > 0 ? 'v' : 'q', (size_t)n);
    flags[n + 1] = '\0';
    snprintf(origin, sizeof(origin), "option %s (%s from %s, %d level%s %s)", flags,
             log_level_name((LogLevel)base), config_get_origin(cfg, CONFIG_LOG_LEVEL), n,
             n == 1 ? "" : "s", g->verbose > 0 ? "up" : "down");
    return config_set(cfg, CONFIG_LOG_LEVEL, log_level_name((LogLevel)level), CONFIG_SOURCE_CLI,
                      origin, err);
}

/*
 * The settings in effect: defaults, --config, environment, options.  A
 * command with its own configuration (demo) gets the defaults and the
 * options only.
 */
static ErrKind
load_config(const GlobalOptions *g, const CliCommand *cmd, Config *cfg, Error *err)
{
    ErrKind rc = ERR_OK;

    if (g->config_file != NULL && !cmd->own_config)
        rc = config_load_file(cfg, g->config_file, err);
    if (rc == ERR_OK && !cmd->own_config)
        rc = config_load_env(cfg, err);
    if (rc == ERR_OK && g->log_level != NULL)
        rc = config_set(cfg, CONFIG_LOG_LEVEL, g->log_level, CONFIG_SOURCE_CLI,
                        "option --log-level", err);
    if (rc == ERR_OK && g->log_format != NULL)
        rc = config_set(cfg, CONFIG_LOG_FORMAT, g->log_format, CONFIG_SOURCE_CLI,
                        "option --log-format", err);
    if (rc == ERR_OK)
        rc = apply_verbosity(g, cfg, err);
    /*
     * Settings checked when they are read, as every other one: the event
     * types and markets import would refuse stop every command (78), "check"
     * and "config" too.  (centra_timezone only PostgreSQL can judge: "check"
     * and the import do.)
     */
    if (rc == ERR_OK)
        rc = cli_check_import_lists(cfg, NULL, NULL, NULL, err);
    /* DATABASE_URL as libpq parses it: a command that never connects (config) says so too. */
    if (rc == ERR_OK && !cmd->own_config) {
        DbOptions dbo;

        db_options_from_config(&dbo, cfg);
        rc = db_check_conninfo(&dbo, err);
    }
    return rc;
}

static ErrKind
apply_logging(const Config *cfg, Error *err)
{
    const char *file = config_get_str(cfg, CONFIG_LOG_FILE);

    log_set_level((LogLevel)config_get_int(cfg, CONFIG_LOG_LEVEL));
    log_set_format(config_get_int(cfg, CONFIG_LOG_FORMAT) == 1 ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT);
    return file != NULL && file[0] != '\0' ? log_open_file(file, err) : ERR_OK;
}

/*
 * Errors while loading the configuration are logged before it is applied:
 * use the log format asked for on the command line or (read_env) in the
 * environment.
 */
static void
early_log_format(const GlobalOptions *g, bool read_env)
{
    const char *f = g->log_format;
    LogFormat format = LOG_FORMAT_TEXT;

    if (f == NULL && read_env)
        f = getenv("CENTRA_LOG_FORMAT");
    if (f == NULL || !log_format_parse(f, &format))
        format = LOG_FORMAT_TEXT;
    log_set_format(format);
}

/* Whether the command's arguments ask for help (before any "--"). */
static bool
wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}

static ErrKind
unknown_command(const char *name, Error *err)
{
    const char *names[CB_LENGTH(cli_commands)];
    const char *close;

    for (size_t i = 0; i < CB_LENGTH(cli_commands); i++)
        names[i] = cli_commands[i]->name;
    close = str_closest(name, names, CB_LENGTH(cli_commands));
    cli_usage_error(err, NULL, "unknown command \"%s\"", name);
    if (close != NULL)
        err_hint(err, "Did you mean \"%s\"?  Try \"%s --help\" for the list of commands.", close,
                 CLI_PROGNAME);
    else
        err_hint(err, "Try \"%s --help\" for the list of commands.", CLI_PROGNAME);
    return ERR_USAGE;
}

/* ---------------------------------------------------------------------------
 * The help command
 * ------------------------------------------------------------------------- */

static ErrKind
cmd_help_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    const CliCommand *cmd;

    (void)ctx;
    if (argc < 2) {
        print_program_help(stdout);
        return ERR_OK;
    }
    if (argc > 2)
        return cli_usage_error(err, "help", "too many arguments");
    cmd = find_command(argv[1]);
    if (cmd == NULL)
        return unknown_command(argv[1], err);
    cli_print_command_help(cmd, stdout);
    return ERR_OK;
}

static const CliCommand cli_cmd_help = {
    "help",
    "show help for the program or a command",
    "Usage: centra-bridge help [COMMAND]\n"
    "\n"
    "Show the program's help, or the help of COMMAND.\n",
    NULL,
    cmd_help_run,
    true, /* help needs no settings: a broken one must not hide it (as with COMMAND --help) */
};

void
cli_print_command_help(const CliCommand *cmd, FILE *out)
{
    fputs(cmd->help, out);
    if (cmd->help_extra != NULL)
        cmd->help_extra(out);
}

/* ---------------------------------------------------------------------------
 * Entry point
 * ------------------------------------------------------------------------- */

void
cli_new_run_id(void)
{
    uint64_t seed = backoff_seed();
    char id[17];

    snprintf(id, sizeof(id), "%08llx", (unsigned long long)(seed & 0xffffffffULL));
    log_context_set(LOG_CTX_RUN, id);
}

/*
 * Print a usage error and return its exit code: in PostgreSQL's frontend
 * style ("centra-bridge: error: ..."), or as a JSON log line when JSON logs
 * are asked for (by --log-format json before the error on the command line,
 * by CENTRA_LOG_FORMAT=json, and once the configuration is read by
 * centra_log_format from any source).
 */
static int
usage_exit(const Error *err)
{
    if (log_get_format() == LOG_FORMAT_JSON)
        log_report(LOG_LEVEL_ERROR, err);
    else
        usage_error_print(CLI_PROGNAME, err);
    return err_exit_code(ERR_USAGE);
}

/*
 * The process is about to hold both passwords: no core file may carry them.
 * The soft core-file limit goes to 0 (the hard one stays), and the process
 * is not dumpable, which also keeps other processes of its user from
 * ptrace and from its /proc/PID/environ and mem.  execve resets dumpable;
 * a worker of run comes through here again.
 */
static void
no_core_dumps(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_CORE, &rl) == 0) {
        rl.rlim_cur = 0;
        (void)setrlimit(RLIMIT_CORE, &rl);
    }
    (void)prctl(PR_SET_DUMPABLE, 0);
}

int
cli_main(int argc, char **argv)
{
    GlobalOptions g;
    CliContext ctx = {NULL, 0, NULL};
    const CliCommand *cmd;
    Error err;
    ErrKind rc;
    int cmd_argc;
    char **cmd_argv;

    /* The run id first: every log line of this process carries it, start-up errors too. */
    cli_new_run_id();
    /*
     * An "ignore" inherited for SIGCHLD (exec keeps it) has the kernel reap
     * our children: run would never see a worker exit, and demo's initdb,
     * which inherits it, could not wait for its own (found in a CLI audit).
     */
    (void)signal(SIGCHLD, SIG_DFL);
    err_reset(&err);
    rc = parse_global(argc, argv, &g, &err);
    early_log_format(&g, true);
    if (rc != ERR_OK)
        return usage_exit(&err);
    if (g.version) {
        printf("%s %s\n", CLI_PROGNAME, CENTRA_BRIDGE_VERSION);
        return 0;
    }
    if (g.help) {
        print_program_help(stdout);
        return 0;
    }
    if (optind >= argc) {
        cli_usage_error(&err, NULL, "no command given");
        return usage_exit(&err);
    }
    cmd = find_command(argv[optind]);
    if (cmd == NULL) {
        unknown_command(argv[optind], &err);
        return usage_exit(&err);
    }
    if (cmd->own_config)
        early_log_format(&g, false); /* CENTRA_LOG_FORMAT is not its setting */
    cmd_argc = argc - optind;
    cmd_argv = argv + optind;
    ctx.global_argc = optind;
    ctx.global_argv = argv;
    if (wants_help(cmd_argc, cmd_argv)) {
        cli_print_command_help(cmd, stdout);
        return 0;
    }
    if (check_global_values(&g, &err) != ERR_OK)
        return usage_exit(&err);

    no_core_dumps();
    /* A file size limit (ulimit -f) makes a write fail with EFBIG, reported, not kill us. */
    (void)signal(SIGXFSZ, SIG_IGN);
    ctx.cfg = config_new();
    rc = load_config(&g, cmd, ctx.cfg, &err);
    if (rc == ERR_OK) {
        /* Before anything could print DATABASE_URL, know its password. */
        db_register_secrets(config_get_str(ctx.cfg, CONFIG_DATABASE_URL));
        rc = apply_logging(ctx.cfg, &err);
    }
    if (rc == ERR_OK) {
        if (!cmd->own_config)
            config_warn_unknown_env();
        cli_run_attach_worker();
        optind = 0; /* the command parses anew (see cli_getopt in cli_int.h) */
        rc = cmd->run(&ctx, cmd_argc, cmd_argv, &err);
    }
    /* No message: it was said already (a worker of run said why it stopped). */
    if (rc == ERR_USAGE && err.message[0] != '\0')
        (void)usage_exit(&err);
    else if (rc != ERR_OK && err.message[0] != '\0')
        log_report(LOG_LEVEL_ERROR, &err);
    config_free(ctx.cfg);
    log_close_file();
    log_clear_secrets();
    return err_exit_code(rc);
}
