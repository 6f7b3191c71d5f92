/*
 * src/util/signals.c
 *     Stop and reopen flags set by signal handlers (see signals.h).
 */
#include "centra/signals.h"

#include <signal.h>
#include <string.h>

#include "centra/backoff.h"
#include "centra/log.h"

#define SLICE_MS 1000 /* longest sleep without looking at the flags */

static volatile sig_atomic_t stop_signal; /* the signal that asked for a stop; 0 none */
static volatile sig_atomic_t hup_pending;
static int install_depth;
static struct sigaction old_term;
static struct sigaction old_int;
static struct sigaction old_hup;

static void
on_stop(int sig)
{
    stop_signal = sig;
}

static void
on_hup(int sig)
{
    (void)sig;
    hup_pending = 1;
}

void
sig_install(void)
{
    struct sigaction sa;

    if (install_depth++ > 0)
        return;
    stop_signal = 0;
    hup_pending = 0;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    (void)sigaction(SIGTERM, &sa, &old_term);
    (void)sigaction(SIGINT, &sa, &old_int);
    sa.sa_handler = on_hup;
    (void)sigaction(SIGHUP, &sa, &old_hup);
}

void
sig_restore(void)
{
    if (install_depth == 0 || --install_depth > 0)
        return;
    (void)sigaction(SIGTERM, &old_term, NULL);
    (void)sigaction(SIGINT, &old_int, NULL);
    (void)sigaction(SIGHUP, &old_hup, NULL);
}

bool
sig_stop_requested(void)
{
    return stop_signal != 0;
}

int
sig_stop_signal(void)
{
    return stop_signal;
}

void
sig_request_stop(void)
{
    stop_signal = SIGTERM;
}

bool
sig_take_hup(void)
{
    if (!hup_pending)
        return false;
    hup_pending = 0;
    return true;
}

bool
sig_service(void)
{
    if (sig_take_hup())
        log_reopen();
    return sig_stop_requested();
}

void
sig_sleep_ms(long long ms)
{
    long long until = backoff_now_ms() + ms;

    while (!sig_service()) {
        long long left = until - backoff_now_ms();

        if (left <= 0)
            break;
        /* Slices: a signal between the check and the sleep costs a second at most. */
        (void)backoff_sleep_ms(left < SLICE_MS ? left : SLICE_MS);
    }
}
