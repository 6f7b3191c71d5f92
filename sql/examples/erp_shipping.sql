-- sql/examples/erp_shipping.sql
--     Example, not applied by migrate: an ERP shipping table whose trigger
--     feeds centra_outbox.shipment_updates.  Run it on a migrated database
--     (psql -f) that holds imported orders.  A packed parcel creates the
--     shipment in Centra; setting its tracking number marks it shipped and
--     captures the payment (and completes a direct-to-consumer order).

CREATE SCHEMA IF NOT EXISTS erp;

CREATE TABLE IF NOT EXISTS erp.parcels (
    parcel_id text PRIMARY KEY,             -- sent to Centra as the shipment id
    order_id text NOT NULL,                 -- centra.orders.order_id
    parcel_no integer NOT NULL,             -- 1, 2, ... within the order (<appendix>)
    lines jsonb NOT NULL,                   -- [{"orderitem": "68", "qty": 1}, ...]
    shipping_cost numeric,
    carrier text,
    service text,
    tracking text
);

CREATE OR REPLACE FUNCTION erp.parcels_to_centra() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO centra_outbox.shipment_updates
            (order_id, shipment_id, action, appendix, lines, shipping_subtotal)
        VALUES (NEW.order_id, NEW.parcel_id, 'create', NEW.parcel_no, NEW.lines,
                NEW.shipping_cost);
    END IF;
    IF NEW.tracking IS NOT NULL
       AND (TG_OP = 'INSERT' OR OLD.tracking IS DISTINCT FROM NEW.tracking) THEN
        INSERT INTO centra_outbox.shipment_updates
            (order_id, shipment_id, action, carrier, service, tracking, capture, order_status)
        SELECT NEW.order_id, NEW.parcel_id, 'ship', NEW.carrier, NEW.service, NEW.tracking,
               true, CASE WHEN o.type = 'retail' THEN 'completed' END
        FROM centra.orders o WHERE o.order_id = NEW.order_id;
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS parcels_to_centra ON erp.parcels;
CREATE TRIGGER parcels_to_centra AFTER INSERT OR UPDATE ON erp.parcels
    FOR EACH ROW EXECUTE FUNCTION erp.parcels_to_centra();

-- Try it with the guide's wholesale order 25
-- (centra-bridge load tests/fixtures/guide/wholesale_order_event.xml):
--   INSERT INTO erp.parcels (parcel_id, order_id, parcel_no, lines, shipping_cost)
--   VALUES ('shipment-25-1', '25', 1,
--           '[{"orderitem": "68", "qty": 1}, {"orderitem": "69", "qty": 1},
--             {"orderitem": "67", "qty": 2}]', 123);
--   UPDATE erp.parcels SET carrier = 'DHL', service = 'EXPRESS', tracking = '876543210'
--   WHERE parcel_id = 'shipment-25-1';
--   SELECT id, entity_key, payload FROM centra_outbox.messages WHERE entity_key = 'order:25';
