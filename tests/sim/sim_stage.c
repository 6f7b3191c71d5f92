/*
 * tests/sim/sim_stage.c
 *     Staging, merging and value helpers of the *_Update operations (see
 *     sim_stage_int.h).
 */
#include "sim_stage_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/log.h"
#include "centra/strutil.h"

#define EVENT_DATA_DEPTH 6 /* Envelope, Body, events_Get, events, event, data */

/* --- staging -------------------------------------------------------------------------- */

static Staged *
stage_find(const Stage *st, const char *type, const char *id)
{
    char key[512];
    uintptr_t i;

    sim_store_key(key, sizeof(key), type, id);
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
    sim_store_key(key, sizeof(key), type, id);
    hashmap_put(st->index, key, (void *)(uintptr_t)(st->n + 1));
    return st->items[st->n++].node;
}

/* The working copy of (type, id) for changing it, or NULL if there is no such object. */
XmlNode *
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
const XmlNode *
stage_peek(const Stage *st, const char *type, const char *id)
{
    const Staged *it = stage_find(st, type, id);

    return it != NULL ? it->node : sim_store_object(st->s, type, id);
}

/* Stage a new object (owned by the stage from now on). */
XmlNode *
stage_new(Stage *st, const char *type, const char *id, XmlNode *node)
{
    return stage_add(st, type, id, node, NULL);
}

void
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

void
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
        log_error("could not queue an event for order \"%s\": %s", id, err.message);
    dynbuf_free(&buf);
}

void
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

/* --- helpers ------------------------------------------------------------------------------ */

bool
sim_has_text(const char *s)
{
    return s != NULL && s[0] != '\0';
}

/* Whether text (may be NULL) is exactly want. */
bool
sim_text_is(const char *text, const char *want)
{
    return text != NULL && strcmp(text, want) == 0;
}

bool
sim_parse_qty(const char *text, long long *out)
{
    return text != NULL && str_to_ll(text, out);
}

/* A money amount: a finite number with nothing after it. */
bool
sim_parse_money(const char *text, double *out)
{
    char *end;

    if (!sim_has_text(text))
        return false;
    *out = strtod(text, &end);
    return *end == '\0' && isfinite(*out);
}

void
sim_money(char *buf, size_t size, double v)
{
    snprintf(buf, size, "%.2f", v);
}

void
sim_number(char *buf, size_t size, double v)
{
    sim_money(buf, size, v);
    gen_plain_amount(buf);
}

void
sim_set_child_text(XmlNode *n, const char *name, const char *text)
{
    XmlNode *c = xml_child(n, name);

    if (c == NULL)
        xml_add(n, name, text);
    else
        xml_set_text(c, text);
}

/* Add child to parent right after ref (a child of parent), or last if ref is NULL; returns it. */
XmlNode *
sim_insert_after(XmlNode *parent, const XmlNode *ref, XmlNode *child)
{
    xml_append(parent, child);
    if (ref != NULL && ref->parent == parent) {
        size_t at = ref->pos + 1;

        memmove(&parent->kids[at + 1], &parent->kids[at],
                (parent->nkids - 1 - at) * sizeof(XmlNode *));
        parent->kids[at] = child;
        for (size_t i = at; i < parent->nkids; i++)
            parent->kids[i]->pos = i;
    }
    return child;
}

/* "Account A1": how messages name an object of type. */
void
sim_object_what(char *buf, size_t size, const char *type, const char *id)
{
    snprintf(buf, size, "%c%s %s", toupper((unsigned char)type[0]), type + 1, id);
}

/* --- merging ---------------------------------------------------------------------------- */

/*
 * The repeated elements of the API's objects (REF's samples, the guide) and
 * the child that identifies each item.  grandparent, when set, is where the
 * list must sit: a pricelist's product repeats <variation> directly, while
 * an order's product has a single <variation> reference.
 */
typedef struct ListRule {
    const char *parent;      /* the element holding the items */
    const char *item;        /* the repeated element */
    const char *key;         /* its identifying child */
    const char *grandparent; /* NULL: anywhere */
} ListRule;

static const ListRule list_rules[] = {
    {"products", "product", "id", NULL},
    {"items", "product", "id", NULL}, /* pricelists */
    {"product", "variation", "id", "items"},
    {"items", "invoiceitem", "itemid", NULL},
    {"variations", "variation", "id", NULL},
    {"variationsremove", "variation", "id", NULL},
    {"sizes", "size", "id", NULL},
    {"warehouseitems", "warehouse", "id", NULL},
    {"supplierorderitems", "supplierorder", "id", NULL},
    {"shipments", "shipment", "id", NULL},
    {"refunds", "refund", "id", NULL},
    {"payments", "payment", "transaction", NULL},
    {"additionals", "additional", "key", NULL},
    {"buyers", "buyer", "id", NULL},
    {"addresses", "address", "id", NULL},
    {"mastersalesrep", "salesrep", "id", NULL},
    {"markets", "market", "id", NULL},
    {"marketsremove", "market", "id", NULL},
    {"displays", "display", "store", NULL},
    {"categories", "category", "id", NULL},
    {"categoriesremove", "category", "id", NULL},
    {"media", "image", "id", NULL},
    {"metadata", "storemeta", "store", NULL},
};

/* The rule for children named item of dst, or NULL when they are not list items. */
static const ListRule *
list_rule(const XmlNode *dst, const char *item)
{
    for (size_t i = 0; i < CB_LENGTH(list_rules); i++) {
        const ListRule *r = &list_rules[i];

        if (strcmp(r->item, item) == 0 && strcmp(r->parent, dst->name) == 0 &&
            (r->grandparent == NULL ||
             (dst->parent != NULL && strcmp(dst->parent->name, r->grandparent) == 0)))
            return r;
    }
    return NULL;
}

/* The child name of parent whose child key has the text value, or NULL. */
XmlNode *
sim_find_keyed(const XmlNode *parent, const char *name, const char *key, const char *value)
{
    for (XmlNode *c = xml_child(parent, name); c != NULL; c = xml_next(parent, name, c))
        if (sim_text_is(xml_child_text(c, key), value))
            return c;
    return NULL;
}

XmlNode *
sim_find_with_id(const XmlNode *parent, const char *name, const char *id)
{
    return sim_find_keyed(parent, name, "id", id);
}

/* Add src as a new child of dst, checked as merge checks it. */
/*
 * The element order of Centra's reference tree for the records whose fields
 * a client adds most (an order gets <locked>, a shipment <capture> or
 * <carrierinformation>), so that an added field lands where a client
 * built against the reference looks for it.
 */
typedef struct FieldOrder {
    const char *record;        /* element name */
    const char *const *fields; /* its children in order, NULL-terminated */
} FieldOrder;

static const char *const order_fields[] = {"id",
                                           "ordernumber",
                                           "type",
                                           "store",
                                           "locked",
                                           "status",
                                           "ordertotal",
                                           "currency",
                                           "currencyrate",
                                           "basecurrency",
                                           "created",
                                           "internal",
                                           "preferred_shipping_date",
                                           "buyer",
                                           "salesrep",
                                           "mastersalesrep",
                                           "account",
                                           "paymentterms",
                                           "shippingterms",
                                           "deliverywindow",
                                           "collection",
                                           "additionals",
                                           "primary_warehouse",
                                           "shipping",
                                           "handling",
                                           "voucher",
                                           "payments",
                                           "products",
                                           "cancelled",
                                           "shipments",
                                           "carrierinformation",
                                           "customer",
                                           "shippingaddress",
                                           "billingaddress",
                                           "internalinformation",
                                           "other",
                                           "ponumber",
                                           "market",
                                           "pricelist",
                                           "ecvatno",
                                           NULL};
static const char *const shipment_fields[] = {"id",
                                              "paid",
                                              "shipped",
                                              "goodtogo",
                                              "capture",
                                              "appendix",
                                              "shipmenttotal",
                                              "paidtotal",
                                              "currency",
                                              "currencyrate",
                                              "basecurrency",
                                              "created",
                                              "shippingaddress",
                                              "carrierinformation",
                                              "products",
                                              "refunds",
                                              "shipping",
                                              "handling",
                                              "voucher",
                                              NULL};
static const FieldOrder field_orders[] = {
    {"order", order_fields},
    {"shipment", shipment_fields},
};

/* Rank of name among fields, or -1. */
static int
field_rank(const char *const *fields, const char *name)
{
    for (int i = 0; fields[i] != NULL; i++)
        if (strcmp(fields[i], name) == 0)
            return i;
    return -1;
}

/* Append child to dst, or insert it in the reference's order when dst's record has one. */
static XmlNode *
add_in_order(XmlNode *dst, XmlNode *child)
{
    const char *const *fields = NULL;
    int rank;
    const XmlNode *after = NULL;

    for (size_t i = 0; i < CB_LENGTH(field_orders); i++)
        if (strcmp(field_orders[i].record, dst->name) == 0)
            fields = field_orders[i].fields;
    rank = fields != NULL ? field_rank(fields, child->name) : -1;
    if (rank < 0)
        return xml_append(dst, child);
    /* After the last child that comes before it in the reference (or first of all). */
    for (size_t i = 0; i < dst->nkids; i++) {
        int r = field_rank(fields, dst->kids[i]->name);

        if (r >= 0 && r <= rank)
            after = dst->kids[i];
    }
    if (after == NULL) {
        xml_append(dst, child);
        if (dst->nkids > 1) {
            memmove(&dst->kids[1], &dst->kids[0], (dst->nkids - 1) * sizeof(XmlNode *));
            dst->kids[0] = child;
            for (size_t i = 0; i < dst->nkids; i++)
                dst->kids[i]->pos = i;
        }
        return child;
    }
    return sim_insert_after(dst, after, child);
}

static void
add_merged(SimResult *res, const char *what, XmlNode *dst, const XmlNode *src)
{
    if (xml_is_leaf(src))
        add_in_order(dst, xml_copy(src));
    else
        sim_merge(res, what, add_in_order(dst, xml_new(src->name, NULL)), src);
}

/*
 * Merge src into dst ("fields you leave out stay unchanged", the guide): a
 * leaf replaces the leaf of the same name; a list item (list_rules) merges
 * into the item with the same key or is added, and one without its key is
 * an error; any other element is a single record: merged into the stored
 * one, or replaced whole when both have an <id> and it differs (a reference
 * to another market, pricelist, ...).  An empty leaf clears the field; an
 * empty list or record changes nothing.  Errors name the object with what.
 */
void
sim_merge(SimResult *res, const char *what, XmlNode *dst, const XmlNode *src)
{
    for (size_t i = 0; i < src->nkids; i++) {
        const XmlNode *c = src->kids[i];
        const ListRule *rule = list_rule(dst, c->name);
        XmlNode *d;

        if (rule != NULL) {
            const char *key = xml_child_text(c, rule->key);

            if (!sim_has_text(key)) {
                sim_result_error(res, "%s: an item <%s> has no <%s>", what, c->name, rule->key);
                continue;
            }
            d = sim_find_keyed(dst, c->name, rule->key, key);
        } else {
            d = xml_child(dst, c->name);
        }
        if (d == NULL) {
            add_merged(res, what, dst, c);
        } else if (xml_is_leaf(c)) {
            if (xml_is_leaf(d))
                xml_set_text(d, c->text);
        } else {
            const char *was = xml_child_text(d, "id");
            const char *now = xml_child_text(c, "id");

            if (rule == NULL && sim_has_text(was) && sim_has_text(now) && strcmp(was, now) != 0) {
                while (d->nkids > 0)
                    xml_delete(d->kids[d->nkids - 1]);
            }
            sim_merge(res, what, d, c);
        }
    }
}

/* Merge item into the stored object, or stage it as a new one. */
void
sim_upsert(SimResult *res, Stage *st, const char *type, const char *id, XmlNode *stored,
           const XmlNode *item)
{
    char what[300];

    sim_object_what(what, sizeof(what), type, id);
    if (stored == NULL)
        stored = stage_new(st, type, id, xml_new(item->name, NULL));
    sim_merge(res, what, stored, item);
}

void
stage_init(Stage *st, SimStore *s)
{
    memset(st, 0, sizeof(*st));
    st->s = s;
    st->index = hashmap_new();
    st->variations = hashmap_new();
}
