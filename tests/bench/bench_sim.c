/*
 * tests/bench/bench_sim.c
 *     How fast centra-sim serves a queue: N generated order events drained
 *     by a client that only reads each events_Get answer (100 events) and
 *     acknowledges it, over one keep-alive connection.  Prints events/s,
 *     calls/s, MB/s and the simulator's memory.  Target (issue 3): 100k
 *     events well under 10 s on the 2-core reference machine.
 *
 * Usage: bench_sim [ORDERS]   (default 100000)
 *        bench_sim --url URL  drain a running centra-sim (default login, or
 *                             CENTRA_SIM_PASSWORD) and print the events drained:
 *                             the command-line test drains `centra-sim --orders
 *                             1000` with it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <curl/curl.h>

#include "benchutil.h"
#include "centra/backoff.h"
#include "centra/dynbuf.h"
#include "centra/log.h"
#include "sim_server_int.h"

int
main(int argc, char **argv)
{
    bool external = argc > 2 && strcmp(argv[1], "--url") == 0;
    size_t orders = argc > 1 && !external ? (size_t)strtoul(argv[1], NULL, 10) : 100000;
    const char *url;
    static const char head[] =
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>";
    SimOptions o;
    SimServer srv;
    Error err;
    CURL *c;
    DynBuf answer;
    DynBuf req;
    size_t events = 0;
    size_t calls = 0;
    double bytes = 0;
    long long t0;
    long long t_gen;
    double secs;
    struct rusage ru;

    log_set_level(LOG_LEVEL_WARN);
    sim_options_default(&o);
    o.orders = orders;
    if (external && getenv("CENTRA_SIM_PASSWORD") != NULL)
        o.password = getenv("CENTRA_SIM_PASSWORD");
    t0 = backoff_now_ms();
    if (!external && sim_server_start(&srv, &o, &err) != ERR_OK) {
        fprintf(stderr, "bench_sim: %s\n", err.message);
        return 1;
    }
    url = external ? argv[2] : srv.url;
    t_gen = backoff_now_ms() - t0;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    c = curl_easy_init();
    dynbuf_init(&answer, 1024u * 1024 * 1024);
    dynbuf_init(&req, 64u * 1024 * 1024);
    t0 = backoff_now_ms();
    for (;;) {
        size_t n;

        dynbuf_reset(&req);
        dynbuf_addf(&req,
                    "%s<events_GetRequest xmlns=\"%s\"><login><username>%s</username><password>"
                    "%s</password></login><type>all</type></events_GetRequest></soap:Body>"
                    "</soap:Envelope>",
                    head, SIM_NS_CENTRA, o.username, o.password);
        if (bench_post(c, url, dynbuf_str(&req), &answer) != 200) {
            fprintf(stderr, "bench_sim: events_Get failed\n");
            return 1;
        }
        calls++;
        bytes += (double)dynbuf_len(&answer);
        dynbuf_reset(&req);
        dynbuf_addf(&req,
                    "%s<events_Done xmlns=\"%s\"><login><username>%s</username><password>%s"
                    "</password></login>",
                    head, SIM_NS_CENTRA, o.username, o.password);
        n = bench_ack_list(dynbuf_str(&answer), &req);
        if (n == 0)
            break;
        events += n;
        dynbuf_addstr(&req, "</events_Done></soap:Body></soap:Envelope>");
        if (bench_post(c, url, dynbuf_str(&req), &answer) != 200) {
            fprintf(stderr, "bench_sim: events_Done failed\n");
            return 1;
        }
        calls++;
    }
    secs = (double)(backoff_now_ms() - t0) / 1000.0;
    if (external) {
        printf("drained %zu events in %zu calls\n", events, calls);
        dynbuf_free(&answer);
        dynbuf_free(&req);
        curl_easy_cleanup(c);
        curl_global_cleanup();
        return events > 0 ? 0 : 1;
    }
    getrusage(RUSAGE_SELF, &ru);
    printf("centra-sim drain benchmark\n");
    printf("  %-26s %zu order events (%zu events in all)\n", "queue:", orders, events);
    printf("  %-26s %.0f ms\n", "start-up (plan, catalog):", (double)t_gen);
    printf("  %-26s %.2f s   (target: well under 10 s for 100k)\n", "drain:", secs);
    printf("  %-26s %.0f events/s, %.0f calls/s\n", "rate:", (double)events / secs,
           (double)calls / secs);
    printf("  %-26s %.1f MB served, %.1f MB/s\n", "volume:", bytes / 1e6, bytes / 1e6 / secs);
    printf("  %-26s %ld MB (client and server in one process)\n", "peak RSS:", ru.ru_maxrss / 1024);
    dynbuf_free(&answer);
    dynbuf_free(&req);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    sim_server_stop(&srv);
    return events >= orders ? 0 : 1;
}
