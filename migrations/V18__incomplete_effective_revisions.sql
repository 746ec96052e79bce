-- Effective revisions without their configuration's hash (seeded by V10 from the collectors' own
-- documents). Every server completes them when it starts; this partial index finds them without
-- reading the whole table, and stays empty once they are complete. Expand only: servers of the
-- previous release neither read nor need it.
CREATE INDEX effective_configs_incomplete ON effective_configs (collector_id) WHERE effective_sha256 IS NULL;
