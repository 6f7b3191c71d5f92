/*
 * include/centra/signals.h
 *     Graceful stop and log reopening for the long-running commands.
 *
 * SIGTERM and SIGINT ask the command to stop at the next safe point (after
 * the current batch is committed and acknowledged, or the current request
 * recorded); SIGHUP asks it to reopen its log file.  The handlers only set
 * flags, and are installed without SA_RESTART so that a wait (sleep, poll
 * of the database socket) returns early and the loop looks at the flags.
 * Installs nest: sync installs once around import and export, and a stop
 * asked for during import is still seen by export.
 */
#ifndef CENTRA_SIGNALS_H
#define CENTRA_SIGNALS_H

#include <stdbool.h>

/* Install the handlers (outermost call: clear the flags and save the old dispositions). */
void sig_install(void);

/* Undo one sig_install; the outermost restores the old dispositions. */
void sig_restore(void);

/* Whether a stop was asked for (SIGTERM, SIGINT or sig_request_stop). */
bool sig_stop_requested(void);

/* The signal that asked for the stop; 0 when none. */
int sig_stop_signal(void);

/* Ask for a stop as a signal would. */
void sig_request_stop(void);

/* Whether SIGHUP came since the last call (and forget it). */
bool sig_take_hup(void);

/*
 * At a safe point: reopen the log file when SIGHUP came.  Returns whether a
 * stop was asked for.
 */
bool sig_service(void);

/* Sleep ms milliseconds, or less when a stop is asked for; services SIGHUP meanwhile. */
void sig_sleep_ms(long long ms);

#endif /* CENTRA_SIGNALS_H */
