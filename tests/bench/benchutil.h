/*
 * tests/bench/benchutil.h
 *     What the C benchmarks share: a clock, the two parsers timed over one
 *     answer fed in 16 kB chunks (as libcurl hands them over), and a bare
 *     SOAP client (a POST, and the events_Done list of an events_Get answer
 *     found by a scan, not a parser).
 */
#ifndef TESTS_BENCH_BENCHUTIL_H
#define TESTS_BENCH_BENCHUTIL_H

#include <stddef.h>

#include <curl/curl.h>

#include "centra/dynbuf.h"
#include "centra/eventparser.h"

#define BENCH_CHUNK 16384 /* bytes fed to a parser at a time */

/* Monotonic time in seconds. */
double bench_now_s(void);

/* Seconds raw expat (namespace-aware, no handlers) takes over data[0..len). */
double bench_raw_expat_s(const char *data, size_t len);

/*
 * Seconds the event parser takes over data[0..len) into sink; an error is
 * printed to stderr after "who: ".
 */
double bench_event_parser_s(const char *data, size_t len, const EvpSink *sink, const char *who);

/*
 * POST body (to url, or the URL already set on c when url is NULL); the
 * answer lands in out.  Returns the HTTP status, 0 when there is no answer.
 */
long bench_post(CURL *c, const char *url, const char *body, DynBuf *out);

/*
 * Append "<event>ID</event>" to ack for each event of an events_Get answer
 * (elements with a namespace prefix, any prefix, as Centra and centra-sim
 * answer); returns how many.
 */
size_t bench_ack_list(const char *answer, DynBuf *ack);

#endif /* TESTS_BENCH_BENCHUTIL_H */
