-- migrations/0010_outbox_checks.sql
--     Rows of the typed outbox tables that were accepted and then lost or
--     refused by Centra are now refused at INSERT, or keep what they mean:
--
--     - entity_key: the ids of a key built from several ids (stock:, the
--       pricelist:<pricelist>/<product> of prices, size:) are escaped, "\"
--       as "\\" and "/" as "\/", so that distinct ids give distinct keys.
--       Before, ('A/B', 'C', 'S', 'W') and ('A', 'B/C', 'S', 'W') shared
--       stock:A/B/C/S/W and the second stock row superseded the first: its
--       stock was never sent.  enqueue_pricelist escapes its id too, since
--       pricelist:<id> shares its prefix with the keys of prices.  Keys of
--       ids without "/" or "\" are what they were.
--       Messages enqueued before get the new key of their row (the ids are
--       in the source row, or in the payload for enqueue_size() and
--       enqueue_pricelist()), so that old and new messages of one thing stay
--       in one line.  The newest stock message of a size and warehouse that
--       a message of another one superseded through a shared key is pending
--       again: it is the last stock the ERP gave for it, and Centra never
--       received it.
--     - stock_updates.qty and item_cancellations.qty become numeric, with
--       a CHECK that they are whole and within integer: as integer columns
--       PostgreSQL rounded 1.5 to 2 before any trigger could see it.  The
--       triggers refuse a fraction (and NaN, Infinity) and store and send
--       the whole number (1.0 is stored and sent as 1).  Changing the type
--       rewrites both tables (ACCESS EXCLUSIVE lock; seconds for millions of
--       rows): migrate while centra-bridge and the ERP's feed are stopped.
--       No view or function of centra-bridge reads the columns' type.
--     - NaN and +-Infinity in the numeric money columns (prices.price,
--       priceb, altered_price, altered_priceb; shipment_updates.
--       shipping_subtotal) are refused: NaN passed "price >= 0", since
--       PostgreSQL sorts NaN above every number.  The CHECK constraints are
--       NOT VALID: rows enqueued before are history and do not block the
--       migration; new rows are checked.
--     - shipment_updates: action capture with capture false is refused
--       (it sent <capture>yes</capture>); ship and capture need a shipment
--       Centra knows or will know: one in centra.shipments, or created by a
--       pending, sending or sent message (through shipment_updates, or an
--       open message the ERP inserted itself).
--     - refunds.status must be a status Centra documents (confirmed).

-- ---------------------------------------------------------------------------
-- helpers
-- ---------------------------------------------------------------------------

CREATE FUNCTION centra_outbox.key_part(id text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT
AS $$
    SELECT replace(replace(id, '\', '\\'), '/', '\/')
$$;
COMMENT ON FUNCTION centra_outbox.key_part(text) IS
    'One id as a part of an entity_key: "\" written "\\" and "/" written "\/", so that the '
    'ids of a key joined with "/" (stock:<product>/<variation>/<size>/<warehouse>) can be told '
    'apart. An id without "/" or "\" is unchanged.';

CREATE FUNCTION centra_outbox.is_finite(value numeric)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT
AS $$
    SELECT value > '-Infinity' AND value < 'Infinity'
$$;
COMMENT ON FUNCTION centra_outbox.is_finite(numeric) IS
    'Whether value is a number: false for NaN (which PostgreSQL sorts above Infinity), '
    'Infinity and -Infinity; NULL for NULL.';

CREATE FUNCTION centra_outbox.is_whole(value numeric)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT
AS $$
    SELECT value BETWEEN -2147483648 AND 2147483647 AND value = trunc(value)
$$;
COMMENT ON FUNCTION centra_outbox.is_whole(numeric) IS
    'Whether value is a whole number within integer (-2147483648 to 2147483647): false for a '
    'fraction, NaN and +-Infinity; NULL for NULL.';

CREATE FUNCTION centra_outbox.shipment_known(order_id text, shipment_id text)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT EXISTS (SELECT 1 FROM centra.shipments s
                   WHERE s.order_id = shipment_known.order_id
                     AND s.shipment_id = shipment_known.shipment_id)
        OR EXISTS (SELECT 1 FROM centra_outbox.shipment_updates u
                   JOIN centra_outbox.messages m ON m.id = u.message_id
                   WHERE u.order_id = shipment_known.order_id
                     AND u.shipment_id = shipment_known.shipment_id AND u.action = 'create'
                     AND m.status IN ('pending', 'sending', 'sent'))
        OR EXISTS (SELECT 1 FROM centra_outbox.messages m,
                          json_array_elements(
                              CASE json_typeof(m.payload -> 'shipments' -> 'shipment')
                                  WHEN 'array' THEN m.payload -> 'shipments' -> 'shipment'
                                  WHEN 'object'
                                      THEN json_build_array(m.payload -> 'shipments' -> 'shipment')
                              END) AS x (shipment)
                   WHERE m.entity_key = 'order:' || shipment_known.order_id
                     AND m.status IN ('pending', 'sending') AND m.operation = 'orders_Update'
                     AND x.shipment ->> 'id' = shipment_known.shipment_id
                     AND x.shipment -> 'products' IS NOT NULL)
$$;
COMMENT ON FUNCTION centra_outbox.shipment_known(text, text) IS
    'Whether shipment shipment_id of order order_id is one Centra knows or will know when its '
    'messages are sent: in centra.shipments; or created (action create) in shipment_updates '
    'with a message that is pending, sending or sent; or with <products> in a pending or '
    'sending orders_Update message of the order (one the ERP inserted itself). A create '
    'message that failed or was cancelled does not count.';

-- ---------------------------------------------------------------------------
-- stock_updates: escaped key, whole quantities
-- ---------------------------------------------------------------------------

ALTER TABLE centra_outbox.stock_updates
    ALTER COLUMN qty TYPE numeric,
    ADD CONSTRAINT stock_updates_qty_whole CHECK (centra_outbox.is_whole(qty));
COMMENT ON CONSTRAINT stock_updates_qty_whole ON centra_outbox.stock_updates IS
    'qty is a whole number within integer: no fraction, NaN or Infinity (the trigger refuses '
    'them first, with a clearer message).';
COMMENT ON COLUMN centra_outbox.stock_updates.qty IS
    'Free to allocate (FTA): on the shelf minus what is reserved for unshipped orders, in '
    'Centra or elsewhere; not the shelf quantity. A whole number from 0 to 2147483647: a '
    'fraction is refused, not rounded (numeric, so that the trigger sees it).';
COMMENT ON TABLE centra_outbox.stock_updates IS
    'Stock to send (products_Update with <warehouseitems>): the free-to-allocate quantity (FTA) '
    'of one size of a variation in one warehouse. Insert only; each row enqueues one message '
    '(entity_key stock:<product>/<variation>/<size>/<warehouse>, each id with "\" written "\\" '
    'and "/" written "\/") and supersedes the pending, unsent stock messages of the same key.';

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
    IF NOT centra_outbox.is_whole(NEW.qty) THEN
        PERFORM centra_outbox.refuse(
            'stock quantity must be a whole number',
            format('centra_outbox.stock_updates: qty %s for %s/%s/%s in warehouse %s.', NEW.qty,
                   NEW.product_id, NEW.variation_id, NEW.size_id, NEW.warehouse_id),
            'Send the free-to-allocate quantity as a whole number from 0 to 2147483647 (a '
            'fraction is not rounded; NaN and Infinity are not quantities).', '23514');
    END IF;
    NEW.qty := NEW.qty::integer; -- stored and sent without a scale: 1.0 as 1
    key := 'stock:' || centra_outbox.key_part(NEW.product_id) || '/'
           || centra_outbox.key_part(NEW.variation_id) || '/'
           || centra_outbox.key_part(NEW.size_id) || '/'
           || centra_outbox.key_part(NEW.warehouse_id);
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
    -- Only messages_entity_key_idx may serve this (see 0007_burst_plans.sql).
    WHERE m.entity_key = key AND m.status IN ('pending', 'sending', 'failed')
      AND (m.status = 'pending') IS TRUE AND (m.id < NEW.message_id) IS TRUE
      AND m.source_table = 'stock_updates';
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION centra_outbox.stock_updates_enqueue() IS
    'BEFORE INSERT trigger of stock_updates: refuses a negative or fractional quantity (and NaN, '
    'Infinity), enqueues the stock message (entity_key of the ids escaped by key_part) and marks '
    'older pending (not sending) stock messages of the same entity_key superseded by it.';

-- ---------------------------------------------------------------------------
-- item_cancellations: whole quantities
-- ---------------------------------------------------------------------------

ALTER TABLE centra_outbox.item_cancellations
    ALTER COLUMN qty TYPE numeric,
    ADD CONSTRAINT item_cancellations_qty_whole CHECK (centra_outbox.is_whole(qty));
COMMENT ON CONSTRAINT item_cancellations_qty_whole ON centra_outbox.item_cancellations IS
    'qty is a whole number within integer: no fraction, NaN or Infinity (the trigger refuses '
    'them first, with a clearer message).';
COMMENT ON COLUMN centra_outbox.item_cancellations.qty IS
    'Quantity to cancel: a whole number, at least 1, at most the line''s quantity. A fraction is '
    'refused, not rounded (numeric, so that the trigger sees it).';

CREATE OR REPLACE FUNCTION centra_outbox.item_cancellations_enqueue()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o json;
    l centra.order_lines;
BEGIN
    IF NEW.order_id IS NULL OR NEW.orderitem_id IS NULL OR NEW.qty IS NULL THEN
        RETURN NEW;
    END IF;
    o := centra_outbox.order_ref(NEW.order_id, 'item_cancellations');
    IF NOT centra_outbox.is_whole(NEW.qty) THEN
        PERFORM centra_outbox.refuse(
            format('quantity of orderitem "%s" must be a whole number', NEW.orderitem_id),
            format('centra_outbox.item_cancellations (qty) gives quantity %s.', NEW.qty),
            'Give a whole number of at least 1 (a fraction is not rounded; NaN and Infinity '
            'are not quantities).');
    END IF;
    NEW.qty := NEW.qty::integer; -- stored and sent without a scale: 1.0 as 1
    l := centra_outbox.order_item(NEW.order_id, NEW.orderitem_id, NEW.qty::integer,
                                  'item_cancellations', 'qty');
    NEW.message_id := centra_outbox.put('orders_Update', 'order:' || NEW.order_id,
        json_build_object('id', o -> 'id', 'type', o -> 'type', 'store', o -> 'store',
          'cancelled', json_build_object('product', json_build_object(
            'id', l.product_id, 'variation', json_build_object('id', l.variation_id),
            'sizes', json_build_object('size', json_build_object(
              'id', l.size_id, 'qty', NEW.qty,
              'orderitem', json_build_object('id', NEW.orderitem_id),
              'supplierorderitems', NULL))))),
        'item_cancellations', NEW.id);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION centra_outbox.item_cancellations_enqueue() IS
    'BEFORE INSERT trigger of item_cancellations: checks the order, the orderitem and the '
    'quantity (whole, at least 1, at most the line''s), enqueues orders_Update with <cancelled> '
    'for the line.';

-- ---------------------------------------------------------------------------
-- shipment_updates: capture, finite amounts, known shipments
-- ---------------------------------------------------------------------------

ALTER TABLE centra_outbox.shipment_updates
    ADD CONSTRAINT shipment_updates_shipping_subtotal_finite
        CHECK (centra_outbox.is_finite(shipping_subtotal)) NOT VALID,
    ADD CONSTRAINT shipment_updates_capture_not_false
        CHECK (action <> 'capture' OR capture IS NOT FALSE) NOT VALID;
COMMENT ON CONSTRAINT shipment_updates_shipping_subtotal_finite ON centra_outbox.shipment_updates IS
    'shipping_subtotal is a number: not NaN, Infinity or -Infinity. NOT VALID: rows from before '
    'migration 0010 are not checked.';
COMMENT ON CONSTRAINT shipment_updates_capture_not_false ON centra_outbox.shipment_updates IS
    'Action capture with capture false would capture all the same: refused. NOT VALID: rows '
    'from before migration 0010 are not checked.';
COMMENT ON COLUMN centra_outbox.shipment_updates.capture IS
    'ship: true asks Centra to capture the payment (<capture>yes</capture>; safe to send '
    'always for direct-to-consumer orders); NULL or false omits it. capture: NULL or true '
    '(false is refused).';
COMMENT ON COLUMN centra_outbox.shipment_updates.shipment_id IS
    'Shipment id (<shipment><id>): chosen by you for create (e.g. shipment-25-1); for ship and '
    'capture one of centra.shipments, or one created through a create row (or a message) that '
    'is not failed or cancelled.';
COMMENT ON COLUMN centra_outbox.shipment_updates.shipping_subtotal IS
    'create: shipping cost of the shipment (<shipping><subtotal>), 0 or more (not NaN or '
    'Infinity); NULL to omit (0 in Centra).';

CREATE OR REPLACE FUNCTION centra_outbox.shipment_updates_enqueue()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o json;
    shipment json;
    what text := format('centra_outbox.shipment_updates: %s of shipment "%s" of order "%s"',
                        NEW.action, NEW.shipment_id, NEW.order_id);
BEGIN
    IF NEW.order_id IS NULL OR NEW.shipment_id IS NULL OR NEW.action IS NULL
       OR NEW.good_to_go IS NULL THEN
        RETURN NEW;
    END IF;
    IF NEW.action NOT IN ('create', 'ship', 'capture') THEN
        PERFORM centra_outbox.refuse(format('shipment action "%s" is unknown', NEW.action),
                                     what || '.', 'Use create, ship or capture.', '23514');
    END IF;
    IF NEW.action = 'create' AND NEW.lines IS NULL THEN
        PERFORM centra_outbox.refuse('a new shipment needs lines', what || ' has no lines.',
            'Give the lines as [{"orderitem": "68", "qty": 1}, ...].', '23502');
    END IF;
    IF NEW.action <> 'create' AND (NEW.lines IS NOT NULL OR NEW.shipping_subtotal IS NOT NULL
                                   OR NEW.appendix IS NOT NULL) THEN
        PERFORM centra_outbox.refuse(
            'lines, appendix and shipping_subtotal belong to a new shipment',
            what || ' sets them.', 'Create the shipment with action create first.', '23514');
    END IF;
    IF NEW.action <> 'ship' AND (NEW.carrier IS NOT NULL OR NEW.service IS NOT NULL
                                 OR NEW.tracking IS NOT NULL) THEN
        PERFORM centra_outbox.refuse(
            'carrier, service and tracking belong to a shipped shipment',
            what || ' sets them.', 'Send them with action ship.', '23514');
    END IF;
    IF NEW.action = 'capture' AND NEW.capture IS FALSE THEN
        PERFORM centra_outbox.refuse(
            'action capture cannot have capture false',
            what || ' sets capture to false, but a capture row always sends <capture>yes.',
            'Leave capture NULL (or true) to capture the payment; to ship without capturing, '
            'use action ship.', '23514');
    END IF;
    IF NOT centra_outbox.is_finite(NEW.shipping_subtotal) THEN
        PERFORM centra_outbox.refuse(
            'shipping_subtotal must be a finite number',
            format('%s sets shipping_subtotal to %s.', what, NEW.shipping_subtotal),
            'Give the shipping cost as an amount of 0 or more, or NULL to omit it.', '23514');
    END IF;
    o := centra_outbox.order_ref(NEW.order_id, 'shipment_updates');
    IF NEW.action <> 'create'
       AND NOT centra_outbox.shipment_known(NEW.order_id, NEW.shipment_id) THEN
        PERFORM centra_outbox.refuse(
            format('shipment "%s" is not a shipment of order "%s"', NEW.shipment_id,
                   NEW.order_id),
            what || ': it is neither in centra.shipments nor created by a pending, sending or '
            'sent message of centra_outbox.',
            'Use a shipment of the order (centra.shipments.shipment_id), or create it first '
            '(action create); a create whose message failed must be retried first.', '23503');
    END IF;
    IF NEW.action = 'create' THEN
        shipment := json_build_object(
            'id', NEW.shipment_id, 'shipped', 'no',
            'goodtogo', centra_outbox.yes_no(NEW.good_to_go),
            'appendix', NEW.appendix,
            'products', centra_outbox.order_lines_json(NEW.order_id, NEW.lines,
                                                       'shipment_updates', true),
            'shipping', CASE WHEN NEW.shipping_subtotal IS NOT NULL
                             THEN json_build_object('subtotal', NEW.shipping_subtotal) END);
    ELSIF NEW.action = 'ship' THEN
        shipment := json_build_object(
            'id', NEW.shipment_id, 'shipped', 'yes',
            'capture', CASE WHEN NEW.capture THEN 'yes' END,
            'carrierinformation',
                CASE WHEN coalesce(NEW.carrier, NEW.service, NEW.tracking) IS NOT NULL
                     THEN json_build_object('carrier', NEW.carrier, 'service', NEW.service,
                                            'tracking', NEW.tracking) END);
    ELSE
        shipment := json_build_object('id', NEW.shipment_id, 'capture', 'yes');
    END IF;
    NEW.message_id := centra_outbox.put('orders_Update', 'order:' || NEW.order_id,
        json_strip_nulls(json_build_object('id', o -> 'id', 'type', o -> 'type',
                                           'store', o -> 'store', 'status', NEW.order_status,
                                           'shipments', json_build_object('shipment', shipment))),
        'shipment_updates', NEW.id);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION centra_outbox.shipment_updates_enqueue() IS
    'BEFORE INSERT trigger of shipment_updates: checks the order, the action''s columns (no '
    'capture false for capture, no NaN or Infinity), that a shipment shipped or captured is '
    'known (shipment_known), and the lines (orderitems of the order, quantities within the '
    'line); enqueues orders_Update with one <shipment>.';

-- ---------------------------------------------------------------------------
-- refunds: known statuses
-- ---------------------------------------------------------------------------

ALTER TABLE centra_outbox.refunds
    ADD CONSTRAINT refunds_status_valid CHECK (status IN ('confirmed')) NOT VALID;
COMMENT ON CONSTRAINT refunds_status_valid ON centra_outbox.refunds IS
    'status is one Centra documents for a refund: confirmed. NOT VALID: rows from before '
    'migration 0010 are not checked.';
COMMENT ON COLUMN centra_outbox.refunds.status IS
    'Refund status (<refund><status>): confirmed, the default and the only status Centra''s '
    'ERP integration guide gives ("Create Return (Refund)"); anything else is refused.';

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
    o := centra_outbox.order_ref(NEW.order_id, 'refunds');
    IF EXISTS (SELECT 1 FROM centra.refunds r WHERE r.refund_id = NEW.refund_id)
       OR EXISTS (SELECT 1 FROM centra_outbox.refunds r WHERE r.refund_id = NEW.refund_id) THEN
        PERFORM centra_outbox.refuse(
            format('refund id "%s" is already used', NEW.refund_id),
            'Centra requires refund ids to be globally unique, and this one is in centra.refunds '
            'or centra_outbox.refunds.',
            'Give the refund an id of its own, not derived from the order id.', '23505');
    END IF;
    IF appendix IS NULL THEN
        SELECT s.appendix INTO appendix FROM centra.shipments s
        WHERE s.order_id = NEW.order_id AND s.shipment_id = NEW.shipment_id;
        IF NOT FOUND THEN
            SELECT u.appendix INTO appendix FROM centra_outbox.shipment_updates u
            WHERE u.order_id = NEW.order_id AND u.shipment_id = NEW.shipment_id
              AND u.action = 'create'
            ORDER BY u.id DESC LIMIT 1;
            IF NOT FOUND THEN
                PERFORM centra_outbox.refuse(
                    format('shipment "%s" is not a shipment of order "%s"', NEW.shipment_id,
                           NEW.order_id),
                    'It is neither in centra.shipments nor created in '
                    'centra_outbox.shipment_updates.',
                    'Refund from a shipment of the order (centra.shipments.shipment_id).',
                    '23503');
            END IF;
        END IF;
    END IF;
    -- When the shipment's lines are known, a refund returns only what it holds.
    IF EXISTS (SELECT 1 FROM centra.shipment_lines s
               WHERE s.order_id = NEW.order_id AND s.shipment_id = NEW.shipment_id)
       AND jsonb_typeof(NEW.lines) = 'array' THEN
        SELECT x.item ->> 'orderitem' AS orderitem, x.item ->> 'qty' AS qty,
               sum(s.qty) AS shipped INTO bad
        FROM jsonb_array_elements(NEW.lines) AS x (item)
        LEFT JOIN centra.shipment_lines s
          ON s.order_id = NEW.order_id AND s.shipment_id = NEW.shipment_id
         AND s.orderitem_id = x.item ->> 'orderitem'
        WHERE jsonb_typeof(x.item -> 'qty') = 'number'
        GROUP BY 1, 2
        HAVING sum(s.qty) IS NULL OR (x.item ->> 'qty')::numeric > sum(s.qty)
        LIMIT 1;
        IF FOUND THEN
            PERFORM centra_outbox.refuse(
                format('orderitem "%s" was not shipped in shipment "%s" in that quantity',
                       bad.orderitem, NEW.shipment_id),
                format('centra_outbox.refunds: refund "%s" returns %s, the shipment holds %s.',
                       NEW.refund_id, bad.qty, coalesce(bad.shipped, 0)),
                'Refund at most what the shipment holds (centra.shipment_lines).');
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
                                                         false))))))),
        'refunds', NEW.id);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION centra_outbox.refunds_enqueue() IS
    'BEFORE INSERT trigger of refunds: checks the status (confirmed), the order, that the refund '
    'id is unused, the shipment and the lines, enqueues orders_Update with the <refund> inside '
    'its <shipment>.';

-- ---------------------------------------------------------------------------
-- prices: finite amounts, escaped key
-- ---------------------------------------------------------------------------

ALTER TABLE centra_outbox.prices
    ADD CONSTRAINT prices_price_finite CHECK (centra_outbox.is_finite(price)) NOT VALID,
    ADD CONSTRAINT prices_priceb_finite CHECK (centra_outbox.is_finite(priceb)) NOT VALID,
    ADD CONSTRAINT prices_altered_price_finite
        CHECK (centra_outbox.is_finite(altered_price)) NOT VALID,
    ADD CONSTRAINT prices_altered_priceb_finite
        CHECK (centra_outbox.is_finite(altered_priceb)) NOT VALID;
COMMENT ON CONSTRAINT prices_price_finite ON centra_outbox.prices IS
    'price is a number: not NaN, Infinity or -Infinity. NOT VALID: rows from before migration '
    '0010 are not checked.';
COMMENT ON CONSTRAINT prices_priceb_finite ON centra_outbox.prices IS
    'priceb is a number: not NaN, Infinity or -Infinity. NOT VALID: rows from before migration '
    '0010 are not checked.';
COMMENT ON CONSTRAINT prices_altered_price_finite ON centra_outbox.prices IS
    'altered_price is a number: not NaN, Infinity or -Infinity. NOT VALID: rows from before '
    'migration 0010 are not checked.';
COMMENT ON CONSTRAINT prices_altered_priceb_finite ON centra_outbox.prices IS
    'altered_priceb is a number: not NaN, Infinity or -Infinity. NOT VALID: rows from before '
    'migration 0010 are not checked.';
COMMENT ON COLUMN centra_outbox.prices.price IS
    'Price in the pricelist''s currency (<price>): 0 or more, not NaN or Infinity.';
COMMENT ON TABLE centra_outbox.prices IS
    'Prices of a pricelist (pricelists_Update <items>), for a product or for one variation of '
    'it (never per size). Insert only; each row enqueues one message (entity_key '
    'pricelist:<pricelist_id>/<product_id>, each id with "\" written "\\" and "/" written '
    '"\/"). Create the pricelist first with centra_outbox.enqueue_pricelist().';

CREATE OR REPLACE FUNCTION centra_outbox.prices_enqueue()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    amounts json;
    col text;
    amount numeric;
BEGIN
    IF NEW.pricelist_id IS NULL OR NEW.product_id IS NULL OR NEW.price IS NULL THEN
        RETURN NEW;
    END IF;
    IF least(NEW.price, NEW.priceb, NEW.altered_price, NEW.altered_priceb) < 0 THEN
        PERFORM centra_outbox.refuse(
            'price must not be negative',
            format('centra_outbox.prices: product "%s" in pricelist "%s".', NEW.product_id,
                   NEW.pricelist_id),
            'Give prices of 0 or more.', '23514');
    END IF;
    FOR col, amount IN
        SELECT a.col, a.amount
        FROM (VALUES (1, 'price', NEW.price), (2, 'priceb', NEW.priceb),
                     (3, 'altered_price', NEW.altered_price),
                     (4, 'altered_priceb', NEW.altered_priceb)) AS a (n, col, amount)
        WHERE NOT centra_outbox.is_finite(a.amount)
        ORDER BY a.n LIMIT 1
    LOOP
        PERFORM centra_outbox.refuse(
            format('%s must be a finite number', col),
            format('centra_outbox.prices: %s is %s for product "%s" in pricelist "%s".', col,
                   amount, NEW.product_id, NEW.pricelist_id),
            'Give prices of 0 or more: NaN and Infinity are not prices.', '23514');
    END LOOP;
    amounts := json_build_object('price', NEW.price, 'priceb', NEW.priceb,
                                 'alteredprice', NEW.altered_price,
                                 'alteredpriceb', NEW.altered_priceb);
    NEW.message_id := centra_outbox.put('pricelists_Update',
        'pricelist:' || centra_outbox.key_part(NEW.pricelist_id) || '/'
        || centra_outbox.key_part(NEW.product_id),
        json_strip_nulls(json_build_object('id', NEW.pricelist_id,
          'items', json_build_object('product',
            CASE WHEN NEW.variation_id IS NULL
                 THEN ('{"id" : ' || to_json(NEW.product_id)::text || ', '
                       || substr(amounts::text, 2))::json
                 ELSE json_build_object('id', NEW.product_id, 'variation',
                        ('{"id" : ' || to_json(NEW.variation_id)::text || ', '
                         || substr(amounts::text, 2))::json) END))),
        'prices', NEW.id);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION centra_outbox.prices_enqueue() IS
    'BEFORE INSERT trigger of prices: refuses negative amounts, NaN and Infinity, enqueues '
    'pricelists_Update {id, items: {product: {id, price...}}} or, with a variation, {product: '
    '{id, variation: {id, price...}}}; entity_key pricelist:<pricelist>/<product>, the ids '
    'escaped by key_part.';

-- ---------------------------------------------------------------------------
-- enqueue functions whose keys share a form with others: escaped ids
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION centra_outbox.enqueue_size(size_id text, description text,
                                                      sizetable_id text,
                                                      sizetable_description text,
                                                      sku text DEFAULT NULL,
                                                      ean text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM centra_outbox.need(size_id, 'size id', 'enqueue_size');
    PERFORM centra_outbox.need(sizetable_id, 'sizetable id', 'enqueue_size');
    RETURN centra_outbox.put('sizes_Update',
        'size:' || centra_outbox.key_part(sizetable_id) || '/' || centra_outbox.key_part(size_id),
        json_strip_nulls(json_build_object('id', size_id, 'description', description,
            'sku', sku, 'ean', ean,
            'sizetable', json_build_object('id', sizetable_id,
                                           'description', sizetable_description))),
        'enqueue_size()', NULL);
END
$$;
COMMENT ON FUNCTION centra_outbox.enqueue_size(text, text, text, text, text, text) IS
    'Enqueues sizes_Update {id, description, sku, ean, sizetable {id, description}}: one size of '
    'a sizetable (call once per size; a sizetable cannot be changed once created); entity_key '
    'size:<sizetable>/<size>, the ids escaped by key_part. Returns the message id.';

CREATE OR REPLACE FUNCTION centra_outbox.enqueue_pricelist(pricelist_id text, store integer,
                                                           type text, currency text,
                                                           description text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM centra_outbox.need(pricelist_id, 'pricelist id', 'enqueue_pricelist');
    PERFORM centra_outbox.one_of(type, ARRAY['retail', 'wholesale'], 'pricelist type',
                                 'enqueue_pricelist');
    RETURN centra_outbox.put('pricelists_Update',
        'pricelist:' || centra_outbox.key_part(pricelist_id),
        json_strip_nulls(json_build_object('id', pricelist_id, 'store', store, 'type', type,
                                           'currency', currency, 'description', description)),
        'enqueue_pricelist()', NULL);
END
$$;
COMMENT ON FUNCTION centra_outbox.enqueue_pricelist(text, integer, text, text, text) IS
    'Enqueues pricelists_Update {id, store, type, currency (configured in Centra), description} '
    'without items; entity_key pricelist:<id>, the id escaped by key_part (so that it differs '
    'from the pricelist:<pricelist>/<product> keys of prices). Prices go in '
    'centra_outbox.prices. Returns the message id.';

-- ---------------------------------------------------------------------------
-- messages enqueued before: the keys of their ids
-- ---------------------------------------------------------------------------
-- Only ids holding "/" or "\" change key.  Stock and prices find their ids
-- through the typed row (message_id, the messages' primary key); the
-- enqueue functions' ids are in the payload.

UPDATE centra_outbox.messages m
SET entity_key = 'stock:' || centra_outbox.key_part(s.product_id) || '/'
                 || centra_outbox.key_part(s.variation_id) || '/'
                 || centra_outbox.key_part(s.size_id) || '/'
                 || centra_outbox.key_part(s.warehouse_id)
FROM centra_outbox.stock_updates s
WHERE m.id = s.message_id AND m.source_table = 'stock_updates'
  AND (s.product_id || s.variation_id || s.size_id || s.warehouse_id) ~ '[/\\]';

UPDATE centra_outbox.messages m
SET entity_key = 'pricelist:' || centra_outbox.key_part(p.pricelist_id) || '/'
                 || centra_outbox.key_part(p.product_id)
FROM centra_outbox.prices p
WHERE m.id = p.message_id AND m.source_table = 'prices'
  AND (p.pricelist_id || p.product_id) ~ '[/\\]';

UPDATE centra_outbox.messages m
SET entity_key = 'size:' || centra_outbox.key_part(m.payload -> 'sizetable' ->> 'id') || '/'
                 || centra_outbox.key_part(m.payload ->> 'id')
WHERE m.source_table = 'enqueue_size()'
  AND ((m.payload -> 'sizetable' ->> 'id') || (m.payload ->> 'id')) ~ '[/\\]';

UPDATE centra_outbox.messages m
SET entity_key = 'pricelist:' || centra_outbox.key_part(m.payload ->> 'id')
WHERE m.source_table = 'enqueue_pricelist()' AND (m.payload ->> 'id') ~ '[/\\]';

-- A stock message superseded by one of another size or warehouse (the two
-- shared a key, so both have a "/" in an id) was never sent: when it is the
-- newest of its own, send it.
UPDATE centra_outbox.messages m
SET status = 'pending', superseded_by = NULL, next_attempt_at = now(), updated_at = now()
FROM (SELECT max(s.message_id) AS message_id
      FROM centra_outbox.stock_updates s
      WHERE (s.product_id || s.variation_id || s.size_id || s.warehouse_id) ~ '/'
      GROUP BY s.product_id, s.variation_id, s.size_id, s.warehouse_id) newest,
     centra_outbox.messages n
WHERE m.id = newest.message_id AND m.status = 'superseded' AND n.id = m.superseded_by
  AND n.entity_key <> m.entity_key;
