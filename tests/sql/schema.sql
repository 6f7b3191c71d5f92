-- tests/sql/schema.sql
--     pgTAP: the schema after "centra-bridge migrate" holds the contract of
--     DESIGN.md, is documented, and the roles can do what they should and
--     nothing more.  Runs in a transaction that is rolled back.
\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
SELECT * FROM no_plan();

-- --- schemas and tables -------------------------------------------------------
SELECT has_schema('centra');
SELECT has_schema('centra_outbox');
SELECT has_table('centra', t, 'table centra.' || t || ' exists')
FROM unnest(ARRAY['events', 'orders', 'order_lines', 'order_line_warehouses', 'shipments',
                  'shipment_lines', 'refunds', 'refund_lines', 'payments', 'cancelled_lines',
                  'order_bundles', 'entities', 'id_map', 'runs', 'schema_migrations',
                  'order_additionals', 'order_line_supplier_orders']) AS t;
SELECT has_table('centra_outbox', 'messages', 'table centra_outbox.messages exists');
SELECT has_view('centra', 'pick_lines', 'view centra.pick_lines exists');

-- --- contract columns (DESIGN.md) ------------------------------------------------
SELECT has_column('centra', tbl, col, format('%s.%s exists', tbl, col))
FROM (VALUES
    ('events', ARRAY['event_id', 'type', 'entry', 'mission', 'event_date', 'status', 'error',
                     'payload', 'received_at', 'done_at']),
    ('orders', ARRAY['order_id', 'order_number', 'type', 'store', 'status', 'currency',
                     'order_total', 'created_at', 'customer_id', 'account_id', 'market_id',
                     'pricelist_id', 'last_event_id', 'ship_first_name', 'ship_address1',
                     'ship_city', 'ship_zipcode', 'ship_country', 'bill_first_name',
                     'bill_address1', 'bill_city', 'bill_zipcode', 'bill_country']),
    ('order_lines', ARRAY['order_id', 'orderitem_id', 'product_id', 'variation_id', 'size_id',
                          'sku', 'qty', 'price', 'orig_price', 'discount', 'tax', 'subtotal',
                          'bundle_role', 'bundle_product_id']),
    ('order_line_warehouses', ARRAY['order_id', 'orderitem_id', 'warehouse_id', 'qty']),
    ('shipments', ARRAY['order_id', 'shipment_id', 'appendix', 'paid', 'shipped', 'good_to_go',
                        'shipment_total', 'carrier', 'service', 'tracking', 'ship_city',
                        'shipping_subtotal', 'handling_subtotal', 'voucher_subtotal']),
    ('shipment_lines', ARRAY['order_id', 'shipment_id', 'orderitem_id', 'qty']),
    ('refunds', ARRAY['order_id', 'refund_id', 'shipment_id', 'status']),
    ('refund_lines', ARRAY['order_id', 'refund_id', 'orderitem_id', 'qty']),
    ('order_bundles', ARRAY['order_id', 'part_orderitem_id', 'bundle_product_id']),
    ('entities', ARRAY['type', 'entry', 'payload', 'deleted', 'last_event_id']),
    ('id_map', ARRAY['kind', 'erp_id', 'centra_id', 'source', 'updated_at']),
    ('runs', ARRAY['run_id', 'command', 'started_at', 'finished_at', 'outcome'])
) AS c(tbl, cols), unnest(cols) AS col;

SELECT has_column('centra_outbox', 'messages', col, 'messages.' || col || ' exists')
FROM unnest(ARRAY['id', 'operation', 'entity_key', 'payload', 'status', 'attempts',
                  'next_attempt_at', 'created_at', 'sent_at', 'last_error', 'notices']) AS col;

-- Every leaf of the documented order tree (centra-api-notes.md section 4) has a column.
SELECT has_column('centra', 'orders', col, 'orders.' || col || ' exists')
FROM unnest(ARRAY['locked', 'internal', 'currency_rate', 'base_currency',
    'preferred_shipping_date', 'buyer_id', 'buyer_first_name', 'buyer_email', 'sales_rep_id',
    'sales_rep_percent', 'sales_rep_master_id', 'master_sales_rep_id', 'account_name',
    'payment_terms_id', 'shipping_terms_id', 'delivery_window_id', 'delivery_window_at_once',
    'delivery_window_start', 'delivery_window_stop', 'collection_id', 'primary_warehouse_id',
    'shipping_subtotal', 'shipping_key', 'handling_subtotal', 'voucher_subtotal', 'payment_name',
    'payment_type', 'payment_total', 'payment_status', 'payment_method', 'carrier_account',
    'carrier_tax_id', 'packages', 'ship_company', 'ship_attn', 'ship_fax', 'ship_vat',
    'ship_url', 'ship_company_registration_id', 'bill_company', 'internal_information',
    'buyer_message', 'po_number', 'ec_vat_no', 'market_name', 'pricelist_name']) AS col;
SELECT has_column('centra', 'order_lines', col, 'order_lines.' || col || ' exists')
FROM unnest(ARRAY['product_sku', 'size_sku', 'product_name', 'variation_name', 'size_name',
    'brand_id', 'brand_name', 'product_type', 'product_qty', 'product_subtotal', 'preorder',
    'comment', 'orderitem_description']) AS col;
SELECT has_column('centra', 'payments', col, 'payments.' || col || ' exists')
FROM unnest(ARRAY['type', 'paid', 'value', 'created_at', 'transaction_id', 'document']) AS col;
SELECT has_column('centra', 'order_line_supplier_orders', col, col || ' exists')
FROM unnest(ARRAY['supplier_order_id', 'qty', 'eta']) AS col;
SELECT has_column('centra', 'refunds', col, 'refunds.' || col || ' exists')
FROM unnest(ARRAY['type', 'comment', 'shipping_subtotal', 'voucher_subtotal',
                  'return_fee_subtotal', 'handling_subtotal']) AS col;
-- The four line tables describe a <size> of a <product> with the same columns.
SELECT has_column('centra', tbl, col, format('%s.%s exists', tbl, col))
FROM unnest(ARRAY['order_lines', 'cancelled_lines', 'shipment_lines', 'refund_lines']) AS tbl,
     unnest(ARRAY['product_id', 'variation_id', 'size_id', 'sku', 'product_sku',
                  'variation_sku', 'size_sku', 'product_name', 'variation_name', 'size_name',
                  'orderitem_description', 'brand_id', 'brand_name', 'product_type', 'qty',
                  'product_qty', 'price', 'orig_price', 'discount', 'tax', 'subtotal',
                  'product_subtotal', 'preorder', 'comment', 'bundle_role',
                  'bundle_product_id']) AS col;
SELECT has_column('centra', 'shipments', col, 'shipments.' || col || ' exists')
FROM unnest(ARRAY['paid_total', 'currency', 'created_at', 'carrier_account', 'packages',
                  'capture']) AS col;

-- --- types ----------------------------------------------------------------------
SELECT col_type_is('centra', tbl, col, typ, format('%s.%s is %s', tbl, col, typ))
FROM (VALUES
    ('events', 'event_id', 'bigint'), ('events', 'payload', 'xml'),
    ('events', 'raw', 'bytea'),
    ('events', 'event_date', 'timestamp with time zone'),
    ('events', 'received_at', 'timestamp with time zone'),
    ('orders', 'order_id', 'text'), ('orders', 'order_total', 'numeric'),
    ('orders', 'currency_rate', 'numeric'), ('orders', 'store', 'integer'),
    ('orders', 'created_at', 'timestamp with time zone'), ('orders', 'locked', 'boolean'),
    ('orders', 'last_event_id', 'bigint'),
    ('order_lines', 'qty', 'integer'), ('order_lines', 'price', 'numeric'),
    ('order_lines', 'orig_price', 'numeric'), ('order_lines', 'tax', 'numeric'),
    ('order_lines', 'preorder', 'boolean'),
    ('shipments', 'paid', 'boolean'), ('shipments', 'shipped', 'boolean'),
    ('shipments', 'good_to_go', 'boolean'), ('shipments', 'shipment_total', 'numeric'),
    ('shipments', 'appendix', 'integer'),
    ('entities', 'payload', 'xml'), ('entities', 'deleted', 'boolean'),
    ('id_map', 'centra_id', 'bigint')
) AS t(tbl, col, typ);
SELECT col_type_is('centra_outbox', 'messages', 'payload', 'json', 'messages.payload is json');
SELECT col_type_is('centra_outbox', 'messages', 'notices', 'text[]', 'messages.notices is text[]');
SELECT col_type_is('centra_outbox', tbl, 'qty', 'numeric',
                   tbl || '.qty is numeric: a fraction reaches the trigger unrounded')
FROM unnest(ARRAY['stock_updates', 'item_cancellations']) AS tbl;

-- --- keys and indexes -----------------------------------------------------------------
SELECT col_is_pk('centra', 'events', 'event_id', 'events is keyed by event_id');
SELECT col_is_pk('centra', 'orders', 'order_id', 'orders is keyed by order_id');
SELECT col_is_pk('centra', 'order_lines', ARRAY['order_id', 'orderitem_id'],
                 'order_lines is keyed by (order_id, orderitem_id)');
SELECT col_is_pk('centra', 'shipments', ARRAY['order_id', 'shipment_id'],
                 'shipments is keyed by (order_id, shipment_id)');
SELECT col_is_pk('centra', 'refunds', ARRAY['order_id', 'refund_id'],
                 'refunds is keyed by (order_id, refund_id)');
SELECT col_is_pk('centra', 'entities', ARRAY['type', 'entry'], 'entities is keyed by (type, entry)');
SELECT col_is_pk('centra', 'id_map', ARRAY['kind', 'erp_id'], 'id_map is keyed by (kind, erp_id)');
SELECT col_is_pk('centra_outbox', 'messages', 'id', 'messages is keyed by id');
SELECT fk_ok('centra', 'order_lines', 'order_id', 'centra', 'orders', 'order_id');
SELECT fk_ok('centra', 'shipment_lines', ARRAY['order_id', 'shipment_id'],
             'centra', 'shipments', ARRAY['order_id', 'shipment_id']);
SELECT fk_ok('centra', 'refund_lines', ARRAY['order_id', 'refund_id'],
             'centra', 'refunds', ARRAY['order_id', 'refund_id']);
SELECT has_index('centra', 'orders', ix, ARRAY[col], 'orders has an index on ' || col)
FROM (VALUES ('orders_order_number_idx', 'order_number'), ('orders_status_idx', 'status'),
             ('orders_created_at_idx', 'created_at'), ('orders_customer_id_idx', 'customer_id'),
             ('orders_account_id_idx', 'account_id'), ('orders_market_id_idx', 'market_id'))
     AS i(ix, col);
SELECT has_index('centra_outbox', 'messages', 'messages_open_id_idx', ARRAY['id'],
                 'open messages are indexed by id');
SELECT hasnt_index('centra_outbox', 'messages', 'messages_ready_idx',
                   'no index on next attempt: nothing reads one, every message paid for it');
SELECT has_index('centra_outbox', 'messages', 'messages_status_idx', ARRAY['status'],
                 'messages are indexed by status');
SELECT has_index('centra', 'events', 'events_run_id_idx', ARRAY['run_id'],
                 'events are indexed by run (for purging runs)');
SELECT has_index('centra_outbox', 'messages', 'messages_superseded_by_idx',
                 ARRAY['superseded_by'], 'messages are indexed by superseded_by');

-- --- documentation -------------------------------------------------------------------
SELECT is_empty($$
    SELECT n.nspname || '.' || c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('centra', 'centra_outbox') AND c.relkind IN ('r', 'v', 'p', 'm')
      AND obj_description(c.oid, 'pg_class') IS NULL
$$, 'every table and view has a comment');
SELECT is_empty($$
    SELECT n.nspname || '.' || c.relname || '.' || a.attname
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE n.nspname IN ('centra', 'centra_outbox') AND c.relkind IN ('r', 'v', 'p', 'm')
      AND coalesce(col_description(c.oid, a.attnum), '') = ''
$$, 'every column of both schemas has a comment');
SELECT isnt(obj_description(oid, 'pg_namespace'), NULL, 'schema ' || nspname || ' has a comment')
FROM pg_namespace WHERE nspname IN ('centra', 'centra_outbox');
SELECT is_empty($$
    SELECT n.nspname || '.' || p.proname
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname IN ('centra', 'centra_outbox')
      AND coalesce(obj_description(p.oid, 'pg_proc'), '') = ''
$$, 'every function of both schemas has a comment');
SELECT is((SELECT array_agg(c.relname || '.' || t.tgname ORDER BY c.relname, t.tgname)::text[]
            FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname IN ('centra', 'centra_outbox') AND NOT t.tgisinternal),
          ARRAY['item_cancellations.item_cancellations_enqueue', 'messages.messages_check',
                'messages.messages_notify', 'messages.messages_order',
                'order_status_updates.order_status_updates_enqueue',
                'prices.prices_enqueue', 'products.products_enqueue', 'refunds.ids_trimmed',
                'refunds.refunds_enqueue', 'shipment_updates.ids_trimmed',
                'shipment_updates.shipment_updates_enqueue',
                'stock_updates.stock_updates_enqueue'],
          'both schemas have the twelve triggers of the outbox');
SELECT is_empty($$
    SELECT c.relname || '.' || t.tgname
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('centra', 'centra_outbox') AND NOT t.tgisinternal
      AND coalesce(obj_description(t.oid, 'pg_trigger'), '') = ''
$$, 'every trigger of both schemas has a comment');
SELECT is((SELECT array_agg(c.conname::text ORDER BY c.conname::text COLLATE "C")
            FROM pg_constraint c
            WHERE c.connamespace = 'centra_outbox'::regnamespace
              AND c.conname IN ('stock_updates_qty_whole', 'item_cancellations_qty_whole',
                                'shipment_updates_shipping_subtotal_finite',
                                'shipment_updates_capture_not_false', 'refunds_status_valid',
                                'prices_price_finite', 'prices_priceb_finite',
                                'prices_altered_price_finite', 'prices_altered_priceb_finite')
              AND coalesce(obj_description(c.oid, 'pg_constraint'), '') <> ''),
          ARRAY['item_cancellations_qty_whole', 'prices_altered_price_finite',
                'prices_altered_priceb_finite', 'prices_price_finite', 'prices_priceb_finite',
                'refunds_status_valid', 'shipment_updates_capture_not_false',
                'shipment_updates_shipping_subtotal_finite', 'stock_updates_qty_whole'],
          'the checks of migration 0010 exist and have comments');

-- --- behaviour ---------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT column_name::text, data_type::text FROM information_schema.columns
      WHERE table_schema = 'centra' AND table_name = 'pick_lines' ORDER BY ordinal_position$$,
    $$SELECT column_name::text, data_type::text FROM information_schema.columns
      WHERE table_schema = 'centra' AND table_name = 'order_lines' ORDER BY ordinal_position$$,
    'pick_lines has the columns of order_lines');

INSERT INTO centra.orders (order_id, last_event_id) VALUES ('T1', 1);
INSERT INTO centra.order_lines (order_id, orderitem_id, line_no, product_id, bundle_role,
                                bundle_product_id)
VALUES ('T1', '1', 1, 'P', 'none', NULL), ('T1', '2', 2, 'B', 'bundle', NULL),
       ('T1', '3', 3, 'P1', 'part', 'B'), ('T1', '4', 4, 'P2', 'part', 'B');
SELECT results_eq($$SELECT orderitem_id FROM centra.pick_lines WHERE order_id = 'T1'
                    ORDER BY orderitem_id$$,
                  ARRAY['1', '3', '4'], 'pick_lines lists every line except virtual bundles');
SELECT throws_ok($$INSERT INTO centra.order_lines (order_id, orderitem_id, line_no, bundle_role)
                   VALUES ('T1', '9', 9, 'kit')$$, '23514', NULL,
                 'bundle_role is none, bundle or part');
SELECT throws_ok($$INSERT INTO centra.order_lines (order_id, orderitem_id, line_no)
                   VALUES ('T1', '1', 5)$$, '23505', NULL,
                 'an orderitem appears once per order');
DELETE FROM centra.orders WHERE order_id = 'T1';
SELECT is((SELECT count(*) FROM centra.order_lines WHERE order_id = 'T1'), 0::bigint,
          'deleting an order deletes its lines');
SELECT throws_ok($$INSERT INTO centra.events (event_id, status) VALUES (1, 'done')$$, '23514',
                 NULL, 'events.status is applied, stale, unhandled or quarantined');

SELECT lives_ok($$INSERT INTO centra_outbox.messages (operation, entity_key, payload)
                  VALUES ('products_Update', 'product:1', '{"id": "1"}')$$,
                'any *_Update operation can be enqueued with a JSON payload');
SELECT is((SELECT status || '/' || attempts FROM centra_outbox.messages
           WHERE entity_key = 'product:1'), 'pending/0', 'a new message is pending');
SELECT throws_ok($$INSERT INTO centra_outbox.messages (operation, entity_key, payload)
                   VALUES ('products_Delete', 'product:1', '{}')$$, '23514',
                 'new row for relation "messages" violates check constraint "messages_operation_is_an_update_operation"',
                 'unknown operations are refused');
SELECT throws_ok($$INSERT INTO centra_outbox.messages (operation, entity_key, payload)
                   VALUES ('orders_Update', '', '{}')$$, '23514', NULL,
                 'an empty entity_key is refused');
SELECT throws_ok($$INSERT INTO centra_outbox.messages (id, operation, entity_key, payload)
                   VALUES (1, 'orders_Update', 'order:1', '{}')$$, '428C9', NULL,
                 'message ids are generated, never chosen');

-- --- roles --------------------------------------------------------------------------------
SELECT has_role(r) FROM unnest(ARRAY['centra_bridge', 'centra_erp', 'centra_reader']) AS r;
SELECT table_privs_are('centra', c.relname, 'centra_reader', ARRAY['SELECT'],
                       'centra_reader may only read centra.' || c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'centra' AND c.relkind IN ('r', 'v');
SELECT table_privs_are('centra', c.relname, 'centra_erp', ARRAY['SELECT'],
                       'centra_erp may only read centra.' || c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'centra' AND c.relkind IN ('r', 'v');
SELECT table_privs_are('centra_outbox', 'messages', 'centra_erp', ARRAY['SELECT'],
                       'centra_erp may read messages, not change them');
SELECT column_privs_are('centra_outbox', 'messages', col, 'centra_erp', ARRAY['INSERT', 'SELECT'],
                        'centra_erp may enqueue messages.' || col)
FROM unnest(ARRAY['operation', 'entity_key', 'payload']) AS col;
SELECT column_privs_are('centra_outbox', 'messages', col, 'centra_erp', ARRAY['SELECT'],
                        'centra_erp may not set messages.' || col)
FROM unnest(ARRAY['status', 'attempts', 'next_attempt_at', 'sent_at', 'locked_by',
                  'locked_until', 'errors', 'notices']) AS col;
SELECT table_privs_are('centra', c.relname, 'centra_bridge',
                       ARRAY['DELETE', 'INSERT', 'SELECT', 'UPDATE'],
                       'centra_bridge may write centra.' || c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'centra' AND c.relkind = 'r' AND c.relname <> 'schema_migrations';
SELECT table_privs_are('centra', 'schema_migrations', 'centra_bridge', ARRAY['SELECT'],
                       'centra_bridge may read the migration history, not rewrite it');

SET LOCAL ROLE centra_erp;
SELECT lives_ok($$INSERT INTO centra_outbox.messages (operation, entity_key, payload)
                  VALUES ('orders_Update', 'order:30', '{"id": "30", "locked": "yes"}')$$,
                'as centra_erp, enqueueing a message works');
SELECT throws_ok($$UPDATE centra_outbox.messages SET status = 'sent'$$, '42501', NULL,
                 'as centra_erp, changing a queued message is denied');
SELECT throws_ok($$INSERT INTO centra_outbox.messages (operation, entity_key, payload, status)
                   VALUES ('orders_Update', 'order:31', '{}', 'sent')$$, '42501', NULL,
                 'as centra_erp, enqueueing a message as already sent is denied');
SELECT throws_ok($$INSERT INTO centra.orders (order_id, last_event_id) VALUES ('X', 1)$$,
                 '42501', NULL, 'as centra_erp, writing staging tables is denied');
RESET ROLE;
SET LOCAL ROLE centra_reader;
SELECT lives_ok($$SELECT count(*) FROM centra.orders, centra_outbox.messages$$,
                'as centra_reader, reading both schemas works');
SELECT throws_ok($$DELETE FROM centra.events$$, '42501', NULL,
                 'as centra_reader, deleting is denied');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
