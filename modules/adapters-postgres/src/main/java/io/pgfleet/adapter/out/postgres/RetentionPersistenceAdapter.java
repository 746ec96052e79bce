package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.pgfleet.application.port.out.PurgeExpiredDataPort;

import java.time.Instant;

/**
 * Deletes expired rows a bounded batch at a time. Each call is one short statement (its own
 * transaction) that locks only the rows it deletes; {@code SKIP LOCKED} makes instances purging
 * at the same time take different rows instead of waiting for each other.
 *
 * <p>Versions and audit entries are immutable rows: a trigger refuses every UPDATE and every
 * DELETE except one whose transaction says it is the retention purge ({@code SET LOCAL
 * pgfleet.retention = 'on'}, migration V29), so those deletes run in a transaction of their own that
 * says so first. So do the purges of deleted groups and decommissioned collectors, whose versions go
 * with them.
 */
public final class RetentionPersistenceAdapter implements PurgeExpiredDataPort {

    private final DbClient db;

    RetentionPersistenceAdapter(DbClient db) {
        this.db = db;
    }

    @Override
    public Instant databaseNow() {
        return Rows.guard("reading the database's clock",
                () -> Rows.instant(db.execute().get("SELECT now() AS now").orElseThrow(), "now"));
    }

    @Override
    public int purge(Kind kind, Instant cutoff, int maxRows) {
        String sql = switch (kind) {
            // Only the catch-all partition: whole days go by SamplePartitionsPersistenceAdapter, and
            // ctids are unique per partition only, so a ctid delete must name one table.
            case SAMPLES -> batch("samples_default", "ts < ?");
            case SAMPLE_BATCHES -> batch("sample_batches", "received_at < ?");
            // A superseded token (replaced by a retry of the one before it) is kept as long after
            // that as a spent one after its use: long enough to tell a second holder who presents it.
            case REFRESH_TOKENS -> batch("refresh_tokens", "(used_at < ? OR superseded_at < ? OR expires_at < ?)");
            case ENROLMENT_TOKENS -> batch("enrolment_tokens", "(used_at < ? OR expires_at < ?)");
            case REGISTRATION_KEYS -> batch("registration_keys", "created_at < ?");
            case AUDIT_ENTRIES -> "DELETE FROM audit_log WHERE id = ANY(ARRAY(SELECT id FROM audit_log WHERE at < ?"
                    + " ORDER BY at, id LIMIT ? FOR UPDATE SKIP LOCKED))";
        };
        Object time = Rows.timestamp(cutoff);
        Object[] params = switch (kind) {
            case SAMPLES, SAMPLE_BATCHES, REGISTRATION_KEYS, AUDIT_ENTRIES -> new Object[] {time, maxRows};
            case REFRESH_TOKENS -> new Object[] {time, time, time, maxRows};
            case ENROLMENT_TOKENS -> new Object[] {time, time, maxRows};
        };
        String what = "purging expired " + kind.name().toLowerCase(java.util.Locale.ROOT);
        return kind == Kind.AUDIT_ENTRIES ? immutableRows(what, sql, params)
                : Rows.guard(what, () -> (int) db.execute().delete(sql, params));
    }

    @Override
    public int purgeHistory(History history, int keepNewest, int maxRows) {
        if (keepNewest < 1) {
            throw new IllegalArgumentException("at least the newest version of each configuration stays, got " + keepNewest);
        }
        // Versions are gap-free (1..latest), so "at least keepNewest newer ones" is a bound on the number.
        String sql = switch (history) {
            case OWN_VERSIONS -> """
                    DELETE FROM config_revisions WHERE (collector_id, version) IN (
                        SELECT r.collector_id, r.version FROM collectors c JOIN config_revisions r ON r.collector_id = c.id
                        WHERE c.latest_version > ? AND r.version <= c.latest_version - ?
                        LIMIT ? FOR UPDATE OF r SKIP LOCKED)""";
            // A layer's newest version may be a staged one above its current version; the current one
            // and every version a rollout names (staged, or the one it returns to) stay whatever their age.
            case LAYER_VERSIONS -> """
                    DELETE FROM layer_revisions WHERE (layer, version) IN (
                        SELECT r.layer, r.version FROM layer_revisions r JOIN config_layers l ON l.layer = r.layer
                        WHERE r.version <= (SELECT max(n.version) FROM layer_revisions n WHERE n.layer = r.layer) - ?
                          AND r.version <> l.latest_version
                          AND NOT EXISTS (SELECT 1 FROM rollouts o WHERE o.layer = r.layer
                                          AND (o.staged_version = r.version OR o.previous_version = r.version))
                        LIMIT ? FOR UPDATE OF r SKIP LOCKED)""";
        };
        // Own versions: only collectors with more versions than are kept are visited (through the
        // revisions' primary key), so an hourly run with nothing to delete does not read every version.
        Object[] params = history == History.OWN_VERSIONS ? new Object[] {keepNewest, keepNewest, maxRows}
                : new Object[] {keepNewest, maxRows};
        return immutableRows("purging old " + history.name().toLowerCase(java.util.Locale.ROOT), sql, params);
    }

    @Override
    public int purgeFinishedRollouts(Instant endedBefore, int maxRollouts) {
        // One statement: the members and the timeline go with their rollout (the foreign keys are
        // checked at the statement's end, when all three are gone). A running or paused rollout
        // never goes, whatever its age.
        String sql = """
                WITH expired AS (
                    SELECT id FROM rollouts WHERE state IN ('completed', 'rolled_back') AND ended_at < ?
                    ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED),
                members AS (DELETE FROM rollout_members WHERE rollout_id IN (SELECT id FROM expired)),
                events AS (DELETE FROM rollout_events WHERE rollout_id IN (SELECT id FROM expired))
                DELETE FROM rollouts WHERE id IN (SELECT id FROM expired)""";
        return Rows.guard("purging finished rollouts",
                () -> (int) db.execute().delete(sql, Rows.timestamp(endedBefore), maxRollouts));
    }

    @Override
    public int purgeDeletedGroups(Instant deletedBefore, int maxGroups) {
        // One statement: the group, its layer and every version of it go together (the foreign keys
        // are checked at the statement's end). A group whose layer a rollout still names stays until
        // the rollout's record is purged: rollouts end before their group can be deleted, so that is
        // at the latest in the same run, which purges rollouts first. A group being created again
        // with the id meanwhile finds the row (409) until this commits, and creates it afresh after.
        String sql = """
                WITH expired AS (
                    SELECT g.id, 'group/' || g.id AS layer FROM config_groups g
                    WHERE g.deleted_at < ?
                      AND NOT EXISTS (SELECT 1 FROM rollouts o WHERE o.layer = 'group/' || g.id)
                    ORDER BY g.deleted_at, g.id LIMIT ? FOR UPDATE OF g SKIP LOCKED),
                versions AS (DELETE FROM layer_revisions WHERE layer IN (SELECT layer FROM expired)),
                layers AS (DELETE FROM config_layers WHERE layer IN (SELECT layer FROM expired))
                DELETE FROM config_groups WHERE id IN (SELECT id FROM expired)""";
        return immutableRows("purging deleted groups", sql, new Object[] {Rows.timestamp(deletedBefore), maxGroups});
    }

    @Override
    public int purgeDecommissionedCollectors(Instant decommissionedBefore, int maxCollectors) {
        // The row stays as the tombstone that keeps the id from being provisioned, registered or
        // re-bound again (every such check reads decommissioned_at), and that rollout members still
        // reference; its labels and host name go with the rest. purged_at marks it done, so a run
        // visits only collectors not reduced yet (migration V42's index). Refresh and enrolment
        // tokens, batch ids and registration keys have retentions of their own, shorter than this.
        String sql = """
                WITH expired AS (
                    SELECT id FROM collectors WHERE decommissioned_at < ? AND purged_at IS NULL
                    ORDER BY decommissioned_at, id LIMIT ? FOR UPDATE SKIP LOCKED),
                versions AS (DELETE FROM config_revisions WHERE collector_id IN (SELECT id FROM expired)),
                effective AS (DELETE FROM effective_configs WHERE collector_id IN (SELECT id FROM expired)),
                status AS (DELETE FROM collector_status WHERE collector_id IN (SELECT id FROM expired)),
                samples AS (DELETE FROM samples WHERE collector_id IN (SELECT id FROM expired))
                UPDATE collectors SET labels = '{}'::jsonb, hostname = '', purged_at = now()
                WHERE id IN (SELECT id FROM expired)""";
        return immutableRows("purging decommissioned collectors", sql,
                new Object[] {Rows.timestamp(decommissionedBefore), maxCollectors});
    }

    private int immutableRows(String what, String sql, Object[] params) {
        return Rows.guard(what, () -> Rows.inTransaction(db, tx -> {
            tx.query("SELECT set_config('pgfleet.retention', 'on', true)").count();
            return (int) tx.dml(sql, params);
        }));
    }

    // Rows are addressed by ctid: none of these tables is updated in place while it is purged
    // (samples and batch ids never are; a token whose use is recorded concurrently, or a registration key
    // being replayed, is locked and skipped).
    private static String batch(String table, String condition) {
        return "DELETE FROM " + table + " WHERE ctid = ANY(ARRAY(SELECT ctid FROM " + table + " WHERE " + condition
                + " LIMIT ? FOR UPDATE SKIP LOCKED))";
    }
}
