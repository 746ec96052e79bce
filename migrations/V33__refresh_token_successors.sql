-- A refresh token presented again within the reuse grace is taken for a lost answer and gets a
-- fresh pair; that must not fork its family into two live sessions (the owner's and a thief's).
-- So every token issued by a refresh names the token it succeeds (parent_hash), and a successor
-- replaced by such a retry is marked superseded (and revoked): presenting it later, or finding a
-- successor already used when its parent is presented again, means two holders, and the family is
-- revoked. Expand-only: both columns are nullable, rows of earlier releases (and rows an instance
-- of the previous release writes during a rolling upgrade) simply have no parent, and a revoked
-- row is refused by either release.
ALTER TABLE refresh_tokens ADD COLUMN parent_hash char(64);
ALTER TABLE refresh_tokens ADD COLUMN superseded_at timestamptz;

CREATE INDEX refresh_tokens_by_parent ON refresh_tokens (parent_hash) WHERE parent_hash IS NOT NULL;
