-- sql/90_roles.sql
--     The three roles of DESIGN.md rule 8 and their privileges.  Re-applied by
--     every "centra-bridge migrate", so tables added by later migrations get
--     the same grants.
--
--     centra_bridge  the program: reads and writes both schemas, except the
--                    migration history, which only migrate writes
--     centra_erp     the ERP: reads staging, enqueues messages (operation,
--                    entity_key, payload only), inserts into the typed outbox
--                    tables (their input columns only: not id, created_at,
--                    message_id) and calls the enqueue_* functions (SECURITY
--                    DEFINER); never updates or deletes staging rows or queued
--                    messages
--     centra_reader  DBAs and reports: read-only
--
-- The roles are NOLOGIN groups: grant them to login roles, e.g.
--     CREATE ROLE bridge LOGIN PASSWORD '...' IN ROLE centra_bridge;
-- They are created only when the migrating user may create roles; otherwise
-- this step is skipped with a notice, and the grants are made for the roles
-- that exist.  Roles are cluster-wide: see "Roles" in docs/schema.md when
-- several databases of one cluster hold centra-bridge schemas.

DO $roles$
DECLARE
    may_create boolean;
    missing text[];
    r text;
BEGIN
    SELECT rolsuper OR rolcreaterole INTO may_create FROM pg_roles WHERE rolname = current_user;
    SELECT array_agg(name ORDER BY name) INTO missing
    FROM unnest(ARRAY['centra_bridge', 'centra_erp', 'centra_reader']) AS name
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name);
    IF missing IS NULL THEN
        RETURN;
    END IF;
    IF NOT may_create THEN
        RAISE NOTICE 'skipping creation of roles %: user "%" may not create roles',
            array_to_string(missing, ', '), current_user
            USING HINT = 'Run "centra-bridge migrate" once as a user with CREATEROLE, or have '
                         'a superuser create them (CREATE ROLE name NOLOGIN); the next migrate '
                         'grants their privileges.';
        RETURN;
    END IF;
    FOREACH r IN ARRAY missing LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            -- Only a role this run created gets its comment: commenting on a role
            -- someone else created may need ADMIN OPTION on it (PostgreSQL 16+).
            EXECUTE format('COMMENT ON ROLE %I IS %L', r, CASE r
                WHEN 'centra_bridge' THEN
                    'centra-bridge itself: reads and writes the centra and centra_outbox schemas.'
                WHEN 'centra_erp' THEN
                    'The ERP: reads the centra schema, enqueues outbox messages; cannot change '
                    'staging rows or queued messages.'
                ELSE 'Read-only access to both centra-bridge schemas.' END);
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL; -- created meanwhile by a migrate of another database in this cluster
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'role "%" created, but it could not be given a comment', r;
        END;
    END LOOP;
END
$roles$;

DO $grants$
DECLARE
    f regprocedure;
BEGIN
    -- Only centra_erp enqueues.  The migration that made these functions took EXECUTE
    -- from PUBLIC once; a restore without privileges (pg_restore --no-privileges, or into
    -- a cluster where the roles did not exist yet) gives it back, so every migrate takes
    -- it again: the SECURITY DEFINER functions, and put, which they call.  Trigger
    -- functions too: any role with USAGE on the schema could otherwise run one as its
    -- owner from a trigger on a temporary table of its own (a reader enqueueing).  A
    -- trigger's function is checked when the trigger is created, not when it fires.
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_proc p
        WHERE p.pronamespace IN ('centra'::regnamespace, 'centra_outbox'::regnamespace)
          AND (p.prosecdef
               OR p.oid = 'centra_outbox.put(text, text, json, text, bigint)'::regprocedure)
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'centra_bridge') THEN
        GRANT USAGE ON SCHEMA centra, centra_outbox TO centra_bridge;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA centra, centra_outbox
            TO centra_bridge;
        -- The migration history is written by migrate alone (as the schemas' owner).
        REVOKE INSERT, UPDATE, DELETE ON centra.schema_migrations FROM centra_bridge;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA centra, centra_outbox TO centra_bridge;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'centra_erp') THEN
        GRANT USAGE ON SCHEMA centra, centra_outbox TO centra_erp;
        GRANT SELECT ON ALL TABLES IN SCHEMA centra, centra_outbox TO centra_erp;
        -- Only what to send: status, attempts, leases and answers are the exporter's.
        GRANT INSERT (operation, entity_key, payload) ON centra_outbox.messages TO centra_erp;
        -- The typed tables (0003_outbox.sql): insert only, their triggers enqueue; and only
        -- the input columns.  id (an identity: a forged one, OVERRIDING SYSTEM VALUE, makes a
        -- later insert fail on it), created_at and message_id are the tables' own.  The
        -- REVOKE first takes back INSERT on the whole table that migrate granted before.
        REVOKE INSERT ON centra_outbox.stock_updates, centra_outbox.order_status_updates,
            centra_outbox.shipment_updates, centra_outbox.item_cancellations,
            centra_outbox.refunds, centra_outbox.products, centra_outbox.prices FROM centra_erp;
        GRANT INSERT (product_id, variation_id, size_id, warehouse_id, qty)
            ON centra_outbox.stock_updates TO centra_erp;
        GRANT INSERT (order_id, status, locked) ON centra_outbox.order_status_updates
            TO centra_erp;
        GRANT INSERT (order_id, shipment_id, action, appendix, good_to_go, lines,
                      shipping_subtotal, carrier, service, tracking, capture, order_status)
            ON centra_outbox.shipment_updates TO centra_erp;
        GRANT INSERT (order_id, orderitem_id, qty) ON centra_outbox.item_cancellations
            TO centra_erp;
        GRANT INSERT (order_id, refund_id, shipment_id, appendix, status, lines)
            ON centra_outbox.refunds TO centra_erp;
        GRANT INSERT (product_id, status, sku, description, folder, brand_id, brand_name,
                      collection_id, collection_name, variations)
            ON centra_outbox.products TO centra_erp;
        GRANT INSERT (pricelist_id, product_id, variation_id, price, priceb, altered_price,
                      altered_priceb)
            ON centra_outbox.prices TO centra_erp;
        GRANT EXECUTE ON FUNCTION
            centra_outbox.enqueue_market(text, integer, text, text),
            centra_outbox.enqueue_size(text, text, text, text, text, text),
            centra_outbox.enqueue_warehouse(text, text),
            centra_outbox.enqueue_pricelist(text, integer, text, text, text),
            centra_outbox.enqueue_price_alteration_date(text, text, integer, date, text),
            centra_outbox.enqueue_payment_terms(text, text, text, integer),
            centra_outbox.enqueue_shipping_terms(text, text, text),
            centra_outbox.enqueue_account(text, text, text, text, text, text, text, jsonb,
                                          jsonb, jsonb, jsonb),
            centra_outbox.enqueue_customer(text, integer, jsonb)
            TO centra_erp;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'centra_reader') THEN
        GRANT USAGE ON SCHEMA centra, centra_outbox TO centra_reader;
        GRANT SELECT ON ALL TABLES IN SCHEMA centra, centra_outbox TO centra_reader;
    END IF;
END
$grants$;
