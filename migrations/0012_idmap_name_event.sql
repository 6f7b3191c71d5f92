-- migrations/0012_idmap_name_event.sql
--     centra.id_map.name_event_id: the event whose name an id_map row holds.
--     A name seen in an older event (a stale order event, a saved answer
--     loaded later) no longer replaces the name of a newer one: before,
--     whatever batch came last won.  Rows named before this migration have
--     none, so the next event that names them gives their name again.

ALTER TABLE centra.id_map ADD COLUMN name_event_id bigint;

COMMENT ON COLUMN centra.id_map.name IS
    'Name or description seen with the id in the newest event that named it (name_event_id), '
    'or given by idmap import; NULL when none was ever seen.';
COMMENT ON COLUMN centra.id_map.name_event_id IS
    'The event (centra.events.event_id) that gave name: the newest of its import batch that '
    'named the id (a later event that gives the same name leaves it).  A name in an older event '
    'does not replace name.  NULL when the name came from idmap import or before migration '
    '0012; the next event that names the id then replaces it.';
