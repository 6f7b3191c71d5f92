/*
 * src/cli/demo_int.h
 *     What the parts of "centra-bridge demo" share: the demo's state, child
 *     processes, the throwaway PostgreSQL cluster, centra-sim, the outbox
 *     rows it enqueues and the report it prints.
 *
 * Every process the demo starts gets a clean environment (no CENTRA_*,
 * DATABASE_URL or PG* of the caller): the demo depends on nothing the user
 * configured.  Everything it starts is stopped, and its directory removed,
 * on every exit path unless --keep is given.
 */
#ifndef CLI_DEMO_INT_H
#define CLI_DEMO_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "centra/db.h"
#include "centra/dynbuf.h"
#include "centra/error.h"

#define DEMO_STEPS    7  /* steps shown as [i/7] */
#define DEMO_TIMINGS  12 /* most timed commands recorded */
#define DEMO_SIM_USER "centra-sim"
#define DEMO_SIM_PASS "centra-sim" /* centra-sim's public demo password */
#define DEMO_SIM_TZ   "Etc/GMT-1"  /* centra-sim's dates: UTC+01:00 all year */

typedef struct DemoTiming {
    const char *label; /* e.g. "migrate"; a string literal */
    double seconds;    /* wall-clock time it took */
} DemoTiming;

typedef struct Demo {
    /* options */
    bool keep;           /* --keep: leave the cluster and centra-sim running */
    long long orders;    /* --orders */
    long long seed;      /* --seed */
    const char *dir_opt; /* --dir, or NULL for a fresh mkdtemp */

    /* where things are */
    char *self;      /* this binary (/proc/self/exe) */
    char *sim_bin;   /* centra-sim next to it */
    char *dir;       /* the demo directory: logs, and pg/ */
    bool dir_made;   /* we created dir (so we may remove it) */
    char *pgbin;     /* directory of initdb, pg_ctl, postgres */
    char *pgroot;    /* dir/pg, owned by the cluster's user: data/, socket, log */
    char *pgdata;    /* dir/pg/data */
    char *pgversion; /* "15.4", from postgres --version; may be "" */

    /* the cluster's owner: ourselves, or "postgres" when we run as root */
    bool as_postgres; /* euid 0: server binaries run as the postgres user */
    uid_t pg_uid;     /* that user's uid */
    gid_t pg_gid;     /* and primary group */

    /* what runs */
    int port;        /* the cluster's TCP port on 127.0.0.1 */
    bool pg_started; /* pg_ctl start succeeded (or may have) */
    pid_t sim_pid;   /* centra-sim, 0 when not running */
    char *sim_url;   /* its SOAP URL */
    char *sim_base;  /* http://127.0.0.1:PORT, for its admin API */
    char *db_url;    /* DATABASE_URL of the demo's database */
    char **env;      /* the clean environment of the steps (NULL-terminated) */

    /* output */
    bool tty;                         /* stdout is a terminal */
    DemoTiming timings[DEMO_TIMINGS]; /* time of each command */
    int ntimings;                     /* entries used */
} Demo;

/* ---- demo_proc.c: processes, signals, files ---------------------------- */

/* The signal that interrupted the demo (SIGINT, SIGTERM), 0 while none. */
extern volatile sig_atomic_t demo_signal;

/*
 * Catch SIGINT and SIGTERM (they set demo_signal) and ignore SIGPIPE;
 * demo_signals_restore undoes it.
 */
void demo_signals_catch(void);
void demo_signals_restore(void);

/*
 * A copy of the caller's environment without CENTRA_*, DATABASE_URL and
 * PG*, plus the NULL-terminated "NAME=value" strings of extra (may be NULL).
 * The caller frees it with demo_env_free.
 */
char **demo_env_new(const char *const *extra);
void demo_env_free(char **env);

/*
 * Remove CENTRA_*, DATABASE_URL and PG* from this process's own environment,
 * so that the demo's own libpq connections ignore the caller's PG* too.
 */
void demo_env_scrub(void);

/* How demo_spawn starts a child. */
typedef struct DemoSpawn {
    int out_fd;       /* the child's stdout; -1 = ours */
    int err_fd;       /* the child's stderr; -1 = ours */
    bool as_owner;    /* run as the cluster's owner (the postgres user as root) */
    bool new_session; /* setsid(): terminal signals (Ctrl-C) do not reach it */
} DemoSpawn;

/*
 * Start argv[0] (a path) with argv and d->env; stdin is /dev/null.  Returns
 * the child's pid, or -1 with err set (ERR_INTERNAL).
 */
pid_t demo_spawn(const Demo *d, const char *const argv[], const DemoSpawn *how, Error *err);

/*
 * Wait for pid; its exit code, or 128 + the signal that killed it.  When
 * interruptible and demo_signal is set meanwhile, the child is sent SIGTERM
 * (SIGKILL after 5 s) and the wait ends.
 */
int demo_wait(pid_t pid, bool interruptible);

/*
 * Run argv with stdout and stderr going to the file dir/log (created), and
 * wait for it.  Returns its exit code (as demo_wait), or -1 with err set
 * when it could not be started.
 */
int demo_run_logged(const Demo *d, const char *const argv[], const char *log, bool as_owner,
                    Error *err);

/*
 * Add to err's detail where the log file dir/log is, when --keep keeps it,
 * or how to keep it.
 */
void demo_err_log(const Demo *d, Error *err, const char *log);

/* Print the last lines of the file dir/log to stderr, indented. */
void demo_log_tail(const Demo *d, const char *log, int lines);

/* Path dir/name in a new string the caller frees with xfree. */
char *demo_path(const char *dir, const char *name);

/* Remove the tree at path (not following symbolic links); errors are ignored. */
void demo_rmtree(const char *path);

/* Seconds on the monotonic clock. */
double demo_now(void);

/* ---- demo_pg.c: the throwaway cluster ----------------------------------- */

/*
 * Find the PostgreSQL server binaries (initdb on PATH, else the newest
 * /usr/lib/postgresql/N/bin) and the user to run them as.  ERR_CONFIG when
 * none is installed (or, as root, there is no postgres user).
 */
ErrKind demo_pg_find(Demo *d, Error *err);

/*
 * initdb and start the cluster in d->pgroot on a free port of 127.0.0.1,
 * trust authentication, fsync off.  ERR_DB_CONNECTION (69) when it cannot
 * be created or started; the log's last lines are printed.
 */
ErrKind demo_pg_start(Demo *d, Error *err);

/* pg_ctl stop -m fast, if it was started.  Never interrupted by signals. */
void demo_pg_stop(Demo *d);

/* The pg_ctl command line that stops the cluster (for --keep); caller frees. */
char *demo_pg_stop_command(const Demo *d);

/* ---- demo_sim.c: centra-sim --------------------------------------------- */

/* Start centra-sim and read its URL.  ERR_INTERNAL when it does not start. */
ErrKind demo_sim_start(Demo *d, Error *err);

/* Stop centra-sim (SIGTERM, then SIGKILL), if it runs. */
void demo_sim_stop(Demo *d);

/*
 * The number of requests centra-sim received for operation op (e.g.
 * "orders_Update"), from its admin API; -1 when it cannot be asked.
 */
long long demo_sim_requests(const Demo *d, const char *op);

/* ---- demo_outbox.c: the ERP's side -------------------------------------- */

/*
 * Enqueue the demo's outbox rows with SQL, in one transaction:
 * ship a retail order (create the shipment, ship it with carrier and
 * tracking, capture), set stock of a few SKUs, confirm a wholesale order.
 * What was enqueued is appended to report, one indented line per row kind.
 */
ErrKind demo_enqueue(DbConn *db, DynBuf *report, Error *err);

/* ---- demo_report.c: summary and example queries ------------------------- */

/* Print res as an aligned table in the manner of psql, with a row count. */
void demo_table_print(const DbResult *res, FILE *out);

/* Print the summary: counts and the time of each command. */
ErrKind demo_summary(const Demo *d, DbConn *db, Error *err);

/* Print a few example queries, each with its result. */
ErrKind demo_examples(DbConn *db, Error *err);

/* Print how to connect to what --keep left running, and how to stop it. */
void demo_print_keep(const Demo *d);

#endif /* CLI_DEMO_INT_H */
