-- Fleet configuration layers (expand only: no existing table or column changes meaning, so a
-- server of the previous release keeps working on this schema during a rolling upgrade).
--
--   config_layers / layer_revisions  the fleet layer and each group's layer, versioned exactly like
--                                    a collector's own document (config_revisions)
--   config_groups                    label-selected groups
--   effective_configs                each collector's effective document and its revision counter

-- One row per layer that ever had a version; publishers lock it, so versions are gap-free.
CREATE TABLE config_layers (
    layer          text    PRIMARY KEY CHECK (layer = 'fleet' OR layer ~ '^group/[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    latest_version integer NOT NULL DEFAULT 0 CHECK (latest_version >= 0)
);

CREATE TABLE layer_revisions (
    layer        text        NOT NULL REFERENCES config_layers (layer),
    version      integer     NOT NULL CHECK (version >= 1),
    document     text        NOT NULL,
    content_hash char(64)    NOT NULL,
    created_at   timestamptz NOT NULL,
    created_by   text        NOT NULL,
    message      text        NOT NULL DEFAULT '',
    source       text        NOT NULL CHECK (source = 'put' OR source ~ '^rollback:[1-9][0-9]*$'),
    PRIMARY KEY (layer, version)
);

CREATE TRIGGER layer_revisions_no_update
    BEFORE UPDATE OR DELETE ON layer_revisions
    FOR EACH ROW EXECUTE FUNCTION config_revisions_immutable();

-- A deleted group keeps its row (and its layer's history): its id is not reused.
CREATE TABLE config_groups (
    id          text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    selector    jsonb       NOT NULL,
    priority    integer     NOT NULL,
    description text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);

-- The effective document of each collector: what its agent receives. The revision rises by one
-- only when the document changes. effective_sha256 is the hash of the configuration it means
-- (what agents report); NULL until a server of this release has computed it.
CREATE TABLE effective_configs (
    collector_id     text        PRIMARY KEY REFERENCES collectors (id),
    revision         integer     NOT NULL CHECK (revision >= 1),
    document         text        NOT NULL,
    content_hash     char(64)    NOT NULL,
    effective_sha256 char(64),
    -- config_pull_interval of the effective configuration (NULL: not yet computed, 300 s default)
    pull_interval_s  integer,
    sources          text        NOT NULL,
    created_at       timestamptz NOT NULL
);

-- Seed: while no other layer exists, the effective document is the collector's latest own
-- document and the effective revision is its own version.
INSERT INTO effective_configs (collector_id, revision, document, content_hash, sources, created_at)
SELECT r.collector_id, r.version, r.document, r.content_hash, 'collector@' || r.version, r.created_at
FROM config_revisions r
JOIN collectors c ON c.id = r.collector_id AND r.version = c.latest_version;

-- Decommissioned collectors keep their row (history, audit) so their id is never reused.
ALTER TABLE collectors ADD COLUMN decommissioned_at timestamptz;

CREATE INDEX collectors_labels ON collectors USING gin (labels jsonb_path_ops);
