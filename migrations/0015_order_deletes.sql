-- migrations/0015_order_deletes.sql
--     A delete of an order (an order event without <order>) is kept in
--     centra.entities, as 0001 did, and is now part of the order's state:
--     an older update is stale, a newer one applies and removes that row.
--     The table's comment said it held objects other than orders only.

COMMENT ON TABLE centra.entities IS
    'The latest state of every object other than orders that Centra sent an event for '
    '(customers, accounts, invoices, markets, pricelists, ...), one row per type and id, as '
    'XML. Query it with xpath(); see centra.events.payload for the namespace. Also an order '
    'deleted by an order event without <order> (type order, deleted true): centra.orders keeps '
    'its rows, older events of the order are stale, and a newer one that applies removes '
    'this row.';
