-- The agent's own version, from its apply reports, shown in the fleet view as agent_version.
-- Empty for agents that do not send it (older than the field) and for rows reported before.
ALTER TABLE collector_status ADD COLUMN agent_version text NOT NULL DEFAULT '';
