package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.pgfleet.application.port.out.PurgeExpiredDataPort;

import java.time.Instant;

/**
 * Deletes expired rows a bounded batch at a time. Each call is one short statement (its own
 * transaction) that locks only the rows it deletes; {@code SKIP LOCKED} makes instances purging
 * at the same time take different rows instead of waiting for each other.
 */
public final class RetentionPersistenceAdapter implements PurgeExpiredDataPort {

    private final DbClient db;

    RetentionPersistenceAdapter(DbClient db) {
        this.db = db;
    }

    @Override
    public int purge(Kind kind, Instant cutoff, int maxRows) {
        String sql = switch (kind) {
            // Only the catch-all partition: whole days go by SamplePartitionsPersistenceAdapter, and
            // ctids are unique per partition only, so a ctid delete must name one table.
            case SAMPLES -> batch("samples_default", "ts < ?");
            case SAMPLE_BATCHES -> batch("sample_batches", "received_at < ?");
            case REFRESH_TOKENS -> batch("refresh_tokens", "(used_at < ? OR expires_at < ?)");
            case ENROLMENT_TOKENS -> batch("enrolment_tokens", "(used_at < ? OR expires_at < ?)");
            case REGISTRATION_KEYS -> batch("registration_keys", "created_at < ?");
        };
        Object time = Rows.timestamp(cutoff);
        Object[] params = switch (kind) {
            case SAMPLES, SAMPLE_BATCHES, REGISTRATION_KEYS -> new Object[] {time, maxRows};
            case REFRESH_TOKENS, ENROLMENT_TOKENS -> new Object[] {time, time, maxRows};
        };
        return Rows.guard("purging expired " + kind.name().toLowerCase(java.util.Locale.ROOT),
                () -> (int) db.execute().delete(sql, params));
    }

    // Rows are addressed by ctid: none of these tables is updated in place while it is purged
    // (samples and batch ids never are; a token whose use is recorded concurrently, or a registration key
    // being replayed, is locked and skipped).
    private static String batch(String table, String condition) {
        return "DELETE FROM " + table + " WHERE ctid = ANY(ARRAY(SELECT ctid FROM " + table + " WHERE " + condition
                + " LIMIT ? FOR UPDATE SKIP LOCKED))";
    }
}
