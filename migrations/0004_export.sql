-- migrations/0004_export.sql
--     What the exporter needs beyond the outbox tables: an index that hands
--     out the open messages in id order, so a claim reads the oldest open
--     messages directly however many sent ones the table holds.

CREATE INDEX messages_open_id_idx ON centra_outbox.messages (id)
    WHERE status IN ('pending', 'sending');

COMMENT ON INDEX centra_outbox.messages_open_id_idx IS
    'Open messages (pending, sending) in id order: what "centra-bridge export" claims from.';
