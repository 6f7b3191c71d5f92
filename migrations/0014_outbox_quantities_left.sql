-- migrations/0014_outbox_quantities_left.sql
--     Rows Centra is bound to refuse are refused at INSERT, from what
--     centra.* and the outbox already know, instead of becoming a failed
--     message that blocks every later update of the order (found in a
--     black-box review of the outbox):
--     - item_cancellations: the quantity left to cancel is the line's minus
--       what centra.shipment_lines holds of it and minus the cancellations of
--       it still to be sent (pending), those of the same INSERT included.  A
--       cancellation of a shipped item, or the second of two that together
--       pass the line, is refused.
--     - refunds: the shipment must be one shipment_updates' ship rule
--       accepts (shipment_known: in centra.shipments, or created by a
--       message that is pending, sending or sent): a refund of a shipment
--       whose create failed or was cancelled was accepted, and so was any
--       shipment when the row gave an appendix.  What a refund returns of an
--       item is at most what the shipment holds of it, minus what
--       centra.refund_lines says refunds of that shipment returned, minus the
--       refunds of it still to be sent that centra.refunds does not hold yet.
--     Messages that were sent count only once the import has brought their
--     effect into centra.*: the checks can let pass a row Centra refuses
--     (Centra's answer is then kept on the message), never the other way.

CREATE FUNCTION centra_outbox.pending_lines_qty(source text, order_id text, orderitem_id text,
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
    END
$$;
COMMENT ON FUNCTION centra_outbox.pending_lines_qty(text, text, text, text) IS
    'How much of orderitem orderitem_id of order order_id the rows of centra_outbox.source '
    'still have to send, counting only what centra.* cannot show yet: item_cancellations whose '
    'message is pending (a sending one may be applied and imported already; cancellations have '
    'no id to tell), refunds of shipment shipment_id whose message is pending or sending and '
    'that centra.refunds does not hold. Sent ones are not counted: their effect reaches '
    'centra.* with the next import.';

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
BEGIN
    IF NEW.order_id IS NULL OR NEW.orderitem_id IS NULL OR NEW.qty IS NULL THEN
        RETURN NEW;
    END IF;
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
    IF l.qty IS NOT NULL AND NEW.qty > l.qty - shipped - pending THEN
        PERFORM centra_outbox.refuse(
            format('only %s of orderitem "%s" can still be cancelled',
                   greatest(l.qty - shipped - pending, 0), NEW.orderitem_id),
            format('centra_outbox.item_cancellations: order "%s" has %s of orderitem "%s"; %s '
                   'in shipments (centra.shipment_lines), %s in cancellations not sent yet; '
                   'this row cancels %s.', NEW.order_id, l.qty, NEW.orderitem_id, shipped,
                   pending, NEW.qty),
            'Cancel at most what is neither shipped nor being cancelled; a shipped item is '
            'returned with a refund (centra_outbox.refunds).');
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
    'it and what cancellations not sent yet cancel; beyond integer refused by line_qty as larger '
    'than any line), enqueues orders_Update with <cancelled> for the line.';

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
    'shipment holds less what refunds of it returned and refunds not sent yet return), '
    'enqueues orders_Update with the <refund> inside its <shipment>.';
