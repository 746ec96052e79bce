-- Contract step of V35/V36: the restore mark lives on collectors (V36). The apply-status rows'
-- restored_at (V35) is read by no release: v0.2.0, the previous one, predates it, and this release
-- neither reads nor writes it. Dropping a column rewrites no row (PostgreSQL only marks it dropped),
-- but it takes the table's exclusive lock: behind a long transaction of another instance it gives up
-- after a few seconds (the start fails and is tried again) rather than queue every apply report
-- behind it.
SET LOCAL lock_timeout = '5s';
ALTER TABLE collector_status DROP COLUMN IF EXISTS restored_at;
