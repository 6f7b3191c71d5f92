/*
 * src/cli/cmd_run.c
 *     "centra-bridge run": the daemon.
 *
 * A supervisor process starts two workers, each the program itself run
 * again: "import --follow" and "export --follow" (--export-jobs N of the
 * latter, each a worker of its own, not "export --jobs": the supervisor
 * restarts one that ends and leaves the others running).  Each worker survives
 * outages of Centra and the database on its own (waiting with backoff); the
 * supervisor restarts one that exits anyway (a crash, an internal error),
 * with backoff, and stops everything when one exits on bad credentials or
 * configuration, which restarting cannot cure.  SIGTERM and SIGINT are passed
 * on: the workers finish their batch or request and exit, then the
 * supervisor exits 0.  SIGHUP reopens the log file in every process.
 *
 * Separate processes rather than threads: a worker is exactly the command
 * an operator can run by hand, a crash of one cannot take the other down,
 * and "ps" shows which is which.  Each worker mirrors its counts and health
 * (RunLive) into a shared memory page that the supervisor reads for the
 * metrics endpoint (run_metrics.c).
 */
#define _GNU_SOURCE /* memfd_create: the shared page must survive exec */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/archive.h"
#include "centra/backoff.h"
#include "centra/export.h"
#include "centra/import.h"
#include "centra/log.h"
#include "centra/netaddr.h"
#include "centra/signals.h"
#include "centra/soap.h"
#include "centra/strutil.h"
#include "cli_int.h"
#include "run_int.h"

#define STATUS_FD_ENV   "CB_WORKER_STATUS_FD" /* set for a worker: its shared RunLive */
#define TICK_MS         200                   /* supervisor loop period */
#define RESTART_BASE_MS 1000                  /* first restart delay; doubles */
#define RESTART_MAX_MS  (60 * 1000)           /* longest restart delay */
#define STABLE_MS       (60 * 1000)           /* a worker up this long starts over at 1 s */

extern char **environ;

static const char run_help[] =
    "Usage: centra-bridge [OPTION]... run [--types LIST] [--markets LIST]\n"
    "                              [--metrics-listen ADDRESS:PORT] [--export-jobs N]\n"
    "                              [--no-import|--no-export]\n"
    "\n"
    "The daemon.  Starts two worker processes and keeps them running:\n"
    "  import   \"import --follow\": fetches, stores and acknowledges events, polling\n"
    "           every centra_poll_interval when the queue is empty; when another\n"
    "           importer holds the queue it stands by\n"
    "  export   \"export --follow\": sends outbox messages, woken at once by every\n"
    "           outbox insert (NOTIFY centra_outbox); with --export-jobs N, N of\n"
    "           them (export-1 ... export-N), each watched and restarted alone\n"
    "Workers wait out outages of Centra and PostgreSQL with backoff and go on.  A\n"
    "worker that exits anyway is started again after 1 s, doubling up to 60 s.  A\n"
    "worker that exits on a usage error (64), bad credentials (77) or\n"
    "configuration (78) stops the daemon with that code: restarting cannot cure\n"
    "those.\n"
    "\n"
    "Signals: SIGTERM or SIGINT: the workers finish the current batch (committed\n"
    "and acknowledged) or request (recorded), then the daemon exits 0.  SIGHUP:\n"
    "every process reopens centra_log_file (after logrotate).\n"
    "\n"
    "Options:\n"
    "      --types LIST     event types to import (default centra_event_types)\n"
    "      --markets LIST   only these market ids (default centra_markets)\n"
    "      --metrics-listen ADDRESS:PORT\n"
    "                       serve Prometheus metrics on http://ADDRESS:PORT/metrics\n"
    "                       and a health check on /healthz (200 ok, 503 with the\n"
    "                       reason); ADDRESS is an IPv4 address, PORT 0 picks a free\n"
    "                       one (logged); default centra_metrics_listen: none\n"
    "      --export-jobs N  run N exporters side by side (1 to 16, default 1), as\n"
    "                       \"export --jobs N\" does; order per entity_key is kept\n"
    "      --no-import      run the exporter only\n"
    "      --no-export      run the importer only\n"
    "  -h, --help           show this help, then exit\n"
    "\n"
    "Exit status: 0 stopped by a signal; 64 usage; 70 or 74 the daemon could not\n"
    "set itself up; 77 Centra refused the login; 78 configuration (also: the\n"
    "metrics address cannot be used).  A worker's 64, 77 or 78 is the daemon's.\n";

/* ---------------------------------------------------------------------------
 * The worker side: attach to the supervisor's shared page
 * ------------------------------------------------------------------------- */

void
cli_run_attach_worker(void)
{
    const char *s = getenv(STATUS_FD_ENV);
    long long fd;
    void *p;

    if (s == NULL || !str_to_ll(s, &fd) || fd < 0 || fd > INT_MAX)
        return;
    /*
     * Started as /proc/self/exe, which the kernel names "exe": named as the
     * supervisor, so that ps -C and pgrep -x find the workers too (found in
     * review).
     */
    (void)prctl(PR_SET_NAME, CLI_PROGNAME);
    p = mmap(NULL, sizeof(RunLive), PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
    close((int)fd);
    (void)unsetenv(STATUS_FD_ENV);
    if (p == MAP_FAILED)
        return;
    runs_set_live(p);
}

/* ---------------------------------------------------------------------------
 * Workers
 * ------------------------------------------------------------------------- */

/* The shared page of a worker: a memfd mapped here, inherited by the worker. */
static ErrKind
worker_page(Worker *w, Error *err)
{
    char ebuf[128];

    w->fd = memfd_create(w->name, MFD_CLOEXEC);
    if (w->fd < 0 || ftruncate(w->fd, (off_t)sizeof(RunLive)) != 0) {
        err_set(err, ERR_IO, "could not create the shared status page of the %s worker: %s",
                w->name, str_errno(errno, ebuf, sizeof(ebuf)));
        return ERR_IO;
    }
    w->live = mmap(NULL, sizeof(RunLive), PROT_READ | PROT_WRITE, MAP_SHARED, w->fd, 0);
    if (w->live == MAP_FAILED) {
        w->live = NULL;
        err_set(err, ERR_IO, "could not map the shared status page of the %s worker: %s", w->name,
                str_errno(errno, ebuf, sizeof(ebuf)));
        return ERR_IO;
    }
    memset(w->live, 0, sizeof(RunLive));
    return ERR_OK;
}

/*
 * The environment of a worker: ours plus STATUS_FD_ENV and
 * SOAP_RATE_SHARE_ENV (the workers share CENTRA_RATE_LIMIT), built before
 * fork in vars.
 */
static char **
worker_env(const Supervisor *sv, const Worker *w, char (*vars)[64])
{
    size_t n = 0;
    char **env;

    while (environ[n] != NULL)
        n++;
    env = xcalloc(n + 3, sizeof(char *));
    n = 0;
    for (char **e = environ; *e != NULL; e++)
        if (!str_starts_with(*e, STATUS_FD_ENV "=") &&
            !str_starts_with(*e, SOAP_RATE_SHARE_ENV "="))
            env[n++] = *e;
    snprintf(vars[0], sizeof(vars[0]), "%s=%d", STATUS_FD_ENV, w->fd);
    env[n++] = vars[0];
    snprintf(vars[1], sizeof(vars[1]), "%s=%d", SOAP_RATE_SHARE_ENV, sv->nworkers);
    env[n] = vars[1];
    return env;
}

static void
worker_start(Supervisor *sv, Worker *w)
{
    char vars[2][64];
    char **env = worker_env(sv, w, vars);
    pid_t parent = getpid();
    pid_t pid;

    memset(w->live, 0, sizeof(RunLive));
    pid = fork();
    if (pid == 0) {
        /* Only async-signal-safe calls from here to exec. */
        (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(70);
        (void)fcntl(w->fd, F_SETFD, 0);
        /*
         * The supervisor's own program, even if its file was replaced since
         * (an upgrade takes effect when the daemon restarts, never half-way).
         */
        execve("/proc/self/exe", w->argv, env);
        execve(sv->self, w->argv, env);
        _exit(70);
    }
    xfree(env);
    if (pid < 0) {
        char ebuf[128];

        log_error("could not start the %s worker: %s", w->name,
                  str_errno(errno, ebuf, sizeof(ebuf)));
        w->restart_at_ms = backoff_now_ms() + RESTART_MAX_MS;
        return;
    }
    run_lock(sv);
    w->pid = pid;
    w->started_ms = backoff_now_ms();
    run_unlock(sv);
    log_info("%s worker started (pid %ld)", w->name, (long)pid);
}

/* What a worker's exit means; sets *fatal for the codes restarting cannot cure. */
static void
worker_exited(Supervisor *sv, Worker *w, int status)
{
    long long ran = backoff_now_ms() - w->started_ms;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    long long delay;

    run_lock(sv);
    w->pid = 0;
    w->last_exit = code;
    runs_add_counts(&w->base, &w->live->counts);
    w->base_errors += w->live->errors;
    if (w->live->last_ok_at > w->base_ok_at)
        w->base_ok_at = w->live->last_ok_at;
    memset(&w->live->counts, 0, sizeof(w->live->counts));
    w->live->errors = 0;
    run_unlock(sv);
    if (sv->stopping)
        return;
    if (code == 77 || code == 78 || code == 64) {
        log_error("the %s worker exited with %d; stopping: restarting cannot cure that", w->name,
                  code);
        sv->fatal = code;
        return;
    }
    w->failures = ran >= STABLE_MS ? 1 : w->failures + 1;
    delay = RESTART_BASE_MS << (w->failures - 1 < 6 ? w->failures - 1 : 6);
    if (delay > RESTART_MAX_MS)
        delay = RESTART_MAX_MS;
    run_lock(sv);
    w->restarts++;
    w->restart_at_ms = backoff_now_ms() + delay;
    run_unlock(sv);
    if (WIFEXITED(status))
        log_warn("the %s worker exited with %d after %lld s; starting it again in %lld s", w->name,
                 code, ran / 1000, delay / 1000);
    else
        log_warn("the %s worker was killed by signal %d after %lld s; starting it again in %lld s",
                 w->name, WTERMSIG(status), ran / 1000, delay / 1000);
}

static void
reap(Supervisor *sv)
{
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (int i = 0; i < sv->nworkers; i++)
            if (sv->workers[i].pid == pid)
                worker_exited(sv, &sv->workers[i], status);
}

static int
running(const Supervisor *sv)
{
    int n = 0;

    for (int i = 0; i < sv->nworkers; i++)
        n += sv->workers[i].pid > 0;
    return n;
}

static void
signal_workers(const Supervisor *sv, int sig)
{
    for (int i = 0; i < sv->nworkers; i++)
        if (sv->workers[i].pid > 0)
            (void)kill(sv->workers[i].pid, sig);
}

/* The loop: start, reap, restart, pass signals on; until stopped and every worker is gone. */
static void
supervise(Supervisor *sv)
{
    for (;;) {
        reap(sv);
        if (!sv->stopping && (sig_stop_requested() || sv->fatal != 0)) {
            sv->stopping = true;
            if (sig_stop_requested())
                log_info("stopping on signal %d: the workers finish their work first",
                         sig_stop_signal());
            signal_workers(sv, SIGTERM);
        }
        if (sv->stopping && running(sv) == 0)
            return;
        if (sig_take_hup()) {
            log_reopen();
            signal_workers(sv, SIGHUP);
        }
        for (int i = 0; i < sv->nworkers && !sv->stopping; i++) {
            Worker *w = &sv->workers[i];

            if (w->pid == 0 && backoff_now_ms() >= w->restart_at_ms)
                worker_start(sv, w);
        }
        (void)backoff_sleep_ms(TICK_MS);
    }
}

/* ---------------------------------------------------------------------------
 * The command
 * ------------------------------------------------------------------------- */

typedef struct RunOptions {
    const char *types;   /* --types */
    const char *markets; /* --markets */
    const char *listen;  /* --metrics-listen */
    int export_jobs;     /* --export-jobs */
    bool no_import;      /* --no-import */
    bool no_export;      /* --no-export */
} RunOptions;

/*
 * argv of a worker: every global option we were given, then its command
 * (found in a CLI audit: past 24 the rest were dropped, which could part an
 * option from its value).
 */
static void
worker_argv(const CliContext *ctx, Worker *w, const char *const *cmd)
{
    size_t ncmd = 0;
    int n = 0;

    while (cmd[ncmd] != NULL)
        ncmd++;
    w->argv = xcalloc((size_t)ctx->global_argc + ncmd + 1, sizeof(char *));
    for (int i = 0; i < ctx->global_argc; i++)
        w->argv[n++] = ctx->global_argv[i];
    for (size_t i = 0; i < ncmd; i++)
        w->argv[n++] = (char *)(uintptr_t)cmd[i];
    w->argv[n] = NULL;
}

static void
add_workers(const CliContext *ctx, const RunOptions *o, Supervisor *sv)
{
    if (!o->no_import) {
        const char *cmd[8] = {"import", "--follow"};
        int n = 2;
        Worker *w = &sv->workers[sv->nworkers++];

        if (o->types != NULL) {
            cmd[n++] = "--types";
            cmd[n++] = o->types;
        }
        if (o->markets != NULL) {
            cmd[n++] = "--markets";
            cmd[n++] = o->markets;
        }
        snprintf(w->name, sizeof(w->name), "import");
        worker_argv(ctx, w, cmd);
    }
    for (int i = 0; !o->no_export && i < o->export_jobs; i++) {
        static const char *const cmd[] = {"export", "--follow", NULL};
        Worker *w = &sv->workers[sv->nworkers++];

        if (o->export_jobs == 1)
            snprintf(w->name, sizeof(w->name), "export");
        else
            snprintf(w->name, sizeof(w->name), "export-%d", i + 1);
        worker_argv(ctx, w, cmd);
    }
}

static ErrKind
run_daemon(CliContext *ctx, const RunOptions *o, Error *err)
{
    Supervisor sv;
    ErrKind rc = ERR_OK;
    ssize_t len;

    memset(&sv, 0, sizeof(sv));
    sv.cfg = ctx->cfg;
    len = readlink("/proc/self/exe", sv.self, sizeof(sv.self) - 1);
    if (len <= 0)
        return err_set(err, ERR_INTERNAL, "could not find the program's own file");
    sv.self[len] = '\0';
    add_workers(ctx, o, &sv);
    for (int i = 0; rc == ERR_OK && i < sv.nworkers; i++)
        rc = worker_page(&sv.workers[i], err);
    if (rc == ERR_OK)
        rc = run_lock_init(&sv, err);
    sig_install();
    if (rc == ERR_OK && o->listen != NULL && o->listen[0] != '\0')
        rc = run_metrics_start(&sv, o->listen, err);
    if (rc == ERR_OK) {
        char many[32] = "";

        if (!o->no_export && o->export_jobs > 1)
            snprintf(many, sizeof(many), " (%d exporters)", o->export_jobs);
        log_info("centra-bridge daemon started (pid %ld): %s%s%s%s", (long)getpid(),
                 o->no_import ? "" : "import", o->no_import || o->no_export ? "" : " and ",
                 o->no_export ? "" : "export", many);
        supervise(&sv);
        log_info("centra-bridge daemon stopped");
    }
    run_metrics_stop(&sv);
    sig_restore();
    for (int i = 0; i < sv.nworkers; i++) {
        if (sv.workers[i].live != NULL)
            munmap(sv.workers[i].live, sizeof(RunLive));
        if (sv.workers[i].fd > 0)
            close(sv.workers[i].fd);
        xfree(sv.workers[i].argv);
    }
    run_lock_destroy(&sv);
    if (rc == ERR_OK && sv.fatal != 0) {
        /* The worker logged why; exit with its code. */
        rc = err_kind_for_exit_code(sv.fatal);
        err->kind = rc;
        err->message[0] = '\0';
    }
    return rc;
}

static ErrKind
run_cmd_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    static const struct option long_options[] = {
        {"types", required_argument, NULL, 't'},
        {"markets", required_argument, NULL, 'm'},
        {"metrics-listen", required_argument, NULL, 'l'},
        {"no-import", no_argument, NULL, 'I'},
        {"no-export", no_argument, NULL, 'E'},
        {"export-jobs", required_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    RunOptions o = {NULL, NULL, config_get_str(ctx->cfg, CONFIG_METRICS_LISTEN), 1, false, false};
    const char *archive;
    int c;
    int at;

    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+:", long_options, &at)) != -1) {
        switch (c) {
        case 't':
            o.types = optarg;
            break;
        case 'm':
            o.markets = optarg;
            break;
        case 'l': {
            struct sockaddr_in addr;
            const char *why;

            if (!net_parse_listen(optarg, &addr, &why)) {
                cli_usage_error(err, "run", "invalid --metrics-listen \"%s\"", optarg);
                err_hint(err, "%s", why);
                return ERR_USAGE;
            }
            o.listen = optarg;
            break;
        }
        case 'I':
            o.no_import = true;
            break;
        case 'E':
            o.no_export = true;
            break;
        case 'j':
            if (cli_jobs_arg(err, "run", "--export-jobs", optarg, &o.export_jobs) != ERR_OK)
                return ERR_USAGE;
            break;
        default:
            return cli_bad_option(err, "run", argc, argv, at, c);
        }
    }
    if (optind < argc)
        return cli_usage_error(err, "run", "unexpected argument \"%s\"", argv[optind]);
    if (o.no_import && o.no_export)
        return cli_usage_error(err, "run", "--no-import and --no-export leave nothing to run");
    if (!o.no_import && cli_check_import_lists(ctx->cfg, "run", o.types, o.markets, err) != ERR_OK)
        return err->kind;
    archive = config_get_str(ctx->cfg, CONFIG_ARCHIVE_DIR);
    if (!o.no_import && archive != NULL &&
        archive_check_dir(archive, "CENTRA_ARCHIVE_DIR", err) != ERR_OK)
        return err->kind; /* the import worker would stop with it at once */
    if (!o.no_export) {
        ExportOptions eo;

        export_options_from_config(&eo, ctx->cfg);
        if (export_check_options(&eo, err) != ERR_OK)
            return err->kind; /* the export worker would stop with it at once */
    }
    return run_daemon(ctx, &o, err);
}

const CliCommand cli_cmd_run = {
    "run",       "the daemon: import and export workers, metrics, graceful on SIGTERM",
    run_help,    NULL,
    run_cmd_run, false,
};
