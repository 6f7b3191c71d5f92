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

#include <expat.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/eventparser.h"

#define CHUNK 16384

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

static double
raw_expat(const char *data, size_t len)
{
    XML_Parser xp = XML_ParserCreateNS("UTF-8", '\x01');
    long long t0 = backoff_now_ms();

    for (size_t off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;

        if (XML_Parse(xp, data + off, (int)n, XML_FALSE) != XML_STATUS_OK)
            break;
    }
    (void)XML_Parse(xp, "", 0, XML_TRUE);
    XML_ParserFree(xp);
    return (double)(backoff_now_ms() - t0);
}

static double
event_parser(const char *data, size_t len, Counter *c)
{
    EvpLimits lim = {1LL << 40, 8 << 20, 64};
    EvpSink sink = {on_pbegin, on_pdata, on_pend, on_record, on_event, c};
    EvParser *p = evp_new(&lim, &sink);
    long long t0 = backoff_now_ms();
    Error err;

    err_reset(&err);
    for (size_t off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;

        if (evp_feed(p, data + off, n, &err) != ERR_OK)
            break;
    }
    if (evp_finish(p, &err) != ERR_OK)
        fprintf(stderr, "bench_parse: %s\n", err.message);
    evp_free(p);
    return (double)(backoff_now_ms() - t0);
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
        double r = raw_expat(data, len);
        double e;

        memset(&c, 0, sizeof(c));
        e = event_parser(data, len, &c);
        best_raw = r < best_raw ? r : best_raw;
        best_evp = e < best_evp ? e : best_evp;
    }
    if (best_raw < 1)
        best_raw = 1;
    if (best_evp < 1)
        best_evp = 1;
    printf("parse: %.1f MB, %lld events, %lld records\n", (double)len / 1e6, c.events, c.records);
    printf("  raw expat:     %8.1f MB/s\n", (double)len / 1e3 / best_raw);
    printf("  event parser:  %8.1f MB/s  (%.0f%% of raw expat; %.0f events/s)\n",
           (double)len / 1e3 / best_evp, 100.0 * best_raw / best_evp,
           (double)c.events * 1000.0 / best_evp);
    xfree(data);
    return 0;
}
