/*
 * tests/sim/sim_update.c
 *     The *_Update operations (see sim_update_int.h).
 *
 * Objects are upserted by id and merged field by field ("fields you leave
 * out stay unchanged", Centra's guide) with a small schema of the API's
 * lists (sim_merge in sim_stage.c).  Products, pricelists and sizes are
 * checked here; orders have rules of their own (sim_update_order.c).
 */
#include "sim_update_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/strutil.h"
#include "sim_stage_int.h"

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
sim_operation_known(const char *name)
{
    return strcmp(name, "events_Get") == 0 || strcmp(name, "events_GetRequest") == 0 ||
           strcmp(name, "events_GetByMarkets") == 0 || strcmp(name, "events_Done") == 0 ||
           sim_update_known(name, NULL);
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

const char *
sim_update_item(const char *op)
{
    for (size_t i = 0; i < CB_LENGTH(update_ops); i++)
        if (strcmp(update_ops[i].op, op) == 0)
            return update_ops[i].item;
    return NULL;
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

    if (!str_starts_with(key, "product" SIM_KEY_SEP))
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

        if (!sim_has_text(zid)) {
            sim_result_error(res, "Product %s, variation %s: a size has no id", pid, vid);
            continue;
        }
        if (table != NULL && sim_find_with_id(xml_child(table, "sizes"), "size", zid) == NULL)
            sim_result_error(res,
                             "Size %s does not exist in sizetable %s (product %s, variation %s)",
                             zid, sizetable, pid, vid);
        for (XmlNode *w = xml_child(wh, "warehouse"); w != NULL; w = xml_next(wh, "warehouse", w)) {
            long long qty;
            const char *wid = xml_child_text(w, "id");

            if (!sim_has_text(wid)) {
                sim_result_error(res, "Product %s, variation %s, size %s: a warehouse has no id",
                                 pid, vid, zid);
                continue;
            }
            if (!sim_parse_qty(xml_child_text(w, "qty"), &qty) || qty < 0)
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

    if (!sim_has_text(pid)) {
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

        if (!sim_has_text(vid)) {
            sim_result_error(res, "Product %s: a variation has no id", pid);
            continue;
        }
        sv = stored != NULL ? sim_find_with_id(xml_child(stored, "variations"), "variation", vid)
                            : NULL;
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
    sim_upsert(res, st, "product", pid, stored, p);
}

/* --- pricelists ------------------------------------------------------------------------------- */

static void
check_price(SimResult *res, const char *what, const XmlNode *n)
{
    static const char *const fields[] = {"price", "priceb", "alteredprice", "alteredpriceb"};

    for (size_t i = 0; i < CB_LENGTH(fields); i++) {
        const char *t = xml_child_text(n, fields[i]);
        double v;

        if (t == NULL)
            continue;
        if (!sim_parse_money(t, &v))
            sim_result_error(res, "Invalid %s \"%s\" for %s", fields[i], t, what);
    }
}

static void
apply_pricelist(SimResult *res, Stage *st, const XmlNode *pl)
{
    const char *id = xml_child_text(pl, "id");
    const XmlNode *items = xml_child(pl, "items");
    size_t before = res->nerrors;

    if (!sim_has_text(id)) {
        sim_result_error(res, "A pricelist has no id");
        return;
    }
    for (XmlNode *p = xml_child(items, "product"); p != NULL; p = xml_next(items, "product", p)) {
        const char *pid = xml_child_text(p, "id");
        const XmlNode *prod;
        char what[300];

        if (!sim_has_text(pid)) {
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

            if (!sim_has_text(vid) ||
                sim_find_with_id(xml_child(prod, "variations"), "variation", vid) == NULL) {
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
    sim_upsert(res, st, "pricelist", id, stage_get(st, "pricelist", id), pl);
}

/* --- sizes ------------------------------------------------------------------------------------ */

/*
 * A size of a sizetable.  Sizetables cannot be changed once created (the
 * guide): a new size is refused when products use the table, and a
 * description other than the stored one is refused; sending what exists
 * changes nothing and says nothing.
 */
static void
apply_size(SimResult *res, Stage *st, const XmlNode *z)
{
    const char *zid = xml_child_text(z, "id");
    const char *tid = xml_path_text(z, "sizetable/id");
    const char *zdesc = xml_child_text(z, "description");
    const char *tdesc = xml_path_text(z, "sizetable/description");
    const char *had;
    XmlNode *table;
    XmlNode *sizes;
    XmlNode *nz;
    UseCheck use;

    if (!sim_has_text(zid) || !sim_has_text(tid)) {
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
    had = xml_child_text(table, "description") != NULL ? xml_child_text(table, "description") : "";
    if (tdesc != NULL && strcmp(tdesc, had) != 0) {
        sim_result_error(res, "Sizetable %s cannot be changed: its description is \"%s\"", tid,
                         had);
        return;
    }
    sizes = xml_child(table, "sizes");
    if (sizes == NULL)
        sizes = xml_add(table, "sizes", NULL);
    nz = sim_find_with_id(sizes, "size", zid);
    if (nz != NULL) {
        had = xml_child_text(nz, "description") != NULL ? xml_child_text(nz, "description") : "";
        if (zdesc != NULL && strcmp(zdesc, had) != 0)
            sim_result_error(res,
                             "Size %s in sizetable %s cannot be changed: its description is "
                             "\"%s\"",
                             zid, tid, had);
        return; /* already there: nothing changes, no notice */
    }
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
    sim_result_notice(res, "Added new size: %s: %s to: %s!", zid, zdesc != NULL ? zdesc : "",
                      sim_has_text(xml_child_text(table, "description"))
                          ? xml_child_text(table, "description")
                          : tid);
}

/* --- everything else ----------------------------------------------------------------------- */

static void
apply_generic(SimResult *res, Stage *st, const UpdateOp *u, const XmlNode *item)
{
    const char *id = xml_child_text(item, "id");

    if (!sim_has_text(id)) {
        sim_result_error(res, "%s: an item <%s> has no id", u->op, u->item);
        return;
    }
    sim_upsert(res, st, u->type, id, stage_get(st, u->type, id), item);
}

void
sim_update_apply(SimStore *s, const char *op, const XmlNode *opnode, SimResult *res)
{
    const UpdateOp *u = NULL;
    const XmlNode *list;
    Stage st;
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
    stage_init(&st, s);
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
            sim_apply_order(res, &st, item);
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
