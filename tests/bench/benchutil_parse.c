/*
 * tests/bench/benchutil_parse.c
 *     The clock and the timed parsers of benchutil.h.
 */
#include <stdio.h>
#include <time.h>

#include <expat.h>

#include "benchutil.h"

double
bench_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
bench_raw_expat_s(const char *data, size_t len)
{
    double t0 = bench_now_s();
    XML_Parser xp = XML_ParserCreateNS("UTF-8", '\x01');

    for (size_t off = 0; off < len; off += BENCH_CHUNK) {
        size_t n = len - off < BENCH_CHUNK ? len - off : BENCH_CHUNK;

        if (XML_Parse(xp, data + off, (int)n, XML_FALSE) != XML_STATUS_OK)
            break;
    }
    (void)XML_Parse(xp, "", 0, XML_TRUE);
    XML_ParserFree(xp);
    return bench_now_s() - t0;
}

double
bench_event_parser_s(const char *data, size_t len, const EvpSink *sink, const char *who)
{
    double t0 = bench_now_s();
    EvpLimits lim = {1LL << 40, 8 << 20, 64};
    EvParser *p = evp_new(&lim, sink);
    Error err;

    err_reset(&err);
    for (size_t off = 0; off < len; off += BENCH_CHUNK) {
        size_t n = len - off < BENCH_CHUNK ? len - off : BENCH_CHUNK;

        if (evp_feed(p, data + off, n, &err) != ERR_OK)
            break;
    }
    if (evp_finish(p, &err) != ERR_OK)
        fprintf(stderr, "%s: event parser: %s\n", who, err.message);
    evp_free(p);
    return bench_now_s() - t0;
}
