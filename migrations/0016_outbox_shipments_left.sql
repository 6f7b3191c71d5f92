-- migrations/0016_outbox_shipments_left.sql
--     A new shipment is checked against what is left of each line, as 0014
--     checks cancellations and refunds (found in a black-box review: two
--     creates of the same 12 items were both accepted; Centra refused the
--     second, and its failed message held back the order's later updates):
--     - shipment_updates create: each orderitem's quantity is at most the
--       line's, less what centra.shipment_lines holds of it, less what
--       creates hold that the import has not brought as shipments yet,
--       less the cancellations not sent yet (pending), those of
--       the same INSERT included.
--     - item_cancellations: those creates count too.
--     - A create counts until the import holds its shipment, also once sent
--       (Centra has it) and while failed (it holds its items until it is
--       retried or cancelled: outbox cancel frees them).
--     - The three triggers that check what is left (and refunds_enqueue,
--       restated with it) lock the order for the rest of the transaction
--       (lock_order): two sessions cannot both take the last items.
--     pending_lines_qty learns 'shipment_updates'; the two trigger bodies
--     are restated in full, as an immutable migration must.

CREATE FUNCTION centra_outbox.lock_order(order_id text)
RETURNS void
LANGUAGE sql
AS $$
    SELECT pg_advisory_xact_lock(hashtextextended('centra_outbox order:' || order_id, 0))
$$;
COMMENT ON FUNCTION centra_outbox.lock_order(text) IS
    'Takes a transaction-level advisory lock on order order_id, so that the triggers that '
    'check what is left of its lines (shipment_updates, item_cancellations, refunds) run for '
    'one transaction at a time: a second session inserting rows for the same order waits until '
    'the first commits or rolls back, then sees its rows.';

CREATE OR REPLACE FUNCTION centra_outbox.pending_lines_qty(source text, order_id text, orderitem_id text,
                                                shipment_id text)
RETURNS numeric
LANGUAGE sql STABLE
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
               AND m.status IN ('pending', 'sending')
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
COMMENT ON FUNCTION centra_outbox.pending_lines_qty(text, text, text, text) IS
    'How much of orderitem orderitem_id of order order_id the rows of centra_outbox.source '
    'still have to send, counting only what centra.* cannot show yet: item_cancellations whose '
    'message is pending (a sending one may be applied and imported already; cancellations have '
    'no id to tell), refunds of shipment shipment_id whose message is pending or sending and '
    'that centra.refunds does not hold (sent ones are not counted: their effect reaches '
    'centra.* with the next import), shipment_updates creates whose shipment centra.shipments '
    'does not hold yet and whose message is pending, sending, sent (Centra has it; the next '
    'import brings it) or failed (it holds its items until it is retried or cancelled).';

CREATE OR REPLACE FUNCTION centra_outbox.item_cancellations_enqueue()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o json;
    l centra.order_lines;
    shipped numeric;
    pending numeric;
    creating numeric;
BEGIN
    IF NEW.order_id IS NULL OR NEW.orderitem_id IS NULL OR NEW.qty IS NULL THEN
        RETURN NEW;
    END IF;
    -- What is left of a line is read and taken one transaction at a time per order.
    PERFORM centra_outbox.lock_order(NEW.order_id);
    o := centra_outbox.order_ref(NEW.order_id, 'item_cancellations');
    IF centra_outbox.is_finite(NEW.qty) AND NEW.qty = trunc(NEW.qty) THEN
        PERFORM centra_outbox.line_qty(NEW.qty, NEW.orderitem_id, 'item_cancellations', 'qty');
    END IF;
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
    SELECT coalesce(sum(s.qty), 0) INTO shipped FROM centra.shipment_lines s
    WHERE s.order_id = NEW.order_id AND s.orderitem_id = NEW.orderitem_id;
    pending := centra_outbox.pending_lines_qty('item_cancellations', NEW.order_id,
                                               NEW.orderitem_id, NULL);
    creating := centra_outbox.pending_lines_qty('shipment_updates', NEW.order_id,
                                                NEW.orderitem_id, NULL);
    IF l.qty IS NOT NULL AND NEW.qty > l.qty - shipped - creating - pending THEN
        PERFORM centra_outbox.refuse(
            format('only %s of orderitem "%s" can still be cancelled',
                   greatest(l.qty - shipped - creating - pending, 0), NEW.orderitem_id),
            format('centra_outbox.item_cancellations: order "%s" has %s of orderitem "%s"; %s '
                   'in shipments (centra.shipment_lines), %s in new shipments not imported yet, '
                   '%s in cancellations not sent yet; this row cancels %s.', NEW.order_id, l.qty,
                   NEW.orderitem_id, shipped, creating, pending, NEW.qty),
            'Cancel at most what is neither shipped, in a shipment being created, nor being '
            'cancelled; a shipped item is returned with a refund (centra_outbox.refunds).');
    END IF;
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
    'quantity (whole, at least 1, at most the line''s less what centra.shipment_lines holds of '
    'it, what shipment creates not imported yet hold and what cancellations not sent yet '
    'cancel; beyond integer refused by line_qty as larger than any line), under lock_order; '
    'enqueues orders_Update with <cancelled> for the line.';

CREATE OR REPLACE FUNCTION centra_outbox.shipment_updates_enqueue()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o json;
    shipment json;
    bad record;
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
    PERFORM centra_outbox.lock_order(NEW.order_id); -- as in item_cancellations_enqueue
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
    -- Its lines are valid (order_lines_json, above). A new shipment holds at most what is left of each line: neither shipped, nor in a
    -- shipment being created, nor being cancelled (Centra refuses more, and the refused
    -- message would hold back every later update of the order).
    IF NEW.action = 'create' AND jsonb_typeof(NEW.lines) = 'array' THEN
        SELECT x.orderitem, x.qty, l.qty AS line, y.shipped, y.creating, y.cancelling INTO bad
        FROM (SELECT i.item ->> 'orderitem' AS orderitem, sum((i.item ->> 'qty')::numeric) AS qty
              FROM jsonb_array_elements(NEW.lines) AS i (item)
              WHERE jsonb_typeof(i.item -> 'qty') = 'number'
              GROUP BY 1) x
        JOIN centra.order_lines l ON l.order_id = NEW.order_id AND l.orderitem_id = x.orderitem
        CROSS JOIN LATERAL (
            SELECT (SELECT coalesce(sum(s.qty), 0) FROM centra.shipment_lines s
                    WHERE s.order_id = NEW.order_id AND s.orderitem_id = x.orderitem) AS shipped,
                   centra_outbox.pending_lines_qty('shipment_updates', NEW.order_id, x.orderitem,
                                                   NULL) AS creating,
                   centra_outbox.pending_lines_qty('item_cancellations', NEW.order_id,
                                                   x.orderitem, NULL) AS cancelling) y
        WHERE l.qty IS NOT NULL AND x.qty > l.qty - y.shipped - y.creating - y.cancelling
        ORDER BY x.orderitem
        LIMIT 1;
        IF FOUND THEN
            PERFORM centra_outbox.refuse(
                format('only %s of orderitem "%s" is left to ship',
                       greatest(bad.line - bad.shipped - bad.creating - bad.cancelling, 0),
                       bad.orderitem),
                format('%s: the order has %s of it; %s in shipments (centra.shipment_lines), '
                       '%s in new shipments not imported yet, %s in cancellations not sent yet; '
                       'the new shipment holds %s.', what, bad.line, bad.shipped, bad.creating,
                       bad.cancelling, bad.qty),
                'Ship at most what is left of the line; a shipment already created is changed '
                'in Centra, not created again; a create whose message failed holds its items '
                'until it is retried or cancelled (centra-bridge outbox cancel).');
        END IF;
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
    'known (shipment_known), and the lines of a create (orderitems of the order, quantities '
    'within what is left of the line: less what centra.shipment_lines holds, creates not '
    'imported yet and cancellations not sent yet, under lock_order); enqueues orders_Update '
    'with one <shipment>.';

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
                       'refunds of it returned %s (centra.refund_lines) and refunds not sent '
                       'yet return %s.', NEW.refund_id, bad.qty, coalesce(bad.shipped, 0),
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
                                                         false))))))),
        'refunds', NEW.id);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION centra_outbox.refunds_enqueue() IS
    'BEFORE INSERT trigger of refunds: checks the status (confirmed), the order, that the refund '
    'id is unused, the shipment (shipment_known, as for ship), and the lines (at most what the '
    'shipment holds less what refunds of it returned and refunds not sent yet return, under '
    'lock_order), enqueues orders_Update with the <refund> inside its <shipment>.';
