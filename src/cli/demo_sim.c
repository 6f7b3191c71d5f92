/*
 * src/cli/demo_sim.c
 *     centra-sim for the demo: started next to this binary with generated
 *     orders; its first line on stdout is its URL.  Its admin API
 *     (/_sim/state) says what it received.
 */
#include "demo_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "centra/strutil.h"

#define DEMO_SIM_START_MS 20000 /* how long centra-sim may take to print its URL */

/* Read the first line from fd into line (at most size - 1 bytes) within the deadline. */
static bool
read_first_line(int fd, char *line, size_t size)
{
    size_t len = 0;
    double deadline = demo_now() + DEMO_SIM_START_MS / 1000.0;

    while (len + 1 < size && demo_signal == 0 && demo_now() < deadline) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t n;

        if (poll(&p, 1, 100) <= 0)
            continue;
        n = read(fd, line + len, 1);
        if (n <= 0)
            return false;
        if (line[len] == '\n') {
            line[len] = '\0';
            return len > 0;
        }
        len++;
    }
    return false;
}

/* pipe(2) with both ends closed on exec (pipe2 is not POSIX). */
static bool
cloexec_pipe(int fds[2])
{
    return pipe(fds) == 0 && fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0 &&
           fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0;
}

/* Set sim_url and sim_base from the URL line. */
static bool
parse_url(Demo *d, const char *url)
{
    const char *host = str_starts_with(url, "http://") ? url + 7 : NULL;
    const char *slash = host != NULL ? strchr(host, '/') : NULL;

    if (slash == NULL)
        return false;
    d->sim_url = xstrdup(url);
    d->sim_base = xstrndup(url, (size_t)(slash - url));
    return true;
}

static ErrKind
sim_failed(Demo *d, Error *err)
{
    demo_sim_stop(d);
    demo_log_tail(d, "sim.log", 10);
    err_set(err, ERR_INTERNAL, "centra-sim did not start");
    err_detail(err, "It printed no URL within %d s.", DEMO_SIM_START_MS / 1000);
    demo_err_log(d, err, "sim.log");
    return ERR_INTERNAL;
}

ErrKind
demo_sim_start(Demo *d, Error *err)
{
    char orders[32];
    char seed[32];
    const char *argv[] = {d->sim_bin, "--orders", orders, "--seed", seed, "--quiet", NULL};
    char *log = demo_path(d->dir, "sim.log");
    int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int fds[2] = {-1, -1};
    char line[1024];
    char buf[256];
    bool ok;

    xfree(log);
    if (log_fd < 0 || !cloexec_pipe(fds)) {
        err_set(err, ERR_IO, "could not start centra-sim: %s", str_errno(errno, buf, sizeof(buf)));
        if (log_fd >= 0)
            close(log_fd);
        return ERR_IO;
    }
    snprintf(orders, sizeof(orders), "%lld", d->orders);
    snprintf(seed, sizeof(seed), "%lld", d->seed);
    {
        DemoSpawn how = {fds[1], log_fd, false, true};

        d->sim_pid = demo_spawn(d, argv, &how, err);
    }
    close(fds[1]);
    close(log_fd);
    if (d->sim_pid < 0) {
        d->sim_pid = 0;
        close(fds[0]);
        return ERR_INTERNAL;
    }
    ok = read_first_line(fds[0], line, sizeof(line)) && parse_url(d, line);
    close(fds[0]); /* it prints nothing more, and ignores SIGPIPE */
    return ok ? ERR_OK : sim_failed(d, err);
}

void
demo_sim_stop(Demo *d)
{
    if (d->sim_pid <= 0)
        return;
    kill(d->sim_pid, SIGTERM);
    (void)demo_wait(d->sim_pid, false);
    d->sim_pid = 0;
}

/* ---------------------------------------------------------------------------
 * The admin API
 * ------------------------------------------------------------------------- */

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
    DynBuf *b = arg;

    return dynbuf_add(b, data, size * n) == ERR_OK ? size * n : 0;
}

long long
demo_sim_requests(const Demo *d, const char *op)
{
    CURL *curl = curl_easy_init();
    char *url = demo_path(d->sim_base, "_sim/state");
    char key[128];
    long long n = -1;
    const char *at;
    DynBuf b;

    dynbuf_init(&b, 4 * 1024 * 1024);
    if (curl != NULL) {
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        if (curl_easy_perform(curl) == CURLE_OK) {
            /* "requests":{"events_Get":4,"orders_Update":2,...}; absent = none */
            snprintf(key, sizeof(key), "\"%s\":", op);
            at = strstr(dynbuf_str(&b), "\"requests\":");
            at = at != NULL ? strstr(at, key) : NULL;
            n = at != NULL ? strtoll(at + strlen(key), NULL, 10) : 0;
        }
        curl_easy_cleanup(curl);
    }
    dynbuf_free(&b);
    xfree(url);
    return n;
}
