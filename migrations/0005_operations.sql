-- migrations/0005_operations.sql
--     What operating the bridge needs: when each run last did its work
--     successfully, so "status", the daemon's metrics and monitoring can tell
--     a healthy long-running importer or exporter from a stuck one.

ALTER TABLE centra.runs ADD COLUMN last_ok_at timestamptz;

COMMENT ON COLUMN centra.runs.last_ok_at IS
    'When the run last completed a step successfully: a batch stored and acknowledged, a poll '
    'that found Centra''s queue empty, an exporter round. For a daemon (run, import --follow, '
    'export --follow) it moves on as long as the loop is healthy; NULL when nothing succeeded.';

CREATE INDEX runs_last_ok_idx ON centra.runs (command, last_ok_at);
COMMENT ON INDEX centra.runs_last_ok_idx IS
    'The latest successful step per command: what "centra-bridge status" reports.';
