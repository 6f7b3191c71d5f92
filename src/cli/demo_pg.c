/*
 * src/cli/demo_pg.c
 *     The demo's throwaway PostgreSQL cluster, with the choices of
 *     tests/integration/pgcluster.sh: initdb with trust authentication,
 *     listening only on 127.0.0.1 on a free port and on a socket in the demo
 *     directory, fsync off.  initdb refuses to run as root, so as root the
 *     cluster belongs to the "postgres" user.
 */
#include "demo_int.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "centra/strutil.h"

#define DEMO_PG_DEBIAN "/usr/lib/postgresql"

/* ---------------------------------------------------------------------------
 * Finding the server
 * ------------------------------------------------------------------------- */

static bool
is_executable(const char *dir, const char *name)
{
    char *path = demo_path(dir, name);
    bool ok = access(path, X_OK) == 0;

    xfree(path);
    return ok;
}

/* The PATH entry that holds initdb, or NULL.  Caller frees. */
static char *
initdb_on_path(void)
{
    const char *path = getenv("PATH");
    char *copy;
    char *found = NULL;
    char *save = NULL;

    if (path == NULL)
        return NULL;
    copy = xstrdup(path);
    for (char *dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save))
        if (dir[0] != '\0' && is_executable(dir, "initdb") && is_executable(dir, "pg_ctl")) {
            found = xstrdup(dir);
            break;
        }
    xfree(copy);
    return found;
}

/* /usr/lib/postgresql/VERSION/bin in a new string the caller frees. */
static char *
version_bin(const char *version)
{
    DynBuf b;

    dynbuf_init(&b, 4096);
    (void)dynbuf_addf(&b, "%s/%s/bin", DEMO_PG_DEBIAN, version);
    return dynbuf_take(&b);
}

/* The newest /usr/lib/postgresql/N/bin with initdb (Debian), or NULL.  Caller frees. */
static char *
initdb_debian(void)
{
    DIR *dir = opendir(DEMO_PG_DEBIAN);
    struct dirent *e;
    long long best = -1;
    char *found = NULL;

    if (dir == NULL)
        return NULL;
    while ((e = readdir(dir)) != NULL) {
        long long v;
        char *bin;

        if (!str_to_ll(e->d_name, &v) || v <= best)
            continue;
        bin = version_bin(e->d_name);
        if (is_executable(bin, "initdb") && is_executable(bin, "pg_ctl")) {
            xfree(found);
            found = bin;
            best = v;
        } else {
            xfree(bin);
        }
    }
    closedir(dir);
    return found;
}

/* As root, find the postgres user that will own the cluster. */
static ErrKind
find_owner(Demo *d, Error *err)
{
    struct passwd *pw;

    d->as_postgres = geteuid() == 0;
    d->pg_uid = geteuid();
    d->pg_gid = getegid();
    if (!d->as_postgres)
        return ERR_OK;
    pw = getpwnam("postgres");
    if (pw == NULL) {
        err_set(err, ERR_CONFIG, "running as root needs a \"postgres\" user to own the cluster");
        err_detail(err, "PostgreSQL's initdb refuses to run as root.");
        err_hint(err, "Install the postgresql package (it creates the user), or run the demo "
                      "as an ordinary user.");
        return ERR_CONFIG;
    }
    d->pg_uid = pw->pw_uid;
    d->pg_gid = pw->pw_gid;
    return ERR_OK;
}

ErrKind
demo_pg_find(Demo *d, Error *err)
{
    d->pgbin = initdb_on_path();
    if (d->pgbin == NULL)
        d->pgbin = initdb_debian();
    if (d->pgbin == NULL) {
        err_set(err, ERR_CONFIG, "no PostgreSQL server found");
        err_detail(err, "The demo needs initdb and pg_ctl: on PATH, or in %s/VERSION/bin.",
                   DEMO_PG_DEBIAN);
        err_hint(err, "Install PostgreSQL 15 or later (Debian: apt-get install postgresql), or "
                      "run scripts/install-deps.sh.");
        return ERR_CONFIG;
    }
    return find_owner(d, err);
}

/* ---------------------------------------------------------------------------
 * Starting and stopping
 * ------------------------------------------------------------------------- */

/* A free TCP port on 127.0.0.1 (bind port 0, read it back), or -1. */
static int
free_port(void)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int port = -1;

    if (fd < 0)
        return -1;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

/* The server's version ("15.4") from "postgres --version", or "". */
static char *
server_version(const Demo *d)
{
    char *bin = demo_path(d->pgbin, "postgres");
    const char *argv[] = {bin, "--version", NULL};
    char *log = demo_path(d->dir, "postgres-version.log");
    char line[256] = "";
    char *word;
    FILE *f;
    Error err;

    if (demo_run_logged(d, argv, "postgres-version.log", false, &err) == 0 &&
        (f = fopen(log, "r")) != NULL) {
        if (fgets(line, sizeof(line), f) == NULL)
            line[0] = '\0';
        fclose(f);
    }
    unlink(log);
    xfree(log);
    xfree(bin);
    /* "postgres (PostgreSQL) 15.4 (Debian 15.4-1)": the word after ") " */
    word = strstr(line, ") ");
    word = word != NULL ? word + 2 : line + strlen(line);
    word[strcspn(word, " \n")] = '\0';
    return xstrdup(word);
}

/* The cluster's directory, owned by the user the server runs as. */
static ErrKind
make_pgroot(Demo *d, Error *err)
{
    char buf[256];

    d->pgroot = demo_path(d->dir, "pg");
    d->pgdata = demo_path(d->pgroot, "data");
    if (mkdir(d->pgroot, 0700) != 0 ||
        (d->as_postgres && chown(d->pgroot, d->pg_uid, d->pg_gid) != 0)) {
        err_set(err, ERR_IO, "could not create directory \"%s\": %s", d->pgroot,
                str_errno(errno, buf, sizeof(buf)));
        return ERR_IO;
    }
    return ERR_OK;
}

/* A failed server command: ERR_DB_CONNECTION, with the tail of log printed. */
static ErrKind
start_failed(const Demo *d, const char *what, int code, const char *log, Error *err)
{
    if (code < 0 || demo_signal != 0)
        return ERR_DB_CONNECTION;
    demo_log_tail(d, log, 15);
    err_set(err, ERR_DB_CONNECTION, "could not %s the demo's PostgreSQL cluster", what);
    err_detail(err, "It exited with code %d.", code);
    demo_err_log(d, err, log);
    if (d->as_postgres)
        err_hint(err,
                 "The server runs as the user \"postgres\", which must be able to reach "
                 "%s: choose another --dir if it cannot.",
                 d->dir);
    return ERR_DB_CONNECTION;
}

static ErrKind
run_initdb(Demo *d, Error *err)
{
    char *bin = demo_path(d->pgbin, "initdb");
    const char *argv[] = {
        bin,  "-D",   d->pgdata,          "-U", "postgres", "--auth=trust", "--no-sync",
        "-E", "UTF8", "--locale=C.UTF-8", NULL};
    int code = demo_run_logged(d, argv, "initdb.log", true, err);

    xfree(bin);
    return code == 0 ? ERR_OK : start_failed(d, "create", code, "initdb.log", err);
}

static ErrKind
run_pg_ctl_start(Demo *d, Error *err)
{
    char *bin = demo_path(d->pgbin, "pg_ctl");
    char *log = demo_path(d->pgroot, "server.log");
    DynBuf o;
    int code;

    dynbuf_init(&o, 8192);
    (void)dynbuf_addf(&o,
                      "-c listen_addresses=127.0.0.1 -c port=%d -c 'unix_socket_directories=%s' "
                      "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                      "-c log_min_messages=warning",
                      d->port, d->pgroot);
    {
        const char *argv[] = {bin,  "-D", d->pgdata, "-l",   log,     "-w",
                              "-t", "60", "-o",      o.data, "start", NULL};

        d->pg_started = true; /* from now on, stop it on the way out */
        code = demo_run_logged(d, argv, "pg_ctl.log", true, err);
    }
    dynbuf_free(&o);
    xfree(log);
    xfree(bin);
    return code == 0 ? ERR_OK : start_failed(d, "start", code, "pg/server.log", err);
}

ErrKind
demo_pg_start(Demo *d, Error *err)
{
    ErrKind rc = make_pgroot(d, err);

    if (rc != ERR_OK)
        return rc;
    if (strchr(d->pgroot, '\'') != NULL)
        return err_set(err, ERR_USAGE, "the demo directory \"%s\" must not contain a quote",
                       d->dir);
    d->port = free_port();
    if (d->port < 0)
        return err_set(err, ERR_DB_CONNECTION, "could not find a free TCP port on 127.0.0.1");
    d->pgversion = server_version(d);
    rc = run_initdb(d, err);
    if (rc == ERR_OK)
        rc = run_pg_ctl_start(d, err);
    return rc;
}

void
demo_pg_stop(Demo *d)
{
    char *bin;
    Error err;

    if (!d->pg_started)
        return;
    bin = demo_path(d->pgbin, "pg_ctl");
    {
        const char *argv[] = {bin, "-D", d->pgdata, "-m", "fast", "-w", "stop", NULL};

        if (demo_run_logged(d, argv, "pg_ctl.log", true, &err) == 0)
            d->pg_started = false;
    }
    xfree(bin);
}

char *
demo_pg_stop_command(const Demo *d)
{
    DynBuf b;

    dynbuf_init(&b, 8192);
    if (d->as_postgres)
        (void)dynbuf_addstr(&b, "runuser -u postgres -- ");
    (void)dynbuf_addf(&b, "%s/pg_ctl stop -D %s -m fast", d->pgbin, d->pgdata);
    return dynbuf_take(&b);
}
