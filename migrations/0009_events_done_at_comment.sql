-- migrations/0009_events_done_at_comment.sql
--     A quarantined event replaced by a fixed copy (centra-bridge load, or
--     Centra sending it again) keeps the quarantined row's done_at: Centra's
--     acknowledgement of the event does not depend on where the good copy
--     came from.  The comment of 0001 said loaded events never have one.

COMMENT ON COLUMN centra.events.done_at IS
    'When Centra confirmed events_Done for it; NULL until then.  Events loaded from files '
    'have none, except a fixed copy of a quarantined event Centra had acknowledged, which '
    'keeps that time.';
