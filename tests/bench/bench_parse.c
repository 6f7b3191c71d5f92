/*
 * tests/bench/bench_parse.c
 *     Parse-only rate of the event parser against raw expat over the same
 *     bytes: bench_parse FILE [ROUNDS] prints MB/s of both and the share.
 *
 * The file is a saved events_Get answer; it is fed in 16 kB chunks, as
 * libcurl hands them over.  The event parser writes to a sink that only
 * counts, so the figure is the parser's own cost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "centra/alloc.h"
#include "centra/eventparser.h"

typedef struct Counter {
    long long records; /* records seen */
    long long events;  /* events seen */
    long long payload; /* payload bytes */
} Counter;

static ErrKind
on_pbegin(void *arg, int seq, Error *err)
{
    (void)arg;
    (void)seq;
    (void)err;
    return ERR_OK;
}

static ErrKind
on_pdata(void *arg, const char *data, size_t len, Error *err)
{
    (void)data;
    (void)err;
    ((Counter *)arg)->payload += (long long)len;
    return ERR_OK;
}

static ErrKind
on_pend(void *arg, Error *err)
{
    (void)arg;
    (void)err;
    return ERR_OK;
}

static ErrKind
on_record(void *arg, const EvpRecord *r, Error *err)
{
    (void)r;
    (void)err;
    ((Counter *)arg)->records++;
    return ERR_OK;
}

static ErrKind
on_event(void *arg, const EvpEvent *ev, EvParser *p, Error *err)
{
    (void)ev;
    (void)p;
    (void)err;
    ((Counter *)arg)->events++;
    return ERR_OK;
}

static char *
read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
        fprintf(stderr, "bench_parse: cannot read %s\n", path);
        exit(1);
    }
    rewind(f);
    buf = xmalloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

int
main(int argc, char **argv)
{
    size_t len;
    char *data;
    int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
    double best_raw = 1e18;
    double best_evp = 1e18;
    Counter c;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_parse FILE [ROUNDS]\n");
        return 64;
    }
    data = read_file(argv[1], &len);
    for (int i = 0; i < rounds; i++) {
        double r = bench_raw_expat_s(data, len);
        EvpSink sink = {on_pbegin, on_pdata, on_pend, on_record, on_event, &c};
        double e;

        memset(&c, 0, sizeof(c));
        e = bench_event_parser_s(data, len, &sink, "bench_parse");
        best_raw = r < best_raw ? r : best_raw;
        best_evp = e < best_evp ? e : best_evp;
    }
    /* In ms from here on, at least 1. */
    best_raw = best_raw * 1000 < 1 ? 1 : best_raw * 1000;
    best_evp = best_evp * 1000 < 1 ? 1 : best_evp * 1000;
    printf("parse: %.1f MB, %lld events, %lld records\n", (double)len / 1e6, c.events, c.records);
    printf("  raw expat:     %8.1f MB/s\n", (double)len / 1e3 / best_raw);
    printf("  event parser:  %8.1f MB/s  (%.0f%% of raw expat; %.0f events/s)\n",
           (double)len / 1e3 / best_evp, 100.0 * best_raw / best_evp,
           (double)c.events * 1000.0 / best_evp);
    xfree(data);
    return 0;
}
