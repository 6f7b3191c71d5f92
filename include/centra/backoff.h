/*
 * include/centra/backoff.h
 *     Exponential backoff with jitter, shared by the database and HTTP retries.
 */
#ifndef CENTRA_BACKOFF_H
#define CENTRA_BACKOFF_H

#include <stdint.h>

/*
 * Delay before retry number attempt (0 for the first retry): base * 2^attempt
 * capped at cap, then drawn uniformly from the upper half of that ("equal
 * jitter"), so concurrent clients spread out but never retry at once.
 * *rng is the caller's random state; seed it with backoff_seed.
 */
long long backoff_delay_ms(long long base_ms, long long cap_ms, int attempt, uint64_t *rng);

/* A seed that differs between processes and runs. */
uint64_t backoff_seed(void);

/*
 * Sleep ms milliseconds.  Returns early (with the time left, > 0) when a
 * signal arrives, so a daemon can stop promptly; 0 when the full time passed.
 */
long long backoff_sleep_ms(long long ms);

/* Milliseconds on the monotonic clock, for deadlines. */
long long backoff_now_ms(void);

/*
 * A failed attempt about to be waited out and retried (message as the user
 * reads it): passed to the hook backoff_set_retry_hook set, if any.  The
 * daemon's workers set one (runs.c), so /healthz shows an outage while the
 * database or Centra is retried, not only once the retries are used up.
 */
void backoff_note_retry(const char *message);
void backoff_set_retry_hook(void (*hook)(const char *message));

#endif /* CENTRA_BACKOFF_H */
