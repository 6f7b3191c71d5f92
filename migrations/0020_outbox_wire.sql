-- migrations/0020_outbox_wire.sql
--     Found in black-box reviews of the requests on the wire and of a large
--     installation:
--     - a refund named its lines by size only (order_lines_json without
--       orderitem): of two lines of one size, Centra refunded the first,
--       whichever line the ERP named.  Each <size> now carries its
--       <orderitem><id>, as cancellations and shipment creates do (the
--       guide: identify lines by orderitem); refunds_enqueue is restated in
--       full, as an immutable migration must;
--     - a shipment or refund id with white space around it was sent as it
--       is, while the import trims ids: centra.shipments then held another
--       id than Centra, and a refund naming the stored one failed.  Such ids
--       are refused at INSERT (ids_trimmed);
--     - enqueue_price_alteration_date sent any status and dates Centra has
--       no use for (infinity, BC); enqueue_payment_terms negative duedays;
--     - runs: the running rows (every run's start, status) and the last run
--       of each command (schema.md) were found by reading the whole table;
--       messages: a key's history (outbox.md) too.  Indexes for each;
--     - lines of shipments and refunds refused a quantity of 1.0 as not whole
--       (a numeric column in jsonb_build_object gives it), where stock_updates
--       takes 2.0: order_lines_json is restated to take it, and sends 1;
--     - id_map held what events taught that "idmap import" refuses, so an
--       export did not import again: an order number 0 as a Centra id, ids
--       over 255 characters or with a control character.  The loader no
--       longer learns them; those learned before go (the number becomes
--       unknown, the ids are dropped: no ERP id has such a shape).

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
                                                         true))))))),
        'refunds', NEW.id);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION centra_outbox.refunds_enqueue() IS
    'BEFORE INSERT trigger of refunds: checks the status (confirmed), the order, that the refund '
    'id is unused, the shipment (shipment_known, as for ship), and the lines (at most what the '
    'shipment holds less what refunds of it returned and refunds not sent yet return, under '
    'lock_order), enqueues orders_Update with the <refund> inside its <shipment>, each line '
    'a <size> with its <orderitem><id>.';

CREATE FUNCTION centra_outbox.ids_trimmed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col text;
    val text;
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        val := to_jsonb(NEW) ->> col;
        IF val ~ '^[ \t\r\n]|[ \t\r\n]$' THEN
            PERFORM centra_outbox.refuse(
                format('%s %s has white space around it', col, to_json(val)),
                format('centra_outbox.%s (%s) gives it; the import reads ids without the white '
                       'space around them, so centra.%s would hold another id than Centra.',
                       TG_TABLE_NAME, col,
                       CASE WHEN col = 'refund_id' THEN 'refunds' ELSE 'shipments' END),
                format('Give the id without it: %s.', to_json(btrim(val, E' \t\r\n'))));
        END IF;
    END LOOP;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION centra_outbox.ids_trimmed() IS
    'BEFORE INSERT trigger: refuses (22023) a row whose columns named in the trigger''s '
    'arguments begin or end with white space (space, tab, CR, LF), which the import removes '
    'from the ids it stores; the message quotes the id as a JSON string (\n for a line '
    'feed).';

-- Named to fire before the *_enqueue triggers (triggers of one event fire by name).
CREATE TRIGGER ids_trimmed BEFORE INSERT ON centra_outbox.shipment_updates
    FOR EACH ROW EXECUTE FUNCTION centra_outbox.ids_trimmed('shipment_id');
COMMENT ON TRIGGER ids_trimmed ON centra_outbox.shipment_updates IS
    'Refuses a shipment_id with white space around it (centra_outbox.ids_trimmed).';
CREATE TRIGGER ids_trimmed BEFORE INSERT ON centra_outbox.refunds
    FOR EACH ROW EXECUTE FUNCTION centra_outbox.ids_trimmed('refund_id', 'shipment_id');
COMMENT ON TRIGGER ids_trimmed ON centra_outbox.refunds IS
    'Refuses a refund_id or shipment_id with white space around it (centra_outbox.ids_trimmed).';

CREATE OR REPLACE FUNCTION centra_outbox.enqueue_price_alteration_date(alteration_id text,
                                                                       name text, store integer,
                                                                       startdate date,
                                                                       status text DEFAULT 'active')
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM centra_outbox.need(alteration_id, 'price alteration date id',
                               'enqueue_price_alteration_date');
    PERFORM centra_outbox.one_of(status, ARRAY['active', 'inactive'],
                                 'price alteration date status', 'enqueue_price_alteration_date');
    IF NOT isfinite(startdate) OR extract(year FROM startdate) < 1 THEN
        PERFORM centra_outbox.refuse(
            format('start date %s is not a calendar date Centra can use', startdate),
            'centra_outbox.enqueue_price_alteration_date() was called with it.',
            'Give a date of the common era, written YYYY-MM-DD (not infinity, not BC).');
    END IF;
    RETURN centra_outbox.put('pricealterationdates_Update', 'pricealterationdate:' || alteration_id,
        json_strip_nulls(json_build_object('id', alteration_id, 'status', status, 'name', name,
                                           'store', store, 'startdate', startdate)),
        'enqueue_price_alteration_date()', NULL);
END
$$;
COMMENT ON FUNCTION centra_outbox.enqueue_price_alteration_date(text, text, integer, date, text) IS
    'Enqueues pricealterationdates_Update {id, status (active, the default, or inactive), name, '
    'store, startdate (YYYY-MM-DD; infinity and BC dates refused)}: a time alteration date for '
    'altered prices, wholesale only; entity_key pricealterationdate:<id>. Returns the message '
    'id.';

CREATE OR REPLACE FUNCTION centra_outbox.enqueue_payment_terms(terms_id text, name text,
                                                               description text DEFAULT NULL,
                                                               duedays integer DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM centra_outbox.need(terms_id, 'payment terms id', 'enqueue_payment_terms');
    IF duedays < 0 THEN
        PERFORM centra_outbox.refuse(
            format('due days %s is negative', duedays),
            'centra_outbox.enqueue_payment_terms() was called with it.',
            'Give the days until an invoice is due: 0 or more.');
    END IF;
    RETURN centra_outbox.put('paymentterms_Update', 'paymentterms:' || terms_id,
        json_strip_nulls(json_build_object('id', terms_id, 'name', name,
                                           'description', description, 'duedays', duedays)),
        'enqueue_payment_terms()', NULL);
END
$$;
COMMENT ON FUNCTION centra_outbox.enqueue_payment_terms(text, text, text, integer) IS
    'Enqueues paymentterms_Update {id, name (the title), description (longer text), duedays '
    '(0 or more)}; entity_key paymentterms:<id>. Returns the message id.';

CREATE INDEX runs_running_idx ON centra.runs (run_id) WHERE outcome = 'running';
COMMENT ON INDEX centra.runs_running_idx IS
    'The runs still going: every run''s start (dead runs of this host) and status read them.';
CREATE INDEX runs_command_run_idx ON centra.runs (command, run_id);
COMMENT ON INDEX centra.runs_command_run_idx IS
    'The newest runs of a command (schema.md: the last runs of each command).';
CREATE INDEX messages_entity_key_history_idx ON centra_outbox.messages (entity_key, id);
COMMENT ON INDEX centra_outbox.messages_entity_key_history_idx IS
    'Every message of a key, sent and superseded ones included: what an ERP row became '
    '(outbox.md). messages_entity_key_idx serves the open ones.';

UPDATE centra.id_map SET centra_id = NULL, updated_at = now()
WHERE kind = 'order' AND centra_id = 0 AND source = 'event';
DELETE FROM centra.id_map
WHERE source = 'event' AND (char_length(erp_id) > 255 OR erp_id ~ '[\x01-\x1f\x7f-\x9f]');

CREATE OR REPLACE FUNCTION centra_outbox.order_lines_json(order_id text, lines jsonb, source text,
                                               with_orderitem boolean)
RETURNS json
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    e jsonb;
    i integer := 0;
    k text;
    path text;
    seen text[] := '{}';
    result json;
BEGIN
    IF lines IS NULL OR jsonb_typeof(lines) <> 'array' OR jsonb_array_length(lines) = 0 THEN
        PERFORM centra_outbox.refuse(
            'lines must be a non-empty JSON array',
            format('centra_outbox.%s.lines is %s.', source, coalesce(lines::text, 'NULL')),
            'Give the order lines as [{"orderitem": "68", "qty": 1}, ...].');
    END IF;
    FOR e IN SELECT value FROM jsonb_array_elements(lines) LOOP
        path := format('lines[%s]', i);
        IF jsonb_typeof(e) <> 'object' THEN
            PERFORM centra_outbox.refuse(
                format('%s must be an object', path),
                format('centra_outbox.%s.%s is %s.', source, path, e::text),
                'Give each line as {"orderitem": "68", "qty": 1}.');
        END IF;
        FOR k IN SELECT jsonb_object_keys(e) LOOP
            IF k NOT IN ('orderitem', 'qty') THEN
                PERFORM centra_outbox.refuse(
                    format('%s has an unknown key "%s"', path, k),
                    format('centra_outbox.%s.%s is %s.', source, path, e::text),
                    'A line has exactly the keys "orderitem" and "qty".');
            END IF;
        END LOOP;
        IF coalesce(jsonb_typeof(e -> 'orderitem'), 'null') NOT IN ('string', 'number')
           OR coalesce(jsonb_typeof(e -> 'qty'), 'null') <> 'number'
           OR (e ->> 'qty') !~ '^-?[0-9]+(\.0+)?$' THEN
            PERFORM centra_outbox.refuse(
                format('%s needs an orderitem and a whole quantity', path),
                format('centra_outbox.%s.%s is %s.', source, path, e::text),
                'Give each line as {"orderitem": "68", "qty": 1}.');
        END IF;
        IF (e ->> 'orderitem') = ANY (seen) THEN
            PERFORM centra_outbox.refuse(
                format('orderitem "%s" appears twice in lines', e ->> 'orderitem'),
                format('centra_outbox.%s.%s repeats it.', source, path),
                'Give each orderitem once, with the total quantity.');
        END IF;
        seen := seen || (e ->> 'orderitem');
        PERFORM centra_outbox.order_item(
            order_id, e ->> 'orderitem',
            centra_outbox.line_qty((e ->> 'qty')::numeric, e ->> 'orderitem', source, path),
            source, path);
        i := i + 1;
    END LOOP;
    -- One <product> per product and variation, in the order of their first line.
    WITH l AS (
        SELECT x.ord, x.item ->> 'orderitem' AS orderitem,
               (x.item ->> 'qty')::numeric::integer AS qty,
               ol.product_id, ol.variation_id, ol.size_id
        FROM jsonb_array_elements(lines) WITH ORDINALITY AS x (item, ord)
        JOIN centra.order_lines ol
          ON ol.order_id = order_lines_json.order_id AND ol.orderitem_id = x.item ->> 'orderitem'
    ), g AS (
        SELECT l.product_id, l.variation_id, min(l.ord) AS first,
               string_agg(CASE WHEN with_orderitem
                               THEN json_build_object('id', l.size_id, 'qty', l.qty,
                                                      'orderitem',
                                                      json_build_object('id', l.orderitem))
                               ELSE json_build_object('id', l.size_id, 'qty', l.qty) END::text,
                          ', ' ORDER BY l.ord) AS sizes
        FROM l GROUP BY l.product_id, l.variation_id
    )
    SELECT ('{"product" : [' || string_agg(
                json_build_object('id', g.product_id,
                                  'variation', json_build_object('id', g.variation_id),
                                  'sizes', json_build_object('size', ('[' || g.sizes || ']')::json)
                                 )::text, ', ' ORDER BY g.first) || ']}')::json
    INTO result FROM g;
    RETURN result;
END
$$;
COMMENT ON FUNCTION centra_outbox.order_lines_json(text, jsonb, text, boolean) IS
    'The <products> of a shipment or refund from lines, a JSON array of {"orderitem", "qty"}: '
    'each line checked with order_item (its quantity by line_qty first: whole, within '
    'integer), grouped into one <product> per product and variation (in the order of their '
    'first line) with one <size> per line ({id, qty} and, when with_orderitem, '
    '<orderitem><id>). A quantity written with zero decimals (1.0, as a numeric column '
    'gives it) is whole, and sent as 1.';

