package io.pgfleet.server;

import io.pgfleet.application.port.in.PurgeExpiredDataUseCase;
import io.pgfleet.application.service.RetentionSettings;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Retention on real PostgreSQL, driven by a fixed clock: what is older than its retention goes,
 * what is younger stays, in batches, and instances purging at the same time do no harm.
 */
class RetentionIT {

    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
    /** Small batches, so that a purge of a dozen rows takes several statements. */
    private static final RetentionSettings POLICY = new RetentionSettings(Duration.ofDays(14), Duration.ofDays(2),
            Duration.ofDays(7), 3, Duration.ofHours(1));

    @RegisterExtension
    static final OpenStorage DB = new OpenStorage();

    @BeforeEach
    void fill() throws SQLException {
        try (Connection c = DB.database().connect(); Statement s = c.createStatement()) {
            s.execute("TRUNCATE samples, sample_batches, refresh_tokens, enrolment_tokens, collector_status, "
                    + "config_revisions, collectors CASCADE");
            s.execute("INSERT INTO collectors (id, name, created_at) VALUES ('c-1', 'db-01', now())");
            for (int i = 0; i < 10; i++) {
                sample(c, "old-" + i, NOW.minus(Duration.ofDays(15)).minusSeconds(i));
                batch(c, "old-" + i, NOW.minus(Duration.ofDays(3)));
            }
            sample(c, "recent", NOW.minus(Duration.ofDays(13)));
            batch(c, "recent", NOW.minus(Duration.ofDays(1)));
            // Refresh tokens: used long ago, expired long ago, used recently, expired recently, valid.
            refresh(c, "a", NOW.minus(Duration.ofDays(8)), NOW.plus(Duration.ofDays(20)));
            refresh(c, "b", null, NOW.minus(Duration.ofDays(8)));
            refresh(c, "c", NOW.minus(Duration.ofDays(6)), NOW.plus(Duration.ofDays(20)));
            refresh(c, "d", null, NOW.minus(Duration.ofDays(6)));
            refresh(c, "e", null, NOW.plus(Duration.ofDays(20)));
            // Superseded by a retry of the token before them (never used, valid for weeks): long ago, recently.
            superseded(c, "f", NOW.minus(Duration.ofDays(8)), NOW.plus(Duration.ofDays(20)));
            superseded(c, "g", NOW.minus(Duration.ofDays(6)), NOW.plus(Duration.ofDays(20)));
            enrolment(c, "a", NOW.minus(Duration.ofDays(8)), NOW.minus(Duration.ofDays(7)));
            enrolment(c, "b", null, NOW.minus(Duration.ofDays(8)));
            registrationKey(c, "a", NOW.minus(Duration.ofHours(25)));
            registrationKey(c, "b", NOW.minus(Duration.ofHours(23)));
            enrolment(c, "c", NOW.minus(Duration.ofDays(6)), NOW.plus(Duration.ofDays(1)));
            enrolment(c, "e", null, NOW.plus(Duration.ofDays(1)));
        }
    }

    private static PurgeExpiredDataUseCase retention() {
        return DB.purge(POLICY, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @Test
    void oldRowsGoAndRecentRowsStay() throws SQLException {
        PurgeExpiredDataUseCase.Purged purged = retention().purgeExpired();

        assertEquals(new PurgeExpiredDataUseCase.Purged(10, 10, 3, 2, 1), purged);
        assertEquals(List.of("recent"), column("SELECT batch_id FROM samples"));
        assertEquals(List.of("recent"), column("SELECT batch_id FROM sample_batches"));
        assertEquals(List.of("c", "d", "e", "g"), column("SELECT left(token_hash, 1) FROM refresh_tokens ORDER BY 1"));
        assertEquals(List.of("c", "e"), column("SELECT left(token_hash, 1) FROM enrolment_tokens ORDER BY 1"));
        assertEquals(List.of("b"), column("SELECT left(key_hash, 1) FROM registration_keys"),
                "registration keys live 24 hours");
        assertEquals(new PurgeExpiredDataUseCase.Purged(0, 0, 0, 0), retention().purgeExpired(), "nothing left to purge");
    }

    @Test
    void instancesPurgingAtTheSameTimeDeleteEachRowOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<PurgeExpiredDataUseCase.Purged>> runs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                runs.add(() -> retention().purgeExpired());
            }
            long samples = 0;
            long batches = 0;
            long refresh = 0;
            long enrolment = 0;
            for (Future<PurgeExpiredDataUseCase.Purged> f : pool.invokeAll(runs)) {
                PurgeExpiredDataUseCase.Purged p = f.get();
                samples += p.samples();
                batches += p.sampleBatches();
                refresh += p.refreshTokens();
                enrolment += p.enrolmentTokens();
            }
            assertEquals(List.of(10L, 10L, 3L, 2L), List.of(samples, batches, refresh, enrolment));
        } finally {
            pool.shutdownNow();
        }
        // A run that skipped rows another one held leaves nothing behind once all have finished.
        retention().purgeExpired();
        assertEquals(List.of("recent"), column("SELECT batch_id FROM samples"));
        assertEquals(List.of("recent"), column("SELECT batch_id FROM sample_batches"));
        assertEquals(List.of("c", "d", "e", "g"), column("SELECT left(token_hash, 1) FROM refresh_tokens ORDER BY 1"));
    }

    private static List<String> column(String sql) throws SQLException {
        return OpenStorage.column(DB.database(), sql);
    }

    private static void sample(Connection c, String batchId, Instant ts) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO samples (collector_id, batch_id, name, labels, value, ts)"
                + " VALUES ('c-1', ?, 'pg_up', '{}', 1, ?)")) {
            p.setString(1, batchId);
            p.setTimestamp(2, Timestamp.from(ts));
            p.executeUpdate();
        }
    }

    private static void batch(Connection c, String batchId, Instant receivedAt) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO sample_batches (batch_id, collector_id, received_at,"
                + " sample_count) VALUES (?, 'c-1', ?, 1)")) {
            p.setString(1, batchId);
            p.setTimestamp(2, Timestamp.from(receivedAt));
            p.executeUpdate();
        }
    }

    private static void refresh(Connection c, String name, Instant usedAt, Instant expiresAt) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO refresh_tokens (token_hash, family_id, subject, role,"
                + " issued_at, expires_at, used_at) VALUES (?, 'f', 'admin', 'admin', ?, ?, ?)")) {
            p.setString(1, name.repeat(64));
            p.setTimestamp(2, Timestamp.from(NOW.minus(Duration.ofDays(30))));
            p.setTimestamp(3, Timestamp.from(expiresAt));
            p.setTimestamp(4, usedAt == null ? null : Timestamp.from(usedAt));
            p.executeUpdate();
        }
    }

    private static void superseded(Connection c, String name, Instant supersededAt, Instant expiresAt) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO refresh_tokens (token_hash, family_id, subject, role,"
                + " issued_at, expires_at, superseded_at, revoked_at) VALUES (?, 'f', 'admin', 'admin', ?, ?, ?, ?)")) {
            p.setString(1, name.repeat(64));
            p.setTimestamp(2, Timestamp.from(supersededAt.minusSeconds(10)));
            p.setTimestamp(3, Timestamp.from(expiresAt));
            p.setTimestamp(4, Timestamp.from(supersededAt));
            p.setTimestamp(5, Timestamp.from(supersededAt));
            p.executeUpdate();
        }
    }

    private static void registrationKey(Connection c, String name, Instant createdAt) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO registration_keys (key_hash, request_hash,"
                + " collector_id, family_id, created_at) VALUES (?, ?, 'c-1', 'f', ?)")) {
            p.setString(1, name.repeat(64));
            p.setString(2, "0".repeat(64));
            p.setTimestamp(3, Timestamp.from(createdAt));
            p.executeUpdate();
        }
    }

    private static void enrolment(Connection c, String name, Instant usedAt, Instant expiresAt) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO enrolment_tokens (token_hash, collector_id, expires_at,"
                + " used_at) VALUES (?, 'c-1', ?, ?)")) {
            p.setString(1, name.repeat(64));
            p.setTimestamp(2, Timestamp.from(expiresAt));
            p.setTimestamp(3, usedAt == null ? null : Timestamp.from(usedAt));
            p.executeUpdate();
        }
    }
}
