-- What each agent's host allows a configuration to use (password directories and variables,
-- database hosts), as the agent last reported it; NULL for agents that do not report it.
ALTER TABLE collector_status ADD COLUMN allow_lists jsonb;
