/*
 * tests/sim/sim_update_order.c
 *     orders_Update: lines are cancelled, shipped, captured and refunded,
 *     never edited, and what depends on them (quantities, totals,
 *     allocations) follows; identifying fields cannot change.
 */
#include "sim_stage_int.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/strutil.h"

/* --- orders ---------------------------------------------------------------------------------- */

/* The <size> of order line orderitem in the order's products, or NULL; *product its <product>. */
static XmlNode *
find_line(const XmlNode *order, const char *orderitem, XmlNode **product)
{
    const XmlNode *products = xml_child(order, "products");

    for (XmlNode *p = xml_child(products, "product"); p != NULL;
         p = xml_next(products, "product", p)) {
        const XmlNode *sizes = xml_child(p, "sizes");

        for (XmlNode *z = xml_child(sizes, "size"); z != NULL; z = xml_next(sizes, "size", z)) {
            if (sim_text_is(xml_path_text(z, "orderitem/id"), orderitem)) {
                *product = p;
                return z;
            }
        }
    }
    return NULL;
}

/* Sum of qty of sizes with orderitem in a product list (shipments, refunds); 0 for NULL. */
static long long
qty_in(const XmlNode *products, const char *orderitem)
{
    long long sum = 0;

    if (orderitem == NULL)
        return 0;
    for (XmlNode *p = xml_child(products, "product"); p != NULL;
         p = xml_next(products, "product", p)) {
        const XmlNode *sizes = xml_child(p, "sizes");

        for (XmlNode *z = xml_child(sizes, "size"); z != NULL; z = xml_next(sizes, "size", z)) {
            long long q;

            if (sim_text_is(xml_path_text(z, "orderitem/id"), orderitem) &&
                sim_parse_qty(xml_child_text(z, "qty"), &q))
                sum += q;
        }
    }
    return sum;
}

static long long
shipped_qty(const XmlNode *order, const char *orderitem)
{
    const XmlNode *ships = xml_child(order, "shipments");
    long long sum = 0;

    for (XmlNode *sh = xml_child(ships, "shipment"); sh != NULL;
         sh = xml_next(ships, "shipment", sh))
        sum += qty_in(xml_child(sh, "products"), orderitem);
    return sum;
}

/*
 * The quantity of line z of the order (sid NULL) or of shipment sid; an
 * error when it has none that is a number.
 */
static bool
line_qty(SimResult *res, const char *oid, const char *sid, const XmlNode *z, long long *out)
{
    const char *q = xml_child_text(z, "qty");
    const char *oi = xml_path_text(z, "orderitem/id");

    if (sim_parse_qty(q, out) && *out >= 0)
        return true;
    if (sid == NULL)
        sim_result_error(res, "Order %s: orderitem %s has an invalid quantity \"%s\"", oid,
                         oi != NULL ? oi : "", q != NULL ? q : "");
    else
        sim_result_error(res,
                         "Order %s: shipment %s has an invalid quantity \"%s\" for orderitem %s",
                         oid, sid, q != NULL ? q : "", oi != NULL ? oi : "");
    return false;
}

/* The unit price of order product p (0 when it has none); an error when it is not a number. */
static bool
line_price(SimResult *res, const char *oid, const XmlNode *p, double *out)
{
    const char *t = xml_child_text(p, "price");
    const char *pid = xml_child_text(p, "id");

    *out = 0;
    if (!sim_has_text(t) || sim_parse_money(t, out))
        return true;
    sim_result_error(res, "Order %s: product %s has an invalid price \"%s\"", oid,
                     pid != NULL ? pid : "", t);
    return false;
}

static void
copy_children(XmlNode *dst, const XmlNode *src, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const XmlNode *c = xml_child(src, names[i]);

        if (c != NULL)
            xml_append(dst, xml_copy(c));
    }
}

/*
 * A product node for qty units of the order line z of product p at price
 * each: the product's fields with that single size, in the element order of
 * the guide's samples and REF (which adds type; the guide's bundles add
 * bundleinfo last).  Used in shipments, refunds and cancelled.
 */
static XmlNode *
line_product(const XmlNode *p, const XmlNode *z, long long qty, double price)
{
    static const char *const head[] = {"id", "tax", "sku", "origprice", "price", "discount"};
    static const char *const middle[] = {"description", "variation", "brand"};
    static const char *const tail[] = {"type", "comment", "bundleinfo"};
    XmlNode *n = xml_new("product", NULL);
    XmlNode *nz;
    char buf[64];

    copy_children(n, p, head, CB_LENGTH(head));
    snprintf(buf, sizeof(buf), "%lld", qty);
    xml_add(n, "qty", buf);
    sim_number(buf, sizeof(buf), price * (double)qty);
    xml_add(n, "subtotal", buf);
    copy_children(n, p, middle, CB_LENGTH(middle));
    nz = xml_add(xml_add(n, "sizes", NULL), "size", NULL);
    xml_add(nz, "id", xml_child_text(z, "id"));
    xml_add(nz, "sku", xml_child_text(z, "sku"));
    snprintf(buf, sizeof(buf), "%lld", qty);
    xml_add(nz, "qty", buf);
    xml_add(nz, "preorder", xml_child_text(z, "preorder"));
    xml_add(nz, "description", xml_child_text(z, "description"));
    if (xml_child(z, "orderitem") != NULL)
        xml_append(nz, xml_copy(xml_child(z, "orderitem")));
    copy_children(n, p, tail, CB_LENGTH(tail));
    return n;
}

/* Requested (orderitem, qty) pairs of a product list of an update. */
typedef struct Req {
    const char *orderitem; /* NULL: matched by product/variation/size */
    const char *product;
    const char *variation;
    const char *size;
    long long qty;
} Req;

/*
 * The order line (<size>) a cancellation or shipment line r names, with its
 * product, quantity and unit price; NULL after an error (what names the
 * request part) when r names none, an unknown one, or one without a usable
 * quantity or price.
 */
static XmlNode *
requested_line(SimResult *res, XmlNode *order, const char *oid, const char *what, const Req *r,
               XmlNode **p, long long *have, double *price)
{
    XmlNode *z;

    if (!sim_has_text(r->orderitem)) {
        sim_result_error(res, "%s: a line must name its orderitem", what);
        return NULL;
    }
    z = find_line(order, r->orderitem, p);
    if (z == NULL) {
        sim_result_error(res, "Order %s has no orderitem %s", oid, r->orderitem);
        return NULL;
    }
    if (!line_qty(res, oid, NULL, z, have) || !line_price(res, oid, *p, price))
        return NULL;
    return z;
}

static size_t
collect_requests(SimResult *res, const char *what, const XmlNode *products, Req *out, size_t max)
{
    size_t n = 0;

    for (XmlNode *p = xml_child(products, "product"); p != NULL;
         p = xml_next(products, "product", p)) {
        const XmlNode *sizes = xml_child(p, "sizes");

        for (XmlNode *z = xml_child(sizes, "size"); z != NULL; z = xml_next(sizes, "size", z)) {
            Req *r;

            if (n == max) {
                sim_result_error(res, "%s: too many lines in one request", what);
                return n;
            }
            r = &out[n];
            r->orderitem = xml_path_text(z, "orderitem/id");
            r->product = xml_child_text(p, "id");
            r->variation = xml_path_text(p, "variation/id");
            r->size = xml_child_text(z, "id");
            if (!sim_parse_qty(xml_child_text(z, "qty"), &r->qty) || r->qty <= 0) {
                sim_result_error(res, "%s: invalid quantity \"%s\"", what,
                                 xml_child_text(z, "qty") != NULL ? xml_child_text(z, "qty") : "");
                continue;
            }
            n++;
        }
    }
    return n;
}

/* The line of a products list that r asks for: by orderitem, or by product, variation and size. */
static XmlNode *
find_requested(const XmlNode *products, const Req *r, XmlNode **product)
{
    for (XmlNode *p = xml_child(products, "product"); p != NULL;
         p = xml_next(products, "product", p)) {
        const XmlNode *sizes = xml_child(p, "sizes");

        for (XmlNode *z = xml_child(sizes, "size"); z != NULL; z = xml_next(sizes, "size", z)) {
            bool match = sim_has_text(r->orderitem)
                             ? sim_text_is(xml_path_text(z, "orderitem/id"), r->orderitem)
                             : r->product != NULL && r->size != NULL &&
                                   sim_text_is(xml_child_text(p, "id"), r->product) &&
                                   sim_text_is(xml_child_text(z, "id"), r->size) &&
                                   (r->variation == NULL ||
                                    sim_text_is(xml_path_text(p, "variation/id"), r->variation));

            if (match) {
                *product = p;
                return z;
            }
        }
    }
    return NULL;
}

/*
 * Whether products sent for a shipment or refund that exists are exactly its
 * lines (have), quantities included: sending it again changes nothing.
 */
static bool
same_lines(SimResult *res, const char *what, const XmlNode *sent, const XmlNode *have)
{
    Req reqs[256];
    size_t n = collect_requests(res, what, sent, reqs, CB_LENGTH(reqs));
    size_t lines = 0;

    for (XmlNode *p = xml_child(have, "product"); p != NULL; p = xml_next(have, "product", p))
        lines += xml_count(xml_child(p, "sizes"), "size");
    if (lines != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        XmlNode *p;
        const XmlNode *z = find_requested(have, &reqs[i], &p);
        long long q;

        if (z == NULL || !sim_parse_qty(xml_child_text(z, "qty"), &q) || q != reqs[i].qty)
            return false;
    }
    return true;
}

/* Cut the allocations in list (warehouse or supplierorder items) to limit units, last first. */
static void
shrink_allocations(XmlNode *list, const char *item, long long limit)
{
    long long sum = 0;

    for (XmlNode *a = xml_child(list, item); a != NULL; a = xml_next(list, item, a)) {
        long long q;

        if (sim_parse_qty(xml_child_text(a, "qty"), &q) && q > 0)
            sum += q;
    }
    for (size_t i = list != NULL ? list->nkids : 0; i > 0 && sum > limit; i--) {
        XmlNode *a = list->kids[i - 1];
        long long q;
        char buf[32];

        if (strcmp(a->name, item) != 0 || !sim_parse_qty(xml_child_text(a, "qty"), &q) || q <= 0)
            continue;
        if (q <= sum - limit) {
            sum -= q;
            xml_delete(a);
        } else {
            snprintf(buf, sizeof(buf), "%lld", q - (sum - limit));
            sim_set_child_text(a, "qty", buf);
            sum = limit;
        }
    }
}

/* Recount product p's qty and subtotal (at price each) from its sizes, where it has them. */
static void
recount_product(XmlNode *p, double price)
{
    const XmlNode *sizes = xml_child(p, "sizes");
    long long total = 0;
    char buf[64];

    for (XmlNode *z = xml_child(sizes, "size"); z != NULL; z = xml_next(sizes, "size", z)) {
        long long q;

        if (sim_parse_qty(xml_child_text(z, "qty"), &q))
            total += q;
    }
    snprintf(buf, sizeof(buf), "%lld", total);
    if (xml_child(p, "qty") != NULL)
        sim_set_child_text(p, "qty", buf);
    sim_number(buf, sizeof(buf), price * (double)total);
    if (xml_child(p, "subtotal") != NULL)
        sim_set_child_text(p, "subtotal", buf);
}

/*
 * Cancel n (checked) of the have units of order line z of product p, at
 * price each, as the generator builds a cancelled line: the line, its
 * allocations, the product's qty and subtotal and the order total go down,
 * and the order's single cancelled line for it goes up.
 */
static void
cancel_line(XmlNode *order, XmlNode *p, XmlNode *z, long long have, long long n, double price)
{
    XmlNode *cancelled = xml_child(order, "cancelled");
    const char *oi = xml_path_text(z, "orderitem/id");
    XmlNode *cp = NULL;
    XmlNode *cz = NULL;
    double total;
    long long was;
    char buf[64];

    snprintf(buf, sizeof(buf), "%lld", have - n);
    sim_set_child_text(z, "qty", buf);
    shrink_allocations(xml_child(z, "warehouseitems"), "warehouse", have - n);
    shrink_allocations(xml_child(z, "supplierorderitems"), "supplierorder", have - n);
    recount_product(p, price);
    if (sim_parse_money(xml_child_text(order, "ordertotal"), &total)) {
        sim_money(buf, sizeof(buf), total - price * (double)n);
        sim_set_child_text(order, "ordertotal", buf);
    }
    if (cancelled == NULL)
        cancelled =
            sim_insert_after(order, xml_child(order, "products"), xml_new("cancelled", NULL));
    for (XmlNode *c = xml_child(cancelled, "product"); c != NULL && cz == NULL;
         c = xml_next(cancelled, "product", c)) {
        const XmlNode *sizes = xml_child(c, "sizes");

        for (XmlNode *s = xml_child(sizes, "size"); s != NULL && cz == NULL;
             s = xml_next(sizes, "size", s))
            if (sim_text_is(xml_path_text(s, "orderitem/id"), oi)) {
                cp = c;
                cz = s;
            }
    }
    if (cz == NULL) {
        xml_append(cancelled, line_product(p, z, n, price));
        return;
    }
    if (!sim_parse_qty(xml_child_text(cz, "qty"), &was))
        was = 0;
    snprintf(buf, sizeof(buf), "%lld", was + n);
    sim_set_child_text(cz, "qty", buf);
    recount_product(cp, price);
}

static void
apply_cancelled(SimResult *res, XmlNode *order, const char *oid, const XmlNode *cancelled)
{
    Req reqs[256];
    char what[128];
    size_t n;

    snprintf(what, sizeof(what), "Order %s, cancelled", oid);
    n = collect_requests(res, what, cancelled, reqs, CB_LENGTH(reqs));
    for (size_t i = 0; i < n; i++) {
        XmlNode *p;
        XmlNode *z;
        long long have;
        long long open;
        double price;

        z = requested_line(res, order, oid, what, &reqs[i], &p, &have, &price);
        if (z == NULL)
            continue;
        open = have - shipped_qty(order, reqs[i].orderitem);
        if (reqs[i].qty > open) {
            sim_result_error(res,
                             "Order %s: cannot cancel %lld of orderitem %s, only %lld are "
                             "not shipped",
                             oid, reqs[i].qty, reqs[i].orderitem, open);
            continue;
        }
        cancel_line(order, p, z, have, reqs[i].qty, price);
    }
}

static XmlNode *
find_refund(const XmlNode *order, const char *rid)
{
    const XmlNode *ships = xml_child(order, "shipments");

    for (XmlNode *sh = xml_child(ships, "shipment"); sh != NULL;
         sh = xml_next(ships, "shipment", sh)) {
        XmlNode *r = sim_find_with_id(xml_child(sh, "refunds"), "refund", rid);

        if (r != NULL)
            return r;
    }
    return NULL;
}

/* Whether refund id rid is used by an order other than oid (refund ids are global). */
static bool
refund_taken(Stage *st, const char *rid, const char *oid)
{
    const char *owner = hashmap_get(st->s->refunds, rid);
    long long n;

    for (size_t i = 0; i < st->nrefunds; i++)
        if (strcmp(st->refund_ids[i], rid) == 0)
            return strcmp(st->refund_order[i], oid) != 0;
    if (owner != NULL)
        return strcmp(owner, oid) != 0;
    /* Generated orders number their refunds R<order index + 1>. */
    if (rid[0] == 'R' && str_to_ll(rid + 1, &n) && n > 0 && n <= LLONG_MAX - SIM_ORDER_ID_BASE) {
        char gen_id[32];
        const XmlNode *o;

        snprintf(gen_id, sizeof(gen_id), "%lld", SIM_ORDER_ID_BASE + n);
        if (strcmp(gen_id, oid) != 0 && (o = stage_get(st, "order", gen_id)) != NULL)
            return find_refund(o, rid) != NULL;
    }
    return false;
}

/* A cost block of a new refund: <name><subtotal> as sent (checked), else zero, as the guide. */
static void
refund_cost(SimResult *res, const char *what, XmlNode *nr, const XmlNode *r, const char *name)
{
    const char *given = xml_child_text(xml_child(r, name), "subtotal");
    double v;

    if (given != NULL && !sim_parse_money(given, &v))
        sim_result_error(res, "%s: invalid %s subtotal \"%s\"", what, name, given);
    if (given == NULL)
        given = strcmp(name, "handling") == 0 ? "0.00" : "0";
    xml_add(xml_add(nr, name, NULL), "subtotal", given);
}

/* Change refund existing of order oid: its products only to what they are. */
static void
change_refund(SimResult *res, const char *oid, XmlNode *existing, const XmlNode *r)
{
    const char *rid = xml_child_text(r, "id");
    size_t before = res->nerrors;
    char what[160];
    XmlNode *fields;

    snprintf(what, sizeof(what), "Order %s, refund %s", oid, rid);
    if (xml_child(r, "products") != NULL &&
        !same_lines(res, what, xml_child(r, "products"), xml_child(existing, "products"))) {
        if (res->nerrors == before)
            sim_result_error(res, "Order %s: refund %s exists; its products cannot be changed", oid,
                             rid);
        return;
    }
    fields = xml_copy(r);
    for (size_t i = fields->nkids; i > 0; i--)
        if (strcmp(fields->kids[i - 1]->name, "products") == 0)
            xml_delete(fields->kids[i - 1]);
    sim_merge(res, what, existing, fields);
    xml_free(fields);
}

static void
apply_refund(SimResult *res, Stage *st, XmlNode *order, const char *oid, XmlNode *ship,
             const XmlNode *r)
{
    const char *rid = xml_child_text(r, "id");
    const char *sid = xml_child_text(ship, "id");
    const XmlNode *sp = xml_child(ship, "products");
    XmlNode *refunds;
    XmlNode *existing;
    XmlNode *nr;
    XmlNode *lines;
    Req reqs[256];
    size_t n;
    size_t before = res->nerrors;
    char what[160];

    if (!sim_has_text(rid)) {
        sim_result_error(res, "Order %s, shipment %s: a refund has no id", oid, sid);
        return;
    }
    existing = find_refund(order, rid);
    if (existing != NULL) {
        change_refund(res, oid, existing, r);
        return;
    }
    if (refund_taken(st, rid, oid)) {
        sim_result_error(res, "Refund id %s is already used: refund ids must be unique", rid);
        return;
    }
    if (!sim_text_is(xml_child_text(ship, "shipped"), "yes")) {
        sim_result_error(res, "Order %s: shipment %s is not shipped, there is nothing to refund",
                         oid, sid);
        return;
    }
    snprintf(what, sizeof(what), "Order %s, refund %s", oid, rid);
    n = collect_requests(res, what, xml_child(r, "products"), reqs, CB_LENGTH(reqs));
    if (n == 0) {
        if (res->nerrors == before)
            sim_result_error(res, "%s: a new refund needs its products", what);
        return;
    }
    /* REF's order: id, shipping, voucher, products, comment, returnfee, handling, status. */
    nr = xml_new("refund", NULL);
    xml_add(nr, "id", rid);
    refund_cost(res, what, nr, r, "shipping");
    refund_cost(res, what, nr, r, "voucher");
    lines = xml_add(nr, "products", NULL);
    for (size_t i = 0; i < n; i++) {
        XmlNode *p;
        const XmlNode *z = find_requested(sp, &reqs[i], &p);
        const char *oi;
        long long shipped;
        long long refunded = 0;
        const XmlNode *done = xml_child(ship, "refunds");
        double price;

        if (z == NULL) {
            sim_result_error(res, "%s: shipment %s has no such line (product %s, size %s)", what,
                             sid, reqs[i].product != NULL ? reqs[i].product : "",
                             reqs[i].size != NULL ? reqs[i].size : "");
            continue;
        }
        oi = xml_path_text(z, "orderitem/id");
        if (!sim_has_text(oi)) {
            sim_result_error(res,
                             "%s: the line of product %s, size %s in shipment %s has no "
                             "orderitem",
                             what, xml_child_text(p, "id") != NULL ? xml_child_text(p, "id") : "",
                             xml_child_text(z, "id") != NULL ? xml_child_text(z, "id") : "", sid);
            continue;
        }
        if (!line_qty(res, oid, sid, z, &shipped) || !line_price(res, oid, p, &price))
            continue;
        for (XmlNode *rr = xml_child(done, "refund"); rr != NULL; rr = xml_next(done, "refund", rr))
            refunded += qty_in(xml_child(rr, "products"), oi);
        refunded += qty_in(lines, oi);
        if (reqs[i].qty > shipped - refunded) {
            sim_result_error(res,
                             "%s: cannot return %lld of orderitem %s, %lld shipped and %lld "
                             "already returned",
                             what, reqs[i].qty, oi, shipped, refunded);
            continue;
        }
        xml_append(lines, line_product(p, z, reqs[i].qty, price));
    }
    xml_add(nr, "comment", xml_child_text(r, "comment"));
    refund_cost(res, what, nr, r, "returnfee");
    refund_cost(res, what, nr, r, "handling");
    xml_add(nr, "status",
            sim_has_text(xml_child_text(r, "status")) ? xml_child_text(r, "status") : "confirmed");
    if (res->nerrors > before) {
        xml_free(nr);
        return;
    }
    refunds = xml_child(ship, "refunds");
    if (refunds == NULL)
        refunds = sim_insert_after(ship, sp, xml_new("refunds", NULL));
    xml_append(refunds, nr);
    stage_refund(st, rid, oid);
}

/* Record a capture: payment entry, paid flags. */
static void
capture(XmlNode *order, XmlNode *ship)
{
    XmlNode *payments = xml_child(order, "payments");
    const char *total = xml_child_text(ship, "shipmenttotal");
    char now[32];
    char buf[300];
    XmlNode *pay;
    double value;
    double sum = 0;

    if (sim_text_is(xml_child_text(ship, "paid"), "yes"))
        return; /* already captured: capture=yes is always safe to send */
    if (!sim_has_text(total))
        total = "0.00";
    sim_set_child_text(ship, "paid", "yes");
    sim_set_child_text(ship, "paidtotal", total);
    if (payments == NULL || !sim_text_is(xml_child_text(payments, "type"), "cc"))
        return; /* invoice payments are not captured */
    sim_now(now, sizeof(now), SIM_TIME_ISO);
    pay = xml_add(payments, "payment", NULL);
    xml_add(pay, "type", "capture");
    if (sim_parse_money(total, &value)) {
        sim_number(buf, sizeof(buf), value);
        xml_add(pay, "value", buf);
    } else {
        xml_add(pay, "value", total);
    }
    xml_add(pay, "created", now);
    snprintf(buf, sizeof(buf), "capture-%s", xml_child_text(ship, "id"));
    xml_add(pay, "transaction", buf); /* payments are told apart by transaction */
    for (XmlNode *p = xml_child(payments, "payment"); p != NULL;
         p = xml_next(payments, "payment", p)) {
        double v;

        if (sim_text_is(xml_child_text(p, "type"), "capture") &&
            sim_parse_money(xml_child_text(p, "value"), &v))
            sum += v;
    }
    sim_number(buf, sizeof(buf), sum);
    sim_set_child_text(payments, "total", buf);
    sim_set_child_text(payments, "status", "success");
}

static XmlNode *
new_shipment(SimResult *res, XmlNode *order, const char *oid, const XmlNode *sh)
{
    const char *sid = xml_child_text(sh, "id");
    const char *given = xml_path_text(sh, "shipping/subtotal");
    XmlNode *n;
    XmlNode *prods;
    Req reqs[256];
    size_t nreq;
    size_t before = res->nerrors;
    char what[160];
    char buf[64];
    char now[32];
    double goods = 0;
    double shipping = 0;
    const XmlNode *ships = xml_child(order, "shipments");
    size_t appendix = xml_count(ships, "shipment") + 1;

    snprintf(what, sizeof(what), "Order %s, shipment %s", oid, sid);
    nreq = collect_requests(res, what, xml_child(sh, "products"), reqs, CB_LENGTH(reqs));
    if (nreq == 0) {
        if (res->nerrors == before)
            sim_result_error(res, "Order %s has no shipment %s (a new shipment needs its products)",
                             oid, sid);
        return NULL;
    }
    if (given != NULL && !sim_parse_money(given, &shipping))
        sim_result_error(res, "%s: invalid shipping subtotal \"%s\"", what, given);
    n = xml_new("shipment", NULL);
    xml_add(n, "id", sid);
    xml_add(n, "paid", "no");
    xml_add(n, "shipped", "no");
    xml_add(n, "goodtogo", "no");
    snprintf(buf, sizeof(buf), "%zu", appendix);
    xml_add(n, "appendix",
            sim_has_text(xml_child_text(sh, "appendix")) ? xml_child_text(sh, "appendix") : buf);
    xml_add(n, "shipmenttotal", "0.00");
    xml_add(n, "paidtotal", "0.00");
    xml_add(n, "currency", xml_child_text(order, "currency"));
    xml_add(n, "currencyrate", xml_child_text(order, "currencyrate"));
    xml_add(n, "basecurrency", xml_child_text(order, "basecurrency"));
    sim_now(now, sizeof(now), SIM_TIME_ISO);
    xml_add(n, "created", now);
    if (xml_child(order, "shippingaddress") != NULL)
        xml_append(n, xml_copy(xml_child(order, "shippingaddress")));
    {
        XmlNode *ci = xml_add(n, "carrierinformation", NULL);

        xml_add(ci, "carrier", NULL);
        xml_add(ci, "service", NULL);
        xml_add(ci, "tracking", NULL);
        xml_add(ci, "packages", "0");
    }
    prods = xml_add(n, "products", NULL);
    for (size_t i = 0; i < nreq; i++) {
        XmlNode *p;
        XmlNode *z;
        long long have;
        long long shipped;
        double price;

        z = requested_line(res, order, oid, what, &reqs[i], &p, &have, &price);
        if (z == NULL)
            continue;
        shipped = shipped_qty(order, reqs[i].orderitem) + qty_in(prods, reqs[i].orderitem);
        if (reqs[i].qty > have - shipped) {
            sim_result_error(res,
                             "%s: cannot ship %lld of orderitem %s, %lld ordered and %lld "
                             "already in shipments",
                             what, reqs[i].qty, reqs[i].orderitem, have, shipped);
            continue;
        }
        xml_append(prods, line_product(p, z, reqs[i].qty, price));
        goods += price * (double)reqs[i].qty;
    }
    if (res->nerrors > before) {
        xml_free(n);
        return NULL;
    }
    xml_add(n, "refunds", NULL);
    sim_number(buf, sizeof(buf), shipping);
    xml_add(xml_add(n, "shipping", NULL), "subtotal", buf);
    xml_add(xml_add(n, "handling", NULL), "subtotal", "0.00");
    xml_add(xml_add(n, "voucher", NULL), "subtotal", "0");
    sim_money(buf, sizeof(buf), goods + shipping);
    sim_set_child_text(n, "shipmenttotal", buf);
    return n;
}

static void
apply_shipments(SimResult *res, Stage *st, XmlNode *order, const char *oid, const XmlNode *ships)
{
    for (XmlNode *sh = xml_child(ships, "shipment"); sh != NULL;
         sh = xml_next(ships, "shipment", sh)) {
        const char *sid = xml_child_text(sh, "id");
        XmlNode *target;
        XmlNode *copy;
        XmlNode *order_ships;
        size_t before = res->nerrors;
        char what[160];

        if (!sim_has_text(sid)) {
            sim_result_error(res, "Order %s: a shipment has no id", oid);
            continue;
        }
        snprintf(what, sizeof(what), "Order %s, shipment %s", oid, sid);
        order_ships = xml_child(order, "shipments");
        target = sim_find_with_id(order_ships, "shipment", sid);
        if (target != NULL && xml_child(sh, "products") != NULL &&
            !same_lines(res, what, xml_child(sh, "products"), xml_child(target, "products"))) {
            if (res->nerrors == before)
                sim_result_error(
                    res, "Order %s: shipment %s exists; its products cannot be changed", oid, sid);
            continue;
        }
        if (target == NULL) {
            target = new_shipment(res, order, oid, sh);
            if (target == NULL)
                continue;
            if (order_ships == NULL) {
                const XmlNode *after = xml_child(order, "cancelled");

                order_ships =
                    sim_insert_after(order, after != NULL ? after : xml_child(order, "products"),
                                     xml_new("shipments", NULL));
            }
            xml_append(order_ships, target);
        }
        /* Flags, carrier information and costs sent with it; products and refunds apart. */
        copy = xml_copy(sh);
        for (size_t i = copy->nkids; i > 0; i--) {
            const char *name = copy->kids[i - 1]->name;

            if (strcmp(name, "products") == 0 || strcmp(name, "refunds") == 0 ||
                strcmp(name, "capture") == 0 || strcmp(name, "appendix") == 0)
                xml_delete(copy->kids[i - 1]);
        }
        sim_merge(res, what, target, copy);
        xml_free(copy);
        if (sim_text_is(xml_child_text(sh, "capture"), "yes"))
            capture(order, target);
        {
            const XmlNode *refunds = xml_child(sh, "refunds");

            for (XmlNode *r = xml_child(refunds, "refund"); r != NULL;
                 r = xml_next(refunds, "refund", r))
                apply_refund(res, st, order, oid, target, r);
        }
    }
}

void
sim_apply_order(SimResult *res, Stage *st, const XmlNode *item)
{
    /* What identifies an order: the same value may be sent (the guide does), no other. */
    static const char *const fixed[] = {"type", "store", "currency", "ordernumber"};
    const char *oid = xml_child_text(item, "id");
    XmlNode *order;
    XmlNode *fields;
    char what[160];
    Error err;

    if (!sim_has_text(oid)) {
        sim_result_error(res, "An order has no id");
        return;
    }
    order = stage_get(st, "order", oid);
    if (order == NULL) {
        sim_result_error(res, "Order %s does not exist", oid);
        return;
    }
    for (size_t i = 0; i < CB_LENGTH(fixed); i++) {
        const char *sent = xml_child_text(item, fixed[i]);
        const char *have = xml_child_text(order, fixed[i]);

        if (sent != NULL && have != NULL && strcmp(sent, have) != 0)
            sim_result_error(res, "Order %s has %s %s: it cannot be changed to %s", oid, fixed[i],
                             have, sent);
    }
    /* Plain fields (status, locked, addresses, ...) merge; the lists have rules. */
    snprintf(what, sizeof(what), "Order %s", oid);
    fields = xml_copy(item);
    for (size_t i = fields->nkids; i > 0; i--) {
        const char *name = fields->kids[i - 1]->name;

        if (strcmp(name, "products") == 0 || strcmp(name, "cancelled") == 0 ||
            strcmp(name, "shipments") == 0 || strcmp(name, "id") == 0 ||
            strcmp(name, "ordernumber") == 0)
            xml_delete(fields->kids[i - 1]);
    }
    sim_merge(res, what, order, fields);
    xml_free(fields);
    if (xml_child(item, "products") != NULL)
        sim_result_error(res,
                         "Order %s: order lines cannot be added or changed through "
                         "orders_Update; cancel them with <cancelled>",
                         oid);
    if (xml_child(item, "cancelled") != NULL)
        apply_cancelled(res, order, oid, xml_child(item, "cancelled"));
    if (xml_child(item, "shipments") != NULL)
        apply_shipments(res, st, order, oid, xml_child(item, "shipments"));
    /* The event this change queues must fit the queue (a new market, the last id). */
    if (!sim_store_event_fits(st->s, "order", xml_path_text(order, "market/id"), &err))
        sim_result_error(res, "Order %s: %s", oid, err.message);
}
