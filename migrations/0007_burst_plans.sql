-- migrations/0007_burst_plans.sql
--     Plans that stay cheap when the statistics of centra_outbox.messages are
--     stale.  Once the table has been analyzed while (nearly) every message
--     was sent, the planner believes next to no message is open, so any
--     index on open messages looks empty and free to read whole.  For a burst
--     of inserts (a nightly stock feed of 100,000 rows) the stock trigger then
--     found a key's older pending message by reading every pending message,
--     through messages_status_idx or messages_open_id_idx, for each row
--     inserted: 10,000 stock updates took 10 s and 20,000 took 50 s, until
--     autovacuum analyzed the table.  Now 1.1 s and 2.5 s.
--
--     The trigger's condition now implies the predicate of
--     messages_entity_key_idx and of no other index, and tests the status
--     and the id in forms no index serves: the lookup by key is the only
--     indexed one left to it.
--
--     messages_status_idx no longer holds open and sent messages: open ones
--     are found through messages_open_id_idx and messages_entity_key_idx,
--     and "sent" is most of the table, which an index on status does not
--     narrow.  It keeps what is rare and looked up by status: failed,
--     cancelled and superseded messages.  This also spares every message
--     three entries in it (enqueued, claimed, sent).
--
--     Building the new index reads the table once and blocks inserts into it
--     meanwhile: seconds for millions of messages.

DROP INDEX centra_outbox.messages_status_idx;
CREATE INDEX messages_status_idx ON centra_outbox.messages (status)
    WHERE status NOT IN ('pending', 'sending', 'sent');
COMMENT ON INDEX centra_outbox.messages_status_idx IS
    'Messages that are failed, cancelled or superseded, by status: what "outbox list --status" and '
    '"status" look up. Open messages are found through messages_open_id_idx and '
    'messages_entity_key_idx; sent ones are most of the table.';

CREATE OR REPLACE FUNCTION centra_outbox.stock_updates_enqueue()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    key text;
BEGIN
    IF NEW.product_id IS NULL OR NEW.variation_id IS NULL OR NEW.size_id IS NULL
       OR NEW.warehouse_id IS NULL OR NEW.qty IS NULL THEN
        RETURN NEW; -- the NOT NULL constraint says which
    END IF;
    IF NEW.qty < 0 THEN
        PERFORM centra_outbox.refuse(
            'stock quantity must not be negative',
            format('centra_outbox.stock_updates: qty %s for %s/%s/%s in warehouse %s.', NEW.qty,
                   NEW.product_id, NEW.variation_id, NEW.size_id, NEW.warehouse_id),
            'Send the free-to-allocate quantity, 0 when nothing can be sold.', '23514');
    END IF;
    key := format('stock:%s/%s/%s/%s', NEW.product_id, NEW.variation_id, NEW.size_id,
                  NEW.warehouse_id);
    NEW.message_id := centra_outbox.put('products_Update', key,
        json_strip_nulls(json_build_object('id', NEW.product_id,
          'variations', json_build_object('variation', json_build_object(
            'id', NEW.variation_id, 'stockid', NEW.variation_id,
            'sizes', json_build_object('size', json_build_object(
              'id', NEW.size_id,
              'warehouseitems', json_build_object('warehouse', json_build_object(
                'id', NEW.warehouse_id, 'qty', NEW.qty)))))))),
        'stock_updates', NEW.id);
    UPDATE centra_outbox.messages m
    SET status = 'superseded', superseded_by = NEW.message_id, updated_at = now()
    -- Only messages_entity_key_idx may serve this (see the header).
    WHERE m.entity_key = key AND m.status IN ('pending', 'sending', 'failed')
      AND (m.status = 'pending') IS TRUE AND (m.id < NEW.message_id) IS TRUE
      AND m.source_table = 'stock_updates';
    RETURN NEW;
END
$$;
