-- migrations/0018_order_lines_qty.sql
--     What order_lines.qty holds, said where a DBA reads it (found in a
--     black-box review: docs/schema.md's "What is left to ship" took the
--     cancelled items off qty, which no longer counts them, and gave -1 for
--     a line with nothing left).  Comments only.

COMMENT ON COLUMN centra.order_lines.qty IS
    'Quantity on this line as Centra has it now (<size><qty>): cancelling items of the line '
    'lowers it (the cancelled items are in centra.cancelled_lines); shipped items still count. '
    'What is left to ship is qty minus what shipped shipments hold of the line.';
COMMENT ON COLUMN centra.cancelled_lines.qty IS
    'Quantity cancelled (<size><qty>), no longer counted in the line''s centra.order_lines.qty.';
