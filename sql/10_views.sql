-- sql/10_views.sql
--     Views for DBAs and the warehouse.  Re-applied by every
--     "centra-bridge migrate", after the migrations: keep it idempotent.

CREATE OR REPLACE VIEW centra.pick_lines AS
    SELECT l.*
    FROM centra.order_lines l
    WHERE l.bundle_role <> 'bundle';

COMMENT ON VIEW centra.pick_lines IS
    'The order lines a warehouse picks: every line except virtual bundle products (their '
    'parts are listed instead, with bundle_role = part). It covers orders in every status: '
    'join centra.orders and filter on status for open orders. Same columns as '
    'centra.order_lines.';

-- The view's columns mean what the table's do: copy the comments across.
DO $comments$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT a.attname, col_description(a.attrelid, a.attnum) AS description
        FROM pg_attribute a
        WHERE a.attrelid = 'centra.order_lines'::regclass AND a.attnum > 0 AND NOT a.attisdropped
    LOOP
        EXECUTE format('COMMENT ON COLUMN centra.pick_lines.%I IS %L', c.attname, c.description);
    END LOOP;
END
$comments$;
