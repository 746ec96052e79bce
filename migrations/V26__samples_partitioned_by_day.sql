-- Samples partitioned by day on the time they were measured (ts), so that retention drops whole
-- days instead of deleting rows one by one, and a read for a time window touches only its days.
--
-- Expand: the new partitioned table takes the name "samples" and receives a copy of every row;
-- the old table stays, renamed, until V27 has checked that the copy is complete. Instances still
-- running the previous release write to the new table through the unchanged name.

ALTER TABLE samples RENAME TO samples_unpartitioned;
ALTER INDEX samples_by_collector RENAME TO samples_unpartitioned_by_collector;
ALTER INDEX samples_by_time RENAME TO samples_unpartitioned_by_time;

CREATE TABLE samples (
    collector_id text             NOT NULL,
    batch_id     text             NOT NULL,
    name         text             NOT NULL,
    labels       jsonb            NOT NULL,
    value        double precision NOT NULL,
    ts           timestamptz      NOT NULL
) PARTITION BY RANGE (ts);

-- The read path: one collector's metric from a time on (name, then time), and all of one
-- collector's metrics from a time on (time order across the days, so a LIMIT stops early instead
-- of sorting everything the collector sent since then). Every day's partition gets both.
CREATE INDEX samples_by_collector ON samples (collector_id, name, ts);
CREATE INDEX samples_by_collector_time ON samples (collector_id, ts);

-- A sample whose day has no partition (an agent clock far off, a day not created yet) lands here
-- instead of failing its push; the day's partition takes such rows over when it is created, and
-- retention deletes those that are too old row by row.
CREATE TABLE samples_default PARTITION OF samples DEFAULT;
-- Retention deletes old rows of the catch-all in batches by time; whole days need no such index.
CREATE INDEX samples_default_by_time ON samples_default (ts);

-- One day's partition, [day 00:00 UTC, next day 00:00 UTC), named samples_YYYYMMDD. Safe to call
-- from several instances at once (an advisory lock serialises them; an existing day is left
-- alone). Rows of that day waiting in the catch-all move into it in the same transaction.
CREATE FUNCTION pgfleet_create_sample_partition(day date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    part text := 'samples_' || to_char(day, 'YYYYMMDD');
    lo   timestamptz := day::timestamp AT TIME ZONE 'UTC';
    hi   timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF day < date '2000-01-01' OR day > date '2999-12-30' THEN
        RAISE EXCEPTION 'no sample partition for %: outside 2000..2999', day;
    END IF;
    -- Attaching briefly locks the catch-all against inserts: give up after a few seconds rather
    -- than queue every push behind a long query; the next run tries again.
    PERFORM set_config('lock_timeout', '5s', true);
    PERFORM pg_advisory_xact_lock(hashtext('pgfleet_sample_partitions'));
    IF to_regclass(part) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE samples)', part);
    EXECUTE format('WITH moved AS (DELETE FROM samples_default WHERE ts >= %L AND ts < %L RETURNING *)'
                   ' INSERT INTO %I SELECT * FROM moved', lo, hi, part);
    -- The constraint proves the range, so attaching does not scan the new partition.
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (ts >= %L AND ts < %L)', part, part || '_range', lo, hi);
    EXECUTE format('ALTER TABLE samples ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_range');
    RETURN true;
END
$$;

-- The days that hold data (within a year back; older rows stay in the catch-all, where retention
-- deletes them) and the coming week.
SELECT pgfleet_create_sample_partition(d::date)
FROM (SELECT DISTINCT (ts AT TIME ZONE 'UTC')::date AS d FROM samples_unpartitioned
      WHERE ts >= now() - interval '400 days' AND ts < now() + interval '8 days'
      UNION
      SELECT (now() AT TIME ZONE 'UTC')::date + g FROM generate_series(-1, 7) AS g) days
ORDER BY d;

INSERT INTO samples (collector_id, batch_id, name, labels, value, ts)
SELECT collector_id, batch_id, name, labels, value, ts FROM samples_unpartitioned;
