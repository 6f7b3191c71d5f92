/*
 * src/cli/demo_proc.c
 *     Child processes of "centra-bridge demo": a clean environment, spawning
 *     (as the cluster's owner when we are root), waiting with Ctrl-C in
 *     mind, log files and removing the demo directory.
 *
 * Signals: SIGINT and SIGTERM only set demo_signal; waits poll it, so the
 * demo can stop what it started and clean up before it exits.
 */
#define _XOPEN_SOURCE 700
#include "demo_int.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "centra/strutil.h"

extern char **environ;

volatile sig_atomic_t demo_signal = 0;

static struct sigaction demo_old_int;
static struct sigaction demo_old_term;
static struct sigaction demo_old_pipe;

static void
demo_on_signal(int sig)
{
    demo_signal = sig;
}

void
demo_signals_catch(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = demo_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &demo_old_int);
    sigaction(SIGTERM, &sa, &demo_old_term);
    /* A closed stdout ("demo | head") must not kill us before we clean up. */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &demo_old_pipe);
}

void
demo_signals_restore(void)
{
    sigaction(SIGINT, &demo_old_int, NULL);
    sigaction(SIGTERM, &demo_old_term, NULL);
    sigaction(SIGPIPE, &demo_old_pipe, NULL);
}

/* ---------------------------------------------------------------------------
 * Environment
 * ------------------------------------------------------------------------- */

/* Whether the caller's variable "NAME=value" must not reach the demo's processes. */
static bool
env_excluded(const char *entry)
{
    return str_starts_with(entry, "CENTRA_") || str_starts_with(entry, "PG") ||
           str_starts_with(entry, "DATABASE_URL=");
}

char **
demo_env_new(const char *const *extra)
{
    size_t n = 0;
    size_t nextra = 0;
    size_t k = 0;
    char **env;

    while (environ[n] != NULL)
        n++;
    while (extra != NULL && extra[nextra] != NULL)
        nextra++;
    env = xcalloc(n + nextra + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        if (!env_excluded(environ[i]))
            env[k++] = xstrdup(environ[i]);
    for (size_t i = 0; i < nextra; i++)
        env[k++] = xstrdup(extra[i]);
    env[k] = NULL;
    return env;
}

void
demo_env_scrub(void)
{
    size_t n = 0;
    char **names;

    while (environ[n] != NULL)
        n++;
    names = xcalloc(n + 1, sizeof(char *));
    /* Names first: unsetenv changes environ under a loop over it. */
    n = 0;
    for (size_t i = 0; environ[i] != NULL; i++)
        if (env_excluded(environ[i]))
            names[n++] = xstrndup(environ[i], strcspn(environ[i], "="));
    for (size_t i = 0; i < n; i++) {
        (void)unsetenv(names[i]);
        xfree(names[i]);
    }
    xfree(names);
}

void
demo_env_free(char **env)
{
    if (env == NULL)
        return;
    for (size_t i = 0; env[i] != NULL; i++)
        xfree(env[i]);
    xfree(env);
}

/* ---------------------------------------------------------------------------
 * Spawning and waiting
 * ------------------------------------------------------------------------- */

/* In the child: become the cluster's owner.  Returns false on failure. */
static bool
drop_to_owner(const Demo *d)
{
    struct passwd *pw = getpwuid(d->pg_uid);

    if (pw == NULL || setgid(d->pg_gid) != 0 || initgroups(pw->pw_name, d->pg_gid) != 0 ||
        setuid(d->pg_uid) != 0)
        return false;
    /* Our working directory may be out of its reach (initdb complains). */
    return chdir(d->pgroot) == 0;
}

/* In the child: set up descriptors, user and session, then exec.  Never returns. */
static void
child_exec(const Demo *d, char *const argv[], const DemoSpawn *how)
{
    int null_fd = open("/dev/null", O_RDONLY);
    char buf[256];

    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    if (null_fd >= 0)
        dup2(null_fd, STDIN_FILENO);
    if (how->out_fd >= 0)
        dup2(how->out_fd, STDOUT_FILENO);
    if (how->err_fd >= 0)
        dup2(how->err_fd, STDERR_FILENO);
    if (how->new_session)
        setsid();
    if (how->as_owner && d->as_postgres && !drop_to_owner(d)) {
        dprintf(STDERR_FILENO, "centra-bridge demo: could not switch to user %ld: %s\n",
                (long)d->pg_uid, str_errno(errno, buf, sizeof(buf)));
        _exit(127);
    }
    execve(argv[0], argv, d->env);
    dprintf(STDERR_FILENO, "centra-bridge demo: could not run \"%s\": %s\n", argv[0],
            str_errno(errno, buf, sizeof(buf)));
    _exit(127);
}

/* A writable copy of the NULL-terminated argv (execve's type); free with demo_env_free. */
static char **
argv_copy(const char *const argv[])
{
    size_t n = 0;
    char **copy;

    while (argv[n] != NULL)
        n++;
    copy = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        copy[i] = xstrdup(argv[i]);
    return copy;
}

pid_t
demo_spawn(const Demo *d, const char *const argv[], const DemoSpawn *how, Error *err)
{
    char **args = argv_copy(argv);
    char buf[256];
    pid_t pid;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0)
        child_exec(d, args, how);
    if (pid < 0)
        err_set(err, ERR_INTERNAL, "could not start \"%s\": %s", argv[0],
                str_errno(errno, buf, sizeof(buf)));
    demo_env_free(args);
    return pid < 0 ? -1 : pid;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* The exit code of a wait status: the code, or 128 + the signal. */
static int
status_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 70;
}

/* Stop pid: SIGTERM, then SIGKILL after 5 s.  Returns its wait status code. */
static int
terminate(pid_t pid)
{
    int status;

    kill(pid, SIGTERM);
    for (int i = 0; i < 250; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return status_code(status);
        sleep_ms(20);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status_code(status);
}

int
demo_wait(pid_t pid, bool interruptible)
{
    int status;
    pid_t r;

    for (;;) {
        if (interruptible && demo_signal != 0)
            return terminate(pid);
        r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status_code(status);
        if (r < 0 && errno != EINTR)
            return 70;
        sleep_ms(20);
    }
}

int
demo_run_logged(const Demo *d, const char *const argv[], const char *log, bool as_owner, Error *err)
{
    char *path = demo_path(d->dir, log);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    DemoSpawn how = {fd, fd, as_owner, as_owner};
    char buf[256];
    pid_t pid;

    if (fd < 0) {
        err_set(err, ERR_IO, "could not create \"%s\": %s", path,
                str_errno(errno, buf, sizeof(buf)));
        xfree(path);
        return -1;
    }
    xfree(path);
    pid = demo_spawn(d, argv, &how, err);
    close(fd);
    return pid < 0 ? -1 : demo_wait(pid, true);
}

/* ---------------------------------------------------------------------------
 * Files
 * ------------------------------------------------------------------------- */

char *
demo_path(const char *dir, const char *name)
{
    DynBuf b;

    dynbuf_init(&b, 8192);
    (void)dynbuf_addf(&b, "%s/%s", dir, name);
    return dynbuf_take(&b);
}

void
demo_err_log(const Demo *d, Error *err, const char *log)
{
    if (d->keep)
        err_detail_append(err, false, "Its output is in %s/%s.", d->dir, log);
    else
        err_detail_append(err, false,
                          "Run \"centra-bridge demo --keep\" to keep its log (%s) "
                          "and the cluster for a closer look.",
                          log);
}

void
demo_log_tail(const Demo *d, const char *log, int lines)
{
    char *path = demo_path(d->dir, log);
    FILE *f = fopen(path, "r");
    char **ring = xcalloc((size_t)lines, sizeof(char *));
    char line[1024];
    long n = 0;

    if (f != NULL) {
        while (fgets(line, sizeof(line), f) != NULL) {
            xfree(ring[n % lines]);
            ring[n % lines] = xstrdup(line);
            n++;
        }
        fclose(f);
    }
    fprintf(stderr, "--- last lines of %s ---\n", log);
    for (long i = n > lines ? n - lines : 0; i < n; i++)
        fprintf(stderr, "    %s%s", ring[i % lines],
                strchr(ring[i % lines], '\n') != NULL ? "" : "\n");
    for (int i = 0; i < lines; i++)
        xfree(ring[i]);
    xfree(ring);
    xfree(path);
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void
demo_rmtree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

double
demo_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
