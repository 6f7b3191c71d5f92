-- migrations/0003_outbox.sql
--     The ERP's write side: validation of every outbox message, the wake-up
--     notification for exporters, the typed outbox tables the ERP inserts
--     into (their triggers check each row and enqueue one message), and
--     functions that enqueue master data.  Written for the ERP developer in
--     docs/outbox.md.
--
-- Design notes, for the DBA reading this:
-- - The ERP gives only its own ids.  Order rows name the order by
--   centra.orders.order_id; its type and store are looked up, and its lines
--   (orderitem ids) are checked against centra.order_lines.
-- - A bad row is refused at INSERT with a PostgreSQL-style error: message,
--   DETAIL (where), HINT (what to do).  Nothing is enqueued for it.
-- - Payloads are built with json_build_object (never jsonb), so that members
--   keep the order of the XML elements in Centra's documentation.  NULL means
--   "leave unchanged": members that are NULL are left out of the payload.
-- - The trigger functions and enqueue functions are SECURITY DEFINER with a
--   fixed search_path: the ERP inserts rows and calls functions, but it never
--   needs UPDATE on centra_outbox.messages (coalescing needs it).
-- - entity_key conventions: order:<order_id> for every operation on an order
--   (status, shipments, cancellations, refunds: delivered in order);
--   stock:<product>/<variation>/<size>/<warehouse>; product:<product>;
--   pricelist:<pricelist>/<product> for prices; <kind>:<id> for master data
--   (market:, size:<sizetable>/<size>, warehouse:, pricelist:,
--   pricealterationdate:, paymentterms:, shippingterms:, account:, customer:).
--
-- This file is immutable once released: changes go in a new migration.

-- ---------------------------------------------------------------------------
-- helpers
-- ---------------------------------------------------------------------------

CREATE FUNCTION centra_outbox.refuse(message text, detail text, hint text,
                                     errcode text DEFAULT '22023')
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = message, DETAIL = detail, HINT = hint, ERRCODE = errcode;
END
$$;
COMMENT ON FUNCTION centra_outbox.refuse(text, text, text, text) IS
    'Raises an error with message, DETAIL, HINT and SQLSTATE (default 22023, '
    'invalid_parameter_value). Used by the outbox triggers to refuse a row.';

CREATE FUNCTION centra_outbox.item_name(operation text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE operation
        WHEN 'paymentterms_Update' THEN 'paymentterms'
        WHEN 'shippingterms_Update' THEN 'shippingterms'
        WHEN 'pricealterationdates_Update' THEN 'pricealterationdate'
        ELSE regexp_replace(operation, 's_Update$', '')
    END
$$;
COMMENT ON FUNCTION centra_outbox.item_name(text) IS
    'The element that wraps one payload of an operation, e.g. order for orders_Update, '
    'paymentterms for paymentterms_Update: the start of the key paths in payload errors.';

CREATE FUNCTION centra_outbox.check_string(value json, path text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    s text;
    bad text;
BEGIN
    BEGIN
        s := value #>> '{}';
    EXCEPTION
        WHEN OTHERS THEN
            PERFORM centra_outbox.refuse(
                'outbox payload has text that XML 1.0 cannot carry',
                format('The string at %s contains %s (%s).', path,
                       CASE WHEN value::text ~* '\\u0000' THEN 'U+0000'
                            ELSE 'an escape that is not a character' END, SQLERRM),
                'Remove the character, or replace it (e.g. by a space), before enqueueing.');
    END;
    bad := substring(s FROM '[\x01-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]');
    IF bad IS NOT NULL THEN
        PERFORM centra_outbox.refuse(
            'outbox payload has text that XML 1.0 cannot carry',
            format('The string at %s contains U+%s at character %s.', path,
                   upper(lpad(to_hex(ascii(bad)), 4, '0')), strpos(s, bad)),
            'Remove control characters (U+0000 to U+001F except tab, line feed and carriage '
            'return) and U+FFFE, U+FFFF, or replace them (e.g. by a space), before enqueueing.');
    END IF;
END
$$;
COMMENT ON FUNCTION centra_outbox.check_string(json, text) IS
    'Refuses a JSON string (value) that holds a character XML 1.0 cannot carry (U+0000 to '
    'U+0008, U+000B, U+000C, U+000E to U+001F, U+FFFE, U+FFFF); path names it in the error.';

CREATE FUNCTION centra_outbox.check_json(value json, path text, strings boolean)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    k text;
    e json;
    t text;
    i integer := 0;
BEGIN
    IF json_typeof(value) = 'object' THEN
        FOR k, e IN SELECT j.key, j.value FROM json_each(value) j LOOP
            IF k !~ '^[[:alpha:]_][[:alnum:]_.-]*$' THEN
                PERFORM centra_outbox.refuse(
                    'outbox payload has a key that is not an XML element name',
                    format('The key "%s" in %s is not a name: a key must start with a letter '
                           'or "_" and hold only letters, digits, "_", "-" and ".", with no '
                           '":".', k, path),
                    'Rename the key: each key becomes an XML element of the SOAP request.');
            END IF;
            t := json_typeof(e);
            IF t = 'object' OR t = 'array' THEN
                PERFORM centra_outbox.check_json(e, path || '.' || k, strings);
            ELSIF strings AND t = 'string' THEN
                PERFORM centra_outbox.check_string(e, path || '.' || k);
            END IF;
        END LOOP;
    ELSE
        FOR e IN SELECT j.value FROM json_array_elements(value) j LOOP
            t := json_typeof(e);
            IF t = 'array' THEN
                PERFORM centra_outbox.refuse(
                    'outbox payload has an array inside an array',
                    format('The item %s[%s] is an array: it has no element name.', path, i),
                    'Wrap the inner array in an object, e.g. {"size": [...]}.');
            ELSIF t = 'object' THEN
                PERFORM centra_outbox.check_json(e, path || '[' || i || ']', strings);
            ELSIF strings AND t = 'string' THEN
                PERFORM centra_outbox.check_string(e, path || '[' || i || ']');
            END IF;
            i := i + 1;
        END LOOP;
    END IF;
END
$$;
COMMENT ON FUNCTION centra_outbox.check_json(json, text, boolean) IS
    'Walks an object or array of a payload (value, at key path path): every key must be an XML '
    'name without a colon, no array may hold an array, and, when strings is true, every string '
    'is checked by check_string. Raises the first problem found.';

CREATE FUNCTION centra_outbox.check_payload(operation text, payload json)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    t text := json_typeof(payload);
    txt text;
BEGIN
    IF t IS DISTINCT FROM 'object' THEN
        PERFORM centra_outbox.refuse(
            'outbox payload must be a JSON object',
            format('The payload of this %s message is %s.', operation,
                   CASE WHEN t IS NULL THEN 'NULL' ELSE 'a JSON ' || t END),
            format('Send the item itself as one object, e.g. {"id": "1", ...}: the exporter wraps '
                   'it in <%s>.', centra_outbox.item_name(operation)));
    END IF;
    -- JSON text cannot hold raw control characters: a bad character can only be a \u escape
    -- or a literal U+FFFE/U+FFFF.  Strings are looked at only when the text has one of those.
    txt := payload::text;
    IF txt !~ '\\u|[\uFFFE\uFFFF]' THEN
        -- Fast path, for the stock of a whole ERP: keep the keys of the text (every string
        -- followed by ':'; outside strings JSON text has no '"'), drop the other strings, then
        -- the keys that are names.  Nothing may be left of a '"', and no '[' or ',' may be
        -- followed by '[' (an array in an array).  Else the walk finds and names the problem.
        IF regexp_replace(
               regexp_replace(txt, '("(?:[^"\\]|\\.)*"\s*:)|"(?:[^"\\]|\\.)*"', '\1', 'g'),
               '"[[:alpha:]_][[:alnum:]_.-]*"\s*:', ':', 'g') !~ '"|[[,]\s*\[' THEN
            RETURN;
        END IF;
        PERFORM centra_outbox.check_json(payload, centra_outbox.item_name(operation), false);
        RETURN;
    END IF;
    BEGIN
        PERFORM centra_outbox.check_json(payload, centra_outbox.item_name(operation), true);
    EXCEPTION
        WHEN untranslatable_character OR invalid_text_representation THEN
            -- json_each cannot read \u0000 or a lone surrogate escape anywhere in an object.
            PERFORM centra_outbox.refuse(
                'outbox payload has text that XML 1.0 cannot carry',
                format('The payload contains %s, which is not a character (%s).',
                       CASE WHEN txt ~* '\\u0000' THEN 'U+0000 (written \u0000)'
                            ELSE 'a \u escape' END, SQLERRM),
                'Remove the escape, or replace it (e.g. by a space), before enqueueing.');
    END;
END
$$;
COMMENT ON FUNCTION centra_outbox.check_payload(text, json) IS
    'Checks that a payload can be written as XML for operation: a JSON object, keys that are '
    'XML names, no array in an array, no character XML 1.0 cannot carry. Raises SQLSTATE 22023 '
    'with the key path (e.g. order.shipments.shipment[0].tracking) in DETAIL. The ERP may call it '
    'to test a payload.';

-- ---------------------------------------------------------------------------
-- triggers on centra_outbox.messages
-- ---------------------------------------------------------------------------

CREATE FUNCTION centra_outbox.messages_check()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM centra_outbox.check_payload(NEW.operation, NEW.payload);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION centra_outbox.messages_check() IS
    'BEFORE INSERT trigger of centra_outbox.messages: refuses a payload the exporter could not '
    'write as XML (see check_payload), whoever inserts it.';

CREATE TRIGGER messages_check BEFORE INSERT ON centra_outbox.messages
    FOR EACH ROW EXECUTE FUNCTION centra_outbox.messages_check();

CREATE FUNCTION centra_outbox.messages_notify()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('centra_outbox', '');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION centra_outbox.messages_notify() IS
    'AFTER INSERT statement trigger of centra_outbox.messages: NOTIFY centra_outbox (empty '
    'payload), delivered at COMMIT, so that an exporter waiting with LISTEN centra_outbox '
    'wakes at once. PostgreSQL folds equal notifications of one transaction into one.';

CREATE TRIGGER messages_notify AFTER INSERT ON centra_outbox.messages
    FOR EACH STATEMENT EXECUTE FUNCTION centra_outbox.messages_notify();

COMMENT ON COLUMN centra_outbox.messages.source_table IS
    'Typed outbox table the message came from (e.g. stock_updates), or the enqueue function '
    'that built it (e.g. enqueue_market()); NULL if inserted directly.';
COMMENT ON COLUMN centra_outbox.messages.source_id IS
    'Row id in that table; NULL for messages of enqueue functions.';

-- ---------------------------------------------------------------------------
-- helpers of the typed tables
-- ---------------------------------------------------------------------------

CREATE FUNCTION centra_outbox.put(operation text, entity_key text, payload json,
                                  source_table text, source_id bigint)
RETURNS bigint
LANGUAGE sql
AS $$
    INSERT INTO centra_outbox.messages (operation, entity_key, payload, source_table, source_id)
    VALUES (operation, entity_key, payload, source_table, source_id)
    RETURNING id
$$;
COMMENT ON FUNCTION centra_outbox.put(text, text, json, text, bigint) IS
    'Inserts one message and returns its id. Internal: called by the typed tables'' triggers and '
    'the enqueue functions; not executable by PUBLIC.';
REVOKE EXECUTE ON FUNCTION centra_outbox.put(text, text, json, text, bigint) FROM PUBLIC;

CREATE FUNCTION centra_outbox.order_ref(order_id text, source text)
RETURNS json
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    o record;
BEGIN
    SELECT c.type, c.store INTO o FROM centra.orders c WHERE c.order_id = order_ref.order_id;
    IF NOT FOUND THEN
        PERFORM centra_outbox.refuse(
            format('order "%s" is not in centra.orders', order_id),
            format('centra_outbox.%s refers to order "%s", which centra-bridge has not imported.',
                   source, order_id),
            'Use Centra''s order id (<order><id>, centra.orders.order_id), and import the order '
            '(centra-bridge import) before writing back to it.', '23503');
    END IF;
    IF o.type IS NULL OR o.store IS NULL THEN
        PERFORM centra_outbox.refuse(
            format('order "%s" has no type or store in centra.orders', order_id),
            'orders_Update needs the order''s <type> and <store>; the imported order lacks them.',
            'Re-import the order (centra-bridge import), then insert the row again.', '23502');
    END IF;
    RETURN json_build_object('id', order_id, 'type', o.type, 'store', o.store);
END
$$;
COMMENT ON FUNCTION centra_outbox.order_ref(text, text) IS
    'The identifying members of an orders_Update payload, {"id", "type", "store"}, of an order '
    'imported into centra.orders; refuses an unknown order (SQLSTATE 23503). source names the '
    'typed table in the error.';

CREATE FUNCTION centra_outbox.order_item(order_id text, orderitem_id text, qty integer,
                                         source text, path text)
RETURNS centra.order_lines
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    l centra.order_lines;
BEGIN
    SELECT * INTO l FROM centra.order_lines c
    WHERE c.order_id = order_item.order_id AND c.orderitem_id = order_item.orderitem_id;
    IF NOT FOUND THEN
        PERFORM centra_outbox.refuse(
            format('orderitem "%s" is not a line of order "%s"', orderitem_id, order_id),
            format('centra_outbox.%s (%s) names orderitem "%s", which is not in '
                   'centra.order_lines for order "%s".', source, path, orderitem_id, order_id),
            'Use the line''s <orderitem><id> (centra.order_lines.orderitem_id).', '23503');
    END IF;
    IF qty IS NULL OR qty <= 0 THEN
        PERFORM centra_outbox.refuse(
            format('quantity of orderitem "%s" must be positive', orderitem_id),
            format('centra_outbox.%s (%s) gives quantity %s.', source, path,
                   coalesce(qty::text, 'NULL')),
            'Give a whole number of at least 1.');
    END IF;
    IF l.qty IS NOT NULL AND qty > l.qty THEN
        PERFORM centra_outbox.refuse(
            format('quantity %s of orderitem "%s" exceeds the line''s quantity %s',
                   qty, orderitem_id, l.qty),
            format('centra_outbox.%s (%s): order "%s" has %s of orderitem "%s" (%s/%s/%s).',
                   source, path, order_id, l.qty, orderitem_id, l.product_id, l.variation_id,
                   l.size_id),
            'Give at most the quantity of the order line.');
    END IF;
    RETURN l;
END
$$;
COMMENT ON FUNCTION centra_outbox.order_item(text, text, integer, text, text) IS
    'The order line (centra.order_lines) of orderitem_id in order order_id; refuses an unknown '
    'orderitem (23503), a quantity below 1 or above the line''s quantity (22023). source and '
    'path name the row in the error.';

CREATE FUNCTION centra_outbox.order_lines_json(order_id text, lines jsonb, source text,
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
        PERFORM centra_outbox.order_item(order_id, e ->> 'orderitem', (e ->> 'qty')::integer,
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
    'each line checked with order_item, grouped into one <product> per product and variation '
    '(in the order of their first line) with one <size> per line ({id, qty} and, when '
    'with_orderitem, <orderitem><id>).';

CREATE FUNCTION centra_outbox.ordered(obj jsonb, keys text[], what text)
RETURNS json
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    k text;
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
    END LOOP;
    SELECT json_object_agg(u.k, obj -> u.k ORDER BY u.n) INTO result
    FROM unnest(keys) WITH ORDINALITY AS u (k, n)
    WHERE obj ? u.k AND jsonb_typeof(obj -> u.k) <> 'null';
    RETURN coalesce(result, '{}'::json);
END
$$;
COMMENT ON FUNCTION centra_outbox.ordered(jsonb, text[], text) IS
    'A jsonb object (which keeps no key order) as json with its keys in the order of keys, '
    'the order of Centra''s XML; null members are left out. Refuses a key not in keys, naming '
    'the object as what.';

CREATE FUNCTION centra_outbox.yes_no(value boolean)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE value WHEN true THEN 'yes' WHEN false THEN 'no' END
$$;
COMMENT ON FUNCTION centra_outbox.yes_no(boolean) IS
    'Centra''s yes/no text of a boolean; NULL for NULL.';

-- ---------------------------------------------------------------------------
-- stock_updates
-- ---------------------------------------------------------------------------

CREATE TABLE centra_outbox.stock_updates (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    message_id bigint,
    product_id text NOT NULL CONSTRAINT stock_updates_product_id_not_empty CHECK (product_id <> ''),
    variation_id text NOT NULL
        CONSTRAINT stock_updates_variation_id_not_empty CHECK (variation_id <> ''),
    size_id text NOT NULL CONSTRAINT stock_updates_size_id_not_empty CHECK (size_id <> ''),
    warehouse_id text NOT NULL
        CONSTRAINT stock_updates_warehouse_id_not_empty CHECK (warehouse_id <> ''),
    qty integer NOT NULL CONSTRAINT stock_updates_qty_not_negative CHECK (qty >= 0)
);
CREATE INDEX stock_updates_message_id_idx ON centra_outbox.stock_updates (message_id);

COMMENT ON TABLE centra_outbox.stock_updates IS
    'Stock to send (products_Update with <warehouseitems>): the free-to-allocate quantity (FTA) '
    'of one size of a variation in one warehouse. Insert only; each row enqueues one message '
    '(entity_key stock:<product>/<variation>/<size>/<warehouse>) and supersedes the pending, '
    'unsent stock messages of the same key.';
COMMENT ON COLUMN centra_outbox.stock_updates.id IS 'Row number, generated.';
COMMENT ON COLUMN centra_outbox.stock_updates.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN centra_outbox.stock_updates.message_id IS
    'The message this row enqueued (centra_outbox.messages.id), set by the trigger.';
COMMENT ON COLUMN centra_outbox.stock_updates.product_id IS 'Your product id (<product><id>).';
COMMENT ON COLUMN centra_outbox.stock_updates.variation_id IS
    'Your variation id (<variation><id>, also sent as <stockid>).';
COMMENT ON COLUMN centra_outbox.stock_updates.size_id IS
    'Size id within the variation''s sizetable (<size><id>), e.g. S or OS.';
COMMENT ON COLUMN centra_outbox.stock_updates.warehouse_id IS
    'Your warehouse id (<warehouse><id>); Centra creates an unknown warehouse.';
COMMENT ON COLUMN centra_outbox.stock_updates.qty IS
    'Free to allocate (FTA): on the shelf minus what is reserved for unshipped orders, in '
    'Centra or elsewhere; not the shelf quantity. Never negative.';

CREATE FUNCTION centra_outbox.stock_updates_enqueue()
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
    WHERE m.entity_key = key AND m.status = 'pending' AND m.source_table = 'stock_updates'
      AND m.id < NEW.message_id;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION centra_outbox.stock_updates_enqueue() IS
    'BEFORE INSERT trigger of stock_updates: refuses a negative quantity, enqueues the stock '
    'message and marks older pending (not sending) stock messages of the same entity_key '
    'superseded by it.';

CREATE TRIGGER stock_updates_enqueue BEFORE INSERT ON centra_outbox.stock_updates
    FOR EACH ROW EXECUTE FUNCTION centra_outbox.stock_updates_enqueue();

-- ---------------------------------------------------------------------------
-- order_status_updates
-- ---------------------------------------------------------------------------

CREATE TABLE centra_outbox.order_status_updates (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    message_id bigint,
    order_id text NOT NULL,
    status text
        CONSTRAINT order_status_updates_status_valid
        CHECK (status IN ('pending', 'confirmed', 'processing', 'completed')),
    locked boolean,
    CONSTRAINT order_status_updates_something_to_do CHECK (status IS NOT NULL OR locked IS NOT NULL)
);
CREATE INDEX order_status_updates_order_id_idx ON centra_outbox.order_status_updates (order_id);

COMMENT ON TABLE centra_outbox.order_status_updates IS
    'Status changes and locks of an order (orders_Update <status>, <locked>): confirm, lock, '
    'unlock, complete. Insert only; each row enqueues one message (entity_key order:<order_id>).';
COMMENT ON COLUMN centra_outbox.order_status_updates.id IS 'Row number, generated.';
COMMENT ON COLUMN centra_outbox.order_status_updates.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN centra_outbox.order_status_updates.message_id IS
    'The message this row enqueued (centra_outbox.messages.id), set by the trigger.';
COMMENT ON COLUMN centra_outbox.order_status_updates.order_id IS
    'Centra''s order id (centra.orders.order_id); type and store are looked up there.';
COMMENT ON COLUMN centra_outbox.order_status_updates.status IS
    'New order status (<status>): pending, confirmed, processing or completed; NULL leaves it.';
COMMENT ON COLUMN centra_outbox.order_status_updates.locked IS
    'true locks the order against edits in the Centra admin (<locked>yes</locked>), false '
    'unlocks it; NULL leaves it.';

CREATE FUNCTION centra_outbox.order_status_updates_enqueue()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o json;
BEGIN
    IF NEW.order_id IS NULL THEN
        RETURN NEW;
    END IF;
    IF NEW.status IS NOT NULL
       AND NEW.status NOT IN ('pending', 'confirmed', 'processing', 'completed') THEN
        PERFORM centra_outbox.refuse(
            format('order status "%s" is not one Centra accepts', NEW.status),
            format('centra_outbox.order_status_updates: order "%s".', NEW.order_id),
            'Use pending, confirmed, processing or completed.', '23514');
    END IF;
    IF NEW.status IS NULL AND NEW.locked IS NULL THEN
        PERFORM centra_outbox.refuse(
            'order status update changes nothing',
            format('centra_outbox.order_status_updates: order "%s" has neither status nor '
                   'locked.', NEW.order_id),
            'Set status (e.g. confirmed), locked (true or false), or both.', '23514');
    END IF;
    o := centra_outbox.order_ref(NEW.order_id, 'order_status_updates');
    NEW.message_id := centra_outbox.put('orders_Update', 'order:' || NEW.order_id,
        json_strip_nulls(json_build_object('id', o -> 'id', 'type', o -> 'type',
                                           'store', o -> 'store', 'status', NEW.status,
                                           'locked', centra_outbox.yes_no(NEW.locked))),
        'order_status_updates', NEW.id);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION centra_outbox.order_status_updates_enqueue() IS
    'BEFORE INSERT trigger of order_status_updates: checks the order and the change, enqueues '
    'orders_Update {id, type, store, status, locked}.';

CREATE TRIGGER order_status_updates_enqueue BEFORE INSERT ON centra_outbox.order_status_updates
    FOR EACH ROW EXECUTE FUNCTION centra_outbox.order_status_updates_enqueue();

-- ---------------------------------------------------------------------------
-- shipment_updates
-- ---------------------------------------------------------------------------

CREATE TABLE centra_outbox.shipment_updates (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    message_id bigint,
    order_id text NOT NULL,
    shipment_id text NOT NULL
        CONSTRAINT shipment_updates_shipment_id_not_empty CHECK (shipment_id <> ''),
    action text NOT NULL
        CONSTRAINT shipment_updates_action_valid CHECK (action IN ('create', 'ship', 'capture')),
    appendix integer CONSTRAINT shipment_updates_appendix_positive CHECK (appendix > 0),
    good_to_go boolean NOT NULL DEFAULT true,
    lines jsonb,
    shipping_subtotal numeric
        CONSTRAINT shipment_updates_shipping_subtotal_not_negative CHECK (shipping_subtotal >= 0),
    carrier text,
    service text,
    tracking text,
    capture boolean,
    order_status text
        CONSTRAINT shipment_updates_order_status_valid
        CHECK (order_status IN ('pending', 'confirmed', 'processing', 'completed'))
);
CREATE INDEX shipment_updates_order_idx ON centra_outbox.shipment_updates (order_id, shipment_id);

COMMENT ON TABLE centra_outbox.shipment_updates IS
    'Shipments of an order (orders_Update <shipments><shipment>): create one with its lines, '
    'mark it shipped with carrier, service and tracking (and capture), or only capture the '
    'payment. Insert only; each row enqueues one message (entity_key order:<order_id>).';
COMMENT ON COLUMN centra_outbox.shipment_updates.id IS 'Row number, generated.';
COMMENT ON COLUMN centra_outbox.shipment_updates.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN centra_outbox.shipment_updates.message_id IS
    'The message this row enqueued (centra_outbox.messages.id), set by the trigger.';
COMMENT ON COLUMN centra_outbox.shipment_updates.order_id IS
    'Centra''s order id (centra.orders.order_id); type and store are looked up there.';
COMMENT ON COLUMN centra_outbox.shipment_updates.shipment_id IS
    'Shipment id (<shipment><id>): chosen by you for create (e.g. shipment-25-1), Centra''s or '
    'yours for ship and capture.';
COMMENT ON COLUMN centra_outbox.shipment_updates.action IS
    'create: a new shipment of lines (<shipped>no</shipped>); ship: mark it shipped '
    '(<shipped>yes</shipped>) with carrier, service, tracking and, if capture, <capture>yes; '
    'capture: only capture the payment (<capture>yes</capture>).';
COMMENT ON COLUMN centra_outbox.shipment_updates.appendix IS
    'create: the shipment''s number within the order, 1, 2, ... (<appendix>); NULL to omit.';
COMMENT ON COLUMN centra_outbox.shipment_updates.good_to_go IS
    'create: whether the shipment may be shipped (<goodtogo>yes/no); default true.';
COMMENT ON COLUMN centra_outbox.shipment_updates.lines IS
    'create (required): what the shipment holds, a JSON array [{"orderitem": "68", "qty": 1}, '
    '...] of order lines (centra.order_lines.orderitem_id) and quantities.';
COMMENT ON COLUMN centra_outbox.shipment_updates.shipping_subtotal IS
    'create: shipping cost of the shipment (<shipping><subtotal>); NULL to omit (0 in Centra).';
COMMENT ON COLUMN centra_outbox.shipment_updates.carrier IS
    'ship: carrier (<carrierinformation><carrier>), e.g. UPS.';
COMMENT ON COLUMN centra_outbox.shipment_updates.service IS
    'ship: carrier service (<carrierinformation><service>), e.g. STANDARD.';
COMMENT ON COLUMN centra_outbox.shipment_updates.tracking IS
    'ship: tracking number (<carrierinformation><tracking>).';
COMMENT ON COLUMN centra_outbox.shipment_updates.capture IS
    'ship: true asks Centra to capture the payment (<capture>yes</capture>; safe to send '
    'always for direct-to-consumer orders); NULL or false omits it.';
COMMENT ON COLUMN centra_outbox.shipment_updates.order_status IS
    'Optional new status of the order sent with the shipment (<order><status>), e.g. completed '
    'when a direct-to-consumer order ships.';

CREATE FUNCTION centra_outbox.shipment_updates_enqueue()
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
    o := centra_outbox.order_ref(NEW.order_id, 'shipment_updates');
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
    'BEFORE INSERT trigger of shipment_updates: checks the order, the action''s columns and the '
    'lines (orderitems of the order, quantities within the line), enqueues orders_Update with '
    'one <shipment>.';

CREATE TRIGGER shipment_updates_enqueue BEFORE INSERT ON centra_outbox.shipment_updates
    FOR EACH ROW EXECUTE FUNCTION centra_outbox.shipment_updates_enqueue();

-- ---------------------------------------------------------------------------
-- item_cancellations
-- ---------------------------------------------------------------------------

CREATE TABLE centra_outbox.item_cancellations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    message_id bigint,
    order_id text NOT NULL,
    orderitem_id text NOT NULL,
    qty integer NOT NULL CONSTRAINT item_cancellations_qty_positive CHECK (qty > 0)
);
CREATE INDEX item_cancellations_order_idx ON centra_outbox.item_cancellations (order_id);

COMMENT ON TABLE centra_outbox.item_cancellations IS
    'Cancelled quantities of order lines (orders_Update <cancelled>). Insert only; each row '
    'enqueues one message (entity_key order:<order_id>).';
COMMENT ON COLUMN centra_outbox.item_cancellations.id IS 'Row number, generated.';
COMMENT ON COLUMN centra_outbox.item_cancellations.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN centra_outbox.item_cancellations.message_id IS
    'The message this row enqueued (centra_outbox.messages.id), set by the trigger.';
COMMENT ON COLUMN centra_outbox.item_cancellations.order_id IS
    'Centra''s order id (centra.orders.order_id); type and store are looked up there.';
COMMENT ON COLUMN centra_outbox.item_cancellations.orderitem_id IS
    'The order line (centra.order_lines.orderitem_id, <orderitem><id>).';
COMMENT ON COLUMN centra_outbox.item_cancellations.qty IS
    'Quantity to cancel: at least 1, at most the line''s quantity.';

CREATE FUNCTION centra_outbox.item_cancellations_enqueue()
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
    l := centra_outbox.order_item(NEW.order_id, NEW.orderitem_id, NEW.qty,
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
    'quantity, enqueues orders_Update with <cancelled> for the line.';

CREATE TRIGGER item_cancellations_enqueue BEFORE INSERT ON centra_outbox.item_cancellations
    FOR EACH ROW EXECUTE FUNCTION centra_outbox.item_cancellations_enqueue();

-- ---------------------------------------------------------------------------
-- refunds
-- ---------------------------------------------------------------------------

CREATE TABLE centra_outbox.refunds (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    message_id bigint,
    order_id text NOT NULL,
    refund_id text NOT NULL CONSTRAINT refunds_refund_id_unique UNIQUE
        CONSTRAINT refunds_refund_id_not_empty CHECK (refund_id <> ''),
    shipment_id text NOT NULL,
    appendix integer CONSTRAINT refunds_appendix_positive CHECK (appendix > 0),
    status text NOT NULL DEFAULT 'confirmed',
    lines jsonb NOT NULL
);
CREATE INDEX refunds_order_idx ON centra_outbox.refunds (order_id, shipment_id);

COMMENT ON TABLE centra_outbox.refunds IS
    'Returns and refunds of a shipment (orders_Update <shipment><refunds><refund>). Insert only; '
    'each row enqueues one message (entity_key order:<order_id>).';
COMMENT ON COLUMN centra_outbox.refunds.id IS 'Row number, generated.';
COMMENT ON COLUMN centra_outbox.refunds.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN centra_outbox.refunds.message_id IS
    'The message this row enqueued (centra_outbox.messages.id), set by the trigger.';
COMMENT ON COLUMN centra_outbox.refunds.order_id IS
    'Centra''s order id (centra.orders.order_id); type and store are looked up there.';
COMMENT ON COLUMN centra_outbox.refunds.refund_id IS
    'Your refund id (<refund><id>): Centra requires it to be globally unique, so it is unique '
    'here and must not be a refund id of centra.refunds.';
COMMENT ON COLUMN centra_outbox.refunds.shipment_id IS
    'The shipment returned from: in centra.shipments, or created through shipment_updates.';
COMMENT ON COLUMN centra_outbox.refunds.appendix IS
    'The shipment''s <appendix>; NULL takes it from centra.shipments or shipment_updates.';
COMMENT ON COLUMN centra_outbox.refunds.status IS
    'Refund status (<refund><status>), e.g. confirmed.';
COMMENT ON COLUMN centra_outbox.refunds.lines IS
    'What is returned, a JSON array [{"orderitem": "81", "qty": 1}, ...] of order lines and '
    'quantities (at most what the shipment holds, when centra.shipment_lines knows it).';

CREATE FUNCTION centra_outbox.refunds_enqueue()
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
    'BEFORE INSERT trigger of refunds: checks the order, that the refund id is unused, the '
    'shipment and the lines, enqueues orders_Update with the <refund> inside its <shipment>.';

CREATE TRIGGER refunds_enqueue BEFORE INSERT ON centra_outbox.refunds
    FOR EACH ROW EXECUTE FUNCTION centra_outbox.refunds_enqueue();

-- ---------------------------------------------------------------------------
-- products
-- ---------------------------------------------------------------------------

CREATE TABLE centra_outbox.products (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    message_id bigint,
    product_id text NOT NULL CONSTRAINT products_product_id_not_empty CHECK (product_id <> ''),
    status text
        CONSTRAINT products_status_valid CHECK (status IN ('active', 'inactive', 'canceled')),
    sku text,
    description text,
    folder text,
    brand_id text,
    brand_name text,
    collection_id text,
    collection_name text,
    variations jsonb
);
CREATE INDEX products_product_id_idx ON centra_outbox.products (product_id);

COMMENT ON TABLE centra_outbox.products IS
    'Product data (products_Update): the product, its variations and their sizes. NULL columns '
    'and keys are left out, so Centra keeps their values. Insert only; each row enqueues one '
    'message (entity_key product:<product_id>).';
COMMENT ON COLUMN centra_outbox.products.id IS 'Row number, generated.';
COMMENT ON COLUMN centra_outbox.products.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN centra_outbox.products.message_id IS
    'The message this row enqueued (centra_outbox.messages.id), set by the trigger.';
COMMENT ON COLUMN centra_outbox.products.product_id IS
    'Your product id (<product><id>), unique across products.';
COMMENT ON COLUMN centra_outbox.products.status IS 'active, inactive or canceled (<status>).';
COMMENT ON COLUMN centra_outbox.products.sku IS
    'Product part of the SKU (<sku>); the full SKU is product + variation + size SKU.';
COMMENT ON COLUMN centra_outbox.products.description IS
    'Product name shown in the Centra admin (<description>).';
COMMENT ON COLUMN centra_outbox.products.folder IS
    'Folder path for reports, e.g. Sweaters / Turtleneck (<folder><description>).';
COMMENT ON COLUMN centra_outbox.products.brand_id IS 'Brand id (<brand><id>).';
COMMENT ON COLUMN centra_outbox.products.brand_name IS 'Brand name (<brand><description>).';
COMMENT ON COLUMN centra_outbox.products.collection_id IS 'Collection id (<collection><id>).';
COMMENT ON COLUMN centra_outbox.products.collection_name IS
    'Collection name (<collection><description>), e.g. X-Mas.';
COMMENT ON COLUMN centra_outbox.products.variations IS
    'Variations, a JSON array of objects with the keys id (required, unique across all '
    'variations), stockid (default: id), description, sku, status, sizetable (its id) and '
    'sizes: an array of objects with the keys id (required), description, comment, sku, ean.';

CREATE FUNCTION centra_outbox.products_variations_json(variations jsonb)
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
    'column), in the element order of Centra''s documentation; refuses unknown keys.';

CREATE FUNCTION centra_outbox.products_enqueue()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.product_id IS NULL THEN
        RETURN NEW;
    END IF;
    NEW.message_id := centra_outbox.put('products_Update', 'product:' || NEW.product_id,
        json_strip_nulls(json_build_object(
            'id', NEW.product_id, 'status', NEW.status, 'sku', NEW.sku,
            'description', NEW.description,
            'folder', CASE WHEN NEW.folder IS NOT NULL
                           THEN json_build_object('description', NEW.folder) END,
            'brand', CASE WHEN coalesce(NEW.brand_id, NEW.brand_name) IS NOT NULL
                          THEN json_build_object('id', NEW.brand_id,
                                                 'description', NEW.brand_name) END,
            'collection', CASE WHEN coalesce(NEW.collection_id, NEW.collection_name) IS NOT NULL
                               THEN json_build_object('id', NEW.collection_id,
                                                      'description', NEW.collection_name) END,
            'variations', centra_outbox.products_variations_json(NEW.variations))),
        'products', NEW.id);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION centra_outbox.products_enqueue() IS
    'BEFORE INSERT trigger of products: enqueues products_Update {id, status, sku, description, '
    'folder, brand, collection, variations}, leaving out what is NULL.';

CREATE TRIGGER products_enqueue BEFORE INSERT ON centra_outbox.products
    FOR EACH ROW EXECUTE FUNCTION centra_outbox.products_enqueue();

-- ---------------------------------------------------------------------------
-- prices
-- ---------------------------------------------------------------------------

CREATE TABLE centra_outbox.prices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    message_id bigint,
    pricelist_id text NOT NULL CONSTRAINT prices_pricelist_id_not_empty CHECK (pricelist_id <> ''),
    product_id text NOT NULL CONSTRAINT prices_product_id_not_empty CHECK (product_id <> ''),
    variation_id text,
    price numeric NOT NULL CONSTRAINT prices_price_not_negative CHECK (price >= 0),
    priceb numeric CONSTRAINT prices_priceb_not_negative CHECK (priceb >= 0),
    altered_price numeric CONSTRAINT prices_altered_price_not_negative CHECK (altered_price >= 0),
    altered_priceb numeric
        CONSTRAINT prices_altered_priceb_not_negative CHECK (altered_priceb >= 0)
);
CREATE INDEX prices_product_idx ON centra_outbox.prices (pricelist_id, product_id);

COMMENT ON TABLE centra_outbox.prices IS
    'Prices of a pricelist (pricelists_Update <items>), for a product or for one variation of '
    'it (never per size). Insert only; each row enqueues one message (entity_key '
    'pricelist:<pricelist_id>/<product_id>). Create the pricelist first with '
    'centra_outbox.enqueue_pricelist().';
COMMENT ON COLUMN centra_outbox.prices.id IS 'Row number, generated.';
COMMENT ON COLUMN centra_outbox.prices.created_at IS 'When the row was inserted.';
COMMENT ON COLUMN centra_outbox.prices.message_id IS
    'The message this row enqueued (centra_outbox.messages.id), set by the trigger.';
COMMENT ON COLUMN centra_outbox.prices.pricelist_id IS 'Your pricelist id (<pricelist><id>).';
COMMENT ON COLUMN centra_outbox.prices.product_id IS 'Your product id (<product><id>).';
COMMENT ON COLUMN centra_outbox.prices.variation_id IS
    'Your variation id (<variation><id>) for a price of one variation; NULL for the product.';
COMMENT ON COLUMN centra_outbox.prices.price IS 'Price in the pricelist''s currency (<price>).';
COMMENT ON COLUMN centra_outbox.prices.priceb IS
    'Recommended retail price (<priceb>), wholesale only; NULL to omit.';
COMMENT ON COLUMN centra_outbox.prices.altered_price IS
    'Time altered price (<alteredprice>), wholesale with a price alteration date; NULL to omit.';
COMMENT ON COLUMN centra_outbox.prices.altered_priceb IS
    'Time altered recommended retail price (<alteredpriceb>); NULL to omit.';

CREATE FUNCTION centra_outbox.prices_enqueue()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    amounts json;
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
    amounts := json_build_object('price', NEW.price, 'priceb', NEW.priceb,
                                 'alteredprice', NEW.altered_price,
                                 'alteredpriceb', NEW.altered_priceb);
    NEW.message_id := centra_outbox.put('pricelists_Update',
        format('pricelist:%s/%s', NEW.pricelist_id, NEW.product_id),
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
    'BEFORE INSERT trigger of prices: enqueues pricelists_Update {id, items: {product: {id, '
    'price...}}} or, with a variation, {product: {id, variation: {id, price...}}}.';

CREATE TRIGGER prices_enqueue BEFORE INSERT ON centra_outbox.prices
    FOR EACH ROW EXECUTE FUNCTION centra_outbox.prices_enqueue();

-- ---------------------------------------------------------------------------
-- master data: enqueue functions
-- ---------------------------------------------------------------------------
-- One call enqueues one message and returns its id.  NULL arguments are left
-- out of the payload (Centra keeps the value); '' sends an empty element.

CREATE FUNCTION centra_outbox.need(value text, what text, fn text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF value IS NULL OR value = '' THEN
        PERFORM centra_outbox.refuse(format('%s must not be empty', what),
                                     format('centra_outbox.%s() was called without it.', fn),
                                     format('Pass the %s.', what), '22004');
    END IF;
END
$$;
COMMENT ON FUNCTION centra_outbox.need(text, text, text) IS
    'Refuses (SQLSTATE 22004) a required argument what of enqueue function fn that is NULL or '
    'empty.';

CREATE FUNCTION centra_outbox.one_of(value text, allowed text[], what text, fn text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF value IS NOT NULL AND NOT value = ANY (allowed) THEN
        PERFORM centra_outbox.refuse(format('%s "%s" is not one Centra accepts', what, value),
                                     format('centra_outbox.%s() was called with it.', fn),
                                     format('Use %s.', array_to_string(allowed, ', ')));
    END IF;
END
$$;
COMMENT ON FUNCTION centra_outbox.one_of(text, text[], text, text) IS
    'Refuses (SQLSTATE 22023) a value of argument what of enqueue function fn that is not NULL '
    'and not in allowed.';

CREATE FUNCTION centra_outbox.enqueue_market(market_id text, store integer, type text,
                                             description text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM centra_outbox.need(market_id, 'market id', 'enqueue_market');
    PERFORM centra_outbox.one_of(type, ARRAY['retail', 'wholesale'], 'market type',
                                 'enqueue_market');
    RETURN centra_outbox.put('markets_Update', 'market:' || market_id,
        json_strip_nulls(json_build_object('id', market_id, 'store', store, 'type', type,
                                           'description', description)),
        'enqueue_market()', NULL);
END
$$;
COMMENT ON FUNCTION centra_outbox.enqueue_market(text, integer, text, text) IS
    'Enqueues markets_Update {id, store, type (retail or wholesale), description: the name in '
    'the Centra admin}; entity_key market:<id>. Returns the message id.';

CREATE FUNCTION centra_outbox.enqueue_size(size_id text, description text, sizetable_id text,
                                           sizetable_description text, sku text DEFAULT NULL,
                                           ean text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM centra_outbox.need(size_id, 'size id', 'enqueue_size');
    PERFORM centra_outbox.need(sizetable_id, 'sizetable id', 'enqueue_size');
    RETURN centra_outbox.put('sizes_Update', format('size:%s/%s', sizetable_id, size_id),
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
    'size:<sizetable>/<size>. Returns the message id.';

CREATE FUNCTION centra_outbox.enqueue_warehouse(warehouse_id text, description text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM centra_outbox.need(warehouse_id, 'warehouse id', 'enqueue_warehouse');
    RETURN centra_outbox.put('warehouses_Update', 'warehouse:' || warehouse_id,
        json_strip_nulls(json_build_object('id', warehouse_id, 'description', description)),
        'enqueue_warehouse()', NULL);
END
$$;
COMMENT ON FUNCTION centra_outbox.enqueue_warehouse(text, text) IS
    'Enqueues warehouses_Update {id, description}; entity_key warehouse:<id>. Optional: stock '
    'sent to an unknown warehouse creates it. Returns the message id.';

CREATE FUNCTION centra_outbox.enqueue_pricelist(pricelist_id text, store integer, type text,
                                                currency text, description text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM centra_outbox.need(pricelist_id, 'pricelist id', 'enqueue_pricelist');
    PERFORM centra_outbox.one_of(type, ARRAY['retail', 'wholesale'], 'pricelist type',
                                 'enqueue_pricelist');
    RETURN centra_outbox.put('pricelists_Update', 'pricelist:' || pricelist_id,
        json_strip_nulls(json_build_object('id', pricelist_id, 'store', store, 'type', type,
                                           'currency', currency, 'description', description)),
        'enqueue_pricelist()', NULL);
END
$$;
COMMENT ON FUNCTION centra_outbox.enqueue_pricelist(text, integer, text, text, text) IS
    'Enqueues pricelists_Update {id, store, type, currency (configured in Centra), description} '
    'without items; entity_key pricelist:<id>. Prices go in centra_outbox.prices. Returns the '
    'message id.';

CREATE FUNCTION centra_outbox.enqueue_price_alteration_date(alteration_id text, name text,
                                                            store integer, startdate date,
                                                            status text DEFAULT 'active')
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM centra_outbox.need(alteration_id, 'price alteration date id',
                               'enqueue_price_alteration_date');
    RETURN centra_outbox.put('pricealterationdates_Update', 'pricealterationdate:' || alteration_id,
        json_strip_nulls(json_build_object('id', alteration_id, 'status', status, 'name', name,
                                           'store', store, 'startdate', startdate)),
        'enqueue_price_alteration_date()', NULL);
END
$$;
COMMENT ON FUNCTION centra_outbox.enqueue_price_alteration_date(text, text, integer, date, text) IS
    'Enqueues pricealterationdates_Update {id, status (default active), name, store, startdate '
    '(YYYY-MM-DD)}: a time alteration date for altered prices, wholesale only; entity_key '
    'pricealterationdate:<id>. Returns the message id.';

CREATE FUNCTION centra_outbox.enqueue_payment_terms(terms_id text, name text,
                                                    description text DEFAULT NULL,
                                                    duedays integer DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM centra_outbox.need(terms_id, 'payment terms id', 'enqueue_payment_terms');
    RETURN centra_outbox.put('paymentterms_Update', 'paymentterms:' || terms_id,
        json_strip_nulls(json_build_object('id', terms_id, 'name', name,
                                           'description', description, 'duedays', duedays)),
        'enqueue_payment_terms()', NULL);
END
$$;
COMMENT ON FUNCTION centra_outbox.enqueue_payment_terms(text, text, text, integer) IS
    'Enqueues paymentterms_Update {id, name (the title), description (longer text), duedays}; '
    'entity_key paymentterms:<id>. Returns the message id.';

CREATE FUNCTION centra_outbox.enqueue_shipping_terms(terms_id text, name text,
                                                     description text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM centra_outbox.need(terms_id, 'shipping terms id', 'enqueue_shipping_terms');
    RETURN centra_outbox.put('shippingterms_Update', 'shippingterms:' || terms_id,
        json_strip_nulls(json_build_object('id', terms_id, 'name', name,
                                           'description', description)),
        'enqueue_shipping_terms()', NULL);
END
$$;
COMMENT ON FUNCTION centra_outbox.enqueue_shipping_terms(text, text, text) IS
    'Enqueues shippingterms_Update {id, name (the title), description (longer text)}; '
    'entity_key shippingterms:<id>. Returns the message id.';

CREATE FUNCTION centra_outbox.enqueue_account(
    account_id text, description text, status text DEFAULT 'active',
    market_id text DEFAULT NULL, pricelist_id text DEFAULT NULL,
    payment_terms_id text DEFAULT NULL, shipping_terms_id text DEFAULT NULL,
    account_address jsonb DEFAULT NULL, shipping_address jsonb DEFAULT NULL,
    invoice_address jsonb DEFAULT NULL, buyers jsonb DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    address_keys CONSTANT text[] := ARRAY['id', 'description', 'company', 'attn', 'firstname',
        'lastname', 'address1', 'address2', 'city', 'state', 'zipcode', 'country', 'email',
        'telephone', 'fax', 'vat', 'url', 'companyregistrationid'];
    buyer_keys CONSTANT text[] := ARRAY['id', 'store', 'status', 'firstname', 'lastname',
        'company', 'address1', 'address2', 'city', 'state', 'zipcode', 'country', 'email',
        'telephone', 'fax', 'market', 'pricelist', 'password'];
    b jsonb;
    i integer := 0;
    bs text[] := '{}';
BEGIN
    PERFORM centra_outbox.need(account_id, 'account id', 'enqueue_account');
    PERFORM centra_outbox.one_of(status, ARRAY['active', 'inactive', 'canceled'],
                                 'account status', 'enqueue_account');
    IF buyers IS NOT NULL THEN
        IF jsonb_typeof(buyers) <> 'array' THEN
            PERFORM centra_outbox.refuse('buyers must be a JSON array',
                format('centra_outbox.enqueue_account() was called with %s.', buyers::text),
                'Give [{"id": "12345_buyer1", "store": 2, "firstname": "...", ...}].');
        END IF;
        FOR b IN SELECT value FROM jsonb_array_elements(buyers) LOOP
            bs := bs || centra_outbox.ordered(b, buyer_keys, format('buyers[%s]', i))::text;
            i := i + 1;
        END LOOP;
    END IF;
    RETURN centra_outbox.put('accounts_Update', 'account:' || account_id,
        json_strip_nulls(json_build_object(
            'id', account_id, 'type', 'wholesale', 'status', status, 'description', description,
            'market', CASE WHEN market_id IS NOT NULL THEN json_build_object('id', market_id) END,
            'pricelist', CASE WHEN pricelist_id IS NOT NULL
                              THEN json_build_object('id', pricelist_id) END,
            'paymentterms', CASE WHEN payment_terms_id IS NOT NULL
                                 THEN json_build_object('id', payment_terms_id) END,
            'shippingterms', CASE WHEN shipping_terms_id IS NOT NULL
                                  THEN json_build_object('id', shipping_terms_id) END,
            'accountaddress', centra_outbox.ordered(account_address, address_keys,
                                                    'account_address'),
            'shippingaddress', centra_outbox.ordered(shipping_address, address_keys,
                                                     'shipping_address'),
            'invoiceaddress', centra_outbox.ordered(invoice_address, address_keys,
                                                    'invoice_address'),
            'buyers', CASE WHEN buyers IS NOT NULL
                           THEN ('{"buyer" : [' || array_to_string(bs, ', ') || ']}')::json
                      END)),
        'enqueue_account()', NULL);
END
$$;
COMMENT ON FUNCTION centra_outbox.enqueue_account(text, text, text, text, text, text, text, jsonb,
                                                  jsonb, jsonb, jsonb) IS
    'Enqueues accounts_Update for a wholesale account: {id, type wholesale, status (active, '
    'inactive, canceled), description (company name), market, pricelist, paymentterms, '
    'shippingterms (each {id}), accountaddress, shippingaddress, invoiceaddress (jsonb objects '
    'with the keys of Centra''s address: company, attn, firstname, lastname, address1, '
    'address2, city, state, zipcode, country, email, telephone, fax, vat, url, ...), buyers '
    '(a jsonb array of {id, store, status, firstname, lastname, email, ...}: at least one for '
    'the account to show)}; entity_key account:<id>. Returns the message id.';

CREATE FUNCTION centra_outbox.enqueue_customer(customer_id text, store integer, fields jsonb)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c json;
BEGIN
    PERFORM centra_outbox.need(customer_id, 'customer id', 'enqueue_customer');
    c := centra_outbox.ordered(coalesce(fields, '{}'),
        ARRAY['type', 'status', 'firstname', 'lastname', 'address1', 'address2', 'city',
              'state', 'zipcode', 'country', 'email', 'telephone'], 'fields');
    RETURN centra_outbox.put('customers_Update', 'customer:' || customer_id,
        json_strip_nulls(('{"id" : ' || to_json(customer_id)::text || ', "store" : '
                          || coalesce(store::text, 'null')
                          || CASE WHEN c::text = '{}' THEN '' ELSE ', ' || substr(c::text, 2) END
                          || CASE WHEN c::text = '{}' THEN '}' ELSE '' END)::json),
        'enqueue_customer()', NULL);
END
$$;
COMMENT ON FUNCTION centra_outbox.enqueue_customer(text, integer, jsonb) IS
    'Enqueues customers_Update {id, store, then fields in Centra''s order: type, status, '
    'firstname, lastname, address1, address2, city, state, zipcode, country, email, telephone} '
    'for a retail customer; entity_key customer:<id>. Returns the message id.';

REVOKE EXECUTE ON FUNCTION
    centra_outbox.enqueue_market(text, integer, text, text),
    centra_outbox.enqueue_size(text, text, text, text, text, text),
    centra_outbox.enqueue_warehouse(text, text),
    centra_outbox.enqueue_pricelist(text, integer, text, text, text),
    centra_outbox.enqueue_price_alteration_date(text, text, integer, date, text),
    centra_outbox.enqueue_payment_terms(text, text, text, integer),
    centra_outbox.enqueue_shipping_terms(text, text, text),
    centra_outbox.enqueue_account(text, text, text, text, text, text, text, jsonb, jsonb, jsonb,
                                  jsonb),
    centra_outbox.enqueue_customer(text, integer, jsonb)
    FROM PUBLIC;
