/*
 * tests/unit/sim/test_sim_gen_orders.c
 *     The orders centra-sim's generator writes: the shapes the issue asks for
 *     (retail and wholesale, bundles, shipments, refunds, cancellations,
 *     payments, warehouses), arithmetic that adds up, Centra's element order
 *     and value formats, 1 to 20 lines, and awkward text.  The shape tests
 *     scan plans of NEVENTS order events, small enough for valgrind.
 */
#include "sim_gen_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/dynbuf.h"
#include "centra/hashmap.h"
#include "centra/strutil.h"
#include "centra/xmltree.h"
#include "centra/xmlwriter.h"
#include "gentest.h"
#include "testutil.h"

/* --- orders ------------------------------------------------------------------------ */

typedef struct Shapes {
    int orders;          /* order events checked */
    int retail;          /* retail orders */
    int wholesale;       /* wholesale orders */
    int bundles;         /* virtual bundle lines */
    int parts;           /* bundle part lines */
    int shipments;       /* orders with shipments */
    int two_shipments;   /* orders with two */
    int refunds;         /* refunds */
    int cancelled;       /* orders with cancelled lines */
    int transactions;    /* payments with a transaction id */
    int captures;        /* captured payments */
    int preorders;       /* preorder lines */
    int split;           /* lines from two warehouses */
    int collections;     /* orders with a collection */
    int vouchers;        /* orders with a voucher */
    int handling;        /* orders with a handling fee */
    int discounts;       /* discounted lines */
    int min_lines;       /* fewest lines in an order */
    int max_lines;       /* most lines in an order */
    HashMap *warehouses; /* warehouse ids seen */
} Shapes;

/*
 * Check one product of an order, shipment, refund or cancellation against
 * the catalog; full: the order's own lines, with warehouse allocation
 * (none for a virtual bundle: the guide's "not a product in a warehouse").
 * Returns its subtotal in cents.
 */
static long long
check_product(Shapes *sh, const XmlNode *p, bool full)
{
    const char *isb = xml_path_text(p, "bundleinfo/isbundle");
    bool virtual_bundle = isb != NULL && strcmp(isb, "true") == 0;
    const char *id = need(p, "id");
    const XmlNode *cat = catalog_get("product", id);
    const XmlNode *var;
    const XmlNode *sizes = xml_child(p, "sizes");
    long long qty = 0;
    long long price = cents(need(p, "price"));

    ck_assert_msg(cat != NULL, "product %s is not in the catalog", id);
    ck_assert_str_eq(need(p, "sku"), xml_child_text(cat, "sku"));
    /* Text with & < " and non-ASCII compares equal once parsed. */
    ck_assert_str_eq(need(p, "description"), need(cat, "description"));
    var = find_by_id(xml_child(cat, "variations"), "variation", need(p, "variation/id"));
    ck_assert_msg(var != NULL, "product %s has no variation %s", id, need(p, "variation/id"));
    ck_assert_str_eq(need(p, "variation/description"), need(var, "description"));
    ck_assert_uint_ge(xml_count(sizes, "size"), 1);
    ck_assert_uint_le(xml_count(sizes, "size"), 3);
    for (const XmlNode *z = xml_child(sizes, "size"); z != NULL; z = xml_next(sizes, "size", z)) {
        const XmlNode *cz = find_by_id(xml_child(var, "sizes"), "size", need(z, "id"));
        long long q = integer(need(z, "qty"));

        ck_assert_msg(cz != NULL, "product %s variation %s has no size %s", id, need(var, "id"),
                      need(z, "id"));
        ck_assert_str_eq(xml_child_text(z, "sku"), xml_child_text(cz, "sku"));
        ck_assert_int_gt(q, 0);
        ck_assert_int_gt(integer(need(z, "orderitem/id")), 0);
        qty += q;
        if (full) {
            const XmlNode *wh = xml_child(z, "warehouseitems");
            long long allocated = 0;

            for (const XmlNode *w = xml_child(wh, "warehouse"); w != NULL;
                 w = xml_next(wh, "warehouse", w)) {
                bool known = false;

                for (size_t k = 0; k < sim_nwarehouses; k++)
                    known |= strcmp(need(w, "id"), sim_warehouses[k]) == 0;
                ck_assert_msg(known, "unknown warehouse %s", need(w, "id"));
                hashmap_put(sh->warehouses, need(w, "id"), (void *)1);
                allocated += integer(need(w, "qty"));
            }
            ck_assert_ptr_nonnull(wh);
            ck_assert_int_eq(allocated, virtual_bundle ? 0 : q);
            if (virtual_bundle)
                ck_assert_str_eq(need(z, "preorder"), "no");
            sh->split += xml_count(wh, "warehouse") > 1;
            if (strcmp(need(z, "preorder"), "yes") == 0) {
                ck_assert_ptr_nonnull(xml_path_text(z, "supplierorderitems/supplierorder/id"));
                sh->preorders++;
            }
        }
    }
    ck_assert_int_eq(integer(need(p, "qty")), qty);
    ck_assert_int_eq(cents(need(p, "subtotal")), price * qty);
    ck_assert_int_eq(cents(need(p, "discount")), cents(need(p, "origprice")) - price);
    sh->discounts += full && price < cents(need(p, "origprice"));
    return price * qty;
}

/* The order's products: catalog, amounts, bundles; returns the goods total in cents. */
static long long
check_order_lines(Shapes *sh, const XmlNode *o)
{
    const XmlNode *products = xml_child(o, "products");
    HashMap *bundles = hashmap_new();
    HashMap *items = hashmap_new();
    long long goods = 0;
    int lines = 0;
    int parts = 0;

    ck_assert_uint_ge(products->nkids, 1);
    ck_assert_uint_le(products->nkids, MAX_PRODUCT_ELEMENTS);
    for (const XmlNode *p = xml_child(products, "product"); p != NULL;
         p = xml_next(products, "product", p)) {
        const char *isb = xml_path_text(p, "bundleinfo/isbundle");
        const XmlNode *sizes = xml_child(p, "sizes");

        goods += check_product(sh, p, true);
        for (const XmlNode *z = xml_child(sizes, "size"); z != NULL;
             z = xml_next(sizes, "size", z)) {
            ck_assert_msg(hashmap_put(items, need(z, "orderitem/id"), (void *)1) == NULL,
                          "order %s: orderitem %s twice", need(o, "id"), need(z, "orderitem/id"));
            lines++;
        }
        if (isb != NULL && strcmp(isb, "true") == 0) {
            /* The virtual bundle: no price of its own, its parts carry it. */
            ck_assert_int_eq(cents(need(p, "subtotal")), 0);
            hashmap_put(bundles, need(p, "id"), (void *)1);
            sh->bundles++;
        } else if (isb != NULL) {
            ck_assert_str_eq(isb, "false");
            parts++;
        }
    }
    /* Every part names, via partof, a bundle line of the same order. */
    for (const XmlNode *p = xml_child(products, "product"); p != NULL;
         p = xml_next(products, "product", p)) {
        const char *of = xml_path_text(p, "bundleinfo/partof/product/id");
        const char *isb = xml_path_text(p, "bundleinfo/isbundle");

        if (isb != NULL && strcmp(isb, "false") == 0) {
            ck_assert_ptr_nonnull(of);
            ck_assert_msg(hashmap_get(bundles, of) != NULL,
                          "order %s: part of bundle %s, which is not in the order", need(o, "id"),
                          of);
        } else {
            ck_assert_ptr_null(of);
        }
    }
    ck_assert_int_ge(parts, 2 * (int)hashmap_count(bundles));
    sh->parts += parts;
    ck_assert_int_ge(lines, 1);
    ck_assert_int_le(lines, MAX_LINES);
    if (sh->min_lines == 0 || lines < sh->min_lines)
        sh->min_lines = lines;
    if (lines > sh->max_lines)
        sh->max_lines = lines;
    hashmap_free(items);
    hashmap_free(bundles);
    return goods;
}

/*
 * The payments block against the shipments: an authorization of the order
 * total, then one capture per paid shipment, in shipment order, of its
 * paidtotal; the payments total is what was captured.
 */
static void
check_payments(Shapes *sh, const XmlNode *o, bool wholesale)
{
    const XmlNode *pay = xml_child(o, "payments");
    const XmlNode *ships = xml_child(o, "shipments");
    const XmlNode *p;
    long long total = cents(need(o, "ordertotal"));
    long long captured = 0;
    size_t ncaptures = 0;

    if (wholesale) {
        ck_assert_str_eq(need(pay, "type"), "inv");
        ck_assert_str_eq(need(pay, "status"), "incomplete");
        ck_assert_int_eq(cents(need(pay, "total")), 0);
        ck_assert_uint_eq(xml_count(pay, "payment"), 0);
        return;
    }
    p = xml_child(pay, "payment");
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(need(p, "type"), "auth");
    ck_assert_int_eq(cents(need(p, "value")), total);
    ck_assert_int_gt(integer(need(p, "transaction")), 0);
    sh->transactions++;
    p = xml_next(pay, "payment", p);
    for (const XmlNode *s = xml_child(ships, "shipment"); s != NULL;
         s = xml_next(ships, "shipment", s)) {
        if (strcmp(need(s, "paid"), "yes") != 0)
            continue;
        ck_assert_msg(p != NULL, "order %s: shipment %s paid without a capture", need(o, "id"),
                      need(s, "id"));
        ck_assert_str_eq(need(p, "type"), "capture");
        ck_assert_int_eq(cents(need(p, "value")), cents(need(s, "paidtotal")));
        ck_assert_int_gt(integer(need(p, "transaction")), 0);
        captured += cents(need(p, "value"));
        ncaptures++;
        sh->transactions++;
        sh->captures++;
        p = xml_next(pay, "payment", p);
    }
    ck_assert_msg(p == NULL, "order %s: a capture no paid shipment accounts for", need(o, "id"));
    ck_assert_int_eq(cents(need(pay, "total")), captured);
    ck_assert_int_le(captured, total);
    ck_assert_str_eq(need(pay, "status"), ncaptures > 0 ? "success" : "incomplete");
}

/*
 * The shipments: their lines come from the order and their totals add up;
 * a retail shipment is paid exactly when shipped (captured then, as in the
 * guide's "Order Shipped"), a wholesale one (invoice) never here.
 */
static void
check_shipments(Shapes *sh, const XmlNode *o, bool wholesale)
{
    const XmlNode *ships = xml_child(o, "shipments");

    for (const XmlNode *s = xml_child(ships, "shipment"); s != NULL;
         s = xml_next(ships, "shipment", s)) {
        const XmlNode *products = xml_child(s, "products");
        const XmlNode *refunds = xml_child(s, "refunds");
        long long sum = 0;
        bool shipped = strcmp(need(s, "shipped"), "yes") == 0;

        for (const XmlNode *p = xml_child(products, "product"); p != NULL;
             p = xml_next(products, "product", p))
            sum += check_product(sh, p, false);
        sum += cents(need(s, "shipping/subtotal")) + cents(need(s, "handling/subtotal")) +
               cents(need(s, "voucher/subtotal"));
        ck_assert_int_eq(cents(need(s, "shipmenttotal")), sum);
        if (shipped)
            ck_assert_ptr_nonnull(xml_path_text(s, "carrierinformation/tracking"));
        ck_assert_str_eq(need(s, "paid"), shipped && !wholesale ? "yes" : "no");
        ck_assert_int_eq(cents(need(s, "paidtotal")), shipped && !wholesale ? sum : 0);
        for (const XmlNode *r = xml_child(refunds, "refund"); r != NULL;
             r = xml_next(refunds, "refund", r)) {
            const XmlNode *rp = xml_path(r, "products/product");

            ck_assert_ptr_nonnull(rp);
            check_product(sh, rp, false);
            ck_assert_ptr_nonnull(find_by_id(xml_child(o, "products"), "product", need(rp, "id")));
            ck_assert_int_lt(cents(need(r, "returnfee/subtotal")), 0);
            sh->refunds++;
        }
    }
    sh->shipments += xml_count(ships, "shipment") > 0;
    sh->two_shipments += xml_count(ships, "shipment") == 2;
    ck_assert_uint_le(xml_count(ships, "shipment"), 2);
}

static void
check_order(Shapes *sh, const XmlNode *o, const GenEntry *e)
{
    const SimMarket *m = &sim_markets[e->market];
    bool wholesale = strcmp(m->type, "wholesale") == 0;
    const XmlNode *cancelled = xml_child(o, "cancelled");
    long long goods;
    long long voucher = 0;
    long long handling = 0;

    ck_assert_str_eq(need(o, "ordernumber"), need(o, "id"));
    ck_assert_str_eq(need(o, "type"), m->type);
    ck_assert_int_eq(integer(need(o, "store")), m->store);
    ck_assert_str_eq(need(o, "currency"), m->currency);
    ck_assert_str_eq(need(o, "market/id"), m->id);
    ck_assert_str_eq(need(o, "pricelist/id"), m->pricelist);
    ck_assert_str_eq(need(o, "shippingaddress/country"), m->country);
    ck_assert_str_eq(need(o, "primary_warehouse/warehouse/id"), sim_warehouses[0]);
    if (!wholesale) {
        /* The guide's EUR order has <key>eur</key>: the currency in lower case. */
        char key[8] = {0};

        for (size_t i = 0; i < 3; i++)
            key[i] = (char)(m->currency[i] | 0x20);
        ck_assert_str_eq(need(o, "shipping/key"), key);
    }
    goods = check_order_lines(sh, o);
    if (xml_child(o, "voucher") != NULL) {
        voucher = cents(need(o, "voucher/subtotal"));
        ck_assert_int_lt(voucher, 0);
        sh->vouchers++;
    }
    if (xml_child(o, "handling") != NULL) {
        handling = cents(need(o, "handling/subtotal"));
        ck_assert_int_gt(handling, 0);
        sh->handling++;
    }
    ck_assert_int_eq(cents(need(o, "ordertotal")),
                     goods + cents(need(o, "shipping/subtotal")) + handling + voucher);
    check_shipments(sh, o, wholesale);
    check_payments(sh, o, wholesale);
    if (cancelled->nkids > 0) {
        ck_assert(!wholesale);
        ck_assert_str_eq(need(cancelled, "product/id"), need(o, "products/product/id"));
        check_product(sh, xml_child(cancelled, "product"), false);
        sh->cancelled++;
    }
    if (wholesale) {
        ck_assert_ptr_null(xml_child(o, "customer"));
        ck_assert_ptr_nonnull(xml_path_text(o, "account/id"));
        ck_assert_ptr_nonnull(xml_path_text(o, "buyer/id"));
        sh->wholesale++;
    } else {
        ck_assert_ptr_null(xml_child(o, "account"));
        ck_assert_ptr_nonnull(xml_path_text(o, "customer/id"));
        sh->retail++;
    }
    sh->collections += xml_child(o, "collection") != NULL;
    sh->orders++;
}

START_TEST(orders_have_every_documented_shape)
{
    GenPlan plan;
    Shapes sh;

    memset(&sh, 0, sizeof(sh));
    sh.warehouses = hashmap_new();
    gen_plan(1, NEVENTS, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        XmlNode *o;

        if (plan.entries[i].kind != GEN_ORDER)
            continue;
        o = parse_object(1, &plan.entries[i]);
        check_order(&sh, o, &plan.entries[i]);
        xml_free(o);
    }
    ck_assert_int_eq(sh.orders, NEVENTS);
    ck_assert_int_gt(sh.retail, NEVENTS / 2);
    ck_assert_int_gt(sh.wholesale, NEVENTS / 10);
    ck_assert_int_gt(sh.bundles, 10);
    ck_assert_int_ge(sh.parts, 2 * sh.bundles);
    ck_assert_int_gt(sh.shipments, 100);
    ck_assert_int_gt(sh.two_shipments, 10);
    ck_assert_int_gt(sh.refunds, 10);
    ck_assert_int_gt(sh.cancelled, 10);
    ck_assert_int_gt(sh.transactions, NEVENTS / 2);
    ck_assert_int_gt(sh.captures, 100);
    ck_assert_int_gt(sh.preorders, 10);
    ck_assert_int_gt(sh.split, 10);
    ck_assert_int_gt(sh.collections, 50);
    ck_assert_int_gt(sh.vouchers, 20);
    ck_assert_int_gt(sh.handling, 20);
    ck_assert_int_gt(sh.discounts, 20);
    ck_assert_int_eq(sh.min_lines, 1);
    ck_assert_int_gt(sh.max_lines, 10);
    ck_assert_uint_eq(hashmap_count(sh.warehouses), sim_nwarehouses);
    hashmap_free(sh.warehouses);
    gen_plan_free(&plan);
}
END_TEST

/* Every order event of seed's plan of nevents order events, parsed, to fn. */
static void
each_order(uint64_t seed, size_t nevents, void (*fn)(const XmlNode *o, const GenEntry *e, void *),
           void *arg)
{
    GenPlan plan;

    gen_plan(seed, nevents, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        XmlNode *o;

        if (plan.entries[i].kind != GEN_ORDER)
            continue;
        o = parse_object(seed, &plan.entries[i]);
        fn(o, &plan.entries[i], arg);
        xml_free(o);
    }
    gen_plan_free(&plan);
}

typedef struct PaidCount {
    int unshipped; /* retail shipments not shipped yet */
    int shipped;   /* retail shipments shipped */
} PaidCount;

static void
check_paid(const XmlNode *o, const GenEntry *e, void *arg)
{
    PaidCount *c = arg;
    const XmlNode *ships = xml_child(o, "shipments");
    const XmlNode *pay = xml_child(o, "payments");
    int captures = 0;
    int paid = 0;

    if (strcmp(sim_markets[e->market].type, "retail") != 0)
        return;
    for (const XmlNode *p = xml_child(pay, "payment"); p != NULL; p = xml_next(pay, "payment", p))
        captures += strcmp(need(p, "type"), "capture") == 0;
    for (const XmlNode *s = xml_child(ships, "shipment"); s != NULL;
         s = xml_next(ships, "shipment", s)) {
        if (strcmp(need(s, "shipped"), "yes") == 0) {
            ck_assert_str_eq(need(s, "paid"), "yes");
            ck_assert_str_eq(need(s, "paidtotal"), need(s, "shipmenttotal"));
            paid++;
            c->shipped++;
        } else {
            /* The guide's DTC event: <paid>no</paid>, <paidtotal>0.00</paidtotal>. */
            ck_assert_str_eq(need(s, "shipped"), "no");
            ck_assert_str_eq(need(s, "paid"), "no");
            ck_assert_str_eq(need(s, "paidtotal"), "0.00");
            c->unshipped++;
        }
    }
    ck_assert_int_eq(captures, paid);
    if (paid == 0) {
        /* ... and its <payments>: total 0, incomplete, only the authorization. */
        ck_assert_int_eq(cents(need(pay, "total")), 0);
        ck_assert_str_eq(need(pay, "status"), "incomplete");
        ck_assert_uint_eq(xml_count(pay, "payment"), 1);
        ck_assert_str_eq(need(pay, "payment/type"), "auth");
    }
}

START_TEST(a_retail_shipment_is_paid_only_once_shipped_and_captured)
{
    PaidCount c = {0, 0};

    each_order(1, NEVENTS, check_paid, &c);
    ck_assert_int_gt(c.unshipped, 50); /* auto-created ("Direct to Shipment"), not shipped */
    ck_assert_int_gt(c.shipped, 50);
}
END_TEST

/*
 * The element order of Centra's reference (REF in centra-api-notes.md: the
 * orders_Update, accounts_Update, customers_Update and invoices_Update
 * samples), plus <bundleinfo> after <comment> where the guide's bundle
 * example puts it.  Elements may be left out, never reordered or renamed.
 * The skeletons are laid out as the reference's trees nest, by hand.
 */
/* clang-format off */
#define REF_IDDESC(n) "<" n "><id/><description/></" n ">"
#define REF_COST(n)   "<" n "><subtotal/><description/><key/><id/></" n ">"
#define REF_ADDRESS(n)                                                                             \
    "<" n "><id/><description/><company/><attn/><firstname/><lastname/><address1/><address2/>"     \
    "<city/><state/><zipcode/><country/><email/><telephone/><fax/><vat/><url/>"                    \
    "<companyregistrationid/></" n ">"
#define REF_CARRIER                                                                                \
    "<carrierinformation><carrier/><service/><account/><taxid/><tracking/><packages/>"             \
    "</carrierinformation>"
#define REF_PRODUCT                                                                                \
    "<product><id/><tax/><sku/><origprice/><price/><discount/><qty/><subtotal/><description/>"     \
        REF_IDDESC("variation")                                                                    \
        REF_IDDESC("brand")                                                                        \
        "<sizes><size><id/><sku/><qty/><preorder/><description/>"                                  \
            REF_IDDESC("orderitem")                                                                \
            "<warehouseitems><warehouse><id/><qty/></warehouse></warehouseitems>"                  \
            "<supplierorderitems><supplierorder><id/><qty/><eta/></supplierorder>"                 \
            "</supplierorderitems>"                                                                \
        "</size></sizes>"                                                                          \
        "<type/><comment/>"                                                                        \
        "<bundleinfo><isbundle/><partof><product><id/></product></partof></bundleinfo>"            \
    "</product>"

static const char ref_order[] =
    "<order>"
        "<id/><ordernumber/><type/><store/><locked/><status/><ordertotal/><currency/>"
        "<currencyrate/><basecurrency/><created/><internal/><preferred_shipping_date/>"
        "<buyer><id/><description/><firstname/><lastname/><email/></buyer>"
        "<salesrep><id/><email/><name/><percent/>"
            "<mastersalesrep><salesrep><id/><percent/></salesrep></mastersalesrep>"
        "</salesrep>"
        "<mastersalesrep><salesrep><id/><email/><name/><percent/>"
            "<mastersalesrep><salesrep><id/><percent/></salesrep></mastersalesrep>"
        "</salesrep></mastersalesrep>"
        REF_IDDESC("account")
        REF_IDDESC("paymentterms")
        REF_IDDESC("shippingterms")
        "<deliverywindow><id/><description/><type/><atonce/><start/><stop/></deliverywindow>"
        REF_IDDESC("collection")
        "<additionals><additional><key/><value/></additional></additionals>"
        "<primary_warehouse><warehouse><id/><description/></warehouse></primary_warehouse>"
        REF_COST("shipping")
        REF_COST("handling")
        REF_COST("voucher")
        "<payments><name/><type/><total/><status/><method/>"
            "<payment><type/><paid/><value/><created/><transaction/><document/></payment>"
        "</payments>"
        "<products>" REF_PRODUCT "</products>"
        "<cancelled>" REF_PRODUCT "</cancelled>"
        "<shipments><shipment>"
            "<id/><paid/><shipped/><goodtogo/><capture/><appendix/><shipmenttotal/><paidtotal/>"
            "<currency/><currencyrate/><basecurrency/><created/>"
            REF_ADDRESS("shippingaddress")
            REF_CARRIER
            "<products>" REF_PRODUCT "</products>"
            "<refunds><refund>"
                "<id/>"
                REF_COST("shipping")
                REF_COST("voucher")
                "<products>" REF_PRODUCT "</products>"
                "<comment/>"
                REF_COST("returnfee")
                REF_COST("handling")
                "<status/><type/>"
            "</refund></refunds>"
            REF_COST("shipping")
            REF_COST("handling")
            REF_COST("voucher")
        "</shipment></shipments>"
        REF_CARRIER
        REF_IDDESC("customer")
        REF_ADDRESS("shippingaddress")
        REF_ADDRESS("billingaddress")
        "<internalinformation/><other/><ponumber/>"
        REF_IDDESC("market")
        REF_IDDESC("pricelist")
        "<ecvatno/>"
    "</order>";

static const char ref_customer[] =
    "<customer>"
        "<id/><store/><type/><status/><firstname/><lastname/><address1/><address2/><city/>"
        "<state/><zipcode/><country/><email/><telephone/>"
    "</customer>";

static const char ref_account[] =
    "<account>"
        "<id/><type/><status/><description/><other/><discount/>"
        REF_IDDESC("market")
        REF_IDDESC("pricelist")
        "<internalinformation/><creditlimit/>"
        REF_IDDESC("salesrep")
        REF_IDDESC("paymentterms")
        REF_IDDESC("shippingterms")
        REF_ADDRESS("accountaddress")
        REF_ADDRESS("shippingaddress")
        REF_ADDRESS("invoiceaddress")
        REF_CARRIER
        "<buyers><buyer>"
            "<id/><store/><status/><firstname/><lastname/><address1/><address2/><city/><state/>"
            "<zipcode/><country/><email/><telephone/><fax/>"
            REF_IDDESC("market")
            REF_IDDESC("pricelist")
            "<password/>"
        "</buyer></buyers>"
        "<addresses>" REF_ADDRESS("address") "</addresses>"
        "<additionals><additional><key/><value/></additional></additionals>"
    "</account>";

static const char ref_invoice[] =
    "<invoice>"
        "<id/><store/><status/><serialno/><documenttype/><type/><currency/><currencyrate/>"
        "<basecurrency/><total/><vat/><totalpaid/><invoicedate/><orderdate/><duedate/>"
        REF_IDDESC("buyer")
        REF_IDDESC("account")
        REF_IDDESC("order")
        REF_IDDESC("shipment")
        REF_IDDESC("refund")
        "<paymentterms/><shippingterms/><internalinformation/><ponumber/>"
        REF_ADDRESS("billingaddress")
        REF_ADDRESS("shippingaddress")
        "<items>"
            "<invoiceitem><itemid/><qty/><price/><tax/><subtotal/><description/>"
                REF_IDDESC("product")
                REF_IDDESC("variation")
                REF_IDDESC("size")
                "<discount/><sku/>"
            "</invoiceitem>"
            "<additional><subtotal/><description/><key/><id/></additional>"
        "</items>"
        "<locked/>"
    "</invoice>";
/* clang-format on */

/* Elements that may repeat under their parent (lists). */
static bool
repeatable(const char *name)
{
    static const char *const lists[] = {"product", "size",     "warehouse",  "supplierorder",
                                        "payment", "shipment", "refund",     "additional",
                                        "buyer",   "address",  "invoiceitem"};

    for (size_t i = 0; i < CB_LENGTH(lists); i++)
        if (strcmp(name, lists[i]) == 0)
            return true;
    return false;
}

/*
 * Whether every child of n is named as in ref and comes in ref's order, all
 * the way down; if not, why in msg.
 */
static bool
in_ref_order(const XmlNode *n, const XmlNode *ref, const char *where, char *msg, size_t size)
{
    size_t at = 0;    /* position in ref->kids of the previous match */
    bool any = false; /* anything matched yet */

    for (size_t i = 0; i < n->nkids; i++) {
        const XmlNode *c = n->kids[i];
        size_t j = any ? at : 0;
        char path[512];

        if (any && !(strcmp(ref->kids[at]->name, c->name) == 0 && repeatable(c->name)))
            j = at + 1;
        while (j < ref->nkids && strcmp(ref->kids[j]->name, c->name) != 0)
            j++;
        if (j == ref->nkids) {
            snprintf(msg, size, "%s: <%s> after <%s> is not in the reference's order", where,
                     c->name, i > 0 ? n->kids[i - 1]->name : "(start)");
            return false;
        }
        at = j;
        any = true;
        snprintf(path, sizeof(path), "%s/%s", where, c->name);
        if (!in_ref_order(c, ref->kids[j], path, msg, size))
            return false;
    }
    return true;
}

static XmlNode *
parse_ref(const char *text)
{
    XmlNode *root = NULL;
    Error err;

    ck_assert_msg(xml_parse(text, strlen(text), &root, &err) == ERR_OK, "%s", err.message);
    return root;
}

START_TEST(elements_come_in_the_order_of_centras_reference)
{
    XmlNode *refs[4];
    const char *names[4] = {"order", "customer", "account", "invoice"};
    int seen[4] = {0, 0, 0, 0};
    GenPlan plan;

    refs[0] = parse_ref(ref_order);
    refs[1] = parse_ref(ref_customer);
    refs[2] = parse_ref(ref_account);
    refs[3] = parse_ref(ref_invoice);
    gen_plan(1, NEVENTS, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        char where[64];
        char msg[1024];
        XmlNode *o;

        if (plan.entries[i].kind == GEN_DELETE)
            continue;
        o = parse_object(1, &plan.entries[i]);
        for (size_t k = 0; k < 4; k++) {
            if (strcmp(o->name, names[k]) != 0)
                continue;
            snprintf(where, sizeof(where), "%s %s", o->name, need(o, "id"));
            ck_assert_msg(in_ref_order(o, refs[k], where, msg, sizeof(msg)), "%s", msg);
            seen[k]++;
        }
        xml_free(o);
    }
    for (size_t k = 0; k < 4; k++) {
        ck_assert_int_gt(seen[k], 0);
        xml_free(refs[k]);
    }
    gen_plan_free(&plan);
}
END_TEST

/* The check itself: what the review found (locked after status, ...) fails it. */
START_TEST(the_reference_order_check_rejects_a_reordered_or_renamed_element)
{
    static const struct {
        const char *xml; /* an order */
        bool ok;         /* in the reference's order */
    } cases[] = {
        {"<order><id/><store/><locked/><status/></order>", true},
        {"<order><id/><store/><status/><locked/></order>", false},
        {"<order><additionals/><primary_warehouse/><shipping/><handling/><voucher/></order>", true},
        {"<order><primary_warehouse/><additionals/></order>", false},
        {"<order><shipping/><voucher/><handling/></order>", false},
        {"<order><ponumber/><market/><pricelist/><ecvatno/></order>", true},
        {"<order><ponumber/><ecvatno/><market/></order>", false},
        {"<order><products><product><id/></product><product><id/></product></products></order>",
         true},
        {"<order><id/><id/></order>", false},
        {"<order><Status/></order>", false},
        {"<order><products><product><sizes/><comment/><bundleinfo/></product></products></order>",
         true},
        {"<order><products><product><bundleinfo/><comment/></product></products></order>", false},
    };
    XmlNode *ref = parse_ref(ref_order);

    for (size_t i = 0; i < CB_LENGTH(cases); i++) {
        XmlNode *o = parse_ref(cases[i].xml);
        char msg[1024];

        ck_assert_msg(in_ref_order(o, ref, "order", msg, sizeof(msg)) == cases[i].ok,
                      "case %zu: %s", i, cases[i].xml);
        xml_free(o);
    }
    xml_free(ref);
}
END_TEST

typedef struct BundleCount {
    int bundles; /* virtual bundle lines */
    int parts;   /* part lines */
} BundleCount;

static void
check_bundle_stock(const XmlNode *o, const GenEntry *e, void *arg)
{
    BundleCount *c = arg;
    const XmlNode *products = xml_child(o, "products");

    (void)e;
    for (const XmlNode *p = xml_child(products, "product"); p != NULL;
         p = xml_next(products, "product", p)) {
        const char *isb = xml_path_text(p, "bundleinfo/isbundle");
        const XmlNode *sizes = xml_child(p, "sizes");

        if (isb == NULL)
            continue;
        for (const XmlNode *z = xml_child(sizes, "size"); z != NULL;
             z = xml_next(sizes, "size", z)) {
            const XmlNode *wh = xml_child(z, "warehouseitems");

            ck_assert_ptr_nonnull(wh);
            if (strcmp(isb, "true") == 0) {
                /* Present, as on every order line, but empty: nothing to pick. */
                ck_assert_uint_eq(wh->nkids, 0);
                ck_assert_uint_eq(xml_child(z, "supplierorderitems")->nkids, 0);
                c->bundles++;
            } else {
                ck_assert_str_eq(need(wh, "warehouse/qty"), need(z, "qty"));
                c->parts++;
            }
        }
    }
}

START_TEST(a_virtual_bundle_line_has_no_warehouse_allocation_and_its_parts_have)
{
    BundleCount c = {0, 0};

    each_order(1, NEVENTS, check_bundle_stock, &c);
    ck_assert_int_gt(c.bundles, 10);
    ck_assert_int_ge(c.parts, 2 * c.bundles);
}
END_TEST

/* Order lines (orderitems) in the written order's own <products> (unprefixed). */
static int
count_lines(const DynBuf *b)
{
    const char *from = strstr(dynbuf_str(b), "<products>");
    const char *to = from != NULL ? strstr(from, "</products>") : NULL;
    int n = 0;

    ck_assert_ptr_nonnull(to);
    for (const char *p = strstr(from, "<orderitem>"); p != NULL && p < to;
         p = strstr(p + 1, "<orderitem>"))
        n++;
    return n;
}

#define LINE_SEEDS  12   /* seeds the line bound is checked over */
#define LINE_EVENTS 4000 /* order events of each */

START_TEST(no_order_has_more_than_20_lines_or_fewer_than_1)
{
    int seen[MAX_LINES + 1] = {0};
    int orders = 0;

    for (uint64_t seed = 1; seed <= LINE_SEEDS; seed++) {
        GenPlan plan;

        gen_plan(seed * 7919, LINE_EVENTS, &plan);
        for (size_t i = 0; i < plan.n; i++) {
            DynBuf b;
            int lines;

            if (plan.entries[i].kind != GEN_ORDER || plan.entries[i].version != 1)
                continue;
            write_into(&b, seed * 7919, &plan.entries[i], NULL);
            lines = count_lines(&b);
            dynbuf_free(&b);
            ck_assert_msg(lines >= 1 && lines <= MAX_LINES, "seed %llu order %u: %d lines",
                          (unsigned long long)(seed * 7919), plan.entries[i].index + 1, lines);
            seen[lines]++;
            orders++;
        }
        gen_plan_free(&plan);
    }
    ck_assert_int_gt(orders, LINE_SEEDS * LINE_EVENTS * 8 / 10);
    /* Both ends of the range occur. */
    ck_assert_int_gt(seen[1], 0);
    ck_assert_int_gt(seen[MAX_LINES], 0);
}
END_TEST

/* --- value formats ------------------------------------------------------------------ */

typedef enum Fmt {
    FMT_MONEY2, /* two decimals: "1135.00" (ordertotal, price, shipmenttotal, ...) */
    FMT_NUMBER, /* a plain number: "1000", "12", "0", "98.4" (subtotal, discount, value, ...) */
    FMT_TAX,    /* three decimals: "25.000" */
    FMT_RATE,   /* five decimals: "10.43100" */
    FMT_INT,    /* an integer: "3" */
    FMT_ISO,    /* "2019-03-27T12:52:20+01:00" */
    FMT_YESNO,  /* yes | no */
    FMT_BOOL    /* true | false */
} Fmt;

/* Element (as the end of its path) and the format the guide's samples give it. */
static const struct {
    const char *suffix;
    Fmt fmt;
} formats[] = {
    {"/order/ordertotal", FMT_MONEY2},
    {"/order/currencyrate", FMT_RATE},
    {"/order/created", FMT_ISO},
    {"/order/internal", FMT_BOOL},
    {"/order/locked", FMT_YESNO},
    {"/order/shipping/subtotal", FMT_NUMBER},
    {"/order/handling/subtotal", FMT_MONEY2},
    {"/order/voucher/subtotal", FMT_NUMBER},
    {"/payments/total", FMT_NUMBER},
    {"/payment/value", FMT_NUMBER},
    {"/payment/created", FMT_ISO},
    {"/product/tax", FMT_TAX},
    {"/product/origprice", FMT_MONEY2},
    {"/product/price", FMT_MONEY2},
    {"/product/discount", FMT_NUMBER},
    {"/product/qty", FMT_INT},
    {"/product/subtotal", FMT_NUMBER},
    {"/size/qty", FMT_INT},
    {"/size/preorder", FMT_YESNO},
    {"/warehouse/qty", FMT_INT},
    {"/bundleinfo/isbundle", FMT_BOOL},
    {"/shipment/paid", FMT_YESNO},
    {"/shipment/shipped", FMT_YESNO},
    {"/shipment/goodtogo", FMT_YESNO},
    {"/shipment/appendix", FMT_INT},
    {"/shipment/shipmenttotal", FMT_MONEY2},
    {"/shipment/paidtotal", FMT_MONEY2},
    {"/shipment/currencyrate", FMT_RATE},
    {"/shipment/created", FMT_ISO},
    {"/shipment/shipping/subtotal", FMT_NUMBER},
    {"/shipment/handling/subtotal", FMT_MONEY2},
    {"/shipment/voucher/subtotal", FMT_NUMBER},
    {"/carrierinformation/packages", FMT_INT},
    {"/refund/shipping/subtotal", FMT_NUMBER},
    {"/refund/returnfee/subtotal", FMT_NUMBER},
};

/* Whether text is digits, a point and exactly n decimals. */
static bool
fixed_decimals(const char *text, size_t n)
{
    const char *dot;
    const char *p = text[0] == '-' ? text + 1 : text;

    if (*p < '0' || *p > '9' || (dot = strchr(p, '.')) == NULL || strlen(dot + 1) != n)
        return false;
    for (; *p != '\0'; p++)
        if (p != dot && (*p < '0' || *p > '9'))
            return false;
    return true;
}

static bool
format_ok(const char *text, Fmt fmt)
{
    long long v;
    bool plain;

    switch (fmt) {
    case FMT_MONEY2:
        return fixed_decimals(text, 2);
    case FMT_TAX:
        return fixed_decimals(text, 3);
    case FMT_RATE:
        return fixed_decimals(text, 5);
    case FMT_NUMBER:
        /* As PHP prints a float: no trailing zero decimals, no point without decimals. */
        if (strchr(text, '.') != NULL)
            return (fixed_decimals(text, 1) || fixed_decimals(text, 2)) &&
                   text[strlen(text) - 1] != '0';
        return str_to_ll(text, &v) && (text[0] != '0' || text[1] == '\0') &&
               strcmp(text, "-0") != 0;
    case FMT_INT:
        return str_to_ll(text, &v);
    case FMT_ISO:
        return date_format(text, &plain) && !plain;
    case FMT_YESNO:
        return strcmp(text, "yes") == 0 || strcmp(text, "no") == 0;
    case FMT_BOOL:
        return strcmp(text, "true") == 0 || strcmp(text, "false") == 0;
    }
    return false;
}

/* Check the format of every element below n (path: n's own path); count rule uses. */
static void
check_formats(const XmlNode *n, const char *path, int *used)
{
    for (size_t i = 0; i < n->nkids; i++) {
        const XmlNode *c = n->kids[i];
        char p[512];
        size_t len;

        snprintf(p, sizeof(p), "%s/%s", path, c->name);
        len = strlen(p);
        if (c->nkids > 0) {
            check_formats(c, p, used);
            continue;
        }
        for (size_t k = 0; k < CB_LENGTH(formats); k++) {
            size_t sl = strlen(formats[k].suffix);

            if (len < sl || strcmp(p + len - sl, formats[k].suffix) != 0)
                continue;
            ck_assert_msg(format_ok(c->text, formats[k].fmt),
                          "%s: \"%s\" is not in the format "
                          "of the guide's samples",
                          p, c->text);
            used[k]++;
            break;
        }
    }
}

START_TEST(amounts_dates_and_flags_have_the_guides_format_per_element)
{
    int used[CB_LENGTH(formats)] = {0};
    GenPlan plan;

    gen_plan(1, NEVENTS, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        XmlNode *o;

        if (plan.entries[i].kind != GEN_ORDER)
            continue;
        o = parse_object(1, &plan.entries[i]);
        check_formats(o, "/order", used);
        xml_free(o);
    }
    for (size_t k = 0; k < CB_LENGTH(formats); k++)
        ck_assert_msg(used[k] > 0, "no %s in any order", formats[k].suffix);
    gen_plan_free(&plan);
}
END_TEST

/* The formats themselves, on the guide's own values. */
START_TEST(the_format_check_takes_the_guides_values_and_rejects_others)
{
    static const struct {
        const char *text;
        Fmt fmt;
        bool ok;
    } cases[] = {
        {"1135.00", FMT_MONEY2, true},
        {"0.00", FMT_MONEY2, true},
        {"-5.00", FMT_MONEY2, true},
        {"1135", FMT_MONEY2, false},
        {"1135.0", FMT_MONEY2, false},
        {"1000", FMT_NUMBER, true},
        {"12", FMT_NUMBER, true},
        {"0", FMT_NUMBER, true},
        {"98.4", FMT_NUMBER, true},
        {"-10", FMT_NUMBER, true},
        {"98.45", FMT_NUMBER, true},
        {"1000.00", FMT_NUMBER, false},
        {"98.40", FMT_NUMBER, false},
        {"12.", FMT_NUMBER, false},
        {"012", FMT_NUMBER, false},
        {"-0", FMT_NUMBER, false},
        {"25.000", FMT_TAX, true},
        {"25", FMT_TAX, false},
        {"10.43100", FMT_RATE, true},
        {"2019-03-27T12:52:20+01:00", FMT_ISO, true},
        {"2019-03-27 12:52:20", FMT_ISO, false},
        {"yes", FMT_YESNO, true},
        {"true", FMT_YESNO, false},
        {"false", FMT_BOOL, true},
        {"no", FMT_BOOL, false},
    };

    for (size_t i = 0; i < CB_LENGTH(cases); i++)
        ck_assert_msg(format_ok(cases[i].text, cases[i].fmt) == cases[i].ok, "\"%s\" format %d",
                      cases[i].text, cases[i].fmt);
}
END_TEST

/* Which kinds of awkward text occur below n. */
typedef struct Awkward {
    bool amp;   /* & */
    bool lt;    /* < */
    bool gt;    /* > */
    bool quote; /* " */
    bool apos;  /* ' */
    bool latin; /* two-byte UTF-8 such as å, ö, é */
    bool emoji; /* four-byte UTF-8 */
} Awkward;

static void
scan_text(Awkward *a, const XmlNode *n)
{
    a->amp |= strchr(n->text, '&') != NULL;
    a->lt |= strchr(n->text, '<') != NULL;
    a->gt |= strchr(n->text, '>') != NULL;
    a->quote |= strchr(n->text, '"') != NULL;
    a->apos |= strchr(n->text, '\'') != NULL;
    a->latin |= strstr(n->text, "\xc3") != NULL;     /* U+00C0..U+00FF: Å, ö, é, ... */
    a->emoji |= strstr(n->text, "\xf0\x9f") != NULL; /* U+1F000 and up: 🙂 📦 */
    for (size_t i = 0; i < n->nkids; i++)
        scan_text(a, n->kids[i]);
}

START_TEST(markup_characters_and_non_ascii_text_survive_as_text)
{
    GenPlan plan;
    Awkward a;
    bool exact = false;

    memset(&a, 0, sizeof(a));
    gen_plan(1, 400, &plan);
    for (size_t i = 0; i < plan.n; i++) {
        const char *other;
        XmlNode *o;

        if (plan.entries[i].kind == GEN_DELETE)
            continue;
        o = parse_object(1, &plan.entries[i]);
        scan_text(&a, o);
        other = xml_child_text(o, "other");
        exact |= other != NULL &&
                 strcmp(other, "Please deliver before 5pm & ring \"twice\" \xf0\x9f\x93\xa6") == 0;
        xml_free(o);
    }
    ck_assert(a.amp);
    ck_assert(a.lt);
    ck_assert(a.gt);
    ck_assert(a.quote);
    ck_assert(a.apos);
    ck_assert(a.latin);
    ck_assert(a.emoji);
    ck_assert_msg(exact, "no order message with & \" and an emoji came back as written");
    gen_plan_free(&plan);
}
END_TEST

/* --- suite ------------------------------------------------------------------------- */

static Suite *
sim_gen_orders_suite(void)
{
    Suite *s = suite_create("sim_gen orders");
    TCase *orders = tcase_create("orders");

    tcase_add_checked_fixture(orders, catalog_setup, catalog_teardown);
    tcase_set_timeout(orders, 600); /* as objects */
    tcase_add_test(orders, orders_have_every_documented_shape);
    tcase_add_test(orders, a_retail_shipment_is_paid_only_once_shipped_and_captured);
    tcase_add_test(orders, the_reference_order_check_rejects_a_reordered_or_renamed_element);
    tcase_add_test(orders, elements_come_in_the_order_of_centras_reference);
    tcase_add_test(orders, a_virtual_bundle_line_has_no_warehouse_allocation_and_its_parts_have);
    tcase_add_test(orders, no_order_has_more_than_20_lines_or_fewer_than_1);
    tcase_add_test(orders, the_format_check_takes_the_guides_values_and_rejects_others);
    tcase_add_test(orders, amounts_dates_and_flags_have_the_guides_format_per_element);
    tcase_add_test(orders, markup_characters_and_non_ascii_text_survive_as_text);
    suite_add_tcase(s, orders);
    return s;
}

CB_TEST_MAIN(sim_gen_orders_suite)
