-- Users, tokens, signing keys and server secrets. Passwords, refresh tokens, enrolment tokens and
-- the registration secret are stored only as hashes.

ALTER TABLE audit_log ADD COLUMN username text NOT NULL DEFAULT '';

CREATE TABLE users (
    username      text        PRIMARY KEY,
    password_hash text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    enabled       boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- Refresh tokens rotate on every use; a token used a second time revokes its whole family.
CREATE TABLE refresh_tokens (
    token_hash char(64)    PRIMARY KEY,
    family_id  text        NOT NULL,
    subject    text        NOT NULL,
    role       text        NOT NULL,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_subject ON refresh_tokens (subject);

-- HMAC keys shared by every server instance: the newest signs, all verify until they are dropped.
CREATE TABLE signing_keys (
    kid        text        PRIMARY KEY,
    secret     text        NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE server_secrets (
    name       text        PRIMARY KEY,
    value_hash char(64)    NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE enrolment_tokens (
    token_hash   char(64)    PRIMARY KEY,
    collector_id text        NOT NULL REFERENCES collectors (id),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);

ALTER TABLE collectors ADD COLUMN revoked_at timestamptz;
