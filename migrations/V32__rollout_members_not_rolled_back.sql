-- A rollback gives every member that received the staged version its previous effective document
-- back, except a member whose layers no longer compose with the version published again (its own
-- layer, published over the staged version during the rollout, conflicts with it): that member
-- keeps the effective revision it runs. The rollout now records which members those are, and why.
-- Expand only: a server of the previous release ignores the columns.
ALTER TABLE rollouts
    ADD COLUMN not_rolled_back       jsonb   NOT NULL DEFAULT '[]', -- the first 50: collector_id, error
    ADD COLUMN not_rolled_back_total integer NOT NULL DEFAULT 0 CHECK (not_rolled_back_total >= 0);
