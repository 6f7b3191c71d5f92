-- migrations/0011_outbox_values.sql
--     What the ERP gives the outbox is refused at INSERT, with a message,
--     DETAIL and HINT, where it was accepted and then sent as something else
--     or refused with a bare PostgreSQL error:
--
--     - A known key of a single value given a JSON object or array:
--       enqueue_customer('23', 1, '{"firstname": {"a": "b"}}') sent
--       <firstname><a>b</a></firstname>.  ordered(), which checks the keys of
--       the customer's fields, the account's addresses and buyers and the
--       products' variations and sizes, now refuses an object or array under
--       any of its keys: all of them are single values in Centra's XML (the
--       addresses, buyers, variations and sizes themselves stay objects and
--       arrays; they are not values of ordered()).  products_variations_json()
--       refuses the same for a variation's sizetable (its id), which it
--       writes itself.  The other enqueue_* functions take typed arguments,
--       and order_lines_json() already refused anything but a string or
--       number for orderitem and qty.
--     - A whole quantity beyond integer: item_cancellations.qty 1e12 said
--       "must be a whole number" (it is whole), a lines qty of 100000000000
--       in shipment_updates or refunds gave PostgreSQL's bare "value ... is
--       out of range for type integer" from order_lines_json(), and
--       stock_updates.qty 1e12 said "must be a whole number" too.  The new
--       line_qty() says that the quantity is larger than any order line can
--       hold (or, far below integer, that it must be positive), for the
--       lines of shipments and refunds and for cancellations; the stock
--       trigger says that stock must not be larger than 2147483647.  What is
--       stored and sent does not change.
--     - Every trigger of centra_outbox (messages_check, messages_notify and
--       the seven *_enqueue of the typed tables) gets a comment saying when
--       it fires and what it does; until now only their functions had one.

-- ---------------------------------------------------------------------------
-- single values under known keys
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION centra_outbox.ordered(obj jsonb, keys text[], what text)
RETURNS json
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    k text;
    t text;
    result json;
BEGIN
    IF obj IS NULL THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(obj) <> 'object' THEN
        PERFORM centra_outbox.refuse(format('%s must be a JSON object', what),
                                     format('It is %s.', obj::text),
                                     format('Give an object with the keys %s.',
                                            array_to_string(keys, ', ')));
    END IF;
    FOR k IN SELECT jsonb_object_keys(obj) LOOP
        IF NOT k = ANY (keys) THEN
            PERFORM centra_outbox.refuse(format('%s has an unknown key "%s"', what, k),
                                         format('It is %s.', obj::text),
                                         format('The keys are %s.', array_to_string(keys, ', ')));
        END IF;
        t := jsonb_typeof(obj -> k);
        IF t IN ('object', 'array') THEN
            PERFORM centra_outbox.refuse(format('%s.%s must be a single value', what, k),
                                         format('It is the JSON %s %s.', t, (obj -> k)::text),
                                         format('Give %s as a string or a number: an object or '
                                                'array would be sent as elements inside <%s>.',
                                                k, k));
        END IF;
    END LOOP;
    SELECT json_object_agg(u.k, obj -> u.k ORDER BY u.n) INTO result
    FROM unnest(keys) WITH ORDINALITY AS u (k, n)
    WHERE obj ? u.k AND jsonb_typeof(obj -> u.k) <> 'null';
    RETURN coalesce(result, '{}'::json);
END
$$;
COMMENT ON FUNCTION centra_outbox.ordered(jsonb, text[], text) IS
    'A jsonb object (which keeps no key order) as json with its keys in the order of keys, '
    'the order of Centra''s XML; null members are left out. Refuses a key not in keys, and a '
    'JSON object or array as the value of a key (every key of its callers is a single value '
    'in the XML), naming the object as what.';

CREATE OR REPLACE FUNCTION centra_outbox.products_variations_json(variations jsonb)
RETURNS json
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v jsonb;
    s jsonb;
    i integer := 0;
    j integer;
    vs text[] := '{}';
    ss text[];
    vj json;
BEGIN
    IF variations IS NULL THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(variations) <> 'array' THEN
        PERFORM centra_outbox.refuse('variations must be a JSON array',
            format('centra_outbox.products.variations is %s.', variations::text),
            'Give [{"id": "T001_RED", "sizetable": "SML", "sizes": [{"id": "S"}]}, ...].');
    END IF;
    FOR v IN SELECT value FROM jsonb_array_elements(variations) LOOP
        IF jsonb_typeof(v) <> 'object' OR coalesce(jsonb_typeof(v -> 'id'), 'null')
                                           NOT IN ('string', 'number') THEN
            PERFORM centra_outbox.refuse(format('variations[%s] needs an id', i),
                format('centra_outbox.products.variations[%s] is %s.', i, v::text),
                'Give each variation as an object with at least "id".');
        END IF;
        IF jsonb_typeof(v -> 'sizetable') IN ('object', 'array') THEN
            PERFORM centra_outbox.refuse(
                format('variations[%s].sizetable must be a single value', i),
                format('It is the JSON %s %s.', jsonb_typeof(v -> 'sizetable'),
                       (v -> 'sizetable')::text),
                'Give sizetable as a string or a number: an object or array would be sent as '
                'elements inside <sizetable><id>.');
        END IF;
        ss := '{}';
        j := 0;
        IF v ? 'sizes' THEN
            IF jsonb_typeof(v -> 'sizes') <> 'array' THEN
                PERFORM centra_outbox.refuse(format('variations[%s].sizes must be a JSON array', i),
                    format('It is %s.', (v -> 'sizes')::text),
                    'Give [{"id": "S", "sku": "01"}, ...].');
            END IF;
            FOR s IN SELECT value FROM jsonb_array_elements(v -> 'sizes') LOOP
                IF jsonb_typeof(s) <> 'object' OR coalesce(jsonb_typeof(s -> 'id'), 'null')
                                                   NOT IN ('string', 'number') THEN
                    PERFORM centra_outbox.refuse(
                        format('variations[%s].sizes[%s] needs an id', i, j),
                        format('It is %s.', s::text),
                        'Give each size as an object with at least "id".');
                END IF;
                ss := ss || centra_outbox.ordered(s, ARRAY['id', 'description', 'comment', 'sku',
                                                           'ean'],
                                                  format('variations[%s].sizes[%s]', i, j))::text;
                j := j + 1;
            END LOOP;
        END IF;
        vj := centra_outbox.ordered(
            (v - 'sizes' - 'sizetable')
              || jsonb_build_object('stockid', coalesce(v -> 'stockid', v -> 'id')),
            ARRAY['id', 'stockid', 'description', 'sku', 'status'],
            format('variations[%s]', i));
        -- sizetable and sizes are objects in the XML: append them in their place.
        vj := (left(vj::text, -1)
               || CASE WHEN v ? 'sizetable' AND jsonb_typeof(v -> 'sizetable') <> 'null'
                       THEN ', "sizetable" : ' || json_build_object('id', v -> 'sizetable')::text
                       ELSE '' END
               || CASE WHEN v ? 'sizes'
                       THEN ', "sizes" : {"size" : [' || array_to_string(ss, ', ') || ']}'
                       ELSE '' END
               || '}')::json;
        vs := vs || vj::text;
        i := i + 1;
    END LOOP;
    RETURN ('{"variation" : [' || array_to_string(vs, ', ') || ']}')::json;
END
$$;
COMMENT ON FUNCTION centra_outbox.products_variations_json(jsonb) IS
    'The <variations> element of a products_Update payload from products.variations (see that '
    'column), in the element order of Centra''s documentation; refuses unknown keys, and an '
    'object or array where a single value belongs (a field of a variation or size, sizetable).';

-- ---------------------------------------------------------------------------
-- quantities beyond integer
-- ---------------------------------------------------------------------------

CREATE FUNCTION centra_outbox.line_qty(qty numeric, orderitem_id text, source text, path text)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF qty > 2147483647 THEN
        PERFORM centra_outbox.refuse(
            format('quantity %s of orderitem "%s" is larger than any order line can hold', qty,
                   orderitem_id),
            format('centra_outbox.%s (%s) gives quantity %s; an order line holds at most '
                   '2147483647.', source, path, qty),
            'Give at most the quantity of the order line (centra.order_lines.qty).');
    END IF;
    IF qty < -2147483648 THEN
        PERFORM centra_outbox.refuse(
            format('quantity of orderitem "%s" must be positive', orderitem_id),
            format('centra_outbox.%s (%s) gives quantity %s.', source, path, qty),
            'Give a whole number of at least 1.');
    END IF;
    RETURN qty::integer;
END
$$;
COMMENT ON FUNCTION centra_outbox.line_qty(numeric, text, text, text) IS
    'A whole quantity qty of orderitem orderitem_id as integer, for order_item(): refuses '
    '(22023) one above 2147483647 as larger than any order line can hold, and one below '
    'integer as not positive, instead of PostgreSQL''s "out of range for type integer". source '
    'and path name the row in the error. NULL for NULL.';

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
           OR (e ->> 'qty') !~ '^-?[0-9]+$' THEN
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
        SELECT x.ord, x.item ->> 'orderitem' AS orderitem, (x.item ->> 'qty')::integer AS qty,
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
    '<orderitem><id>).';

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
    'quantity (whole, at least 1, at most the line''s; beyond integer refused by line_qty as '
    'larger than any line), enqueues orders_Update with <cancelled> for the line.';

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
    IF NEW.qty > 2147483647 AND centra_outbox.is_finite(NEW.qty) THEN
        PERFORM centra_outbox.refuse(
            'stock quantity must not be larger than 2147483647',
            format('centra_outbox.stock_updates: qty %s for %s/%s/%s in warehouse %s.', NEW.qty,
                   NEW.product_id, NEW.variation_id, NEW.size_id, NEW.warehouse_id),
            'Send the free-to-allocate quantity as a whole number from 0 to 2147483647.',
            '23514');
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
    'BEFORE INSERT trigger of stock_updates: refuses a negative quantity, one above 2147483647 '
    'and a fraction (and NaN, Infinity), enqueues the stock message (entity_key of the ids '
    'escaped by key_part) and marks older pending (not sending) stock messages of the same '
    'entity_key superseded by it.';

-- ---------------------------------------------------------------------------
-- comments on the triggers
-- ---------------------------------------------------------------------------

COMMENT ON TRIGGER messages_check ON centra_outbox.messages IS
    'BEFORE INSERT, for each row, whoever inserts it (the ERP directly, or the typed tables'' '
    'triggers and the enqueue functions): refuses a payload the exporter could not write as '
    'XML (centra_outbox.check_payload: not an object, a key that is not an XML name, an array '
    'in an array, a character XML 1.0 cannot carry).';
COMMENT ON TRIGGER messages_notify ON centra_outbox.messages IS
    'AFTER INSERT, once per statement: NOTIFY centra_outbox (empty payload, delivered at '
    'COMMIT, one per transaction), so that an exporter waiting with LISTEN sends at once.';
COMMENT ON TRIGGER stock_updates_enqueue ON centra_outbox.stock_updates IS
    'BEFORE INSERT, for each row: refuses a negative, fractional or too large quantity (and '
    'NaN, Infinity), enqueues the products_Update stock message (entity_key stock:...), sets '
    'message_id, and supersedes the pending stock messages of the same key.';
COMMENT ON TRIGGER order_status_updates_enqueue ON centra_outbox.order_status_updates IS
    'BEFORE INSERT, for each row: checks the order (centra.orders) and that the row changes '
    'status or locked, enqueues orders_Update (entity_key order:<order_id>), sets message_id.';
COMMENT ON TRIGGER shipment_updates_enqueue ON centra_outbox.shipment_updates IS
    'BEFORE INSERT, for each row: checks the order, the columns of the action (create, ship, '
    'capture), that a shipment shipped or captured is known, and the lines; enqueues '
    'orders_Update with one <shipment> (entity_key order:<order_id>), sets message_id.';
COMMENT ON TRIGGER item_cancellations_enqueue ON centra_outbox.item_cancellations IS
    'BEFORE INSERT, for each row: checks the order, the orderitem and the quantity (whole, at '
    'least 1, at most the line''s), enqueues orders_Update with <cancelled> (entity_key '
    'order:<order_id>), sets message_id.';
COMMENT ON TRIGGER refunds_enqueue ON centra_outbox.refunds IS
    'BEFORE INSERT, for each row: checks the status, the order, that the refund id is unused, '
    'the shipment and the lines (at most what the shipment holds), enqueues orders_Update with '
    'the <refund> in its <shipment> (entity_key order:<order_id>), sets message_id.';
COMMENT ON TRIGGER products_enqueue ON centra_outbox.products IS
    'BEFORE INSERT, for each row: checks the variations and sizes (known keys, single values), '
    'enqueues products_Update (entity_key product:<product_id>), sets message_id.';
COMMENT ON TRIGGER prices_enqueue ON centra_outbox.prices IS
    'BEFORE INSERT, for each row: refuses negative amounts, NaN and Infinity, enqueues '
    'pricelists_Update with the price (entity_key pricelist:<pricelist>/<product>), sets '
    'message_id.';
