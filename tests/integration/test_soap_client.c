/*
 * tests/integration/test_soap_client.c
 *     The SOAP client with real libcurl against centra-sim (in-process, on a
 *     free port): streaming, keep-alive, login failures, every transient
 *     fault retried to success, timeouts, refused connections, and update
 *     and events_Done answers.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/http.h"
#include "centra/json.h"
#include "centra/soap.h"
#include "simtest.h"
#include "testutil.h"

static SimServer srv;

static void
start_with(SimOptions *o)
{
    log_set_level(LOG_LEVEL_WARN);
    log_capture_begin(); /* retry warnings are expected; stderr must stay empty */
    simtest_start(&srv, o);
}

static void
start_orders(void)
{
    SimOptions o;

    sim_options_default(&o);
    o.orders = 50;
    start_with(&o);
}

static void
stop(void)
{
    sim_server_stop(&srv);
    free(log_capture_end());
}

/* What was logged so far. */
static const char *
logged(void)
{
    fflush(log_capture_state.stream);
    return log_capture_state.buf != NULL ? log_capture_state.buf : "";
}

/* A client for url; *t (may be NULL) is its transport, owned by the client. */
static SoapClient *
client_for(const char *url, const char *password, SoapFlavor flavor, long long timeout_ms,
           HttpTransport **t)
{
    SoapOptions o = {.url = url,
                     .username = SIM_DEFAULT_USER,
                     .password = password,
                     .flavor = flavor,
                     .retries = 3,
                     .retry_delay_ms = 1,
                     .retry_max_ms = 10};
    HttpOptions h = {.connect_timeout_ms = 5000, .timeout_ms = timeout_ms, .verify_tls = true};
    HttpTransport *tr;
    SoapClient *c;
    Error err;

    ck_assert_msg(http_curl_new(&h, &tr, &err) == ERR_OK, "%s", err.message);
    ck_assert_msg(soap_client_new(&o, tr, &c, &err) == ERR_OK, "%s", err.message);
    if (t != NULL)
        *t = tr;
    return c;
}

static SoapClient *
client(void)
{
    return client_for(srv.url, SIM_DEFAULT_PASSWORD, SOAP_FLAVOR_SOAP, 30000, NULL);
}

/* A sink that keeps the body of the latest answer and counts chunks. */
typedef struct Recorder {
    int begins;  /* begin calls */
    int chunks;  /* chunk calls */
    DynBuf data; /* the latest answer's body */
} Recorder;

static ErrKind
rec_begin(void *arg, const HttpResponse *resp, Error *err)
{
    Recorder *r = arg;

    (void)resp;
    (void)err;
    r->begins++;
    dynbuf_reset(&r->data);
    return ERR_OK;
}

static ErrKind
rec_chunk(void *arg, const char *data, size_t len, Error *err)
{
    Recorder *r = arg;

    (void)err;
    r->chunks++;
    ck_assert_int_eq(dynbuf_add(&r->data, data, len), ERR_OK);
    return ERR_OK;
}

static void
rec_init(Recorder *r)
{
    memset(r, 0, sizeof(*r));
    dynbuf_init(&r->data, 256u * 1024 * 1024);
}

/* One events_Get attempt into rec. */
static ErrKind
get_once(SoapClient *c, Recorder *rec, HttpResponse *resp, Error *err)
{
    HttpSink sink = {.begin = rec_begin, .chunk = rec_chunk, .arg = rec};
    DynBuf body;
    ErrKind rc;

    dynbuf_init(&body, 1024 * 1024);
    soap_build_events_get(c, &body, "all", NULL, 0);
    rc = soap_call(c, "events_Get", &body, &sink, resp, err);
    dynbuf_free(&body);
    return rc;
}

/* events_Get with retries, as a caller does; *attempts says how many were made. */
static ErrKind
get_with_retries(SoapClient *c, Recorder *rec, int *attempts, Error *first, Error *err)
{
    HttpResponse resp;
    ErrKind rc;

    for (*attempts = 1;; (*attempts)++) {
        rc = get_once(c, rec, &resp, err);
        if (*attempts == 1)
            *first = *err;
        if (rc == ERR_OK || !soap_retry_wait(c, *attempts, &resp, err))
            return rc;
    }
}

/* Number of <event> elements in an events_Get answer. */
static size_t
count_events(const DynBuf *body)
{
    XmlNode *root;
    Error err;
    const XmlNode *op;
    size_t n;

    ck_assert_msg(xml_parse(dynbuf_str(body), dynbuf_len(body), &root, &err) == ERR_OK, "%s",
                  err.message);
    op = xml_path(root, "Body/events_Get");
    ck_assert_ptr_nonnull(op);
    n = xml_count(xml_child(op, "events"), "event");
    xml_free(root);
    return n;
}

static void
add_fault(const char *query)
{
    char url[512];
    char path[400];
    HttpResult r;

    snprintf(path, sizeof(path), "/_sim/faults?%s", query);
    http_request(sim_admin_url(&srv, path, url, sizeof(url)), "", &r);
    ck_assert_msg(r.status == 200, "%s: %s", query, dynbuf_str(&r.body));
    http_result_free(&r);
}

/* An update request for op with inner after <login>. */
static DynBuf
update_body(const SoapClient *c, const char *op, const char *inner)
{
    DynBuf b;

    dynbuf_init(&b, 16u * 1024 * 1024);
    soap_request_begin(c, &b, op);
    dynbuf_addstr(&b, inner);
    soap_request_end(c, &b, op);
    return b;
}

/* --- events_Get ------------------------------------------------------------------------ */

START_TEST(events_get_streams_the_answer_in_chunks)
{
    SoapClient *c = client();
    Recorder rec;
    HttpResponse resp;
    Error err;

    rec_init(&rec);
    ck_assert_msg(get_once(c, &rec, &resp, &err) == ERR_OK, "%s", err.message);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_int_eq(rec.begins, 1);
    ck_assert_int_gt(rec.chunks, 1);
    ck_assert_int_eq(resp.body_bytes, (long long)dynbuf_len(&rec.data));
    ck_assert_int_gt(resp.body_bytes, 100000);
    ck_assert_uint_eq(count_events(&rec.data), srv.store.live);
    ck_assert_str_ne(resp.request_id, "");
    ck_assert_str_ne(resp.correlation_id, "");
    ck_assert_int_eq(resp.retry_after_ms, -1);
    /* Plain http:// is warned about. */
    ck_assert_contains(logged(), "is plain http: the password travels unencrypted");
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

START_TEST(requests_reuse_one_connection)
{
    HttpTransport *t;
    SoapClient *c = client_for(srv.url, SIM_DEFAULT_PASSWORD, SOAP_FLAVOR_SOAP, 30000, &t);
    Recorder rec;
    HttpResponse resp;
    Error err;

    rec_init(&rec);
    log_set_level(LOG_LEVEL_DEBUG);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(get_once(c, &rec, &resp, &err) == ERR_OK, "%s", err.message);
    ck_assert_int_eq(http_curl_connections(t), 1);
    ck_assert_int_eq(rec.begins, 3);
    /* One debug line per request; only the first opened a connection. */
    ck_assert_contains(logged(), "DEBUG: events_Get: HTTP 200, ");
    ck_assert_contains(logged(), " ms, request id ");
    ck_assert_contains(logged(), "(new connection)");
    ck_assert_ptr_null(strstr(strstr(logged(), "(new connection)") + 1, "(new connection)"));
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

START_TEST(a_wrong_password_is_an_auth_error)
{
    SoapClient *c = client_for(srv.url, "wrong", SOAP_FLAVOR_SOAP, 30000, NULL);
    Recorder rec;
    Error err;
    int attempts;
    Error first;

    rec_init(&rec);
    ck_assert_int_eq(get_with_retries(c, &rec, &attempts, &first, &err), ERR_CENTRA_AUTH);
    ck_assert_int_eq(attempts, 1);
    ck_assert_str_eq(err.message, "Centra rejected the login for events_Get: Login failed: wrong "
                                  "username or password");
    ck_assert_contains(err.detail, "The fault code was \"SOAP-ENV:Client\". Centra's request ID "
                                   "was ");
    ck_assert_contains(err.hint, "CENTRA_USERNAME and CENTRA_PASSWORD");
    ck_assert_int_eq(rec.begins, 0);
    ck_assert_int_eq(err_exit_code(err.kind), 77);
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

START_TEST(a_flavor_mismatch_is_a_fault)
{
    SoapClient *c = client_for(srv.url, SIM_DEFAULT_PASSWORD, SOAP_FLAVOR_NAVISION, 30000, NULL);
    Recorder rec;
    HttpResponse resp;
    Error err;

    rec_init(&rec);
    ck_assert_int_eq(get_once(c, &rec, &resp, &err), ERR_CENTRA_FAULT);
    ck_assert_contains(err.message, "Centra refused events_Get: ");
    ck_assert_contains(err.message, "http://www.silkvms.com/webservices/");
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

/* --- transient faults ------------------------------------------------------------------ */

typedef struct FaultCase {
    const char *query;   /* POST /_sim/faults?... */
    int attempts;        /* attempts until success */
    const char *message; /* the first attempt's message; NULL: the connection was lost */
    long long min_ms;    /* the retries take at least this long */
} FaultCase;

static const FaultCase fault_cases[] = {
    {"kind=http_503&count=2", 3, "Centra answered events_Get with HTTP 503", 0},
    {"kind=http_500", 2, "Centra answered events_Get with HTTP 500", 0},
    {"kind=http_429&retry_after=1", 2, "Centra answered events_Get with HTTP 429", 1000},
    {"kind=soap_fault", 2,
     "Centra failed to process events_Get: Internal error, please try again later", 0},
    {"kind=drop", 2, NULL, 0},
    {"kind=truncate", 2, NULL, 0},
};

START_TEST(transient_faults_are_unavailable_and_retried_to_success)
{
    const FaultCase *t = &fault_cases[_i];
    SoapClient *c = client();
    Recorder rec;
    Error err;
    Error first;
    int attempts;
    char want[1024];
    long long t0;

    rec_init(&rec);
    add_fault(t->query);
    t0 = backoff_now_ms();
    ck_assert_msg(get_with_retries(c, &rec, &attempts, &first, &err) == ERR_OK, "%s: %s", t->query,
                  err.message);
    ck_assert_int_ge(backoff_now_ms() - t0, t->min_ms);
    ck_assert_int_eq(attempts, t->attempts);
    ck_assert_int_eq(first.kind, ERR_CENTRA_UNAVAILABLE);
    if (t->message != NULL)
        snprintf(want, sizeof(want), "%s", t->message);
    else
        snprintf(want, sizeof(want), "connection to Centra at \"%s\" failed during the request",
                 srv.url);
    ck_assert_str_eq(first.message, want);
    ck_assert_contains(logged(), "events_Get failed (attempt 1 of 4): ");
    ck_assert_uint_eq(count_events(&rec.data), srv.store.live);
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

START_TEST(retries_run_out_with_the_attempts_in_the_detail)
{
    SoapClient *c = client();
    Recorder rec;
    Error err;
    Error first;
    int attempts;

    rec_init(&rec);
    add_fault("kind=http_503&count=10");
    ck_assert_int_eq(get_with_retries(c, &rec, &attempts, &first, &err), ERR_CENTRA_UNAVAILABLE);
    ck_assert_int_eq(attempts, 4);
    ck_assert_contains(err.detail, "Gave up after 4 attempts.");
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

START_TEST(an_answer_slower_than_the_timeout_is_unavailable)
{
    SoapClient *c = client_for(srv.url, SIM_DEFAULT_PASSWORD, SOAP_FLAVOR_SOAP, 300, NULL);
    Recorder rec;
    HttpResponse resp;
    Error err;
    char want[1024];

    rec_init(&rec);
    add_fault("kind=delay&ms=1500");
    ck_assert_int_eq(get_once(c, &rec, &resp, &err), ERR_CENTRA_UNAVAILABLE);
    snprintf(want, sizeof(want), "request to Centra at \"%s\" timed out", srv.url);
    ck_assert_str_eq(err.message, want);
    ck_assert_contains(err.detail, "libcurl: Operation timed out after ");
    ck_assert_contains(err.detail, "The limits are 5000 ms to connect and 300 ms for the whole "
                                   "request.");
    ck_assert_int_lt(resp.elapsed_ms, 1400);
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

START_TEST(a_refused_connection_is_unavailable)
{
    SimServer gone;
    char url[512];
    SoapClient *c;
    Recorder rec;
    HttpResponse resp;
    Error err;
    char want[1024];

    /* A port that was just free: a simulator's, stopped. */
    simtest_start(&gone, NULL);
    snprintf(url, sizeof(url), "%s", gone.url);
    sim_server_stop(&gone);
    c = client_for(url, SIM_DEFAULT_PASSWORD, SOAP_FLAVOR_SOAP, 30000, NULL);
    rec_init(&rec);
    ck_assert_int_eq(get_once(c, &rec, &resp, &err), ERR_CENTRA_UNAVAILABLE);
    snprintf(want, sizeof(want), "could not reach Centra at \"%s\"", url);
    ck_assert_str_eq(err.message, want);
    ck_assert_contains(err.detail, "libcurl: Failed to connect to 127.0.0.1 port ");
    ck_assert_int_eq(resp.status, 0);
    ck_assert_int_eq(rec.begins, 0);
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

/* --- updates --------------------------------------------------------------------------- */

#define STOCK(size, warehouse, qty)                                                                \
    "<products><product><id>T001</id><variations><variation><id>T001_RED</"                        \
    "id><sizes><size><id>" size "</id><warehouseitems><warehouse><id>" warehouse "</id><qty>" qty  \
    "</qty></warehouse>"                                                                           \
    "</warehouseitems></size></sizes></variation></variations></product></products>"

START_TEST(an_accepted_update_returns_success_and_notices)
{
    SoapClient *c = client();
    DynBuf b = update_body(c, "products_Update", STOCK("S", "Brand-New", "4"));
    DynBuf masked;
    DynBuf want;
    SoapUpdateResult res;
    HttpResponse resp;
    Error err;
    char url[512];
    HttpResult r;

    ck_assert_msg(soap_update(c, "products_Update", &b, &res, &resp, &err) == ERR_OK, "%s",
                  err.message);
    ck_assert(res.success);
    ck_assert_uint_eq(res.nerrors, 0);
    ck_assert_uint_eq(res.nnotices, 1);
    ck_assert_str_eq(res.notices[0], "Created new warehouse: Brand-New");
    /* The simulator received exactly this body (it logs it with the password masked too). */
    dynbuf_init(&masked, 16u * 1024 * 1024);
    dynbuf_init(&want, 16u * 1024 * 1024);
    soap_mask_passwords(dynbuf_str(&b), dynbuf_len(&b), &masked);
    ck_assert_not_contains(dynbuf_str(&masked), "<password>" SIM_DEFAULT_PASSWORD);
    ck_assert_int_eq(json_append_string(&want, dynbuf_str(&masked)), ERR_OK);
    http_request(sim_admin_url(&srv, "/_sim/requests?op=products_Update", url, sizeof(url)), NULL,
                 &r);
    ck_assert_contains(dynbuf_str(&r.body), dynbuf_str(&want));
    http_result_free(&r);
    dynbuf_free(&masked);
    dynbuf_free(&want);
    soap_update_result_free(&res);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

START_TEST(a_refused_update_returns_its_errors)
{
    SoapClient *c = client();
    DynBuf b = update_body(c, "products_Update", STOCK("XXL", "MainWarehouse", "3"));
    SoapUpdateResult res;
    HttpResponse resp;
    Error err;

    ck_assert_msg(soap_update(c, "products_Update", &b, &res, &resp, &err) == ERR_OK, "%s",
                  err.message);
    ck_assert(!res.success);
    ck_assert_uint_eq(res.nerrors, 1);
    ck_assert_str_eq(res.errors[0], "Size XXL does not exist in sizetable CLOTHING (product T001, "
                                    "variation T001_RED)");
    soap_update_result_free(&res);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

START_TEST(an_update_is_retried_through_a_server_fault)
{
    SoapClient *c = client();
    DynBuf b = update_body(c, "products_Update", STOCK("M", "MainWarehouse", "3"));
    SoapUpdateResult res;
    HttpResponse resp;
    Error err;

    add_fault("kind=soap_fault&op=products_Update");
    ck_assert_msg(soap_update(c, "products_Update", &b, &res, &resp, &err) == ERR_OK, "%s",
                  err.message);
    ck_assert(res.success);
    ck_assert_contains(logged(), "products_Update failed (attempt 1 of 4): Centra failed to "
                                 "process products_Update");
    soap_update_result_free(&res);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

/* A maintenance page with HTTP 200 in place of Centra's answer: transient, quoted. */
START_TEST(an_update_answered_by_an_html_page_is_retried)
{
    SoapClient *c = client();
    DynBuf b = update_body(c, "products_Update", STOCK("M", "MainWarehouse", "3"));
    SoapUpdateResult res;
    HttpResponse resp;
    Error err;

    add_fault("kind=html_200&count=10&op=products_Update");
    ck_assert_int_eq(soap_update(c, "products_Update", &b, &res, &resp, &err),
                     ERR_CENTRA_UNAVAILABLE);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(err.message, "unexpected answer to products_Update");
    ck_assert_contains(err.detail, "The answer began: \"<!DOCTYPE html>");
    ck_assert_contains(err.detail, "Gave up after 4 attempts.");
    ck_assert(!res.success);
    soap_update_result_free(&res);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

START_TEST(events_done_acknowledges_events)
{
    SoapClient *c = client();
    const long long ids[] = {1, 2};
    size_t before = srv.store.live;
    SoapUpdateResult res;
    HttpResponse resp;
    Error err;
    DynBuf b;

    dynbuf_init(&b, 1024 * 1024);
    soap_build_events_done(c, &b, ids, 2);
    ck_assert_msg(soap_update(c, "events_Done", &b, &res, &resp, &err) == ERR_OK, "%s",
                  err.message);
    ck_assert(res.success);
    ck_assert_uint_eq(srv.store.live, before - 2);
    soap_update_result_free(&res);
    dynbuf_free(&b);
    soap_client_free(c);
}
END_TEST

static void
start_ok_default_navision(void)
{
    SimOptions o;

    sim_options_default(&o);
    o.orders = 5;
    o.ok_responses = true;
    o.prefix = NULL;
    o.navision = true;
    start_with(&o);
}

START_TEST(the_ok_shape_default_namespace_and_navision_are_understood)
{
    SoapClient *c = client_for(srv.url, SIM_DEFAULT_PASSWORD, SOAP_FLAVOR_NAVISION, 30000, NULL);
    const long long ids[] = {1};
    size_t before = srv.store.live;
    SoapUpdateResult res;
    HttpResponse resp;
    Recorder rec;
    Error err;
    DynBuf b;

    rec_init(&rec);
    ck_assert_msg(get_once(c, &rec, &resp, &err) == ERR_OK, "%s", err.message);
    ck_assert_uint_eq(count_events(&rec.data), before);
    dynbuf_init(&b, 1024 * 1024);
    soap_build_events_done(c, &b, ids, 1);
    ck_assert_msg(soap_update(c, "events_Done", &b, &res, &resp, &err) == ERR_OK, "%s",
                  err.message);
    ck_assert(res.success);
    ck_assert_uint_eq(res.nerrors + res.nnotices, 0);
    ck_assert_uint_eq(srv.store.live, before - 1);
    soap_update_result_free(&res);
    dynbuf_free(&b);
    dynbuf_free(&rec.data);
    soap_client_free(c);
}
END_TEST

static Suite *
soap_client_suite(void)
{
    Suite *s = suite_create("soap_client");
    TCase *get = tcase_create("events_Get");
    TCase *faults = tcase_create("faults");
    TCase *upd = tcase_create("updates");
    TCase *dialects = tcase_create("dialects");
    TCase *all[] = {get, faults, upd};

    tcase_add_test(get, events_get_streams_the_answer_in_chunks);
    tcase_add_test(get, requests_reuse_one_connection);
    tcase_add_test(get, a_wrong_password_is_an_auth_error);
    tcase_add_test(get, a_flavor_mismatch_is_a_fault);
    tcase_add_loop_test(faults, transient_faults_are_unavailable_and_retried_to_success, 0,
                        (int)CB_LENGTH(fault_cases));
    tcase_add_test(faults, retries_run_out_with_the_attempts_in_the_detail);
    tcase_add_test(faults, an_answer_slower_than_the_timeout_is_unavailable);
    tcase_add_test(faults, a_refused_connection_is_unavailable);
    tcase_add_test(upd, an_accepted_update_returns_success_and_notices);
    tcase_add_test(upd, a_refused_update_returns_its_errors);
    tcase_add_test(upd, an_update_is_retried_through_a_server_fault);
    tcase_add_test(upd, an_update_answered_by_an_html_page_is_retried);
    tcase_add_test(upd, events_done_acknowledges_events);
    tcase_add_test(dialects, the_ok_shape_default_namespace_and_navision_are_understood);
    for (size_t i = 0; i < CB_LENGTH(all); i++) {
        tcase_add_checked_fixture(all[i], start_orders, stop);
        tcase_set_timeout(all[i], 60);
        suite_add_tcase(s, all[i]);
    }
    tcase_add_checked_fixture(dialects, start_ok_default_navision, stop);
    suite_add_tcase(s, dialects);
    return s;
}

CB_TEST_MAIN(soap_client_suite)
