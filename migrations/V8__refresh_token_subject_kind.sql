-- Users and collectors are two namespaces: a collector may be called 'admin' like a user. Revoking
-- the refresh tokens of one must never touch the other's, so every token says which kind its
-- subject is. Derived from the role the token was issued for, so existing rows keep their meaning
-- and no writer has to change.
ALTER TABLE refresh_tokens
    ADD COLUMN subject_kind text NOT NULL
        GENERATED ALWAYS AS (CASE WHEN role = 'collector' THEN 'collector' ELSE 'user' END) STORED;

DROP INDEX refresh_tokens_subject;
CREATE INDEX refresh_tokens_subject ON refresh_tokens (subject_kind, subject);
