/*
 * src/cli/demo_outbox.c
 *     The ERP's side of the demo: rows inserted into the typed outbox tables
 *     (docs/outbox.md), whose triggers check them and enqueue messages for
 *     "centra-bridge export".  Plain SQL over libpq, as an ERP would write it.
 */
#include "demo_int.h"

#include <string.h>

#include "centra/alloc.h"

#define DEMO_WAREHOUSE "MainWarehouse" /* a warehouse of centra-sim's catalog */
#define DEMO_STOCK_QTY "25"            /* the stock set for each SKU */

/* A retail order without shipments that has lines to pick. */
static const char sql_retail_order[] =
    "SELECT o.order_id FROM centra.orders o\n"
    "WHERE o.type = 'retail'\n"
    "  AND NOT EXISTS (SELECT 1 FROM centra.shipments s WHERE s.order_id = o.order_id)\n"
    "  AND EXISTS (SELECT 1 FROM centra.pick_lines l WHERE l.order_id = o.order_id AND l.qty > 0)\n"
    "ORDER BY o.order_id LIMIT 1";

static const char sql_create_shipment[] =
    "INSERT INTO centra_outbox.shipment_updates (order_id, shipment_id, action, appendix, lines)\n"
    "SELECT $1, $2, 'create', 1,\n"
    "       jsonb_agg(jsonb_build_object('orderitem', orderitem_id, 'qty', qty) ORDER BY line_no)\n"
    "FROM centra.pick_lines WHERE order_id = $1 AND qty > 0\n"
    "RETURNING jsonb_array_length(lines)";

static const char sql_ship[] =
    "INSERT INTO centra_outbox.shipment_updates\n"
    "    (order_id, shipment_id, action, carrier, service, tracking, capture, order_status)\n"
    "VALUES ($1, $2, 'ship', 'UPS', 'STANDARD', $3, true, 'completed')";

static const char sql_stock[] =
    "INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id, warehouse_id, "
    "qty)\n"
    "SELECT product_id, variation_id, size_id, '" DEMO_WAREHOUSE "', " DEMO_STOCK_QTY "\n"
    "FROM (SELECT DISTINCT product_id, variation_id, size_id FROM centra.pick_lines\n"
    "      ORDER BY 1, 2, 3 LIMIT 3) s\n"
    "RETURNING product_id || '/' || variation_id || '/' || size_id";

static const char sql_wholesale_order[] =
    "SELECT order_id FROM centra.orders WHERE type = 'wholesale'\n"
    "ORDER BY status <> 'pending', order_id LIMIT 1";

static const char sql_confirm[] =
    "INSERT INTO centra_outbox.order_status_updates (order_id, status, locked)\n"
    "VALUES ($1, 'confirmed', true)";

/* The first value of sql's result (xstrdup'ed into *out), or NULL when no row. */
static ErrKind
query_one(DbConn *db, const char *sql, int nparams, const char *const *params, char **out,
          Error *err)
{
    DbResult *res;
    ErrKind rc = db_query(db, sql, nparams, params, &res, err);

    *out = NULL;
    if (rc != ERR_OK)
        return rc;
    if (db_result_rows(res) > 0 && db_result_value(res, 0, 0) != NULL)
        *out = xstrdup(db_result_value(res, 0, 0));
    db_result_free(res);
    return ERR_OK;
}

/* Ship an order: create its shipment with every line, then ship it with tracking, captured. */
static ErrKind
ship_order(DbConn *db, DynBuf *report, Error *err)
{
    char *order_id;
    char *nlines = NULL;
    char shipment[128];
    char tracking[128];
    ErrKind rc = query_one(db, sql_retail_order, 0, NULL, &order_id, err);

    if (rc != ERR_OK || order_id == NULL) {
        if (rc == ERR_OK)
            (void)dynbuf_addstr(report, "      no retail order without a shipment to ship\n");
        return rc;
    }
    snprintf(shipment, sizeof(shipment), "demo-%s", order_id);
    snprintf(tracking, sizeof(tracking), "1ZDEMO%s", order_id);
    {
        const char *create[] = {order_id, shipment};
        const char *ship[] = {order_id, shipment, tracking};

        rc = query_one(db, sql_create_shipment, 2, create, &nlines, err);
        if (rc == ERR_OK)
            rc = db_query(db, sql_ship, 3, ship, NULL, err);
    }
    if (rc == ERR_OK)
        (void)dynbuf_addf(report,
                          "      shipment_updates: create shipment %s of retail order %s "
                          "(%s lines),\n"
                          "          then ship it (UPS, tracking %s) and capture the payment\n",
                          shipment, order_id, nlines != NULL ? nlines : "0", tracking);
    xfree(nlines);
    xfree(order_id);
    return rc;
}

/* Set the stock of three SKUs of the imported orders. */
static ErrKind
set_stock(DbConn *db, DynBuf *report, Error *err)
{
    DbResult *res;
    ErrKind rc = db_query(db, sql_stock, 0, NULL, &res, err);

    if (rc != ERR_OK)
        return rc;
    (void)dynbuf_addstr(report,
                        "      stock_updates: " DEMO_STOCK_QTY " in " DEMO_WAREHOUSE " for");
    for (int i = 0; i < db_result_rows(res); i++)
        (void)dynbuf_addf(report, "%s %s", i > 0 ? "," : "", db_result_value(res, i, 0));
    (void)dynbuf_addstr(report, db_result_rows(res) > 0 ? "\n" : " no SKU (no order lines)\n");
    db_result_free(res);
    return ERR_OK;
}

/* Confirm (and lock) a wholesale order, if the simulator generated one. */
static ErrKind
confirm_wholesale(DbConn *db, DynBuf *report, Error *err)
{
    char *order_id;
    ErrKind rc = query_one(db, sql_wholesale_order, 0, NULL, &order_id, err);

    if (rc != ERR_OK)
        return rc;
    if (order_id == NULL) {
        (void)dynbuf_addstr(report, "      order_status_updates: none, centra-sim generated no "
                                    "wholesale order\n");
        return ERR_OK;
    }
    {
        const char *params[] = {order_id};

        rc = db_query(db, sql_confirm, 1, params, NULL, err);
    }
    if (rc == ERR_OK)
        (void)dynbuf_addf(
            report, "      order_status_updates: confirm and lock wholesale order %s\n", order_id);
    xfree(order_id);
    return rc;
}

ErrKind
demo_enqueue(DbConn *db, DynBuf *report, Error *err)
{
    ErrKind rc = db_begin(db, err);

    if (rc == ERR_OK)
        rc = ship_order(db, report, err);
    if (rc == ERR_OK)
        rc = set_stock(db, report, err);
    if (rc == ERR_OK)
        rc = confirm_wholesale(db, report, err);
    if (rc == ERR_OK)
        return db_commit(db, err);
    {
        Error ignored;

        if (db_rollback(db, &ignored) != ERR_OK)
            return rc; /* the error that made us roll back is the one to report */
    }
    return rc;
}
