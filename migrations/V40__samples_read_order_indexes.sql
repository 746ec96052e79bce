-- Reads of one collector's samples page by a position (time, name, batch id, labels digest), so
-- that a page ending among many samples of one time is read on from where it ended. Each index
-- now carries the batch id after the time: PostgreSQL walks it from the position and sorts only
-- the samples of one batch with one name at one time (at most 1,000) by their labels, never every
-- sample of that time, of which one collector can make as many as it likes.
--
-- The indexes of V26 are prefixes of these: every read of this release and of the previous one
-- is served by the new ones as well, so they go in the same step (four indexes on the table that
-- takes every push would make each insert pay for two it does not need). Day partitions created
-- later get the new indexes when they are attached, as they got the old ones.
--
-- Building takes a SHARE lock on the samples table: pushes wait until both indexes are built
-- (about half a minute per ten million samples for each, docs/operations.md). Behind a long
-- transaction holding the table it gives up after a few seconds (the start fails and is tried
-- again) rather than queue every push behind it.
SET LOCAL lock_timeout = '5s';
CREATE INDEX samples_by_collector_time_name_batch ON samples (collector_id, ts, name, batch_id);
CREATE INDEX samples_by_collector_name_time_batch ON samples (collector_id, name, ts, batch_id);
DROP INDEX samples_by_collector_time;
DROP INDEX samples_by_collector;
