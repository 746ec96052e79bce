-- Idempotent registration: an agent sends an Idempotency-Key with its registration, and a retry
-- whose first answer was lost (the server committed, the network cut) finds its collector here
-- instead of creating a second one. Only hashes are kept: key_hash is SHA-256 of the credential's
-- kind and hash with the key, so a key means nothing without the credential it was used with.
-- request_hash fingerprints the request (name, hostname, labels, expected collector): the same key
-- with another request is refused. family_id names the refresh-token family the last answer
-- carried, revoked when a retry receives a fresh pair. Rows live 24 hours (the retention purge
-- deletes older ones; a registration ignores and overwrites them before that).
CREATE TABLE registration_keys (
    key_hash     char(64)    PRIMARY KEY,
    request_hash char(64)    NOT NULL,
    -- Deferred: the key is claimed before the collector it names is inserted, in one transaction.
    collector_id text        NOT NULL REFERENCES collectors (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    family_id    text        NOT NULL,
    created_at   timestamptz NOT NULL
);

CREATE INDEX registration_keys_created_at ON registration_keys (created_at);
