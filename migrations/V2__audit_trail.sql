-- Every write, who did it, when and from where. Written in the same transaction as the write, so
-- a write that did not happen leaves no entry and a write that happened leaves exactly one.

CREATE TABLE audit_log (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL,
    actor        text        NOT NULL,
    address      text        NOT NULL DEFAULT '',
    action       text        NOT NULL,
    collector_id text        NOT NULL,
    version      integer     NOT NULL DEFAULT 0 CHECK (version >= 0),
    detail       text        NOT NULL DEFAULT ''
);

CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_collector ON audit_log (collector_id, at DESC);

CREATE TRIGGER audit_log_no_update
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION config_revisions_immutable();
