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
