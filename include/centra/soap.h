/*
 * include/centra/soap.h
 *     The SOAP 1.1 client for Centra's ERP API: envelopes, one call with its
 *     errors classified, retries with backoff, and the update answer.
 *
 * What it guarantees:
 * - Requests are SOAP 1.1 envelopes (text/xml; charset=utf-8) with the
 *   SOAPAction "<namespace><Operation>" (first letter capital, e.g.
 *   "http://www.centra.com/webservices/Events_Get") and <login> as the first
 *   child of the operation element.  The navision flavor uses the namespace
 *   http://www.silkvms.com/webservices/.
 * - Every value written into a request is escaped; the password never
 *   appears in a log line or an error (request bodies are logged at trace
 *   level with it masked).
 * - A successful (2xx) answer streams into the caller's sink.  Any other
 *   answer is read into a small bounded buffer and classified: a SOAP Fault
 *   whose text says the login failed, HTTP 401 or 403: ERR_CENTRA_AUTH (exit
 *   77); a fault with a Server faultcode, HTTP 408, 429 and 5xx:
 *   ERR_CENTRA_UNAVAILABLE (retryable; Retry-After honoured); other faults:
 *   ERR_CENTRA_FAULT with Centra's faultstring; anything else:
 *   ERR_CENTRA_FAULT with the status and the start of the body.
 * - Both documented shapes of an update answer are understood:
 *   <result><success>true|false</success><errors/><notices/></result> and
 *   <xxxUpdateResponse>OK</xxxUpdateResponse>.
 */
#ifndef CENTRA_SOAP_H
#define CENTRA_SOAP_H

#include <stdbool.h>
#include <stddef.h>

#include "centra/attrs.h"
#include "centra/config.h"
#include "centra/dynbuf.h"
#include "centra/error.h"
#include "centra/http.h"

#define SOAP_NS_CENTRA       "http://www.centra.com/webservices/"
#define SOAP_NS_NAVISION     "http://www.silkvms.com/webservices/"
#define SOAP_NS_ENVELOPE     "http://schemas.xmlsoap.org/soap/envelope/"

#define SOAP_ERROR_BODY_MAX  (64 * 1024)       /* bytes of a non-2xx answer that are read */
#define SOAP_UPDATE_BODY_MAX (4 * 1024 * 1024) /* bytes of an update answer that are read */
#define SOAP_RETRY_MAX_MS    60000             /* retry_max_ms from the configuration */

typedef enum SoapFlavor {
    SOAP_FLAVOR_SOAP,    /* the current endpoint, namespace SOAP_NS_CENTRA */
    SOAP_FLAVOR_NAVISION /* the legacy endpoints, namespace SOAP_NS_NAVISION */
} SoapFlavor;

typedef struct SoapOptions {
    const char *url;          /* CENTRA_URL (borrowed) */
    const char *username;     /* CENTRA_USERNAME (borrowed) */
    const char *password;     /* CENTRA_PASSWORD (borrowed; secret) */
    SoapFlavor flavor;        /* CENTRA_FLAVOR */
    int retries;              /* attempts after the first for retryable failures */
    long long retry_delay_ms; /* first backoff delay; doubles up to retry_max_ms */
    long long retry_max_ms;   /* largest backoff delay (a longer Retry-After still wins) */
    int rate_limit;           /* CENTRA_RATE_LIMIT: requests per second, 0 none */
} SoapOptions;

typedef struct SoapClient SoapClient;

/* The answer to an update (or events_Done). */
typedef struct SoapUpdateResult {
    bool success;    /* <success>true, or the OK shape */
    char **errors;   /* <errors><message> texts (owned), nerrors of them */
    size_t nerrors;  /* number of errors */
    char **notices;  /* <notices><message> texts (owned), nnotices of them */
    size_t nnotices; /* number of notices */
} SoapUpdateResult;

/*
 * Fill opts from the configuration (strings borrowed from cfg).  Errors
 * (ERR_CONFIG): CENTRA_URL, CENTRA_USERNAME or CENTRA_PASSWORD unset; a
 * CENTRA_URL whose path names the other CENTRA_FLAVOR's endpoint
 * (".../module/navision/" with soap, ".../module/soap/" with navision).
 */
ErrKind soap_options_from_config(SoapOptions *opts, const Config *cfg, Error *err) CB_MUSTCHECK;

/*
 * The rate limit is shared by n processes that each call Centra (export
 * --jobs, run's workers): each keeps to 1/n of it.  Set before the clients
 * are made; a process started by exec reads it from SOAP_RATE_SHARE_ENV.
 */
#define SOAP_RATE_SHARE_ENV "CB_RATE_SHARE" /* not CENTRA_: that prefix is for settings */
void soap_set_rate_share(int n);

/*
 * New client over transport t, which it takes over (freed with the client,
 * also on error).  Strings of opts are copied.  Logs a warning when the URL
 * is plain http://.  Caller frees *out with soap_client_free.
 */
ErrKind soap_client_new(const SoapOptions *opts, HttpTransport *t, SoapClient **out,
                        Error *err) CB_MUSTCHECK;

/*
 * soap_options_from_config plus a libcurl transport with the configured
 * timeouts, CA file and TLS verification.
 */
ErrKind soap_client_from_config(const Config *cfg, SoapClient **out, Error *err) CB_MUSTCHECK;

/* The same, retrying at most max_retries times (less when configured so); -1: as configured. */
ErrKind soap_client_from_config_retries(const Config *cfg, int max_retries, SoapClient **out,
                                        Error *err) CB_MUSTCHECK;

/* Free c and its transport; soap_client_free(NULL) is a no-op. */
void soap_client_free(SoapClient *c);

/* The namespace of c's flavor. */
const char *soap_namespace(const SoapClient *c);

/* The endpoint URL. */
const char *soap_url(const SoapClient *c);

/*
 * Start a request into out: XML declaration, Envelope, Body, the operation
 * element (default namespace of the flavor) and <login>.  element is the
 * request element, e.g. "events_GetRequest", "events_Done", "orders_Update".
 * The caller appends the operation's children, then calls soap_request_end.
 */
void soap_request_begin(const SoapClient *c, DynBuf *out, const char *element);

/* Close what soap_request_begin opened. */
void soap_request_end(const SoapClient *c, DynBuf *out, const char *element);

/*
 * The SOAPAction value (without quotes) of operation in buf: the flavor's
 * namespace and the operation with its first letter upper-cased, e.g.
 * "http://www.centra.com/webservices/Events_Get".  Returns buf.
 */
const char *soap_action(const SoapClient *c, const char *operation, char *buf, size_t size);

/*
 * Append to out a copy of the len bytes of body in which the content of
 * every password element (any prefix) reads "********", for logging.
 */
void soap_mask_passwords(const char *body, size_t len, DynBuf *out);

/*
 * Request bodies of the event operations.  type is an event type ("all",
 * "order", ...); markets (n of them) switches to events_GetByMarkets when
 * n > 0.
 */
void soap_build_events_get(const SoapClient *c, DynBuf *out, const char *type,
                           const char *const *markets, size_t n);
void soap_build_events_done(const SoapClient *c, DynBuf *out, const long long *ids, size_t n);

/*
 * One attempt: POST body as operation (e.g. "events_Get", used for the
 * SOAPAction and in messages).  A 2xx answer streams into sink (sink->begin
 * first); other answers are classified as described above and the sink is
 * not called.  resp is filled as far as known.  X-Centra-Request-ID is
 * logged at debug level and named in error details.  A transfer that fails
 * midway returns the transport's error after the sink has seen part of the
 * body: the caller discards what it got.
 */
ErrKind soap_call(SoapClient *c, const char *operation, const DynBuf *body, const HttpSink *sink,
                  HttpResponse *resp, Error *err) CB_MUSTCHECK;

/*
 * After a failed attempt number attempt (1 for the first) with error err and
 * response resp: when err is retryable, attempts remain and the retry gate
 * (below) agrees, log a warning, sleep the backoff (with jitter; a longer
 * Retry-After wins) and return true.
 * Otherwise return false; when the attempts ran out, err's detail says how
 * many were made.
 */
bool soap_retry_wait(SoapClient *c, int attempt, const HttpResponse *resp, Error *err);

/*
 * An attempt of operation succeeded whole (its answer read, not only
 * received): after failed ones, say that Centra answers again.  soap_call
 * says so itself for an answer that ends the retries anyway (a refusal, a
 * fault); a 2xx answer can still turn out unreadable, so its caller says
 * when it was not.
 */
void soap_answered(SoapClient *c, const char *operation);

/*
 * Send an update (or events_Done) with retries and parse the answer into
 * *res (freed with soap_update_result_free).  ERR_OK means Centra answered;
 * res->success says whether it accepted.
 */
ErrKind soap_update(SoapClient *c, const char *operation, const DynBuf *body, SoapUpdateResult *res,
                    HttpResponse *resp, Error *err) CB_MUSTCHECK;

/*
 * Parse an update answer (either shape, any prefix, a SOAP Fault classified
 * as above) from body.  Pure function, for tests and fuzzing.
 */
ErrKind soap_parse_update_response(const char *body, size_t len, SoapUpdateResult *res,
                                   Error *err) CB_MUSTCHECK;

/*
 * Asked before each retry, by soap_retry_wait before it announces the retry
 * and waits, and by soap_update again after the wait: false ends the
 * retries, the failed attempt's error standing (the gate may add a detail to
 * err).  The exporter checks that it still holds the messages of the request
 * and that it may send it again (not a cancellation Centra may have
 * applied).  NULL: no gate.
 */
typedef bool (*SoapRetryGate)(void *arg, Error *err);
void soap_set_retry_gate(SoapClient *c, SoapRetryGate gate, void *arg);

/* Free the texts of res and zero it. */
void soap_update_result_free(SoapUpdateResult *res);

/*
 * Classify a SOAP Fault (faultcode and faultstring as received, either may be
 * NULL) into err: ERR_CENTRA_AUTH for a login failure, ERR_CENTRA_UNAVAILABLE
 * for a Server fault, ERR_CENTRA_FAULT otherwise, with the faultstring in the
 * message.  Used by every parser that meets a Fault.
 */
ErrKind soap_fault_error(Error *err, const char *operation, const char *faultcode,
                         const char *faultstring);

#endif /* CENTRA_SOAP_H */
