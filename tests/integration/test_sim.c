/*
 * tests/integration/test_sim.c
 *     centra-sim over HTTP, with libcurl: the event queue (the guide's
 *     234-events example included), authentication, namespace styles and
 *     flavors, every update operation's success and error answers, the
 *     guide's order cookbook, the generated data, every fault and the admin
 *     API.  Each test runs its own simulator in-process on a free port.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "centra/alloc.h"
#include "centra/strutil.h"
#include "simtest.h"
#include "testutil.h"

static SimServer srv;

static void
start_default(void)
{
    log_set_level(LOG_LEVEL_WARN);
    simtest_start(&srv, NULL);
}

static void
start_generated(void)
{
    SimOptions o;

    log_set_level(LOG_LEVEL_WARN);
    sim_options_default(&o);
    o.orders = 200;
    o.seed = 42;
    simtest_start(&srv, &o);
}

static void
stop(void)
{
    sim_server_stop(&srv);
}

/* events_Get (type all) and its parsed answer (root owned by caller). */
static const XmlNode *
get_events(const char *type, XmlNode **root)
{
    HttpResult r;
    char inner[128];
    const XmlNode *op;

    snprintf(inner, sizeof(inner), "<type>%s</type>", type);
    sim_soap_call(&srv, "events_GetRequest", inner, &r);
    ck_assert_int_eq(r.status, 200);
    op = soap_parse(&r, root);
    http_result_free(&r);
    return op;
}

/* Post raw events to /_sim/events; returns the HTTP status. */
static long
post_events(const char *xml)
{
    char url[256];
    HttpResult r;
    long status;

    http_request(sim_admin_url(&srv, "/_sim/events", url, sizeof(url)), xml, &r);
    status = r.status;
    http_result_free(&r);
    return status;
}

static void
queue_customers(int n, const char *market)
{
    DynBuf b;

    dynbuf_init(&b, 64u * 1024 * 1024);
    dynbuf_addstr(&b, "<events>");
    for (int i = 1; i <= n; i++)
        dynbuf_addf(&b,
                    "<event><type>customer</type><entry>C%d</entry><mission>update</mission>"
                    "<date>2026-01-01 10:00:00</date><data><customer><id>C%d</id>"
                    "%s%s%s</customer></data></event>",
                    i, i, market ? "<market><id>" : "", market ? market : "",
                    market ? "</id></market>" : "");
    dynbuf_addstr(&b, "</events>");
    ck_assert_int_eq(post_events(dynbuf_str(&b)), 200);
    dynbuf_free(&b);
}

typedef SimAnswer Answer;

/* An update call to this test's simulator. */
static Answer
update(const char *op, const char *inner)
{
    return sim_update_call(&srv, op, inner);
}

/* --- the event queue ------------------------------------------------------------------ */

START_TEST(an_empty_queue_answers_an_empty_events_element)
{
    HttpResult r;

    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_contains(dynbuf_str(&r.body),
                       "<ns1:events_Get>\n      <ns1:events/>\n    </ns1:events_Get>");
    ck_assert_contains(dynbuf_str(&r.body), "xmlns:ns1=\"http://www.centra.com/webservices/\"");
    http_result_free(&r);
}
END_TEST

START_TEST(the_guides_234_events_example_behaves_as_written)
{
    XmlNode *root;
    const XmlNode *op;
    long long ids[SIM_BATCH + 1];
    long long done[10];
    size_t n;

    queue_customers(234, NULL);
    ck_assert_uint_eq(srv.store.live, 234);
    /* events_Get returns the oldest 100. */
    op = get_events("all", &root);
    n = events_ids(op, ids, CB_LENGTH(ids));
    ck_assert_uint_eq(n, 100);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(ids[i], (long long)i + 1);
    xml_free(root);
    /* Mark 10 of them done: 224 remain. */
    for (int i = 0; i < 10; i++)
        done[i] = ids[i * 10]; /* 1, 11, 21, ... 91 */
    events_done(&srv, done, 10);
    ck_assert_uint_eq(srv.store.live, 224);
    /* The next events_Get: the 90 seen before and 10 new ones. */
    op = get_events("all", &root);
    n = events_ids(op, ids, CB_LENGTH(ids));
    ck_assert_uint_eq(n, 100);
    {
        int seen = 0;
        int fresh = 0;

        for (size_t i = 0; i < n; i++) {
            if (ids[i] <= 100)
                seen++;
            else
                fresh++;
            ck_assert(ids[i] % 10 != 1 || ids[i] > 100); /* no acknowledged one */
            if (i > 0)
                ck_assert_int_gt(ids[i], ids[i - 1]); /* oldest first */
        }
        ck_assert_int_eq(seen, 90);
        ck_assert_int_eq(fresh, 10);
        ck_assert_int_eq(ids[99], 110);
    }
    xml_free(root);
}
END_TEST

START_TEST(the_type_filter_selects_events_and_all_means_every_type)
{
    XmlNode *root;
    const XmlNode *op;
    long long ids[SIM_BATCH];
    HttpResult r;

    queue_customers(3, NULL);
    ck_assert_int_eq(post_events("<event><type>order</type><entry>7</entry><data><order><id>7"
                                 "</id></order></data></event>"),
                     200);
    op = get_events("order", &root);
    ck_assert_uint_eq(events_ids(op, ids, CB_LENGTH(ids)), 1);
    ck_assert_int_eq(ids[0], 4);
    xml_free(root);
    op = get_events("customer", &root);
    ck_assert_uint_eq(events_ids(op, ids, CB_LENGTH(ids)), 3);
    xml_free(root);
    op = get_events("all", &root);
    ck_assert_uint_eq(events_ids(op, ids, CB_LENGTH(ids)), 4);
    xml_free(root);
    op = get_events("invoice", &root);
    ck_assert_uint_eq(events_ids(op, ids, CB_LENGTH(ids)), 0);
    xml_free(root);
    sim_soap_call(&srv, "events_GetRequest", "<type>products</type>", &r);
    ck_assert_int_eq(r.status, 500);
    ck_assert_contains(dynbuf_str(&r.body), "<faultstring>Unknown event type: products");
    http_result_free(&r);
}
END_TEST

START_TEST(events_by_markets_filters_by_market_and_answers_events_get)
{
    HttpResult r;
    XmlNode *root;
    const XmlNode *op;
    long long ids[SIM_BATCH];

    queue_customers(2, "Retail-SE");
    queue_customers(3, "Wholesale-Market");
    queue_customers(1, NULL);
    sim_soap_call(&srv, "events_GetByMarkets",
                  "<type>all</type><markets><market><id>Wholesale-Market</id></market></markets>",
                  &r);
    op = soap_parse(&r, &root);
    ck_assert_str_eq(op->name, "events_Get");
    ck_assert_uint_eq(events_ids(op, ids, CB_LENGTH(ids)), 3);
    ck_assert_int_eq(ids[0], 3);
    xml_free(root);
    http_result_free(&r);
    sim_soap_call(&srv, "events_GetByMarkets", "<type>all</type><markets/>", &r);
    ck_assert_int_eq(r.status, 500);
    http_result_free(&r);
}
END_TEST

START_TEST(events_done_ignores_unknown_and_repeated_ids)
{
    long long ids[] = {2, 999999, 2};
    char url[256];
    HttpResult r;

    queue_customers(3, NULL);
    events_done(&srv, ids, 3);
    ck_assert_uint_eq(srv.store.live, 2);
    events_done(&srv, ids, 1);
    ck_assert_uint_eq(srv.store.live, 2);
    http_request(sim_admin_url(&srv, "/_sim/state", url, sizeof(url)), NULL, &r);
    ck_assert_contains(dynbuf_str(&r.body), "\"acknowledged_ids\":[2]");
    ck_assert_contains(dynbuf_str(&r.body), "\"queue_length\":2");
    http_result_free(&r);
}
END_TEST

START_TEST(posted_events_keep_their_ids_and_duplicates_are_refused)
{
    XmlNode *root;
    const XmlNode *op;
    long long ids[4];

    ck_assert_int_eq(post_events("<event><id>500</id><type>order</type><data/></event>"), 200);
    ck_assert_int_eq(post_events("<event><id>400</id><type>order</type><data/></event>"), 200);
    ck_assert_int_eq(post_events("<event><id>500</id><type>order</type><data/></event>"), 400);
    ck_assert_int_eq(post_events("<event><type>order</type><data/></event>"), 200);
    ck_assert_int_eq(post_events("<event><id>x</id><type>order</type></event>"), 400);
    ck_assert_int_eq(post_events("<broken"), 400);
    op = get_events("all", &root);
    ck_assert_uint_eq(events_ids(op, ids, CB_LENGTH(ids)), 3);
    ck_assert_int_eq(ids[0], 400);
    ck_assert_int_eq(ids[1], 500);
    ck_assert_int_eq(ids[2], 501);
    xml_free(root);
}
END_TEST

START_TEST(posted_elements_of_other_namespaces_keep_theirs)
{
    static const char doc[] =
        "<events xmlns=\"http://www.centra.com/webservices/\"><event><id>700</id><type>order</type>"
        "<data><order><id>O7</id><ordertotal>100</ordertotal>"
        "<p:ordertotal xmlns:p=\"urn:plugin\">999</p:ordertotal>"
        "<p:block xmlns:p=\"urn:plugin\"><p:id>7</p:id><q:id xmlns:q=\"urn:q\">8</q:id>"
        "<status>centra's</status></p:block></order></data></event></events>";
    SimOptions o;
    XmlNode *root;
    const XmlNode *order;
    HttpResult r;
    const XmlNode *plugin;
    const XmlNode *inner;

    ck_assert_int_eq(post_events(doc), 200);
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_contains(dynbuf_str(&r.body),
                       "<x:ordertotal xmlns:x=\"urn:plugin\">999</x:ordertotal>");
    http_result_free(&r);
    order = xml_path(get_events("all", &root), "events/event/data/order");
    ck_assert_ptr_nonnull(order);
    ck_assert_str_eq(xml_child_text(order, "ordertotal"), "100");
    ck_assert_str_eq(xml_child(order, "ordertotal")->ns, "http://www.centra.com/webservices/");
    plugin = xml_next(order, "ordertotal", xml_child(order, "ordertotal"));
    ck_assert_ptr_nonnull(plugin);
    ck_assert_str_eq(plugin->ns, "urn:plugin");
    ck_assert_str_eq(plugin->text, "999");
    inner = xml_child(order, "block");
    ck_assert_str_eq(inner->ns, "urn:plugin");
    ck_assert_str_eq(inner->kids[0]->ns, "urn:plugin");
    ck_assert_str_eq(inner->kids[1]->ns, "urn:q");
    ck_assert_str_eq(inner->kids[1]->text, "8");
    ck_assert_str_eq(inner->kids[2]->ns, "http://www.centra.com/webservices/");
    xml_free(root);
    /* The same with the style's prefix "x": the extension takes another one. */
    stop();
    sim_options_default(&o);
    o.prefix = "x";
    simtest_start(&srv, &o);
    ck_assert_int_eq(post_events(doc), 200);
    order = xml_path(get_events("all", &root), "events/event/data/order");
    ck_assert_ptr_nonnull(order);
    inner = xml_child(order, "block");
    ck_assert_str_eq(inner->ns, "urn:plugin");
    ck_assert_str_eq(inner->kids[2]->ns, "http://www.centra.com/webservices/");
    ck_assert_str_eq(xml_child(order, "ordertotal")->ns, "http://www.centra.com/webservices/");
    xml_free(root);
}
END_TEST

START_TEST(the_guides_order_events_load_and_come_back_in_the_simulators_style)
{
    SimOptions o;
    const char *files[] = {CB_SOURCE_DIR "/tests/fixtures/guide/dtc_order_event.xml"};
    XmlNode *root;
    const XmlNode *op;
    const XmlNode *events;
    HttpResult r;

    stop();
    sim_options_default(&o);
    o.event_files = files;
    o.nevent_files = 1;
    o.prefix = "abc";
    simtest_start(&srv, &o);
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_contains(dynbuf_str(&r.body), "<abc:ordernumber>30</abc:ordernumber>");
    http_result_free(&r);
    op = get_events("all", &root);
    events = xml_child(op, "events");
    ck_assert_uint_eq(xml_count(events, "event"), 1);
    ck_assert_str_eq(xml_path_text(events, "event/id"), "115");
    ck_assert_str_eq(xml_path_text(events, "event/data/order/ordernumber"), "30");
    ck_assert_str_eq(xml_path_text(events, "event/date"), "2019-03-27 12:52:20");
    ck_assert_str_eq(xml_child(op, "events")->ns, "http://www.centra.com/webservices/");
    xml_free(root);
}
END_TEST

START_TEST(a_malformed_event_file_stops_the_start)
{
    SimOptions o;
    const char *files[] = {CB_SOURCE_DIR
                           "/tests/fixtures/guide/dtc_order_event_with_guide_typo.xml"};
    SimServer s2;
    Error err;

    sim_options_default(&o);
    o.event_files = files;
    o.nevent_files = 1;
    ck_assert_int_eq(sim_server_start(&s2, &o, &err), ERR_DATA);
    ck_assert_contains(err.message, "dtc_order_event_with_guide_typo.xml");
    ck_assert_contains(err.message, "malformed XML at line 15");
}
END_TEST

/* --- protocol ---------------------------------------------------------------------- */

START_TEST(a_wrong_login_answers_a_soap_fault)
{
    char *env = soap_envelope("http://www.centra.com/webservices/", "events_GetRequest", false,
                              "centra-sim", "nope", "<type>all</type>");
    HttpResult r;
    XmlNode *root;
    const XmlNode *f;

    http_request(srv.url, env, &r);
    xfree(env);
    ck_assert_int_eq(r.status, 500);
    f = soap_parse(&r, &root);
    ck_assert_str_eq(f->name, "Fault");
    ck_assert_str_eq(xml_child_text(f, "faultcode"), "SOAP-ENV:Client");
    ck_assert_str_eq(xml_child_text(f, "faultstring"), "Login failed: wrong username or password");
    xml_free(root);
    http_result_free(&r);
    /* No login at all. */
    http_request(srv.url,
                 "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                 "<soap:Body><events_GetRequest xmlns=\"http://www.centra.com/webservices/\">"
                 "<type>all</type></events_GetRequest></soap:Body></soap:Envelope>",
                 &r);
    ck_assert_int_eq(r.status, 500);
    ck_assert_contains(dynbuf_str(&r.body), "Login failed");
    http_result_free(&r);
}
END_TEST

START_TEST(requests_with_prefixed_elements_are_understood)
{
    char *env = soap_envelope("http://www.centra.com/webservices/", "events_GetRequest", true,
                              "centra-sim", "centra-sim", "<ns1:type>all</ns1:type>");
    HttpResult r;

    queue_customers(1, NULL);
    http_request(srv.url, env, &r);
    xfree(env);
    ck_assert_int_eq(r.status, 200);
    ck_assert_contains(dynbuf_str(&r.body), "<ns1:id>1</ns1:id>");
    http_result_free(&r);
}
END_TEST

START_TEST(the_default_namespace_style_declares_it_on_the_operation)
{
    SimOptions o;
    HttpResult r;

    stop();
    sim_options_default(&o);
    o.prefix = NULL;
    simtest_start(&srv, &o);
    queue_customers(1, NULL);
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_contains(dynbuf_str(&r.body),
                       "<events_Get xmlns=\"http://www.centra.com/webservices/\">\n      <events>"
                       "\n        <event>\n          <id>1</id>");
    ck_assert_not_contains(dynbuf_str(&r.body), "ns1:");
    http_result_free(&r);
}
END_TEST

START_TEST(the_navision_flavor_speaks_its_own_namespace)
{
    SimOptions o;
    HttpResult r;
    char *env;

    stop();
    sim_options_default(&o);
    o.navision = true;
    simtest_start(&srv, &o);
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_contains(dynbuf_str(&r.body), "xmlns:ns1=\"http://www.silkvms.com/webservices/\"");
    http_result_free(&r);
    env = soap_envelope("http://www.centra.com/webservices/", "events_GetRequest", false,
                        "centra-sim", "centra-sim", "<type>all</type>");
    http_request(srv.url, env, &r);
    xfree(env);
    ck_assert_int_eq(r.status, 500);
    ck_assert_contains(dynbuf_str(&r.body), "Unknown operation {http://www.centra.com/webservices/}"
                                            "events_GetRequest");
    http_result_free(&r);
    /* Otherwise identical: updates too. */
    ck_assert_str_eq(update("warehouses_Update",
                            "<warehouses><warehouse><id>W-NAV</id></warehouse></warehouses>")
                         .success,
                     "true");
    sim_soap_call(&srv, "events_Done", "<event>1</event>", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_contains(dynbuf_str(&r.body), "<ns1:success>true</ns1:success>");
    http_result_free(&r);
}
END_TEST

START_TEST(malformed_requests_unknown_operations_and_wrong_methods_are_refused)
{
    HttpResult r;
    char url[256];

    http_request(srv.url, "<soap:Envelope", &r);
    ck_assert_int_eq(r.status, 500);
    ck_assert_contains(dynbuf_str(&r.body),
                       "<faultstring>Malformed request: malformed XML at line");
    http_result_free(&r);
    sim_soap_call(&srv, "products_Delete", "", &r);
    ck_assert_int_eq(r.status, 500);
    ck_assert_contains(dynbuf_str(&r.body), "Unknown operation: products_Delete");
    http_result_free(&r);
    http_request(srv.url, NULL, &r);
    ck_assert_int_eq(r.status, 405);
    http_result_free(&r);
    http_request(sim_admin_url(&srv, "/other/path", url, sizeof(url)), "<x/>", &r);
    ck_assert_int_eq(r.status, 404);
    http_result_free(&r);
}
END_TEST

START_TEST(answers_carry_a_request_id)
{
    HttpResult r;

    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_msg(str_starts_with(r.request_id, "sim-"), "X-Centra-Request-ID: %s", r.request_id);
    http_result_free(&r);
}
END_TEST

/* --- updates ----------------------------------------------------------------------------- */

typedef struct OpCase {
    const char *op;    /* operation */
    const char *ok;    /* a valid request body */
    const char *bad;   /* an invalid one */
    const char *error; /* the error it gets (prefix) */
} OpCase;

static const OpCase op_cases[] = {
    {"accounts_Update",
     "<accounts><account><id>12345</id><type>wholesale</type><status>active</status>"
     "<description>Company</description><buyers><buyer><id>b1</id></buyer></buyers></account>"
     "</accounts>",
     "<accounts><account><description>No id</description></account></accounts>",
     "accounts_Update: an item <account> has no id"},
    {"customers_Update",
     "<customers><customer><id>C1</id><firstname>Å</firstname></customer>"
     "</customers>",
     "<customers><customer><firstname>x</firstname></customer></customers>",
     "customers_Update: an item <customer> has no id"},
    {"deliverywindows_Update",
     "<deliverywindows><deliverywindow><id>DW1</id><atonce>true</atonce></deliverywindow>"
     "</deliverywindows>",
     "<deliverywindows><deliverywindow/></deliverywindows>", "deliverywindows_Update:"},
    {"invoices_Update", "<invoices><invoice><id>INV1</id><total>10.00</total></invoice></invoices>",
     "<invoices><invoice><total>1</total></invoice></invoices>", "invoices_Update:"},
    {"markets_Update",
     "<markets><market><id>Retail-Global</id><store>1</store><type>retail</type>"
     "<description>Global</description></market></markets>",
     "<markets><market><store>1</store></market></markets>", "markets_Update:"},
    {"orders_Update",
     "<orders><order><id>100001</id><type>wholesale</type><store>2</store><locked>yes</locked>"
     "</order></orders>",
     "<orders><order><id>999999</id><locked>yes</locked></order></orders>",
     "Order 999999 does not exist"},
    {"paymentterms_Update",
     "<paymentterms><paymentterms><id>30NET</id><name>30 Days</name><duedays>30</duedays>"
     "</paymentterms></paymentterms>",
     "<paymentterms><paymentterms><name>x</name></paymentterms></paymentterms>",
     "paymentterms_Update:"},
    {"pricealterationdates_Update",
     "<pricealterationdates><pricealterationdate><id>H20</id><status>active</status>"
     "<name>Halloween</name><store>1</store><startdate>2020-11-30</startdate>"
     "</pricealterationdate></pricealterationdates>",
     "<pricealterationdates><pricealterationdate/></pricealterationdates>",
     "pricealterationdates_Update:"},
    {"pricelists_Update",
     "<pricelists><pricelist><id>EUR-Retail</id><currency>EUR</currency><items><product>"
     "<id>PWC</id><price>1000</price></product><product><id>T001</id><variation><id>T001_RED"
     "</id><price>123</price></variation></product></items></pricelist></pricelists>",
     "<pricelists><pricelist><id>EUR-Retail</id><items><product><id>NOPE</id><price>1</price>"
     "</product></items></pricelist></pricelists>",
     "Pricelist EUR-Retail: product NOPE does not exist"},
    {"products_Update",
     "<products><product><id>PWC</id><variations><variation><id>PWC</id><sizes><size><id>OS</id>"
     "<warehouseitems><warehouse><id>MainWarehouse</id><qty>1</qty></warehouse>"
     "</warehouseitems></size></sizes></variation></variations></product></products>",
     "<products><product><id>NOPE</id><variations><variation><id>NOPE</id><sizes><size><id>OS"
     "</id><warehouseitems><warehouse><id>MainWarehouse</id><qty>1</qty></warehouse>"
     "</warehouseitems></size></sizes></variation></variations></product></products>",
     "Product NOPE does not exist"},
    {"salesreps_Update", "<salesreps><salesrep><id>SR1</id><name>Rep</name></salesrep></salesreps>",
     "<salesreps><salesrep><name>x</name></salesrep></salesreps>", "salesreps_Update:"},
    {"shippingterms_Update",
     "<shippingterms><shippingterms><id>DDU</id><name>Delivered Duty Unpaid</name>"
     "</shippingterms></shippingterms>",
     "<shippingterms><shippingterms/></shippingterms>", "shippingterms_Update:"},
    {"sizes_Update",
     "<sizes><size><id>XS</id><description>Extra Small</description><sizetable><id>NEWTABLE"
     "</id><description>New</description></sizetable></size></sizes>",
     "<sizes><size><id>XXL</id><sizetable><id>CLOTHING</id></sizetable></size></sizes>",
     "Sizetable CLOTHING cannot be changed once it is in use: size XXL was not added"},
    {"warehouses_Update",
     "<warehouses><warehouse><id>MainWarehouse</id><description>Main Warehouse</description>"
     "</warehouse></warehouses>",
     "<warehouses><warehouse><description>No id</description></warehouse></warehouses>",
     "warehouses_Update:"},
};

START_TEST(every_update_operation_answers_success_and_errors)
{
    const OpCase *c = &op_cases[_i];
    Answer a = update(c->op, c->ok);

    ck_assert_msg(strcmp(a.success, "true") == 0, "%s: %s", c->op, a.error);
    ck_assert_int_eq(a.nerrors, 0);
    a = update(c->op, c->bad);
    ck_assert_str_eq(a.success, "false");
    ck_assert_int_ge(a.nerrors, 1);
    ck_assert_msg(str_starts_with(a.error, c->error), "%s: \"%s\"", c->op, a.error);
}
END_TEST

/* More of what Centra refuses, each with its message. */
static const OpCase more_errors[] = {
    {"products_Update", NULL, "<products><product><variations/></product></products>",
     "A product has no id"},
    {"orders_Update", NULL, "<orders><order><locked>yes</locked></order></orders>",
     "An order has no id"},
    {"pricelists_Update", NULL,
     "<pricelists><pricelist><id>EUR-Retail</id><items><product><id>PWC</id><price>cheap"
     "</price></product></items></pricelist></pricelists>",
     "Invalid price \"cheap\" for product PWC in pricelist EUR-Retail"},
    {"orders_Update", NULL,
     "<orders><order><id>100001</id><products><product><id>PWC</id></product></products>"
     "</order></orders>",
     "Order 100001: order lines cannot be added or changed through orders_Update; cancel them "
     "with <cancelled>"},
    {"orders_Update", NULL, "<orders><order><id>100001</id><type>retail</type></order></orders>",
     "Order 100001 has type wholesale: it cannot be changed to retail"},
};

START_TEST(more_update_errors_are_answered_with_centras_messages)
{
    const OpCase *c = &more_errors[_i];
    Answer a = update(c->op, c->bad);

    ck_assert_str_eq(a.success, "false");
    ck_assert_str_eq(a.error, c->error);
}
END_TEST

START_TEST(sizes_update_notices_new_sizes_once)
{
    static const char sizes[] =
        "<sizes><size><id>S</id><description>Small</description><sizetable><id>SML</id>"
        "<description>Small Medium Large</description></sizetable></size><size><id>OS</id>"
        "<description/><sizetable><id>OneSize</id><description>One Size</description>"
        "</sizetable></size></sizes>";
    Answer a = update("sizes_Update", sizes);

    ck_assert_str_eq(a.success, "true");
    ck_assert_int_eq(a.nnotices, 2);
    ck_assert_str_eq(a.notice, "Added new size: S: Small to: Small Medium Large!");
    a = update("sizes_Update", sizes);
    ck_assert_str_eq(a.success, "true");
    ck_assert_int_eq(a.nnotices, 0);
}
END_TEST

START_TEST(stock_and_products_are_validated)
{
    Answer a;

    a = update("products_Update",
               "<products><product><id>T001</id><variations><variation><id>T001_RED</id><sizes>"
               "<size><id>XXL</id><warehouseitems><warehouse><id>MainWarehouse</id><qty>3</qty>"
               "</warehouse></warehouseitems></size></sizes></variation></variations></product>"
               "</products>");
    ck_assert_str_eq(a.error, "Size XXL does not exist in sizetable CLOTHING (product T001, "
                              "variation T001_RED)");
    a = update("products_Update",
               "<products><product><id>T001</id><variations><variation><id>T001_GOLD</id>"
               "<sizes/></variation></variations></product></products>");
    ck_assert_str_eq(a.error, "Variation T001_GOLD does not exist on product T001");
    a = update("products_Update",
               "<products><product><id>T001</id><variations><variation><id>T001_RED</id><sizes>"
               "<size><id>S</id><warehouseitems><warehouse><id>MainWarehouse</id><qty>-2</qty>"
               "</warehouse></warehouseitems></size></sizes></variation></variations></product>"
               "</products>");
    ck_assert_str_eq(a.error, "Invalid stock quantity \"-2\" for product T001, variation "
                              "T001_RED, size S in warehouse MainWarehouse");
    /* Stock to an unknown warehouse creates it. */
    a = update("products_Update",
               "<products><product><id>T001</id><variations><variation><id>T001_RED</id><sizes>"
               "<size><id>S</id><warehouseitems><warehouse><id>Brand-New</id><qty>4</qty>"
               "</warehouse></warehouseitems></size></sizes></variation></variations></product>"
               "</products>");
    ck_assert_str_eq(a.success, "true");
    ck_assert_str_eq(a.notice, "Created new warehouse: Brand-New");
    ck_assert_ptr_nonnull(sim_store_object(&srv.store, "warehouse", "Brand-New"));
    /* A new product with its data is created; variation ids are unique across products. */
    a = update("products_Update", "<products><product><id>NEW1</id><status>active</status>"
                                  "<description>New</description><variations><variation><id>"
                                  "T001_RED</id><description>Red</description></variation>"
                                  "</variations></product></products>");
    ck_assert_str_eq(a.error, "Variation id T001_RED is already used by product T001");
}
END_TEST

START_TEST(fields_not_sent_stay_unchanged)
{
    const XmlNode *c;

    ck_assert_str_eq(update("customers_Update",
                            "<customers><customer><id>C9</id><firstname>Åsa</firstname><lastname>"
                            "Öberg</lastname></customer></customers>")
                         .success,
                     "true");
    ck_assert_str_eq(update("customers_Update", "<customers><customer><id>C9</id><firstname>Eva"
                                                "</firstname></customer></customers>")
                         .success,
                     "true");
    c = sim_store_object(&srv.store, "customer", "C9");
    ck_assert_str_eq(xml_child_text(c, "firstname"), "Eva");
    ck_assert_str_eq(xml_child_text(c, "lastname"), "Öberg");
}
END_TEST

START_TEST(a_failed_request_changes_nothing)
{
    size_t before = srv.store.nevents;
    XmlNode *o;
    Answer a = update("orders_Update", "<orders><order><id>100002</id><other>applied?</other>"
                                       "</order><order><id>999999</id></order></orders>");

    ck_assert_str_eq(a.success, "false");
    ck_assert_uint_eq(srv.store.nevents, before); /* no order event for 100002 */
    /* The valid item was not applied either. */
    o = sim_store_order_copy(&srv.store, "100002");
    ck_assert_ptr_nonnull(o);
    ck_assert(xml_child_text(o, "other") == NULL ||
              strcmp(xml_child_text(o, "other"), "applied?") != 0);
    ck_assert_ptr_null(hashmap_get(srv.store.orders, "100002")); /* nothing stored */
    xml_free(o);
}
END_TEST

START_TEST(the_ok_response_style_answers_ok_or_a_fault)
{
    SimOptions o;
    HttpResult r;

    stop();
    sim_options_default(&o);
    o.ok_responses = true;
    simtest_start(&srv, &o);
    sim_soap_call(&srv, "warehouses_Update",
                  "<warehouses><warehouse><id>W</id></warehouse></warehouses>", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_contains(dynbuf_str(&r.body),
                       "<warehousesUpdateResponse>OK</warehousesUpdateResponse>");
    http_result_free(&r);
    sim_soap_call(&srv, "warehouses_Update", "<warehouses><warehouse/></warehouses>", &r);
    ck_assert_int_eq(r.status, 500);
    ck_assert_contains(dynbuf_str(&r.body), "<faultstring>warehouses_Update: an item "
                                            "&lt;warehouse&gt; has no id</faultstring>");
    http_result_free(&r);
    sim_soap_call(&srv, "events_Done", "<event>1</event>", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_contains(dynbuf_str(&r.body), "<eventsDoneResponse>OK</eventsDoneResponse>");
    http_result_free(&r);
    ck_assert_int_eq(post_events("<event><type>order</type><data><order><id>77</id>"
                                 "<status>pending</status></order></data></event>"),
                     200);
    sim_soap_call(&srv, "orders_Update",
                  "<orders><order><id>77</id><status>confirmed</status></order></orders>", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_contains(dynbuf_str(&r.body), "<ordersUpdateResponse>OK</ordersUpdateResponse>");
    http_result_free(&r);
}
END_TEST

/* The newest event's order (owned by *root). */
static const XmlNode *
last_order_event(XmlNode **root)
{
    const SimEvent *e = &srv.store.events[srv.store.nevents - 1];
    DynBuf b;
    XmlWriter w;
    Error err;

    const XmlNode *event;

    /* Stored events are written in the server's prefix: declare it around the event. */
    dynbuf_init(&b, 64u * 1024 * 1024);
    dynbuf_addf(&b, "<wrap xmlns:%s=\"%s\">", srv.store.style.prefix, srv.store.style.ns);
    xw_init(&w, &b, srv.store.style.prefix, false, 0);
    sim_store_write_event(&srv.store, &w, e);
    dynbuf_addstr(&b, "</wrap>");
    ck_assert_msg(xml_parse(dynbuf_str(&b), dynbuf_len(&b), root, &err) == ERR_OK, "%s",
                  err.message);
    dynbuf_free(&b);
    event = xml_child(*root, "event");
    ck_assert_str_eq(xml_child_text(event, "type"), "order");
    return xml_path(event, "data/order");
}

START_TEST(the_guides_order_cookbook_works_and_queues_an_event_each_time)
{
    SimOptions o;
    const char *files[] = {CB_SOURCE_DIR "/tests/fixtures/guide/wholesale_order_event.xml",
                           CB_SOURCE_DIR "/tests/fixtures/guide/dtc_order_event.xml"};
    XmlNode *root;
    const XmlNode *order;
    Answer a;
    size_t before;

    stop();
    sim_options_default(&o);
    o.event_files = files;
    o.nevent_files = 2;
    simtest_start(&srv, &o);
    /* Confirm and lock (wholesale order 25). */
    before = srv.store.nevents;
    a = update("orders_Update", "<orders><order><id>25</id><type>wholesale</type><store>2</store>"
                                "<status>confirmed</status><locked>yes</locked></order></orders>");
    ck_assert_str_eq(a.success, "true");
    ck_assert_uint_eq(srv.store.nevents, before + 1);
    order = last_order_event(&root);
    ck_assert_str_eq(xml_child_text(order, "status"), "confirmed");
    ck_assert_str_eq(xml_child_text(order, "locked"), "yes");
    ck_assert_str_eq(xml_child_text(order, "ponumber"), "Example1"); /* unchanged */
    xml_free(root);
    /* Cancel 1 of the 4 in orderitem 71. */
    a = update("orders_Update",
               "<orders><order><id>25</id><type>wholesale</type><store>2</store><cancelled>"
               "<product><id>T001</id><variation><id>T001_RED</id></variation><sizes><size><id>L"
               "</id><qty>1</qty><orderitem><id>71</id></orderitem><supplierorderitems/></size>"
               "</sizes></product></cancelled></order></orders>");
    ck_assert_str_eq(a.success, "true");
    order = last_order_event(&root);
    ck_assert_str_eq(xml_path_text(order, "cancelled/product/sizes/size/orderitem/id"), "71");
    ck_assert_str_eq(xml_path_text(order, "cancelled/product/sizes/size/qty"), "1");
    xml_free(root);
    a = update("orders_Update", "<orders><order><id>25</id><cancelled><product><id>T001</id>"
                                "<sizes><size><id>L</id><qty>9</qty><orderitem><id>71</id>"
                                "</orderitem></size></sizes></product></cancelled></order>"
                                "</orders>");
    ck_assert_str_eq(a.error, "Order 25: cannot cancel 9 of orderitem 71, only 3 are not shipped");
    /* Shipment 1 of the guide, then an over-shipment. */
    a = update("orders_Update",
               "<orders><order><id>25</id><shipments><shipment><id>shipment-25-1</id><shipped>no"
               "</shipped><goodtogo>yes</goodtogo><appendix>1</appendix><products><product><id>"
               "T001</id><variation><id>T001_BLUE</id></variation><sizes><size><id>S</id><qty>1"
               "</qty><orderitem><id>68</id></orderitem></size></sizes></product></products>"
               "<shipping><subtotal>123</subtotal></shipping></shipment></shipments></order>"
               "</orders>");
    ck_assert_str_eq(a.success, "true");
    order = last_order_event(&root);
    ck_assert_str_eq(xml_path_text(order, "shipments/shipment/id"), "shipment-25-1");
    ck_assert_str_eq(xml_path_text(order, "shipments/shipment/goodtogo"), "yes");
    ck_assert_str_eq(xml_path_text(order, "shipments/shipment/products/product/sizes/size/qty"),
                     "1");
    ck_assert_str_eq(xml_path_text(order, "shipments/shipment/shipmenttotal"), "190.00");
    xml_free(root);
    a = update("orders_Update", "<orders><order><id>25</id><shipments><shipment><id>s2</id>"
                                "<products><product><id>T001</id><sizes><size><id>S</id><qty>1"
                                "</qty><orderitem><id>68</id></orderitem></size></sizes>"
                                "</product></products></shipment></shipments></order></orders>");
    ck_assert_str_eq(a.error, "Order 25, shipment s2: cannot ship 1 of orderitem 68, 1 ordered "
                              "and 1 already in shipments");
    a = update("orders_Update", "<orders><order><id>25</id><shipments><shipment><id>s3</id>"
                                "<products><product><id>T001</id><sizes><size><id>S</id><qty>1"
                                "</qty><orderitem><id>999</id></orderitem></size></sizes>"
                                "</product></products></shipment></shipments></order></orders>");
    ck_assert_str_eq(a.error, "Order 25 has no orderitem 999");
    /* Retail order 30: shipped with tracking and capture, then returned. */
    a = update("orders_Update",
               "<orders><order><id>30</id><type>retail</type><store>1</store><status>completed"
               "</status><shipments><shipment><id>8</id><shipped>yes</shipped><capture>yes"
               "</capture><carrierinformation><carrier>UPS</carrier><service>STANDARD</service>"
               "<tracking>1Z123123123123</tracking></carrierinformation></shipment></shipments>"
               "</order></orders>");
    ck_assert_str_eq(a.success, "true");
    order = last_order_event(&root);
    ck_assert_str_eq(xml_child_text(order, "status"), "completed");
    ck_assert_str_eq(xml_path_text(order, "shipments/shipment/shipped"), "yes");
    ck_assert_str_eq(xml_path_text(order, "shipments/shipment/paid"), "yes");
    ck_assert_str_eq(xml_path_text(order, "shipments/shipment/carrierinformation/tracking"),
                     "1Z123123123123");
    ck_assert_uint_eq(xml_count(xml_child(order, "payments"), "payment"), 2); /* auth + capture */
    xml_free(root);
    a = update("orders_Update",
               "<orders><order><id>30</id><type>retail</type><store>1</store><shipments>"
               "<shipment><id>8</id><appendix>1</appendix><refunds><refund><id>12</id><status>"
               "confirmed</status><products><product><id>T001</id><variation><id>T001_RED</id>"
               "</variation><sizes><size><id>S</id><qty>1</qty></size></sizes></product>"
               "</products></refund></refunds></shipment></shipments></order></orders>");
    ck_assert_msg(strcmp(a.success, "true") == 0, "%s", a.error);
    order = last_order_event(&root);
    ck_assert_str_eq(xml_path_text(order, "shipments/shipment/refunds/refund/id"), "12");
    ck_assert_str_eq(
        xml_path_text(order,
                      "shipments/shipment/refunds/refund/products/product/sizes/size/orderitem/id"),
        "81");
    xml_free(root);
    /* Refund ids are global: 12 cannot be used again on another order's shipment. */
    a = update("orders_Update", "<orders><order><id>25</id><shipments><shipment><id>shipment-25-1"
                                "</id><refunds><refund><id>12</id><products/></refund></refunds>"
                                "</shipment></shipments></order></orders>");
    ck_assert_str_eq(a.error, "Refund id 12 is already used: refund ids must be unique");
    /* The guide's return example names shipment 30-1, which order 30 does not have. */
    a = update("orders_Update", "<orders><order><id>30</id><shipments><shipment><id>30-1</id>"
                                "<refunds><refund><id>13</id></refund></refunds></shipment>"
                                "</shipments></order></orders>");
    ck_assert_str_eq(a.error, "Order 30 has no shipment 30-1 (a new shipment needs its products)");
}
END_TEST

/* --- generated data ---------------------------------------------------------------------- */

typedef struct Shape {
    int events;
    int orders;
    int retail;
    int wholesale;
    int customers;
    int accounts;
    int invoices;
    int deletes;
    int bundles;
    int parts;
    int same_size_twice;
    int shipments;
    int two_shipments;
    int refunds;
    int cancelled;
    int transactions;
    int split_warehouses;
    int preorders;
    int repeated_orders;
    int max_lines;
    int min_lines;
    bool special[5]; /* & < " non-ASCII emoji */
    HashMap *seen_orders;
} Shape;

static void
scan_text(Shape *sh, const XmlNode *n)
{
    const unsigned char *t = (const unsigned char *)n->text;

    sh->special[0] |= strchr(n->text, '&') != NULL;
    sh->special[1] |= strchr(n->text, '<') != NULL;
    sh->special[2] |= strchr(n->text, '"') != NULL;
    for (size_t i = 0; i < n->text_len; i++) {
        sh->special[3] |= t[i] >= 0x80;
        sh->special[4] |= t[i] == 0xF0;
    }
    for (size_t i = 0; i < n->nkids; i++)
        scan_text(sh, n->kids[i]);
}

static void
scan_order(Shape *sh, const XmlNode *o)
{
    const XmlNode *products = xml_child(o, "products");
    const XmlNode *ships = xml_child(o, "shipments");
    HashMap *items = hashmap_new();
    HashMap *keys = hashmap_new();
    int lines = 0;
    bool twice = false;

    sh->orders++;
    if (hashmap_get(sh->seen_orders, xml_child_text(o, "id")) != NULL)
        sh->repeated_orders++;
    hashmap_put(sh->seen_orders, xml_child_text(o, "id"), (void *)1);
    if (strcmp(xml_child_text(o, "type"), "retail") == 0)
        sh->retail++;
    else
        sh->wholesale++;
    for (XmlNode *p = xml_child(products, "product"); p != NULL;
         p = xml_next(products, "product", p)) {
        const XmlNode *sizes = xml_child(p, "sizes");
        const char *isb = xml_path_text(p, "bundleinfo/isbundle");

        if (isb != NULL && strcmp(isb, "true") == 0)
            sh->bundles++;
        if (isb != NULL && strcmp(isb, "false") == 0) {
            ck_assert_ptr_nonnull(xml_path_text(p, "bundleinfo/partof/product/id"));
            sh->parts++;
        }
        for (XmlNode *z = xml_child(sizes, "size"); z != NULL; z = xml_next(sizes, "size", z)) {
            char key[512];
            const char *oi = xml_path_text(z, "orderitem/id");

            lines++;
            ck_assert_ptr_nonnull(oi);
            ck_assert_msg(hashmap_get(items, oi) == NULL, "orderitem %s twice in order %s", oi,
                          xml_child_text(o, "id"));
            hashmap_put(items, oi, (void *)1);
            snprintf(key, sizeof(key), "%s/%s/%s", xml_child_text(p, "id"),
                     xml_path_text(p, "variation/id"), xml_child_text(z, "id"));
            twice |= hashmap_get(keys, key) != NULL && isb == NULL;
            hashmap_put(keys, key, (void *)1);
            if (xml_count(xml_child(z, "warehouseitems"), "warehouse") > 1)
                sh->split_warehouses++;
            if (strcmp(xml_child_text(z, "preorder"), "yes") == 0) {
                sh->preorders++;
                ck_assert_ptr_nonnull(xml_path_text(z, "supplierorderitems/supplierorder/id"));
            }
        }
    }
    sh->same_size_twice += twice;
    if (lines > sh->max_lines)
        sh->max_lines = lines;
    if (sh->min_lines == 0 || lines < sh->min_lines)
        sh->min_lines = lines;
    if (xml_count(ships, "shipment") > 0)
        sh->shipments++;
    if (xml_count(ships, "shipment") > 1)
        sh->two_shipments++;
    for (XmlNode *s = xml_child(ships, "shipment"); s != NULL; s = xml_next(ships, "shipment", s))
        sh->refunds += (int)xml_count(xml_child(s, "refunds"), "refund");
    if (xml_child(o, "cancelled") != NULL && xml_child(o, "cancelled")->nkids > 0)
        sh->cancelled++;
    sh->transactions += (int)xml_count(xml_child(o, "payments"), "payment");
    hashmap_free(items);
    hashmap_free(keys);
}

START_TEST(the_generated_queue_is_realistic)
{
    Shape sh;
    long long ids[SIM_BATCH];
    size_t n;

    memset(&sh, 0, sizeof(sh));
    sh.seen_orders = hashmap_new();
    do {
        XmlNode *root;
        const XmlNode *op = get_events("all", &root);
        const XmlNode *events = xml_child(op, "events");

        n = events_ids(op, ids, CB_LENGTH(ids));
        for (XmlNode *e = xml_child(events, "event"); e != NULL; e = xml_next(events, "event", e)) {
            const char *type = xml_child_text(e, "type");
            const XmlNode *data = xml_child(e, "data");

            sh.events++;
            scan_text(&sh, e);
            if (strcmp(xml_child_text(e, "mission"), "delete") == 0) {
                sh.deletes++;
                ck_assert_uint_eq(data->nkids, 0);
            } else if (strcmp(type, "order") == 0) {
                ck_assert_str_eq(xml_child_text(e, "entry"), xml_path_text(data, "order/id"));
                scan_order(&sh, xml_child(data, "order"));
            } else if (strcmp(type, "customer") == 0) {
                sh.customers++;
            } else if (strcmp(type, "account") == 0) {
                sh.accounts++;
            } else if (strcmp(type, "invoice") == 0) {
                sh.invoices++;
            }
        }
        xml_free(root);
        events_done(&srv, ids, n);
    } while (n > 0);
    hashmap_free(sh.seen_orders);
    ck_assert_int_eq(sh.events, 210); /* 200 order events and one other every 20 */
    ck_assert_int_eq(sh.orders, 200);
    ck_assert_int_gt(sh.repeated_orders, 5);
    ck_assert_int_gt(sh.retail, 100);
    ck_assert_int_gt(sh.wholesale, 20);
    ck_assert_int_gt(sh.customers, 0);
    ck_assert_int_gt(sh.accounts, 0);
    ck_assert_int_gt(sh.invoices, 0);
    ck_assert_int_gt(sh.deletes, 0);
    ck_assert_int_gt(sh.bundles, 5);
    ck_assert_int_ge(sh.parts, 2 * sh.bundles);
    ck_assert_int_gt(sh.same_size_twice, 3);
    ck_assert_int_gt(sh.shipments, 40);
    ck_assert_int_gt(sh.two_shipments, 5);
    ck_assert_int_gt(sh.refunds, 5);
    ck_assert_int_gt(sh.cancelled, 3);
    ck_assert_int_gt(sh.transactions, 100);
    ck_assert_int_gt(sh.split_warehouses, 5);
    ck_assert_int_gt(sh.preorders, 3);
    ck_assert_int_eq(sh.min_lines, 1);
    ck_assert_int_le(sh.max_lines, 20);
    ck_assert_int_gt(sh.max_lines, 8);
    for (int i = 0; i < 5; i++)
        ck_assert_msg(sh.special[i], "special character class %d missing", i);
    ck_assert_uint_eq(srv.store.live, 0);
}
END_TEST

/* Every product, variation and size of the queued orders takes stock and a price. */
START_TEST(products_in_generated_orders_take_stock_and_prices)
{
    XmlNode *root;
    const XmlNode *op = get_events("order", &root);
    const XmlNode *events = xml_child(op, "events");
    DynBuf stock;
    DynBuf prices;
    Answer a;
    int lines = 0;

    dynbuf_init(&stock, 16u * 1024 * 1024);
    dynbuf_init(&prices, 16u * 1024 * 1024);
    dynbuf_addstr(&stock, "<products>");
    dynbuf_addstr(&prices, "<pricelists><pricelist><id>SEK-Retail</id><items>");
    for (XmlNode *e = xml_child(events, "event"); e != NULL; e = xml_next(events, "event", e)) {
        const XmlNode *products = xml_path(e, "data/order/products");

        for (XmlNode *p = xml_child(products, "product"); p != NULL;
             p = xml_next(products, "product", p)) {
            const XmlNode *sizes = xml_child(p, "sizes");

            for (XmlNode *z = xml_child(sizes, "size"); z != NULL; z = xml_next(sizes, "size", z)) {
                const XmlNode *wh = xml_child(z, "warehouseitems");

                dynbuf_addf(&stock,
                            "<product><id>%s</id><variations><variation><id>%s</id><sizes>"
                            "<size><id>%s</id><warehouseitems>",
                            xml_child_text(p, "id"), xml_path_text(p, "variation/id"),
                            xml_child_text(z, "id"));
                for (XmlNode *w = xml_child(wh, "warehouse"); w != NULL;
                     w = xml_next(wh, "warehouse", w))
                    dynbuf_addf(&stock, "<warehouse><id>%s</id><qty>7</qty></warehouse>",
                                xml_child_text(w, "id"));
                dynbuf_addstr(&stock, "</warehouseitems></size></sizes></variation></variations>"
                                      "</product>");
                lines++;
            }
            dynbuf_addf(&prices,
                        "<product><id>%s</id><variation><id>%s</id><price>199</price>"
                        "</variation></product>",
                        xml_child_text(p, "id"), xml_path_text(p, "variation/id"));
        }
    }
    dynbuf_addstr(&stock, "</products>");
    dynbuf_addstr(&prices, "</items></pricelist></pricelists>");
    ck_assert_int_gt(lines, 300);
    a = update("products_Update", dynbuf_str(&stock));
    ck_assert_msg(strcmp(a.success, "true") == 0, "%s", a.error);
    /* The warehouses orders allocate from exist already: no "Created new warehouse". */
    ck_assert_int_eq(a.nnotices, 0);
    a = update("pricelists_Update", dynbuf_str(&prices));
    ck_assert_msg(strcmp(a.success, "true") == 0, "%s", a.error);
    dynbuf_free(&stock);
    dynbuf_free(&prices);
    xml_free(root);
}
END_TEST

START_TEST(generation_is_deterministic_per_seed)
{
    HttpResult a;
    HttpResult b;
    SimOptions o;

    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &a);
    stop();
    sim_options_default(&o);
    o.orders = 200;
    o.seed = 42;
    simtest_start(&srv, &o);
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &b);
    ck_assert_uint_eq(dynbuf_len(&a.body), dynbuf_len(&b.body));
    ck_assert_int_eq(memcmp(dynbuf_str(&a.body), dynbuf_str(&b.body), dynbuf_len(&a.body)), 0);
    http_result_free(&b);
    stop();
    o.seed = 43;
    simtest_start(&srv, &o);
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &b);
    ck_assert(dynbuf_len(&a.body) != dynbuf_len(&b.body) ||
              memcmp(dynbuf_str(&a.body), dynbuf_str(&b.body), dynbuf_len(&a.body)) != 0);
    http_result_free(&a);
    http_result_free(&b);
}
END_TEST

/* The last event queued, as stored XML data (order updates queue stored events). */
static const char *
last_event_data(void)
{
    const SimEvent *e = sim_store_find(&srv.store, srv.store.next_id - 1);

    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_nonnull(e->stored);
    return e->stored->data;
}

START_TEST(updates_to_a_generated_order_queue_snapshots_and_build_on_each_other)
{
    size_t before = srv.store.nevents;
    Answer a = update("orders_Update",
                      "<orders><order><id>100001</id><locked>yes</locked><other>ERP note</other>"
                      "</order></orders>");
    XmlNode *root;
    const XmlNode *op;
    const XmlNode *events;
    const char *first_other;

    ck_assert_str_eq(a.success, "true");
    ck_assert_uint_eq(srv.store.nevents, before + 1);
    ck_assert_contains(last_event_data(), "<ns1:other>ERP note</ns1:other>");
    ck_assert_contains(last_event_data(), "<ns1:locked>yes</ns1:locked>");
    /* The generated event already queued is a snapshot: it keeps what it had. */
    op = get_events("order", &root);
    events = xml_child(op, "events");
    ck_assert_str_eq(xml_path_text(events, "event/data/order/id"), "100001");
    first_other = xml_path_text(events, "event/data/order/other");
    ck_assert(first_other == NULL || strcmp(first_other, "ERP note") != 0);
    xml_free(root);

    /* A second update starts from the first one's result. */
    a = update("orders_Update",
               "<orders><order><id>100001</id><status>processing</status></order></orders>");
    ck_assert_str_eq(a.success, "true");
    ck_assert_uint_eq(srv.store.nevents, before + 2);
    ck_assert_contains(last_event_data(), "<ns1:other>ERP note</ns1:other>");
    ck_assert_contains(last_event_data(), "<ns1:status>processing</ns1:status>");

    /* Sending what is already there changes nothing and queues nothing. */
    a = update("orders_Update",
               "<orders><order><id>100001</id><status>processing</status></order></orders>");
    ck_assert_str_eq(a.success, "true");
    ck_assert_uint_eq(srv.store.nevents, before + 2);
}
END_TEST

/* --- faults ------------------------------------------------------------------------------------ */

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

START_TEST(http_errors_fire_for_the_next_n_requests)
{
    HttpResult r;

    add_fault("kind=http_503&count=2");
    add_fault("kind=http_500&count=1&op=events_Done");
    for (int i = 0; i < 2; i++) {
        sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
        ck_assert_int_eq(r.status, 503);
        ck_assert_contains(dynbuf_str(&r.body), "503 Service Unavailable");
        http_result_free(&r);
    }
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_int_eq(r.status, 200);
    http_result_free(&r);
    sim_soap_call(&srv, "events_Done", "<event>1</event>", &r);
    ck_assert_int_eq(r.status, 500);
    http_result_free(&r);
    sim_soap_call(&srv, "events_Done", "<event>1</event>", &r);
    ck_assert_int_eq(r.status, 200);
    http_result_free(&r);
}
END_TEST

START_TEST(too_many_requests_carries_retry_after)
{
    HttpResult r;

    add_fault("kind=http_429&retry_after=3");
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_int_eq(r.status, 429);
    ck_assert_str_eq(r.retry_after, "3");
    http_result_free(&r);
}
END_TEST

START_TEST(a_soap_fault_is_a_server_fault)
{
    HttpResult r;
    XmlNode *root;
    const XmlNode *f;

    add_fault("kind=soap_fault");
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_int_eq(r.status, 500);
    f = soap_parse(&r, &root);
    ck_assert_str_eq(f->name, "Fault");
    ck_assert_str_eq(xml_child_text(f, "faultcode"), "SOAP-ENV:Server");
    xml_free(root);
    http_result_free(&r);
}
END_TEST

START_TEST(delays_and_slow_done_hold_the_answer)
{
    HttpResult r;
    size_t before;

    queue_customers(2, NULL);
    before = srv.store.live;
    add_fault("kind=delay&ms=300");
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(r.seconds >= 0.29, "took %.3f s", r.seconds);
    http_result_free(&r);
    add_fault("kind=slow_done&ms=400");
    sim_soap_call(&srv, "events_Done", "<event>1</event>", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(r.seconds >= 0.39, "took %.3f s", r.seconds);
    /* The acknowledgement itself took effect at once. */
    ck_assert_uint_eq(srv.store.live, before - 1);
    http_result_free(&r);
}
END_TEST

START_TEST(dropped_and_truncated_bodies_fail_the_transfer)
{
    HttpResult r;

    queue_customers(50, NULL);
    add_fault("kind=drop");
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_msg(r.curl != CURLE_OK, "a dropped body must fail the transfer");
    ck_assert_uint_gt(dynbuf_len(&r.body), 0);
    ck_assert_not_contains(dynbuf_str(&r.body), "</SOAP-ENV:Envelope>");
    http_result_free(&r);
    add_fault("kind=truncate");
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_int_eq(r.curl, CURLE_PARTIAL_FILE);
    ck_assert_not_contains(dynbuf_str(&r.body), "</SOAP-ENV:Envelope>");
    http_result_free(&r);
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_int_eq(r.curl, CURLE_OK);
    http_result_free(&r);
}
END_TEST

START_TEST(a_malformed_event_stays_malformed_until_acknowledged)
{
    HttpResult r;
    XmlNode *root;
    Error err;
    long long poisoned = 0;

    add_fault("kind=malformed");
    for (int round = 0; round < 2; round++) {
        sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
        ck_assert_int_eq(r.status, 200);
        ck_assert_int_eq(xml_parse(dynbuf_str(&r.body), dynbuf_len(&r.body), &root, &err),
                         ERR_DATA);
        ck_assert_contains(err.message, "mismatched tag");
        http_result_free(&r);
    }
    for (size_t i = 0; i < srv.store.nevents; i++)
        if (srv.store.events[i].poison == SIM_POISON_MALFORMED)
            poisoned = srv.store.events[i].id;
    ck_assert_int_gt(poisoned, 1); /* not the first event of the batch */
    events_done(&srv, &poisoned, 1);
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_int_eq(xml_parse(dynbuf_str(&r.body), dynbuf_len(&r.body), &root, &err), ERR_OK);
    xml_free(root);
    http_result_free(&r);
}
END_TEST

START_TEST(invalid_xml_characters_reach_the_client)
{
    HttpResult r;
    XmlNode *root;
    Error err;

    add_fault("kind=invalid_chars");
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_ptr_nonnull(memchr(dynbuf_str(&r.body), '\v', dynbuf_len(&r.body)));
    ck_assert_int_eq(xml_parse(dynbuf_str(&r.body), dynbuf_len(&r.body), &root, &err), ERR_DATA);
    ck_assert_contains(err.message, "not well-formed (invalid token)");
    http_result_free(&r);
}
END_TEST

START_TEST(a_repeated_event_comes_back_after_its_acknowledgement)
{
    XmlNode *root;
    const XmlNode *op;
    long long ids[SIM_BATCH + 1];
    size_t n;

    op = get_events("all", &root);
    n = events_ids(op, ids, CB_LENGTH(ids));
    xml_free(root);
    events_done(&srv, ids, n);
    add_fault("kind=repeat");
    op = get_events("all", &root);
    n = events_ids(op, ids, CB_LENGTH(ids));
    /* In its place by id, and the batch stays at Centra's 100. */
    ck_assert_uint_eq(n, SIM_BATCH);
    ck_assert_int_eq(ids[0], 100); /* the last one acknowledged */
    ck_assert_int_eq(ids[1], 101);
    ck_assert_int_eq(ids[SIM_BATCH - 1], 199);
    xml_free(root);
}
END_TEST

START_TEST(an_event_comes_twice_in_one_answer)
{
    XmlNode *root;
    const XmlNode *op;
    long long ids[SIM_BATCH + 1];
    size_t n;

    add_fault("kind=twice");
    op = get_events("all", &root);
    n = events_ids(op, ids, CB_LENGTH(ids));
    /* The first one twice, and the batch stays at Centra's 100. */
    ck_assert_uint_eq(n, SIM_BATCH);
    ck_assert_int_eq(ids[0], 1);
    ck_assert_int_eq(ids[1], 1);
    ck_assert_int_eq(ids[2], 2);
    ck_assert_int_eq(ids[SIM_BATCH - 1], 99);
    xml_free(root);
    /* Once: the next answer is as usual. */
    op = get_events("all", &root);
    n = events_ids(op, ids, CB_LENGTH(ids));
    ck_assert_uint_eq(n, SIM_BATCH);
    ck_assert_int_eq(ids[1], 2);
    xml_free(root);
}
END_TEST

START_TEST(rate_faults_fire_now_and_then)
{
    HttpResult r;
    int failed = 0;

    add_fault("kind=http_503&rate=0.5");
    for (int i = 0; i < 40; i++) {
        sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
        failed += r.status == 503;
        http_result_free(&r);
    }
    ck_assert_int_gt(failed, 5);
    ck_assert_int_lt(failed, 35);
}
END_TEST

/* --- admin ------------------------------------------------------------------------------------- */

START_TEST(update_requests_are_logged_with_the_password_masked)
{
    char url[256];
    HttpResult r;

    ck_assert_str_eq(
        update("warehouses_Update", "<warehouses><warehouse><id>W1</id></warehouse></warehouses>")
            .success,
        "true");
    ck_assert_str_eq(
        update("markets_Update", "<markets><market><id>M1</id></market></markets>").success,
        "true");
    http_request(sim_admin_url(&srv, "/_sim/requests?op=markets_Update", url, sizeof(url)), NULL,
                 &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_contains(dynbuf_str(&r.body), "\"op\":\"markets_Update\"");
    ck_assert_not_contains(dynbuf_str(&r.body), "warehouses_Update");
    ck_assert_contains(dynbuf_str(&r.body), "<password>********</password>");
    ck_assert_not_contains(dynbuf_str(&r.body), ">centra-sim</password>");
    ck_assert_contains(dynbuf_str(&r.body), "<id>M1</id>");
    http_result_free(&r);
    http_request(sim_admin_url(&srv, "/_sim/requests?since=1", url, sizeof(url)), NULL, &r);
    ck_assert_contains(dynbuf_str(&r.body), "\"seq\":2");
    ck_assert_not_contains(dynbuf_str(&r.body), "\"seq\":1");
    http_result_free(&r);
}
END_TEST

START_TEST(the_state_counts_operations_and_reset_starts_over)
{
    char url[256];
    HttpResult r;
    long long ids[] = {1, 2, 3};

    events_done(&srv, ids, 3);
    http_request(sim_admin_url(&srv, "/_sim/state", url, sizeof(url)), NULL, &r);
    ck_assert_contains(dynbuf_str(&r.body), "\"queue_length\":207");
    ck_assert_contains(dynbuf_str(&r.body), "\"acknowledged_ids\":[1,2,3]");
    ck_assert_contains(dynbuf_str(&r.body), "\"events_Done\":1");
    ck_assert_contains(dynbuf_str(&r.body), "\"generated_orders\":");
    http_result_free(&r);
    add_fault("kind=http_500&count=5");
    http_request(sim_admin_url(&srv, "/_sim/faults", url, sizeof(url)), NULL, &r);
    ck_assert_contains(dynbuf_str(&r.body), "\"kind\":\"http_500\",\"remaining\":5");
    http_result_free(&r);
    http_request(sim_admin_url(&srv, "/_sim/reset?orders=10", url, sizeof(url)), "", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_contains(dynbuf_str(&r.body), "\"queue_length\":10");
    http_result_free(&r);
    /* The faults were reset too. */
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_int_eq(r.status, 200);
    http_result_free(&r);
    http_request(sim_admin_url(&srv, "/_sim/faults?kind=nope", url, sizeof(url)), "", &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_contains(dynbuf_str(&r.body), "unknown fault \\\"nope\\\"");
    http_result_free(&r);
    http_request(sim_admin_url(&srv, "/_sim/nothing", url, sizeof(url)), NULL, &r);
    ck_assert_int_eq(r.status, 404);
    http_result_free(&r);
}
END_TEST

/* --- more of the queue, the protocol, faults and the admin API --------------------------- */

/* Only the body of a JSON admin answer: GET (body NULL) or POST. */
static void
admin_call(const char *path, const char *body, long want_status, DynBuf *out)
{
    char url[512];
    HttpResult r;

    http_request(sim_admin_url(&srv, path, url, sizeof(url)), body, &r);
    ck_assert_msg(r.status == want_status, "%s: HTTP %ld: %s", path, r.status, dynbuf_str(&r.body));
    dynbuf_reset(out);
    dynbuf_add(out, dynbuf_str(&r.body), dynbuf_len(&r.body));
    http_result_free(&r);
}

START_TEST(hundreds_of_posted_events_are_all_queued_in_order)
{
    DynBuf b;
    DynBuf state;
    XmlNode *root;
    const XmlNode *op;
    long long ids[SIM_BATCH];

    /* More events than the DOM nests deep: none may be lost. */
    dynbuf_init(&b, 1024u * 1024);
    dynbuf_addstr(&b, "<wrapper><events>");
    for (int i = 1; i <= 300; i++)
        dynbuf_addf(&b, "<event><type>customer</type><entry>C%d</entry><data/></event>", i);
    dynbuf_addstr(&b, "</events></wrapper>");
    dynbuf_init(&state, 1024u * 1024);
    admin_call("/_sim/events", dynbuf_str(&b), 200, &state);
    ck_assert_contains(dynbuf_str(&state), "\"appended\":300");
    op = get_events("all", &root);
    ck_assert_uint_eq(events_ids(op, ids, CB_LENGTH(ids)), SIM_BATCH);
    ck_assert_int_eq(ids[0], 1);
    ck_assert_str_eq(xml_path_text(op, "events/event/entry"), "C1");
    xml_free(root);
    admin_call("/_sim/state", NULL, 200, &state);
    ck_assert_contains(dynbuf_str(&state), "\"queue_length\":300");
    dynbuf_free(&b);
    dynbuf_free(&state);
}
END_TEST

typedef struct BadPost {
    const char *xml;     /* a document whose last event is wrong */
    const char *message; /* what the 400 answer says */
} BadPost;

static const BadPost bad_posts[] = {
    {"<events><event><type>order</type></event><event><data/></event></events>",
     "event 2 of the document has no <type>"},
    /* Served with one <data>, it would not be the event posted: the bridge quarantines it. */
    {"<events><event><type>order</type></event><event><type>customer</type><data><customer>"
     "<id>A</id></customer></data><data><customer><id>B</id></customer></data></event></events>",
     "event 2 of the document has more than one <data>"},
    {"<events><event><type>order</type></event><event><type>customer</type><entry>A</entry>"
     "<type>order</type><data/></event></events>",
     "event 2 of the document has more than one <type>"},
    {"<events><event><type>order</type></event><event><id>7</id><type>order</type></event>"
     "<event><id>7</id><type>order</type></event></events>",
     "event id 7 appears twice in the document"},
    {"<events><event><type>order</type></event>"
     "<event><id>9007199254740992</id><type>order</type></event></events>",
     "event id \\\"9007199254740992\\\" is not a number from 1 to 9007199254740991"},
    {"<events><event><type>order</type></event><event><id>0</id><type>order</type></event>"
     "</events>",
     "event id \\\"0\\\" is not a number from 1 to 9007199254740991"},
    /* The first event takes id 1, so a later explicit 1 collides. */
    {"<events><event><type>order</type></event><event><id>1</id><type>order</type></event>"
     "</events>",
     "event id 1 appears twice in the document"},
};

START_TEST(a_posted_document_with_one_bad_event_appends_nothing)
{
    const BadPost *c = &bad_posts[_i];
    DynBuf out;

    dynbuf_init(&out, 1024u * 1024);
    admin_call("/_sim/events", c->xml, 400, &out);
    ck_assert_contains(dynbuf_str(&out), c->message);
    admin_call("/_sim/state", NULL, 200, &out);
    ck_assert_contains(dynbuf_str(&out), "\"queue_length\":0");
    ck_assert_contains(dynbuf_str(&out), "\"next_event_id\":1,");
    dynbuf_free(&out);
}
END_TEST

START_TEST(too_many_distinct_markets_are_refused)
{
    DynBuf b;
    DynBuf out;

    dynbuf_init(&b, 16u * 1024 * 1024);
    dynbuf_init(&out, 1024u * 1024);
    dynbuf_addstr(&b, "<events>");
    for (int i = 0; i <= SIM_MAX_INTERNED; i++)
        dynbuf_addf(&b,
                    "<event><type>account</type><data><account><id>A%d</id><market><id>M%d</id>"
                    "</market></account></data></event>",
                    i, i);
    dynbuf_addstr(&b, "</events>");
    admin_call("/_sim/events", dynbuf_str(&b), 400, &out);
    ck_assert_contains(dynbuf_str(&out), "too many distinct markets (at most 4096)");
    admin_call("/_sim/state", NULL, 200, &out);
    ck_assert_contains(dynbuf_str(&out), "\"queue_length\":0");
    dynbuf_free(&b);
    dynbuf_free(&out);
}
END_TEST

/* An order update that would file its event under one market too many is refused. */
START_TEST(an_order_moved_past_the_market_limit_is_refused)
{
    DynBuf b;
    Answer a;

    dynbuf_init(&b, 16u * 1024 * 1024);
    dynbuf_addstr(&b, "<events><event><type>order</type><data><order><id>77</id><market><id>M0"
                      "</id></market></order></data></event>");
    for (int i = 1; i < SIM_MAX_INTERNED; i++)
        dynbuf_addf(&b,
                    "<event><type>account</type><data><account><id>A%d</id><market><id>M%d</id>"
                    "</market></account></data></event>",
                    i, i);
    dynbuf_addstr(&b, "</events>");
    ck_assert_int_eq(post_events(dynbuf_str(&b)), 200);
    dynbuf_free(&b);
    a = update("orders_Update",
               "<orders><order><id>77</id><market><id>M-new</id></market></order></orders>");
    ck_assert_str_eq(a.success, "false");
    ck_assert_str_eq(a.error, "Order 77: too many distinct markets (at most 4096)");
    a = update("orders_Update",
               "<orders><order><id>77</id><market><id>M5</id></market></order></orders>");
    ck_assert_str_eq(a.success, "true");
}
END_TEST

START_TEST(events_done_takes_thousands_of_ids_with_whitespace)
{
    DynBuf inner;
    DynBuf state;
    HttpResult r;
    XmlNode *root;
    const XmlNode *op;

    queue_customers(5000, NULL);
    dynbuf_init(&inner, 4u * 1024 * 1024);
    for (int i = 1; i <= 5000; i++) {
        if (i % 3 == 0)
            dynbuf_addf(&inner, "<event>\n  %d\n</event>", i);
        else if (i % 3 == 1)
            dynbuf_addf(&inner, "<event><id> %d </id></event>", i);
        else
            dynbuf_addf(&inner, "<event>%d</event>", i);
    }
    sim_soap_call(&srv, "events_Done", dynbuf_str(&inner), &r);
    ck_assert_int_eq(r.status, 200);
    op = soap_parse(&r, &root);
    ck_assert_str_eq(xml_child_text(op, "success"), "true");
    xml_free(root);
    http_result_free(&r);
    dynbuf_init(&state, 1024u * 1024);
    admin_call("/_sim/state", NULL, 200, &state);
    ck_assert_contains(dynbuf_str(&state), "\"queue_length\":0");
    ck_assert_contains(dynbuf_str(&state), "\"acknowledged_count\":5000");
    dynbuf_free(&inner);
    dynbuf_free(&state);
}
END_TEST

START_TEST(events_by_markets_takes_several_markets_and_a_type)
{
    HttpResult r;
    XmlNode *root;
    const XmlNode *op;
    long long ids[SIM_BATCH];
    DynBuf b;

    dynbuf_init(&b, 1024u * 1024);
    dynbuf_addstr(&b, "<events>");
    for (int i = 1; i <= 9; i++) {
        static const char *const markets[] = {"Retail-EU", "Retail-US", "Wholesale-EU"};
        static const char *const types[] = {"order", "account"};

        dynbuf_addf(&b,
                    "<event><type>%s</type><data><x><id>X%d</id><market><id>%s</id></market></x>"
                    "</data></event>",
                    types[i % 2], i, markets[i % 3]);
    }
    dynbuf_addstr(&b, "</events>");
    ck_assert_int_eq(post_events(dynbuf_str(&b)), 200);
    dynbuf_free(&b);
    /* Markets 1 and 2 of three (ids 1, 2, 4, 5, 7, 8), type order: the even ids. */
    sim_soap_call(&srv, "events_GetByMarkets",
                  "<type> order </type><markets><market><id>Retail-US</id></market>"
                  "<market><id> Wholesale-EU </id></market></markets>",
                  &r);
    ck_assert_int_eq(r.status, 200);
    op = soap_parse(&r, &root);
    ck_assert_uint_eq(events_ids(op, ids, CB_LENGTH(ids)), 3);
    ck_assert_int_eq(ids[0], 2);
    ck_assert_int_eq(ids[1], 4);
    ck_assert_int_eq(ids[2], 8);
    xml_free(root);
    http_result_free(&r);
}
END_TEST

/* Started with --orders and --events DIR together: generated first, then the files by name. */
START_TEST(recorded_events_from_a_directory_follow_the_generated_ones)
{
    char dir[] = "/tmp/centra-sim-events-XXXXXX";
    char path[512];
    const char *files[1];
    SimOptions o;
    DynBuf state;
    FILE *f;

    stop();
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/b.xml", dir);
    f = fopen(path, "w");
    fputs("<event><type>customer</type><entry>second</entry><data/></event>", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/a.xml", dir);
    f = fopen(path, "w");
    fputs("<events><event><type>customer</type><entry>first</entry><data/></event></events>", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    f = fopen(path, "w");
    fputs("not xml, not read", f);
    fclose(f);
    sim_options_default(&o);
    o.orders = 20; /* 21 events */
    files[0] = dir;
    o.event_files = files;
    o.nevent_files = 1;
    simtest_start(&srv, &o);
    ck_assert_str_eq(sim_store_find(&srv.store, 22)->stored->entry, "first");
    ck_assert_str_eq(sim_store_find(&srv.store, 23)->stored->entry, "second");
    dynbuf_init(&state, 1024u * 1024);
    admin_call("/_sim/state", NULL, 200, &state);
    ck_assert_contains(dynbuf_str(&state), "\"queue_length\":23");
    dynbuf_free(&state);
    unlink(path);
    snprintf(path, sizeof(path), "%s/a.xml", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/b.xml", dir);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(the_login_is_checked_on_every_operation)
{
    static const char *const ops[][2] = {
        {"events_Done", "<event>1</event>"},
        {"events_GetByMarkets", "<type>all</type><markets><market><id>M</id></market></markets>"},
        {"orders_Update", "<orders><order><id>1</id></order></orders>"},
        {"warehouses_Update", "<warehouses><warehouse><id>W9</id></warehouse></warehouses>"},
    };
    DynBuf state;

    queue_customers(1, NULL);
    for (size_t i = 0; i < CB_LENGTH(ops); i++) {
        char *env =
            soap_envelope(srv.store.style.ns, ops[i][0], false, "centra-sim", "wrong", ops[i][1]);
        HttpResult r;

        http_request(srv.url, env, &r);
        xfree(env);
        ck_assert_int_eq(r.status, 500);
        ck_assert_contains(dynbuf_str(&r.body), "Login failed: wrong username or password");
        http_result_free(&r);
    }
    dynbuf_init(&state, 1024u * 1024);
    admin_call("/_sim/state", NULL, 200, &state);
    ck_assert_contains(dynbuf_str(&state), "\"queue_length\":1"); /* not acknowledged */
    ck_assert_contains(dynbuf_str(&state), "\"login_failed\":4");
    ck_assert_contains(dynbuf_str(&state), "\"objects\":");
    ck_assert_ptr_null(sim_store_object(&srv.store, "warehouse", "W9"));
    dynbuf_free(&state);
}
END_TEST

START_TEST(any_soapaction_or_none_and_a_custom_path)
{
    SimOptions o;
    HttpResult r;
    char *env;
    char url[512];

    stop();
    sim_options_default(&o);
    o.path = "/soap";
    simtest_start(&srv, &o);
    ck_assert_str_eq(srv.url + strlen(srv.url) - 5, "/soap");
    env = soap_envelope(srv.store.style.ns, "events_GetRequest", false, "centra-sim", "centra-sim",
                        "<type>all</type>");
    http_request_action(srv.url, env, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    http_result_free(&r);
    http_request_action(srv.url, env, "\"\"", &r);
    ck_assert_int_eq(r.status, 200);
    http_result_free(&r);
    http_request_action(srv.url, env, "urn:whatever", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_contains(dynbuf_str(&r.body), "<ns1:events/>");
    http_result_free(&r);
    http_request(sim_admin_url(&srv, SIM_DEFAULT_PATH, url, sizeof(url)), env, &r);
    ck_assert_int_eq(r.status, 404);
    http_result_free(&r);
    xfree(env);
}
END_TEST

/* As in the guide's refund sample: <orders_Update> with no xmlns at all. */
START_TEST(an_operation_without_a_namespace_is_dispatched_by_name)
{
    HttpResult r;
    XmlNode *root;
    const XmlNode *op;

    http_request(srv.url,
                 "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                 "<soap:Body><warehouses_Update><login><username>centra-sim</username>"
                 "<password>centra-sim</password></login><warehouses><warehouse><id>W1</id>"
                 "</warehouse></warehouses></warehouses_Update></soap:Body></soap:Envelope>",
                 &r);
    ck_assert_int_eq(r.status, 200);
    op = soap_parse(&r, &root);
    ck_assert_str_eq(xml_child_text(op, "success"), "true");
    ck_assert_ptr_nonnull(sim_store_object(&srv.store, "warehouse", "W1"));
    xml_free(root);
    http_result_free(&r);
}
END_TEST

START_TEST(faults_given_at_start_fire_and_clear_removes_them)
{
    SimOptions o;
    SimFault f[2];
    Error err;
    HttpResult r;
    DynBuf out;

    stop();
    sim_options_default(&o);
    ck_assert_int_eq(sim_fault_parse("http_503:count=2:op=events_Get", &f[0], &err), ERR_OK);
    ck_assert_int_eq(sim_fault_parse("http_429:count=1:retry_after=0", &f[1], &err), ERR_OK);
    o.faults = f;
    o.nfaults = 2;
    simtest_start(&srv, &o);
    sim_soap_call(&srv, "events_Done", "<event>1</event>", &r); /* op filter: not events_Done */
    ck_assert_int_eq(r.status, 429);
    ck_assert_str_eq(r.retry_after, "0"); /* retry at once, but the header is there */
    http_result_free(&r);
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_int_eq(r.status, 503);
    http_result_free(&r);
    dynbuf_init(&out, 1024u * 1024);
    admin_call("/_sim/faults?clear=1", "", 200, &out);
    ck_assert_str_eq(dynbuf_str(&out), "[]\n");
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_int_eq(r.status, 200);
    http_result_free(&r);
    /* A reset brings the start-up faults back. */
    admin_call("/_sim/reset", "", 200, &out);
    admin_call("/_sim/faults", NULL, 200, &out);
    ck_assert_contains(dynbuf_str(&out), "\"kind\":\"http_503\",\"remaining\":2");
    dynbuf_free(&out);
}
END_TEST

typedef struct BadFault {
    const char *query; /* POST /_sim/faults?... */
    const char *error; /* the answer's error */
} BadFault;

static const BadFault bad_faults[] = {
    {"kind=http_500&count=2&rate=0.5", "a fault takes count or rate, not both"},
    {"kind=http_429&ms=5000", "fault http_429 takes no ms"},
    {"kind=delay&retry_after=5", "fault delay takes no retry_after"},
    {"kind=delay&ms=99999999", "invalid fault option \\\"ms=99999999\\\""},
    {"kind=http_500&count=99999999999", "invalid fault option \\\"count=99999999999\\\""},
    {"", "POST /_sim/faults needs kind=... or clear=1"},
};

START_TEST(fault_settings_that_make_no_sense_are_refused)
{
    const BadFault *c = &bad_faults[_i];
    char path[256];
    DynBuf out;

    snprintf(path, sizeof(path), "/_sim/faults?%s", c->query);
    dynbuf_init(&out, 1024u * 1024);
    admin_call(path, "", 400, &out);
    ck_assert_contains(dynbuf_str(&out), c->error);
    admin_call("/_sim/faults", NULL, 200, &out);
    ck_assert_str_eq(dynbuf_str(&out), "[]\n");
    dynbuf_free(&out);
}
END_TEST

/* However the password is written, the log shows only the mask. */
START_TEST(every_way_of_writing_a_password_is_masked_in_the_log)
{
    static const char *const logins[] = {
        "<login><username>centra-sim</username>"
        "<password xsi:type=\"xsd:string\" xmlns:xsi=\"urn:xsi\">centra-sim</password></login>",
        "<login><username>centra-sim</username><password><![CDATA[centra-sim]]></password>"
        "</login>",
        "<login><username>centra-sim</username><password >centra-sim</password\n></login>",
        "<login><username>centra-sim</username><password>centra&#45;sim</password></login>",
    };
    DynBuf out;

    for (size_t i = 0; i < CB_LENGTH(logins); i++) {
        char body[2048];
        HttpResult r;

        snprintf(body, sizeof(body),
                 "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                 "<soap:Body><customers_Update xmlns=\"%s\">%s<customers><customer><id>C1</id>"
                 "<password>customer secret</password></customer></customers>"
                 "</customers_Update></soap:Body></soap:Envelope>",
                 srv.store.style.ns, logins[i]);
        http_request(srv.url, body, &r);
        ck_assert_msg(r.status == 200, "login %zu: HTTP %ld: %s", i, r.status, dynbuf_str(&r.body));
        http_result_free(&r);
    }
    dynbuf_init(&out, 4u * 1024 * 1024);
    admin_call("/_sim/requests?op=customers_Update", NULL, 200, &out);
    ck_assert_contains(dynbuf_str(&out), "\"seq\":4");
    ck_assert_not_contains(dynbuf_str(&out), "centra-sim</password");
    ck_assert_not_contains(dynbuf_str(&out), "centra-sim]]");
    ck_assert_not_contains(dynbuf_str(&out), "centra&#45;sim");
    ck_assert_not_contains(dynbuf_str(&out), "customer secret");
    ck_assert_contains(dynbuf_str(&out), "xsd:string\\\" xmlns:xsi=\\\"urn:xsi\\\">********<");
    ck_assert_contains(dynbuf_str(&out), "<password >********</password\\n>");
    dynbuf_free(&out);
}
END_TEST

/* The log keeps the latest SIM_REQUEST_LOG requests, oldest first, numbered throughout. */
START_TEST(the_request_log_keeps_the_latest_requests)
{
    static const char body[] = "<x><password>p</password></x>";
    XmlNode *root;
    Error err;

    ck_assert_int_eq(xml_parse(body, strlen(body), &root, &err), ERR_OK);
    for (int i = 0; i < SIM_REQUEST_LOG + 5; i++)
        sim_store_log_request(&srv.store, i % 2 ? "a_Update" : "b_Update", root, body,
                              strlen(body));
    xml_free(root);
    ck_assert_uint_eq(srv.store.nrequests, SIM_REQUEST_LOG);
    ck_assert_int_eq(sim_store_request(&srv.store, 0)->seq, 6);
    ck_assert_int_eq(sim_store_request(&srv.store, SIM_REQUEST_LOG - 1)->seq, SIM_REQUEST_LOG + 5);
    ck_assert_str_eq(sim_store_request(&srv.store, 0)->op, "a_Update");
    ck_assert_str_eq(sim_store_request(&srv.store, 0)->body,
                     "<x><password>********</password></x>");
}
END_TEST

START_TEST(reset_refuses_sizes_it_cannot_hold)
{
    DynBuf out;

    dynbuf_init(&out, 1024u * 1024);
    admin_call("/_sim/reset?orders=99999999999999", "", 400, &out);
    ck_assert_contains(dynbuf_str(&out),
                       "invalid orders \\\"99999999999999\\\": a number from 0 to 50000000");
    admin_call("/_sim/reset?seed=x1", "", 400, &out);
    ck_assert_contains(dynbuf_str(&out), "invalid seed \\\"x1\\\": a whole number");
    admin_call("/_sim/state", NULL, 200, &out);
    ck_assert_contains(dynbuf_str(&out), "\"generated_orders\":");
    ck_assert_not_contains(dynbuf_str(&out), "\"queue_length\":0,");
    dynbuf_free(&out);
}
END_TEST

/* Clients in parallel, one resetting now and then: every answer whole and well-formed. */
typedef struct Worker {
    int id;         /* which worker */
    const char *ns; /* the namespace (read before the threads start: a reset rewrites it) */
    int failures;   /* answers that were not right */
} Worker;

static void *
work(void *arg)
{
    Worker *w = arg;

    for (int i = 0; i < 40; i++) {
        HttpResult r;
        char url[256];
        XmlNode *root;
        Error err;

        if (w->id == 0 && i % 10 == 9) {
            http_request(sim_admin_url(&srv, "/_sim/reset?orders=50", url, sizeof(url)), "", &r);
        } else if (i % 3 == 0) {
            http_request(sim_admin_url(&srv, "/_sim/state", url, sizeof(url)), NULL, &r);
        } else {
            char *env = soap_envelope(w->ns, i % 3 == 1 ? "events_GetRequest" : "orders_Update",
                                      false, "centra-sim", "centra-sim",
                                      i % 3 == 1 ? "<type>all</type>"
                                                 : "<orders><order><id>100001</id><locked>yes"
                                                   "</locked></order></orders>");

            http_request(srv.url, env, &r);
            xfree(env);
            if (r.status == 200 &&
                xml_parse(dynbuf_str(&r.body), dynbuf_len(&r.body), &root, &err) == ERR_OK)
                xml_free(root);
            else
                w->failures++;
            http_result_free(&r);
            continue;
        }
        if (r.status != 200)
            w->failures++;
        http_result_free(&r);
    }
    return NULL;
}

START_TEST(parallel_clients_and_resets_get_whole_answers)
{
    pthread_t threads[4];
    Worker workers[4];

    for (int i = 0; i < 4; i++) {
        workers[i].id = i;
        workers[i].ns = srv.store.style.ns;
        workers[i].failures = 0;
        ck_assert_int_eq(pthread_create(&threads[i], NULL, work, &workers[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_msg(workers[i].failures == 0, "worker %d: %d bad answers", i,
                      workers[i].failures);
    }
}
END_TEST

START_TEST(unknown_operations_are_counted_together)
{
    DynBuf out;
    HttpResult r;

    for (int i = 0; i < 3; i++) {
        char op[32];

        snprintf(op, sizeof(op), "made_up_%d", i);
        sim_soap_call(&srv, op, "", &r);
        ck_assert_int_eq(r.status, 500);
        ck_assert_contains(dynbuf_str(&r.body), "Unknown operation: made_up_");
        http_result_free(&r);
    }
    dynbuf_init(&out, 1024u * 1024);
    admin_call("/_sim/state", NULL, 200, &out);
    ck_assert_contains(dynbuf_str(&out), "\"unknown_operation\":3");
    ck_assert_not_contains(dynbuf_str(&out), "made_up");
    dynbuf_free(&out);
}
END_TEST

START_TEST(admin_endpoints_answer_405_to_other_methods)
{
    static const char *const get_only[] = {"/_sim/state", "/_sim/requests"};
    static const char *const post_only[] = {"/_sim/events", "/_sim/reset"};
    DynBuf out;

    dynbuf_init(&out, 1024u * 1024);
    for (size_t i = 0; i < CB_LENGTH(get_only); i++) {
        admin_call(get_only[i], "", 405, &out);
        ck_assert_contains(dynbuf_str(&out), "takes GET");
    }
    for (size_t i = 0; i < CB_LENGTH(post_only); i++) {
        admin_call(post_only[i], NULL, 405, &out);
        ck_assert_contains(dynbuf_str(&out), "takes POST");
    }
    dynbuf_free(&out);
}
END_TEST

/* A refused fault request changes nothing, even with clear=1 in it. */
START_TEST(a_refused_fault_request_leaves_the_faults_alone)
{
    DynBuf out;
    HttpResult r;

    dynbuf_init(&out, 1024u * 1024);
    admin_call("/_sim/faults?kind=http_503&count=1&op=events_GetRequest", "", 200, &out);
    ck_assert_contains(dynbuf_str(&out), "\"op\":\"events_Get\"");
    admin_call("/_sim/faults?clear=1&kind=bogus", "", 400, &out);
    admin_call("/_sim/faults?kind=http_500&op=nothing", "", 400, &out);
    ck_assert_contains(dynbuf_str(&out), "unknown operation \\\"nothing\\\" in a fault");
    admin_call("/_sim/faults", NULL, 200, &out);
    ck_assert_contains(dynbuf_str(&out), "\"kind\":\"http_503\",\"remaining\":1");
    /* The guide's request element matches the events_Get fault. */
    sim_soap_call(&srv, "events_GetRequest", "<type>all</type>", &r);
    ck_assert_int_eq(r.status, 503);
    http_result_free(&r);
    dynbuf_free(&out);
}
END_TEST

START_TEST(posted_ids_are_kept_freed_or_renumbered_as_asked)
{
    static const char doc[] = "<events><event><id>5</id><type>customer</type><data/></event>"
                              "<event><id>1</id><type>customer</type><data/></event></events>";
    DynBuf out;

    dynbuf_init(&out, 1024u * 1024);
    /* The generated queue holds 1..210: keep refuses, free moves the taken id, new moves all. */
    admin_call("/_sim/events", doc, 400, &out);
    ck_assert_contains(dynbuf_str(&out), "event id 5 is already in the queue");
    admin_call("/_sim/events?ids=free", doc, 200, &out);
    ck_assert_contains(dynbuf_str(&out), "\"appended\":2,\"queue_length\":212,");
    ck_assert_ptr_nonnull(sim_store_find(&srv.store, 211));
    ck_assert_ptr_nonnull(sim_store_find(&srv.store, 212));
    admin_call("/_sim/events?ids=new",
               "<events><event><id>999</id><type>customer</type><data/>"
               "</event></events>",
               200, &out);
    ck_assert_ptr_nonnull(sim_store_find(&srv.store, 213));
    ck_assert_ptr_null(sim_store_find(&srv.store, 999));
    admin_call("/_sim/events?ids=keep",
               "<events><event><id>999</id><type>customer</type><data/>"
               "</event></events>",
               200, &out);
    ck_assert_ptr_nonnull(sim_store_find(&srv.store, 999));
    admin_call("/_sim/events?ids=other", doc, 400, &out);
    ck_assert_contains(dynbuf_str(&out), "ids must be keep (the default), free or new");
    dynbuf_free(&out);
}
END_TEST

/* Long bodies are kept cut, and the log keeps within its byte budget. */
START_TEST(the_request_log_cuts_long_bodies_and_keeps_its_budget)
{
    DynBuf body;
    XmlNode *root;
    Error err;
    size_t total = 0;

    dynbuf_init(&body, 4u * 1024 * 1024);
    dynbuf_addstr(&body, "<x><password>p</password>");
    while (dynbuf_len(&body) < 2u * 1024 * 1024)
        dynbuf_addstr(&body, "<item>0123456789</item>");
    dynbuf_addstr(&body, "</x>");
    ck_assert_int_eq(xml_parse(dynbuf_str(&body), dynbuf_len(&body), &root, &err), ERR_OK);
    for (int i = 0; i < 80; i++)
        sim_store_log_request(&srv.store, "customers_Update", root, dynbuf_str(&body),
                              dynbuf_len(&body));
    xml_free(root);
    for (size_t i = 0; i < srv.store.nrequests; i++) {
        const char *b = sim_store_request(&srv.store, i)->body;

        ck_assert_uint_le(strlen(b), SIM_REQUEST_BODY_MAX + 64);
        ck_assert_contains(b, "<x><password>********</password><item>");
        ck_assert_contains(b, "... (cut: ");
        total += strlen(b);
    }
    ck_assert_uint_le(total, SIM_REQUEST_LOG_BYTES);
    ck_assert_uint_ge(srv.store.nrequests, 60);
    ck_assert_uint_lt(srv.store.nrequests, 80);
    ck_assert_int_eq(sim_store_request(&srv.store, srv.store.nrequests - 1)->seq, 80);
    dynbuf_free(&body);
}
END_TEST

/* Reset forgets what happened and loads the start data again. */
START_TEST(reset_forgets_updates_logs_and_counters)
{
    DynBuf out;
    long long ids[] = {1, 2};

    dynbuf_init(&out, 1024u * 1024);
    ck_assert_str_eq(
        update("warehouses_Update", "<warehouses><warehouse><id>WX</id></warehouse></warehouses>")
            .success,
        "true");
    ck_assert_str_eq(update("orders_Update", "<orders><order><id>100001</id><other>x</other>"
                                             "</order></orders>")
                         .success,
                     "true");
    events_done(&srv, ids, 2);
    admin_call("/_sim/reset", "", 200, &out);
    ck_assert_str_eq(dynbuf_str(&out), "{\"queue_length\":210,\"next_event_id\":211}\n");
    admin_call("/_sim/state", NULL, 200, &out);
    ck_assert_contains(dynbuf_str(&out), "\"acknowledged_count\":0,");
    ck_assert_contains(dynbuf_str(&out), "\"requests\":{}");
    ck_assert_contains(dynbuf_str(&out), "\"orders_stored\":0,");
    ck_assert_contains(dynbuf_str(&out), "\"logged_requests\":0,");
    ck_assert_ptr_null(sim_store_object(&srv.store, "warehouse", "WX"));
    ck_assert_ptr_nonnull(sim_store_object(&srv.store, "warehouse", "MainWarehouse"));
    admin_call("/_sim/requests", NULL, 200, &out);
    ck_assert_str_eq(dynbuf_str(&out), "[]\n");
    dynbuf_free(&out);
}
END_TEST

/* The repeat fault brings back only an event the request's filters would have selected. */
START_TEST(a_repeated_event_respects_the_type_filter)
{
    XmlNode *root;
    const XmlNode *op;
    long long ids[SIM_BATCH];
    long long one = 1; /* an order event */
    size_t n;

    events_done(&srv, &one, 1);
    add_fault("kind=repeat");
    op = get_events("invoice", &root);
    n = events_ids(op, ids, CB_LENGTH(ids));
    ck_assert_uint_gt(n, 0);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_ne(ids[i], 1);
    xml_free(root);
    op = get_events("order", &root); /* still pending: fires now */
    ck_assert_uint_gt(events_ids(op, ids, CB_LENGTH(ids)), 0);
    ck_assert_int_eq(ids[0], 1);
    xml_free(root);
}
END_TEST

/* GET /_sim/state lists the latest 100,000 acknowledged ids and says how many it left out. */
START_TEST(the_state_lists_the_latest_acknowledged_ids)
{
    SimOptions o;
    long long *ids = xcalloc(100005, sizeof(long long));
    DynBuf out;

    stop();
    sim_options_default(&o);
    o.orders = 100000; /* 105,000 events */
    simtest_start(&srv, &o);
    for (size_t i = 0; i < 100005; i++)
        ids[i] = (long long)i + 1;
    ck_assert_uint_eq(sim_store_done(&srv.store, ids, 100005), 100005);
    dynbuf_init(&out, 16u * 1024 * 1024);
    admin_call("/_sim/state", NULL, 200, &out);
    ck_assert_contains(dynbuf_str(&out), "\"acknowledged_count\":100005,"
                                         "\"acknowledged_ids_omitted\":5,"
                                         "\"acknowledged_ids\":[6,7,");
    ck_assert_contains(dynbuf_str(&out), ",100005],");
    dynbuf_free(&out);
    xfree(ids);
}
END_TEST

static Suite *
sim_suite(void)
{
    Suite *s = suite_create("centra-sim");
    TCase *queue = tcase_create("queue");
    TCase *protocol = tcase_create("protocol");
    TCase *updates = tcase_create("updates");
    TCase *generated = tcase_create("generated data");
    TCase *faults = tcase_create("faults");
    TCase *admin = tcase_create("admin");

    tcase_add_checked_fixture(queue, start_default, stop);
    tcase_add_checked_fixture(protocol, start_default, stop);
    tcase_add_checked_fixture(updates, start_generated, stop);
    tcase_add_checked_fixture(generated, start_generated, stop);
    tcase_add_checked_fixture(faults, start_generated, stop);
    tcase_add_checked_fixture(admin, start_generated, stop);
    tcase_set_timeout(generated, 120);
    tcase_set_timeout(faults, 60);
    /* 4 clients resetting in parallel: slow under ASan on a busy machine */
    tcase_set_timeout(admin, 60);

    tcase_add_test(queue, an_empty_queue_answers_an_empty_events_element);
    tcase_add_test(queue, the_guides_234_events_example_behaves_as_written);
    tcase_add_test(queue, the_type_filter_selects_events_and_all_means_every_type);
    tcase_add_test(queue, events_by_markets_filters_by_market_and_answers_events_get);
    tcase_add_test(queue, events_done_ignores_unknown_and_repeated_ids);
    tcase_add_test(queue, posted_events_keep_their_ids_and_duplicates_are_refused);
    tcase_add_test(queue, posted_elements_of_other_namespaces_keep_theirs);
    tcase_add_test(queue, the_guides_order_events_load_and_come_back_in_the_simulators_style);
    tcase_add_test(queue, a_malformed_event_file_stops_the_start);
    tcase_add_test(queue, hundreds_of_posted_events_are_all_queued_in_order);
    tcase_add_loop_test(queue, a_posted_document_with_one_bad_event_appends_nothing, 0,
                        (int)CB_LENGTH(bad_posts));
    tcase_add_test(queue, too_many_distinct_markets_are_refused);
    tcase_add_test(queue, an_order_moved_past_the_market_limit_is_refused);
    tcase_add_test(queue, events_done_takes_thousands_of_ids_with_whitespace);
    tcase_add_test(queue, events_by_markets_takes_several_markets_and_a_type);
    tcase_add_test(queue, recorded_events_from_a_directory_follow_the_generated_ones);

    tcase_add_test(protocol, a_wrong_login_answers_a_soap_fault);
    tcase_add_test(protocol, requests_with_prefixed_elements_are_understood);
    tcase_add_test(protocol, the_default_namespace_style_declares_it_on_the_operation);
    tcase_add_test(protocol, the_navision_flavor_speaks_its_own_namespace);
    tcase_add_test(protocol, malformed_requests_unknown_operations_and_wrong_methods_are_refused);
    tcase_add_test(protocol, answers_carry_a_request_id);
    tcase_add_test(protocol, the_login_is_checked_on_every_operation);
    tcase_add_test(protocol, any_soapaction_or_none_and_a_custom_path);
    tcase_add_test(protocol, an_operation_without_a_namespace_is_dispatched_by_name);

    tcase_add_loop_test(updates, every_update_operation_answers_success_and_errors, 0,
                        (int)CB_LENGTH(op_cases));
    tcase_add_loop_test(updates, more_update_errors_are_answered_with_centras_messages, 0,
                        (int)CB_LENGTH(more_errors));
    tcase_add_test(updates, sizes_update_notices_new_sizes_once);
    tcase_add_test(updates, stock_and_products_are_validated);
    tcase_add_test(updates, fields_not_sent_stay_unchanged);
    tcase_add_test(updates, a_failed_request_changes_nothing);
    tcase_add_test(updates, the_ok_response_style_answers_ok_or_a_fault);
    tcase_add_test(updates, the_guides_order_cookbook_works_and_queues_an_event_each_time);
    tcase_add_test(updates, updates_to_a_generated_order_queue_snapshots_and_build_on_each_other);

    tcase_add_test(generated, the_generated_queue_is_realistic);
    tcase_add_test(generated, products_in_generated_orders_take_stock_and_prices);
    tcase_add_test(generated, generation_is_deterministic_per_seed);

    tcase_add_test(faults, http_errors_fire_for_the_next_n_requests);
    tcase_add_test(faults, too_many_requests_carries_retry_after);
    tcase_add_test(faults, a_soap_fault_is_a_server_fault);
    tcase_add_test(faults, delays_and_slow_done_hold_the_answer);
    tcase_add_test(faults, dropped_and_truncated_bodies_fail_the_transfer);
    tcase_add_test(faults, a_malformed_event_stays_malformed_until_acknowledged);
    tcase_add_test(faults, invalid_xml_characters_reach_the_client);
    tcase_add_test(faults, a_repeated_event_comes_back_after_its_acknowledgement);
    tcase_add_test(faults, an_event_comes_twice_in_one_answer);
    tcase_add_test(faults, rate_faults_fire_now_and_then);
    tcase_add_test(faults, faults_given_at_start_fire_and_clear_removes_them);
    tcase_add_loop_test(faults, fault_settings_that_make_no_sense_are_refused, 0,
                        (int)CB_LENGTH(bad_faults));

    tcase_add_test(admin, update_requests_are_logged_with_the_password_masked);
    tcase_add_test(admin, the_state_counts_operations_and_reset_starts_over);
    tcase_add_test(admin, every_way_of_writing_a_password_is_masked_in_the_log);
    tcase_add_test(admin, the_request_log_keeps_the_latest_requests);
    tcase_add_test(admin, reset_refuses_sizes_it_cannot_hold);
    tcase_add_test(admin, parallel_clients_and_resets_get_whole_answers);
    tcase_add_test(admin, unknown_operations_are_counted_together);
    tcase_add_test(admin, admin_endpoints_answer_405_to_other_methods);
    tcase_add_test(admin, a_refused_fault_request_leaves_the_faults_alone);
    tcase_add_test(admin, posted_ids_are_kept_freed_or_renumbered_as_asked);
    tcase_add_test(admin, the_request_log_cuts_long_bodies_and_keeps_its_budget);
    tcase_add_test(admin, reset_forgets_updates_logs_and_counters);
    tcase_add_test(admin, the_state_lists_the_latest_acknowledged_ids);
    tcase_add_test(faults, a_repeated_event_respects_the_type_filter);

    suite_add_tcase(s, queue);
    suite_add_tcase(s, protocol);
    suite_add_tcase(s, updates);
    suite_add_tcase(s, generated);
    suite_add_tcase(s, faults);
    suite_add_tcase(s, admin);
    return s;
}

CB_TEST_MAIN(sim_suite)
