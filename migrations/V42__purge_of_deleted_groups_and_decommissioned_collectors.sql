-- Deleted groups and decommissioned collectors no longer stay for ever: the retention purge removes
-- them once they have been gone as long as the audit trail is kept (retention_audit_days). A deleted
-- group goes whole (its row, its layer, every version of it), so its id may be created again. A
-- decommissioned collector's versions, effective document, apply status and samples go, and its row
-- stays as a tombstone, without labels and host name, so that its id is still never bound again;
-- purged_at says it was reduced, so the purge does not visit it again.
--
-- Expand only: a nullable column and two partial indexes, which the previous release ignores. An
-- instance of that release reads a purged collector's history as what is left (none: an empty list,
-- a missing version 404) and a purged group as one that never existed (404), as this release does.
-- Adding the column takes the collectors table's exclusive lock for a moment: behind another
-- instance's long transaction the migration gives up after a few seconds (the start fails and is
-- tried again) rather than queue every request behind it.
SET LOCAL lock_timeout = '5s';
ALTER TABLE collectors ADD COLUMN purged_at timestamptz;
ALTER TABLE collectors ADD CONSTRAINT collectors_purged_once_decommissioned
    CHECK (purged_at IS NULL OR decommissioned_at IS NOT NULL);
-- The purge finds what is due through these without reading the live rows.
CREATE INDEX collectors_decommissioned_not_purged ON collectors (decommissioned_at, id)
    WHERE decommissioned_at IS NOT NULL AND purged_at IS NULL;
CREATE INDEX config_groups_deleted ON config_groups (deleted_at, id) WHERE deleted_at IS NOT NULL;
