-- migrations/0021_outbox_key_order.sql
--     Found in an SQL audit and a review with concurrent ERP writers:
--     - messages of one entity_key were sent in id order, but an id is drawn
--       at INSERT, not at COMMIT: a transaction that stayed open kept its
--       lower id invisible while a later one of the same key committed and
--       was sent, and then the older state was sent after it (a completed
--       order set back to processing, an old stock figure last).  Every
--       message now takes its key first (lock_key: a row of
--       centra_outbox.keys, locked until the transaction ends) and draws its
--       id after that, so that per key ids follow commit order: a second
--       writer of a key waits for the first to commit or roll back, then
--       sees its message (a newer stock figure supersedes it);
--     - lock_order, the check of what is left of an order's lines, was an
--       advisory lock: under REPEATABLE READ the second session waited, then
--       read with its old snapshot and cancelled or shipped the same items
--       again.  It is now the key's row: under REPEATABLE READ or
--       SERIALIZABLE that session fails with 40001 (run the transaction
--       again), as for any row another transaction changed;
--     - a refund sent but not yet imported no longer held its items: a
--       second refund of them was taken and refused by Centra, holding back
--       the order.  Refunds count as shipment creates do: pending, sending,
--       sent or failed, until the import brings them into centra.refunds;
--     - the check of a message inserted directly ran with the inserting
--       session's search_path (a function of the ERP's named like one of
--       PostgreSQL's could stand in);
--     - an id too long for an index gave PostgreSQL's "index row size"
--       error: the key's length is checked with a clear one.

CREATE TABLE centra_outbox.keys (
    entity_key text PRIMARY KEY,
    writes bigint NOT NULL DEFAULT 1,
    last_write_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE centra_outbox.keys IS
    'One row per entity_key a message was written for: a transaction that writes a message '
    'of the key updates (locks) its row first, so that writers of one key take turns and the '
    'ids of its messages follow the order in which they commit.  Written by the outbox '
    'triggers only; rows of keys no longer written may be deleted at any time.';
COMMENT ON COLUMN centra_outbox.keys.entity_key IS
    'The key (centra_outbox.messages.entity_key), e.g. order:30 or stock:PWC/PWC/OS/W1.';
COMMENT ON COLUMN centra_outbox.keys.writes IS
    'How often the key was taken: once per transaction that wrote a message of it (once more '
    'per savepoint or exception block of one that wrote it there).';
COMMENT ON COLUMN centra_outbox.keys.last_write_at IS
    'When the last of them started (its now()).';

CREATE FUNCTION centra_outbox.lock_key(entity_key text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    took boolean;
BEGIN
    IF octet_length(entity_key) > 2600 THEN
        PERFORM centra_outbox.refuse(
            format('outbox key is %s bytes long, more than the 2600 a key may have',
                   octet_length(entity_key)),
            format('The key begins %s.', to_json(left(entity_key, 60))),
            'Centra''s ids have at most 255 characters: an id in the key is longer, or its '
            'ids are too long together for the key''s index.', '22001');
    END IF;
    -- The row lock is held until the transaction ends.  Under REPEATABLE READ or
    -- SERIALIZABLE, a row another transaction wrote after this one's snapshot fails
    -- with 40001: this transaction could not see that transaction's messages.  A row
    -- this transaction wrote already is locked and left as it is: no row comes back.
    -- (Only the primary key is probed: no plan that could turn into a scan, and no
    -- read that SERIALIZABLE would track.)
    INSERT INTO centra_outbox.keys AS k (entity_key) VALUES (lock_key.entity_key)
    ON CONFLICT ON CONSTRAINT keys_pkey
    DO UPDATE SET writes = k.writes + 1, last_write_at = now()
    WHERE k.xmin <> pg_current_xact_id()::xid
    RETURNING true INTO took;
    RETURN coalesce(took, false);
END
$$;
COMMENT ON FUNCTION centra_outbox.lock_key(text) IS
    'Takes entity_key for the rest of the transaction (its row of centra_outbox.keys): a '
    'second transaction writing a message of the key waits until this one commits or rolls '
    'back (under REPEATABLE READ or SERIALIZABLE it then fails with 40001).  Returns true '
    'when it took the key now, false when this transaction had it already (within a '
    'savepoint or an exception block of it: true again).  Refuses a key over 2600 bytes.';

CREATE OR REPLACE FUNCTION centra_outbox.put(operation text, entity_key text, payload json,
                                             source_table text, source_id bigint)
RETURNS bigint
LANGUAGE sql
AS $$
    SELECT centra_outbox.lock_key(entity_key);
    INSERT INTO centra_outbox.messages (operation, entity_key, payload, source_table, source_id)
    VALUES (operation, entity_key, payload, source_table, source_id)
    RETURNING id
$$;
COMMENT ON FUNCTION centra_outbox.put(text, text, json, text, bigint) IS
    'Takes the key (lock_key), then enqueues one message and returns its id (drawn after '
    'the key was taken: per key, ids follow commit order).';

-- A message inserted directly (not by put): its id was drawn before its trigger could
-- take the key, so a transaction that took the key meanwhile may commit a higher id
-- first.  Take the key, then draw the id again (the first one is left unused).
CREATE FUNCTION centra_outbox.messages_order()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF centra_outbox.lock_key(NEW.entity_key) THEN
        NEW.id := nextval('centra_outbox.messages_id_seq');
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION centra_outbox.messages_order() IS
    'Trigger (BEFORE INSERT on centra_outbox.messages, after messages_check): a message whose '
    'key this transaction has not taken yet takes it (lock_key) and draws its id again, so '
    'that per key ids follow commit order.';
CREATE TRIGGER messages_order BEFORE INSERT ON centra_outbox.messages
    FOR EACH ROW EXECUTE FUNCTION centra_outbox.messages_order();
COMMENT ON TRIGGER messages_order ON centra_outbox.messages IS
    'Per key, ids follow commit order (messages_order).';

CREATE OR REPLACE FUNCTION centra_outbox.lock_order(order_id text)
RETURNS void
LANGUAGE sql
AS $$
    SELECT centra_outbox.lock_key('order:' || order_id)
$$;
COMMENT ON FUNCTION centra_outbox.lock_order(text) IS
    'Takes the key of order order_id (lock_key), so that the triggers that check what is '
    'left of its lines (shipment_updates, item_cancellations, refunds) run for one '
    'transaction at a time: a second session inserting rows for the same order waits until '
    'the first commits or rolls back, then sees its rows (under REPEATABLE READ or '
    'SERIALIZABLE it fails with 40001 instead, to be run again).';

CREATE OR REPLACE FUNCTION centra_outbox.pending_lines_qty(source text, order_id text,
                                                          orderitem_id text, shipment_id text)
RETURNS numeric
LANGUAGE sql
STABLE
AS $$
    SELECT CASE source
        WHEN 'item_cancellations' THEN
            (SELECT coalesce(sum(c.qty), 0) FROM centra_outbox.item_cancellations c
             JOIN centra_outbox.messages m ON m.id = c.message_id
             WHERE c.order_id = pending_lines_qty.order_id
               AND c.orderitem_id = pending_lines_qty.orderitem_id
               AND m.status = 'pending')
        WHEN 'refunds' THEN
            (SELECT coalesce(sum((x.item ->> 'qty')::numeric), 0) FROM centra_outbox.refunds r
             JOIN centra_outbox.messages m ON m.id = r.message_id
             CROSS JOIN LATERAL jsonb_array_elements(
                 CASE jsonb_typeof(r.lines) WHEN 'array' THEN r.lines ELSE '[]' END) AS x (item)
             WHERE r.order_id = pending_lines_qty.order_id
               AND r.shipment_id = pending_lines_qty.shipment_id
               AND x.item ->> 'orderitem' = pending_lines_qty.orderitem_id
               AND jsonb_typeof(x.item -> 'qty') = 'number'
               AND m.status IN ('pending', 'sending', 'sent', 'failed')
               AND NOT EXISTS (SELECT 1 FROM centra.refunds cr
                               WHERE cr.order_id = r.order_id AND cr.refund_id = r.refund_id))
        WHEN 'shipment_updates' THEN
            (SELECT coalesce(sum((x.item ->> 'qty')::numeric), 0)
             FROM centra_outbox.shipment_updates u
             JOIN centra_outbox.messages m ON m.id = u.message_id
             CROSS JOIN LATERAL jsonb_array_elements(
                 CASE jsonb_typeof(u.lines) WHEN 'array' THEN u.lines ELSE '[]' END) AS x (item)
             WHERE u.order_id = pending_lines_qty.order_id
               AND u.action = 'create'
               AND x.item ->> 'orderitem' = pending_lines_qty.orderitem_id
               AND jsonb_typeof(x.item -> 'qty') = 'number'
               AND m.status IN ('pending', 'sending', 'sent', 'failed')
               AND NOT EXISTS (SELECT 1 FROM centra.shipments cs
                               WHERE cs.order_id = u.order_id
                                 AND cs.shipment_id = u.shipment_id))
    END
$$;

-- The detail of a refund refused names what counts now: refunds not imported yet.  Restated in
-- full from 0020_outbox_wire.sql, as an immutable migration must.
CREATE OR REPLACE FUNCTION centra_outbox.refunds_enqueue()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o json;
    appendix integer := NEW.appendix;
    bad record;
BEGIN
    IF NEW.order_id IS NULL OR NEW.refund_id IS NULL OR NEW.shipment_id IS NULL
       OR NEW.status IS NULL OR NEW.lines IS NULL THEN
        RETURN NEW;
    END IF;
    IF NEW.status NOT IN ('confirmed') THEN
        PERFORM centra_outbox.refuse(
            format('refund status "%s" is not one Centra accepts', NEW.status),
            format('centra_outbox.refunds: refund "%s" of order "%s".', NEW.refund_id,
                   NEW.order_id),
            'Use confirmed, or leave status out (it defaults to confirmed).', '23514');
    END IF;
    PERFORM centra_outbox.lock_order(NEW.order_id); -- as in item_cancellations_enqueue
    o := centra_outbox.order_ref(NEW.order_id, 'refunds');
    IF EXISTS (SELECT 1 FROM centra.refunds r WHERE r.refund_id = NEW.refund_id)
       OR EXISTS (SELECT 1 FROM centra_outbox.refunds r WHERE r.refund_id = NEW.refund_id) THEN
        PERFORM centra_outbox.refuse(
            format('refund id "%s" is already used', NEW.refund_id),
            'Centra requires refund ids to be globally unique, and this one is in centra.refunds '
            'or centra_outbox.refunds.',
            'Give the refund an id of its own, not derived from the order id.', '23505');
    END IF;
    IF NOT centra_outbox.shipment_known(NEW.order_id, NEW.shipment_id) THEN
        PERFORM centra_outbox.refuse(
            format('shipment "%s" is not a shipment of order "%s"', NEW.shipment_id,
                   NEW.order_id),
            format('centra_outbox.refunds: refund "%s": the shipment is neither in '
                   'centra.shipments nor created by a pending, sending or sent message of '
                   'centra_outbox.', NEW.refund_id),
            'Refund from a shipment of the order (centra.shipments.shipment_id); a create '
            'whose message failed or was cancelled must be retried first.', '23503');
    END IF;
    IF appendix IS NULL THEN
        SELECT s.appendix INTO appendix FROM centra.shipments s
        WHERE s.order_id = NEW.order_id AND s.shipment_id = NEW.shipment_id;
        IF NOT FOUND THEN
            SELECT u.appendix INTO appendix FROM centra_outbox.shipment_updates u
            JOIN centra_outbox.messages m ON m.id = u.message_id
            WHERE u.order_id = NEW.order_id AND u.shipment_id = NEW.shipment_id
              AND u.action = 'create' AND m.status IN ('pending', 'sending', 'sent')
            ORDER BY u.id DESC LIMIT 1;
        END IF;
    END IF;
    -- When the shipment's lines are known, a refund returns only what it holds and what
    -- earlier refunds of it did not return.
    IF EXISTS (SELECT 1 FROM centra.shipment_lines s
               WHERE s.order_id = NEW.order_id AND s.shipment_id = NEW.shipment_id)
       AND jsonb_typeof(NEW.lines) = 'array' THEN
        SELECT x.orderitem, x.qty, y.shipped, y.returned, y.pending INTO bad
        FROM (SELECT i.item ->> 'orderitem' AS orderitem, sum((i.item ->> 'qty')::numeric) AS qty
              FROM jsonb_array_elements(NEW.lines) AS i (item)
              WHERE jsonb_typeof(i.item -> 'qty') = 'number'
              GROUP BY 1) x
        CROSS JOIN LATERAL (
            SELECT (SELECT sum(s.qty) FROM centra.shipment_lines s
                    WHERE s.order_id = NEW.order_id AND s.shipment_id = NEW.shipment_id
                      AND s.orderitem_id = x.orderitem) AS shipped,
                   (SELECT coalesce(sum(rl.qty), 0) FROM centra.refund_lines rl
                    JOIN centra.refunds r ON r.order_id = rl.order_id
                     AND r.refund_id = rl.refund_id
                    WHERE r.order_id = NEW.order_id AND r.shipment_id = NEW.shipment_id
                      AND rl.orderitem_id = x.orderitem) AS returned,
                   centra_outbox.pending_lines_qty('refunds', NEW.order_id, x.orderitem,
                                                   NEW.shipment_id) AS pending) y
        WHERE y.shipped IS NULL OR x.qty > y.shipped - y.returned - y.pending
        LIMIT 1;
        IF FOUND THEN
            PERFORM centra_outbox.refuse(
                CASE WHEN bad.qty <= bad.shipped
                     THEN format('only %s of orderitem "%s" of shipment "%s" is left to refund',
                                 greatest(bad.shipped - bad.returned - bad.pending, 0),
                                 bad.orderitem, NEW.shipment_id)
                     ELSE format('orderitem "%s" was not shipped in shipment "%s" in that '
                                 'quantity', bad.orderitem, NEW.shipment_id) END,
                format('centra_outbox.refunds: refund "%s" returns %s; the shipment holds %s, '
                       'refunds of it returned %s (centra.refund_lines) and refunds not '
                       'imported yet return %s.', NEW.refund_id, bad.qty, coalesce(bad.shipped, 0),
                       bad.returned, bad.pending),
                'Refund at most what the shipment holds (centra.shipment_lines) and was not '
                'returned already.');
        END IF;
    END IF;
    NEW.message_id := centra_outbox.put('orders_Update', 'order:' || NEW.order_id,
        json_strip_nulls(json_build_object(
          'id', o -> 'id', 'type', o -> 'type', 'store', o -> 'store',
          'shipments', json_build_object('shipment', json_build_object(
            'id', NEW.shipment_id, 'appendix', appendix,
            'refunds', json_build_object('refund', json_build_object(
              'id', NEW.refund_id, 'status', NEW.status,
              'products', centra_outbox.order_lines_json(NEW.order_id, NEW.lines, 'refunds',
                                                         true))))))),
        'refunds', NEW.id);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION centra_outbox.refunds_enqueue() IS
    'BEFORE INSERT trigger of refunds: checks the status (confirmed), the order, that the refund '
    'id is unused, the shipment (shipment_known, as for ship), and the lines (at most what the '
    'shipment holds less what refunds of it returned and refunds not imported yet (pending, '
    'sending, sent, failed) return, under '
    'lock_order), enqueues orders_Update with the <refund> inside its <shipment>, each line '
    'a <size> with its <orderitem><id>.';

-- The check of a message runs as the inserting session (it is no SECURITY DEFINER):
-- fix the names it resolves.
ALTER FUNCTION centra_outbox.messages_check() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION centra_outbox.messages_notify() SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION centra_outbox.check_payload(text, json) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION centra_outbox.check_json(json, text, boolean)
    SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION centra_outbox.check_string(json, text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION centra_outbox.item_name(text) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION centra_outbox.refuse(text, text, text, text) SET search_path = pg_catalog, pg_temp;

COMMENT ON COLUMN centra_outbox.messages.id IS
    'Message number; also the order of sending per entity_key, which is the order in which '
    'the messages of the key were committed (lock_key).';

