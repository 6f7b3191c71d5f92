/*
 * src/cli/cmd_export.c
 *     "centra-bridge export" and "centra-bridge outbox list|retry|cancel".
 *
 * export --jobs N runs N exporters as child processes of this one (forked:
 * each is exactly "export" with the same options, its own connections, run
 * id and centra.runs row) and waits for them all, passing SIGTERM, SIGINT
 * and SIGHUP on.  The outbox's claim (FOR UPDATE SKIP LOCKED, one message
 * per entity_key at a time) shares the work out and keeps the order per
 * key; each exporter's database session is then a process of its own,
 * which is what a single exporter is bound by.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "centra/attrs.h"
#include "centra/backoff.h"
#include "centra/export.h"
#include "centra/log.h"
#include "centra/signals.h"
#include "centra/soap.h"
#include "centra/strutil.h"
#include "cli_int.h"

#define JOBS_TICK_MS 100 /* the parent's loop period */

static const char export_help[] =
    "Usage: centra-bridge [OPTION]... export --once|--follow [--jobs N]\n"
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
    "      --jobs N    run N exporters side by side (1 to 16, default 1), each a\n"
    "                  process with its own database session and connection to\n"
    "                  Centra; order per entity_key is kept.  Signals are passed on\n"
    "                  to them; with --follow, one job ending stops the others; the\n"
    "                  exit status is the worst of theirs\n"
    "  -h, --help      show this help, then exit\n"
    "\n"
    "Exit status: 0 done (--follow: stopped by a signal); 1 --once done, but\n"
    "messages failed for good; 64 usage; 69 Centra or the database unreachable\n"
    "after retries; 76 Centra answered with an error, or the URL is wrong (HTTP\n"
    "3xx, 404, 405); 77 Centra refused the login; 78 configuration.\n";

static const char outbox_help[] =
    "Usage: centra-bridge [OPTION]... outbox list [--status STATUS|--blocked] [--limit N]\n"
    "       centra-bridge [OPTION]... outbox retry ID|--failed\n"
    "       centra-bridge [OPTION]... outbox cancel ID\n"
    "\n"
    "Look at and steer the outbox (centra_outbox.messages).\n"
    "\n"
    "  list                 list messages waiting, being sent or failed, oldest first\n"
    "  retry ID             send failed message ID again (attempts start over)\n"
    "  retry --failed       send every failed message again, but a cancellation\n"
    "                       Centra may have applied (maybe_applied: it warns)\n"
    "  cancel ID            never send pending or failed message ID; the messages\n"
    "                       behind it flow on\n"
    "\n"
    "Options:\n"
    "      --status STATUS  list: the messages of STATUS instead: pending, sending,\n"
    "                       sent, failed, cancelled or superseded\n"
    "      --blocked        list: the failed messages that hold back their\n"
    "                       entity_key, with how many messages wait behind each\n"
    "                       (not with --status)\n"
    "      --limit N        list: at most N messages (1 to 1000000, default 100)\n"
    "  -h, --help           show this help, then exit\n"
    "\n"
    "Exit status: 0 done; 64 usage (also: no such message, or one in another\n"
    "status); 69 the database is unreachable; 78 configuration, or a schema not\n"
    "this version's (run migrate; or a newer centra-bridge migrated it).\n";

/*
 * Exit codes of jobs, the one the command exits with first: what no rerun
 * cures (configuration, credentials), then errors, then "messages failed"
 * (1), then success.  A code not listed ranks as 70 (internal).
 */
static const int exit_order[] = {78, 77, 64, 70, 76, 69, 75, 74, 65, 66, 1, 0};

static int
exit_rank(int code)
{
    for (size_t i = 0; i < CB_LENGTH(exit_order); i++)
        if (exit_order[i] == code)
            return (int)i;
    return exit_rank(err_exit_code(ERR_INTERNAL));
}

/* One exporter of --jobs, in the child process. */
static CB_NORETURN void
job_main(CliContext *ctx, const ExportOptions *opts, pid_t parent)
{
    Error e;
    ErrKind rc;

    /* The exporter stops (after its request) when the parent dies. */
    (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(err_exit_code(ERR_INTERNAL));
    cli_new_run_id();
    err_reset(&e);
    /*
     * The parent's handlers, and a stop it was asked for, are inherited:
     * export_run's sig_install nests inside the parent's and keeps them.
     */
    rc = export_run(ctx->cfg, opts, &e);
    if (rc != ERR_OK && e.message[0] != '\0')
        log_report(LOG_LEVEL_ERROR, &e);
    log_close_file();
    /* _exit: the parent's atexit handlers and stdio buffers are not this process's. */
    _exit(err_exit_code(rc));
}

/* The jobs of one "export --jobs": pids[i] > 0 while job i runs. */
typedef struct Jobs {
    pid_t pids[EXPORT_JOBS_MAX]; /* running jobs; 0 when gone or never started */
    int n;                       /* jobs asked for */
    int running;                 /* jobs running */
    int worst;                   /* the exit code to exit with so far */
    bool told;                   /* SIGTERM was passed on */
} Jobs;

/* Send sig to every running job. */
static void
signal_jobs(const Jobs *j, int sig)
{
    for (int i = 0; i < j->n; i++)
        if (j->pids[i] > 0)
            (void)kill(j->pids[i], sig);
}

/* Tell every running job to stop (once). */
static void
stop_jobs(Jobs *j, const char *why)
{
    if (j->told)
        return;
    log_info("%s: the exporters finish their requests first", why);
    signal_jobs(j, SIGTERM);
    j->told = true;
}

/* Job i ended with code (-1: it could not be waited for). */
static void
job_ended(Jobs *j, int i, int status, bool follow)
{
    int code = err_exit_code(ERR_INTERNAL);
    char why[128];

    if (status >= 0 && WIFEXITED(status))
        code = WEXITSTATUS(status);
    if (status < 0)
        log_error("export job %d of %d (pid %ld) was lost (not our child any more)", i + 1, j->n,
                  (long)j->pids[i]);
    else if (WIFSIGNALED(status))
        log_error("export job %d of %d (pid %ld) was killed by signal %d", i + 1, j->n,
                  (long)j->pids[i], WTERMSIG(status));
    else if (code != 0)
        log_info("export job %d of %d (pid %ld) exited with %d", i + 1, j->n, (long)j->pids[i],
                 code);
    if (exit_rank(code) < exit_rank(j->worst))
        j->worst = code;
    j->pids[i] = 0;
    j->running--;
    /* --follow runs all of them or none: one gone stops the others. */
    if (follow && !sig_stop_requested()) {
        snprintf(why, sizeof(why), "stopping: export job %d of %d ended", i + 1, j->n);
        stop_jobs(j, why);
    }
}

/* Wait for every job; pass signals on. */
static void
wait_jobs(Jobs *j, bool follow)
{
    while (j->running > 0) {
        for (int i = 0; i < j->n; i++) {
            int status;
            pid_t got;

            if (j->pids[i] <= 0)
                continue;
            got = waitpid(j->pids[i], &status, WNOHANG);
            if (got == j->pids[i])
                job_ended(j, i, status, follow);
            else if (got < 0 && errno == ECHILD)
                job_ended(j, i, -1, follow);
        }
        if (sig_stop_requested()) {
            char why[64];

            snprintf(why, sizeof(why), "stopping on signal %d", sig_stop_signal());
            stop_jobs(j, why);
        }
        if (sig_take_hup()) {
            log_reopen();
            signal_jobs(j, SIGHUP);
        }
        if (j->running > 0)
            (void)backoff_sleep_ms(JOBS_TICK_MS);
    }
}

/*
 * Run jobs exporters as child processes and wait for them; the result is
 * the worst of their exit codes (each job reports its own error).
 */
static ErrKind
export_jobs(CliContext *ctx, const ExportOptions *opts, int jobs, Error *err)
{
    Jobs j;
    pid_t parent = getpid();

    memset(&j, 0, sizeof(j));
    j.n = jobs;
    sig_install();
    soap_set_rate_share(jobs); /* the jobs share CENTRA_RATE_LIMIT */
    fflush(NULL);
    for (int i = 0; i < jobs && !sig_stop_requested(); i++) {
        j.pids[i] = fork();
        if (j.pids[i] == 0)
            job_main(ctx, opts, parent);
        if (j.pids[i] < 0) {
            char ebuf[128];

            j.pids[i] = 0;
            log_error("could not start export job %d of %d: %s", i + 1, jobs,
                      str_errno(errno, ebuf, sizeof(ebuf)));
            j.worst = err_exit_code(ERR_INTERNAL);
            stop_jobs(&j, "stopping: not every job could start");
            break;
        }
        j.running++;
    }
    log_info("%d exporters started", j.running);
    wait_jobs(&j, opts->follow);
    sig_restore();
    if (j.worst == 0)
        return ERR_OK;
    /* Each job said why; the kind carries the exit code. */
    err_reset(err);
    err->kind = err_kind_for_exit_code(j.worst);
    return err->kind;
}

static ErrKind
export_cmd_run(CliContext *ctx, int argc, char **argv, Error *err)
{
    static const struct option long_options[] = {
        {"once", no_argument, NULL, 'o'},
        {"follow", no_argument, NULL, 'f'},
        {"jobs", required_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    ExportOptions opts;
    bool once = false;
    int jobs = 1;
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
        case 'j':
            if (cli_jobs_arg(err, "export", "--jobs", optarg, &jobs) != ERR_OK)
                return ERR_USAGE;
            break;
        default:
            return cli_bad_option(err, "export", argc, argv, at, c);
        }
    }
    if (optind < argc)
        return cli_usage_error(err, "export", "unexpected argument \"%s\"", argv[optind]);
    if (cli_once_or_follow(err, "export", once, opts.follow) != ERR_OK)
        return ERR_USAGE;
    if (jobs > 1)
        return export_jobs(ctx, &opts, jobs, err);
    return export_run(ctx->cfg, &opts, err);
}

/* A message id argument: a positive integer within bigint (not clamped to it). */
static bool
parse_id(const char *s, long long *id)
{
    return s[0] >= '1' && s[0] <= '9' && str_to_ll(s, id) && *id > 0;
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
        optind = 0; /* a new parse (see cli_getopt in cli_int.h) */
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
    "export",       "send the outbox's messages to Centra (--once or --follow)",
    export_help,    NULL,
    export_cmd_run, false,
};

const CliCommand cli_cmd_outbox = {
    "outbox", "list, retry or cancel outbox messages", outbox_help, NULL, outbox_cmd_run, false,
};
