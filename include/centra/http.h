/*
 * include/centra/http.h
 *     HTTP transport for the SOAP client: an interface (so unit tests can
 *     plug in a fake without sockets) and its libcurl implementation.
 *
 * What it guarantees:
 * - The response body is handed to a sink chunk by chunk, from libcurl's
 *   write callback; it is never held whole in memory here.
 * - One handle is reused across requests, so keep-alive connections are
 *   reused.  Connect and total timeouts apply to every request.
 * - TLS verification is on unless the options turn it off; a private CA
 *   bundle can be given.
 * - Transport failures are classified once, here: connection refused or
 *   reset, DNS, timeouts and a body cut short are ERR_CENTRA_UNAVAILABLE
 *   (retryable); a certificate that cannot be verified is ERR_CENTRA_TLS.
 *   The HTTP status itself is not judged: the caller sees it in HttpResponse.
 */
#ifndef CENTRA_HTTP_H
#define CENTRA_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "centra/attrs.h"
#include "centra/error.h"

#define HTTP_ID_MAX       128  /* longest request/correlation id kept */
#define HTTP_LOCATION_MAX 1024 /* longest Location kept */

typedef struct HttpOptions {
    long long connect_timeout_ms; /* per connection attempt */
    long long timeout_ms;         /* whole request, body included */
    const char *ca_file;          /* PEM bundle; NULL: the system's CAs (borrowed) */
    bool verify_tls;              /* verify peer certificate and host name */
    bool compress;                /* ask for a compressed answer (Accept-Encoding) */
} HttpOptions;

typedef struct HttpRequest {
    const char *url;         /* absolute http:// or https:// URL */
    const char *soap_action; /* SOAPAction value without quotes; NULL: no header */
    const char *body;        /* request body (text/xml; charset=utf-8) */
    size_t body_len;         /* its length */
    const char *log_name;    /* operation name for log lines, e.g. "events_Get" */
} HttpRequest;

typedef struct HttpResponse {
    long status;                      /* HTTP status; 0 when none was received */
    char request_id[HTTP_ID_MAX];     /* X-Centra-Request-ID, "" when absent */
    char correlation_id[HTTP_ID_MAX]; /* X-Correlation-ID, "" when absent */
    long long retry_after_ms;         /* Retry-After (seconds or HTTP date), -1 when absent */
    char location[HTTP_LOCATION_MAX]; /* where a redirect points, absolute, without a user or
                                         password; "" when none */
    long long body_bytes;             /* body bytes received (unpacked) */
    long long wire_bytes;             /* body bytes as sent (compressed, when it was) */
    long long elapsed_ms;             /* time the request took */
    bool uploaded;                    /* the whole request body reached the connection */
} HttpResponse;

/*
 * Receives the response body.  begin is called once the status and headers
 * are known, before the first chunk (also for an empty body); chunk for each
 * piece of body as libcurl delivers it.  A non-OK return stops the transfer
 * and becomes the request's result (with the sink's Error).
 */
typedef struct HttpSink {
    ErrKind (*begin)(void *arg, const HttpResponse *resp, Error *err);
    ErrKind (*chunk)(void *arg, const char *data, size_t len, Error *err);
    void *arg;
} HttpSink;

typedef struct HttpTransport HttpTransport;

typedef struct HttpTransportOps {
    /*
     * POST req and stream the answer into sink; resp is filled as far as
     * known, also on failure.  Returns ERR_OK when a complete response was
     * received (whatever its status), the sink's error when the sink stopped
     * it, or a transport error (see above) with a message naming the URL
     * (without credentials) and libcurl's explanation.
     */
    ErrKind (*post)(HttpTransport *t, const HttpRequest *req, const HttpSink *sink,
                    HttpResponse *resp, Error *err);
    /* Free the transport. */
    void (*free)(HttpTransport *t);
} HttpTransportOps;

struct HttpTransport {
    const HttpTransportOps *ops; /* the implementation */
};

/*
 * ERR_CONFIG, naming CENTRA_CA_FILE, unless path is a file that can be read
 * and holds a PEM certificate ("-----BEGIN CERTIFICATE-----").  http_curl_new
 * and "check" call it.
 */
ErrKind http_check_ca_file(const char *path, Error *err) CB_MUSTCHECK;

/*
 * A libcurl transport.  *out is freed with http_free.  Errors: ERR_CONFIG
 * when the CA file is not usable (http_check_ca_file), ERR_INTERNAL when
 * libcurl cannot start.
 */
ErrKind http_curl_new(const HttpOptions *opts, HttpTransport **out, Error *err) CB_MUSTCHECK;

/*
 * Connections a libcurl transport has opened so far (a reused keep-alive
 * connection counts once); -1 when t is not a libcurl transport.
 */
long long http_curl_connections(const HttpTransport *t);

/* Run one request through t (t->ops->post). */
ErrKind http_post(HttpTransport *t, const HttpRequest *req, const HttpSink *sink,
                  HttpResponse *resp, Error *err) CB_MUSTCHECK;

/* Free t; http_free(NULL) is a no-op. */
void http_free(HttpTransport *t);

/*
 * Parse a Retry-After value: delta seconds or an HTTP date (relative to
 * now_epoch_s).  Returns milliseconds (0 for a date in the past), or -1 when
 * it cannot be parsed.
 */
long long http_parse_retry_after(const char *value, long long now_epoch_s);

#endif /* CENTRA_HTTP_H */
