-- migrations/0008_claim_cost.sql
--     messages_ready_idx goes: no statement of centra-bridge reads it since
--     the claim walks messages_open_id_idx in id order (0004), and the wait
--     of an idle "export --follow" takes the earliest of next_attempt_at and
--     locked_until, which one index on next_attempt_at cannot give.  Every
--     message paid an entry in it when enqueued and another when claimed:
--     about a tenth of what a stock update costs PostgreSQL on its way out.
--     A query over open messages by next attempt (as "status" makes) reads
--     only the open ones through messages_open_id_idx.

DROP INDEX centra_outbox.messages_ready_idx;
