/*
 * tests/integration/test_sim_updates.c
 *     centra-sim's update operations in depth, over HTTP: client input that
 *     must not crash the simulator, how updates merge into stored objects,
 *     cancellations, the element order of what the simulator builds, sizes
 *     and orders that cannot be changed, and lines a shipment or refund
 *     needs.  Each test runs its own simulator in-process on a free port,
 *     loaded with the guide's two order events and the orders below.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/strutil.h"
#include "sim_stage_int.h"
#include "simtest.h"
#include "testutil.h"

static SimServer srv;

/*
 * Retail order 900: one product in two sizes (orderitem 901 split over two
 * warehouses), paid by card, nothing shipped; 250.00 goods + 20.00 shipping.
 */
static const char order_900[] =
    "<order><id>900</id><ordernumber>900</ordernumber><type>retail</type><store>1</store>"
    "<status>processing</status><ordertotal>270.00</ordertotal><currency>EUR</currency>"
    "<currencyrate>10.43100</currencyrate><basecurrency>SEK</basecurrency>"
    "<additionals><additional><key>k1</key><value>v1</value></additional></additionals>"
    "<shipping><subtotal>20.00</subtotal></shipping>"
    "<payments><name>dibs</name><type>cc</type><total>0</total><status>incomplete</status>"
    "<method>visa</method><payment><type>auth</type><value>270.00</value><created>"
    "2026-01-01T10:00:00+01:00</created><transaction>T900</transaction></payment></payments>"
    "<products><product><id>P1</id><tax>25.000</tax><sku>P1SKU</sku><origprice>50.00"
    "</origprice><price>50.00</price><discount>0</discount><qty>5</qty><subtotal>250.00"
    "</subtotal><description>Shirt</description><variation><id>P1_RED</id><description>Red"
    "</description></variation><brand><id>B</id><description>Brand</description></brand>"
    "<sizes><size><id>S</id><sku>01</sku><qty>3</qty><preorder>no</preorder><description>Small"
    "</description><orderitem><id>901</id></orderitem><warehouseitems><warehouse><id>W1</id>"
    "<qty>2</qty></warehouse><warehouse><id>W2</id><qty>1</qty></warehouse></warehouseitems>"
    "<supplierorderitems/></size><size><id>M</id><sku>02</sku><qty>2</qty><preorder>no"
    "</preorder><description>Medium</description><orderitem><id>902</id></orderitem>"
    "<warehouseitems><warehouse><id>W1</id><qty>2</qty></warehouse></warehouseitems>"
    "<supplierorderitems/></size></sizes><comment/></product></products><cancelled/>"
    "<shipments/><market><id>Retail-EU</id><description>Europe</description></market>"
    "<pricelist><id>EUR-Retail</id><description>Euro</description></pricelist></order>";

/* Retail order 910: a card payment entry without type or value (recorded data is not clean). */
static const char order_910[] =
    "<order><id>910</id><type>retail</type><store>1</store><currency>EUR</currency>"
    "<payments><type>cc</type><payment><id>p1</id></payment></payments>"
    "<products><product><id>P1</id><price>10.00</price><qty>1</qty><subtotal>10.00</subtotal>"
    "<sizes><size><id>S</id><qty>1</qty><orderitem><id>911</id></orderitem></size></sizes>"
    "</product></products><shipments/><market><id>Retail-EU</id></market></order>";

/*
 * Retail order 920: shipped shipment S920 whose first product has neither id
 * nor variation, and whose P1 line has no variation.
 */
static const char order_920[] =
    "<order><id>920</id><type>retail</type><store>1</store><currency>EUR</currency>"
    "<products><product><sku>X</sku><price>5.00</price><sizes><size><id>S</id><qty>1</qty>"
    "<orderitem><id>921</id></orderitem></size></sizes></product><product><id>P1</id>"
    "<price>10.00</price><sizes><size><id>S</id><qty>2</qty><orderitem><id>922</id></orderitem>"
    "</size></sizes></product></products><shipments><shipment><id>S920</id><paid>yes</paid>"
    "<shipped>yes</shipped><products><product><sku>X</sku><sizes><size><id>S</id><qty>1</qty>"
    "<orderitem><id>921</id></orderitem></size></sizes></product><product><id>P1</id>"
    "<sizes><size><id>S</id><qty>2</qty><orderitem><id>922</id></orderitem></size></sizes>"
    "</product></products><refunds/></shipment></shipments><market><id>Retail-EU</id>"
    "</market></order>";

/*
 * Retail order 930: a line without qty, and a shipped shipment S930 whose
 * line has no qty and one whose line has no orderitem.
 */
static const char order_930[] =
    "<order><id>930</id><type>retail</type><store>1</store><currency>EUR</currency>"
    "<products><product><id>P1</id><price>10.00</price><sizes><size><id>S</id>"
    "<orderitem><id>931</id></orderitem></size><size><id>M</id><qty>1</qty><orderitem><id>932"
    "</id></orderitem></size></sizes></product></products><shipments><shipment><id>S930</id>"
    "<shipped>yes</shipped><products><product><id>P1</id><sizes><size><id>M</id>"
    "<orderitem><id>932</id></orderitem></size></sizes></product></products></shipment>"
    "<shipment><id>S931</id><shipped>yes</shipped><products><product><id>P1</id><sizes><size>"
    "<id>M</id><qty>1</qty></size></sizes></product></products></shipment></shipments>"
    "<market><id>Retail-EU</id></market></order>";

/* Post one order event with the order's XML; asserts it was taken. */
static void
post_order(const char *order)
{
    char url[256];
    char *body = xmalloc(strlen(order) + 256);
    HttpResult r;

    snprintf(body, strlen(order) + 256,
             "<events><event><type>order</type><entry>x</entry><mission>update</mission>"
             "<date>2026-01-01 10:00:00</date><data>%s</data></event></events>",
             order);
    http_request(sim_admin_url(&srv, "/_sim/events", url, sizeof(url)), body, &r);
    ck_assert_msg(r.status == 200, "HTTP %ld: %s", r.status, dynbuf_str(&r.body));
    http_result_free(&r);
    xfree(body);
}

static void
start(void)
{
    static const char *const files[] = {CB_SOURCE_DIR
                                        "/tests/fixtures/guide/wholesale_order_event.xml",
                                        CB_SOURCE_DIR "/tests/fixtures/guide/dtc_order_event.xml"};
    SimOptions o;

    log_set_level(LOG_LEVEL_WARN);
    sim_options_default(&o);
    o.event_files = files;
    o.nevent_files = CB_LENGTH(files);
    simtest_start(&srv, &o);
    post_order(order_900);
    post_order(order_910);
    post_order(order_920);
    post_order(order_930);
}

static void
stop(void)
{
    sim_server_stop(&srv);
}

typedef SimAnswer Answer;

/* An update call to this test's simulator. */
static Answer
update(const char *op, const char *inner)
{
    return sim_update_call(&srv, op, inner);
}

/* An orders_Update of one order: <order><id>id</id> + body. */
static Answer
order_update(const char *id, const char *body)
{
    char *inner = xmalloc(strlen(body) + 128);
    Answer a;

    snprintf(inner, strlen(body) + 128, "<orders><order><id>%s</id>%s</order></orders>", id, body);
    a = update("orders_Update", inner);
    xfree(inner);
    return a;
}

#define assert_ok(a) ck_assert_msg(strcmp((a).success, "true") == 0, "failed: %s", (a).error)
#define assert_error(a, msg)                                                                       \
    do {                                                                                           \
        ck_assert_str_eq((a).success, "false");                                                    \
        ck_assert_str_eq((a).error, (msg));                                                        \
    } while (0)

/* The current state of order id (caller frees). */
static XmlNode *
order_now(const char *id)
{
    XmlNode *o = sim_store_order_copy(&srv.store, id);

    ck_assert_ptr_nonnull(o);
    return o;
}

/* The names of n's children, joined by ",". */
static const char *
child_names(const XmlNode *n, char *buf, size_t size)
{
    size_t at = 0;

    buf[0] = '\0';
    for (size_t i = 0; n != NULL && i < n->nkids && at < size; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%s", i > 0 ? "," : "", n->kids[i]->name);
    return buf;
}

/* How many events for order entry the queue holds for market (events_GetByMarkets). */
static int
events_in_market(const char *market, const char *entry)
{
    char inner[256];
    HttpResult r;
    XmlNode *root;
    const XmlNode *op;
    const XmlNode *events;
    int n = 0;

    snprintf(inner, sizeof(inner),
             "<type>order</type><markets><market><id>%s</id></market></markets>", market);
    sim_soap_call(&srv, "events_GetByMarkets", inner, &r);
    ck_assert_int_eq(r.status, 200);
    op = soap_parse(&r, &root);
    events = xml_child(op, "events");
    for (XmlNode *e = xml_child(events, "event"); e != NULL; e = xml_next(events, "event", e))
        if (strcmp(xml_path_text(e, "data/order/id"), entry) == 0)
            n++;
    xml_free(root);
    http_result_free(&r);
    return n;
}

static const char ship_901[] =
    "<shipments><shipment><id>s1</id><products><product><id>P1</id><sizes><size><id>S</id>"
    "<qty>1</qty><orderitem><id>901</id></orderitem></size></sizes></product></products>"
    "</shipment></shipments>";

static const char ship_s1_capture[] =
    "<shipments><shipment><id>s1</id><shipped>yes</shipped><capture>yes</capture></shipment>"
    "</shipments>";

/* --- client input that must not crash ------------------------------------------------------ */

START_TEST(a_payment_without_transaction_is_refused_and_capture_still_works)
{
    XmlNode *o;
    Answer a;

    a = order_update("900", "<payments><payment><id>p1</id></payment></payments>");
    assert_error(a, "Order 900: an item <payment> has no <transaction>");
    assert_ok(order_update("900", ship_901));
    assert_ok(order_update("900", ship_s1_capture));
    o = order_now("900");
    ck_assert_uint_eq(xml_count(xml_child(o, "payments"), "payment"), 2); /* auth + capture */
    ck_assert_str_eq(xml_path_text(o, "payments/total"), "50");
    ck_assert_str_eq(xml_path_text(o, "payments/status"), "success");
    ck_assert_str_eq(xml_path_text(o, "shipments/shipment/paid"), "yes");
    xml_free(o);
}
END_TEST

START_TEST(capture_skips_recorded_payments_without_type_or_value)
{
    XmlNode *o;
    const XmlNode *pays;
    const XmlNode *last = NULL;

    assert_ok(order_update("910", "<shipments><shipment><id>s1</id><products><product><id>P1"
                                  "</id><sizes><size><id>S</id><qty>1</qty><orderitem><id>911"
                                  "</id></orderitem></size></sizes></product></products>"
                                  "</shipment></shipments>"));
    assert_ok(order_update("910", ship_s1_capture));
    o = order_now("910");
    pays = xml_child(o, "payments");
    ck_assert_uint_eq(xml_count(pays, "payment"), 2);
    for (XmlNode *p = xml_child(pays, "payment"); p != NULL; p = xml_next(pays, "payment", p))
        last = p;
    ck_assert_str_eq(xml_child_text(last, "type"), "capture");
    ck_assert_str_eq(xml_child_text(last, "value"), "10");
    ck_assert_str_eq(xml_child_text(pays, "total"), "10");
    xml_free(o);
}
END_TEST

START_TEST(refunds_match_lines_without_id_or_variation_safely)
{
    XmlNode *o;
    Answer a;

    /* By product, variation and size: the shipment's lines have no variation. */
    a = order_update("920", "<shipments><shipment><id>S920</id><refunds><refund><id>R920</id>"
                            "<products><product><id>P1</id><variation><id>P1_RED</id>"
                            "</variation><sizes><size><id>S</id><qty>1</qty></size></sizes>"
                            "</product></products></refund></refunds></shipment></shipments>");
    assert_error(a, "Order 920, refund R920: shipment S920 has no such line (product P1, size S)");
    /* Without a variation the P1 line matches, past the line without a product id. */
    a = order_update("920", "<shipments><shipment><id>S920</id><refunds><refund><id>R920</id>"
                            "<products><product><id>P1</id><sizes><size><id>S</id><qty>1</qty>"
                            "</size></sizes></product></products></refund></refunds>"
                            "</shipment></shipments>");
    assert_ok(a);
    o = order_now("920");
    ck_assert_str_eq(xml_path_text(o,
                                   "shipments/shipment/refunds/refund/products/product/sizes/size/"
                                   "orderitem/id"),
                     "922");
    xml_free(o);
}
END_TEST

START_TEST(lines_without_a_quantity_are_errors_not_garbage)
{
    Answer a;

    a = order_update("930", "<shipments><shipment><id>s1</id><products><product><id>P1</id>"
                            "<sizes><size><id>S</id><qty>1</qty><orderitem><id>931</id>"
                            "</orderitem></size></sizes></product></products></shipment>"
                            "</shipments>");
    assert_error(a, "Order 930: orderitem 931 has an invalid quantity \"\"");
    a = order_update("930", "<cancelled><product><id>P1</id><sizes><size><id>S</id><qty>1</qty>"
                            "<orderitem><id>931</id></orderitem></size></sizes></product>"
                            "</cancelled>");
    assert_error(a, "Order 930: orderitem 931 has an invalid quantity \"\"");
    /* A shipment line without qty or without orderitem cannot be refunded. */
    a = order_update("930", "<shipments><shipment><id>S930</id><refunds><refund><id>R930</id>"
                            "<products><product><id>P1</id><sizes><size><id>M</id><qty>1</qty>"
                            "<orderitem><id>932</id></orderitem></size></sizes></product>"
                            "</products></refund></refunds></shipment></shipments>");
    assert_error(a, "Order 930: shipment S930 has an invalid quantity \"\" for orderitem 932");
    a = order_update("930", "<shipments><shipment><id>S931</id><refunds><refund><id>R931</id>"
                            "<products><product><id>P1</id><sizes><size><id>M</id><qty>1</qty>"
                            "</size></sizes></product></products></refund></refunds></shipment>"
                            "</shipments>");
    assert_error(a, "Order 930, refund R931: the line of product P1, size M in shipment S931 "
                    "has no orderitem");
}
END_TEST

START_TEST(a_refund_id_past_the_generated_ones_is_just_an_id)
{
    /* Generated orders number refunds R1, R2, ...: a huge number must not overflow. */
    assert_ok(order_update("900", ship_901));
    assert_ok(order_update("900", ship_s1_capture));
    assert_ok(order_update("900", "<shipments><shipment><id>s1</id><refunds><refund><id>"
                                  "R9223372036854775807</id><products><product><id>P1</id>"
                                  "<sizes><size><id>S</id><qty>1</qty><orderitem><id>901</id>"
                                  "</orderitem></size></sizes></product></products></refund>"
                                  "</refunds></shipment></shipments>"));
}
END_TEST

/* --- merging ------------------------------------------------------------------------------- */

typedef struct RefCase {
    const char *order;   /* order id */
    const char *element; /* the reference */
    const char *id;      /* its new id */
} RefCase;

static const RefCase ref_cases[] = {
    {"900", "market", "Retail-US"},  {"900", "pricelist", "USD-Retail"},
    {"25", "paymentterms", "60NET"}, {"25", "shippingterms", "DAP"},
    {"25", "account", "67890"},      {"25", "market", "Wholesale-EU"},
    {"25", "collection", "SUMMER"},  {"30", "pricelist", "SEK-Retail"},
};

START_TEST(a_reference_with_another_id_replaces_the_old_one)
{
    const RefCase *c = &ref_cases[_i];
    char body[256];
    char path[64];
    XmlNode *o;

    snprintf(body, sizeof(body), "<%s><id>%s</id></%s>", c->element, c->id, c->element);
    assert_ok(order_update(c->order, body));
    o = order_now(c->order);
    ck_assert_uint_eq(xml_count(o, c->element), 1);
    snprintf(path, sizeof(path), "%s/id", c->element);
    ck_assert_str_eq(xml_path_text(o, path), c->id);
    /* Nothing of the old reference is left: its description was the old one's. */
    ck_assert_uint_eq(xml_child(o, c->element)->nkids, 1);
    xml_free(o);
}
END_TEST

START_TEST(an_order_moved_to_another_market_is_filed_under_the_new_one)
{
    ck_assert_int_eq(events_in_market("Retail-EU", "900"), 1);
    assert_ok(order_update("900", "<market><id>Retail-US</id><description>US</description>"
                                  "</market>"));
    ck_assert_int_eq(events_in_market("Retail-US", "900"), 1);
    ck_assert_int_eq(events_in_market("Retail-EU", "900"), 1); /* the load's event only */
    /* The same reference again with its description merges: nothing changes, no event. */
    assert_ok(order_update("900", "<market><id>Retail-US</id></market>"));
    ck_assert_int_eq(events_in_market("Retail-US", "900"), 1);
}
END_TEST

START_TEST(references_of_other_objects_are_replaced_too)
{
    const XmlNode *obj;

    assert_ok(update("accounts_Update",
                     "<accounts><account><id>A1</id><market><id>M1</id><description>One"
                     "</description></market><pricelist><id>PL1</id></pricelist><buyers><buyer>"
                     "<id>b1</id></buyer></buyers></account></accounts>"));
    assert_ok(update("accounts_Update",
                     "<accounts><account><id>A1</id><market><id>M2</id></market><buyers><buyer>"
                     "<id>b2</id></buyer></buyers></account></accounts>"));
    obj = sim_store_object(&srv.store, "account", "A1");
    ck_assert_uint_eq(xml_count(obj, "market"), 1);
    ck_assert_str_eq(xml_path_text(obj, "market/id"), "M2");
    ck_assert_ptr_null(xml_path(obj, "market/description"));
    ck_assert_str_eq(xml_path_text(obj, "pricelist/id"), "PL1");
    ck_assert_uint_eq(xml_count(xml_child(obj, "buyers"), "buyer"), 2);
    assert_ok(update("products_Update", "<products><product><id>T001</id><brand><id>Other</id>"
                                        "</brand></product></products>"));
    obj = sim_store_object(&srv.store, "product", "T001");
    ck_assert_uint_eq(xml_count(obj, "brand"), 1);
    ck_assert_str_eq(xml_path_text(obj, "brand/id"), "Other");
}
END_TEST

START_TEST(repeated_elements_merge_by_their_key)
{
    XmlNode *o;
    const XmlNode *adds;
    Answer a;

    assert_ok(order_update("900", "<additionals><additional><key>k2</key><value>v2</value>"
                                  "</additional></additionals>"));
    assert_ok(order_update("900", "<additionals><additional><key>k1</key><value>v1b</value>"
                                  "</additional></additionals>"));
    o = order_now("900");
    adds = xml_child(o, "additionals");
    ck_assert_uint_eq(xml_count(adds, "additional"), 2);
    ck_assert_str_eq(xml_path_text(adds, "additional/key"), "k1");
    ck_assert_str_eq(xml_path_text(adds, "additional/value"), "v1b");
    ck_assert_str_eq(xml_child_text(adds->kids[1], "key"), "k2");
    ck_assert_str_eq(xml_child_text(adds->kids[1], "value"), "v2");
    xml_free(o);
    a = order_update("900", "<additionals><additional><value>v</value></additional>"
                            "</additionals>");
    assert_error(a, "Order 900: an item <additional> has no <key>");
    /* A new object is checked the same way. */
    a = update("accounts_Update", "<accounts><account><id>A2</id><buyers><buyer><store>2</store>"
                                  "</buyer></buyers></account></accounts>");
    assert_error(a, "Account A2: an item <buyer> has no <id>");
    /* Pricelist variations repeat right under their product. */
    assert_ok(update("pricelists_Update",
                     "<pricelists><pricelist><id>PLX</id><items><product><id>T001</id><variation>"
                     "<id>T001_RED</id><price>1</price></variation><variation><id>T001_BLUE</id>"
                     "<price>2</price></variation></product></items></pricelist></pricelists>"));
    assert_ok(update("pricelists_Update",
                     "<pricelists><pricelist><id>PLX</id><items><product><id>T001</id><variation>"
                     "<id>T001_BLUE</id><price>3</price></variation></product></items>"
                     "</pricelist></pricelists>"));
    adds = xml_path(sim_store_object(&srv.store, "pricelist", "PLX"), "items/product");
    ck_assert_uint_eq(xml_count(adds, "variation"), 2);
    ck_assert_str_eq(xml_path_text(adds, "variation/price"), "1");
    ck_assert_str_eq(xml_child_text(adds->kids[2], "price"), "3");
}
END_TEST

/* --- cancellations ------------------------------------------------------------------------ */

static const char cancel_901[] =
    "<cancelled><product><id>P1</id><variation><id>P1_RED</id></variation><sizes><size><id>S"
    "</id><qty>1</qty><orderitem><id>901</id></orderitem></size></sizes></product></cancelled>";

START_TEST(a_cancellation_updates_quantities_totals_and_allocations)
{
    XmlNode *o;
    const XmlNode *p;
    const XmlNode *z;
    const XmlNode *c;

    assert_ok(order_update("900", cancel_901));
    o = order_now("900");
    p = xml_path(o, "products/product");
    z = xml_path(p, "sizes/size");
    ck_assert_str_eq(xml_child_text(z, "qty"), "2");
    ck_assert_str_eq(xml_child_text(p, "qty"), "4");
    ck_assert_str_eq(xml_child_text(p, "subtotal"), "200");
    ck_assert_str_eq(xml_child_text(o, "ordertotal"), "220.00");
    /* The allocation shrinks with the line: W2's one unit goes first. */
    ck_assert_uint_eq(xml_count(xml_child(z, "warehouseitems"), "warehouse"), 1);
    ck_assert_str_eq(xml_path_text(z, "warehouseitems/warehouse/id"), "W1");
    ck_assert_str_eq(xml_path_text(z, "warehouseitems/warehouse/qty"), "2");
    c = xml_path(o, "cancelled/product");
    ck_assert_str_eq(xml_child_text(c, "qty"), "1");
    ck_assert_str_eq(xml_child_text(c, "subtotal"), "50");
    xml_free(o);

    /* A second cancellation of the line adds to its cancelled quantity. */
    assert_ok(order_update("900", cancel_901));
    o = order_now("900");
    p = xml_path(o, "products/product");
    z = xml_path(p, "sizes/size");
    ck_assert_str_eq(xml_child_text(z, "qty"), "1");
    ck_assert_str_eq(xml_child_text(p, "qty"), "3");
    ck_assert_str_eq(xml_child_text(p, "subtotal"), "150");
    ck_assert_str_eq(xml_child_text(o, "ordertotal"), "170.00");
    ck_assert_str_eq(xml_path_text(z, "warehouseitems/warehouse/qty"), "1");
    ck_assert_uint_eq(xml_count(xml_child(o, "cancelled"), "product"), 1);
    c = xml_path(o, "cancelled/product");
    ck_assert_str_eq(xml_child_text(c, "qty"), "2");
    ck_assert_str_eq(xml_child_text(c, "subtotal"), "100");
    ck_assert_str_eq(xml_path_text(c, "sizes/size/qty"), "2");
    xml_free(o);
}
END_TEST

START_TEST(the_guides_cancellation_keeps_the_wholesale_order_consistent)
{
    XmlNode *o;
    const XmlNode *products;
    const XmlNode *red = NULL;
    const XmlNode *sizes;
    const XmlNode *large = NULL;

    assert_ok(order_update("25", "<type>wholesale</type><store>2</store><cancelled><product><id>"
                                 "T001</id><variation><id>T001_RED</id></variation><sizes><size>"
                                 "<id>L</id><qty>1</qty><orderitem><id>71</id></orderitem>"
                                 "<supplierorderitems/></size></sizes></product></cancelled>"));
    o = order_now("25");
    products = xml_child(o, "products");
    for (XmlNode *p = xml_child(products, "product"); p != NULL;
         p = xml_next(products, "product", p))
        if (strcmp(xml_path_text(p, "variation/id"), "T001_RED") == 0)
            red = p;
    ck_assert_ptr_nonnull(red);
    ck_assert_str_eq(xml_child_text(red, "qty"), "6");
    ck_assert_str_eq(xml_child_text(red, "subtotal"), "270");
    sizes = xml_child(red, "sizes");
    for (XmlNode *z = xml_child(sizes, "size"); z != NULL; z = xml_next(sizes, "size", z))
        if (strcmp(xml_path_text(z, "orderitem/id"), "71") == 0)
            large = z;
    ck_assert_ptr_nonnull(large);
    ck_assert_str_eq(xml_child_text(large, "qty"), "3");
    ck_assert_str_eq(xml_path_text(large, "warehouseitems/warehouse/qty"), "3");
    ck_assert_ptr_null(xml_child(o, "ordertotal")); /* the guide's order has none */
    xml_free(o);
}
END_TEST

/* --- element order ------------------------------------------------------------------------- */

#define GUIDE_PRODUCT                                                                              \
    "id,tax,sku,origprice,price,discount,qty,subtotal,description,variation,brand,sizes,comment"

START_TEST(built_products_and_refunds_follow_the_guides_element_order)
{
    XmlNode *o;
    char names[512];
    const XmlNode *ship;

    assert_ok(order_update("900", ship_901));
    assert_ok(order_update("900", cancel_901));
    o = order_now("900");
    ship = xml_path(o, "shipments/shipment");
    ck_assert_str_eq(child_names(xml_path(ship, "products/product"), names, sizeof(names)),
                     GUIDE_PRODUCT);
    ck_assert_str_eq(
        child_names(xml_path(ship, "products/product/sizes/size"), names, sizeof(names)),
        "id,sku,qty,preorder,description,orderitem");
    ck_assert_str_eq(child_names(xml_path(o, "cancelled/product"), names, sizeof(names)),
                     GUIDE_PRODUCT);
    xml_free(o);
    assert_ok(order_update("900", ship_s1_capture));
    assert_ok(order_update("900", "<shipments><shipment><id>s1</id><refunds><refund><id>R900"
                                  "</id><comment>Too big</comment><products><product><id>P1</id>"
                                  "<sizes><size><id>S</id><qty>1</qty><orderitem><id>901</id>"
                                  "</orderitem></size></sizes></product></products></refund>"
                                  "</refunds></shipment></shipments>"));
    o = order_now("900");
    ship = xml_path(o, "shipments/shipment");
    ck_assert_str_eq(child_names(xml_path(ship, "refunds/refund"), names, sizeof(names)),
                     "id,shipping,voucher,products,comment,returnfee,handling,status");
    ck_assert_str_eq(
        child_names(xml_path(ship, "refunds/refund/products/product"), names, sizeof(names)),
        GUIDE_PRODUCT);
    ck_assert_str_eq(xml_path_text(ship, "refunds/refund/comment"), "Too big");
    ck_assert_str_eq(xml_path_text(ship, "refunds/refund/status"), "confirmed");
    xml_free(o);
}
END_TEST

/* --- sizes ----------------------------------------------------------------------------------- */

static const char sml_small[] =
    "<sizes><size><id>S</id><description>Small</description><sizetable><id>SML</id>"
    "<description>Small Medium Large</description></sizetable></size></sizes>";

START_TEST(existing_sizes_and_sizetables_cannot_be_changed)
{
    Answer a;

    a = update("sizes_Update", sml_small);
    assert_ok(a);
    ck_assert_str_eq(a.notice, "Added new size: S: Small to: Small Medium Large!");
    a = update("sizes_Update", sml_small);
    assert_ok(a);
    ck_assert_int_eq(a.nnotices, 0);
    a = update("sizes_Update", "<sizes><size><id>S</id><description>Smallish</description>"
                               "<sizetable><id>SML</id></sizetable></size></sizes>");
    assert_error(a, "Size S in sizetable SML cannot be changed: its description is \"Small\"");
    a = update("sizes_Update", "<sizes><size><id>M</id><description>Medium</description>"
                               "<sizetable><id>SML</id><description>S-M-L</description>"
                               "</sizetable></size></sizes>");
    assert_error(a, "Sizetable SML cannot be changed: its description is \"Small Medium Large\"");
    /* Leaving the descriptions out changes nothing and is fine. */
    a = update("sizes_Update", "<sizes><size><id>S</id><sizetable><id>SML</id></sizetable>"
                               "</size></sizes>");
    assert_ok(a);
    ck_assert_int_eq(a.nnotices, 0);
}
END_TEST

START_TEST(a_new_sizetable_without_description_is_named_by_its_id)
{
    Answer a;

    a = update("sizes_Update", "<sizes><size><id>NEWS</id><sizetable><id>NEWT</id></sizetable>"
                               "</size></sizes>");
    assert_ok(a);
    ck_assert_str_eq(a.notice, "Added new size: NEWS:  to: NEWT!");
    a = update("sizes_Update", "<sizes><size><id>X1</id><description>One</description>"
                               "<sizetable><id>EMPTYDESC</id><description/></sizetable></size>"
                               "</sizes>");
    assert_ok(a);
    ck_assert_str_eq(a.notice, "Added new size: X1: One to: EMPTYDESC!");
}
END_TEST

/* --- what an order update may not do ----------------------------------------------------------- */

typedef struct FixedCase {
    const char *body;  /* the update */
    const char *error; /* its answer */
} FixedCase;

static const FixedCase fixed_cases[] = {
    {"<type>wholesale</type>", "Order 900 has type retail: it cannot be changed to wholesale"},
    {"<store>2</store>", "Order 900 has store 1: it cannot be changed to 2"},
    {"<currency>USD</currency>", "Order 900 has currency EUR: it cannot be changed to USD"},
    {"<ordernumber>901</ordernumber>",
     "Order 900 has ordernumber 900: it cannot be changed to 901"},
};

START_TEST(identifying_fields_of_an_order_cannot_be_changed)
{
    const FixedCase *c = &fixed_cases[_i];
    size_t before = srv.store.nevents;

    assert_error(order_update("900", c->body), c->error);
    ck_assert_uint_eq(srv.store.nevents, before);
    /* The same values, as the guide's requests send them, are fine. */
    assert_ok(order_update("900", "<type>retail</type><store>1</store><currency>EUR</currency>"
                                  "<ordernumber>900</ordernumber><locked>yes</locked>"));
    ck_assert_uint_eq(srv.store.nevents, before + 1);
}
END_TEST

START_TEST(shipments_and_refunds_without_lines_are_refused)
{
    Answer a;

    a = order_update("900", "<shipments><shipment><id>s9</id><products/></shipment></shipments>");
    assert_error(a, "Order 900 has no shipment s9 (a new shipment needs its products)");
    a = order_update("900", "<shipments><shipment><id>s9</id><products><product><id>P1</id>"
                            "<sizes/></product></products></shipment></shipments>");
    assert_error(a, "Order 900 has no shipment s9 (a new shipment needs its products)");
    assert_ok(order_update("900", ship_901));
    assert_ok(order_update("900", ship_s1_capture));
    a = order_update("900", "<shipments><shipment><id>s1</id><refunds><refund><id>R9</id>"
                            "<products/></refund></refunds></shipment></shipments>");
    assert_error(a, "Order 900, refund R9: a new refund needs its products");
    a = order_update("900", "<shipments><shipment><id>s1</id><refunds><refund><id>R9</id>"
                            "</refund></refunds></shipment></shipments>");
    assert_error(a, "Order 900, refund R9: a new refund needs its products");
}
END_TEST

START_TEST(sending_a_shipment_or_refund_again_changes_nothing)
{
    static const char refund[] =
        "<shipments><shipment><id>s1</id><refunds><refund><id>R900</id><products><product>"
        "<id>P1</id><sizes><size><id>S</id><qty>1</qty><orderitem><id>901</id></orderitem>"
        "</size></sizes></product></products></refund></refunds></shipment></shipments>";
    size_t before;
    Answer a;

    assert_ok(order_update("900", ship_901));
    before = srv.store.nevents;
    assert_ok(order_update("900", ship_901));
    ck_assert_uint_eq(srv.store.nevents, before);
    a = order_update("900", "<shipments><shipment><id>s1</id><products><product><id>P1</id>"
                            "<sizes><size><id>S</id><qty>2</qty><orderitem><id>901</id>"
                            "</orderitem></size></sizes></product></products></shipment>"
                            "</shipments>");
    assert_error(a, "Order 900: shipment s1 exists; its products cannot be changed");
    assert_ok(order_update("900", ship_s1_capture));
    assert_ok(order_update("900", refund));
    before = srv.store.nevents;
    assert_ok(order_update("900", refund));
    ck_assert_uint_eq(srv.store.nevents, before);
    a = order_update("900", "<shipments><shipment><id>s1</id><refunds><refund><id>R900</id>"
                            "<products><product><id>P1</id><sizes><size><id>M</id><qty>1</qty>"
                            "<orderitem><id>902</id></orderitem></size></sizes></product>"
                            "</products></refund></refunds></shipment></shipments>");
    assert_error(a, "Order 900: refund R900 exists; its products cannot be changed");
    /* Its other fields can. */
    assert_ok(order_update("900", "<shipments><shipment><id>s1</id><refunds><refund><id>R900"
                                  "</id><comment>checked</comment></refund></refunds></shipment>"
                                  "</shipments>"));
    ck_assert_uint_eq(srv.store.nevents, before + 1);
}
END_TEST

/* --- products ---------------------------------------------------------------------------------- */

START_TEST(one_variation_id_on_two_new_products_is_refused)
{
    Answer a = update("products_Update",
                      "<products><product><id>NEWA</id><description>A</description><variations>"
                      "<variation><id>VX</id><description>X</description></variation>"
                      "</variations></product><product><id>NEWB</id><description>B</description>"
                      "<variations><variation><id>VX</id><description>X</description>"
                      "</variation></variations></product></products>");

    assert_error(a, "Variation id VX is already used by product NEWA");
    ck_assert_ptr_null(sim_store_object(&srv.store, "product", "NEWA"));
}
END_TEST

/* --- logging ------------------------------------------------------------------------------------- */

/* Cancellation and shipment lines name their order line by orderitem, or fail. */
START_TEST(lines_must_name_an_existing_orderitem)
{
    assert_error(order_update("900", "<cancelled><product><id>P1</id><sizes><size><id>S</id>"
                                     "<qty>1</qty></size></sizes></product></cancelled>"),
                 "Order 900, cancelled: a line must name its orderitem");
    assert_error(order_update("900", "<cancelled><product><id>P1</id><sizes><size><id>S</id>"
                                     "<qty>1</qty><orderitem><id>999</id></orderitem></size>"
                                     "</sizes></product></cancelled>"),
                 "Order 900 has no orderitem 999");
    assert_error(order_update("900", "<shipments><shipment><id>S9</id><products><product><id>P1"
                                     "</id><sizes><size><id>S</id><qty>1</qty><orderitem><id>999"
                                     "</id></orderitem></size></sizes></product></products>"
                                     "</shipment></shipments>"),
                 "Order 900 has no orderitem 999");
}
END_TEST

/* capture=yes is safe to send again (the guide); a refund needs the shipment shipped. */
START_TEST(a_second_capture_changes_nothing_and_refunds_wait_for_shipping)
{
    static const char refund[] =
        "<shipments><shipment><id>s1</id><refunds><refund><id>r-unique-1</id><products><product>"
        "<id>P1</id><sizes><size><id>S</id><qty>1</qty><orderitem><id>901</id></orderitem>"
        "</size></sizes></product></products></refund></refunds></shipment></shipments>";
    size_t events;
    XmlNode *o;

    assert_ok(order_update("900", ship_901));
    assert_error(order_update("900", refund),
                 "Order 900: shipment s1 is not shipped, there is nothing to refund");
    assert_ok(order_update("900", ship_s1_capture));
    events = srv.store.nevents;
    assert_ok(order_update("900", ship_s1_capture));
    ck_assert_uint_eq(srv.store.nevents, events); /* nothing changed: no event */
    o = order_now("900");
    ck_assert_uint_eq(xml_count(xml_child(o, "payments"), "payment"), 2); /* auth + 1 capture */
    xml_free(o);
    assert_ok(order_update("900", refund));
}
END_TEST

/* An empty field clears the field; an empty list or record changes nothing. */
START_TEST(an_empty_field_clears_it_and_an_empty_list_changes_nothing)
{
    XmlNode *o;

    assert_ok(order_update("900", "<other>note</other>"));
    assert_ok(order_update("900", "<other/><additionals/><market/>"));
    o = order_now("900");
    ck_assert_str_eq(xml_child_text(o, "other"), "");
    ck_assert_str_eq(xml_path_text(o, "additionals/additional/key"), "k1");
    ck_assert_str_eq(xml_path_text(o, "market/id"), "Retail-EU");
    xml_free(o);
}
END_TEST

/* Fields a client adds land where Centra's reference tree has them, not at the end. */
START_TEST(added_fields_land_in_the_reference_order)
{
    char names[1024];
    XmlNode *o;

    assert_ok(order_update("900", "<locked>yes</locked><internalinformation>note"
                                  "</internalinformation><shipments><shipment><id>S1</id>"
                                  "<shipped>no</shipped><products><product><id>P1</id>"
                                  "<variation><id>P1_RED</id></variation><sizes><size><id>S</id>"
                                  "<qty>1</qty><orderitem><id>901</id></orderitem></size>"
                                  "</sizes></product></products></shipment></shipments>"));
    assert_ok(order_update("900", "<shipments><shipment><id>S1</id><carrierinformation>"
                                  "<carrier>UPS</carrier></carrierinformation></shipment>"
                                  "</shipments>"));
    o = order_now("900");
    ck_assert_str_eq(child_names(o, names, sizeof(names)),
                     "id,ordernumber,type,store,locked,status,ordertotal,currency,currencyrate,"
                     "basecurrency,additionals,shipping,payments,products,cancelled,shipments,"
                     "internalinformation,market,pricelist");
    child_names(xml_path(o, "shipments/shipment"), names, sizeof(names));
    ck_assert_msg(strstr(names, "carrierinformation,products") != NULL, "%s", names);
    xml_free(o);
}
END_TEST

/* Amounts written by updates have the guide's format per element. */
START_TEST(amounts_have_the_guides_formats)
{
    char buf[32];

    sim_number(buf, sizeof(buf), 1000);
    ck_assert_str_eq(buf, "1000");
    sim_number(buf, sizeof(buf), 98.4);
    ck_assert_str_eq(buf, "98.4");
    sim_number(buf, sizeof(buf), 98.45);
    ck_assert_str_eq(buf, "98.45");
    sim_number(buf, sizeof(buf), 0);
    ck_assert_str_eq(buf, "0");
    sim_number(buf, sizeof(buf), -0.001);
    ck_assert_str_eq(buf, "0");
    sim_number(buf, sizeof(buf), -12.5);
    ck_assert_str_eq(buf, "-12.5");
    sim_money(buf, sizeof(buf), 12);
    ck_assert_str_eq(buf, "12.00");
}
END_TEST

static Suite *
sim_updates_suite(void)
{
    Suite *s = suite_create("centra-sim updates");
    TCase *input = tcase_create("client input");
    TCase *merging = tcase_create("merging");
    TCase *orders = tcase_create("orders");
    TCase *sizes = tcase_create("sizes and products");

    tcase_add_checked_fixture(input, start, stop);
    tcase_add_checked_fixture(merging, start, stop);
    tcase_add_checked_fixture(orders, start, stop);
    tcase_add_checked_fixture(sizes, start, stop);
    tcase_set_timeout(orders, 60);

    tcase_add_test(input, a_payment_without_transaction_is_refused_and_capture_still_works);
    tcase_add_test(input, capture_skips_recorded_payments_without_type_or_value);
    tcase_add_test(input, refunds_match_lines_without_id_or_variation_safely);
    tcase_add_test(input, lines_without_a_quantity_are_errors_not_garbage);
    tcase_add_test(input, a_refund_id_past_the_generated_ones_is_just_an_id);

    tcase_add_loop_test(merging, a_reference_with_another_id_replaces_the_old_one, 0,
                        (int)CB_LENGTH(ref_cases));
    tcase_add_test(merging, an_order_moved_to_another_market_is_filed_under_the_new_one);
    tcase_add_test(merging, references_of_other_objects_are_replaced_too);
    tcase_add_test(merging, repeated_elements_merge_by_their_key);

    tcase_add_test(orders, a_cancellation_updates_quantities_totals_and_allocations);
    tcase_add_test(orders, the_guides_cancellation_keeps_the_wholesale_order_consistent);
    tcase_add_test(orders, built_products_and_refunds_follow_the_guides_element_order);
    tcase_add_loop_test(orders, identifying_fields_of_an_order_cannot_be_changed, 0,
                        (int)CB_LENGTH(fixed_cases));
    tcase_add_test(orders, shipments_and_refunds_without_lines_are_refused);
    tcase_add_test(orders, sending_a_shipment_or_refund_again_changes_nothing);
    tcase_add_test(orders, added_fields_land_in_the_reference_order);
    tcase_add_test(orders, lines_must_name_an_existing_orderitem);
    tcase_add_test(orders, a_second_capture_changes_nothing_and_refunds_wait_for_shipping);
    tcase_add_test(merging, an_empty_field_clears_it_and_an_empty_list_changes_nothing);
    tcase_add_test(orders, amounts_have_the_guides_formats);

    tcase_add_test(sizes, existing_sizes_and_sizetables_cannot_be_changed);
    tcase_add_test(sizes, a_new_sizetable_without_description_is_named_by_its_id);
    tcase_add_test(sizes, one_variation_id_on_two_new_products_is_refused);

    suite_add_tcase(s, input);
    suite_add_tcase(s, merging);
    suite_add_tcase(s, orders);
    suite_add_tcase(s, sizes);
    return s;
}

CB_TEST_MAIN(sim_updates_suite)
