-- A session (a refresh-token family) may refresh only so often (refreshes_per_session a minute):
-- every refresh stores a row that is kept for days to detect reuse, and a client refreshing back
-- to back added rows without end. The refresh counts its family's rows issued within the last
-- minute, under the family's lock, so the limit holds for the session whichever instances its
-- refreshes reach. This index finds those rows without reading the family's older ones; it also
-- serves every lookup by family alone, which the index it replaces served.
-- Building the index holds refresh_tokens against writes, and dropping the old one takes its
-- exclusive lock: behind another instance's long transaction the migration gives up after a few
-- seconds (the start fails and is tried again) rather than queue every login and refresh behind it.
SET LOCAL lock_timeout = '5s';
CREATE INDEX refresh_tokens_family_issued ON refresh_tokens (family_id, issued_at);
DROP INDEX refresh_tokens_family;

-- A successor superseded by a retry of the token before it is kept, like a spent token, for the
-- token retention after it was superseded (it was kept until its expiry before, 30 days, plus
-- that retention): the purge finds such rows through this index.
CREATE INDEX refresh_tokens_by_supersession ON refresh_tokens (superseded_at) WHERE superseded_at IS NOT NULL;
