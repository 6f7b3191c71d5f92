/*
 * tests/integration/simtest.h
 *     HTTP and SOAP helpers for tests that talk to centra-sim with libcurl.
 */
#ifndef TESTS_INTEGRATION_SIMTEST_H
#define TESTS_INTEGRATION_SIMTEST_H

#include <stdbool.h>

#include <curl/curl.h>

#include "centra/dynbuf.h"
#include "centra/xmltree.h"
#include "sim_server_int.h"

typedef struct HttpResult {
    long status;             /* HTTP status, 0 if none was received */
    CURLcode curl;           /* transfer result */
    DynBuf body;             /* body received (possibly partial) */
    char retry_after[32];    /* Retry-After header */
    char request_id[64];     /* X-Centra-Request-ID header */
    char correlation_id[64]; /* X-Correlation-ID header */
    double seconds;          /* total time */
} HttpResult;

/* POST body (or GET when body is NULL) to url. */
void http_request(const char *url, const char *body, HttpResult *out);

/* As http_request, with the SOAPAction header given (NULL: none sent). */
void http_request_action(const char *url, const char *body, const char *soap_action,
                         HttpResult *out);
void http_result_free(HttpResult *r);

/*
 * A SOAP envelope calling op with login user/pass and inner (the elements
 * after <login>).  prefixed: every element in "ns1:" (the reference's
 * style); otherwise a default xmlns on the operation (the guide's style).
 * Caller frees with xfree.
 */
char *soap_envelope(const char *ns, const char *op, bool prefixed, const char *user,
                    const char *pass, const char *inner);

/* POST a guide-style request for op with the simulator's default login. */
void sim_soap_call(const SimServer *srv, const char *op, const char *inner, HttpResult *out);

/* Parse a body that must be well-formed; returns the operation element in Body (owned by *root). */
const XmlNode *soap_parse(const HttpResult *r, XmlNode **root);

/* "http://127.0.0.1:PORT" + path, in buf. */
const char *sim_admin_url(const SimServer *srv, const char *path, char *buf, size_t size);

/* Start a simulator with defaults changed by the caller's options (or NULL). */
void simtest_start(SimServer *srv, const SimOptions *opts);

/* A result answer: success flag, the first error and notice, and how many of each. */
typedef struct SimAnswer {
    char success[8];
    char error[1024];
    char notice[1024];
    int nerrors;
    int nnotices;
} SimAnswer;

/* Call update operation op (inner: the elements after <login>); asserts HTTP 200 and a <result>. */
SimAnswer sim_update_call(const SimServer *srv, const char *op, const char *inner);

/* Ids of the events in an events_Get answer, in order; returns how many. */
size_t events_ids(const XmlNode *op, long long *ids, size_t max);

/* Acknowledge ids with events_Done; asserts success. */
void events_done(const SimServer *srv, const long long *ids, size_t n);

#endif /* TESTS_INTEGRATION_SIMTEST_H */
