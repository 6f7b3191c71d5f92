/*
 * tests/sim/sim_stage_int.h
 *     What the *_Update operations share: staging (a request's working
 *     copies, committed all or nothing), merging by the API's lists, and
 *     small helpers for XML values.
 */
#ifndef TESTS_SIM_SIM_STAGE_INT_H
#define TESTS_SIM_SIM_STAGE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "centra/hashmap.h"
#include "centra/xmltree.h"
#include "sim_store_int.h"
#include "sim_update_int.h"

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

/* Start an empty stage on store s; free it with stage_free. */
void stage_init(Stage *st, SimStore *s);

/* The working copy of (type, id) for changing it, or NULL if there is no such object. */
XmlNode *stage_get(Stage *st, const char *type, const char *id);

/* The current state of object (type, id) for reading only (not orders), or NULL. */
const XmlNode *stage_peek(const Stage *st, const char *type, const char *id);

/* Stage a new object (owned by the stage from now on); returns it. */
XmlNode *stage_new(Stage *st, const char *type, const char *id, XmlNode *node);

/* Note that refund id rid is taken by order oid in this request. */
void stage_refund(Stage *st, const char *rid, const char *oid);

/*
 * Store every staged object that changed, queueing an order event for each
 * changed order, and record the refund ids taken.
 */
void stage_commit(Stage *st);

/* Free the stage and whatever it still owns. */
void stage_free(Stage *st);

/* Whether s is neither NULL nor empty. */
bool sim_has_text(const char *s);

/* Whether text (may be NULL) is exactly want. */
bool sim_text_is(const char *text, const char *want);

/* A whole number (NULL or anything else: false). */
bool sim_parse_qty(const char *text, long long *out);

/* A money amount: a finite number with nothing after it. */
bool sim_parse_money(const char *text, double *out);

/*
 * Amounts as the guide's events print them, per element: sim_money with two
 * decimals (ordertotal, price, shipmenttotal, paidtotal, handling), and
 * sim_number as a plain number without trailing zeros ("1000", "98.4") for
 * line subtotals and discounts, shipping and voucher subtotals, payment
 * totals and values.
 */
void sim_money(char *buf, size_t size, double v);
void sim_number(char *buf, size_t size, double v);

/* Set the text of n's child name, adding the child if needed. */
void sim_set_child_text(XmlNode *n, const char *name, const char *text);

/* Add child to parent right after ref (a child of parent), or last if ref is NULL; returns it. */
XmlNode *sim_insert_after(XmlNode *parent, const XmlNode *ref, XmlNode *child);

/* "Account A1": how messages name an object of type. */
void sim_object_what(char *buf, size_t size, const char *type, const char *id);

/* The child name of parent whose child key has the text value, or NULL. */
XmlNode *sim_find_keyed(const XmlNode *parent, const char *name, const char *key,
                        const char *value);

/* The child name of parent with <id> id, or NULL. */
XmlNode *sim_find_with_id(const XmlNode *parent, const char *name, const char *id);

/*
 * Merge src into dst ("fields you leave out stay unchanged", the guide): a
 * leaf replaces the leaf of the same name; a list item merges into the item
 * with the same key or is added, and one without its key is an error; any
 * other element is a single record, merged, or replaced whole when its <id>
 * differs.  Errors name the object with what.
 */
void sim_merge(SimResult *res, const char *what, XmlNode *dst, const XmlNode *src);

/* Merge item into stored (a staged copy), or stage it as a new object when stored is NULL. */
void sim_upsert(SimResult *res, Stage *st, const char *type, const char *id, XmlNode *stored,
                const XmlNode *item);

/* orders_Update for one <order> item (sim_update_order.c). */
void sim_apply_order(SimResult *res, Stage *st, const XmlNode *item);

#endif /* TESTS_SIM_SIM_STAGE_INT_H */
