-- A batch id is chosen by its agent, so it is unique only within that collector: two collectors
-- may push the same id and both keep their samples. Existing rows keep their ids unchanged.
--
-- Samples no longer reference their batch: batch ids exist only to acknowledge a retried push
-- without storing it twice, and they are purged long before the samples (see retention).

ALTER TABLE samples DROP CONSTRAINT samples_batch_id_fkey;
ALTER TABLE sample_batches DROP CONSTRAINT sample_batches_pkey;
ALTER TABLE sample_batches ADD PRIMARY KEY (collector_id, batch_id);
