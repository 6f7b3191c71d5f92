/*
 * src/util/backoff.c
 *     Exponential backoff with jitter (see backoff.h).
 */
#include "centra/backoff.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

static uint64_t
xorshift64(uint64_t *s)
{
    uint64_t x = *s != 0 ? *s : 0x9E3779B97F4A7C15ULL;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

long long
backoff_delay_ms(long long base_ms, long long cap_ms, int attempt, uint64_t *rng)
{
    long long d = base_ms < 1 ? 1 : base_ms;
    long long half;

    for (int i = 0; i < attempt && d < cap_ms; i++)
        d *= 2;
    if (d > cap_ms)
        d = cap_ms;
    half = d / 2;
    return d - half + (long long)(xorshift64(rng) % (uint64_t)(half + 1));
}

uint64_t
backoff_seed(void)
{
    struct timespec ts;
    uint64_t z;

    clock_gettime(CLOCK_REALTIME, &ts);
    z = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 17);
    /* splitmix64 finalizer: every input bit affects every output bit */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

long long
backoff_sleep_ms(long long ms)
{
    struct timespec req;
    struct timespec rem;

    if (ms <= 0)
        return 0;
    req.tv_sec = (time_t)(ms / 1000);
    req.tv_nsec = (long)(ms % 1000) * 1000000L;
    if (nanosleep(&req, &rem) == 0)
        return 0;
    if (errno != EINTR)
        return 0;
    return (long long)rem.tv_sec * 1000 + rem.tv_nsec / 1000000L + 1;
}

long long
backoff_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000L;
}

static void (*retry_hook)(const char *message);

void
backoff_set_retry_hook(void (*hook)(const char *message))
{
    retry_hook = hook;
}

void
backoff_note_retry(const char *message)
{
    if (retry_hook != NULL)
        retry_hook(message);
}
