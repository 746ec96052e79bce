-- After a restore of the embedded database, each collector's stored apply status is what the
-- backup held, not necessarily what its agent runs now (it may have applied later versions since
-- the backup). The first start after a restore stamps every status row with the time (restored_at);
-- the collector's next apply report clears it. Until the collector is seen again after that time,
-- the fleet view says its status is from the backup and does not claim it in sync. Expand-only: a
-- nullable column, ignored by the previous release (whose reports leave it as it is).
ALTER TABLE collector_status ADD COLUMN restored_at timestamptz;
