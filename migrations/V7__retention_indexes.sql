-- Retention purges old rows in small batches; each batch finds its rows through these indexes
-- instead of scanning the whole table.

CREATE INDEX samples_by_time ON samples (ts);
CREATE INDEX sample_batches_by_received ON sample_batches (received_at);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_by_use ON refresh_tokens (used_at) WHERE used_at IS NOT NULL;
CREATE INDEX enrolment_tokens_by_expiry ON enrolment_tokens (expires_at);
CREATE INDEX enrolment_tokens_by_use ON enrolment_tokens (used_at) WHERE used_at IS NOT NULL;
