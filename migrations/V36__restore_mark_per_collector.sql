-- The restore mark moves to the collector (V35 put it on the apply-status row, so a collector with
-- no status row came back "in sync" without any contact). The first start after a restore stamps
-- every collector not decommissioned; only what says what its agent runs clears it (an apply report,
-- or a configuration pull answered 304 for the current revision), not a metrics push. Expand-only:
-- a nullable column the previous release ignores; collector_status.restored_at is still written
-- alongside for it, and goes in a later contract step.
ALTER TABLE collectors ADD COLUMN restored_at timestamptz;
