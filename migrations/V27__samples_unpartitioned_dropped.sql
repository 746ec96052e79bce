-- Contract: the table samples had before V26 goes, once the partitioned table is known to hold
-- every row it had. V26 copied them in one statement of its own transaction, so the copy is whole
-- or V26 failed; this check keeps the old rows should anything have deleted from the new table in
-- between (new rows may have arrived since, hence "at least"). Were it short, the migration fails
-- here and nothing is dropped.

DO $$
DECLARE
    old_rows bigint;
    new_rows bigint;
BEGIN
    SELECT count(*) INTO old_rows FROM samples_unpartitioned;
    SELECT count(*) INTO new_rows FROM samples;
    IF new_rows < old_rows THEN
        RAISE EXCEPTION 'the partitioned samples table holds % rows, fewer than the % of samples_unpartitioned;'
            ' samples_unpartitioned is kept', new_rows, old_rows;
    END IF;
END
$$;

DROP TABLE samples_unpartitioned;
