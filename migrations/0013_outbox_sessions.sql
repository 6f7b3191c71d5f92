-- migrations/0013_outbox_sessions.sql
--     The outbox works whatever the ERP's session says.
--     - standard_conforming_strings = off (an old application's setting) made
--       every insert into a typed outbox table fail with a syntax error: the
--       functions that check payloads and build entity_keys have string
--       literals with backslashes.  They now read them as standard strings
--       (check_string, check_payload) or write them as E'' strings (key_part,
--       which stays inlinable).
--     - session_replication_role = replica (set for a role, or by a tool)
--       skips ordinary triggers: a typed row was stored without enqueueing
--       anything, silently.  Such a row is now refused: every typed row must
--       have the message its trigger enqueues.  NOT VALID: rows stored before
--       are not checked, but a data-only copy of such a row (pg_restore
--       --data-only, a logical-replication initial copy) is refused.  Rows
--       that logical replication applies carry the publisher's message_id,
--       and pass.

ALTER FUNCTION centra_outbox.check_string(json, text) SET standard_conforming_strings = on;
ALTER FUNCTION centra_outbox.check_payload(text, json) SET standard_conforming_strings = on;

CREATE OR REPLACE FUNCTION centra_outbox.key_part(id text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT
AS $$
    SELECT replace(replace(id, E'\\', E'\\\\'), '/', E'\\/')
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['stock_updates', 'order_status_updates', 'shipment_updates',
                             'item_cancellations', 'refunds', 'products', 'prices'] LOOP
        EXECUTE format('ALTER TABLE centra_outbox.%I ADD CONSTRAINT %I '
                       'CHECK (message_id IS NOT NULL) NOT VALID', t, t || '_enqueued');
        EXECUTE format('COMMENT ON CONSTRAINT %I ON centra_outbox.%I IS %L', t || '_enqueued', t,
                       'Every row enqueues a message: its trigger sets message_id. A row '
                       'without one was inserted while the trigger did not fire, under '
                       'session_replication_role = replica (set for the role or the session, '
                       'or by a tool): insert with session_replication_role = origin.');
    END LOOP;
END
$$;
