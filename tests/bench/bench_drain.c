/*
 * tests/bench/bench_drain.c
 *     The physical limits of an import, measured over the same bytes: a
 *     client that only drains a running centra-sim (events_Get, then
 *     events_Done of the ids found by a cheap scan, no XML parser, until the
 *     queue is empty), and, timed apart, raw expat and the event parser
 *     over every answer it received.
 *
 * Usage: bench_drain URL [--parse]
 *
 * The login is CENTRA_USERNAME / CENTRA_PASSWORD (default centra-sim).  The
 * drain time counts only the HTTP calls; with --parse each answer is then
 * also fed, in 16 kB chunks as libcurl hands them over, to raw expat and to
 * the event parser (with a sink that only counts), each timed on its own.
 * Prints a human summary and one line for scripts:
 *   drain events=N calls=N bytes=N secs=S expat_secs=S parser_secs=S
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "benchutil.h"
#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "centra/eventparser.h"

#define NS "http://www.centra.com/webservices/"
#define ENV_BEG                                                                                    \
    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
#define ENV_END "</soap:Body></soap:Envelope>"

/* A sink's counts go to events. */
static double
event_parser(const char *data, size_t len, long long *events)
{
    EvpSink sink = evp_count_sink(events);

    return bench_event_parser_s(data, len, &sink, "bench_drain");
}

int
main(int argc, char **argv)
{
    const char *user = getenv("CENTRA_USERNAME") ? getenv("CENTRA_USERNAME") : "centra-sim";
    const char *pass = getenv("CENTRA_PASSWORD") ? getenv("CENTRA_PASSWORD") : "centra-sim";
    int parse = argc > 2 && strcmp(argv[2], "--parse") == 0;
    DynBuf answer;
    DynBuf req;
    DynBuf get;
    DynBuf ack;
    CURL *c;
    long long events = 0;
    long long parsed = 0;
    long long calls = 0;
    double bytes = 0;
    double secs = 0;
    double expat_secs = 0;
    double parser_secs = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_drain URL [--parse]\n");
        return 64;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, argv[1]);
    dynbuf_init(&answer, 1024u * 1024 * 1024);
    dynbuf_init(&req, 64u * 1024 * 1024);
    dynbuf_init(&get, 64u * 1024);
    dynbuf_init(&ack, 64u * 1024 * 1024);
    dynbuf_addf(&get,
                ENV_BEG
                "<events_GetRequest xmlns=\"" NS "\"><login><username>%s</username>"
                "<password>%s</password></login><type>all</type></events_GetRequest>" ENV_END,
                user, pass);
    for (;;) {
        double t0 = bench_now_s();
        size_t n;

        if (bench_post(c, NULL, dynbuf_str(&get), &answer) != 200) {
            fprintf(stderr, "bench_drain: events_Get failed\n");
            return 1;
        }
        calls++;
        bytes += (double)dynbuf_len(&answer);
        dynbuf_reset(&req);
        dynbuf_addf(&req,
                    ENV_BEG "<events_Done xmlns=\"" NS "\"><login><username>%s</username>"
                            "<password>%s</password></login>",
                    user, pass);
        n = bench_ack_list(dynbuf_str(&answer), &req);
        if (n == 0) {
            secs += bench_now_s() - t0;
            break;
        }
        events += (long long)n;
        dynbuf_addstr(&req, "</events_Done>" ENV_END);
        if (bench_post(c, NULL, dynbuf_str(&req), &ack) != 200) {
            fprintf(stderr, "bench_drain: events_Done failed\n");
            return 1;
        }
        calls++;
        secs += bench_now_s() - t0;
        if (parse) {
            expat_secs += bench_raw_expat_s(dynbuf_str(&answer), dynbuf_len(&answer));
            parser_secs += event_parser(dynbuf_str(&answer), dynbuf_len(&answer), &parsed);
        }
    }
    printf("drain-only client: %lld events in %lld calls, %.1f MB\n", events, calls, bytes / 1e6);
    printf("  drain:         %8.0f events/s  %8.1f MB/s\n", (double)events / secs,
           bytes / 1e6 / secs);
    if (parse) {
        printf("  raw expat:     %8.0f events/s  %8.1f MB/s (same answers)\n",
               (double)events / expat_secs, bytes / 1e6 / expat_secs);
        printf("  event parser:  %8.0f events/s  %8.1f MB/s (%lld events parsed)\n",
               (double)events / parser_secs, bytes / 1e6 / parser_secs, parsed);
    }
    printf("drain events=%lld calls=%lld bytes=%.0f secs=%.3f expat_secs=%.3f parser_secs=%.3f\n",
           events, calls, bytes, secs, expat_secs, parser_secs);
    dynbuf_free(&answer);
    dynbuf_free(&req);
    dynbuf_free(&get);
    dynbuf_free(&ack);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    return events > 0 ? 0 : 1;
}
