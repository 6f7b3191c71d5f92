/*
 * tests/sim/sim_update_int.h
 *     The 14 *_Update operations of centra-sim, applied to the store.
 *
 * Each request is validated and applied as one unit: items are applied in
 * order to a staging copy, and only when none failed is the staging copy
 * committed (and an order event queued for every order changed).  So a
 * request answered with success=false changed nothing, and the same request
 * sent twice changes nothing the second time (upsert by id).
 */
#ifndef TESTS_SIM_SIM_UPDATE_INT_H
#define TESTS_SIM_SIM_UPDATE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "centra/xmltree.h"
#include "sim_store_int.h"

typedef struct SimResult {
    char **errors; /* <errors><message> texts */
    size_t nerrors;
    char **notices; /* <notices><message> texts */
    size_t nnotices;
    bool accepted; /* applied: success true, its errors notwithstanding */
} SimResult;

/*
 * Whether op is one of the 14 update operations; *response_name gets the
 * ok-style answer's element, e.g. "ordersUpdateResponse".
 */
bool sim_update_known(const char *op, const char **response_name);

/* The item element of update operation op ("product" for products_Update), or NULL. */
const char *sim_update_item(const char *op);

/*
 * Whether name is an operation of the API: events_Get (or its request
 * element events_GetRequest), events_GetByMarkets, events_Done or one of the
 * 14 updates.
 */
bool sim_operation_known(const char *name);

/* Apply the update operation op whose element (below <login>) is opnode. */
void sim_update_apply(SimStore *s, const char *op, const XmlNode *opnode, SimResult *res);

/* Free the messages of a result. */
void sim_result_free(SimResult *res);

/* Add a message to a result (formatted). */
void sim_result_error(SimResult *res, const char *fmt, ...) CB_PRINTF(2, 3);
void sim_result_notice(SimResult *res, const char *fmt, ...) CB_PRINTF(2, 3);

#endif /* TESTS_SIM_SIM_UPDATE_INT_H */
