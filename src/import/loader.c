/*
 * src/import/loader.c
 *     Parsed events into the staging tables: COPY into a work table while
 *     the answer streams, then set-based statements, one transaction.
 *
 * Design constraints: memory does not grow with the answer (rows leave
 * through COPY in 64 kB pieces; a payload or a quarantined event's raw bytes
 * travel as numbered pieces that SQL joins again); a round trip per
 * statement per batch, never per row; a value that reaches SQL always fits
 * its column (the parser normalises them), so no event can fail a batch.
 *
 * The work table pg_temp.cb_rows holds one row per parsed record: the event
 * (ev = its position in the answer), the record kind (EvKind, or a payload
 * or raw piece), its number and its parent's number, and the fields as a
 * text[] in the order of evmap's table.  The SQL below names fields as
 * {x.column}, expanded from evmap at start-up into x.f[i]::type, so a field
 * is declared in one place.
 */
#include "centra/loader.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "centra/alloc.h"
#include "centra/backoff.h"
#include "centra/dynbuf.h"
#include "centra/evmap.h"
#include "centra/faultpoint.h"
#include "centra/idmap.h"
#include "centra/log.h"
#include "centra/soap.h"

#define COPY_FLUSH    (60 * 1024) /* COPY bytes gathered before they are sent */
#define KIND_PAYLOAD  20          /* cb_rows.kind of a payload piece */
#define KIND_RAW      21          /* cb_rows.kind of a raw piece */
#define ACK_MAX_START 128         /* initial room for acknowledgeable ids */

struct Loader {
    DbConn *db;                  /* borrowed */
    char *timezone;              /* CENTRA_TIMEZONE */
    char *tz_origin;             /* where it was set, for the error; NULL not said */
    unsigned epoch;              /* db_epoch when the session was set up; 0 never */
    bool session_ok;             /* set up for epoch */
    bool in_batch;               /* BEGIN sent */
    bool in_copy;                /* COPY running */
    EvpSink sink;                /* the parser's sink, arg = this */
    DynBuf copy;                 /* COPY data not yet sent */
    int payload_seq;             /* event of the payload being written */
    int payload_piece;           /* pieces written of it */
    DynBuf held;                 /* its first piece, held back: it may be all of it */
    bool holding;                /* held has data not written yet */
    bool held_whole;             /* ...and payload_end came: held is the whole payload */
    unsigned char utf8_carry[4]; /* incomplete UTF-8 sequence at the end of a piece */
    int ncarry;                  /* bytes in utf8_carry */
    int raw_piece;               /* raw pieces written of the current quarantined event */
    int raw_seq;                 /* its event */
    long long *ack;              /* acknowledgeable event ids */
    size_t nack;                 /* used */
    int unidentified;            /* events of the batch whose id could not be read */
    size_t ack_alloc;            /* allocated */
    char **stmts;                /* expanded SQL of the apply statements */
    int broken;                  /* quarantined events received in this batch */
    bool lost_after;             /* events after a broken copy not stored (broken_verdicts) */
    bool kept_after;             /* events after a broken event, in its raw (broken_verdicts) */
    DynBuf scan;                 /* raw_piece: an unresolved '<' carried over, then a piece */
    int tags;                    /* event start tags in the broken event's raw; -1 not counted */
    int broke_seq;               /* the event whose XML broke, with events after it; 0 none */
    DynBuf verdicts;             /* what became of them, logged once committed */
};

/* ---------------------------------------------------------------------------
 * SQL
 * ------------------------------------------------------------------------- */

/*
 * xdoc holds a payload that arrived in one piece, cast to xml by the COPY
 * itself: the server checks it while the client is still parsing the rest of
 * the answer.  Longer payloads come as doc pieces that SQL joins and casts.
 */
static const char session_sql[] =
    "SET client_encoding = 'UTF8';\n"
    "CREATE TEMP TABLE IF NOT EXISTS cb_rows (ev integer NOT NULL, kind smallint NOT NULL, "
    "rec integer NOT NULL, parent integer NOT NULL, f text[], doc text, raw bytea, xdoc xml) "
    "ON COMMIT DELETE ROWS;\n"
    "CREATE INDEX IF NOT EXISTS cb_rows_ev_rec ON cb_rows (ev, rec);\n"
    "CREATE TEMP TABLE IF NOT EXISTS cb_ev (ev integer PRIMARY KEY, event_id bigint, type text, "
    "entry text, mission text, event_date timestamptz, notes text, quarantine text, "
    "replaced integer, order_id text, status text, entity boolean NOT NULL DEFAULT false, "
    "done_at timestamptz) "
    "ON COMMIT DELETE ROWS;\n"
    "CREATE INDEX IF NOT EXISTS cb_ev_order ON cb_ev (order_id);\n"
    "CREATE TEMP TABLE IF NOT EXISTS cb_ids (kind text, erp_id text, centra_id bigint, "
    "name text, event_id bigint) ON COMMIT DELETE ROWS;\n"
    "CREATE TEMP TABLE IF NOT EXISTS cb_idu (kind text, erp_id text, centra_id bigint, "
    "name text, name_event_id bigint) ON COMMIT DELETE ROWS;\n";

/* The line tables share their columns; only the product kind and the owner differ. */
#define LINE_COLS "line_no, {p.*cols}, {s.*cols}, sku, subtotal, bundle_role, bundle_product_id"
#define LINE_VALS                                                                                  \
    "{p.*vals}, {s.*vals}, NULLIF(concat({p.product_sku}, {p.variation_sku}, {s.size_sku}), ''), " \
    "{p.price} * {s.qty}, "                                                                        \
    "CASE WHEN {p._isbundle} THEN 'bundle' WHEN {p._partof} IS NOT NULL THEN 'part' "              \
    "ELSE 'none' END, {p._partof}"
#define APPLIED(x) " JOIN cb_ev e ON e.ev = " x ".ev AND e.status = 'applied'"
/*
 * id_map learns every id seen, stale events included, so batching does not
 * change it; the rows of an order only from an order event (the rows an
 * event of another type sent, its <type> after its <data>, are no order's).
 */
#define SEEN(x)                                                                                    \
    " JOIN cb_ev e ON e.ev = " x ".ev AND e.status IN ('applied', 'stale') "                       \
    "AND e.order_id IS NOT NULL"
#define SIZE_OF(k)                                                                                 \
    " FROM cb_rows s JOIN cb_rows p ON p.ev = s.ev AND p.rec = s.parent AND p.kind = " k

/*
 * Ends a subquery that looks up the rows of a batch in a stored table by a
 * key of one of its indexes.  OFFSET 0 keeps the subquery as it is, so the
 * plan is an index probe per row of the batch.  Without it the planner may
 * join the whole table (hash or merge), because it cannot know how few rows
 * a temporary work table holds.  A statement whose plan is cached from the
 * start of a session would then read all of centra.events or centra.id_map
 * on every batch, growing with them.
 */
#define PROBE "OFFSET 0"

/* In the upsert of id_map: the batch's name is from a newer event than the one held, or first. */
#define NAME_IS_NEWER                                                                              \
    "EXCLUDED.name IS NOT NULL AND (centra.id_map.name_event_id IS NULL "                          \
    "OR EXCLUDED.name_event_id > centra.id_map.name_event_id)"

/* Run in this order after the COPY; "events" takes $1 run id and $2 source. */
static const struct {
    const char *name; /* prepared statement */
    const char *sql;  /* template */
    int nparams;      /* parameters */
} apply_stmts[] = {
    /* Only an event of type order has an order (the parser sends none for
     * another type, unless its <type> came after the <data>). */
    {"cb_classify",
     "INSERT INTO cb_ev (ev, event_id, type, entry, mission, event_date, notes, quarantine, "
     "replaced, order_id) "
     "SELECT v.ev, v.f[1]::bigint, v.f[2], v.f[3], v.f[4], v.f[5]::timestamptz, v.f[6], v.f[7], "
     "v.f[8]::integer, {o.order_id} "
     "FROM cb_rows v LEFT JOIN cb_rows o ON o.ev = v.ev AND o.kind = 2 AND v.f[2] = 'order' "
     "WHERE v.kind = 1",
     0},
    /*
     * Another importer (a market partition) or "load" may write the same
     * objects at the same time: lock them, in one order to avoid deadlocks,
     * before reading their stored state.  Events whose id cannot be read
     * share one key ("i:?"), so that two writers of the same one do not each
     * miss the other's copy (cb_events); loader_mark_done takes the "i:" keys.
     */
    {"cb_lock",
     "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 2026))) FROM ("
     "SELECT DISTINCT k FROM cb_ev CROSS JOIN LATERAL (VALUES ('o:' || COALESCE(order_id, "
     "CASE WHEN type = 'order' THEN entry END)), "
     "('e:' || type || '/' || entry), ('i:' || COALESCE(event_id::text, '?'))) v(k) "
     "WHERE k IS NOT NULL ORDER BY k) s",
     0},
    /*
     * A quarantined event received again in good shape (fixed, or a "load")
     * replaces it.  Centra's acknowledgement of the quarantined one stays.
     */
    {"cb_unquarantine",
     "WITH gone AS (DELETE FROM centra.events x USING cb_ev e WHERE x.event_id = e.event_id "
     "AND x.status = 'quarantined' AND e.quarantine IS NULL RETURNING x.event_id, x.done_at) "
     "UPDATE cb_ev e SET done_at = g.done_at FROM gone g WHERE e.event_id = g.event_id",
     0},
    {"cb_duplicates",
     "UPDATE cb_ev e SET status = 'duplicate' WHERE e.event_id IS NOT NULL AND ("
     "EXISTS (SELECT 1 FROM centra.events x WHERE x.event_id = e.event_id " PROBE ") OR "
     "EXISTS (SELECT 1 FROM cb_ev y WHERE y.event_id = e.event_id AND y.ev < e.ev))",
     0},
    {"cb_quarantined",
     "UPDATE cb_ev SET status = 'quarantined' WHERE status IS NULL AND quarantine IS NOT NULL", 0},
    /*
     * The newest event of an order is applied if it is newer than the
     * order's state: its last event, or a stored delete of it (an order
     * event without <order>, kept in centra.entities).  A delete in the
     * batch does not count: in id order the update comes first, either way
     * (older than the delete, the delete follows it, as it would in the next
     * batch; newer, it ends the delete), so the tables do not depend on
     * where batches break.
     */
    {"cb_orders_newest",
     "UPDATE cb_ev e SET status = CASE WHEN e.event_id = w.max_id "
     "AND w.max_id > COALESCE(w.last_id, -1) THEN 'applied' ELSE 'stale' END "
     "FROM (SELECT b.order_id, max(b.event_id) AS max_id, GREATEST(max(o.last_event_id), "
     "(SELECT x.last_event_id FROM centra.entities x WHERE x.type = 'order' "
     "AND x.entry = b.order_id)) AS last_id "
     "FROM cb_ev b LEFT JOIN centra.orders o ON o.order_id = b.order_id "
     "WHERE b.status IS NULL AND b.order_id IS NOT NULL GROUP BY b.order_id) w "
     "WHERE e.status IS NULL AND e.order_id = w.order_id",
     0},
    {"cb_entities_newest",
     "UPDATE cb_ev e SET status = CASE WHEN w.newest THEN 'unhandled' ELSE 'stale' END, "
     "entity = w.newest "
     "FROM (SELECT b.ev, b.event_id = max(b.event_id) OVER (PARTITION BY b.type, b.entry) "
     "AND b.event_id > COALESCE(x.last_event_id, -1) "
     /* A delete of an order: newer than the order's state too (cb_orders_newest). */
     "AND (b.type <> 'order' OR b.event_id > GREATEST((SELECT o.last_event_id FROM "
     "centra.orders o WHERE o.order_id = b.entry), (SELECT max(a.event_id) FROM cb_ev a "
     "WHERE a.order_id = b.entry AND a.status IN ('applied', 'stale')), -1)) AS newest "
     "FROM cb_ev b LEFT JOIN centra.entities x ON x.type = b.type AND x.entry = b.entry "
     "WHERE b.status IS NULL AND b.type IS NOT NULL AND b.entry IS NOT NULL) w "
     "WHERE e.ev = w.ev",
     0},
    {"cb_unhandled", "UPDATE cb_ev SET status = 'unhandled' WHERE status IS NULL", 0},
    {"cb_del_lines",
     "DELETE FROM centra.order_lines t USING cb_ev e "
     "WHERE e.status = 'applied' AND t.order_id = e.order_id",
     0},
    {"cb_del_cancelled",
     "DELETE FROM centra.cancelled_lines t USING cb_ev e "
     "WHERE e.status = 'applied' AND t.order_id = e.order_id",
     0},
    {"cb_del_shipments",
     "DELETE FROM centra.shipments t USING cb_ev e "
     "WHERE e.status = 'applied' AND t.order_id = e.order_id",
     0},
    {"cb_del_payments",
     "DELETE FROM centra.payments t USING cb_ev e "
     "WHERE e.status = 'applied' AND t.order_id = e.order_id",
     0},
    {"cb_del_additionals",
     "DELETE FROM centra.order_additionals t USING cb_ev e "
     "WHERE e.status = 'applied' AND t.order_id = e.order_id",
     0},
    /* A delete with the order in its <data> is applied, and marks the order deleted. */
    {"cb_orders",
     "INSERT INTO centra.orders ({o.*cols}, last_event_id, last_event_date, deleted_at) "
     "SELECT {o.*vals}, e.event_id, e.event_date, CASE WHEN lower(e.mission) = 'delete' "
     "THEN COALESCE(e.event_date, now()) END FROM cb_rows o" APPLIED(
         "o") " WHERE o.kind = 2 "
              "ON CONFLICT (order_id) DO UPDATE SET {o.*set}, last_event_id = "
              "EXCLUDED.last_event_id, "
              "last_event_date = EXCLUDED.last_event_date, deleted_at = EXCLUDED.deleted_at, "
              "updated_at = now()",
     0},
    {"cb_payments",
     "INSERT INTO centra.payments (order_id, payment_no, {y.*cols}) "
     "SELECT e.order_id, row_number() OVER (PARTITION BY y.ev ORDER BY y.rec), {y.*vals} "
     "FROM cb_rows y" APPLIED("y") " WHERE y.kind = 3",
     0},
    {"cb_additionals",
     "INSERT INTO centra.order_additionals (order_id, position, {a.*cols}) "
     "SELECT e.order_id, row_number() OVER (PARTITION BY a.ev ORDER BY a.rec), {a.*vals} "
     "FROM cb_rows a" APPLIED("a") " WHERE a.kind = 4",
     0},
    {"cb_lines",
     "INSERT INTO centra.order_lines (order_id, " LINE_COLS ") "
     "SELECT e.order_id, row_number() OVER (PARTITION BY s.ev ORDER BY s.rec), " LINE_VALS SIZE_OF(
         "5") APPLIED("s") " WHERE s.kind = 9",
     0},
    {"cb_warehouses",
     "INSERT INTO centra.order_line_warehouses (order_id, orderitem_id, {w.*cols}) "
     "SELECT e.order_id, {s.orderitem_id}, {w.*vals} FROM cb_rows w "
     "JOIN cb_rows s ON s.ev = w.ev AND s.rec = w.parent AND s.kind = 9 "
     "JOIN cb_rows p ON p.ev = s.ev AND p.rec = s.parent AND p.kind = 5" APPLIED(
         "w") " WHERE w.kind = 10",
     0},
    {"cb_suppliers",
     "INSERT INTO centra.order_line_supplier_orders (order_id, orderitem_id, position, "
     "{u.*cols}) "
     "SELECT e.order_id, {s.orderitem_id}, row_number() OVER (PARTITION BY u.ev, u.parent "
     "ORDER BY u.rec), {u.*vals} FROM cb_rows u "
     "JOIN cb_rows s ON s.ev = u.ev AND s.rec = u.parent AND s.kind = 9 "
     "JOIN cb_rows p ON p.ev = s.ev AND p.rec = s.parent AND p.kind = 5" APPLIED(
         "u") " WHERE u.kind = 11",
     0},
    {"cb_bundles",
     "INSERT INTO centra.order_bundles (order_id, part_orderitem_id, bundle_product_id, "
     "bundle_orderitem_id) "
     "SELECT l.order_id, l.orderitem_id, l.bundle_product_id, "
     "(SELECT CASE WHEN count(*) = 1 THEN min(b.orderitem_id) END FROM centra.order_lines b "
     "WHERE b.order_id = l.order_id AND b.bundle_role = 'bundle' "
     "AND b.product_id = l.bundle_product_id) "
     "FROM centra.order_lines l JOIN cb_ev e ON e.order_id = l.order_id "
     "AND e.status = 'applied' WHERE l.bundle_role = 'part'",
     0},
    {"cb_cancelled",
     "INSERT INTO centra.cancelled_lines (order_id, " LINE_COLS ") "
     "SELECT e.order_id, row_number() OVER (PARTITION BY s.ev ORDER BY s.rec), " LINE_VALS SIZE_OF(
         "6") APPLIED("s") " WHERE s.kind = 9",
     0},
    {"cb_shipments",
     "INSERT INTO centra.shipments (order_id, {h.*cols}) "
     "SELECT e.order_id, {h.*vals} FROM cb_rows h" APPLIED("h") " WHERE h.kind = 12",
     0},
    {"cb_shipment_lines",
     "INSERT INTO centra.shipment_lines (order_id, shipment_id, " LINE_COLS ") "
     "SELECT e.order_id, {h.shipment_id}, row_number() OVER (PARTITION BY s.ev, h.rec "
     "ORDER BY s.rec), " LINE_VALS
         SIZE_OF("7") " JOIN cb_rows h ON h.ev = p.ev AND h.rec = p.parent AND h.kind = 12" APPLIED(
             "s") " "
                  "WHERE s.kind = 9",
     0},
    {"cb_refunds",
     "INSERT INTO centra.refunds (order_id, shipment_id, {r.*cols}) "
     "SELECT e.order_id, {h.shipment_id}, {r.*vals} FROM cb_rows r "
     "JOIN cb_rows h ON h.ev = r.ev AND h.rec = r.parent AND h.kind = 12" APPLIED(
         "r") " WHERE r.kind = 13",
     0},
    {"cb_refund_lines",
     "INSERT INTO centra.refund_lines (order_id, refund_id, " LINE_COLS ") "
     "SELECT e.order_id, {r.refund_id}, row_number() OVER (PARTITION BY s.ev, r.rec "
     "ORDER BY s.rec), " LINE_VALS
         SIZE_OF("8") " JOIN cb_rows r ON r.ev = p.ev AND r.rec = p.parent AND r.kind = 13" APPLIED(
             "s") " "
                  "WHERE s.kind = 9",
     0},
    /*
     * An event whose id cannot be read is never acknowledged, so Centra sends
     * it on every run: it is stored once (a negative id), not once per run.
     */
    {"cb_events",
     "INSERT INTO centra.events (event_id, type, entry, mission, event_date, status, error, "
     "payload, raw, run_id, source, done_at) "
     "SELECT COALESCE(e.event_id, -nextval('centra.unidentified_event_seq')), e.type, e.entry, "
     "e.mission, e.event_date, e.status, NULLIF(concat_ws('; ', e.quarantine, e.notes, "
     /* A quarantined event's count is of its raw bytes: to the answer's end, if it broke. */
     "CASE WHEN e.replaced > 0 THEN e.replaced || ' invalid XML character(s) replaced by "
     "U+FFFD' || CASE WHEN e.status = 'quarantined' THEN ' in raw' ELSE '' END END), ''), "
     "CASE WHEN e.status <> 'quarantined' THEN COALESCE(x.xdoc, t.doc::xml) END, "
     "CASE WHEN e.status = 'quarantined' THEN r.raw END, NULLIF($1::bigint, 0), $2, e.done_at "
     "FROM cb_ev e "
     "LEFT JOIN (SELECT ev, xdoc FROM cb_rows WHERE kind = 20 AND xdoc IS NOT NULL) x "
     "ON x.ev = e.ev "
     "LEFT JOIN (SELECT ev, string_agg(doc, '' ORDER BY rec) AS doc FROM cb_rows "
     "WHERE kind = 20 AND doc IS NOT NULL GROUP BY ev) t ON t.ev = e.ev "
     "LEFT JOIN (SELECT ev, string_agg(raw, ''::bytea ORDER BY rec) AS raw FROM cb_rows "
     "WHERE kind = 21 GROUP BY ev) r ON r.ev = e.ev "
     "WHERE e.status <> 'duplicate' AND NOT (e.event_id IS NULL AND EXISTS (SELECT 1 FROM "
     "centra.events q WHERE q.event_id < 0 AND q.status = 'quarantined' AND q.raw = r.raw " PROBE
     ")) "
     "ON CONFLICT (event_id) DO NOTHING",
     2},
    {"cb_entities",
     "INSERT INTO centra.entities (type, entry, payload, deleted, last_event_id, "
     "last_event_date) "
     /*
      * A delete without the object (<data/>) keeps the state before it: the
      * newest earlier event that sent one (in this batch too, so batching does
      * not matter), else the row's (events deleted by a retention job).
      */
     "SELECT e.type, e.entry, CASE WHEN lower(e.mission) = 'delete' AND NOT "
     "COALESCE(xmlexists('/*/*' PASSING BY REF x.payload), false) THEN COALESCE((SELECT "
     "p.payload FROM centra.events p WHERE p.type = e.type AND p.entry = e.entry "
     "AND p.event_id < e.event_id AND p.status <> 'quarantined' "
     "AND xmlexists('/*/*' PASSING BY REF p.payload) ORDER BY p.event_id DESC LIMIT 1), "
     "x.payload) ELSE x.payload END, COALESCE(lower(e.mission) = 'delete', false), e.event_id, "
     "e.event_date FROM cb_ev e CROSS JOIN LATERAL (SELECT x.payload FROM centra.events x "
     "WHERE x.event_id = e.event_id " PROBE ") x WHERE e.entity "
     "ON CONFLICT (type, entry) DO UPDATE SET payload = CASE WHEN EXCLUDED.deleted AND "
     "(EXCLUDED.payload IS NULL OR NOT xmlexists('/*/*' PASSING BY REF EXCLUDED.payload)) "
     "THEN centra.entities.payload ELSE EXCLUDED.payload END, "
     "deleted = EXCLUDED.deleted, last_event_id = EXCLUDED.last_event_id, "
     "last_event_date = EXCLUDED.last_event_date, updated_at = now() "
     "WHERE centra.entities.last_event_id < EXCLUDED.last_event_id",
     0},
    /* A delete without <order> that is the order's newest state: the order is deleted. */
    {"cb_orders_deleted",
     "UPDATE centra.orders o SET deleted_at = COALESCE(e.event_date, now()), updated_at = now() "
     "FROM cb_ev e WHERE e.entity AND e.type = 'order' AND lower(e.mission) = 'delete' "
     "AND o.order_id = e.entry",
     0},
    /* An order applied after a delete of it: the delete is no longer its state. */
    {"cb_undeleted",
     "DELETE FROM centra.entities x USING cb_ev e WHERE e.status = 'applied' "
     "AND x.type = 'order' AND x.entry = e.order_id AND x.last_event_id < e.event_id",
     0},
    {"cb_ids_orders",
     "INSERT INTO cb_ids (kind, erp_id, centra_id, name, event_id) "
     "SELECT k.kind, k.erp_id, k.centra_id, k.name, e.event_id FROM cb_rows o" SEEN(
         "o") " CROSS JOIN LATERAL (VALUES "
              "('order', {o.order_id}, CASE WHEN {o.order_number} ~ '^[0-9]+$' AND "
              "{o.order_number} ~ '[1-9]' AND length({o.order_number}) <= 18 "
              "THEN {o.order_number}::bigint END, NULL), "
              "('market', {o.market_id}, NULL::bigint, {o.market_name}), "
              "('pricelist', {o.pricelist_id}, NULL, {o.pricelist_name}), "
              "('customer', {o.customer_id}, NULL, {o.customer_name}), "
              "('account', {o.account_id}, NULL, {o.account_name}), "
              "('warehouse', {o.primary_warehouse_id}, NULL, {o.primary_warehouse_name})) "
              "k(kind, erp_id, centra_id, name) WHERE o.kind = 2 AND k.erp_id IS NOT NULL "
              "AND (k.kind <> 'order' OR e.status = 'applied')",
     0},
#define IDS_LINES                                                                                  \
    "SELECT k.kind, k.erp_id, NULL::bigint, k.name, e.event_id FROM cb_rows p" SEEN(               \
        "p") " CROSS JOIN LATERAL (VALUES ('product', {p.product_id}, {p.product_name}), "         \
             "('variation', {p.variation_id}, {p.variation_name})) k(kind, erp_id, name) "         \
             "WHERE p.kind BETWEEN 5 AND 8 AND k.erp_id IS NOT NULL"
#define IDS_WAREHOUSES                                                                             \
    "SELECT 'warehouse', {w.warehouse_id}, NULL::bigint, NULL, e.event_id FROM cb_rows w" SEEN(    \
        "w") " WHERE w.kind = 10 AND {w.warehouse_id} IS NOT NULL"
#define IDS_ENTITIES                                                                               \
    "SELECT e.type, e.entry, NULL::bigint, NULL, e.event_id FROM cb_ev e "                         \
    "WHERE e.status IN ('unhandled', 'stale') AND e.entry IS NOT NULL "                            \
    "AND e.type IN ('market', 'pricelist', 'warehouse', 'customer', 'account')"
/*
 * The ids a non-order event's payload names: every product, variation,
 * market, pricelist, warehouse, customer and account element with an <id>
 * (the object itself, and those it refers to: an account's market), with
 * its <description> or <name>.  Ids over EVMAP_CODE_MAX bytes are left out,
 * as the parser quarantines them in orders: they fit no index.
 */
#define IDS_PAYLOADS                                                                               \
    "SELECT t.kind, t.erp_id, NULL::bigint, t.name, e.event_id FROM cb_ev e "                      \
    "CROSS JOIN LATERAL (SELECT x.payload FROM centra.events x "                                   \
    "WHERE x.event_id = e.event_id " PROBE ") x "                                                  \
    "CROSS JOIN LATERAL (SELECT k.kind, btrim(k.erp_id, E' \\t\\n\\r') AS erp_id, "                \
    "COALESCE(NULLIF(btrim(k.description, E' \\t\\n\\r'), ''), "                                   \
    "NULLIF(btrim(k.name, E' \\t\\n\\r'), '')) AS name "                                           \
    "FROM XMLTABLE(XMLNAMESPACES('" SOAP_NS_CENTRA "' AS c), "                                     \
    "'//c:product|//c:variation|//c:market|//c:pricelist|//c:warehouse|//c:customer|//c:account' " \
    "PASSING x.payload COLUMNS kind text PATH 'local-name()', erp_id text PATH 'c:id[1]', "        \
    "description text PATH 'c:description[1]', name text PATH 'c:name[1]') k) t "                  \
    "WHERE e.status IN ('unhandled', 'stale') AND e.order_id IS NULL "                             \
    "AND t.erp_id <> '' AND octet_length(t.erp_id) <= " CB_STRINGIFY(EVMAP_CODE_MAX)
    {"cb_ids_lines",
     "INSERT INTO cb_ids (kind, erp_id, centra_id, name, event_id) " IDS_LINES
     " UNION ALL " IDS_WAREHOUSES " UNION ALL " IDS_ENTITIES " UNION ALL " IDS_PAYLOADS,
     0},
/*
 * Only ids "idmap import" would take back, so that an export of id_map
 * imports again: at most IDMAP_EXTERNAL_ID_MAX characters, no control
 * character (found in review).
 */
#define IDS_IMPORTABLE                                                                             \
    "WHERE char_length(erp_id) <= " CB_STRINGIFY(                                                  \
        IDMAP_EXTERNAL_ID_MAX) " AND erp_id !~ "                                                   \
                               "'[\\x01-\\x1f\\x7f-\\x9f]'"
    /*
     * The lock the two writes after take anyway, taken before cb_ids_new
     * reads id_map: a concurrent "idmap import" (SHARE ROW EXCLUSIVE until it
     * commits) is then waited for first, and cb_ids_new reads what it wrote.
     */
    {"cb_ids_lock", "LOCK TABLE centra.id_map IN ROW EXCLUSIVE MODE", 0},
    /*
     * The ids of the batch, one row per (kind, erp_id), that id_map does not
     * already hold as they are: computed once for the two statements after.
     * The name is the one of the newest event that gives one; a name that
     * id_map has from a newer event stays (name_event_id).
     */
    {"cb_ids_new",
     "WITH d AS (SELECT kind, erp_id, max(centra_id) AS centra_id, "
     "(array_agg(name ORDER BY event_id DESC) FILTER (WHERE name IS NOT NULL))[1] AS name, "
     "max(event_id) FILTER (WHERE name IS NOT NULL) AS name_event_id, "
     "max(event_id) AS event_id FROM cb_ids " IDS_IMPORTABLE " GROUP BY kind, erp_id), "
     "c AS (SELECT kind, erp_id, centra_id, name, name_event_id FROM d WHERE centra_id IS NULL "
     "UNION ALL (SELECT DISTINCT ON (kind, centra_id) kind, erp_id, centra_id, name, "
     "name_event_id FROM d WHERE centra_id IS NOT NULL ORDER BY kind, centra_id, event_id DESC)) "
     "INSERT INTO cb_idu (kind, erp_id, centra_id, name, name_event_id) "
     "SELECT kind, erp_id, centra_id, name, name_event_id FROM c "
     "WHERE NOT EXISTS (SELECT 1 FROM centra.id_map m "
     "WHERE m.kind = c.kind AND m.erp_id = c.erp_id "
     "AND m.centra_id IS NOT DISTINCT FROM COALESCE(c.centra_id, m.centra_id) "
     "AND (c.name IS NULL OR m.name = c.name OR m.name_event_id > c.name_event_id) " PROBE ")",
     0},
    /*
     * An order number now under another order id: the old pair goes
     * (id_map_centra_id_key).  Events give a Centra id to orders only (their
     * number, cb_ids_orders), so the scan is of that key with both columns
     * known, whatever the plan thinks of cb_idu's size.  An order of the
     * batch that lost its pair this way and has no number in the batch is
     * learned again without one.
     */
    {"cb_ids_renamed",
     "WITH gone AS (DELETE FROM centra.id_map m WHERE m.kind = 'order' "
     "AND m.centra_id = ANY (ARRAY(SELECT centra_id FROM cb_idu WHERE kind = 'order' "
     "AND centra_id IS NOT NULL)) "
     "AND EXISTS (SELECT 1 FROM cb_idu u WHERE u.kind = 'order' AND u.centra_id = m.centra_id "
     "AND u.erp_id <> m.erp_id) RETURNING m.kind, m.erp_id) "
     "INSERT INTO cb_idu (kind, erp_id, centra_id, name, name_event_id) "
     "SELECT i.kind, i.erp_id, NULL, "
     "(array_agg(i.name ORDER BY i.event_id DESC) FILTER (WHERE i.name IS NOT NULL))[1], "
     "max(i.event_id) FILTER (WHERE i.name IS NOT NULL) "
     "FROM cb_ids i JOIN gone g ON g.kind = i.kind AND g.erp_id = i.erp_id "
     "WHERE NOT EXISTS (SELECT 1 FROM cb_idu u WHERE u.kind = i.kind AND u.erp_id = i.erp_id) "
     "GROUP BY i.kind, i.erp_id HAVING max(i.centra_id) IS NULL",
     0},
    {"cb_ids",
     "INSERT INTO centra.id_map (kind, erp_id, centra_id, name, name_event_id, source) "
     "SELECT kind, erp_id, centra_id, name, name_event_id, 'event' FROM cb_idu "
     "ON CONFLICT (kind, erp_id) DO UPDATE SET "
     "centra_id = COALESCE(EXCLUDED.centra_id, centra.id_map.centra_id), "
     /* An event that changes the pair is now where it was learned. */
     "source = CASE WHEN EXCLUDED.centra_id IS DISTINCT FROM centra.id_map.centra_id "
     "AND EXCLUDED.centra_id IS NOT NULL THEN 'event' ELSE centra.id_map.source END, "
     "name = CASE WHEN " NAME_IS_NEWER " THEN EXCLUDED.name ELSE centra.id_map.name END, "
     "name_event_id = CASE WHEN " NAME_IS_NEWER " THEN EXCLUDED.name_event_id "
     "ELSE centra.id_map.name_event_id END, updated_at = now() "
     "WHERE centra.id_map.centra_id IS DISTINCT FROM "
     "COALESCE(EXCLUDED.centra_id, centra.id_map.centra_id) "
     "OR (" NAME_IS_NEWER " AND EXCLUDED.name IS DISTINCT FROM centra.id_map.name)",
     0},
};

static const char counts_sql[] = "SELECT status, count(*) FROM cb_ev GROUP BY status";

/* The record kind an alias letter of the templates stands for. */
static EvKind
alias_kind(char a)
{
    switch (a) {
    case 'v':
        return EVK_EVENT;
    case 'o':
        return EVK_ORDER;
    case 'y':
        return EVK_PAYMENT;
    case 'a':
        return EVK_ADDITIONAL;
    case 'p':
        return EVK_PRODUCT_LINE; /* every product kind has the same fields */
    case 's':
        return EVK_SIZE;
    case 'w':
        return EVK_WAREHOUSE;
    case 'u':
        return EVK_SUPPLIER;
    case 'h':
        return EVK_SHIPMENT;
    case 'r':
        return EVK_REFUND;
    default:
        return EVK_NONE;
    }
}

static const char *
cast_of(EvType t)
{
    switch (t) {
    case EVT_INT:
        return "::integer";
    case EVT_NUM:
        return "::numeric";
    case EVT_BOOL:
        return "::boolean";
    case EVT_TS:
        return "::timestamptz";
    case EVT_DATE:
        return "::date";
    case EVT_TEXT:
    case EVT_CODE:
        break;
    }
    return "";
}

/* Expand one {x.what} token into out. */
static void
expand_token(DynBuf *out, char alias, const char *what, size_t len)
{
    EvKind kind = alias_kind(alias);
    const EvRecordDef *d = evmap_record(kind);
    bool first = true;

    if (d == NULL) {
        log_error("internal error: unknown alias \"%c\" in the loader's SQL", alias);
        abort();
    }
    if (len > 1 && what[0] == '*') {
        for (int i = 0; i < d->nfields; i++) {
            const EvField *f = &d->fields[i];

            if (f->column[0] == '_')
                continue;
            (void)dynbuf_addstr(out, first ? "" : ", ");
            first = false;
            if (strncmp(what, "*cols", len) == 0)
                (void)dynbuf_addstr(out, f->column);
            else if (strncmp(what, "*vals", len) == 0)
                (void)dynbuf_addf(out, "(%c.f[%d])%s", alias, i + 1, cast_of(f->type));
            else
                (void)dynbuf_addf(out, "%s = EXCLUDED.%s", f->column, f->column);
        }
        return;
    }
    for (int i = 0; i < d->nfields; i++) {
        if (strlen(d->fields[i].column) == len && strncmp(d->fields[i].column, what, len) == 0) {
            (void)dynbuf_addf(out, "(%c.f[%d])%s", alias, i + 1, cast_of(d->fields[i].type));
            return;
        }
    }
    log_error("internal error: no field \"%.*s\" for alias \"%c\"", (int)len, what, alias);
    abort();
}

/* Expand the {x.column}, {x.*cols}, {x.*vals} and {x.*set} tokens of tmpl. */
static char *
sql_expand(const char *tmpl)
{
    DynBuf out;

    dynbuf_init(&out, 1024 * 1024);
    for (const char *s = tmpl; *s != '\0'; s++) {
        const char *close;

        if (s[0] == '{' && s[1] >= 'a' && s[1] <= 'z' && s[2] == '.' &&
            (close = strchr(s, '}')) != NULL) {
            expand_token(&out, s[1], s + 3, (size_t)(close - s - 3));
            s = close;
            continue;
        }
        (void)dynbuf_addc(&out, *s);
    }
    return dynbuf_take(&out);
}

/* ---------------------------------------------------------------------------
 * COPY rows
 * ------------------------------------------------------------------------- */

static ErrKind
copy_flush(Loader *L, bool force, Error *err)
{
    ErrKind rc;

    if (L->copy.len == 0 || (!force && L->copy.len < COPY_FLUSH))
        return ERR_OK;
    rc = db_copy_put(L->db, L->copy.data, L->copy.len, err);
    dynbuf_reset(&L->copy);
    return rc;
}

/* COPY text escaping of s; in_array also escapes for an array element in quotes. */
static void
copy_escape(DynBuf *b, const char *s, size_t len, bool in_array)
{
    const char *run = s;

    for (size_t i = 0; i < len; i++) {
        const char *rep;

        switch (s[i]) {
        case '\\':
            rep = in_array ? "\\\\\\\\" : "\\\\";
            break;
        case '"':
            rep = in_array ? "\\\\\"" : NULL;
            break;
        case '\n':
            rep = "\\n";
            break;
        case '\r':
            rep = "\\r";
            break;
        case '\t':
            rep = "\\t";
            break;
        default:
            rep = NULL;
        }
        if (rep != NULL) {
            (void)dynbuf_add(b, run, (size_t)(s + i - run));
            (void)dynbuf_addstr(b, rep);
            run = s + i + 1;
        }
    }
    (void)dynbuf_add(b, run, (size_t)(s + len - run));
}

static void
row_start(Loader *L, int ev, int kind, int rec, int parent)
{
    (void)dynbuf_addf(&L->copy, "%d\t%d\t%d\t%d\t", ev, kind, rec, parent);
}

/* The f column: a text[] literal of n values. */
static void
row_array(Loader *L, const char *const *vals, int n)
{
    (void)dynbuf_addc(&L->copy, '{');
    for (int i = 0; i < n; i++) {
        if (i > 0)
            (void)dynbuf_addc(&L->copy, ',');
        if (vals[i] == NULL) {
            (void)dynbuf_addstr(&L->copy, "NULL");
            continue;
        }
        (void)dynbuf_addc(&L->copy, '"');
        copy_escape(&L->copy, vals[i], strlen(vals[i]), true);
        (void)dynbuf_addc(&L->copy, '"');
    }
    (void)dynbuf_addc(&L->copy, '}');
}

static ErrKind
sink_record(void *arg, const EvpRecord *r, Error *err)
{
    Loader *L = arg;

    row_start(L, r->seq, (int)r->kind, r->rec, r->parent);
    row_array(L, r->values, r->nvalues);
    (void)dynbuf_addstr(&L->copy, "\t\\N\t\\N\t\\N\n");
    return copy_flush(L, false, err);
}

static ErrKind
sink_payload_begin(void *arg, int seq, Error *err)
{
    Loader *L = arg;

    (void)err;
    L->payload_seq = seq;
    L->payload_piece = 0;
    L->ncarry = 0;
    L->holding = false;
    L->held_whole = false;
    return ERR_OK;
}

/* Length of the longest prefix of s that does not end inside a UTF-8 sequence. */
static size_t
utf8_whole(const unsigned char *s, size_t len)
{
    size_t i = len;
    size_t back = 0;

    while (i > 0 && back < 4 && (s[i - 1] & 0xC0) == 0x80) {
        i--;
        back++;
    }
    if (i == 0)
        return len;
    {
        unsigned char lead = s[i - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;

        return need > back + 1 ? i - 1 : len;
    }
}

/*
 * A piece of payload as a doc row: each row must hold whole UTF-8, so a
 * character split at the end of data is held back and written at the start
 * of the next one.
 */
static ErrKind
payload_piece(Loader *L, const char *data, size_t len, Error *err)
{
    size_t whole = utf8_whole((const unsigned char *)data, len);

    if (L->ncarry + (long long)whole == 0 && len < sizeof(L->utf8_carry)) {
        memcpy(L->utf8_carry, data, len);
        L->ncarry = (int)len;
        return ERR_OK;
    }
    row_start(L, L->payload_seq, KIND_PAYLOAD, ++L->payload_piece, 0);
    (void)dynbuf_addstr(&L->copy, "\\N\t");
    (void)dynbuf_add(&L->copy, L->utf8_carry, (size_t)L->ncarry);
    copy_escape(&L->copy, data, whole, false);
    (void)dynbuf_addstr(&L->copy, "\t\\N\t\\N\n");
    L->ncarry = (int)(len - whole);
    memcpy(L->utf8_carry, data + whole, (size_t)L->ncarry);
    return copy_flush(L, false, err);
}

/*
 * The parser hands a payload on in pieces of up to 64 kB.  The first one is
 * held back: when the payload ends with it (most do), the event writes it
 * as one xdoc row; when more follows, it becomes the first doc piece.
 */
static ErrKind
sink_payload_data(void *arg, const char *data, size_t len, Error *err)
{
    Loader *L = arg;
    ErrKind rc;

    if (L->payload_piece == 0 && !L->holding) {
        dynbuf_reset(&L->held);
        (void)dynbuf_add(&L->held, data, len);
        L->holding = true;
        return ERR_OK;
    }
    if (L->holding) {
        L->holding = false;
        rc = payload_piece(L, L->held.data, L->held.len, err);
        if (rc != ERR_OK)
            return rc;
    }
    return payload_piece(L, data, len, err);
}

static ErrKind
sink_payload_end(void *arg, Error *err)
{
    Loader *L = arg;

    (void)err;
    /* expat hands out whole characters: nothing can be left over. */
    L->ncarry = 0;
    L->held_whole = L->holding;
    return ERR_OK;
}

/*
 * The held payload of a good event, as its xdoc row.  A quarantined event's
 * is dropped: it may be cut anywhere, and the raw bytes are kept instead.
 */
static ErrKind
payload_whole(Loader *L, const EvpEvent *ev, Error *err)
{
    bool write = L->held_whole && ev->quarantine == NULL && ev->seq == L->payload_seq;

    L->holding = false;
    L->held_whole = false;
    if (!write)
        return ERR_OK;
    row_start(L, L->payload_seq, KIND_PAYLOAD, 1, 0);
    (void)dynbuf_addstr(&L->copy, "\\N\t\\N\t\\N\t");
    copy_escape(&L->copy, L->held.data, L->held.len, false);
    (void)dynbuf_addc(&L->copy, '\n');
    return copy_flush(L, false, err);
}

/*
 * Whether s (n bytes, s[0] == '<') starts an event's start tag, with any
 * prefix ("<event>", "<ns1:event ..."): 1 yes, 0 no, -1 the bytes end first.
 * Not an end tag, nor <events>.
 */
#define TAG_PREFIX_MAX 64

static int
event_tag_at(const char *s, size_t n)
{
    size_t k = 1;
    size_t local;

    while (k < n && k - 1 <= TAG_PREFIX_MAX &&
           (isalnum((unsigned char)s[k]) || s[k] == '_' || s[k] == '-' || s[k] == '.'))
        k++;
    if (k - 1 > TAG_PREFIX_MAX)
        return 0;
    if (k == n)
        return -1;
    local = s[k] == ':' && k > 1 ? k + 1 : 1;
    for (size_t m = 0; m < 5; m++) {
        if (local + m >= n)
            return -1;
        if (s[local + m] != "event"[m])
            return 0;
    }
    if (local + 5 >= n)
        return -1;
    return strchr(" \t\r\n/>", s[local + 5]) != NULL && s[local + 5] != '\0';
}

/*
 * Count the event start tags in a piece of a quarantined event's raw bytes
 * (L->tags): its own, and any of the events after it when its XML broke (its
 * bytes then run to the answer's end).  A tag cut by the end of a piece is
 * carried over to the next.
 */
static void
count_event_tags(Loader *L, const char *data, size_t len)
{
    const char *b;
    size_t n;

    (void)dynbuf_add(&L->scan, data, len);
    b = dynbuf_str(&L->scan);
    n = dynbuf_len(&L->scan);
    for (size_t i = 0; i < n; i++) {
        int r;

        if (b[i] != '<')
            continue;
        r = event_tag_at(b + i, n - i);
        if (r < 0) {
            memmove(L->scan.data, b + i, n - i);
            dynbuf_truncate(&L->scan, n - i);
            return;
        }
        L->tags += r;
    }
    dynbuf_reset(&L->scan);
}

static ErrKind
raw_piece(void *arg, const char *data, size_t len, Error *err)
{
    Loader *L = arg;
    static const char hex[] = "0123456789abcdef";

    if (L->tags >= 0)
        count_event_tags(L, data, len);

    while (len > 0) {
        size_t n = len < 16384 ? len : 16384;

        row_start(L, L->raw_seq, KIND_RAW, ++L->raw_piece, 0);
        (void)dynbuf_addstr(&L->copy, "\\N\t\\N\t\\\\x");
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)data[i];
            char pair[2] = {hex[c >> 4], hex[c & 15]};

            (void)dynbuf_add(&L->copy, pair, 2);
        }
        (void)dynbuf_addstr(&L->copy, "\t\\N\n");
        ErrKind rc = copy_flush(L, false, err);

        if (rc != ERR_OK)
            return rc;
        data += n;
        len -= n;
    }
    return ERR_OK;
}

static void
ack_add(Loader *L, long long id)
{
    for (size_t i = 0; i < L->nack; i++)
        if (L->ack[i] == id)
            return;
    if (L->nack == L->ack_alloc) {
        L->ack_alloc = L->ack_alloc == 0 ? ACK_MAX_START : L->ack_alloc * 2;
        L->ack = xrealloc_array(L->ack, L->ack_alloc, sizeof(long long));
    }
    L->ack[L->nack++] = id;
}

static ErrKind
sink_event(void *arg, const EvpEvent *ev, EvParser *p, Error *err)
{
    Loader *L = arg;
    const char *vals[8];
    char id[32];
    char replaced[16];
    ErrKind rc = payload_whole(L, ev, err);

    if (rc != ERR_OK)
        return rc;
    if (ev->quarantine != NULL) {
        L->raw_seq = ev->seq;
        L->raw_piece = 0;
        /*
         * Only the raw bytes of the event whose XML broke (the last of the
         * answer) run on to its end: counted there, they say whether other
         * events follow.
         */
        L->tags = evp_stats(p).malformed || evp_stats(p).rest_unread ? 0 : -1;
        dynbuf_reset(&L->scan);
        rc = evp_raw_each(p, raw_piece, L, err);
        if (rc != ERR_OK)
            return rc;
        if (L->tags > 1)
            L->broke_seq = ev->seq;
        L->broken++; /* logged once the batch says what became of it (broken_verdicts) */
    }
    if (ev->event_id >= 0) {
        snprintf(id, sizeof(id), "%lld", ev->event_id);
        ack_add(L, ev->event_id);
    } else {
        L->unidentified++;
    }
    snprintf(replaced, sizeof(replaced), "%d", ev->replaced_chars);
    if (ev->replaced_chars > 0)
        log_warn("event %s: %d invalid XML character(s) replaced by U+FFFD%s",
                 ev->event_id >= 0 ? id : "?", ev->replaced_chars,
                 ev->quarantine != NULL ? " in its raw bytes" : "");
    vals[0] = ev->event_id >= 0 ? id : NULL;
    vals[1] = ev->values[EVF_TYPE];
    vals[2] = ev->values[EVF_ENTRY];
    vals[3] = ev->values[EVF_MISSION];
    vals[4] = ev->values[EVF_DATE];
    vals[5] = ev->notes;
    vals[6] = ev->quarantine;
    vals[7] = replaced;
    row_start(L, ev->seq, EVK_EVENT, 0, 0);
    row_array(L, vals, 8);
    (void)dynbuf_addstr(&L->copy, "\t\\N\t\\N\t\\N\n");
    rc = copy_flush(L, false, err);
    if (rc == ERR_OK)
        CB_FAULT_POINT("import.mid_parse");
    return rc;
}

/* ---------------------------------------------------------------------------
 * Batches
 * ------------------------------------------------------------------------- */

Loader *
loader_new(DbConn *db, const char *timezone, const char *origin)
{
    Loader *L = xcalloc(1, sizeof(Loader));

    L->db = db;
    L->timezone = xstrdup(timezone != NULL && timezone[0] != '\0' ? timezone : "UTC");
    L->tz_origin = origin != NULL ? xstrdup(origin) : NULL;
    dynbuf_init(&L->copy, SIZE_MAX / 2);
    dynbuf_init(&L->held, SIZE_MAX / 2);
    dynbuf_init(&L->verdicts, SIZE_MAX / 2);
    dynbuf_init(&L->scan, SIZE_MAX / 2);
    L->sink.payload_begin = sink_payload_begin;
    L->sink.payload_data = sink_payload_data;
    L->sink.payload_end = sink_payload_end;
    L->sink.record = sink_record;
    L->sink.event = sink_event;
    L->sink.arg = L;
    L->stmts = xcalloc(CB_LENGTH(apply_stmts), sizeof(char *));
    for (size_t i = 0; i < CB_LENGTH(apply_stmts); i++)
        L->stmts[i] = sql_expand(apply_stmts[i].sql);
    return L;
}

void
loader_free(Loader *L)
{
    if (L == NULL)
        return;
    loader_abort(L);
    for (size_t i = 0; i < CB_LENGTH(apply_stmts); i++)
        xfree(L->stmts[i]);
    xfree(L->stmts);
    dynbuf_free(&L->copy);
    dynbuf_free(&L->held);
    dynbuf_free(&L->verdicts);
    dynbuf_free(&L->scan);
    xfree(L->ack);
    xfree(L->timezone);
    xfree(L->tz_origin);
    xfree(L);
}

const EvpSink *
loader_sink(Loader *L)
{
    return &L->sink;
}

static ErrKind
check_encoding(Loader *L, Error *err)
{
    DbResult *res;
    ErrKind rc = db_query(L->db, "SELECT current_setting('server_encoding')", 0, NULL, &res, err);

    if (rc != ERR_OK)
        return rc;
    if (strcmp(db_result_value(res, 0, 0), "UTF8") != 0) {
        err_set(err, ERR_CONFIG, "the database uses the encoding %s, not UTF8",
                db_result_value(res, 0, 0));
        err_detail(err, "Centra's data is Unicode; centra-bridge stores it as it comes.");
        err_hint(err, "Create the database with ENCODING 'UTF8'.");
        rc = ERR_CONFIG;
    }
    db_result_free(res);
    return rc;
}

/*
 * Work tables, settings and prepared statements, once.  *epoch receives the
 * session they were made on: the one check_encoding ran on (a reconnect
 * before it is harmless), which every later step must share.
 */
static ErrKind
session_setup_once(Loader *L, unsigned *epoch, Error *err)
{
    ErrKind rc = check_encoding(L, err);

    *epoch = db_epoch(L->db);
    if (rc == ERR_OK)
        rc = db_set_time_zone(L->db, L->timezone, L->tz_origin, err);
    if (rc == ERR_OK)
        rc = db_exec(L->db,
                     "SET client_min_messages = warning;\n"
                     "SET search_path = pg_catalog, pg_temp;\n"
                     /* COMMIT must be durable before events_Done, whatever the server's
                        default (synchronous_commit = off loses the last commits in a
                        crash, after Centra forgot the events). */
                     "SET synchronous_commit = on;\n",
                     err);
    if (rc == ERR_OK) {
        ErrKind lz4 = db_exec(L->db, "SET default_toast_compression = lz4", err);

        if (lz4 == ERR_DB_CONNECTION) {
            /* Not a missing lz4: the next statement would run on a new session without
               the settings above (found in an import review). */
            rc = lz4;
        } else if (lz4 != ERR_OK) {
            /* A server built without lz4: payloads are compressed with pglz, only slower. */
            log_debug("lz4 compression not available: %s", err->message);
            err_reset(err);
        }
    }
    if (rc == ERR_OK)
        rc = db_exec(L->db, session_sql, err);
    for (size_t i = 0; rc == ERR_OK && i < CB_LENGTH(apply_stmts); i++)
        rc = db_prepare(L->db, apply_stmts[i].name, L->stmts[i], apply_stmts[i].nparams, err);
    if (rc == ERR_OK)
        rc = db_prepare(L->db, "cb_counts", counts_sql, 0, err);
    return rc;
}

/*
 * Set a new connection's session up.  Should a step have run on a session
 * other than the first one's (a connection lost and made again in between),
 * the whole setup is done again on the new one, once; then it is a lost
 * connection.
 */
static ErrKind
session_setup(Loader *L, Error *err)
{
    if (L->session_ok && L->epoch == db_epoch(L->db))
        return ERR_OK;
    L->session_ok = false;
    for (int attempt = 1;; attempt++) {
        unsigned epoch;
        ErrKind rc = session_setup_once(L, &epoch, err);

        if (rc != ERR_OK)
            return rc;
        if (epoch == db_epoch(L->db)) {
            L->session_ok = true;
            L->epoch = epoch;
            return ERR_OK;
        }
        if (attempt == 2) {
            err_set(err, ERR_DB_CONNECTION,
                    "the connection to the database was lost while the session was set up");
            err_detail(err, "The connection was made again twice during the setup of the "
                            "session's settings, work tables and prepared statements.");
            return ERR_DB_CONNECTION;
        }
        log_info("the connection to the database was made again while the session was set up; "
                 "setting the new session up");
    }
}

ErrKind
loader_begin(Loader *L, Error *err)
{
    ErrKind rc = session_setup(L, err);

    L->nack = 0;
    L->unidentified = 0;
    L->broken = 0;
    L->lost_after = false;
    L->kept_after = false;
    L->broke_seq = 0;
    dynbuf_reset(&L->verdicts);
    dynbuf_reset(&L->copy);
    L->holding = false;
    L->held_whole = false;
    if (rc != ERR_OK)
        return rc;
    rc = db_begin(L->db, err);
    if (rc == ERR_OK && L->epoch != db_epoch(L->db)) {
        /* BEGIN found the connection lost and made a new one: set that session up. */
        rc = db_rollback(L->db, err);
        if (rc == ERR_OK)
            rc = session_setup(L, err);
        if (rc == ERR_OK)
            rc = db_begin(L->db, err);
    }
    if (rc != ERR_OK)
        return rc;
    L->in_batch = true;
    rc = db_copy_begin(L->db, "COPY cb_rows (ev, kind, rec, parent, f, doc, raw, xdoc) FROM STDIN",
                       err);
    L->in_copy = rc == ERR_OK;
    return rc;
}

static void
count_status(LoaderCounts *c, const char *status, int n)
{
    if (strcmp(status, "applied") == 0)
        c->applied = n;
    else if (strcmp(status, "stale") == 0)
        c->stale = n;
    else if (strcmp(status, "unhandled") == 0)
        c->unhandled = n;
    else if (strcmp(status, "duplicate") == 0)
        c->duplicate = n;
    else if (strcmp(status, "quarantined") == 0)
        c->quarantined = n;
}

/*
 * What became of the quarantined events of the batch, from its
 * classification, for loader_commit to log: stored quarantined (a warning),
 * or not stored because the event is already stored (a broken copy of it:
 * the stored one stays).  Into L->verdicts, a record each.
 */
static ErrKind
broken_verdicts(Loader *L, Error *err)
{
    DbResult *res = NULL;
    ErrKind rc = db_query(L->db,
                          "SELECT event_id, status, quarantine, ev FROM cb_ev "
                          "WHERE quarantine IS NOT NULL ORDER BY ev",
                          0, NULL, &res, err);

    for (int i = 0; rc == ERR_OK && i < db_result_rows(res); i++) {
        const char *id = db_result_value(res, i, 0);
        const char *why = db_result_value(res, i, 2);

        /*
         * Raw bytes that hold more events: those are in the quarantined row's
         * raw, or, for a copy not stored, in no row.
         */
        if (L->broke_seq > 0 && strtol(db_result_value(res, i, 3), NULL, 10) == L->broke_seq) {
            if (strcmp(db_result_value(res, i, 1), "duplicate") == 0)
                L->lost_after = true;
            else
                L->kept_after = true;
        }
        if (strcmp(db_result_value(res, i, 1), "quarantined") == 0)
            (void)dynbuf_addf(&L->verdicts, "Wevent %s quarantined: %s\x1e",
                              id != NULL ? id : "(id unreadable)", why);
        else
            (void)dynbuf_addf(&L->verdicts,
                              "Ievent %s is already stored; this copy of it is broken and was "
                              "not stored: %s\x1e",
                              id, why);
    }
    db_result_free(res);
    return rc;
}

/*
 * Events not stored because their id is stored already, whose copy here says
 * something else (type, entry, mission or data): not a re-delivery, and the
 * stored copy stays, so a warning each (up to DIFFERS_MAX) for loader_commit
 * to log.  Event ids that start again (CENTRA_URL now naming another Centra)
 * would otherwise be dropped without a word.  The batch's own first copy of
 * an id given twice is in centra.events by now, so it is compared too.
 */
#define DIFFERS_MAX 10

static ErrKind
duplicate_verdicts(Loader *L, Error *err)
{
    DbResult *res = NULL;
    ErrKind rc = db_query(
        L->db,
        "SELECT n.event_id, x.run_id, to_char(x.received_at AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD HH24:MI:SS'), count(*) OVER () FROM (SELECT e.event_id, e.type, e.entry, "
        "e.mission, COALESCE((SELECT r.xdoc::text FROM cb_rows r WHERE r.ev = e.ev "
        "AND r.kind = " CB_STRINGIFY(
            KIND_PAYLOAD) " AND r.xdoc IS NOT NULL), "
                          "(SELECT string_agg(r.doc, '' ORDER BY r.rec) FROM cb_rows r WHERE r.ev "
                          "= e.ev "
                          "AND r.kind = " CB_STRINGIFY(
                              KIND_PAYLOAD) " AND r.doc IS NOT NULL)) AS doc "
                                            "FROM cb_ev e WHERE e.status = 'duplicate' AND "
                                            "e.quarantine IS NULL) n "
                                            "JOIN centra.events x ON x.event_id = n.event_id AND "
                                            "x.status <> 'quarantined' "
                                            "WHERE (x.type, x.entry, x.mission, x.payload::text) "
                                            "IS DISTINCT FROM "
                                            "(n.type, n.entry, n.mission, n.doc) ORDER BY "
                                            "n.event_id LIMIT " CB_STRINGIFY(DIFFERS_MAX),
        0, NULL, &res, err);

    for (int i = 0; rc == ERR_OK && i < db_result_rows(res); i++)
        (void)dynbuf_addf(&L->verdicts,
                          "Wevent %s came again with other content (type, entry, mission or "
                          "data) than the copy stored by run %s at %s UTC; that one is kept and "
                          "this one was not stored (ids starting again: does CENTRA_URL now name "
                          "another Centra? docs/import.md)\x1e",
                          db_result_value(res, i, 0),
                          db_result_value(res, i, 1) != NULL ? db_result_value(res, i, 1) : "-",
                          db_result_value(res, i, 2));
    if (rc == ERR_OK && db_result_rows(res) > 0) {
        long total = strtol(db_result_value(res, 0, 3), NULL, 10);

        if (total > DIFFERS_MAX)
            (void)dynbuf_addf(&L->verdicts,
                              "W%ld more events of the batch came again with "
                              "other content than their stored copy\x1e",
                              total - DIFFERS_MAX);
    }
    db_result_free(res);
    return rc;
}

ErrKind
loader_apply(Loader *L, long long run_id, const char *source, LoaderCounts *c, Error *err)
{
    char run[32];
    const char *params[2] = {run, source};
    DbResult *res = NULL;
    ErrKind rc;

    memset(c, 0, sizeof(*c));
    rc = copy_flush(L, true, err);
    if (rc == ERR_OK) {
        L->in_copy = false;
        rc = db_copy_end(L->db, NULL, NULL, err);
    }
    snprintf(run, sizeof(run), "%lld", run_id);
    for (size_t i = 0; rc == ERR_OK && i < CB_LENGTH(apply_stmts); i++) {
        long long t0 = log_enabled(LOG_LEVEL_TRACE) ? backoff_now_ms() : 0;

        rc = db_exec_prepared(L->db, apply_stmts[i].name, apply_stmts[i].nparams,
                              apply_stmts[i].nparams > 0 ? params : NULL, NULL, err);
        log_trace("%s: %lld ms", apply_stmts[i].name, backoff_now_ms() - t0);
    }
    if (rc == ERR_OK)
        rc = db_exec_prepared(L->db, "cb_counts", 0, NULL, &res, err);
    for (int i = 0; rc == ERR_OK && i < db_result_rows(res); i++) {
        int n = (int)strtol(db_result_value(res, i, 1), NULL, 10);

        c->received += n;
        count_status(c, db_result_value(res, i, 0), n);
    }
    db_result_free(res);
    if (rc == ERR_OK && L->broken > 0)
        rc = broken_verdicts(L, err);
    if (rc == ERR_OK && c->duplicate > 0)
        rc = duplicate_verdicts(L, err);
    if (rc != ERR_OK)
        err_prefix(err, "could not store a batch of events");
    return rc;
}

ErrKind
loader_commit(Loader *L, Error *err)
{
    ErrKind rc = db_commit(L->db, err);

    L->in_batch = false;
    if (rc == ERR_OK && L->verdicts.len > 0) {
        /* Records of "W" or "I" and the message, each ended by RS (broken_verdicts). */
        for (char *line = L->verdicts.data; *line != '\0';) {
            char *end = strchr(line, '\x1e');

            *end = '\0';
            if (line[0] == 'W')
                log_warn("%s", line + 1);
            else
                log_info("%s", line + 1);
            line = end + 1;
        }
    }
    dynbuf_reset(&L->verdicts);
    return rc;
}

void
loader_abort(Loader *L)
{
    Error e;

    err_reset(&e);
    if (L->in_copy && db_copy_end(L->db, "batch abandoned", NULL, &e) != ERR_OK)
        log_debug("ending COPY: %s", e.message);
    L->in_copy = false;
    if (L->in_batch && db_rollback(L->db, &e) != ERR_OK)
        log_debug("rollback: %s", e.message);
    L->in_batch = false;
    dynbuf_reset(&L->copy);
}

const long long *
loader_ack_ids(const Loader *L, size_t *n)
{
    *n = L->nack;
    return L->ack;
}

int
loader_unidentified(const Loader *L)
{
    return L->unidentified;
}

bool
loader_lost_after_broken(const Loader *L)
{
    return L->lost_after;
}

bool
loader_kept_after_broken(const Loader *L)
{
    return L->kept_after;
}

ErrKind
loader_mark_done(Loader *L, const long long *ids, size_t n, Error *err)
{
    DynBuf arr;
    DynBuf sql;
    ErrKind rc;

    if (n == 0)
        return ERR_OK;
    dynbuf_init(&arr, SIZE_MAX / 2);
    for (size_t i = 0; i < n; i++)
        (void)dynbuf_addf(&arr, "%s%lld", i > 0 ? "," : "", ids[i]);
    /*
     * Two statements in one (implicit) transaction: the first waits for
     * writers of these events (their cb_lock keys, in the same order), so
     * that the UPDATE, with a snapshot taken after, sees what they committed.
     * A "load" replacing a quarantined event (cb_unquarantine) deletes the
     * row and inserts another: an UPDATE that only waited for the row lock
     * would find the old row gone and skip the new one.  The ids are
     * integers: no parameters, which a query of two statements cannot have.
     */
    dynbuf_init(&sql, SIZE_MAX / 2);
    (void)dynbuf_addf(&sql,
                      "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 2026))) FROM "
                      "(SELECT DISTINCT 'i:' || id AS k FROM unnest('{%s}'::bigint[]) id "
                      "ORDER BY k) s; "
                      "UPDATE centra.events SET done_at = now() "
                      "WHERE event_id = ANY ('{%s}'::bigint[]) AND done_at IS NULL",
                      dynbuf_str(&arr), dynbuf_str(&arr));
    rc = db_exec(L->db, dynbuf_str(&sql), err);
    dynbuf_free(&sql);
    dynbuf_free(&arr);
    return rc;
}
