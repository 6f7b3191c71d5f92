/*
 * src/cli/cli_int.h
 *     The command table and what commands share.
 */
#ifndef CLI_CLI_INT_H
#define CLI_CLI_INT_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "centra/config.h"
#include "centra/error.h"

#define CLI_PROGNAME "centra-bridge"

typedef struct CliContext {
    Config *cfg;        /* effective configuration, loaded before the command runs */
    int global_argc;    /* the program name and global options, before the command */
    char **global_argv; /* (for the daemon, which runs itself again as its workers) */
} CliContext;

typedef struct CliCommand {
    const char *name;              /* as typed on the command line */
    const char *summary;           /* one line for the program's --help */
    const char *help;              /* full text for "COMMAND --help" */
    void (*help_extra)(FILE *out); /* prints more help after it; may be NULL */
    /* Run with argv[0] = the command name.  Returns the outcome. */
    ErrKind (*run)(CliContext *ctx, int argc, char **argv, Error *err);
    /*
     * Runs on the built-in defaults: the caller's --config file and CENTRA_* and
     * DATABASE_URL variables are not read (so they cannot stop it either), and
     * the -v/-q/--log-level/--log-format options still apply.
     */
    bool own_config;
} CliCommand;

/* Commands, each in its own cmd_*.c. */
extern const CliCommand cli_cmd_migrate;
extern const CliCommand cli_cmd_config;
extern const CliCommand cli_cmd_import;
extern const CliCommand cli_cmd_load;
extern const CliCommand cli_cmd_export;
extern const CliCommand cli_cmd_outbox;
extern const CliCommand cli_cmd_sync;
extern const CliCommand cli_cmd_run;
extern const CliCommand cli_cmd_status;
extern const CliCommand cli_cmd_check;
extern const CliCommand cli_cmd_idmap;
extern const CliCommand cli_cmd_demo;

/*
 * Report a usage error for command cmd (NULL for the program itself): set
 * err to ERR_USAGE with the message, and a hint pointing at --help.
 */
ErrKind cli_usage_error(Error *err, const char *cmd, const char *fmt, ...) CB_PRINTF(3, 4);

/* The error in err (a bad option value) as a usage error of command cmd. */
ErrKind cli_usage_from(Error *err, const char *cmd);

/*
 * Check the event types and markets an import is to use: types_cli and
 * markets_cli as given on the command line (NULL: not given, the settings
 * centra_event_types and centra_markets apply).  A bad list from the command
 * line is a usage error (64), one from the configuration a configuration
 * error (78) saying where it was set.
 */
ErrKind cli_check_import_lists(const Config *cfg, const char *cmd, const char *types_cli,
                               const char *markets_cli, Error *err) CB_MUSTCHECK;

/*
 * The mode of a command that runs --once or --follow: ERR_OK when exactly
 * one was given, else a usage error of command cmd saying what is wrong.
 */
ErrKind cli_once_or_follow(Error *err, const char *cmd, bool once, bool follow);

/*
 * The number of exporters of export --jobs and run --export-jobs (option,
 * of command cmd): 1 to EXPORT_JOBS_MAX into *jobs, else a usage error.
 */
ErrKind cli_jobs_arg(Error *err, const char *cmd, const char *option, const char *arg,
                     int *jobs) CB_MUSTCHECK;

/*
 * A new run id for the log lines and centra.runs.log_id of this process
 * (each process of "export --jobs" has its own).
 */
void cli_new_run_id(void);

/*
 * getopt_long that also records in *at the index of the argument being
 * parsed (for messages about clustered short options such as "-xv").
 *
 * Each parse starts with optind = 0, not 1: only then does glibc read the
 * optstring's ordering again.  After optind = 1 a parse keeps the "+" (stop
 * at the first operand) of the one before, and an optstring without it, as
 * "idmap import" has so that its file may come before --dry-run, did not
 * permute (found in a CLI audit).
 */
int cli_getopt(int argc, char **argv, const char *optstring, const struct option *longopts,
               int *at);

/*
 * Turn getopt_long's complaint (getopt_rc ':' for a missing value, '?' for an
 * unknown or misused option; opterr 0 and a leading ':' in the optstring)
 * about argv[at] into a usage error of command cmd (NULL for the global
 * options).
 */
ErrKind cli_bad_option(Error *err, const char *cmd, int argc, char **argv, int at, int getopt_rc);

/* Print cmd's full help to out. */
void cli_print_command_help(const CliCommand *cmd, FILE *out);

/*
 * In a worker started by "run": mirror the run's counts and health into the
 * supervisor's shared page (no-op otherwise).
 */
void cli_run_attach_worker(void);

/* Entry point: parse, load configuration, run.  Returns the exit code. */
int cli_main(int argc, char **argv);

#endif /* CLI_CLI_INT_H */
