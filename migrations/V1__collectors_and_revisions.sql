-- Collectors and their immutable configuration history.

CREATE TABLE collectors (
    id             text        PRIMARY KEY,
    name           text        NOT NULL,
    hostname       text        NOT NULL DEFAULT '',
    labels         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL,
    -- The highest published version; the publishing transaction locks this row, so versions are
    -- assigned one after another with no gap and no duplicate.
    latest_version integer     NOT NULL DEFAULT 0 CHECK (latest_version >= 0)
);

CREATE TABLE config_revisions (
    collector_id text        NOT NULL REFERENCES collectors (id),
    version      integer     NOT NULL CHECK (version >= 1),
    document     text        NOT NULL,
    content_hash char(64)    NOT NULL,
    created_at   timestamptz NOT NULL,
    created_by   text        NOT NULL,
    message      text        NOT NULL DEFAULT '',
    source       text        NOT NULL CHECK (source = 'put' OR source ~ '^rollback:[1-9][0-9]*$'),
    PRIMARY KEY (collector_id, version)
);

-- Revisions are history: once written they never change.
CREATE FUNCTION config_revisions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'configuration revisions are immutable';
END;
$$;

CREATE TRIGGER config_revisions_no_update
    BEFORE UPDATE OR DELETE ON config_revisions
    FOR EACH ROW EXECUTE FUNCTION config_revisions_immutable();
