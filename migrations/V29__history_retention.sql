-- History retention (expand only: a server of the previous release never deletes history and keeps
-- working on this schema). Versions and audit entries stay immutable: no UPDATE ever, and no DELETE
-- but the retention purge's, which marks its own transaction with
--     SET LOCAL pgfleet.retention = 'on'
-- so that a stray DELETE (a script, a mistaken query) is still refused as before.

CREATE OR REPLACE FUNCTION config_revisions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('pgfleet.retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'configuration revisions are immutable';
END;
$$;
