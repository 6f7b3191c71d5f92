-- migrations/0002_import.sql
--     What the importer needs beyond the initial schema: numbers for
--     quarantined events whose id could not be read, and the meaning of
--     centra.events.error for events that were applied.

CREATE SEQUENCE centra.unidentified_event_seq;

COMMENT ON SEQUENCE centra.unidentified_event_seq IS
    'Numbers a quarantined event whose <id> could not be read: it is stored with event_id = '
    '-nextval(...). Such an event cannot be acknowledged; it stays first in Centra''s queue.';

COMMENT ON COLUMN centra.events.event_id IS
    'Centra''s event id (<event><id>), passed to events_Done. Negative for a quarantined event '
    'whose id could not be read (it was not acknowledged).';

COMMENT ON COLUMN centra.events.error IS
    'quarantined: why, with the parser''s line and column where known. Other events: values '
    'that did not fit their column and were stored as NULL (the original is in payload), and '
    'invalid XML characters replaced by U+FFFD; NULL when there was nothing to say.';
