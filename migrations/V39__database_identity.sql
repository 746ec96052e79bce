-- A logical restore (pg_dump, then pg_restore or psql) brings back every row of an older database,
-- apply statuses included, into tables it creates anew. Nothing in the rows tells such a database
-- from the one it was copied from, except this: the row below names the table it was written in, by
-- that table's oid, which a new table never keeps. A start that finds the row naming another oid (or
-- no row: the operator's step after a physical restore, docs/operations.md) is the first on a
-- restored database and marks every collector's apply status as the backup's, as the first start
-- after an embedded restore does; then it writes the row again. Expand-only: a new table, which the
-- previous release ignores.
CREATE TABLE database_identity (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    table_oid   oid NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO database_identity (table_oid) VALUES ('database_identity'::regclass);
