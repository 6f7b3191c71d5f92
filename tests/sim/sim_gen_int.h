/*
 * tests/sim/sim_gen_int.h
 *     centra-sim's data generator: a fixed product catalog and, per seed, a
 *     deterministic plan of events whose XML is produced on demand.
 *
 * Nothing but the plan (a few bytes per event) is kept in memory: the XML of
 * a generated event is written again from (seed, entry) whenever it is
 * served, so a queue of a million events costs megabytes, not gigabytes.
 * All money is in integer cents.
 */
#ifndef TESTS_SIM_SIM_GEN_INT_H
#define TESTS_SIM_SIM_GEN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "centra/xmltree.h"
#include "centra/xmlwriter.h"

#define SIM_ORDER_ID_BASE 100000 /* order i has id SIM_ORDER_ID_BASE + i + 1 */

typedef struct SimMarket {
    const char *id;             /* <market><id> */
    const char *name;           /* <market><description> */
    const char *type;           /* retail or wholesale */
    int store;                  /* 1 retail, 2 wholesale */
    const char *currency;       /* ISO code */
    const char *currency_rate;  /* to the base currency SEK, as text */
    const char *pricelist;      /* pricelist id */
    const char *pricelist_name; /* pricelist description */
    int price_percent;          /* price in this market, percent of the EUR list price */
    int tax_permille;           /* tax rate in 1/1000 percent, e.g. 25000 = 25.000 */
    const char *country;        /* default shipping country */
} SimMarket;

extern const SimMarket sim_markets[];
extern const size_t sim_nmarkets;

typedef enum GenKind {
    GEN_ORDER,    /* an order event */
    GEN_CUSTOMER, /* a retail customer */
    GEN_ACCOUNT,  /* a wholesale account */
    GEN_INVOICE,  /* an invoice of an order */
    GEN_DELETE    /* a customer deleted: mission delete, empty <data> */
} GenKind;

typedef struct GenEntry {
    uint32_t index;  /* order index (GEN_ORDER) or object index */
    uint8_t kind;    /* GenKind */
    uint8_t version; /* GEN_ORDER: 1 for the order's first event, 2 for its update */
    uint8_t market;  /* index into sim_markets (orders, accounts) */
} GenEntry;

typedef struct GenPlan {
    GenEntry *entries;     /* events in queue order */
    size_t n;              /* number of entries */
    uint32_t norders;      /* distinct orders */
    uint8_t *last_version; /* per order index: its latest version in the plan */
} GenPlan;

/*
 * Plan norder_events order events for seed: most create a new order, about
 * one in ten is the second event of an earlier order (its state moved on:
 * shipped, confirmed, ...), and one event of another type follows every
 * twenty.  Caller frees with gen_plan_free.
 */
void gen_plan(uint64_t seed, size_t norder_events, GenPlan *plan);
void gen_plan_free(GenPlan *plan);

/* Event type ("order", "customer", ...) and mission of an entry. */
const char *gen_event_type(const GenEntry *e);
const char *gen_event_mission(const GenEntry *e);

/* The <entry> of an event: the id of its object. */
void gen_event_entry(uint64_t seed, const GenEntry *e, char *buf, size_t size);

/* Market id of an entry's object, or NULL (customers, invoices, deletes). */
const char *gen_event_market(const GenEntry *e);

/*
 * Write the event's object (<order>...</order>, <customer>...) with w's
 * prefix; nothing for GEN_DELETE.
 */
void gen_write_object(XmlWriter *w, uint64_t seed, const GenEntry *e);

/*
 * The date of the event at queue position pos, in one of the two formats
 * Centra uses ("2019-03-27 12:52:20" mostly, ISO 8601 with offset sometimes).
 */
void gen_event_date(uint64_t seed, size_t pos, char *buf, size_t size);

/*
 * Order index of a generated order id ("100042" -> 41), or -1 when the id is
 * not one of the plan's orders.
 */
long gen_order_index(const GenPlan *plan, const char *order_id);

/* The plan entry of order index's latest event (for writing its current state). */
void gen_order_entry(uint64_t seed, const GenPlan *plan, uint32_t index, GenEntry *e);

/*
 * Turn an amount with two decimals ("1000.00", "98.40", "-0.00") into the
 * plain form the guide's events use for subtotals, discounts and payment
 * values: decimals only when there are any, no trailing zeros ("1000",
 * "98.4", "0").  In place.
 */
void gen_plain_amount(char *text);

/*
 * The catalog, in warehouses_Update, sizes_Update and products_Update shape:
 * fn gets each object (its warehouses, sizetables and products).
 */
void gen_catalog(void (*fn)(const char *type, const char *id, XmlNode *obj, void *arg), void *arg);

/* Warehouse ids of the catalog (for warehouses the generator allocates from). */
extern const char *const sim_warehouses[];
extern const size_t sim_nwarehouses;

#endif /* TESTS_SIM_SIM_GEN_INT_H */
