/*
 * src/cli/cmd_demo.c
 *     "centra-bridge demo": the product working end to end on a fresh
 *     machine.  A throwaway PostgreSQL cluster and centra-sim with generated
 *     orders; migrate, import and export as real child processes of this
 *     binary (so the user sees the commands they would type); outbox rows
 *     enqueued with SQL and exported; a summary and example queries; then
 *     everything stopped and removed, unless --keep.
 *
 * The parts live in demo_*.c (see demo_int.h).  Each step's output goes to a
 * log file in the demo directory; a failing step prints the log's tail and
 * the demo exits with the step's exit code.  SIGINT and SIGTERM stop the
 * running step, clean up, and exit 130 or 143.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/strutil.h"
#include "cli_int.h"
#include "demo_int.h"

/* The sync step (step 4): the scheduled ETL run, as a child command of this binary. */
static const char *const demo_sync[][3] = {{"sync", NULL, NULL}};

static const char demo_help[] =
    "Usage: centra-bridge demo [--keep] [--orders N] [--seed N] [--dir DIR]\n"
    "\n"
    "Show centra-bridge at work on this machine, with nothing to set up: create a\n"
    "throwaway PostgreSQL cluster (listening on 127.0.0.1 only) and start centra-sim,\n"
    "the Centra simulator, with generated orders; run \"centra-bridge migrate\" and\n"
    "\"centra-bridge sync\"; enqueue outbox rows with SQL (ship an order,\n"
    "set stock, confirm a wholesale order) and export them; print a summary and a\n"
    "few example queries with their results; then stop both and remove everything.\n"
    "\n"
    "The demo and its commands run with settings of their own: the caller's CENTRA_*,\n"
    "DATABASE_URL and PG* variables and --config are ignored, even invalid ones (the\n"
    "options -v, -q, --log-level and --log-format apply to the demo's own messages).\n"
    "Needs the PostgreSQL server (initdb, pg_ctl: on PATH or in\n"
    "/usr/lib/postgresql/VERSION/bin); as root, the cluster runs as the \"postgres\"\n"
    "user.\n"
    "\n"
    "Options:\n"
    "      --keep       leave the cluster and centra-sim running, and print how to\n"
    "                   connect to them and how to stop them\n"
    "      --orders N   orders centra-sim generates (default 50, at most 100000)\n"
    "      --seed N     seed of centra-sim's generator (default 1)\n"
    "      --dir DIR    put the cluster and the logs in DIR (created; must be empty),\n"
    "                   instead of a new directory under $TMPDIR or /tmp\n"
    "  -h, --help       show this help, then exit\n"
    "\n"
    "Exit status: 0 success; 64 usage; 69 the cluster could not be started; 78 no\n"
    "PostgreSQL server is installed; 130 or 143 interrupted (SIGINT, SIGTERM);\n"
    "otherwise the exit code of the step that failed.\n";

/* ---------------------------------------------------------------------------
 * Progress: "[3/7] running centra-bridge migrate ... done (0.4 s)"
 * ------------------------------------------------------------------------- */

static char demo_pending[512]; /* the line being shown, when stdout is not a terminal */

/* Start a progress line (step 0: a further command of the same step). */
static void progress_begin(const Demo *d, int step, const char *fmt, ...) CB_PRINTF(3, 4);

static void
progress_begin(const Demo *d, int step, const char *fmt, ...)
{
    char what[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (step > 0)
        snprintf(demo_pending, sizeof(demo_pending), "[%d/%d] %s ...", step, DEMO_STEPS, what);
    else
        snprintf(demo_pending, sizeof(demo_pending), "      %s ...", what);
    if (d->tty) {
        fputs(demo_pending, stdout);
        fflush(stdout);
    }
}

/* End the progress line: " done (0.4 s)" or " failed"; record the time under label. */
static void
progress_end(Demo *d, const char *label, double started, bool ok)
{
    double seconds = demo_now() - started;

    if (!d->tty)
        fputs(demo_pending, stdout);
    if (ok)
        printf(" done (%.1f s)\n", seconds);
    else
        printf(" %s\n", demo_signal != 0 ? "interrupted" : "failed");
    fflush(stdout);
    if (label != NULL && d->ntimings < DEMO_TIMINGS) {
        d->timings[d->ntimings].label = label;
        d->timings[d->ntimings++].seconds = seconds;
    }
}

/* ---------------------------------------------------------------------------
 * Commands of centra-bridge as steps
 * ------------------------------------------------------------------------- */

/* The error kind whose exit code is code (ERR_INTERNAL if none). */
static ErrKind
kind_of_exit(int code)
{
    for (int k = 1; k < ERR_KIND_COUNT_; k++)
        if (err_exit_code((ErrKind)k) == code)
            return (ErrKind)k;
    return ERR_INTERNAL;
}

/*
 * Run "centra-bridge ARGS" (args NULL-terminated) as step (0: more of the
 * current step), its output in the log file named log; its time is recorded
 * under label.
 */
static ErrKind
run_command(Demo *d, int step, const char *const *args, const char *label, const char *log,
            Error *err)
{
    const char *argv[8] = {d->self};
    char shown[256] = "centra-bridge";
    double started = demo_now();
    int code;
    int n = 1;

    for (; args[n - 1] != NULL && n < 7; n++) {
        argv[n] = args[n - 1];
        snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown), " %s", args[n - 1]);
    }
    argv[n] = NULL;
    progress_begin(d, step, "running %s", shown);
    code = demo_run_logged(d, argv, log, false, err);
    progress_end(d, label, started, code == 0);
    if (code == 0)
        return ERR_OK;
    if (code < 0)
        return err->kind; /* could not be started */
    if (demo_signal != 0)
        return ERR_INTERNAL; /* interrupted: the caller cleans up and exits */
    demo_log_tail(d, log, 12);
    err_set(err, kind_of_exit(code), "\"%s\" failed with exit code %d", shown, code);
    demo_err_log(d, err, log);
    return err->kind;
}

/* ---------------------------------------------------------------------------
 * The steps
 * ------------------------------------------------------------------------- */

static ErrKind
step_cluster(Demo *d, Error *err)
{
    double started = demo_now();
    ErrKind rc;
    char url[256];

    progress_begin(d, 1, "starting a PostgreSQL cluster");
    rc = demo_pg_start(d, err);
    progress_end(d, "cluster", started, rc == ERR_OK);
    if (rc != ERR_OK)
        return rc;
    snprintf(url, sizeof(url), "postgresql://postgres@127.0.0.1:%d/postgres", d->port);
    d->db_url = xstrdup(url);
    printf("      PostgreSQL %s, DATABASE_URL=%s\n", d->pgversion, d->db_url);
    return ERR_OK;
}

/* "NAME=value" in a new string the caller frees with xfree. */
static char *
env_entry(const char *name, const char *value)
{
    DynBuf b;

    dynbuf_init(&b, 8192);
    (void)dynbuf_addf(&b, "%s=%s", name, value);
    return dynbuf_take(&b);
}

/* The steps' environment, now that the database and centra-sim are known. */
static void
set_step_env(Demo *d)
{
    char *url = env_entry("CENTRA_URL", d->sim_url);
    char *db = env_entry("DATABASE_URL", d->db_url);
    const char *extra[] = {url,
                           "CENTRA_USERNAME=" DEMO_SIM_USER,
                           "CENTRA_PASSWORD=" DEMO_SIM_PASS,
                           "CENTRA_TIMEZONE=" DEMO_SIM_TZ,
                           db,
                           NULL};

    demo_env_free(d->env);
    d->env = demo_env_new(extra);
    xfree(db);
    xfree(url);
}

static ErrKind
step_sim(Demo *d, Error *err)
{
    double started = demo_now();
    ErrKind rc;

    progress_begin(d, 2, "starting centra-sim with %lld orders (seed %lld)", d->orders, d->seed);
    rc = demo_sim_start(d, err);
    progress_end(d, "centra-sim", started, rc == ERR_OK);
    if (rc != ERR_OK)
        return rc;
    printf("      CENTRA_URL=%s\n", d->sim_url);
    set_step_env(d);
    return ERR_OK;
}

static ErrKind
step_sync(Demo *d, Error *err)
{
    ErrKind rc = ERR_OK;

    for (size_t i = 0; rc == ERR_OK && i < CB_LENGTH(demo_sync); i++) {
        char log[64];

        snprintf(log, sizeof(log), "4-%s.log", demo_sync[i][0]);
        rc = run_command(d, i == 0 ? 4 : 0, demo_sync[i], demo_sync[i][0], log, err);
    }
    return rc;
}

static ErrKind
step_enqueue(Demo *d, DbConn **db, Error *err)
{
    DbOptions opts = {d->db_url, "the demo's cluster", 10000, 60000, 5, 200, 0, false};
    double started = demo_now();
    DynBuf report;
    ErrKind rc;

    dynbuf_init(&report, 64 * 1024);
    progress_begin(d, 5, "enqueueing outbox rows with SQL (centra_outbox.*)");
    rc = db_new(&opts, db, err);
    if (rc == ERR_OK)
        rc = demo_enqueue(*db, &report, err);
    progress_end(d, "outbox rows", started, rc == ERR_OK);
    fputs(dynbuf_str(&report), stdout);
    dynbuf_free(&report);
    return rc;
}

static ErrKind
step_export(Demo *d, Error *err)
{
    static const char *const export_args[] = {"export", "--once", NULL};
    static const char *const import_args[] = {"import", "--once", NULL};
    ErrKind rc = run_command(d, 6, export_args, "export of the rows", "6-export.log", err);
    long long orders;

    if (rc != ERR_OK)
        return rc;
    orders = demo_sim_requests(d, "orders_Update");
    if (orders >= 0)
        printf("      centra-sim received %lld orders_Update and %lld products_Update "
               "requests\n",
               orders, demo_sim_requests(d, "products_Update"));
    /* The order updates queued order events: fetch the new state back. */
    return run_command(d, 0, import_args, "import of their events", "6-import.log", err);
}

static ErrKind
step_report(Demo *d, DbConn *db, Error *err)
{
    ErrKind rc;

    printf("[7/%d] summary\n", DEMO_STEPS);
    rc = demo_summary(d, db, err);
    if (rc == ERR_OK)
        rc = demo_examples(db, err);
    return rc;
}

static ErrKind
run_steps(Demo *d, Error *err)
{
    static const char *const migrate_args[] = {"migrate", NULL};
    DbConn *db = NULL;
    ErrKind rc = step_cluster(d, err);

    if (rc == ERR_OK && demo_signal == 0)
        rc = step_sim(d, err);
    if (rc == ERR_OK && demo_signal == 0)
        rc = run_command(d, 3, migrate_args, "migrate", "3-migrate.log", err);
    if (rc == ERR_OK && demo_signal == 0)
        rc = step_sync(d, err);
    if (rc == ERR_OK && demo_signal == 0)
        rc = step_enqueue(d, &db, err);
    if (rc == ERR_OK && demo_signal == 0)
        rc = step_export(d, err);
    if (rc == ERR_OK && demo_signal == 0)
        rc = step_report(d, db, err);
    db_free(db);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Set-up and clean-up
 * ------------------------------------------------------------------------- */

/* This binary and centra-sim next to it. */
static ErrKind
find_binaries(Demo *d, Error *err)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    char *slash;

    if (n <= 0)
        return err_set(err, ERR_INTERNAL, "could not find this program's path in /proc/self/exe");
    path[n] = '\0';
    d->self = xstrdup(path);
    slash = strrchr(path, '/');
    *slash = '\0';
    d->sim_bin = demo_path(path, "centra-sim");
    if (access(d->sim_bin, X_OK) != 0) {
        err_set(err, ERR_CONFIG, "centra-sim not found next to centra-bridge");
        err_detail(err, "The demo runs \"%s\".", d->sim_bin);
        err_hint(err, "Build both with \"make\": centra-sim is built with centra-bridge.");
        return ERR_CONFIG;
    }
    return ERR_OK;
}

/* Whether the directory path has no entries. */
static bool
dir_is_empty(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *e;
    bool empty = true;

    if (dir == NULL)
        return false;
    while (empty && (e = readdir(dir)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(dir);
    return empty;
}

/* Create the demo directory: --dir (new or empty), else a fresh one under $TMPDIR. */
static ErrKind
make_dir(Demo *d, Error *err)
{
    const char *tmp = getenv("TMPDIR");
    char path[PATH_MAX];
    char buf[256];
    bool ok;

    if (d->dir_opt != NULL) {
        ok = mkdir(d->dir_opt, 0700) == 0 || (errno == EEXIST && dir_is_empty(d->dir_opt));
        if (!ok && errno == EEXIST)
            return cli_usage_error(err, "demo", "directory \"%s\" exists and is not empty",
                                   d->dir_opt);
        ok = ok && realpath(d->dir_opt, path) != NULL;
    } else {
        snprintf(path, sizeof(path), "%s/centra-demo.XXXXXX",
                 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
        ok = mkdtemp(path) != NULL;
    }
    if (!ok)
        return err_set(err, ERR_IO, "could not create the demo directory \"%s\": %s",
                       d->dir_opt != NULL ? d->dir_opt : path, str_errno(errno, buf, sizeof(buf)));
    d->dir = xstrdup(path);
    d->dir_made = true;
    /* As root the cluster's user must pass through it. */
    if (d->as_postgres && chmod(d->dir, 0711) != 0)
        return err_set(err, ERR_IO, "could not change the mode of \"%s\"", d->dir);
    return ERR_OK;
}

/* Stop what runs and remove the directory (the whole clean-up, unless --keep). */
static void
clean_up(Demo *d)
{
    demo_sim_stop(d);
    demo_pg_stop(d);
    if (d->dir_made) {
        demo_rmtree(d->dir);
        d->dir_made = false;
    }
}

static void
demo_free(Demo *d)
{
    demo_env_free(d->env);
    xfree(d->self);
    xfree(d->sim_bin);
    xfree(d->dir);
    xfree(d->pgbin);
    xfree(d->pgroot);
    xfree(d->pgdata);
    xfree(d->pgversion);
    xfree(d->sim_url);
    xfree(d->sim_base);
    xfree(d->db_url);
}

/* After SIGINT or SIGTERM: clean up (unless --keep) and exit 128 + the signal. */
static void
interrupted(Demo *d)
{
    int sig = demo_signal;

    demo_signal = 0; /* let the clean-up's own commands run */
    printf("\n");
    fprintf(stderr, "centra-bridge demo: interrupted by %s, %s\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM",
            d->keep ? "leaving everything running (--keep)" : "cleaning up");
    if (d->keep)
        demo_print_keep(d);
    else
        clean_up(d);
    demo_free(d);
    fflush(stdout);
    exit(128 + sig);
}

/* ---------------------------------------------------------------------------
 * The command
 * ------------------------------------------------------------------------- */

/* A number option from min to max. */
static ErrKind
parse_number(const char *opt, const char *value, long long min, long long max, long long *out,
             Error *err)
{
    if (!str_to_ll(value, out) || *out < min || *out > max)
        return cli_usage_error(err, "demo", "invalid %s \"%s\" (%lld to %lld)", opt, value, min,
                               max);
    return ERR_OK;
}

static ErrKind
parse_options(Demo *d, int argc, char **argv, Error *err)
{
    static const struct option long_options[] = {
        {"keep", no_argument, NULL, 'k'},
        {"orders", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},
        {"dir", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    ErrKind rc = ERR_OK;
    int c;
    int at;

    opterr = 0;
    while (rc == ERR_OK && (c = cli_getopt(argc, argv, "+:", long_options, &at)) != -1) {
        switch (c) {
        case 'k':
            d->keep = true;
            break;
        case 'o':
            rc = parse_number("--orders", optarg, 1, 100000, &d->orders, err);
            break;
        case 's':
            rc = parse_number("--seed", optarg, 0, LLONG_MAX, &d->seed, err);
            break;
        case 'd':
            if (optarg[0] == '\0')
                return cli_usage_error(err, "demo", "option \"--dir\" needs a directory");
            d->dir_opt = optarg;
            break;
        default:
            return cli_bad_option(err, "demo", argc, argv, at, c);
        }
    }
    if (rc == ERR_OK && optind < argc)
        return cli_usage_error(err, "demo", "unexpected argument \"%s\"", argv[optind]);
    return rc;
}

/* Everything before the first step: binaries, the server, the directory. */
static ErrKind
prepare(Demo *d, Error *err)
{
    ErrKind rc;

    demo_env_scrub(); /* the caller's settings are not the demo's (see own_config) */
    rc = find_binaries(d, err);
    if (rc == ERR_OK)
        rc = demo_pg_find(d, err);
    if (rc == ERR_OK)
        rc = make_dir(d, err);
    d->env = demo_env_new(NULL);
    d->tty = isatty(STDOUT_FILENO) == 1;
    return rc;
}

static ErrKind
demo_cmd_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    Demo d;
    ErrKind rc;

    (void)ctx;
    memset(&d, 0, sizeof(d));
    d.orders = 50;
    d.seed = 1;
    rc = parse_options(&d, argc, argv, err);
    if (rc == ERR_OK) {
        demo_signals_catch();
        rc = prepare(&d, err);
    }
    if (rc == ERR_OK) {
        printf("centra-bridge demo: PostgreSQL and centra-sim in %s (the logs too)\n", d.dir);
        rc = run_steps(&d, err);
    }
    if (demo_signal != 0)
        interrupted(&d);
    if (d.keep && d.dir != NULL)
        demo_print_keep(&d);
    else if (d.dir != NULL) {
        clean_up(&d);
        if (rc == ERR_OK)
            printf("\nCleaned up: cluster and centra-sim stopped, %s removed.  To explore the "
                   "data\nwith psql, run \"centra-bridge demo --keep\".\n",
                   d.dir);
    }
    demo_signals_restore();
    demo_free(&d);
    return rc;
}

const CliCommand cli_cmd_demo = {
    "demo",       "run the whole product against a throwaway cluster and centra-sim",
    demo_help,    NULL,
    demo_cmd_run, true,
};
