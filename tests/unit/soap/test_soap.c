/*
 * tests/unit/soap/test_soap.c
 *     The SOAP client without sockets: envelopes byte for byte, SOAPAction
 *     values, update answers in every shape, Retry-After, and soap_call,
 *     soap_retry_wait and soap_update over a scripted fake HttpTransport.
 */
#include "centra/soap.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/config.h"
#include "centra/http.h"
#include "centra/signals.h"
#include "testutil.h"

#define NS_C "http://www.centra.com/webservices/"
#define NS_N "http://www.silkvms.com/webservices/"
#define ENV_OPEN                                                                                   \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                                 \
    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
#define ENV_CLOSE    "</soap:Body></soap:Envelope>"
#define LOGIN        "<login><username>U</username><password>P</password></login>"
#define URL          "https://example.centra.com/ams/system/service/module/soap/api"
#define NAVISION_URL "https://example.centra.com/ams/system/service/module/navision/soap"

/* --- a scripted fake transport ---------------------------------------------------------- */

typedef struct FakeReply {
    long status;            /* HTTP status */
    const char *body;       /* answer body (NULL: empty) */
    size_t body_len;        /* its length; 0: strlen(body) */
    size_t chunk;           /* bytes per chunk; 0: all at once */
    const char *request_id; /* X-Centra-Request-ID, NULL for none */
    long long retry_after;  /* Retry-After in ms, -1 for none */
    ErrKind fail;           /* a transport failure instead of an answer */
    const char *location;   /* Location, NULL for none */
} FakeReply;

typedef struct FakeTransport {
    HttpTransport base;       /* the interface; first */
    const FakeReply *replies; /* the script; the last reply repeats */
    size_t nreplies;          /* its length */
    int calls;                /* requests made */
    char url[256];            /* the last request's URL */
    char action[256];         /* its SOAPAction */
    char log_name[64];        /* its log name */
    DynBuf body;              /* its body */
} FakeTransport;

static void
fake_fill(const FakeReply *r, HttpResponse *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = r->status;
    resp->retry_after_ms = r->retry_after;
    snprintf(resp->request_id, sizeof(resp->request_id), "%s",
             r->request_id != NULL ? r->request_id : "");
    snprintf(resp->location, sizeof(resp->location), "%s", r->location != NULL ? r->location : "");
}

/* Hand the reply's body to sink in chunks, as libcurl would. */
static ErrKind
fake_stream(const FakeReply *r, const HttpSink *sink, HttpResponse *resp, Error *err)
{
    size_t len = r->body_len > 0 ? r->body_len : (r->body != NULL ? strlen(r->body) : 0);
    size_t step = r->chunk > 0 ? r->chunk : (len > 0 ? len : 1);
    ErrKind rc = sink->begin(sink->arg, resp, err);

    for (size_t at = 0; rc == ERR_OK && at < len; at += step) {
        size_t n = len - at < step ? len - at : step;

        resp->body_bytes += (long long)n;
        rc = sink->chunk(sink->arg, r->body + at, n, err);
    }
    return rc;
}

static ErrKind
fake_post(HttpTransport *t, const HttpRequest *req, const HttpSink *sink, HttpResponse *resp,
          Error *err)
{
    FakeTransport *f = (FakeTransport *)t;
    size_t i = (size_t)f->calls < f->nreplies ? (size_t)f->calls : f->nreplies - 1;
    const FakeReply *r = &f->replies[i];

    f->calls++;
    snprintf(f->url, sizeof(f->url), "%s", req->url);
    snprintf(f->action, sizeof(f->action), "%s", req->soap_action ? req->soap_action : "(none)");
    snprintf(f->log_name, sizeof(f->log_name), "%s", req->log_name);
    dynbuf_reset(&f->body);
    dynbuf_add(&f->body, req->body, req->body_len);
    fake_fill(r, resp);
    if (r->fail != ERR_OK) {
        err_set(err, r->fail, "could not reach Centra at \"%s\"", req->url);
        err_detail(err, "libcurl: Connection refused.");
        return r->fail;
    }
    return fake_stream(r, sink, resp, err);
}

static void
fake_free(HttpTransport *t)
{
    FakeTransport *f = (FakeTransport *)t;

    dynbuf_free(&f->body);
    xfree(f);
}

static const HttpTransportOps fake_ops = {.post = fake_post, .free = fake_free};

static FakeTransport *
fake_new(const FakeReply *replies, size_t n)
{
    FakeTransport *f = xcalloc(1, sizeof(*f));

    f->base.ops = &fake_ops;
    f->replies = replies;
    f->nreplies = n;
    dynbuf_init(&f->body, 1024 * 1024);
    return f;
}

/* --- fixtures and helpers ------------------------------------------------------------- */

static bool capturing;

static void
setup(void)
{
    log_set_level(LOG_LEVEL_WARN);
    log_capture_begin();
    capturing = true;
}

static void
teardown(void)
{
    if (capturing)
        free(log_capture_end());
    capturing = false;
    log_set_level(LOG_LEVEL_INFO);
}

/* What was logged so far. */
static const char *
logged(void)
{
    fflush(log_capture_state.stream);
    return log_capture_state.buf != NULL ? log_capture_state.buf : "";
}

static SoapOptions
options(SoapFlavor flavor)
{
    SoapOptions o;

    memset(&o, 0, sizeof(o));
    o.url = URL;
    o.username = "U";
    o.password = "P";
    o.flavor = flavor;
    o.retries = 3;
    o.retry_delay_ms = 1;
    o.retry_max_ms = 4;
    return o;
}

/* A client over a fake with the given script (the fake is returned in *fake, owned by it). */
static SoapClient *
client_with(const FakeReply *replies, size_t n, FakeTransport **fake)
{
    SoapOptions o = options(SOAP_FLAVOR_SOAP);
    FakeTransport *f = fake_new(replies, n);
    SoapClient *c;
    Error err;

    ck_assert_int_eq(soap_client_new(&o, &f->base, &c, &err), ERR_OK);
    if (fake != NULL)
        *fake = f;
    return c;
}

static SoapClient *
plain_client(SoapFlavor flavor)
{
    SoapOptions o = options(flavor);
    static const FakeReply ok = {.status = 200, .retry_after = -1};
    SoapClient *c;
    Error err;

    ck_assert_int_eq(soap_client_new(&o, &fake_new(&ok, 1)->base, &c, &err), ERR_OK);
    return c;
}

/* A sink that records what it is given. */
typedef struct Recorder {
    int begins;        /* begin calls */
    int chunks;        /* chunk calls */
    long status;       /* status seen by begin */
    DynBuf data;       /* the body */
    ErrKind fail_with; /* returned from chunk when set */
} Recorder;

static ErrKind
rec_begin(void *arg, const HttpResponse *resp, Error *err)
{
    Recorder *r = arg;

    (void)err;
    r->begins++;
    r->status = resp->status;
    return ERR_OK;
}

static ErrKind
rec_chunk(void *arg, const char *data, size_t len, Error *err)
{
    Recorder *r = arg;

    r->chunks++;
    if (r->fail_with != ERR_OK)
        return err_set(err, r->fail_with, "the event stream is malformed");
    dynbuf_add(&r->data, data, len);
    return ERR_OK;
}

/* soap_call of events_Get through c into a fresh recorder. */
static ErrKind
call_get(SoapClient *c, Recorder *rec, HttpResponse *resp, Error *err)
{
    HttpSink sink = {.begin = rec_begin, .chunk = rec_chunk, .arg = rec};
    DynBuf body;
    ErrKind rc;

    dynbuf_init(&body, 1024 * 1024);
    dynbuf_init(&rec->data, 64 * 1024 * 1024);
    soap_build_events_get(c, &body, "all", NULL, 0);
    err_reset(err);
    rc = soap_call(c, "events_Get", &body, &sink, resp, err);
    dynbuf_free(&body);
    return rc;
}

/* --- envelopes -------------------------------------------------------------------------- */

START_TEST(events_get_envelope_is_exactly_the_guides)
{
    SoapClient *c = plain_client(SOAP_FLAVOR_SOAP);
    DynBuf b;

    dynbuf_init(&b, 1024 * 1024);
    soap_build_events_get(c, &b, "all", NULL, 0);
    ck_assert_str_eq(dynbuf_str(&b), ENV_OPEN "<events_GetRequest xmlns=\"" NS_C "\">" LOGIN
                                              "<type>all</type></events_GetRequest>" ENV_CLOSE);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

START_TEST(events_get_by_markets_lists_every_market)
{
    SoapClient *c = plain_client(SOAP_FLAVOR_SOAP);
    const char *markets[] = {"1", "Retail-EU"};
    DynBuf b;

    dynbuf_init(&b, 1024 * 1024);
    soap_build_events_get(c, &b, "order", markets, 2);
    ck_assert_str_eq(dynbuf_str(&b),
                     ENV_OPEN "<events_GetByMarkets xmlns=\"" NS_C "\">" LOGIN
                              "<type>order</type><markets><market><id>1</id></market><market><id>"
                              "Retail-EU</id></market></markets></events_GetByMarkets>" ENV_CLOSE);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

START_TEST(events_done_repeats_event_directly_under_the_operation)
{
    SoapClient *c = plain_client(SOAP_FLAVOR_SOAP);
    const long long ids[] = {115, 116, 117};
    DynBuf b;

    dynbuf_init(&b, 1024 * 1024);
    soap_build_events_done(c, &b, ids, 3);
    ck_assert_str_eq(dynbuf_str(&b), ENV_OPEN "<events_Done xmlns=\"" NS_C "\">" LOGIN
                                              "<event>115</event><event>116</event>"
                                              "<event>117</event></events_Done>" ENV_CLOSE);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

START_TEST(the_navision_flavor_uses_its_namespace)
{
    SoapClient *c = plain_client(SOAP_FLAVOR_NAVISION);
    const long long ids[] = {7};
    DynBuf b;

    dynbuf_init(&b, 1024 * 1024);
    ck_assert_str_eq(soap_namespace(c), NS_N);
    soap_build_events_get(c, &b, "all", NULL, 0);
    ck_assert_str_eq(dynbuf_str(&b), ENV_OPEN "<events_GetRequest xmlns=\"" NS_N "\">" LOGIN
                                              "<type>all</type></events_GetRequest>" ENV_CLOSE);
    dynbuf_reset(&b);
    soap_build_events_done(c, &b, ids, 1);
    ck_assert_str_eq(dynbuf_str(&b), ENV_OPEN "<events_Done xmlns=\"" NS_N "\">" LOGIN
                                              "<event>7</event></events_Done>" ENV_CLOSE);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

START_TEST(every_value_is_escaped)
{
    SoapOptions o = options(SOAP_FLAVOR_SOAP);
    static const FakeReply ok = {.status = 200, .retry_after = -1};
    const char *markets[] = {"a&b<c>"};
    SoapClient *c;
    Error err;
    DynBuf b;

    o.username = "Åsa & \"co\"";
    o.password = "<&\"'>";
    ck_assert_int_eq(soap_client_new(&o, &fake_new(&ok, 1)->base, &c, &err), ERR_OK);
    dynbuf_init(&b, 1024 * 1024);
    soap_build_events_get(c, &b, "x<y", markets, 1);
    ck_assert_str_eq(dynbuf_str(&b),
                     ENV_OPEN "<events_GetByMarkets xmlns=\"" NS_C "\"><login><username>Åsa &amp; "
                              "&quot;co&quot;</username><password>&lt;&amp;&quot;'&gt;</password>"
                              "</login><type>x&lt;y</type><markets><market><id>a&amp;b&lt;c&gt;"
                              "</id></market></markets></events_GetByMarkets>" ENV_CLOSE);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

START_TEST(values_xml_cannot_carry_are_replaced_or_refused)
{
    SoapClient *c = plain_client(SOAP_FLAVOR_SOAP);
    SoapOptions o = options(SOAP_FLAVOR_SOAP);
    static const FakeReply ok = {.status = 200, .retry_after = -1};
    const char *markets[] = {"a\001b\xff"};
    SoapClient *bad;
    Error err;
    DynBuf b;

    dynbuf_init(&b, 1024 * 1024);
    soap_build_events_get(c, &b, "all", markets, 1);
    ck_assert_contains(dynbuf_str(&b), "<id>a\xEF\xBF\xBD"
                                       "b\xEF\xBF\xBD</id>");
    dynbuf_free(&b);
    soap_client_free(c);
    o.password = "pa\033ss";
    ck_assert_int_eq(soap_client_new(&o, &fake_new(&ok, 1)->base, &bad, &err), ERR_CONFIG);
    ck_assert_ptr_null(bad);
    ck_assert_str_eq(err.message, "CENTRA_PASSWORD holds a character that XML cannot carry");
    ck_assert_str_eq(err.detail,
                     "The character at position 3 (counting from 1) is a control character "
                     "(U+001B).");
    ck_assert_not_contains(err.detail, "pa");
}
END_TEST

/* Where the character is, counted in characters, and what it is; never the value. */
typedef struct LoginTextCase {
    const char *password; /* CENTRA_PASSWORD */
    const char *detail;   /* expected detail */
} LoginTextCase;

static const LoginTextCase login_text_cases[] = {
    {"secret pass\x1f",
     "The character at position 12 (counting from 1) is a control character (U+001F)."},
    {"s\xc3\xa4\xc3\xa4kret\x01",
     "The character at position 8 (counting from 1) is a control character (U+0001)."},
    {"\xc3\xa5ngstr\xc3\xb6m\xff",
     "The character at position 9 (counting from 1) is not valid UTF-8 (byte 11)."},
    {"sekret\xef\xbf\xbe",
     "The character at position 7 (counting from 1) is U+FFFE, which XML does not allow."},
};

START_TEST(a_login_xml_cannot_carry_is_refused_with_its_position)
{
    const LoginTextCase *tc = &login_text_cases[_i];
    SoapOptions o = options(SOAP_FLAVOR_SOAP);
    static const FakeReply ok = {.status = 200, .retry_after = -1};
    SoapClient *bad;
    Error err;

    o.password = tc->password;
    ck_assert_int_eq(soap_client_new(&o, &fake_new(&ok, 1)->base, &bad, &err), ERR_CONFIG);
    ck_assert_ptr_null(bad);
    ck_assert_str_eq(err.message, "CENTRA_PASSWORD holds a character that XML cannot carry");
    ck_assert_str_eq(err.detail, tc->detail);
    ck_assert_not_contains(err.detail, "kret");
    ck_assert_not_contains(err.detail, "ngstr");
}
END_TEST

START_TEST(soap_actions_capitalise_the_operation)
{
    SoapClient *c = plain_client(SOAP_FLAVOR_SOAP);
    SoapClient *n = plain_client(SOAP_FLAVOR_NAVISION);
    char buf[256];

    ck_assert_str_eq(soap_action(c, "events_Get", buf, sizeof(buf)), NS_C "Events_Get");
    ck_assert_str_eq(soap_action(c, "events_GetByMarkets", buf, sizeof(buf)),
                     NS_C "Events_GetByMarkets");
    ck_assert_str_eq(soap_action(c, "events_Done", buf, sizeof(buf)), NS_C "Events_Done");
    ck_assert_str_eq(soap_action(c, "orders_Update", buf, sizeof(buf)), NS_C "Orders_Update");
    ck_assert_str_eq(soap_action(n, "orders_Update", buf, sizeof(buf)), NS_N "Orders_Update");
    ck_assert_str_eq(soap_url(c), URL);
    soap_client_free(c);
    soap_client_free(n);
}
END_TEST

START_TEST(passwords_are_masked_for_logs)
{
    const char *in = "<login><username>u</username><password>s3cr&lt;et</password></login>"
                     "<buyer><ns1:password>x<![CDATA[<y>]]></ns1:password><password/>"
                     "<passwords>keep</passwords></buyer><password>open";
    DynBuf out;

    dynbuf_init(&out, 1024 * 1024);
    soap_mask_passwords(in, strlen(in), &out);
    ck_assert_str_eq(dynbuf_str(&out),
                     "<login><username>u</username><password>********</password></login>"
                     "<buyer><ns1:password>********</ns1:password><password/>"
                     "<passwords>keep</passwords></buyer><password>********");
    dynbuf_free(&out);
}
END_TEST

START_TEST(trace_logging_shows_the_request_with_the_password_masked)
{
    static const FakeReply ok = {.status = 200, .body = "<x/>", .retry_after = -1};
    SoapOptions o = options(SOAP_FLAVOR_SOAP);
    SoapClient *c;
    Recorder rec = {0};
    HttpResponse resp;
    Error err;

    o.password = "hunter2-secret";
    ck_assert_int_eq(soap_client_new(&o, &fake_new(&ok, 1)->base, &c, &err), ERR_OK);
    log_set_level(LOG_LEVEL_TRACE);
    ck_assert_int_eq(call_get(c, &rec, &resp, &err), ERR_OK);
    ck_assert_contains(logged(), "events_Get request: <?xml");
    ck_assert_contains(logged(), "<password>********</password>");
    ck_assert_not_contains(logged(), "hunter2");
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

START_TEST(a_plain_http_url_is_warned_about)
{
    SoapOptions o = options(SOAP_FLAVOR_SOAP);
    static const FakeReply ok = {.status = 200, .retry_after = -1};
    SoapClient *c;
    Error err;

    o.url = "http://127.0.0.1:1/soap";
    ck_assert_int_eq(soap_client_new(&o, &fake_new(&ok, 1)->base, &c, &err), ERR_OK);
    ck_assert_contains(logged(), "WARNING: Centra URL \"http://127.0.0.1:1/soap\" is plain "
                                 "http: the password travels unencrypted");
    soap_client_free(c);
    soap_client_free(NULL);
    http_free(NULL);
}
END_TEST

/* --- options from the configuration --------------------------------------------------- */

START_TEST(options_come_from_the_configuration)
{
    Config *cfg = config_new();
    SoapOptions o;
    Error err;

    ck_assert_int_eq(soap_options_from_config(&o, cfg, &err), ERR_CONFIG);
    ck_assert_str_eq(err.message, "setting \"centra_url\" is not set");
    ck_assert_int_eq(config_set(cfg, CONFIG_CENTRA_URL, NAVISION_URL, CONFIG_SOURCE_CLI, "t", &err),
                     ERR_OK);
    ck_assert_int_eq(config_set(cfg, CONFIG_CENTRA_USERNAME, "U", CONFIG_SOURCE_CLI, "t", &err),
                     ERR_OK);
    ck_assert_int_eq(soap_options_from_config(&o, cfg, &err), ERR_CONFIG);
    ck_assert_str_eq(err.message, "setting \"centra_password\" is not set");
    ck_assert_int_eq(config_set(cfg, CONFIG_CENTRA_PASSWORD, "P", CONFIG_SOURCE_CLI, "t", &err),
                     ERR_OK);
    ck_assert_int_eq(
        config_set(cfg, CONFIG_CENTRA_FLAVOR, "navision", CONFIG_SOURCE_CLI, "t", &err), ERR_OK);
    ck_assert_int_eq(config_set(cfg, CONFIG_RETRIES, "2", CONFIG_SOURCE_CLI, "t", &err), ERR_OK);
    ck_assert_int_eq(config_set(cfg, CONFIG_RETRY_DELAY, "250ms", CONFIG_SOURCE_CLI, "t", &err),
                     ERR_OK);
    ck_assert_int_eq(soap_options_from_config(&o, cfg, &err), ERR_OK);
    ck_assert_str_eq(o.url, NAVISION_URL);
    ck_assert_str_eq(o.username, "U");
    ck_assert_str_eq(o.password, "P");
    ck_assert_int_eq(o.flavor, SOAP_FLAVOR_NAVISION);
    ck_assert_int_eq(o.retries, 2);
    ck_assert_int_eq(o.retry_delay_ms, 250);
    ck_assert_int_eq(o.retry_max_ms, 60000);
    config_free(cfg);
}
END_TEST

START_TEST(a_url_naming_the_other_flavors_endpoint_is_refused)
{
    static const struct {
        const char *url;
        const char *flavor;
        const char *message; /* NULL: accepted */
    } cases[] = {
        {"https://x.centra.com/ams/system/service/module/navision/soap", "soap",
         "CENTRA_FLAVOR is soap, but CENTRA_URL names Centra's legacy navision endpoint"},
        {"https://x.centra.com/ams/system/service/module/navision/api?wsdl", "soap",
         "CENTRA_FLAVOR is soap, but CENTRA_URL names Centra's legacy navision endpoint"},
        {URL, "navision",
         "CENTRA_FLAVOR is navision, but CENTRA_URL names Centra's current "
         "endpoint"},
        {"https://x.centra.com/ams/system/service/module/navision/soap", "navision", NULL},
        {URL, "soap", NULL},
        /* A path that names neither (a proxy), or the words elsewhere: not judged. */
        {"https://proxy.example.com/centra", "navision", NULL},
        {"https://module.navision.example.com/soap/api", "soap", NULL},
        {"https://x.example.com/api?next=/module/navision/", "soap", NULL},
    };

    for (size_t i = 0; i < CB_LENGTH(cases); i++) {
        Config *cfg = config_new();
        SoapOptions o;
        Error err;
        ErrKind rc;

        err_reset(&err);
        ck_assert_int_eq(
            config_set(cfg, CONFIG_CENTRA_URL, cases[i].url, CONFIG_SOURCE_CLI, "t", &err), ERR_OK);
        ck_assert_int_eq(config_set(cfg, CONFIG_CENTRA_USERNAME, "U", CONFIG_SOURCE_CLI, "t", &err),
                         ERR_OK);
        ck_assert_int_eq(config_set(cfg, CONFIG_CENTRA_PASSWORD, "P", CONFIG_SOURCE_CLI, "t", &err),
                         ERR_OK);
        ck_assert_int_eq(
            config_set(cfg, CONFIG_CENTRA_FLAVOR, cases[i].flavor, CONFIG_SOURCE_CLI, "t", &err),
            ERR_OK);
        rc = soap_options_from_config(&o, cfg, &err);
        if (cases[i].message == NULL) {
            ck_assert_msg(rc == ERR_OK, "%s with %s: %s", cases[i].url, cases[i].flavor,
                          err.message);
        } else {
            ck_assert_int_eq(rc, ERR_CONFIG);
            ck_assert_str_eq(err.message, cases[i].message);
            ck_assert_ptr_nonnull(strstr(err.detail, SOAP_NS_NAVISION));
            ck_assert_ptr_nonnull(strstr(err.hint, "Set CENTRA_FLAVOR="));
        }
        config_free(cfg);
    }
}
END_TEST

START_TEST(an_unreadable_ca_file_is_a_configuration_error)
{
    HttpOptions ho = {.connect_timeout_ms = 1000, .timeout_ms = 1000, .verify_tls = true};
    HttpTransport *t = NULL;
    Error err;

    ho.ca_file = "/nonexistent/ca.pem";
    ck_assert_int_eq(http_curl_new(&ho, &t, &err), ERR_CONFIG);
    ck_assert_ptr_null(t);
    ck_assert_str_eq(err.message, "CENTRA_CA_FILE \"/nonexistent/ca.pem\" cannot be read: No "
                                  "such file or directory");
    ck_assert_contains(err.hint, "Name a readable PEM file of the CA certificates");
    ho.ca_file = "/";
    ck_assert_int_eq(http_curl_new(&ho, &t, &err), ERR_CONFIG);
    ck_assert_str_eq(err.message, "CENTRA_CA_FILE \"/\" cannot be read: Is a directory");
}
END_TEST

/* A CA file of size bytes with the PEM marker at offset at (none when at < 0). */
static void
write_ca(const char *path, size_t size, long at)
{
    static const char marker[] = "-----BEGIN CERTIFICATE-----";
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < size; i++) {
        if (at >= 0 && i == (size_t)at) {
            fputs(marker, f);
            i += strlen(marker) - 1;
        } else {
            fputc(i % 64 == 63 ? '\n' : 'x', f);
        }
    }
    fclose(f);
}

START_TEST(a_ca_file_without_a_certificate_is_refused)
{
    char path[] = "/tmp/cb-test-ca-XXXXXX";
    int fd = mkstemp(path);
    Error err;

    ck_assert_int_ge(fd, 0);
    close(fd);
    write_ca(path, 0, -1); /* empty */
    ck_assert_int_eq(http_check_ca_file(path, &err), ERR_CONFIG);
    ck_assert_contains(err.message, "holds no certificate");
    ck_assert_contains(err.detail, "-----BEGIN CERTIFICATE-----");
    write_ca(path, 20000, -1); /* text, no certificate */
    ck_assert_int_eq(http_check_ca_file(path, &err), ERR_CONFIG);
    /* The marker anywhere, also across the reads of 4096 bytes, is found. */
    for (long at = 4070; at <= 4100; at++) {
        write_ca(path, 9000, at);
        ck_assert_msg(http_check_ca_file(path, &err) == ERR_OK, "marker at %ld", at);
    }
    write_ca(path, 200000, 150000);
    ck_assert_int_eq(http_check_ca_file(path, &err), ERR_OK);
    unlink(path);
}
END_TEST

/* --- Retry-After ---------------------------------------------------------------------- */

START_TEST(retry_after_reads_seconds_and_dates)
{
    const long long now = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */

    ck_assert_int_eq(http_parse_retry_after("120", now), 120000);
    ck_assert_int_eq(http_parse_retry_after(" 5 ", now), 5000);
    ck_assert_int_eq(http_parse_retry_after("0", now), 0);
    ck_assert_int_eq(http_parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), 30000);
    ck_assert_int_eq(http_parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), 0);
    ck_assert_int_eq(http_parse_retry_after("99999999999999999999999", now),
                     LLONG_MAX / 1000 * 1000);
    ck_assert_int_eq(http_parse_retry_after("soon", now), -1);
    ck_assert_int_eq(http_parse_retry_after("-5", now), -1);
    ck_assert_int_eq(http_parse_retry_after("1.5", now), -1);
    ck_assert_int_eq(http_parse_retry_after("", now), -1);
    ck_assert_int_eq(http_parse_retry_after(NULL, now), -1);
}
END_TEST

/* --- update answers ------------------------------------------------------------------- */

#define SOAPENV(body)                                                                              \
    "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "             \
    "xmlns:ns1=\"" NS_C "\"><SOAP-ENV:Body>" body "</SOAP-ENV:Body></SOAP-ENV:Envelope>"

typedef struct UpdateCase {
    const char *body;   /* the answer */
    bool success;       /* expected success */
    const char *error;  /* first error, NULL for none */
    size_t nerrors;     /* expected count */
    const char *notice; /* first notice, NULL for none */
    size_t nnotices;    /* expected count */
} UpdateCase;

static const UpdateCase update_cases[] = {
    /* The guide's shape, ns1-prefixed. */
    {SOAPENV("<ns1:result><ns1:success>true</ns1:success><ns1:errors/><ns1:notices><ns1:message>"
             "Added new size: S: Small to: Small Medium Large!</ns1:message></ns1:notices>"
             "</ns1:result>"),
     true, NULL, 0, "Added new size: S: Small to: Small Medium Large!", 1},
    /* Default namespace, success false, trimmed messages. */
    {SOAPENV("<result xmlns=\"" NS_C "\"><success> false </success><errors><message>\n  Product "
             "NOPE does not exist \n</message><message>Second</message></errors><notices/>"
             "</result>"),
     false, "Product NOPE does not exist", 2, NULL, 0},
    /* The navision namespace, success written 1, no errors element. */
    {SOAPENV("<n:result xmlns:n=\"" NS_N "\"><n:success>1</n:success></n:result>"), true, NULL, 0,
     NULL, 0},
    /* No namespace at all, wrapped in a response element, YES. */
    {SOAPENV("<productsUpdateResponse><result><success>YES</success><notices><message>Created new "
             "warehouse: W9</message></notices></result></productsUpdateResponse>"),
     true, NULL, 0, "Created new warehouse: W9", 1},
    /* The reference's shape. */
    {SOAPENV("<accountsUpdateResponse>OK</accountsUpdateResponse>"), true, NULL, 0, NULL, 0},
    {SOAPENV("<ns1:eventsDoneResponse> ok </ns1:eventsDoneResponse>"), true, NULL, 0, NULL, 0},
    /* Errors as plain text, unknown elements ignored. */
    {SOAPENV("<result><success>false</success><future>x</future><errors>Bad item</errors>"
             "</result>"),
     false, "Bad item", 1, NULL, 0},
};

START_TEST(update_answers_of_either_shape_are_read)
{
    const UpdateCase *t = &update_cases[_i];
    SoapUpdateResult res;
    Error err;

    ck_assert_int_eq(soap_parse_update_response(t->body, strlen(t->body), &res, &err), ERR_OK);
    ck_assert_int_eq(res.success, t->success);
    ck_assert_uint_eq(res.nerrors, t->nerrors);
    ck_assert_uint_eq(res.nnotices, t->nnotices);
    if (t->error != NULL)
        ck_assert_str_eq(res.errors[0], t->error);
    if (t->notice != NULL)
        ck_assert_str_eq(res.notices[0], t->notice);
    soap_update_result_free(&res);
    ck_assert_uint_eq(res.nerrors, 0);
    ck_assert_ptr_null(res.errors);
}
END_TEST

typedef struct BadAnswer {
    const char *body;    /* the answer */
    ErrKind kind;        /* expected error */
    const char *message; /* expected message */
    const char *detail;  /* expected detail */
} BadAnswer;

static const BadAnswer bad_answers[] = {
    {SOAPENV("<SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode><faultstring>Login failed: "
             "wrong username or password</faultstring></SOAP-ENV:Fault>"),
     ERR_CENTRA_AUTH,
     "Centra rejected the login for an update: Login failed: wrong username or "
     "password",
     "The fault code was \"SOAP-ENV:Client\"."},
    {SOAPENV("<SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode><faultstring>Database is "
             "down\n  try later</faultstring></SOAP-ENV:Fault>"),
     ERR_CENTRA_UNAVAILABLE, "Centra failed to process an update: Database is down try later",
     "The fault code was \"SOAP-ENV:Server\"."},
    {SOAPENV("<SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode><faultstring>orders_Update: "
             "an item &lt;order&gt; has no id</faultstring></SOAP-ENV:Fault>"),
     ERR_CENTRA_FAULT, "Centra refused an update: orders_Update: an item <order> has no id",
     "The fault code was \"SOAP-ENV:Client\"."},
    {"<html>502 Bad Gateway", ERR_CENTRA_UNAVAILABLE, "unexpected answer to an update",
     "Parsing it failed: malformed XML at line 1, column 22: no element found. The "
     "answer began: \"<html>502 Bad Gateway\"."},
    {SOAPENV(""), ERR_CENTRA_UNAVAILABLE, "unexpected answer to an update",
     "It has no SOAP Body with an element in it. The answer began: \"<SOAP-ENV:Envelope "
     "xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ns1=\"" NS_C
     "\"><SOAP-ENV:Body></SOAP-ENV:Body></SOAP-ENV:Envelope>\"."},
    {SOAPENV("<ordersUpdateResponse>FAILED</ordersUpdateResponse>"), ERR_CENTRA_UNAVAILABLE,
     "unexpected answer to an update", NULL},
    {"<result><success>true</success></result>", ERR_CENTRA_UNAVAILABLE,
     "unexpected answer to an update", NULL},
    /* Which items would each be about?  Not a success, and no refusal to bisect either. */
    {SOAPENV("<r><result><success>true</success></result><result><success>false</success>"
             "<errors><message>item 2 bad</message></errors></result></r>"),
     ERR_CENTRA_UNAVAILABLE, "unexpected answer to an update", NULL},
    {"<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body><e:Fault><e:Code>"
     "<e:Value>e:Sender</e:Value></e:Code><e:Reason><e:Text>Bad item</e:Text></e:Reason>"
     "</e:Fault></e:Body></e:Envelope>",
     ERR_CENTRA_FAULT, "Centra refused an update: Bad item", "The fault code was \"e:Sender\"."},
    {"<!DOCTYPE html><html><body>Maintenance</body></html>", ERR_CENTRA_UNAVAILABLE,
     "unexpected answer to an update", NULL},
    {"", ERR_CENTRA_UNAVAILABLE, "unexpected answer to an update", NULL},
};

START_TEST(faults_and_garbage_in_update_answers_are_classified)
{
    const BadAnswer *t = &bad_answers[_i];
    SoapUpdateResult res;
    Error err;

    ck_assert_int_eq(soap_parse_update_response(t->body, strlen(t->body), &res, &err), t->kind);
    ck_assert_str_eq(err.message, t->message);
    if (t->detail != NULL)
        ck_assert_str_eq(err.detail, t->detail);
    ck_assert_uint_eq(res.nerrors + res.nnotices, 0);
    soap_update_result_free(&res);
}
END_TEST

START_TEST(fault_classification_reads_code_and_text)
{
    Error err;

    ck_assert_int_eq(soap_fault_error(&err, "events_Get", "soap:Client", "Invalid credentials"),
                     ERR_CENTRA_AUTH);
    ck_assert_str_eq(err.hint, "Check CENTRA_USERNAME and CENTRA_PASSWORD.  SOAP users are set "
                               "up by Centra, separately from admin users.");
    ck_assert_int_eq(soap_fault_error(&err, "events_Get", "Unauthorized", NULL), ERR_CENTRA_AUTH);
    ck_assert_str_eq(err.message, "Centra rejected the login for events_Get: (no faultstring)");
    /* A refused login whatever the code, even when it invites another try. */
    ck_assert_int_eq(
        soap_fault_error(&err, "events_Get", "SOAP-ENV:Server", "Login failed, please try again"),
        ERR_CENTRA_AUTH);
    ck_assert_int_eq(soap_fault_error(&err, "events_Get", "SOAP-ENV:Server",
                                      "Account temporarily locked after failed logins"),
                     ERR_CENTRA_AUTH);
    /* A login service that is down is no refused login: tried again. */
    ck_assert_int_eq(soap_fault_error(&err, "events_Get", "SOAP-ENV:Server",
                                      "Authentication service temporarily unavailable, try "
                                      "again later"),
                     ERR_CENTRA_UNAVAILABLE);
    ck_assert_int_eq(soap_fault_error(&err, "events_Get", "SOAP-ENV:Server", "Login failed"),
                     ERR_CENTRA_AUTH);
    ck_assert_int_eq(soap_fault_error(&err, "events_Get", "env:Server.Database", "busy"),
                     ERR_CENTRA_UNAVAILABLE);
    ck_assert_int_eq(soap_fault_error(&err, "events_Get", "Server", "busy"),
                     ERR_CENTRA_UNAVAILABLE);
    ck_assert_int_eq(soap_fault_error(&err, "events_Get", "soap:ServerSide", "x"),
                     ERR_CENTRA_FAULT);
    ck_assert_int_eq(soap_fault_error(&err, "events_Get", NULL, "Unknown event type: x"),
                     ERR_CENTRA_FAULT);
    ck_assert_str_eq(err.message, "Centra refused events_Get: Unknown event type: x");
    ck_assert_str_eq(err.detail, "");
}
END_TEST

/* --- soap_call over the fake ---------------------------------------------------------- */

START_TEST(a_2xx_answer_streams_to_the_sink_in_chunks)
{
    static char big[10000];
    FakeReply r = {.status = 200, .body = big, .chunk = 7, .request_id = "r-1", .retry_after = -1};
    FakeTransport *f;
    SoapClient *c;
    Recorder rec = {0};
    HttpResponse resp;
    Error err;

    for (size_t i = 0; i < sizeof(big) - 1; i++)
        big[i] = (char)('a' + i % 26);
    c = client_with(&r, 1, &f);
    ck_assert_int_eq(call_get(c, &rec, &resp, &err), ERR_OK);
    ck_assert_int_eq(rec.begins, 1);
    ck_assert_int_eq(rec.status, 200);
    ck_assert_int_eq(rec.chunks, (int)((sizeof(big) - 1 + 6) / 7));
    ck_assert_str_eq(dynbuf_str(&rec.data), big);
    ck_assert_str_eq(resp.request_id, "r-1");
    /* What went out. */
    ck_assert_str_eq(f->url, URL);
    ck_assert_str_eq(f->action, NS_C "Events_Get");
    ck_assert_str_eq(f->log_name, "events_Get");
    ck_assert_str_eq(dynbuf_str(&f->body),
                     ENV_OPEN "<events_GetRequest xmlns=\"" NS_C "\">" LOGIN
                              "<type>all</type></events_GetRequest>" ENV_CLOSE);
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

START_TEST(an_empty_2xx_answer_still_begins)
{
    FakeReply r = {.status = 204, .retry_after = -1};
    SoapClient *c = client_with(&r, 1, NULL);
    Recorder rec = {0};
    HttpResponse resp;
    Error err;

    ck_assert_int_eq(call_get(c, &rec, &resp, &err), ERR_OK);
    ck_assert_int_eq(rec.begins, 1);
    ck_assert_int_eq(rec.chunks, 0);
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

typedef struct CallCase {
    FakeReply reply;     /* what the fake answers */
    ErrKind kind;        /* expected error */
    const char *message; /* expected message */
    const char *detail;  /* expected detail */
    const char *hint;    /* expected hint ("" for none) */
} CallCase;

#define FAULT(code, text)                                                                          \
    SOAPENV("<SOAP-ENV:Fault><faultcode>" code "</faultcode><faultstring>" text                    \
            "</faultstring></SOAP-ENV:Fault>")
#define HTML_503 "<html><head><title>503 Service Unavailable</title></head>\n<body>Down</body>"

static const CallCase call_cases[] = {
    {{.status = 500,
      .body = FAULT("SOAP-ENV:Server", "Internal error"),
      .chunk = 5,
      .request_id = "abc-123",
      .retry_after = -1},
     ERR_CENTRA_UNAVAILABLE,
     "Centra failed to process events_Get: Internal error",
     "The fault code was \"SOAP-ENV:Server\". Centra's request ID was abc-123.",
     ""},
    {{.status = 500,
      .body = FAULT("SOAP-ENV:Client", "Login failed: wrong username or password"),
      .retry_after = -1},
     ERR_CENTRA_AUTH,
     "Centra rejected the login for events_Get: Login failed: wrong username or password",
     "The fault code was \"SOAP-ENV:Client\".",
     "Check CENTRA_USERNAME and CENTRA_PASSWORD.  SOAP users are set up by Centra, separately "
     "from admin users."},
    {{.status = 500,
      .body = FAULT("SOAP-ENV:Client", "Unknown event type: products"),
      .retry_after = -1},
     ERR_CENTRA_FAULT,
     "Centra refused events_Get: Unknown event type: products",
     "The fault code was \"SOAP-ENV:Client\".",
     ""},
    {{.status = 500,
      .body = "<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body>"
              "<env:Fault><env:Code><env:Value>env:Receiver</env:Value></env:Code><env:Reason>"
              "<env:Text xml:lang=\"en\">Database busy</env:Text></env:Reason></env:Fault>"
              "</env:Body></env:Envelope>",
      .retry_after = -1},
     ERR_CENTRA_UNAVAILABLE,
     "Centra failed to process events_Get: Database busy",
     "The fault code was \"env:Receiver\".",
     ""},
    {{.status = 503, .body = HTML_503, .request_id = "q", .retry_after = -1},
     ERR_CENTRA_UNAVAILABLE,
     "Centra answered events_Get with HTTP 503",
     "The answer began: \"<html><head><title>503 Service Unavailable</title></head> "
     "<body>Down</body>\". Centra's request ID was q.",
     ""},
    {{.status = 429, .body = "slow down", .retry_after = 3000},
     ERR_CENTRA_UNAVAILABLE,
     "Centra answered events_Get with HTTP 429",
     "The answer began: \"slow down\". Centra asked to wait 3000 ms before retrying.",
     ""},
    {{.status = 408, .retry_after = -1},
     ERR_CENTRA_UNAVAILABLE,
     "Centra answered events_Get with HTTP 408",
     "The answer was empty.",
     ""},
    {{.status = 404, .body = "Not Found", .retry_after = -1},
     ERR_CENTRA_FAULT,
     "Centra answered events_Get with HTTP 404",
     "The answer began: \"Not Found\". The URL was \"" URL "\".",
     "Check CENTRA_URL: it must be Centra's SOAP endpoint, such as "
     "https://example.centra.com/ams/system/service/module/soap/api."},
    {{.status = 301, .body = "Moved", .retry_after = -1, .location = "https://x.example/api"},
     ERR_CENTRA_FAULT,
     "Centra answered events_Get with HTTP 301",
     "The answer began: \"Moved\". It redirects to \"https://x.example/api\".",
     "Centra redirects \"" URL "\" elsewhere: if \"https://x.example/api\" is Centra's SOAP "
     "endpoint (an http:// URL moved to https://, say), set CENTRA_URL to it."},
    {{.status = 307, .retry_after = -1},
     ERR_CENTRA_FAULT,
     "Centra answered events_Get with HTTP 307",
     "The answer was empty.",
     "Centra redirects \"" URL "\" elsewhere: check CENTRA_URL."},
    {{.status = 401, .retry_after = -1},
     ERR_CENTRA_AUTH,
     "Centra rejected the login for events_Get (HTTP 401)",
     "",
     "Check CENTRA_USERNAME and CENTRA_PASSWORD.  SOAP users are set up by Centra, separately "
     "from admin users."},
    {{.status = 403, .body = FAULT("SOAP-ENV:Client", "Forbidden"), .retry_after = -1},
     ERR_CENTRA_AUTH,
     "Centra rejected the login for events_Get (HTTP 403)",
     "Centra said: \"Forbidden\".",
     "Check CENTRA_USERNAME and CENTRA_PASSWORD.  SOAP users are set up by Centra, separately "
     "from admin users."},
    {{.status = 400, .body = "Bad\x01request \xff\xfe tail", .retry_after = -1},
     ERR_CENTRA_FAULT,
     "Centra answered events_Get with HTTP 400",
     "The answer began: \"Bad request ?? tail\".",
     ""},
    {{.status = 0, .fail = ERR_CENTRA_UNAVAILABLE, .request_id = "r9", .retry_after = -1},
     ERR_CENTRA_UNAVAILABLE,
     "could not reach Centra at \"" URL "\"",
     "libcurl: Connection refused. Centra's request ID was r9.",
     ""},
};

START_TEST(answers_other_than_2xx_are_classified)
{
    const CallCase *t = &call_cases[_i];
    SoapClient *c = client_with(&t->reply, 1, NULL);
    Recorder rec = {0};
    HttpResponse resp;
    Error err;

    ck_assert_int_eq(call_get(c, &rec, &resp, &err), t->kind);
    ck_assert_str_eq(err.message, t->message);
    ck_assert_str_eq(err.detail, t->detail);
    ck_assert_str_eq(err.hint, t->hint);
    ck_assert_int_eq(rec.begins + rec.chunks, 0); /* the caller's sink saw nothing */
    ck_assert_int_eq(resp.status, t->reply.status);
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

START_TEST(a_long_error_answer_is_cut_in_the_detail_and_read_only_so_far)
{
    static char big[SOAP_ERROR_BODY_MAX * 2];
    FakeReply r = {.status = 502, .body = big, .chunk = 4096, .retry_after = -1};
    SoapClient *c;
    Recorder rec = {0};
    HttpResponse resp;
    Error err;

    memset(big, 'x', sizeof(big) - 1);
    c = client_with(&r, 1, NULL);
    ck_assert_int_eq(call_get(c, &rec, &resp, &err), ERR_CENTRA_UNAVAILABLE);
    ck_assert_str_eq(err.message, "Centra answered events_Get with HTTP 502");
    ck_assert_uint_eq(strlen(err.detail), strlen("The answer began: \"\".") + 200 + 3);
    ck_assert_contains(err.detail, "xxx...\".");
    /* The transfer stopped once the cap was reached. */
    ck_assert_int_le(resp.body_bytes, SOAP_ERROR_BODY_MAX + 4096);
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

START_TEST(the_sinks_own_error_is_returned_unchanged)
{
    FakeReply r = {.status = 200, .body = "<a/>", .request_id = "r", .retry_after = -1};
    SoapClient *c = client_with(&r, 1, NULL);
    Recorder rec = {.fail_with = ERR_DATA};
    HttpResponse resp;
    Error err;

    ck_assert_int_eq(call_get(c, &rec, &resp, &err), ERR_DATA);
    ck_assert_str_eq(err.message, "the event stream is malformed");
    ck_assert_str_eq(err.detail, "");
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

/* --- retries and updates -------------------------------------------------------------- */

#define RESULT_OK                                                                                  \
    SOAPENV("<ns1:result><ns1:success>true</ns1:success><ns1:errors/><ns1:notices/>"               \
            "</ns1:result>")

static DynBuf
done_body(SoapClient *c)
{
    const long long ids[] = {1, 2};
    DynBuf b;

    dynbuf_init(&b, 1024 * 1024);
    soap_build_events_done(c, &b, ids, 2);
    return b;
}

START_TEST(a_retryable_failure_is_retried_the_configured_number_of_times)
{
    FakeReply r = {.status = 503, .body = "busy", .retry_after = -1};
    FakeTransport *f;
    SoapClient *c = client_with(&r, 1, &f);
    DynBuf b = done_body(c);
    SoapUpdateResult res;
    HttpResponse resp;
    Error err;

    ck_assert_int_eq(soap_update(c, "events_Done", &b, &res, &resp, &err), ERR_CENTRA_UNAVAILABLE);
    ck_assert_int_eq(f->calls, 4); /* the first attempt and 3 retries */
    ck_assert_str_eq(err.message, "Centra answered events_Done with HTTP 503");
    ck_assert_str_eq(err.detail, "The answer began: \"busy\". Gave up after 4 attempts.");
    ck_assert_contains(logged(), "WARNING: events_Done failed (attempt 1 of 4): Centra answered "
                                 "events_Done with HTTP 503; retrying in 1ms");
    ck_assert_contains(logged(), "events_Done failed (attempt 3 of 4)");
    ck_assert_not_contains(logged(), "attempt 4 of 4");
    ck_assert_uint_eq(res.nerrors + res.nnotices, 0);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

START_TEST(a_permanent_failure_is_never_retried)
{
    FakeReply r = {.status = 404, .retry_after = -1};
    FakeTransport *f;
    SoapClient *c = client_with(&r, 1, &f);
    DynBuf b = done_body(c);
    SoapUpdateResult res;
    HttpResponse resp;
    Error err;

    ck_assert_int_eq(soap_update(c, "events_Done", &b, &res, &resp, &err), ERR_CENTRA_FAULT);
    ck_assert_int_eq(f->calls, 1);
    ck_assert_not_contains(err.detail, "Gave up");
    ck_assert_str_eq(logged(), "");
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

START_TEST(a_retry_that_succeeds_returns_the_answer)
{
    static const FakeReply script[] = {
        {.status = 0, .fail = ERR_CENTRA_UNAVAILABLE, .retry_after = -1},
        {.status = 500, .body = FAULT("SOAP-ENV:Server", "try again"), .retry_after = -1},
        {.status = 200, .body = RESULT_OK, .chunk = 3, .request_id = "ok", .retry_after = -1},
    };
    FakeTransport *f;
    SoapClient *c = client_with(script, 3, &f);
    DynBuf b = done_body(c);
    SoapUpdateResult res;
    HttpResponse resp;
    Error err;

    log_set_level(LOG_LEVEL_INFO); /* the line that says it is over */
    ck_assert_int_eq(soap_update(c, "events_Done", &b, &res, &resp, &err), ERR_OK);
    ck_assert_int_eq(f->calls, 3);
    ck_assert(res.success);
    ck_assert_str_eq(resp.request_id, "ok");
    ck_assert_contains(logged(), "events_Done failed (attempt 2 of 4): Centra failed to process "
                                 "events_Done: try again; retrying in");
    ck_assert_contains(logged(), "INFO: events_Done: Centra answers again, after 2 failed "
                                 "attempts");
    soap_update_result_free(&res);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

/*
 * Found in review: a 2xx answer that turned out unreadable was announced as
 * "Centra answers again" before each retry, the last failed one too.
 */
START_TEST(answers_again_is_said_once_an_answer_is_read)
{
    static const FakeReply script[] = {
        {.status = 200, .body = "<html>maintenance</html>", .retry_after = -1},
        {.status = 200, .body = "<html>maintenance</html>", .retry_after = -1},
        {.status = 200, .body = RESULT_OK, .retry_after = -1},
    };
    FakeTransport *f;
    SoapClient *c = client_with(script, 3, &f);
    DynBuf b = done_body(c);
    SoapUpdateResult res;
    HttpResponse resp;
    Error err;
    const char *log;

    log_set_level(LOG_LEVEL_INFO);
    ck_assert_int_eq(soap_update(c, "events_Done", &b, &res, &resp, &err), ERR_OK);
    ck_assert_int_eq(f->calls, 3);
    log = logged();
    ck_assert_contains(log, "INFO: events_Done: Centra answers again, after 2 failed attempts");
    ck_assert_ptr_null(strstr(log, "after 1 failed attempt"));
    ck_assert_ptr_null(strstr(strstr(log, "answers again") + 1, "answers again"));
    soap_update_result_free(&res);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

START_TEST(a_longer_retry_after_wins_over_the_backoff)
{
    static const FakeReply script[] = {
        {.status = 429, .retry_after = 300},
        {.status = 200, .body = RESULT_OK, .retry_after = -1},
    };
    SoapClient *c = client_with(script, 2, NULL);
    DynBuf b = done_body(c);
    SoapUpdateResult res;
    HttpResponse resp;
    Error err;
    long long t0 = backoff_now_ms();

    ck_assert_int_eq(soap_update(c, "events_Done", &b, &res, &resp, &err), ERR_OK);
    ck_assert_int_ge(backoff_now_ms() - t0, 300);
    ck_assert_contains(logged(), "retrying in 300ms");
    soap_update_result_free(&res);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

/*
 * SIGTERM during a long Retry-After: the wait ends and so do the retries
 * (found in review: attempt 2 went out at once, then another 30 s wait).
 */
START_TEST(a_stop_during_the_wait_ends_the_retries)
{
    static const FakeReply script[] = {
        {.status = 503, .body = "busy", .retry_after = 60000},
        {.status = 503, .body = "busy", .retry_after = -1},
        {.status = 200, .body = RESULT_OK, .retry_after = -1},
    };
    FakeTransport *f;
    SoapClient *c = client_with(script, 3, &f);
    DynBuf b = done_body(c);
    SoapUpdateResult res;
    HttpResponse resp;
    Error err;
    long long t0 = backoff_now_ms();
    /* SIGTERM to this process in 200 ms, during the wait (no child: valgrind runs unforked). */
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGTERM};
    struct itimerspec in = {.it_value = {.tv_nsec = 200 * 1000 * 1000}};
    timer_t timer;

    sig_install();
    ck_assert_int_eq(timer_create(CLOCK_MONOTONIC, &ev, &timer), 0);
    ck_assert_int_eq(timer_settime(timer, 0, &in, NULL), 0);
    ck_assert_int_eq(soap_update(c, "events_Done", &b, &res, &resp, &err), ERR_CENTRA_UNAVAILABLE);
    ck_assert_int_lt(backoff_now_ms() - t0, 30000); /* not the 60 s Retry-After */
    ck_assert_int_eq(f->calls, 1);
    ck_assert_contains(err.detail, "Not tried again: a stop was asked for.");
    ck_assert_int_eq(timer_delete(timer), 0);
    /* A stop asked for before a failure: no wait at all. */
    ck_assert_int_eq(soap_update(c, "events_Done", &b, &res, &resp, &err), ERR_CENTRA_UNAVAILABLE);
    ck_assert_int_eq(f->calls, 2);
    sig_restore();
    /* An outermost install clears the stop for the tests after this one (one process under
       valgrind, CK_FORK=no). */
    sig_install();
    sig_restore();
    soap_update_result_free(&res);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

START_TEST(retry_wait_decides_from_the_error_kind_and_attempt)
{
    SoapClient *c = plain_client(SOAP_FLAVOR_SOAP);
    HttpResponse resp = {.retry_after_ms = -1};
    Error err;

    err_set(&err, ERR_CENTRA_FAULT, "no");
    ck_assert(!soap_retry_wait(c, 1, &resp, &err));
    ck_assert_str_eq(err.detail, "");
    err_set(&err, ERR_CENTRA_UNAVAILABLE, "down");
    ck_assert(soap_retry_wait(c, 1, &resp, &err));
    ck_assert(soap_retry_wait(c, 3, NULL, &err));
    ck_assert(!soap_retry_wait(c, 4, &resp, &err));
    ck_assert_str_eq(err.detail, "Gave up after 4 attempts.");
    ck_assert_contains(logged(), "request failed (attempt 1 of 4): down; retrying in");
    soap_client_free(c);
}
END_TEST

START_TEST(no_retries_configured_gives_up_after_one_attempt)
{
    SoapOptions o = options(SOAP_FLAVOR_SOAP);
    FakeReply r = {.status = 503, .retry_after = -1};
    FakeTransport *f = fake_new(&r, 1);
    SoapClient *c;
    DynBuf b;
    SoapUpdateResult res;
    HttpResponse resp;
    Error err;

    o.retries = 0;
    ck_assert_int_eq(soap_client_new(&o, &f->base, &c, &err), ERR_OK);
    b = done_body(c);
    ck_assert_int_eq(soap_update(c, "events_Done", &b, &res, &resp, &err), ERR_CENTRA_UNAVAILABLE);
    ck_assert_int_eq(f->calls, 1);
    ck_assert_str_eq(err.detail, "The answer was empty. Gave up after 1 attempt.");
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

START_TEST(an_update_answer_over_the_cap_is_refused)
{
    static char big[SOAP_UPDATE_BODY_MAX + 10];
    FakeReply r = {.status = 200, .body = big, .chunk = 65536, .retry_after = -1};
    FakeTransport *f;
    SoapClient *c;
    DynBuf b;
    SoapUpdateResult res;
    HttpResponse resp;
    Error err;

    memset(big, ' ', sizeof(big) - 1);
    c = client_with(&r, 1, &f);
    b = done_body(c);
    ck_assert_int_eq(soap_update(c, "products_Update", &b, &res, &resp, &err), ERR_CENTRA_FAULT);
    ck_assert_str_eq(err.message, "the answer to products_Update is too large");
    ck_assert_str_eq(err.detail, "It exceeds 4194304 bytes.");
    ck_assert_int_eq(f->calls, 1);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

/* Found in review: any operation's OK was taken as this request's answer. */
START_TEST(an_ok_answer_counts_only_for_its_own_operation)
{
    static const struct {
        const char *op;   /* the request's operation */
        const char *body; /* Centra's answer */
        bool ok;          /* taken as success */
    } cases[] = {
        {"warehouses_Update", SOAPENV("<warehousesUpdateResponse>OK</warehousesUpdateResponse>"),
         true},
        {"warehouses_Update", SOAPENV("<warehouses_UpdateResponse>OK</warehouses_UpdateResponse>"),
         true},
        {"events_Done", SOAPENV("<ns1:eventsDoneResponse> ok </ns1:eventsDoneResponse>"), true},
        {"warehouses_Update", SOAPENV("<ordersUpdateResponse>OK</ordersUpdateResponse>"), false},
    };

    for (size_t i = 0; i < CB_LENGTH(cases); i++) {
        FakeReply r = {.status = 200, .body = cases[i].body, .retry_after = -1};
        FakeTransport *f;
        SoapClient *c = client_with(&r, 1, &f);
        DynBuf b = done_body(c);
        SoapUpdateResult res;
        HttpResponse resp;
        Error err;
        ErrKind rc = soap_update(c, cases[i].op, &b, &res, &resp, &err);

        ck_assert_msg(rc == (cases[i].ok ? ERR_OK : ERR_CENTRA_UNAVAILABLE), "case %zu: %d", i,
                      (int)rc);
        if (cases[i].ok)
            ck_assert(res.success);
        else
            ck_assert_ptr_nonnull(strstr(err.detail, "the OK response of another operation"));
        soap_update_result_free(&res);
        dynbuf_free(&b);
        soap_client_free(c);
    }
}
END_TEST

START_TEST(an_update_answer_names_the_operation_when_not_understood)
{
    FakeReply r = {.status = 200, .body = "<a/>", .request_id = "id7", .retry_after = -1};
    FakeTransport *f;
    SoapClient *c = client_with(&r, 1, &f);
    DynBuf b = done_body(c);
    SoapUpdateResult res;
    HttpResponse resp;
    Error err;

    /* Transient: tried again (3 retries), then the last answer is quoted. */
    ck_assert_int_eq(soap_update(c, "orders_Update", &b, &res, &resp, &err),
                     ERR_CENTRA_UNAVAILABLE);
    ck_assert_str_eq(err.message, "unexpected answer to orders_Update");
    ck_assert_str_eq(err.detail, "It has no SOAP Body with an element in it. The answer began: "
                                 "\"<a/>\". Centra's request ID was id7. Gave up after 4 "
                                 "attempts.");
    ck_assert_ptr_nonnull(strstr(err.hint, "maintenance page"));
    ck_assert_int_eq(f->calls, 4);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

static Suite *
soap_suite(void)
{
    Suite *s = suite_create("soap");
    TCase *env = tcase_create("envelopes");
    TCase *cfg = tcase_create("options");
    TCase *ra = tcase_create("retry_after");
    TCase *upd = tcase_create("update answers");
    TCase *call = tcase_create("soap_call");
    TCase *retry = tcase_create("retries");
    TCase *all[] = {env, cfg, ra, upd, call, retry};

    tcase_add_test(env, events_get_envelope_is_exactly_the_guides);
    tcase_add_test(env, events_get_by_markets_lists_every_market);
    tcase_add_test(env, events_done_repeats_event_directly_under_the_operation);
    tcase_add_test(env, the_navision_flavor_uses_its_namespace);
    tcase_add_test(env, every_value_is_escaped);
    tcase_add_test(env, values_xml_cannot_carry_are_replaced_or_refused);
    tcase_add_loop_test(env, a_login_xml_cannot_carry_is_refused_with_its_position, 0,
                        (int)CB_LENGTH(login_text_cases));
    tcase_add_test(env, soap_actions_capitalise_the_operation);
    tcase_add_test(env, passwords_are_masked_for_logs);
    tcase_add_test(env, trace_logging_shows_the_request_with_the_password_masked);
    tcase_add_test(env, a_plain_http_url_is_warned_about);
    tcase_add_test(cfg, options_come_from_the_configuration);
    tcase_add_test(cfg, a_url_naming_the_other_flavors_endpoint_is_refused);
    tcase_add_test(cfg, an_unreadable_ca_file_is_a_configuration_error);
    tcase_add_test(cfg, a_ca_file_without_a_certificate_is_refused);
    tcase_add_test(ra, retry_after_reads_seconds_and_dates);
    tcase_add_loop_test(upd, update_answers_of_either_shape_are_read, 0,
                        (int)CB_LENGTH(update_cases));
    tcase_add_loop_test(upd, faults_and_garbage_in_update_answers_are_classified, 0,
                        (int)CB_LENGTH(bad_answers));
    tcase_add_test(upd, fault_classification_reads_code_and_text);
    tcase_add_test(call, a_2xx_answer_streams_to_the_sink_in_chunks);
    tcase_add_test(call, an_empty_2xx_answer_still_begins);
    tcase_add_loop_test(call, answers_other_than_2xx_are_classified, 0, (int)CB_LENGTH(call_cases));
    tcase_add_test(call, a_long_error_answer_is_cut_in_the_detail_and_read_only_so_far);
    tcase_add_test(call, the_sinks_own_error_is_returned_unchanged);
    tcase_add_test(retry, a_retryable_failure_is_retried_the_configured_number_of_times);
    tcase_add_test(retry, a_permanent_failure_is_never_retried);
    tcase_add_test(retry, a_retry_that_succeeds_returns_the_answer);
    tcase_add_test(retry, a_longer_retry_after_wins_over_the_backoff);
    tcase_add_test(retry, a_stop_during_the_wait_ends_the_retries);
    tcase_add_test(retry, retry_wait_decides_from_the_error_kind_and_attempt);
    tcase_add_test(retry, no_retries_configured_gives_up_after_one_attempt);
    tcase_add_test(retry, an_update_answer_over_the_cap_is_refused);
    tcase_add_test(retry, an_ok_answer_counts_only_for_its_own_operation);
    tcase_add_test(retry, answers_again_is_said_once_an_answer_is_read);
    tcase_add_test(retry, an_update_answer_names_the_operation_when_not_understood);
    for (size_t i = 0; i < CB_LENGTH(all); i++) {
        tcase_add_checked_fixture(all[i], setup, teardown);
        suite_add_tcase(s, all[i]);
    }
    return s;
}

CB_TEST_MAIN(soap_suite)
