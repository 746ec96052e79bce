-- What each agent says it runs, and the samples it pushes.

ALTER TABLE collectors ADD COLUMN last_seen_at timestamptz;

CREATE TABLE collector_status (
    collector_id      text        PRIMARY KEY REFERENCES collectors (id),
    applied_version   integer     NOT NULL DEFAULT 0,
    last_attempted    integer     NOT NULL,
    last_status       text        NOT NULL CHECK (last_status IN ('APPLIED', 'FAILED')),
    last_error        text        NOT NULL DEFAULT '',
    effective_sha256  char(64)    NOT NULL,
    reported_at       timestamptz NOT NULL
);

-- A batch id is stored once: a retried push is acknowledged without storing its samples again.
CREATE TABLE sample_batches (
    batch_id     text        PRIMARY KEY,
    collector_id text        NOT NULL REFERENCES collectors (id),
    received_at  timestamptz NOT NULL,
    sample_count integer     NOT NULL
);

CREATE TABLE samples (
    collector_id text             NOT NULL,
    batch_id     text             NOT NULL REFERENCES sample_batches (batch_id),
    name         text             NOT NULL,
    labels       jsonb            NOT NULL,
    value        double precision NOT NULL,
    ts           timestamptz      NOT NULL
);

CREATE INDEX samples_by_collector ON samples (collector_id, name, ts);
