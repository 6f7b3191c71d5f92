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

#endif /* CENTRA_BACKOFF_H */
