-- migrations/0017_outbox_refusals.sql
--     Found in a black-box review of the outbox as an ERP uses it:
--     - An empty id in products.variations ([{"id": ""}], or a size's) and an
--       empty prices.variation_id ('') were accepted and sent; Centra refused
--       them ("a variation has no id", "variation does not exist"), and the
--       failed price message held back every later price of the product in
--       that pricelist.  They are refused at INSERT now, as every other empty
--       id is (NOT VALID: rows stored before are not checked).  An unknown key
--       of a variation is named with the whole list of keys (sizetable and
--       sizes were left out of the hint).  products_variations_json is
--       restated in full, as an immutable migration must.
--     - messages.maybe_applied marks a message that failed because Centra
--       may have applied it and sending it again would apply it twice (a
--       cancellation whose answer was lost): "outbox retry --failed" leaves
--       those to be retried or cancelled one by one, after a look at the
--       order in Centra.  It sent them again, and Centra cancelled twice.
--       The cancellations that failed so before this migration are found by
--       their last_error.
--     - messages.notices: Centra's notices are the request's; each message of
--       a request kept all of them (100 new warehouses: 100 notices on each
--       of 100 messages).  The exporter now keeps on a message those that
--       name one of its ids, and those that name none of the request's;
--       the column's comment says so.

-- ---------------------------------------------------------------------------
-- empty ids
-- ---------------------------------------------------------------------------

ALTER TABLE centra_outbox.prices
    ADD CONSTRAINT prices_variation_id_not_empty CHECK (variation_id <> '') NOT VALID;
COMMENT ON CONSTRAINT prices_variation_id_not_empty ON centra_outbox.prices IS
    'A variation id is not empty: NULL is the price of the product. NOT VALID: rows stored '
    'before migration 0017 are not checked.';
COMMENT ON COLUMN centra_outbox.prices.variation_id IS
    'Your variation id (<variation><id>) for a price of one variation, not empty; NULL for the '
    'product.';

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
    k text;
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
                                           NOT IN ('string', 'number') OR v ->> 'id' = '' THEN
            PERFORM centra_outbox.refuse(format('variations[%s] needs an id', i),
                format('centra_outbox.products.variations[%s] is %s.', i, v::text),
                'Give each variation as an object with at least "id", not empty.');
        END IF;
        FOR k IN SELECT jsonb_object_keys(v) LOOP
            IF NOT k = ANY (ARRAY['id', 'stockid', 'description', 'sku', 'status', 'sizetable',
                                  'sizes']) THEN
                PERFORM centra_outbox.refuse(format('variations[%s] has an unknown key "%s"', i, k),
                    format('It is %s.', v::text),
                    'The keys are id, stockid, description, sku, status, sizetable, sizes.');
            END IF;
        END LOOP;
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
                                                   NOT IN ('string', 'number')
                   OR s ->> 'id' = '' THEN
                    PERFORM centra_outbox.refuse(
                        format('variations[%s].sizes[%s] needs an id', i, j),
                        format('It is %s.', s::text),
                        'Give each size as an object with at least "id", not empty.');
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
    'column), in the element order of Centra''s documentation; refuses a variation or size '
    'without an id or with an empty one, unknown keys, and an object or array where a single '
    'value belongs (a field of a variation or size, sizetable).';

-- ---------------------------------------------------------------------------
-- messages Centra may have applied
-- ---------------------------------------------------------------------------

ALTER TABLE centra_outbox.messages ADD COLUMN maybe_applied boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN centra_outbox.messages.maybe_applied IS
    'true on a message that failed because Centra may have applied it (the request went out '
    'whole and no answer came back) and would apply it twice if it were sent again (a '
    'cancellation): "outbox retry --failed" leaves it; check the order in Centra, then '
    '"outbox retry ID" (sets it false) or "outbox cancel ID" (it stays true, as a record).';
-- The cancellations that failed so before this migration: their last_error says it.
UPDATE centra_outbox.messages SET maybe_applied = true
WHERE status = 'failed' AND last_error LIKE '%so Centra may have applied this cancellation%';

COMMENT ON COLUMN centra_outbox.messages.notices IS
    'Centra''s <notices> messages from the last answer, e.g. "Created new warehouse: WH-1". '
    'Centra gives them for a whole request: a message keeps those that hold, as a word, one '
    'of the parts of its entity_key after "kind:" (split at "/"), and those that hold none '
    'of any message of the request.';
