-- A rollout judges a wave member by the effective revision the staged version gave it as the wave
-- began; a member whose revision is older than that was not changed by it (the same document and
-- hash as before) and is not judged by its old reports. wave_started_at moves on a resume (a
-- wave's deadline and bake count from it), so when the wave began is kept apart, with the wave it
-- is for: a row a previous release wrote, or a wave an instance of that release started, has
-- another number there and is read by its wave_started_at, as before.
-- Expand only: a server of the previous release ignores the columns.
ALTER TABLE rollouts
    ADD COLUMN wave_began    integer NOT NULL DEFAULT 0,
    ADD COLUMN wave_began_at timestamptz;
