/*
 * tests/unit/sim/gentest.h
 *     Helpers shared by the generator's unit tests (test_sim_gen.c,
 *     test_sim_gen_orders.c): writing objects and reading them back, amounts,
 *     and the catalog as a fixture.
 */
#ifndef TESTS_UNIT_SIM_GENTEST_H
#define TESTS_UNIT_SIM_GENTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "centra/dynbuf.h"
#include "centra/hashmap.h"
#include "centra/xmltree.h"
#include "sim_gen_int.h"

/* Order events in the plans the shape tests scan. */
#define NEVENTS    1000
#define OBJECT_CAP (16u * 1024 * 1024)  /* cap of the buffer one object is written to */
#define PLAN_CAP   (256u * 1024 * 1024) /* cap of a buffer for a whole plan's objects */
/*
 * Issue 3 asks for 1-20 lines per order; build_order adds up to 6 products
 * (12 on a wholesale restock) of up to 3 sizes, one size repeated on a line
 * of its own and a bundle (2 parts and itself), within that bound.
 */
#define MAX_LINES            20 /* <size> lines (orderitems) of an order's products */
#define MAX_PRODUCT_ELEMENTS 16 /* <product> elements */

/* Write e's object into b (initialised here); the caller frees b. */
void write_into(DynBuf *b, uint64_t seed, const GenEntry *e, const char *prefix);

/* e's object parsed back; the caller frees it with xml_free. */
XmlNode *parse_object(uint64_t seed, const GenEntry *e);

/*
 * An amount in cents, in either of the guide's formats: two decimals
 * ("1135.00", "-5.00") or a plain number ("1000", "98.4", "0").
 */
long long cents(const char *text);

/* A decimal integer (asserted). */
long long integer(const char *text);

/* Child text at path that must be there. */
const char *need(const XmlNode *n, const char *path);

/* Whether date is "YYYY-MM-DD HH:MM:SS" (*plain) or "YYYY-MM-DDTHH:MM:SS+01:00" (!*plain). */
bool date_format(const char *date, bool *plain);

/* Queue position of the first event of order index, or plan->n. */
size_t first_event_of(const GenPlan *plan, uint32_t index);

typedef struct Catalog {
    HashMap *objects;   /* "product/ID", "sizetable/ID" -> XmlNode */
    XmlNode *list[64];  /* everything gen_catalog handed over, to free */
    size_t n;           /* entries of list */
    size_t nproducts;   /* products among them */
    size_t nsizetables; /* sizetables among them */
} Catalog;

/* The catalog gen_catalog hands over, loaded by catalog_setup (a checked fixture). */
extern Catalog catalog;

void catalog_setup(void);
void catalog_teardown(void);

/* The catalog object of type with id, or NULL. */
const XmlNode *catalog_get(const char *type, const char *id);

/* Child of list named name whose <id> is id, or NULL. */
const XmlNode *find_by_id(const XmlNode *list, const char *name, const char *id);

#endif /* TESTS_UNIT_SIM_GENTEST_H */
