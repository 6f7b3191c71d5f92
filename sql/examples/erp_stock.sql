-- sql/examples/erp_stock.sql
--     Example, not applied by migrate: an ERP stock table whose trigger
--     feeds centra_outbox.stock_updates.  Run it on a migrated database
--     (psql -f), then change erp.stock: every change of a free-to-allocate
--     quantity enqueues one stock message; older unsent ones of the same
--     size and warehouse are superseded.

CREATE SCHEMA IF NOT EXISTS erp;

CREATE TABLE IF NOT EXISTS erp.stock (
    product_id text NOT NULL,
    variation_id text NOT NULL,
    size_id text NOT NULL,
    warehouse_id text NOT NULL,
    on_shelf integer NOT NULL DEFAULT 0,
    reserved integer NOT NULL DEFAULT 0,  -- for unshipped orders, in Centra or elsewhere
    PRIMARY KEY (product_id, variation_id, size_id, warehouse_id)
);

-- Centra wants FTA (free to allocate), never below 0: shelf minus reserved.
CREATE OR REPLACE FUNCTION erp.stock_to_centra() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND greatest(NEW.on_shelf - NEW.reserved, 0) = greatest(OLD.on_shelf - OLD.reserved, 0) THEN
        RETURN NULL; -- nothing Centra sees changed
    END IF;
    INSERT INTO centra_outbox.stock_updates (product_id, variation_id, size_id, warehouse_id, qty)
    VALUES (NEW.product_id, NEW.variation_id, NEW.size_id, NEW.warehouse_id,
            greatest(NEW.on_shelf - NEW.reserved, 0));
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS stock_to_centra ON erp.stock;
CREATE TRIGGER stock_to_centra AFTER INSERT OR UPDATE ON erp.stock
    FOR EACH ROW EXECUTE FUNCTION erp.stock_to_centra();

-- Try it:
--   INSERT INTO erp.stock VALUES ('PWC', 'PWC', 'OS', 'MainWarehouse', 3, 2);
--   UPDATE erp.stock SET on_shelf = 5 WHERE product_id = 'PWC';
--   SELECT id, status, superseded_by, payload FROM centra_outbox.messages
--   WHERE entity_key = 'stock:PWC/PWC/OS/MainWarehouse' ORDER BY id;
