-- Contract step of V35/V36: the restore mark lives on collectors (V36). The apply-status rows'
-- restored_at (V35) is read by no release: v0.2.0, the previous one, predates it, and this release
-- neither reads nor writes it. Dropping a column rewrites no row (PostgreSQL only marks it dropped).
ALTER TABLE collector_status DROP COLUMN IF EXISTS restored_at;
