-- migrations/0006_unacknowledged.sql
--     Events stored from Centra's queue but not (known to be) acknowledged:
--     a run that died between COMMIT and events_Done, or between events_Done
--     and writing done_at.  The next import finds them through this index and
--     acknowledges them first, so done_at is always written in the end.

CREATE INDEX events_unacknowledged_idx ON centra.events (event_id)
    WHERE done_at IS NULL AND source = 'centra';
COMMENT ON INDEX centra.events_unacknowledged_idx IS
    'Events from the live queue whose done_at is not written yet: each import run starts by '
    'acknowledging them (again) to Centra and writing done_at. Few rows, normally none.';
