/*
 * src/soap/soap.c
 *     The SOAP 1.1 client for Centra's ERP API (see soap.h): envelopes, one
 *     call with its answer classified, retries, and update answers.
 *
 * Design constraints:
 * - A 2xx answer streams to the caller's sink and is never held here; only
 *   other answers (at most SOAP_ERROR_BODY_MAX bytes) and update answers (at
 *   most SOAP_UPDATE_BODY_MAX) are buffered, in capped DynBufs.
 * - Answers are classified in one place (answer_error and soap_fault_error),
 *   so every operation reports the same failure the same way.
 * - The password is written into request bodies and nowhere else: request
 *   bodies are logged (at trace level) with it masked, and error texts never
 *   quote a request.
 * - Answers are matched by local name, whatever prefix or namespace Centra
 *   uses (the guide and the reference differ), and unknown elements are
 *   ignored (Centra adds fields without new versions).
 */
#include "centra/soap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/log.h"
#include "centra/signals.h"
#include "centra/strutil.h"
#include "centra/utf8.h"
#include "centra/xmltree.h"
#include "centra/xmlwriter.h"

#define OPERATION_MAX   64                 /* longest operation name kept for retry messages */
#define SNIPPET_MAX     200                /* bytes of an answer quoted in an error detail */
#define FAULT_TEXT_MAX  500                /* bytes of a faultstring quoted in an error message */
#define RETRY_AFTER_CAP (60LL * 60 * 1000) /* a longer Retry-After is taken as an hour */
#define PASSWORD_MASK   "********"
#define LOGIN_HINT                                                                                 \
    "Check CENTRA_USERNAME and CENTRA_PASSWORD.  SOAP users are set up by Centra, separately "     \
    "from admin users."

struct SoapClient {
    SoapOptions opts;            /* as given; strings point at the copies below */
    char *url;                   /* owned copy of opts.url */
    char *username;              /* owned copy of opts.username */
    char *password;              /* owned copy of opts.password (secret) */
    HttpTransport *t;            /* owned */
    uint64_t rng;                /* backoff jitter state */
    char last_op[OPERATION_MAX]; /* operation of the last soap_call, for retry messages */
    SoapRetryGate gate;          /* asked before each retry of soap_update; NULL none */
    void *gate_arg;              /* its argument */
    double interval_ms;          /* rate limit: least time between requests; 0 none */
    double next_ms;              /* when the next request may go */
    int failures;                /* transient failures since the last answer (soap_retry_wait) */
};

static int rate_share; /* soap_set_rate_share; 0: not set */

static int rate_share_now(void);

/* ---------------------------------------------------------------------------
 * Text helpers
 * ------------------------------------------------------------------------- */

/*
 * Append text escaped for XML.  Characters XML 1.0 cannot carry
 * become U+FFFD: the request stays well-formed and Centra refuses the value
 * visibly instead of the whole document.
 */
static void
add_escaped(DynBuf *out, const char *text)
{
    size_t len = strlen(text);
    size_t bad;

    while (!xml_text_valid(text, len, &bad)) {
        size_t n = utf8_valid_prefix((const unsigned char *)text + bad, len - bad);

        if (xml_escape(out, text, bad, NULL) != ERR_OK) /* valid text: only the cap stops it */
            return;
        dynbuf_addstr(out, UTF8_REPLACEMENT);
        n = n == 0 ? 1 : n;
        text += bad + n;
        len -= bad + n;
    }
    if (xml_escape(out, text, len, NULL) != ERR_OK)
        return; /* the caller's cap is reached: nothing more fits */
}

/* <name>escaped text</name> */
static void
add_leaf(DynBuf *out, const char *name, const char *text)
{
    dynbuf_addf(out, "<%s>", name);
    add_escaped(out, text);
    dynbuf_addf(out, "</%s>", name);
}

/* Whether hay contains needle, ignoring ASCII case. */
static bool
contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    if (hay == NULL)
        return false;
    for (; *hay != '\0'; hay++) {
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    }
    return false;
}

/* Whether the text of n, trimmed, equals word ignoring case. */
static bool
text_is(const XmlNode *n, const char *word)
{
    char *t = str_trimmed_copy(n->text, n->text_len);
    bool eq = strcasecmp(t, word) == 0;

    xfree(t);
    return eq;
}

/* ---------------------------------------------------------------------------
 * Options and the client
 * ------------------------------------------------------------------------- */

/*
 * Which of Centra's endpoints url names, from the module in its path: the
 * current one is .../module/soap/api, the legacy ones .../module/navision/api
 * and .../module/navision/soap (docs/configuration.md).  Each speaks its own
 * namespace, which CENTRA_FLAVOR chooses.  -1 when the path names neither
 * (a proxy may map the endpoint anywhere).
 */
static int
url_flavor(const char *url)
{
    const char *path = strstr(url, "://");
    size_t len;

    path = strchr(path != NULL ? path + 3 : url, '/');
    if (path == NULL)
        return -1;
    len = strcspn(path, "?#");
    if (str_find(path, len, "/module/navision/", strlen("/module/navision/")) != NULL)
        return SOAP_FLAVOR_NAVISION;
    if (str_find(path, len, "/module/soap/", strlen("/module/soap/")) != NULL)
        return SOAP_FLAVOR_SOAP;
    return -1;
}

/* ERR_CONFIG when CENTRA_URL names the endpoint of the other flavor. */
static ErrKind
check_flavor(const SoapOptions *opts, Error *err)
{
    int named = url_flavor(opts->url);
    bool navision = opts->flavor == SOAP_FLAVOR_NAVISION;

    if (named < 0 || named == (int)opts->flavor)
        return ERR_OK;
    err_set(err, ERR_CONFIG, "CENTRA_FLAVOR is %s, but CENTRA_URL names Centra's %s endpoint",
            navision ? "navision" : "soap", navision ? "current" : "legacy navision");
    err_detail(err,
               "Its path has \"%s\". The current endpoint (.../module/soap/api) speaks the "
               "namespace %s, the legacy ones (.../module/navision/api and .../soap) %s; "
               "CENTRA_FLAVOR chooses which one the requests use.",
               navision ? "/module/soap/" : "/module/navision/", SOAP_NS_CENTRA, SOAP_NS_NAVISION);
    err_hint(err, "Set CENTRA_FLAVOR=%s for this endpoint, or point CENTRA_URL at the %s one.",
             navision ? "soap" : "navision", navision ? "navision" : "current");
    return ERR_CONFIG;
}

ErrKind
soap_options_from_config(SoapOptions *opts, const Config *cfg, Error *err)
{
    static const ConfigKey required[] = {CONFIG_CENTRA_URL, CONFIG_CENTRA_USERNAME,
                                         CONFIG_CENTRA_PASSWORD};
    ErrKind rc;

    memset(opts, 0, sizeof(*opts));
    for (size_t i = 0; i < CB_LENGTH(required); i++) {
        if ((rc = config_require(cfg, required[i], err)) != ERR_OK)
            return rc;
    }
    opts->url = config_get_str(cfg, CONFIG_CENTRA_URL);
    opts->username = config_get_str(cfg, CONFIG_CENTRA_USERNAME);
    opts->password = config_get_str(cfg, CONFIG_CENTRA_PASSWORD);
    opts->flavor =
        config_get_int(cfg, CONFIG_CENTRA_FLAVOR) == 1 ? SOAP_FLAVOR_NAVISION : SOAP_FLAVOR_SOAP;
    opts->retries = (int)config_get_int(cfg, CONFIG_RETRIES);
    opts->retry_delay_ms = config_get_int(cfg, CONFIG_RETRY_DELAY);
    opts->retry_max_ms = SOAP_RETRY_MAX_MS;
    opts->rate_limit = (int)config_get_int(cfg, CONFIG_RATE_LIMIT);
    return check_flavor(opts, err);
}

/*
 * ERR_CONFIG when value (the setting env) holds text XML cannot carry.  The
 * detail says where, in characters, and what is wrong there; it shows the
 * code point of a control character or of U+FFFE/U+FFFF (none is a
 * character one could type into a password) and nothing else of the value.
 */
static ErrKind
check_login_text(const char *env, const char *value, Error *err)
{
    const unsigned char *p = (const unsigned char *)value;
    size_t len = strlen(value);
    size_t bad;
    size_t pos = 1;

    if (xml_text_valid(value, len, &bad))
        return ERR_OK;
    for (size_t i = 0; i < bad; i++)
        pos += (p[i] & 0xC0) != 0x80; /* all before bad is valid UTF-8: count lead bytes */
    err_set(err, ERR_CONFIG, "%s holds a character that XML cannot carry", env);
    if (p[bad] < 0x20)
        err_detail(err,
                   "The character at position %zu (counting from 1) is a control character "
                   "(U+%04X).",
                   pos, (unsigned)p[bad]);
    else if (utf8_valid_prefix(p + bad, len - bad) == 3)
        err_detail(err,
                   "The character at position %zu (counting from 1) is U+%04X, which XML does "
                   "not allow.",
                   pos, p[bad + 2] == 0xBE ? 0xFFFEu : 0xFFFFu);
    else
        err_detail(err,
                   "The character at position %zu (counting from 1) is not valid UTF-8 (byte "
                   "%zu).",
                   pos, bad + 1);
    return ERR_CONFIG;
}

static ErrKind
check_options(const SoapOptions *opts, Error *err)
{
    if (opts->url == NULL || opts->username == NULL || opts->password == NULL)
        return err_set(err, ERR_INTERNAL, "SOAP client options lack the URL or the login");
    if (check_login_text("CENTRA_USERNAME", opts->username, err) != ERR_OK ||
        check_login_text("CENTRA_PASSWORD", opts->password, err) != ERR_OK)
        return ERR_CONFIG;
    return ERR_OK;
}

static bool warned_http; /* the plain-http warning was given */

ErrKind
soap_client_new(const SoapOptions *opts, HttpTransport *t, SoapClient **out, Error *err)
{
    SoapClient *c;
    ErrKind rc;

    *out = NULL;
    if ((rc = check_options(opts, err)) != ERR_OK) {
        http_free(t);
        return rc;
    }
    c = xcalloc(1, sizeof(*c));
    c->opts = *opts;
    c->url = xstrdup(opts->url);
    c->username = xstrdup(opts->username);
    c->password = xstrdup(opts->password);
    c->opts.url = c->url;
    c->opts.username = c->username;
    c->opts.password = c->password;
    if (c->opts.retries < 0)
        c->opts.retries = 0;
    c->t = t;
    c->rng = backoff_seed();
    if (opts->rate_limit > 0)
        c->interval_ms = 1000.0 * rate_share_now() / opts->rate_limit;
    /* Once per process: sync and check make several clients for one URL. */
    if (strncasecmp(c->url, "http://", 7) == 0 && !warned_http) {
        warned_http = true;
        log_warn("Centra URL \"%s\" is plain http: the password travels unencrypted", c->url);
    }
    *out = c;
    return ERR_OK;
}

ErrKind
soap_client_from_config(const Config *cfg, SoapClient **out, Error *err)
{
    return soap_client_from_config_retries(cfg, -1, out, err);
}

ErrKind
soap_client_from_config_retries(const Config *cfg, int max_retries, SoapClient **out, Error *err)
{
    SoapOptions opts;
    HttpOptions hopts;
    HttpTransport *t;
    ErrKind rc;

    *out = NULL;
    if ((rc = soap_options_from_config(&opts, cfg, err)) != ERR_OK)
        return rc;
    if (max_retries >= 0 && opts.retries > max_retries)
        opts.retries = max_retries;
    memset(&hopts, 0, sizeof(hopts));
    hopts.connect_timeout_ms = config_get_int(cfg, CONFIG_CONNECT_TIMEOUT);
    hopts.timeout_ms = config_get_int(cfg, CONFIG_REQUEST_TIMEOUT);
    hopts.ca_file = config_get_str(cfg, CONFIG_CA_FILE);
    hopts.verify_tls = config_get_int(cfg, CONFIG_TLS_VERIFY) == 0;
    hopts.compress = config_get_int(cfg, CONFIG_COMPRESSION) == 0;
    if ((rc = http_curl_new(&hopts, &t, err)) != ERR_OK)
        return rc;
    return soap_client_new(&opts, t, out, err);
}

void
soap_client_free(SoapClient *c)
{
    if (c == NULL)
        return;
    http_free(c->t);
    xfree(c->url);
    xfree(c->username);
    xfree(c->password);
    xfree(c);
}

const char *
soap_namespace(const SoapClient *c)
{
    return c->opts.flavor == SOAP_FLAVOR_NAVISION ? SOAP_NS_NAVISION : SOAP_NS_CENTRA;
}

const char *
soap_url(const SoapClient *c)
{
    return c->url;
}

const char *
soap_action(const SoapClient *c, const char *operation, char *buf, size_t size)
{
    snprintf(buf, size, "%s%c%s", soap_namespace(c), toupper((unsigned char)operation[0]),
             operation[0] != '\0' ? operation + 1 : "");
    return buf;
}

/* ---------------------------------------------------------------------------
 * Request bodies
 * ------------------------------------------------------------------------- */

void
soap_request_begin(const SoapClient *c, DynBuf *out, const char *element)
{
    dynbuf_addstr(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<soap:Envelope xmlns:soap=\"" SOAP_NS_ENVELOPE "\"><soap:Body>");
    dynbuf_addf(out, "<%s xmlns=\"%s\"><login>", element, soap_namespace(c));
    add_leaf(out, "username", c->username);
    add_leaf(out, "password", c->password);
    dynbuf_addstr(out, "</login>");
}

void
soap_request_end(const SoapClient *c, DynBuf *out, const char *element)
{
    (void)c;
    dynbuf_addf(out, "</%s></soap:Body></soap:Envelope>", element);
}

void
soap_build_events_get(const SoapClient *c, DynBuf *out, const char *type,
                      const char *const *markets, size_t n)
{
    const char *element = n > 0 ? "events_GetByMarkets" : "events_GetRequest";

    soap_request_begin(c, out, element);
    add_leaf(out, "type", type != NULL ? type : "all");
    if (n > 0) {
        dynbuf_addstr(out, "<markets>");
        for (size_t i = 0; i < n; i++) {
            dynbuf_addstr(out, "<market>");
            add_leaf(out, "id", markets[i]);
            dynbuf_addstr(out, "</market>");
        }
        dynbuf_addstr(out, "</markets>");
    }
    soap_request_end(c, out, element);
}

void
soap_build_events_done(const SoapClient *c, DynBuf *out, const long long *ids, size_t n)
{
    soap_request_begin(c, out, "events_Done");
    for (size_t i = 0; i < n; i++)
        dynbuf_addf(out, "<event>%lld</event>", ids[i]);
    soap_request_end(c, out, "events_Done");
}

/* Length of the qualified element name at s ("password", "ns1:password"), 0 if none. */
static size_t
qname_len(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '.' ||
                       s[i] == ':'))
        i++;
    return i;
}

/* Whether the qualified name (n bytes) has the local name "password". */
static bool
is_password_name(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    const char *local = colon != NULL ? colon + 1 : s;
    size_t llen = n - (size_t)(local - s);

    return llen == 8 && memcmp(local, "password", 8) == 0;
}

/*
 * At body[i] == '<': if it opens a password element with content, append
 * the start tag and the mask to out and return where its end tag starts;
 * otherwise return i.
 */
static size_t
mask_one(const char *body, size_t len, size_t i, DynBuf *out)
{
    size_t n = qname_len(body + i + 1, len - i - 1);
    const char *gt;
    char close[80];
    const char *end;
    size_t tag_end;

    if (n == 0 || n + 4 > sizeof(close) || !is_password_name(body + i + 1, n))
        return i;
    gt = memchr(body + i, '>', len - i);
    if (gt == NULL || gt[-1] == '/')
        return i;
    tag_end = (size_t)(gt - body) + 1;
    snprintf(close, sizeof(close), "</%.*s>", (int)n, body + i + 1);
    end = str_find(body + tag_end, len - tag_end, close, strlen(close));
    dynbuf_add(out, body + i, tag_end - i);
    dynbuf_addstr(out, PASSWORD_MASK);
    return end != NULL ? (size_t)(end - body) : len;
}

void
soap_mask_passwords(const char *body, size_t len, DynBuf *out)
{
    size_t copied = 0;

    for (size_t i = 0; i < len; i++) {
        size_t next;

        if (body[i] != '<')
            continue;
        dynbuf_add(out, body + copied, i - copied);
        copied = i;
        next = mask_one(body, len, i, out);
        if (next != i) {
            copied = next;
            i = next - 1;
        }
    }
    if (copied < len)
        dynbuf_add(out, body + copied, len - copied);
}

/* ---------------------------------------------------------------------------
 * Classifying answers
 * ------------------------------------------------------------------------- */

/* Whether text or code holds one of words[0..n), ignoring case. */
static bool
says_any(const char *code, const char *text, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (contains_nocase(text, words[i]) || contains_nocase(code, words[i]))
            return true;
    }
    return false;
}

/* A login failure shows in the faultstring or the faultcode, in Centra's words. */
static bool
is_login_fault(const char *code, const char *text)
{
    static const char *const words[] = {"login", "password", "authenticat", "credential",
                                        "unauthori"};

    return says_any(code, text, words, CB_LENGTH(words));
}

/*
 * A fault that says the service, not the login, failed ("Authentication
 * service temporarily unavailable, try again later").  Narrow on purpose:
 * "Login failed, please try again" or "account temporarily locked" are
 * refused logins, and retrying them could prolong a lockout.
 */
static bool
says_transient(const char *code, const char *text)
{
    static const char *const words[] = {"unavailable", "try again later"};

    return says_any(code, text, words, CB_LENGTH(words));
}

/*
 * A Fault's code and text: SOAP 1.1's faultcode and faultstring, or SOAP
 * 1.2's Code/Value and Reason/Text.
 */
static void
fault_parts(const XmlNode *fault, const char **code, const char **text)
{
    *code = xml_child_text(fault, "faultcode");
    if (*code == NULL)
        *code = xml_path_text(fault, "Code/Value");
    *text = xml_child_text(fault, "faultstring");
    if (*text == NULL)
        *text = xml_path_text(fault, "Reason/Text");
}

/* soap_fault_error for the Fault element fault. */
static ErrKind
fault_error_of(Error *err, const char *op, const XmlNode *fault)
{
    const char *code;
    const char *text;

    fault_parts(fault, &code, &text);
    return soap_fault_error(err, op, code, text);
}

/*
 * Whether a faultcode's local part is Server (or a dotted Server.xxx
 * subcode), or SOAP 1.2's Receiver.
 */
static bool
is_server_fault(const char *code)
{
    const char *local;

    if (code == NULL)
        return false;
    local = strrchr(code, ':');
    local = local != NULL ? local + 1 : code;
    while (isspace((unsigned char)*local))
        local++;
    if (strncasecmp(local, "Receiver", 8) == 0)
        return local[8] == '\0' || isspace((unsigned char)local[8]);
    return strncasecmp(local, "Server", 6) == 0 &&
           (local[6] == '\0' || local[6] == '.' || isspace((unsigned char)local[6]));
}

ErrKind
soap_fault_error(Error *err, const char *operation, const char *faultcode, const char *faultstring)
{
    const char *what = operation != NULL ? operation : "the request";
    char text[FAULT_TEXT_MAX + 8];
    char code[FAULT_TEXT_MAX + 8];
    ErrKind kind;

    if (faultstring != NULL && faultstring[0] != '\0')
        str_sanitize(faultstring, strlen(faultstring), FAULT_TEXT_MAX, text, sizeof(text));
    else
        snprintf(text, sizeof(text), "(no faultstring)");
    if (is_login_fault(faultcode, faultstring) &&
        !(is_server_fault(faultcode) && says_transient(faultcode, faultstring))) {
        kind = err_set(err, ERR_CENTRA_AUTH, "Centra rejected the login for %s: %s", what, text);
        err_hint(err, LOGIN_HINT);
    } else if (is_server_fault(faultcode)) {
        kind = err_set(err, ERR_CENTRA_UNAVAILABLE, "Centra failed to process %s: %s", what, text);
    } else {
        kind = err_set(err, ERR_CENTRA_FAULT, "Centra refused %s: %s", what, text);
    }
    if (faultcode != NULL && faultcode[0] != '\0')
        err_detail(err, "The fault code was \"%s\".",
                   str_sanitize(faultcode, strlen(faultcode), FAULT_TEXT_MAX, code, sizeof(code)));
    return kind;
}

/* The Fault element of a SOAP answer (its document in *root), or NULL. */
static const XmlNode *
find_fault(const char *body, size_t len, XmlNode **root)
{
    Error ignored;
    const XmlNode *b;

    *root = NULL;
    if (len == 0 || xml_parse(body, len, root, &ignored) != ERR_OK)
        return NULL;
    if (strcmp((*root)->name, "Envelope") != 0 || (b = xml_child(*root, "Body")) == NULL)
        return NULL;
    return xml_child(b, "Fault");
}

/* Detail sentence quoting the start of an answer. */
static void
detail_snippet(Error *err, const char *body, size_t len)
{
    char snip[SNIPPET_MAX + 8];

    if (len == 0) {
        err_detail_append(err, false, "The answer was empty.");
        return;
    }
    err_detail_append(err, false, "The answer began: \"%s\".",
                      str_sanitize(body, len, SNIPPET_MAX, snip, sizeof(snip)));
}

/* An answer without a SOAP Fault, judged by its status. */
static ErrKind
status_error(const SoapClient *c, const char *op, const HttpResponse *resp, const char *body,
             size_t len, Error *err)
{
    long st = resp->status;
    ErrKind kind = ERR_CENTRA_FAULT;

    if (st == 408 || st == 429 || (st >= 500 && st <= 599))
        kind = ERR_CENTRA_UNAVAILABLE;
    err_set(err, kind, "Centra answered %s with HTTP %ld", op, st);
    detail_snippet(err, body, len);
    if (resp->retry_after_ms >= 0)
        err_detail_append(err, false, "Centra asked to wait %lld ms before retrying.",
                          resp->retry_after_ms);
    if (st == 404) {
        err_detail_append(err, false, "The URL was \"%s\".", c->url);
        err_hint(err, "Check CENTRA_URL: it must be Centra's SOAP endpoint, such as "
                      "https://example.centra.com/ams/system/service/module/soap/api.");
    } else if (st >= 300 && st <= 399 && resp->location[0] != '\0') {
        /* Not followed: a POST redirected may become a GET, and the login would go along. */
        err_detail_append(err, false, "It redirects to \"%s\".", resp->location);
        err_hint(err,
                 "Centra redirects \"%s\" elsewhere: if \"%s\" is Centra's SOAP endpoint (an "
                 "http:// URL moved to https://, say), set CENTRA_URL to it.",
                 c->url, resp->location);
    } else if (st >= 300 && st <= 399) {
        err_hint(err, "Centra redirects \"%s\" elsewhere: check CENTRA_URL.", c->url);
    }
    return kind;
}

/* A non-2xx answer, classified as soap.h describes. */
static ErrKind
answer_error(const SoapClient *c, const char *op, const HttpResponse *resp, const char *body,
             size_t len, Error *err)
{
    XmlNode *root;
    const XmlNode *fault = find_fault(body, len, &root);
    const char *fcode = NULL;
    const char *fstring = NULL;
    char text[FAULT_TEXT_MAX + 8];
    ErrKind kind;

    if (fault != NULL)
        fault_parts(fault, &fcode, &fstring);
    if (resp->status == 401 || resp->status == 403) {
        kind = err_set(err, ERR_CENTRA_AUTH, "Centra rejected the login for %s (HTTP %ld)", op,
                       resp->status);
        if (fstring != NULL)
            err_detail(err, "Centra said: \"%s\".",
                       str_sanitize(fstring, strlen(fstring), FAULT_TEXT_MAX, text, sizeof(text)));
        err_hint(err, LOGIN_HINT);
    } else if (fault != NULL) {
        kind = soap_fault_error(err, op, fcode, fstring);
    } else {
        kind = status_error(c, op, resp, body, len, err);
    }
    xml_free(root);
    return kind;
}

static void
detail_request_id(Error *err, const HttpResponse *resp)
{
    if (resp->request_id[0] != '\0')
        err_detail_append(err, false, "Centra's request ID was %s.", resp->request_id);
}

/* ---------------------------------------------------------------------------
 * One call
 * ------------------------------------------------------------------------- */

typedef struct CallSink {
    const HttpSink *user; /* the caller's sink, for a 2xx answer */
    bool begun;           /* begin was called */
    bool ok;              /* 2xx: the body goes to user */
    bool full;            /* a non-2xx body reached SOAP_ERROR_BODY_MAX: transfer stopped */
    ErrKind user_rc;      /* the caller's sink's error, ERR_OK while none */
    DynBuf answer;        /* a non-2xx body, capped */
} CallSink;

static ErrKind
call_begin(void *arg, const HttpResponse *resp, Error *err)
{
    CallSink *s = arg;

    s->begun = true;
    s->ok = resp->status >= 200 && resp->status <= 299;
    dynbuf_reset(&s->answer);
    if (!s->ok || s->user == NULL || s->user->begin == NULL)
        return ERR_OK;
    s->user_rc = s->user->begin(s->user->arg, resp, err);
    return s->user_rc;
}

static ErrKind
call_chunk(void *arg, const char *data, size_t len, Error *err)
{
    CallSink *s = arg;
    size_t room;

    if (s->ok) {
        if (s->user == NULL || s->user->chunk == NULL)
            return ERR_OK;
        s->user_rc = s->user->chunk(s->user->arg, data, len, err);
        return s->user_rc;
    }
    room = SOAP_ERROR_BODY_MAX - dynbuf_len(&s->answer);
    dynbuf_add(&s->answer, data, len < room ? len : room);
    if (len < room)
        return ERR_OK;
    s->full = true;
    return ERR_TOO_BIG; /* enough to classify it: stop reading */
}

static void
trace_request(const char *op, const DynBuf *body)
{
    DynBuf masked;

    /* Each mask may be longer than the password it hides. */
    dynbuf_init(&masked, 2 * dynbuf_len(body) + 1024);
    soap_mask_passwords(dynbuf_str(body), dynbuf_len(body), &masked);
    log_trace("%s request: %s", op, dynbuf_str(&masked));
    dynbuf_free(&masked);
}

/* What the transfer's outcome means, once the answer (if any) is in s. */
static ErrKind
call_result(SoapClient *c, const char *op, ErrKind rc, CallSink *s, HttpResponse *resp, Error *err)
{
    if (s->user_rc != ERR_OK)
        return s->user_rc; /* the caller's sink stopped it: its Error stands */
    if (rc != ERR_OK && !(s->full && rc == ERR_TOO_BIG)) {
        detail_request_id(err, resp);
        return rc;
    }
    if (!s->begun)
        return err_set(err, ERR_INTERNAL, "the HTTP transport finished %s without an answer", op);
    if (s->ok)
        return ERR_OK;
    log_trace("%s answer (HTTP %ld): %s", op, resp->status, dynbuf_str(&s->answer));
    rc = answer_error(c, op, resp, dynbuf_str(&s->answer), dynbuf_len(&s->answer), err);
    detail_request_id(err, resp);
    return rc;
}

void
soap_set_rate_share(int n)
{
    rate_share = n;
}

/* How many processes share the rate limit: soap_set_rate_share, else the environment's. */
static int
rate_share_now(void)
{
    const char *env = getenv(SOAP_RATE_SHARE_ENV);
    long long n;

    if (rate_share > 0)
        return rate_share;
    if (env != NULL && str_to_ll(env, &n) && n >= 1 && n <= 1000)
        return (int)n;
    return 1;
}

/*
 * Keep to the rate limit: wait until the request may go.  A stop asked for
 * (SIGTERM, SIGINT) ends the wait; the request then goes, and the caller
 * stops after it.
 */
static void
pace(SoapClient *c)
{
    double now;

    if (c->interval_ms <= 0)
        return;
    now = (double)backoff_now_ms();
    if (c->next_ms > now) {
        log_debug("rate limit: waiting %.0f ms before %s", c->next_ms - now, c->last_op);
        sig_sleep_ms((long long)(c->next_ms - now + 0.5));
        now = (double)backoff_now_ms();
    }
    c->next_ms = (c->next_ms > now ? c->next_ms : now) + c->interval_ms;
}

ErrKind
soap_call(SoapClient *c, const char *operation, const DynBuf *body, const HttpSink *sink,
          HttpResponse *resp, Error *err)
{
    char action[256];
    HttpRequest req;
    HttpSink mine;
    CallSink s;
    ErrKind rc;

    err_reset(err); /* the error-body sink stops a transfer without setting one */
    snprintf(c->last_op, sizeof(c->last_op), "%s", operation);
    memset(&req, 0, sizeof(req));
    req.url = c->url;
    req.soap_action = soap_action(c, operation, action, sizeof(action));
    req.body = dynbuf_str(body);
    req.body_len = dynbuf_len(body);
    req.log_name = operation;
    if (log_enabled(LOG_LEVEL_TRACE))
        trace_request(operation, body);
    memset(&s, 0, sizeof(s));
    s.user = sink;
    dynbuf_init(&s.answer, SOAP_ERROR_BODY_MAX);
    mine.begin = call_begin;
    mine.chunk = call_chunk;
    mine.arg = &s;
    memset(resp, 0, sizeof(*resp));
    resp->retry_after_ms = -1;
    pace(c);
    rc = http_post(c->t, &req, &mine, resp, err);
    rc = call_result(c, operation, rc, &s, resp, err);
    dynbuf_free(&s.answer);
    /* A refusal or a fault ends the retries: Centra answers.  A 2xx one is the caller's to
       judge (an HTML page, a body cut short): soap_answered once it was read. */
    if (rc != ERR_OK && !err_is_retryable(rc) && resp->status != 0)
        soap_answered(c, operation);
    return rc;
}

void
soap_answered(SoapClient *c, const char *operation)
{
    /* The warnings said it failed; say when it is over (an outage a daemon rode out). */
    if (c->failures > 0)
        log_info("%s: Centra answers again, after %d failed attempt%s", operation, c->failures,
                 c->failures == 1 ? "" : "s");
    c->failures = 0;
}

/* ---------------------------------------------------------------------------
 * Retries
 * ------------------------------------------------------------------------- */

static const char *
format_delay(long long ms, char *buf, size_t size)
{
    if (ms < 1000)
        snprintf(buf, size, "%lldms", ms);
    else
        snprintf(buf, size, "%.1fs", (double)ms / 1000.0);
    return buf;
}

bool
soap_retry_wait(SoapClient *c, int attempt, const HttpResponse *resp, Error *err)
{
    int attempts = c->opts.retries + 1;
    long long delay;
    char shown[32];

    if (!err_is_retryable(err->kind))
        return false;
    c->failures++;
    if (sig_stop_requested()) {
        err_detail_append(err, false, "Not tried again: a stop was asked for.");
        return false;
    }
    if (attempt >= attempts) {
        err_detail_append(err, false, "Gave up after %d attempt%s.", attempt,
                          attempt == 1 ? "" : "s");
        return false;
    }
    /* The gate first: a retry it would refuse after the wait is not announced. */
    if (c->gate != NULL && !c->gate(c->gate_arg, err))
        return false;
    delay = backoff_delay_ms(c->opts.retry_delay_ms, c->opts.retry_max_ms, attempt - 1, &c->rng);
    if (resp != NULL && resp->retry_after_ms > delay)
        delay = resp->retry_after_ms < RETRY_AFTER_CAP ? resp->retry_after_ms : RETRY_AFTER_CAP;
    log_warn("%s failed (attempt %d of %d): %s; retrying in %s",
             c->last_op[0] != '\0' ? c->last_op : "request", attempt, attempts, err->message,
             format_delay(delay, shown, sizeof(shown)));
    backoff_note_retry(err->message);
    /* SIGTERM or SIGINT ends the wait and the retries: the caller stops (a long Retry-After
       would otherwise outlast systemd's stop timeout). */
    sig_sleep_ms(delay);
    if (sig_stop_requested()) {
        err_detail_append(err, false, "Not tried again: a stop was asked for.");
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------------------
 * Updates
 * ------------------------------------------------------------------------- */

typedef struct UpdateSink {
    const char *op; /* for the message */
    DynBuf body;    /* the answer, up to SOAP_UPDATE_BODY_MAX */
} UpdateSink;

static ErrKind
update_begin(void *arg, const HttpResponse *resp, Error *err)
{
    UpdateSink *u = arg;

    (void)resp;
    (void)err;
    dynbuf_reset(&u->body);
    return ERR_OK;
}

static ErrKind
update_chunk(void *arg, const char *data, size_t len, Error *err)
{
    UpdateSink *u = arg;

    if (dynbuf_add(&u->body, data, len) == ERR_OK)
        return ERR_OK;
    err_set(err, ERR_CENTRA_FAULT, "the answer to %s is too large", u->op);
    err_detail(err, "It exceeds %d bytes.", SOAP_UPDATE_BODY_MAX);
    return ERR_CENTRA_FAULT;
}

void
soap_set_retry_gate(SoapClient *c, SoapRetryGate gate, void *arg)
{
    c->gate = gate;
    c->gate_arg = arg;
}

static ErrKind parse_update(const char *op, const char *op_name, const char *body, size_t len,
                            SoapUpdateResult *res, Error *err);

ErrKind
soap_update(SoapClient *c, const char *operation, const DynBuf *body, SoapUpdateResult *res,
            HttpResponse *resp, Error *err)
{
    UpdateSink u = {.op = operation};
    HttpSink sink = {.begin = update_begin, .chunk = update_chunk, .arg = &u};
    ErrKind rc;

    memset(res, 0, sizeof(*res));
    dynbuf_init(&u.body, SOAP_UPDATE_BODY_MAX);
    for (int attempt = 1;; attempt++) {
        rc = soap_call(c, operation, body, &sink, resp, err);
        if (rc == ERR_OK) {
            rc = parse_update(operation, operation, dynbuf_str(&u.body), dynbuf_len(&u.body), res,
                              err);
            if (rc != ERR_OK)
                detail_request_id(err, resp);
            else
                soap_answered(c, operation);
        }
        if (rc == ERR_OK || !soap_retry_wait(c, attempt, resp, err))
            break;
        /* Again after the wait: another exporter may have taken the messages over. */
        if (c->gate != NULL && !c->gate(c->gate_arg, err))
            break;
    }
    dynbuf_free(&u.body);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Update answers
 * ------------------------------------------------------------------------- */

/*
 * An answer Centra does not give: an HTML page from a proxy or a
 * maintenance window, an empty body, several results.  Whether the request
 * was applied is unknown, and another request may well be understood:
 * transient, like HTTP 503, never a refusal of the items (which would fail
 * them for good).
 */
static ErrKind
unexpected(Error *err, const char *op, const char *why, const char *body, size_t len)
{
    err_set(err, ERR_CENTRA_UNAVAILABLE, "unexpected answer to %s", op);
    err_detail(err, "%s", why);
    detail_snippet(err, body, len);
    err_hint(err, "Centra answers in SOAP: something in between (a proxy, a maintenance page) "
                  "may have answered instead, or CENTRA_URL points elsewhere.");
    return ERR_CENTRA_UNAVAILABLE;
}

/* The elements named result with a success child, in n and below. */
static size_t
count_results(const XmlNode *n)
{
    size_t count = strcmp(n->name, "result") == 0 && xml_child(n, "success") != NULL;

    for (size_t i = 0; i < n->nkids; i++)
        count += count_results(n->kids[i]);
    return count;
}

/* The first element named result with a success child, depth first, or NULL. */
static const XmlNode *
find_result(const XmlNode *n)
{
    if (strcmp(n->name, "result") == 0 && xml_child(n, "success") != NULL)
        return n;
    for (size_t i = 0; i < n->nkids; i++) {
        const XmlNode *r = find_result(n->kids[i]);

        if (r != NULL)
            return r;
    }
    return NULL;
}

static void
push_text(char ***list, size_t *n, const XmlNode *node)
{
    char *t = str_trimmed_copy(node->text, node->text_len);

    if (t[0] == '\0') {
        xfree(t);
        return;
    }
    *list = xrealloc_array(*list, *n + 1, sizeof(**list));
    (*list)[(*n)++] = t;
}

/* The <message> texts of list (errors or notices), or its own text when it has none. */
static void
collect_messages(const XmlNode *list, char ***out, size_t *n)
{
    if (list == NULL)
        return;
    if (xml_child(list, "message") == NULL) {
        push_text(out, n, list);
        return;
    }
    for (XmlNode *m = xml_child(list, "message"); m != NULL; m = xml_next(list, "message", m))
        push_text(out, n, m);
}

static void
read_result(const XmlNode *r, SoapUpdateResult *res)
{
    const XmlNode *ok = xml_child(r, "success");

    res->success = text_is(ok, "true") || text_is(ok, "1") || text_is(ok, "yes");
    collect_messages(xml_child(r, "errors"), &res->errors, &res->nerrors);
    collect_messages(xml_child(r, "notices"), &res->notices, &res->nnotices);
}

/*
 * Whether n is the other shape: <xxxResponse>OK</xxxResponse>, of operation
 * op ("warehouses_Update": warehousesUpdateResponse, or with the "_"; any
 * operation when op is NULL).  An OK for another operation is not this
 * request's answer.
 */
static bool
is_ok_response(const XmlNode *n, const char *op)
{
    size_t len = strlen(n->name);
    char joined[64];
    size_t j = 0;

    if (len < 8 || strcmp(n->name + len - 8, "Response") != 0 || n->nkids != 0 || !text_is(n, "OK"))
        return false;
    if (op == NULL)
        return true;
    for (const char *c = op; *c != '\0' && j + 1 < sizeof(joined); c++)
        if (*c != '_')
            joined[j++] = *c;
    joined[j] = '\0';
    len -= 8;
    return (len == strlen(op) && strncasecmp(n->name, op, len) == 0) ||
           (len == j && strncasecmp(n->name, joined, len) == 0);
}

/* op names the request in messages; op_name is its operation, NULL for any. */
static ErrKind
parse_update(const char *op, const char *op_name, const char *body, size_t len,
             SoapUpdateResult *res, Error *err)
{
    XmlNode *root = NULL;
    const XmlNode *b;
    const XmlNode *first;
    const XmlNode *r;
    Error perr;
    ErrKind rc = ERR_OK;

    memset(res, 0, sizeof(*res));
    if (xml_parse(body, len, &root, &perr) != ERR_OK) {
        char why[ERR_MESSAGE_MAX + 64];

        snprintf(why, sizeof(why), "Parsing it failed: %s.", perr.message);
        return unexpected(err, op, why, body, len);
    }
    b = strcmp(root->name, "Envelope") == 0 ? xml_child(root, "Body") : NULL;
    first = b != NULL && b->nkids > 0 ? b->kids[0] : NULL;
    if (first == NULL)
        rc = unexpected(err, op, "It has no SOAP Body with an element in it.", body, len);
    else if (strcmp(first->name, "Fault") == 0)
        rc = fault_error_of(err, op, first);
    else if (count_results(b) > 1)
        /* Centra answers a request as a whole: which items would these be about? */
        rc = unexpected(err, op, "Its Body holds more than one result.", body, len);
    else if ((r = find_result(b)) != NULL)
        read_result(r, res);
    else if (is_ok_response(first, op_name))
        res->success = true;
    else if (is_ok_response(first, NULL))
        rc = unexpected(err, op, "Its Body holds the OK response of another operation.", body, len);
    else
        rc = unexpected(err, op, "Its Body holds neither a result nor an OK response.", body, len);
    xml_free(root);
    return rc;
}

ErrKind
soap_parse_update_response(const char *body, size_t len, SoapUpdateResult *res, Error *err)
{
    return parse_update("an update", NULL, body, len, res, err);
}

void
soap_update_result_free(SoapUpdateResult *res)
{
    for (size_t i = 0; i < res->nerrors; i++)
        xfree(res->errors[i]);
    for (size_t i = 0; i < res->nnotices; i++)
        xfree(res->notices[i]);
    xfree(res->errors);
    xfree(res->notices);
    memset(res, 0, sizeof(*res));
}
