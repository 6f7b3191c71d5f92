/*
 * src/soap/http_curl.c
 *     The libcurl HTTP transport (see http.h).
 *
 * Design constraints:
 * - One easy handle for the transport's lifetime, so libcurl's connection
 *   cache keeps the connection to Centra open between requests.
 * - The body goes to the sink from the write callback as it arrives; this
 *   file never holds a response.
 * - Every CURLcode is classified here, once (STYLE.md item 5): transient
 *   network trouble is ERR_CENTRA_UNAVAILABLE, an unverifiable certificate
 *   ERR_CENTRA_TLS, a misuse of libcurl ERR_INTERNAL.
 * - Single-threaded use: curl_global_init is guarded by a plain static flag.
 */
#include "centra/http.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/dynbuf.h"
#include "centra/log.h"
#include "centra/strutil.h"
#include "centra/version.h"

#define USER_AGENT        "centra-bridge/" CENTRA_BRIDGE_VERSION
#define HEADER_LINE_MAX   256  /* longest Retry-After value kept for parsing */
#define ACTION_HEADER_MAX 4096 /* longest SOAPAction header */

typedef struct CurlTransport {
    HttpTransport base;           /* the interface; must stay first */
    CURL *curl;                   /* the one easy handle, reused for keep-alive */
    HttpOptions opts;             /* as given; ca_file points at ca_file_copy */
    char *ca_file_copy;           /* owned copy of opts.ca_file, NULL for none */
    char errbuf[CURL_ERROR_SIZE]; /* libcurl's explanation of the last failure */
    const HttpSink *sink;         /* request in progress: where the body goes */
    HttpResponse *resp;           /* request in progress: what is known so far */
    Error *err;                   /* request in progress: the caller's error */
    ErrKind sink_rc;              /* the sink's error, ERR_OK while none */
    bool begun;                   /* sink->begin was called */
    long new_conns;               /* connections the request in progress opened */
    long long connections;        /* connections opened in all */
} CurlTransport;

static bool curl_ready; /* curl_global_init done */

/* ---------------------------------------------------------------------------
 * Callbacks
 * ------------------------------------------------------------------------- */

/* Call sink->begin once, with the status known by now. */
static ErrKind
sink_begin(CurlTransport *ct)
{
    long status = 0;

    ct->begun = true;
    if (curl_easy_getinfo(ct->curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK)
        ct->resp->status = status;
    if (ct->sink == NULL || ct->sink->begin == NULL)
        return ERR_OK;
    return ct->sink->begin(ct->sink->arg, ct->resp, ct->err);
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    CurlTransport *ct = arg;
    size_t len = size * nmemb;
    ErrKind rc = ERR_OK;

    if (!ct->begun)
        rc = sink_begin(ct);
    ct->resp->body_bytes += (long long)len;
    if (rc == ERR_OK && len > 0 && ct->sink != NULL && ct->sink->chunk != NULL)
        rc = ct->sink->chunk(ct->sink->arg, data, len, ct->err);
    if (rc != ERR_OK) {
        ct->sink_rc = rc;
        return 0; /* anything but len makes libcurl abort with CURLE_WRITE_ERROR */
    }
    return len;
}

/* Copy a header value into out, keeping printable ASCII only (it goes into logs). */
static void
copy_header_value(const char *v, size_t len, char *out, size_t size)
{
    size_t n = 0;

    for (size_t i = 0; i < len && n + 1 < size; i++)
        out[n++] = (v[i] >= 0x20 && v[i] < 0x7F) ? v[i] : '?';
    out[n] = '\0';
}

/* If line is "name: value", the trimmed value and its length; NULL otherwise. */
static const char *
header_match(const char *line, size_t len, const char *name, size_t *vlen)
{
    size_t nlen = strlen(name);
    size_t v;

    if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return NULL;
    v = nlen + 1;
    while (v < len && (line[v] == ' ' || line[v] == '\t'))
        v++;
    while (len > v && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' ' ||
                       line[len - 1] == '\t'))
        len--;
    *vlen = len - v;
    return line + v;
}

/* Forget what an earlier response of the same request (a 1xx, say) said. */
static void
headers_reset(HttpResponse *resp)
{
    resp->request_id[0] = '\0';
    resp->correlation_id[0] = '\0';
    resp->retry_after_ms = -1;
    resp->location[0] = '\0';
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    CurlTransport *ct = arg;
    size_t len = size * nmemb;
    const char *v;
    size_t vlen;

    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        headers_reset(ct->resp);
    } else if ((v = header_match(data, len, "X-Centra-Request-ID", &vlen)) != NULL) {
        copy_header_value(v, vlen, ct->resp->request_id, sizeof(ct->resp->request_id));
    } else if ((v = header_match(data, len, "X-Correlation-ID", &vlen)) != NULL) {
        copy_header_value(v, vlen, ct->resp->correlation_id, sizeof(ct->resp->correlation_id));
    } else if ((v = header_match(data, len, "Retry-After", &vlen)) != NULL) {
        char text[HEADER_LINE_MAX];

        copy_header_value(v, vlen, text, sizeof(text));
        ct->resp->retry_after_ms = http_parse_retry_after(text, (long long)time(NULL));
    }
    return len;
}

/* ---------------------------------------------------------------------------
 * Classification of transfer failures
 * ------------------------------------------------------------------------- */

typedef enum FailureClass {
    FAIL_CONNECT,  /* no connection: DNS, refused, unreachable */
    FAIL_TIMEOUT,  /* connect or request timeout */
    FAIL_LOST,     /* connection broken, answer cut short or garbled */
    FAIL_TLS,      /* certificate could not be verified */
    FAIL_INTERNAL, /* a misuse of libcurl: a bug here */
    FAIL_OTHER     /* anything else: assumed transient */
} FailureClass;

static FailureClass
failure_class(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        return FAIL_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return FAIL_TIMEOUT;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_SSL_CONNECT_ERROR:
    /*
     * Our own write callback's refusals are the sink's errors (sink_rc, seen
     * first): this one comes from libcurl unpacking a compressed answer
     * (bytes after the gzip stream, a second gzip member).  A bad answer.
     */
    case CURLE_WRITE_ERROR:
        return FAIL_LOST;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return FAIL_TLS;
    case CURLE_FAILED_INIT:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_READ_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
        return FAIL_INTERNAL;
    default:
        return FAIL_OTHER;
    }
}

/* libcurl's explanation: the error buffer, else the generic text of rc. */
static const char *
curl_reason(const CurlTransport *ct, CURLcode rc)
{
    return ct->errbuf[0] != '\0' ? ct->errbuf : curl_easy_strerror(rc);
}

/* Whether the whole body of req went out (then the server may have acted on it). */
static bool
body_sent(CurlTransport *ct, const HttpRequest *req)
{
    curl_off_t up = 0;

    return curl_easy_getinfo(ct->curl, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK &&
           up >= (curl_off_t)req->body_len;
}

static ErrKind
transfer_error(CurlTransport *ct, const HttpRequest *req, CURLcode rc)
{
    Error *err = ct->err;
    const char *url = req->url;
    ErrKind kind = ERR_CENTRA_UNAVAILABLE;
    /*
     * libcurl (7.88) says "Out of memory" for an answer whose header passes
     * its limit (CURL_MAX_HTTP_HEADER, 100 kB) too.  Once the request is out,
     * that is what it is in practice: a bad answer, not a bug here.
     */
    bool big_header = rc == CURLE_OUT_OF_MEMORY && body_sent(ct, req);

#if CURL_AT_LEAST_VERSION(8, 6, 0)
    big_header = big_header || rc == CURLE_TOO_LARGE; /* what later libcurl says of it */
#endif
    switch (big_header ? FAIL_LOST : failure_class(rc)) {
    case FAIL_CONNECT:
    case FAIL_OTHER:
        err_set(err, kind, "could not reach Centra at \"%s\"", url);
        break;
    case FAIL_TIMEOUT:
        err_set(err, kind, "request to Centra at \"%s\" timed out", url);
        break;
    case FAIL_LOST:
        err_set(err, kind, "connection to Centra at \"%s\" failed during the request", url);
        break;
    case FAIL_TLS:
        kind = err_set(err, ERR_CENTRA_TLS,
                       "could not verify the TLS certificate of Centra at "
                       "\"%s\"",
                       url);
        break;
    case FAIL_INTERNAL:
        kind = err_set(err, ERR_INTERNAL, "libcurl could not send the request to Centra at \"%s\"",
                       url);
        break;
    }
    err_detail(err, "libcurl: %s.", curl_reason(ct, rc));
    if (rc == CURLE_OPERATION_TIMEDOUT)
        err_detail_append(err, false,
                          "The limits are %lld ms to connect and %lld ms for the whole request.",
                          ct->opts.connect_timeout_ms, ct->opts.timeout_ms);
    if (big_header)
        err_hint(err, "libcurl says so also of an answer whose header is longer than it accepts "
                      "(100 kB), as a proxy in front of Centra may send: \"curl -v\" with the "
                      "same URL shows the answer's header.");
    else if (rc == CURLE_WRITE_ERROR)
        err_hint(err, "libcurl could not unpack the compressed answer (bytes after its end, or "
                      "a second gzip member). If it lasts, set CENTRA_COMPRESSION=off.");
    else if (kind == ERR_CENTRA_TLS && strstr(curl_reason(ct, rc), "host name") != NULL)
        err_hint(err, "The certificate is for another host: CENTRA_URL must use a host name the "
                      "certificate names (not an IP address or alias it does not list).");
    else if (kind == ERR_CENTRA_TLS && (strstr(curl_reason(ct, rc), "expired") != NULL ||
                                        strstr(curl_reason(ct, rc), "not yet valid") != NULL))
        err_hint(err, "A certificate of Centra's chain is outside its dates of validity: check "
                      "this machine's clock (timedatectl); if it is right, the certificate must "
                      "be renewed on Centra's side.");
    else if (kind == ERR_CENTRA_TLS && ct->opts.ca_file != NULL)
        err_hint(err,
                 "CENTRA_CA_FILE (\"%s\") does not hold the CA that signed Centra's "
                 "certificate: add that CA's certificate to it, or unset CENTRA_CA_FILE "
                 "if a public CA signed it.",
                 ct->opts.ca_file);
    else if (kind == ERR_CENTRA_TLS)
        err_hint(err, "If Centra's certificate is signed by a private CA, name its PEM bundle in "
                      "CENTRA_CA_FILE.  Only for tests: CENTRA_TLS_VERIFY=off skips the check.");
    return kind;
}

/* ---------------------------------------------------------------------------
 * One request
 * ------------------------------------------------------------------------- */

/* The request's headers, or NULL when libcurl could not allocate them. */
static struct curl_slist *
request_headers(const HttpRequest *req)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: text/xml; charset=utf-8");
    DynBuf action;
    bool ok;

    /* "Expect:" with no value stops libcurl's Expect: 100-continue round trip. */
    ok = h != NULL && curl_slist_append(h, "Expect:") != NULL;
    if (ok && req->soap_action != NULL) {
        dynbuf_init(&action, ACTION_HEADER_MAX);
        ok = dynbuf_addf(&action, "SOAPAction: \"%s\"", req->soap_action) == ERR_OK &&
             curl_slist_append(h, dynbuf_str(&action)) != NULL;
        dynbuf_free(&action);
    }
    if (!ok) {
        curl_slist_free_all(h);
        return NULL;
    }
    return h;
}

static bool
set_request_options(CurlTransport *ct, const HttpRequest *req, struct curl_slist *headers)
{
    CURL *c = ct->curl;

    return curl_easy_setopt(c, CURLOPT_URL, req->url) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len) ==
               CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body_len > 0 ? req->body : "") == CURLE_OK;
}

static void
log_request(const CurlTransport *ct, const HttpRequest *req, ErrKind kind)
{
    const HttpResponse *r = ct->resp;
    const char *name = req->log_name != NULL ? req->log_name : "request";
    const char *id = r->request_id[0] != '\0' ? r->request_id : "none";
    char packed[48] = ""; /* the size on the wire, when the answer came compressed */

    if (r->wire_bytes != r->body_bytes)
        snprintf(packed, sizeof(packed), " (%lld compressed)", r->wire_bytes);
    if (ct->sink_rc != ERR_OK)
        log_debug(
            "%s: HTTP %ld, stopped by the receiver after %lld bytes in %lld ms, request id %s",
            name, r->status, r->body_bytes, r->elapsed_ms, id);
    else if (kind == ERR_OK)
        log_debug("%s: HTTP %ld, %lld bytes%s in %lld ms, request id %s%s", name, r->status,
                  r->body_bytes, packed, r->elapsed_ms, id,
                  ct->new_conns > 0 ? " (new connection)" : "");
    else
        log_debug("%s: failed after %lld ms (HTTP %ld, %lld bytes, request id %s): %s", name,
                  r->elapsed_ms, r->status, r->body_bytes, id,
                  ct->err != NULL ? ct->err->message : "");
}

/*
 * Where a redirect points (libcurl resolves a relative Location), into out
 * without the user or password a URL may carry ("https://u:p@host/x" gives
 * "https://host/x"): it goes into messages.
 */
static void
copy_redirect(const char *url, char *out, size_t size)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme != NULL ? scheme + 3 : url;
    size_t hostlen = strcspn(host, "/?#");
    const char *at = memchr(host, '@', hostlen);
    char joined[HTTP_LOCATION_MAX];

    if (at != NULL)
        snprintf(joined, sizeof(joined), "%.*s%s", (int)(host - url), url, at + 1);
    else
        snprintf(joined, sizeof(joined), "%s", url);
    copy_header_value(joined, strlen(joined), out, size);
}

/* What a finished perform means for the caller. */
static ErrKind
perform_result(CurlTransport *ct, const HttpRequest *req, CURLcode rc)
{
    long status = 0;
    char *where = NULL;
    curl_off_t wire = 0;

    if (curl_easy_getinfo(ct->curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status != 0)
        ct->resp->status = status;
    if (status >= 300 && status <= 399 &&
        curl_easy_getinfo(ct->curl, CURLINFO_REDIRECT_URL, &where) == CURLE_OK && where != NULL)
        copy_redirect(where, ct->resp->location, sizeof(ct->resp->location));
    if (curl_easy_getinfo(ct->curl, CURLINFO_SIZE_DOWNLOAD_T, &wire) == CURLE_OK)
        ct->resp->wire_bytes = (long long)wire;
    if (curl_easy_getinfo(ct->curl, CURLINFO_NUM_CONNECTS, &ct->new_conns) != CURLE_OK)
        ct->new_conns = 0;
    ct->connections += ct->new_conns;
    if (ct->sink_rc != ERR_OK)
        return ct->sink_rc; /* the sink stopped it; its Error stands */
    if (rc != CURLE_OK)
        return transfer_error(ct, req, rc);
    if (!ct->begun)
        return sink_begin(ct); /* an empty body */
    return ERR_OK;
}

static ErrKind
curl_post(HttpTransport *t, const HttpRequest *req, const HttpSink *sink, HttpResponse *resp,
          Error *err)
{
    CurlTransport *ct = (CurlTransport *)t;
    struct curl_slist *headers;
    long long t0 = backoff_now_ms();
    ErrKind kind;
    CURLcode rc;

    memset(resp, 0, sizeof(*resp));
    headers_reset(resp);
    ct->sink = sink;
    ct->resp = resp;
    ct->err = err;
    ct->sink_rc = ERR_OK;
    ct->begun = false;
    ct->errbuf[0] = '\0';
    headers = request_headers(req);
    if (headers == NULL || !set_request_options(ct, req, headers)) {
        curl_slist_free_all(headers);
        ct->resp = NULL;
        return err_set(err, ERR_INTERNAL, "could not set up the request to Centra at \"%s\"",
                       req->url);
    }
    rc = curl_easy_perform(ct->curl);
    resp->elapsed_ms = backoff_now_ms() - t0;
    resp->uploaded = body_sent(ct, req);
    kind = perform_result(ct, req, rc);
    log_request(ct, req, kind);
    (void)curl_easy_setopt(ct->curl, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    curl_slist_free_all(headers);
    ct->sink = NULL;
    ct->resp = NULL;
    ct->err = NULL;
    return kind;
}

/* ---------------------------------------------------------------------------
 * Construction
 * ------------------------------------------------------------------------- */

static void
curl_transport_free(HttpTransport *t)
{
    CurlTransport *ct = (CurlTransport *)t;

    if (ct->curl != NULL)
        curl_easy_cleanup(ct->curl);
    xfree(ct->ca_file_copy);
    xfree(ct);
}

static const HttpTransportOps curl_ops = {
    .post = curl_post,
    .free = curl_transport_free,
};

long long
http_curl_connections(const HttpTransport *t)
{
    if (t == NULL || t->ops != &curl_ops)
        return -1;
    return ((const CurlTransport *)t)->connections;
}

#define PEM_CERT     "-----BEGIN CERTIFICATE-----"
#define PEM_CERT_LEN (sizeof(PEM_CERT) - 1)

/* Whether f holds PEM_CERT; *e gets errno when reading fails. */
static bool
holds_pem_cert(FILE *f, int *e)
{
    char buf[4096];
    size_t keep = 0; /* bytes kept from the last read: the marker may straddle two */
    size_t n;

    errno = 0;
    *e = 0;
    while ((n = fread(buf + keep, 1, sizeof(buf) - keep, f)) > 0) {
        size_t total = keep + n;

        if (str_find(buf, total, PEM_CERT, PEM_CERT_LEN) != NULL)
            return true;
        keep = total < PEM_CERT_LEN - 1 ? total : PEM_CERT_LEN - 1;
        memmove(buf, buf + total - keep, keep);
    }
    if (ferror(f))
        *e = errno != 0 ? errno : EIO; /* a directory opens, but reading it fails */
    return false;
}

ErrKind
http_check_ca_file(const char *path, Error *err)
{
    char buf[256];
    FILE *f = fopen(path, "r");
    bool pem = false;
    int e;

    if (f != NULL) {
        pem = holds_pem_cert(f, &e);
        fclose(f);
        if (pem)
            return ERR_OK;
    } else {
        e = errno;
    }
    if (e != 0) {
        err_set(err, ERR_CONFIG, "CENTRA_CA_FILE \"%s\" cannot be read: %s", path,
                str_errno(e, buf, sizeof(buf)));
    } else {
        err_set(err, ERR_CONFIG, "CENTRA_CA_FILE \"%s\" holds no certificate", path);
        err_detail(err,
                   "A PEM file has a line \"%s\" before each certificate; this one has "
                   "none.",
                   PEM_CERT);
    }
    err_hint(err, "Name a readable PEM file of the CA certificates that sign Centra's "
                  "certificate, or unset CENTRA_CA_FILE to use the system's CAs.");
    return ERR_CONFIG;
}

static long
clamp_long(long long v)
{
    if (v < 0)
        return 0;
    return v > LONG_MAX ? LONG_MAX : (long)v;
}

/* The options every request shares. */
static bool
set_common_options(CurlTransport *ct)
{
    CURL *c = ct->curl;
    long verify = ct->opts.verify_tls ? 1L : 0L;

    return curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ct->errbuf) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_WRITEDATA, ct) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_HEADERDATA, ct) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                            clamp_long(ct->opts.connect_timeout_ms)) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, clamp_long(ct->opts.timeout_ms)) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify * 2L) == CURLE_OK &&
           (ct->ca_file_copy == NULL ||
            curl_easy_setopt(c, CURLOPT_CAINFO, ct->ca_file_copy) == CURLE_OK) &&
           curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
           /* "": every encoding this libcurl can unpack; it unpacks before on_body. */
           curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ct->opts.compress ? "" : NULL) ==
               CURLE_OK &&
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
           curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
#endif
           curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK;
}

ErrKind
http_curl_new(const HttpOptions *opts, HttpTransport **out, Error *err)
{
    CurlTransport *ct;

    *out = NULL;
    if (opts->ca_file != NULL && http_check_ca_file(opts->ca_file, err) != ERR_OK)
        return ERR_CONFIG;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return err_set(err, ERR_INTERNAL, "could not initialize libcurl");
        curl_ready = true;
    }
    ct = xcalloc(1, sizeof(*ct));
    ct->base.ops = &curl_ops;
    ct->opts = *opts;
    ct->ca_file_copy = xstrdup(opts->ca_file);
    ct->opts.ca_file = ct->ca_file_copy;
    ct->curl = curl_easy_init();
    if (ct->curl == NULL || !set_common_options(ct)) {
        curl_transport_free(&ct->base);
        return err_set(err, ERR_INTERNAL, "could not set up a libcurl handle");
    }
    if (!opts->verify_tls)
        log_warn("TLS certificate verification of Centra is off (CENTRA_TLS_VERIFY)");
    *out = &ct->base;
    return ERR_OK;
}
