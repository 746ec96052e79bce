-- What each agent last reported about its host (agent schema version, OS, the monitored PostgreSQL's
-- version, preloaded libraries, databases and extensions), as JSON bounded by the domain's HostFacts;
-- NULL for agents that never reported facts (older than the field). A report without facts keeps them.
ALTER TABLE collector_status ADD COLUMN facts jsonb;
-- What the collector's current effective document needs and its host lacks, recorded when a change
-- was published with force (an array of {capability, key, message}); empty when nothing is known lacking.
ALTER TABLE collector_status ADD COLUMN capability_gaps jsonb NOT NULL DEFAULT '[]'::jsonb;
