/*
 * src/sim/sim_update.c
 *     The *_Update operations (see sim_update_int.h).
 *
 * Merge rule ("fields you leave out stay unchanged", Centra's guide): a leaf
 * replaces the leaf of the same name; an element with an <id> child merges
 * into the stored element of the same name and id (or is added); any other
 * element merges into the first stored element of its name.
 */
#include "sim_update_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/strutil.h"

#define EVENT_DATA_DEPTH 6 /* Envelope, Body, events_Get, events, event, data */

typedef struct UpdateOp {
    const char *op;       /* operation */
    const char *list;     /* list element below the operation */
    const char *item;     /* item element */
    const char *type;     /* object type in the store */
    const char *response; /* element of the "OK" response style */
} UpdateOp;

static const UpdateOp update_ops[] = {
    {"accounts_Update", "accounts", "account", "account", "accountsUpdateResponse"},
    {"customers_Update", "customers", "customer", "customer", "customersUpdateResponse"},
    {"deliverywindows_Update", "deliverywindows", "deliverywindow", "deliverywindow",
     "deliverywindowsUpdateResponse"},
    {"invoices_Update", "invoices", "invoice", "invoice", "invoicesUpdateResponse"},
    {"markets_Update", "markets", "market", "market", "marketsUpdateResponse"},
    {"orders_Update", "orders", "order", "order", "ordersUpdateResponse"},
    {"paymentterms_Update", "paymentterms", "paymentterms", "paymentterms",
     "paymenttermsUpdateResponse"},
    {"pricealterationdates_Update", "pricealterationdates", "pricealterationdate",
     "pricealterationdate", "pricealterationdatesUpdateResponse"},
    {"pricelists_Update", "pricelists", "pricelist", "pricelist", "pricelistsUpdateResponse"},
    {"products_Update", "products", "product", "product", "productsUpdateResponse"},
    {"salesreps_Update", "salesreps", "salesrep", "salesrep", "salesrepsUpdateResponse"},
    {"shippingterms_Update", "shippingterms", "shippingterms", "shippingterms",
     "shippingtermsUpdateResponse"},
    {"sizes_Update", "sizes", "size", "sizetable", "sizesUpdateResponse"},
    {"warehouses_Update", "warehouses", "warehouse", "warehouse", "warehousesUpdateResponse"},
};

/* --- results ------------------------------------------------------------------------- */

static void
add_message(char ***list, size_t *n, const char *fmt, va_list ap)
{
    char buf[1024];

    vsnprintf(buf, sizeof(buf), fmt, ap);
    *list = xrealloc_array(*list, *n + 1, sizeof(char *));
    (*list)[(*n)++] = xstrdup(buf);
}

void
sim_result_error(SimResult *res, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    add_message(&res->errors, &res->nerrors, fmt, ap);
    va_end(ap);
}

void
sim_result_notice(SimResult *res, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    add_message(&res->notices, &res->nnotices, fmt, ap);
    va_end(ap);
}

void
sim_result_free(SimResult *res)
{
    for (size_t i = 0; i < res->nerrors; i++)
        xfree(res->errors[i]);
    for (size_t i = 0; i < res->nnotices; i++)
        xfree(res->notices[i]);
    xfree(res->errors);
    xfree(res->notices);
    memset(res, 0, sizeof(*res));
}

bool
sim_update_known(const char *op, const char **response_name)
{
    for (size_t i = 0; i < CB_LENGTH(update_ops); i++) {
        if (strcmp(update_ops[i].op, op) == 0) {
            if (response_name != NULL)
                *response_name = update_ops[i].response;
            return true;
        }
    }
    return false;
}

/* --- staging -------------------------------------------------------------------------- */

/*
 * A request works on copies ("staged" objects); they replace the stored ones
 * only if the whole request succeeds, and only those that really changed.
 */
typedef struct Staged {
    char *type;      /* object type, "order" for orders */
    char *id;        /* object id */
    XmlNode *node;   /* the working copy, owned */
    XmlNode *before; /* the state it was copied from, owned; NULL for a new object */
} Staged;

typedef struct Stage {
    SimStore *s;   /* the store */
    Staged *items; /* staged objects */
    size_t n;
    size_t alloc;
    HashMap *index;      /* "type/id" -> 1 + index into items */
    HashMap *variations; /* variation id -> product id (xstrdup) for new variations */
    char **refund_ids;   /* refund ids taken by this request */
    char **refund_order; /* the order of each */
    size_t nrefunds;
} Stage;

static void
stage_key(char *buf, size_t size, const char *type, const char *id)
{
    snprintf(buf, size, "%s\x1f%s", type, id);
}

static Staged *
stage_find(const Stage *st, const char *type, const char *id)
{
    char key[512];
    uintptr_t i;

    stage_key(key, sizeof(key), type, id);
    i = (uintptr_t)hashmap_get(st->index, key);
    return i > 0 ? &st->items[i - 1] : NULL;
}

static XmlNode *
stage_add(Stage *st, const char *type, const char *id, XmlNode *node, XmlNode *before)
{
    char key[512];

    if (st->n == st->alloc) {
        st->alloc = st->alloc == 0 ? 8 : st->alloc * 2;
        st->items = xrealloc_array(st->items, st->alloc, sizeof(Staged));
    }
    st->items[st->n].type = xstrdup(type);
    st->items[st->n].id = xstrdup(id);
    st->items[st->n].node = node;
    st->items[st->n].before = before;
    stage_key(key, sizeof(key), type, id);
    hashmap_put(st->index, key, (void *)(uintptr_t)(st->n + 1));
    return st->items[st->n++].node;
}

/* The working copy of (type, id) for changing it, or NULL if there is no such object. */
static XmlNode *
stage_get(Stage *st, const char *type, const char *id)
{
    const Staged *it = stage_find(st, type, id);
    XmlNode *node;

    if (it != NULL)
        return it->node;
    if (strcmp(type, "order") == 0) {
        node = sim_store_order_copy(st->s, id);
    } else {
        const XmlNode *orig = sim_store_object(st->s, type, id);

        node = orig != NULL ? xml_copy(orig) : NULL;
    }
    if (node == NULL)
        return NULL;
    return stage_add(st, type, id, node, xml_copy(node));
}

/* The current state of object (type, id) for reading only (not orders), or NULL. */
static const XmlNode *
stage_peek(const Stage *st, const char *type, const char *id)
{
    const Staged *it = stage_find(st, type, id);

    return it != NULL ? it->node : sim_store_object(st->s, type, id);
}

/* Stage a new object (owned by the stage from now on). */
static XmlNode *
stage_new(Stage *st, const char *type, const char *id, XmlNode *node)
{
    return stage_add(st, type, id, node, NULL);
}

static void
stage_refund(Stage *st, const char *rid, const char *oid)
{
    st->refund_ids = xrealloc_array(st->refund_ids, st->nrefunds + 1, sizeof(char *));
    st->refund_order = xrealloc_array(st->refund_order, st->nrefunds + 1, sizeof(char *));
    st->refund_ids[st->nrefunds] = xstrdup(rid);
    st->refund_order[st->nrefunds++] = xstrdup(oid);
}

static bool
free_owned(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    xfree(value);
    return true;
}

static void
stage_free(Stage *st)
{
    for (size_t i = 0; i < st->n; i++) {
        xfree(st->items[i].type);
        xfree(st->items[i].id);
        xml_free(st->items[i].node);
        xml_free(st->items[i].before);
    }
    for (size_t i = 0; i < st->nrefunds; i++) {
        xfree(st->refund_ids[i]);
        xfree(st->refund_order[i]);
    }
    xfree(st->refund_ids);
    xfree(st->refund_order);
    xfree(st->items);
    hashmap_free(st->index);
    hashmap_each(st->variations, free_owned, NULL);
    hashmap_free(st->variations);
    memset(st, 0, sizeof(*st));
}

/* Queue an order event with the order's full state (Centra does on every change). */
static void
enqueue_order_event(SimStore *s, const char *id, const XmlNode *order)
{
    DynBuf buf;
    XmlWriter w;
    char now[32];
    Error err;

    dynbuf_init(&buf, 64u * 1024 * 1024);
    xw_init(&w, &buf, s->style.prefix, true, EVENT_DATA_DEPTH);
    xml_write(&w, order);
    sim_now(now, sizeof(now), SIM_TIME_EVENT);
    if (sim_store_append(s, "order", id, "update", now, xml_path_text(order, "market/id"),
                         dynbuf_str(&buf), 0, &err) == 0)
        fprintf(stderr, "centra-sim: could not queue the order event: %s\n", err.message);
    dynbuf_free(&buf);
}

static void
stage_commit(Stage *st)
{
    for (size_t i = 0; i < st->n; i++) {
        Staged *it = &st->items[i];

        /* Read, or changed back to what it was: nothing to store, no event. */
        if (it->before != NULL && xml_equal(it->before, it->node))
            continue;
        if (strcmp(it->type, "order") == 0) {
            enqueue_order_event(st->s, it->id, it->node);
            sim_store_put_order(st->s, it->id, it->node);
        } else {
            sim_store_put_object(st->s, it->type, it->id, it->node);
        }
        it->node = NULL;
    }
    for (size_t i = 0; i < st->nrefunds; i++) {
        xfree(hashmap_put(st->s->refunds, st->refund_ids[i], st->refund_order[i]));
        st->refund_order[i] = NULL;
    }
}

/* --- merging ---------------------------------------------------------------------------- */

static XmlNode *
find_with_id(const XmlNode *parent, const char *name, const char *id)
{
    for (XmlNode *c = xml_child(parent, name); c != NULL; c = xml_next(parent, name, c)) {
        const char *cid = xml_child_text(c, "id");

        if (cid != NULL && strcmp(cid, id) == 0)
            return c;
    }
    return NULL;
}

static void
merge(XmlNode *dst, const XmlNode *src)
{
    for (size_t i = 0; i < src->nkids; i++) {
        const XmlNode *c = src->kids[i];
        const char *id =
            xml_child(c, "id") != NULL && c->nkids > 0 ? xml_child_text(c, "id") : NULL;
        XmlNode *d;

        if (id != NULL) {
            d = find_with_id(dst, c->name, id);
        } else {
            d = xml_child(dst, c->name);
        }
        if (d == NULL) {
            xml_append(dst, xml_copy(c));
        } else if (c->nkids == 0) {
            /* A leaf replaces, and an empty list element clears nothing. */
            if (d->nkids == 0)
                xml_set_text(d, c->text);
        } else {
            merge(d, c);
        }
    }
}

/* --- helpers ------------------------------------------------------------------------------ */

static bool
has_text(const char *s)
{
    return s != NULL && s[0] != '\0';
}

static bool
parse_qty(const char *text, long long *out)
{
    return text != NULL && str_to_ll(text, out);
}

/* Whether any product variation uses sizetable id. */
typedef struct UseCheck {
    const char *sizetable; /* id looked for */
    bool used;             /* found */
} UseCheck;

static bool
uses_sizetable(const char *key, void *value, void *arg)
{
    UseCheck *u = arg;
    const XmlNode *vars;

    if (!str_starts_with(key, "product\x1f"))
        return true;
    vars = xml_child(value, "variations");
    for (XmlNode *v = xml_child(vars, "variation"); v != NULL; v = xml_next(vars, "variation", v)) {
        const char *st = xml_path_text(v, "sizetable/id");

        if (st != NULL && strcmp(st, u->sizetable) == 0) {
            u->used = true;
            return false;
        }
    }
    return true;
}

/* --- products --------------------------------------------------------------------------------- */

/*
 * The product that variation vid belongs to, or NULL: variation ids are
 * unique across products, including products earlier in the same request.
 */
static const char *
variation_owner(const Stage *st, const char *vid)
{
    const char *owner = hashmap_get(st->variations, vid);

    return owner != NULL ? owner : sim_store_variation_owner(st->s, vid);
}

static bool
creates_something(const XmlNode *n)
{
    static const char *const fields[] = {"description", "status",     "sku",    "folder",
                                         "brand",       "collection", "stockid"};

    for (size_t i = 0; i < CB_LENGTH(fields); i++)
        if (xml_child(n, fields[i]) != NULL)
            return true;
    return false;
}

static void
check_stock(SimResult *res, Stage *st, const char *pid, const char *vid, const char *sizetable,
            const XmlNode *v)
{
    const XmlNode *sizes = xml_child(v, "sizes");
    const XmlNode *table = sizetable != NULL ? stage_peek(st, "sizetable", sizetable) : NULL;

    for (XmlNode *z = xml_child(sizes, "size"); z != NULL; z = xml_next(sizes, "size", z)) {
        const char *zid = xml_child_text(z, "id");
        const XmlNode *wh = xml_child(z, "warehouseitems");

        if (!has_text(zid)) {
            sim_result_error(res, "Product %s, variation %s: a size has no id", pid, vid);
            continue;
        }
        if (table != NULL && find_with_id(xml_child(table, "sizes"), "size", zid) == NULL)
            sim_result_error(res,
                             "Size %s does not exist in sizetable %s (product %s, variation %s)",
                             zid, sizetable, pid, vid);
        for (XmlNode *w = xml_child(wh, "warehouse"); w != NULL; w = xml_next(wh, "warehouse", w)) {
            long long qty;
            const char *wid = xml_child_text(w, "id");

            if (!has_text(wid)) {
                sim_result_error(res, "Product %s, variation %s, size %s: a warehouse has no id",
                                 pid, vid, zid);
                continue;
            }
            if (!parse_qty(xml_child_text(w, "qty"), &qty) || qty < 0)
                sim_result_error(res,
                                 "Invalid stock quantity \"%s\" for product %s, variation "
                                 "%s, size %s in warehouse %s",
                                 xml_child_text(w, "qty") != NULL ? xml_child_text(w, "qty") : "",
                                 pid, vid, zid, wid);
        }
    }
}

static void
apply_product(SimResult *res, Stage *st, const XmlNode *p)
{
    const char *pid = xml_child_text(p, "id");
    XmlNode *stored;
    const XmlNode *vars = xml_child(p, "variations");

    if (!has_text(pid)) {
        sim_result_error(res, "A product has no id");
        return;
    }
    stored = stage_get(st, "product", pid);
    if (stored == NULL && !creates_something(p)) {
        sim_result_error(res, "Product %s does not exist", pid);
        return;
    }
    for (XmlNode *v = xml_child(vars, "variation"); v != NULL; v = xml_next(vars, "variation", v)) {
        const char *vid = xml_child_text(v, "id");
        const XmlNode *sv;
        const char *sizetable;
        const char *owner;

        if (!has_text(vid)) {
            sim_result_error(res, "Product %s: a variation has no id", pid);
            continue;
        }
        sv =
            stored != NULL ? find_with_id(xml_child(stored, "variations"), "variation", vid) : NULL;
        if (sv == NULL && !creates_something(v)) {
            sim_result_error(res, "Variation %s does not exist on product %s", vid, pid);
            continue;
        }
        owner = variation_owner(st, vid);
        if (owner != NULL && strcmp(owner, pid) != 0) {
            sim_result_error(res, "Variation id %s is already used by product %s", vid, owner);
            continue;
        }
        if (owner == NULL)
            hashmap_put(st->variations, vid, xstrdup(pid));
        sizetable = xml_path_text(v, "sizetable/id");
        if (sizetable == NULL && sv != NULL)
            sizetable = xml_path_text(sv, "sizetable/id");
        if (sizetable != NULL && stage_peek(st, "sizetable", sizetable) == NULL) {
            sim_result_error(res, "Sizetable %s does not exist", sizetable);
            continue;
        }
        check_stock(res, st, pid, vid, sizetable, v);
    }
    if (res->nerrors > 0)
        return;
    /* Stock to an unknown warehouse creates it, as in Centra. */
    for (XmlNode *v = xml_child(vars, "variation"); v != NULL; v = xml_next(vars, "variation", v)) {
        const XmlNode *sizes = xml_child(v, "sizes");

        for (XmlNode *z = xml_child(sizes, "size"); z != NULL; z = xml_next(sizes, "size", z)) {
            const XmlNode *wh = xml_child(z, "warehouseitems");

            for (XmlNode *w = xml_child(wh, "warehouse"); w != NULL;
                 w = xml_next(wh, "warehouse", w)) {
                const char *wid = xml_child_text(w, "id");

                if (stage_peek(st, "warehouse", wid) == NULL) {
                    XmlNode *nw = xml_new("warehouse", NULL);

                    xml_add(nw, "id", wid);
                    stage_new(st, "warehouse", wid, nw);
                    sim_result_notice(res, "Created new warehouse: %s", wid);
                }
            }
        }
    }
    if (stored == NULL)
        stage_new(st, "product", pid, xml_copy(p));
    else
        merge(stored, p);
}

/* --- pricelists ------------------------------------------------------------------------------- */

static void
check_price(SimResult *res, const char *what, const XmlNode *n)
{
    static const char *const fields[] = {"price", "priceb", "alteredprice", "alteredpriceb"};

    for (size_t i = 0; i < CB_LENGTH(fields); i++) {
        const char *t = xml_child_text(n, fields[i]);
        char *end;

        if (t == NULL)
            continue;
        if (t[0] == '\0' || (strtod(t, &end), *end != '\0'))
            sim_result_error(res, "Invalid %s \"%s\" for %s", fields[i], t, what);
    }
}

static void
apply_pricelist(SimResult *res, Stage *st, const XmlNode *pl)
{
    const char *id = xml_child_text(pl, "id");
    const XmlNode *items = xml_child(pl, "items");
    size_t before = res->nerrors;
    XmlNode *stored;

    if (!has_text(id)) {
        sim_result_error(res, "A pricelist has no id");
        return;
    }
    for (XmlNode *p = xml_child(items, "product"); p != NULL; p = xml_next(items, "product", p)) {
        const char *pid = xml_child_text(p, "id");
        const XmlNode *prod;
        char what[300];

        if (!has_text(pid)) {
            sim_result_error(res, "Pricelist %s: a product has no id", id);
            continue;
        }
        prod = stage_peek(st, "product", pid);
        if (prod == NULL) {
            sim_result_error(res, "Pricelist %s: product %s does not exist", id, pid);
            continue;
        }
        snprintf(what, sizeof(what), "product %s in pricelist %s", pid, id);
        check_price(res, what, p);
        for (XmlNode *v = xml_child(p, "variation"); v != NULL; v = xml_next(p, "variation", v)) {
            const char *vid = xml_child_text(v, "id");

            if (!has_text(vid) ||
                find_with_id(xml_child(prod, "variations"), "variation", vid) == NULL) {
                sim_result_error(res, "Pricelist %s: variation %s does not exist on product %s", id,
                                 vid != NULL ? vid : "", pid);
                continue;
            }
            snprintf(what, sizeof(what), "variation %s in pricelist %s", vid, id);
            check_price(res, what, v);
        }
    }
    if (res->nerrors > before)
        return;
    stored = stage_get(st, "pricelist", id);
    if (stored == NULL)
        stage_new(st, "pricelist", id, xml_copy(pl));
    else
        merge(stored, pl);
}

/* --- sizes ------------------------------------------------------------------------------------ */

static void
apply_size(SimResult *res, Stage *st, const XmlNode *z)
{
    const char *zid = xml_child_text(z, "id");
    const char *tid = xml_path_text(z, "sizetable/id");
    const char *zdesc = xml_child_text(z, "description");
    const char *tdesc = xml_path_text(z, "sizetable/description");
    XmlNode *table;
    XmlNode *sizes;
    XmlNode *nz;
    UseCheck use;

    if (!has_text(zid) || !has_text(tid)) {
        sim_result_error(res, "A size needs an id and a sizetable id");
        return;
    }
    table = stage_get(st, "sizetable", tid);
    if (table == NULL) {
        table = xml_new("sizetable", NULL);
        xml_add(table, "id", tid);
        xml_add(table, "description", tdesc);
        xml_add(table, "sizes", NULL);
        stage_new(st, "sizetable", tid, table);
    }
    sizes = xml_child(table, "sizes");
    if (find_with_id(sizes, "size", zid) != NULL)
        return; /* already there: nothing changes, no notice */
    use.sizetable = tid;
    use.used = false;
    hashmap_each(st->s->objects, uses_sizetable, &use);
    if (use.used) {
        sim_result_error(res,
                         "Sizetable %s cannot be changed once it is in use: size %s was not "
                         "added",
                         tid, zid);
        return;
    }
    nz = xml_add(sizes, "size", NULL);
    xml_add(nz, "id", zid);
    xml_add(nz, "description", zdesc);
    /* Centra's own wording, e.g. "Added new size: S: Small to: Small Medium Large!" */
    sim_result_notice(
        res, "Added new size: %s: %s to: %s!", zid, zdesc != NULL ? zdesc : "",
        xml_child_text(table, "description") != NULL ? xml_child_text(table, "description") : tid);
}

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
            const char *oi = xml_path_text(z, "orderitem/id");

            if (oi != NULL && strcmp(oi, orderitem) == 0) {
                if (product != NULL)
                    *product = p;
                return z;
            }
        }
    }
    return NULL;
}

/* Sum of qty of sizes with orderitem in a product list (shipments, refunds). */
static long long
qty_in(const XmlNode *products, const char *orderitem)
{
    long long sum = 0;

    for (XmlNode *p = xml_child(products, "product"); p != NULL;
         p = xml_next(products, "product", p)) {
        const XmlNode *sizes = xml_child(p, "sizes");

        for (XmlNode *z = xml_child(sizes, "size"); z != NULL; z = xml_next(sizes, "size", z)) {
            const char *oi = xml_path_text(z, "orderitem/id");
            long long q;

            if (oi != NULL && strcmp(oi, orderitem) == 0 && parse_qty(xml_child_text(z, "qty"), &q))
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

static void
money(char *buf, size_t size, double v)
{
    snprintf(buf, size, "%.2f", v);
}

/*
 * A product node for qty units of the order line z of product p: the
 * product's fields with a single size (used in shipments, refunds and
 * cancelled).
 */
static XmlNode *
line_product(const XmlNode *p, const XmlNode *z, long long qty)
{
    static const char *const keep[] = {"id",    "tax",      "sku",         "origprice",
                                       "price", "discount", "description", "variation",
                                       "brand", "comment"};
    XmlNode *n = xml_new("product", NULL);
    XmlNode *sizes;
    XmlNode *nz;
    char buf[64];
    double price = 0;

    for (size_t i = 0; i < CB_LENGTH(keep); i++) {
        const XmlNode *c = xml_child(p, keep[i]);

        if (c != NULL)
            xml_append(n, xml_copy(c));
    }
    if (xml_child_text(p, "price") != NULL)
        price = strtod(xml_child_text(p, "price"), NULL);
    snprintf(buf, sizeof(buf), "%lld", qty);
    xml_add(n, "qty", buf);
    money(buf, sizeof(buf), price * (double)qty);
    xml_add(n, "subtotal", buf);
    sizes = xml_add(n, "sizes", NULL);
    nz = xml_add(sizes, "size", NULL);
    xml_add(nz, "id", xml_child_text(z, "id"));
    xml_add(nz, "sku", xml_child_text(z, "sku"));
    snprintf(buf, sizeof(buf), "%lld", qty);
    xml_add(nz, "qty", buf);
    xml_add(nz, "preorder", xml_child_text(z, "preorder"));
    xml_add(nz, "description", xml_child_text(z, "description"));
    xml_append(nz, xml_copy(xml_child(z, "orderitem")));
    return n;
}

static void
set_child_text(XmlNode *n, const char *name, const char *text)
{
    XmlNode *c = xml_child(n, name);

    if (c == NULL)
        xml_add(n, name, text);
    else
        xml_set_text(c, text);
}

/* Requested (orderitem, qty) pairs of a product list of an update. */
typedef struct Req {
    const char *orderitem; /* NULL: matched by product/variation/size */
    const char *product;
    const char *variation;
    const char *size;
    long long qty;
} Req;

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
            if (!parse_qty(xml_child_text(z, "qty"), &r->qty) || r->qty <= 0) {
                sim_result_error(res, "%s: invalid quantity \"%s\"", what,
                                 xml_child_text(z, "qty") != NULL ? xml_child_text(z, "qty") : "");
                continue;
            }
            n++;
        }
    }
    return n;
}

static void
apply_cancelled(SimResult *res, XmlNode *order, const char *oid, const XmlNode *cancelled)
{
    Req reqs[256];
    char what[128];
    size_t n;
    XmlNode *target = xml_child(order, "cancelled");

    snprintf(what, sizeof(what), "Order %s, cancelled", oid);
    n = collect_requests(res, what, cancelled, reqs, CB_LENGTH(reqs));
    for (size_t i = 0; i < n; i++) {
        XmlNode *p;
        XmlNode *z;
        long long have;
        char buf[32];

        if (!has_text(reqs[i].orderitem)) {
            sim_result_error(res, "Order %s: a cancelled line must name its orderitem", oid);
            continue;
        }
        z = find_line(order, reqs[i].orderitem, &p);
        if (z == NULL) {
            sim_result_error(res, "Order %s has no orderitem %s", oid, reqs[i].orderitem);
            continue;
        }
        if (!parse_qty(xml_child_text(z, "qty"), &have))
            have = 0;
        if (reqs[i].qty > have - shipped_qty(order, reqs[i].orderitem)) {
            sim_result_error(res,
                             "Order %s: cannot cancel %lld of orderitem %s, only %lld are "
                             "not shipped",
                             oid, reqs[i].qty, reqs[i].orderitem,
                             have - shipped_qty(order, reqs[i].orderitem));
            continue;
        }
        snprintf(buf, sizeof(buf), "%lld", have - reqs[i].qty);
        set_child_text(z, "qty", buf);
        if (target == NULL)
            target = xml_add(order, "cancelled", NULL);
        xml_append(target, line_product(p, z, reqs[i].qty));
    }
}

static XmlNode *
find_refund(const XmlNode *order, const char *rid)
{
    const XmlNode *ships = xml_child(order, "shipments");

    for (XmlNode *sh = xml_child(ships, "shipment"); sh != NULL;
         sh = xml_next(ships, "shipment", sh)) {
        XmlNode *r = find_with_id(xml_child(sh, "refunds"), "refund", rid);

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
    char *end;
    long n;

    for (size_t i = 0; i < st->nrefunds; i++)
        if (strcmp(st->refund_ids[i], rid) == 0)
            return strcmp(st->refund_order[i], oid) != 0;
    if (owner != NULL)
        return strcmp(owner, oid) != 0;
    /* Generated orders number their refunds R<order index + 1>. */
    if (rid[0] == 'R' && (n = strtol(rid + 1, &end, 10)) > 0 && *end == '\0') {
        char gen_id[32];
        const XmlNode *o;

        snprintf(gen_id, sizeof(gen_id), "%ld", SIM_ORDER_ID_BASE + n);
        if (strcmp(gen_id, oid) != 0 && (o = stage_get(st, "order", gen_id)) != NULL)
            return find_refund(o, rid) != NULL;
    }
    return false;
}

static void
apply_refund(SimResult *res, Stage *st, XmlNode *order, const char *oid, XmlNode *ship,
             const XmlNode *r)
{
    const char *rid = xml_child_text(r, "id");
    const char *sid = xml_child_text(ship, "id");
    XmlNode *refunds;
    XmlNode *existing;
    XmlNode *nr;
    Req reqs[256];
    size_t n;
    char what[160];

    if (!has_text(rid)) {
        sim_result_error(res, "Order %s, shipment %s: a refund has no id", oid, sid);
        return;
    }
    existing = find_refund(order, rid);
    if (existing != NULL) {
        merge(existing, r);
        return;
    }
    if (refund_taken(st, rid, oid)) {
        sim_result_error(res, "Refund id %s is already used: refund ids must be unique", rid);
        return;
    }
    if (!has_text(xml_child_text(ship, "shipped")) ||
        strcmp(xml_child_text(ship, "shipped"), "yes") != 0) {
        sim_result_error(res, "Order %s: shipment %s is not shipped, there is nothing to refund",
                         oid, sid);
        return;
    }
    snprintf(what, sizeof(what), "Order %s, refund %s", oid, rid);
    n = collect_requests(res, what, xml_child(r, "products"), reqs, CB_LENGTH(reqs));
    nr = xml_new("refund", NULL);
    xml_add(nr, "id", rid);
    xml_append(nr, xml_new("products", NULL));
    for (size_t i = 0; i < n; i++) {
        const XmlNode *sp = xml_child(ship, "products");
        XmlNode *found_p = NULL;
        XmlNode *found_z = NULL;

        /* Match the shipment's line by orderitem, or by product, variation and size. */
        for (XmlNode *p = xml_child(sp, "product"); p != NULL && found_z == NULL;
             p = xml_next(sp, "product", p)) {
            const XmlNode *sizes = xml_child(p, "sizes");

            for (XmlNode *z = xml_child(sizes, "size"); z != NULL; z = xml_next(sizes, "size", z)) {
                const char *oi = xml_path_text(z, "orderitem/id");
                bool match =
                    has_text(reqs[i].orderitem)
                        ? oi != NULL && strcmp(oi, reqs[i].orderitem) == 0
                        : reqs[i].product != NULL && reqs[i].size != NULL &&
                              strcmp(xml_child_text(p, "id"), reqs[i].product) == 0 &&
                              strcmp(xml_child_text(z, "id"), reqs[i].size) == 0 &&
                              (reqs[i].variation == NULL ||
                               strcmp(xml_path_text(p, "variation/id"), reqs[i].variation) == 0);

                if (match) {
                    found_p = p;
                    found_z = z;
                    break;
                }
            }
        }
        if (found_z == NULL) {
            sim_result_error(res,
                             "Order %s, refund %s: shipment %s has no such line (product %s, "
                             "size %s)",
                             oid, rid, sid, reqs[i].product != NULL ? reqs[i].product : "",
                             reqs[i].size != NULL ? reqs[i].size : "");
            continue;
        }
        {
            long long shipped;
            const char *oi = xml_path_text(found_z, "orderitem/id");
            long long refunded = 0;
            const XmlNode *refunds_n = xml_child(ship, "refunds");

            parse_qty(xml_child_text(found_z, "qty"), &shipped);
            for (XmlNode *rr = xml_child(refunds_n, "refund"); rr != NULL;
                 rr = xml_next(refunds_n, "refund", rr))
                refunded += qty_in(xml_child(rr, "products"), oi);
            if (reqs[i].qty > shipped - refunded) {
                sim_result_error(res,
                                 "Order %s, refund %s: cannot return %lld of orderitem %s, "
                                 "%lld shipped and %lld already returned",
                                 oid, rid, reqs[i].qty, oi, shipped, refunded);
                continue;
            }
            xml_append(xml_child(nr, "products"), line_product(found_p, found_z, reqs[i].qty));
        }
    }
    if (res->nerrors > 0) {
        xml_free(nr);
        return;
    }
    {
        static const char *const blocks[] = {"shipping", "handling", "voucher", "returnfee"};

        for (size_t b = 0; b < CB_LENGTH(blocks); b++) {
            const XmlNode *given = xml_child(r, blocks[b]);
            XmlNode *blk = xml_add(nr, blocks[b], NULL);

            xml_add(blk, "subtotal",
                    given != NULL && xml_child_text(given, "subtotal") != NULL
                        ? xml_child_text(given, "subtotal")
                        : "0.00");
        }
    }
    xml_add(nr, "comment", xml_child_text(r, "comment"));
    xml_add(nr, "status",
            has_text(xml_child_text(r, "status")) ? xml_child_text(r, "status") : "confirmed");
    refunds = xml_child(ship, "refunds");
    if (refunds == NULL)
        refunds = xml_add(ship, "refunds", NULL);
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
    XmlNode *pay;
    double sum = 0;
    char buf[32];

    if (has_text(xml_child_text(ship, "paid")) && strcmp(xml_child_text(ship, "paid"), "yes") == 0)
        return; /* already captured: capture=yes is always safe to send */
    set_child_text(ship, "paid", "yes");
    set_child_text(ship, "paidtotal", total);
    if (payments == NULL ||
        strcmp(xml_child_text(payments, "type") != NULL ? xml_child_text(payments, "type") : "",
               "cc") != 0)
        return; /* invoice payments are not captured */
    sim_now(now, sizeof(now), SIM_TIME_ISO);
    pay = xml_add(payments, "payment", NULL);
    xml_add(pay, "type", "capture");
    xml_add(pay, "value", total);
    xml_add(pay, "created", now);
    xml_add(pay, "transaction", "capture-sim");
    for (XmlNode *p = xml_child(payments, "payment"); p != NULL;
         p = xml_next(payments, "payment", p))
        if (strcmp(xml_child_text(p, "type"), "capture") == 0)
            sum += strtod(xml_child_text(p, "value"), NULL);
    money(buf, sizeof(buf), sum);
    set_child_text(payments, "total", buf);
    set_child_text(payments, "status", "success");
}

static XmlNode *
new_shipment(SimResult *res, XmlNode *order, const char *oid, const XmlNode *sh)
{
    const char *sid = xml_child_text(sh, "id");
    XmlNode *n;
    XmlNode *prods;
    Req reqs[256];
    size_t nreq;
    char what[160];
    char buf[64];
    char now[32];
    double goods = 0;
    double shipping = 0;
    const XmlNode *ships = xml_child(order, "shipments");
    size_t appendix = xml_count(ships, "shipment") + 1;

    snprintf(what, sizeof(what), "Order %s, shipment %s", oid, sid);
    if (xml_child(sh, "products") == NULL) {
        sim_result_error(res, "Order %s has no shipment %s (a new shipment needs its products)",
                         oid, sid);
        return NULL;
    }
    nreq = collect_requests(res, what, xml_child(sh, "products"), reqs, CB_LENGTH(reqs));
    n = xml_new("shipment", NULL);
    xml_add(n, "id", sid);
    xml_add(n, "paid", "no");
    xml_add(n, "shipped", "no");
    xml_add(n, "goodtogo", "no");
    snprintf(buf, sizeof(buf), "%zu", appendix);
    xml_add(n, "appendix",
            has_text(xml_child_text(sh, "appendix")) ? xml_child_text(sh, "appendix") : buf);
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

        if (!has_text(reqs[i].orderitem)) {
            sim_result_error(res, "%s: a line must name its orderitem", what);
            continue;
        }
        z = find_line(order, reqs[i].orderitem, &p);
        if (z == NULL) {
            sim_result_error(res, "Order %s has no orderitem %s", oid, reqs[i].orderitem);
            continue;
        }
        parse_qty(xml_child_text(z, "qty"), &have);
        shipped = shipped_qty(order, reqs[i].orderitem);
        if (reqs[i].qty > have - shipped) {
            sim_result_error(res,
                             "%s: cannot ship %lld of orderitem %s, %lld ordered and %lld "
                             "already in shipments",
                             what, reqs[i].qty, reqs[i].orderitem, have, shipped);
            continue;
        }
        xml_append(prods, line_product(p, z, reqs[i].qty));
        goods +=
            strtod(xml_child_text(p, "price") != NULL ? xml_child_text(p, "price") : "0", NULL) *
            (double)reqs[i].qty;
    }
    xml_add(n, "refunds", NULL);
    if (xml_path_text(sh, "shipping/subtotal") != NULL)
        shipping = strtod(xml_path_text(sh, "shipping/subtotal"), NULL);
    money(buf, sizeof(buf), shipping);
    xml_add(xml_add(n, "shipping", NULL), "subtotal", buf);
    xml_add(xml_add(n, "handling", NULL), "subtotal", "0.00");
    xml_add(xml_add(n, "voucher", NULL), "subtotal", "0.00");
    money(buf, sizeof(buf), goods + shipping);
    set_child_text(n, "shipmenttotal", buf);
    return n;
}

static void
apply_shipments(SimResult *res, Stage *st, XmlNode *order, const char *oid, const XmlNode *ships)
{
    for (XmlNode *sh = xml_child(ships, "shipment"); sh != NULL;
         sh = xml_next(ships, "shipment", sh)) {
        const char *sid = xml_child_text(sh, "id");
        XmlNode *target = NULL;
        XmlNode *existing;
        XmlNode *copy;
        XmlNode *order_ships;

        if (!has_text(sid)) {
            sim_result_error(res, "Order %s: a shipment has no id", oid);
            continue;
        }
        order_ships = xml_child(order, "shipments");
        existing = find_with_id(order_ships, "shipment", sid);
        if (existing != NULL && xml_child(sh, "products") != NULL) {
            sim_result_error(res, "Order %s: shipment %s exists; its products cannot be changed",
                             oid, sid);
            continue;
        }
        if (existing == NULL) {
            target = new_shipment(res, order, oid, sh);
            if (target == NULL || res->nerrors > 0) {
                xml_free(target);
                continue;
            }
            if (order_ships == NULL)
                order_ships = xml_add(order, "shipments", NULL);
            xml_append(order_ships, target);
        } else {
            target = existing;
        }
        /* Flags, carrier information and costs sent with it; products and refunds apart. */
        copy = xml_copy(sh);
        for (size_t i = copy->nkids; i > 0; i--) {
            const char *name = copy->kids[i - 1]->name;

            if (strcmp(name, "products") == 0 || strcmp(name, "refunds") == 0 ||
                strcmp(name, "capture") == 0 || strcmp(name, "appendix") == 0)
                xml_delete(copy->kids[i - 1]);
        }
        merge(target, copy);
        xml_free(copy);
        if (has_text(xml_child_text(sh, "capture")) &&
            strcmp(xml_child_text(sh, "capture"), "yes") == 0)
            capture(order, target);
        {
            const XmlNode *refunds = xml_child(sh, "refunds");

            for (XmlNode *r = xml_child(refunds, "refund"); r != NULL;
                 r = xml_next(refunds, "refund", r))
                apply_refund(res, st, order, oid, target, r);
        }
    }
}

static void
apply_order(SimResult *res, Stage *st, const XmlNode *item)
{
    const char *oid = xml_child_text(item, "id");
    XmlNode *order;
    XmlNode *fields;

    if (!has_text(oid)) {
        sim_result_error(res, "An order has no id");
        return;
    }
    order = stage_get(st, "order", oid);
    if (order == NULL) {
        sim_result_error(res, "Order %s does not exist", oid);
        return;
    }
    /* Plain fields (status, locked, addresses, ...) merge; the lists have rules. */
    fields = xml_copy(item);
    for (size_t i = fields->nkids; i > 0; i--) {
        const char *name = fields->kids[i - 1]->name;

        if (strcmp(name, "products") == 0 || strcmp(name, "cancelled") == 0 ||
            strcmp(name, "shipments") == 0 || strcmp(name, "id") == 0 ||
            strcmp(name, "ordernumber") == 0)
            xml_delete(fields->kids[i - 1]);
    }
    merge(order, fields);
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
}

/* --- everything else ----------------------------------------------------------------------- */

static void
apply_generic(SimResult *res, Stage *st, const UpdateOp *u, const XmlNode *item)
{
    const char *id = xml_child_text(item, "id");
    XmlNode *stored;

    if (!has_text(id)) {
        sim_result_error(res, "%s: an item <%s> has no id", u->op, u->item);
        return;
    }
    stored = stage_get(st, u->type, id);
    if (stored == NULL)
        stage_new(st, u->type, id, xml_copy(item));
    else
        merge(stored, item);
}

void
sim_update_apply(SimStore *s, const char *op, const XmlNode *opnode, SimResult *res)
{
    const UpdateOp *u = NULL;
    const XmlNode *list;
    Stage st = {s, NULL, 0, 0, hashmap_new(), hashmap_new(), NULL, NULL, 0};
    size_t nitems = 0;

    for (size_t i = 0; i < CB_LENGTH(update_ops); i++)
        if (strcmp(update_ops[i].op, op) == 0)
            u = &update_ops[i];
    if (u == NULL) {
        sim_result_error(res, "Unknown operation %s", op);
        return;
    }
    list = xml_child(opnode, u->list);
    if (list == NULL) {
        sim_result_error(res, "%s: the request has no <%s> element", op, u->list);
        return;
    }
    for (XmlNode *item = xml_child(list, u->item); item != NULL;
         item = xml_next(list, u->item, item)) {
        nitems++;
        if (strcmp(op, "products_Update") == 0)
            apply_product(res, &st, item);
        else if (strcmp(op, "pricelists_Update") == 0)
            apply_pricelist(res, &st, item);
        else if (strcmp(op, "sizes_Update") == 0)
            apply_size(res, &st, item);
        else if (strcmp(op, "orders_Update") == 0)
            apply_order(res, &st, item);
        else
            apply_generic(res, &st, u, item);
    }
    if (nitems == 0)
        sim_result_notice(res, "%s: no <%s> items in the request", op, u->item);
    if (res->nerrors == 0)
        stage_commit(&st);
    else {
        /* All or nothing: a failed request changes nothing, notices included. */
        for (size_t i = 0; i < res->nnotices; i++)
            xfree(res->notices[i]);
        res->nnotices = 0;
    }
    stage_free(&st);
}
