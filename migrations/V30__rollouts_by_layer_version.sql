-- The retention purge of layer versions (V29) looks up, for each candidate version, whether a
-- rollout names it, and PostgreSQL checks the foreign key rollouts (layer, staged_version) for each
-- deleted version: without an index both scan every rollout. Expand only.
CREATE INDEX IF NOT EXISTS rollouts_by_layer_version ON rollouts (layer, staged_version);
