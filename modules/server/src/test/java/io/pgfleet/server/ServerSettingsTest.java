package io.pgfleet.server;

import io.pgfleet.application.service.RetentionSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerSettingsTest {

    @Test
    void retentionDefaultsAreTheDocumentedOnes() {
        RetentionSettings r = ServerSettings.load(Optional.empty(), Map.of()).retention();
        assertEquals(new RetentionSettings(Duration.ofDays(14), Duration.ofDays(2), Duration.ofDays(7), 1000,
                Duration.ofHours(1), 1000, Duration.ofDays(400)), r);
    }

    @Test
    void historyRetentionComesFromTheFileOrTheEnvironmentAndZeroKeepsEverything(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server.toml");
        Files.writeString(file, "retention_keep_versions = 50\nretention_audit_days = 30\n");
        RetentionSettings r = ServerSettings.load(Optional.of(file), Map.of()).retention();
        assertEquals(50, r.keepVersions());
        assertEquals(Duration.ofDays(30), r.audit());
        r = ServerSettings.load(Optional.of(file), Map.of("PGFLEET_RETENTION_KEEP_VERSIONS", "0",
                "PGFLEET_RETENTION_AUDIT_DAYS", "0")).retention();
        assertEquals(0, r.keepVersions());
        assertEquals(Duration.ZERO, r.audit());
        for (Map<String, String> bad : List.of(Map.of("PGFLEET_RETENTION_KEEP_VERSIONS", "9"),
                Map.of("PGFLEET_RETENTION_KEEP_VERSIONS", "-1"), Map.of("PGFLEET_RETENTION_AUDIT_DAYS", "-1"),
                Map.of("PGFLEET_RETENTION_AUDIT_DAYS", "36501"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ServerSettings.load(Optional.empty(), bad));
            assertTrue(e.getMessage().contains(bad.keySet().iterator().next()), e.getMessage());
        }
    }

    @Test
    void retentionComesFromTheFileAndTheEnvironmentWins(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server.toml");
        Files.writeString(file, """
                retention_samples_days = 30
                retention_sample_batches_days = 1
                retention_tokens_days = 3
                retention_purge_interval = 600
                retention_batch_size = 500
                """);
        RetentionSettings r = ServerSettings.load(Optional.of(file), Map.of("PGFLEET_RETENTION_SAMPLES_DAYS", "90")).retention();
        assertEquals(new RetentionSettings(Duration.ofDays(90), Duration.ofDays(1), Duration.ofDays(3), 500,
                Duration.ofMinutes(10)), r);
    }

    @Test
    void retentionPeriodsAndThePurgeIntervalHaveAnUpperBoundLikeTheAuditRetention() {
        Map<String, String> highest = Map.of("PGFLEET_RETENTION_SAMPLES_DAYS", "36500",
                "PGFLEET_RETENTION_SAMPLE_BATCHES_DAYS", "36500", "PGFLEET_RETENTION_TOKENS_DAYS", "36500",
                "PGFLEET_RETENTION_PURGE_INTERVAL", "86400");
        RetentionSettings r = ServerSettings.load(Optional.empty(), highest).retention();
        assertEquals(Duration.ofDays(36_500), r.samples());
        assertEquals(Duration.ofDays(36_500), r.sampleBatchIds());
        assertEquals(Duration.ofDays(36_500), r.spentTokens());
        assertEquals(Duration.ofDays(1), r.interval());
        for (Map.Entry<String, String> bad : Map.of("PGFLEET_RETENTION_SAMPLES_DAYS", "36501",
                "PGFLEET_RETENTION_SAMPLE_BATCHES_DAYS", "2147483647", "PGFLEET_RETENTION_TOKENS_DAYS", "36501",
                "PGFLEET_RETENTION_PURGE_INTERVAL", "86401").entrySet()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ServerSettings.load(Optional.empty(), Map.of(bad.getKey(), bad.getValue())));
            String key = bad.getKey().substring("PGFLEET_".length()).toLowerCase(java.util.Locale.ROOT);
            String max = bad.getKey().endsWith("INTERVAL") ? "86400" : "36500";
            assertEquals(key + " (" + bad.getKey() + ") must be 1.." + max + ", got " + bad.getValue(), e.getMessage());
        }
    }

    @Test
    void aMalformedTrustedProxyIsRefusedByNameBeforeAnythingStarts() {
        for (String bad : new String[] {"garbage/99", "10.0.0.0/33", "10.0.0.1, proxy.example.com"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ServerSettings.load(Optional.empty(), Map.of("PGFLEET_TRUSTED_PROXIES", bad)));
            assertTrue(e.getMessage().startsWith("trusted_proxies (PGFLEET_TRUSTED_PROXIES): "), e.getMessage());
        }
        assertEquals(2, ServerSettings.load(Optional.empty(), Map.of("PGFLEET_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16"))
                .limits().trustedProxies().size());
    }

    @Test
    void anUnknownSettingIsRefusedWithTheKnownOnesInAlphabeticalOrder(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server.toml");
        Files.writeString(file, "dburl = \"jdbc:postgresql://db/pgfleet\"\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerSettings.load(Optional.of(file), Map.of()));
        assertTrue(e.getMessage().startsWith("unknown setting 'dburl' in " + file + "; known: "), e.getMessage());
        List<String> known = List.of(e.getMessage().substring(e.getMessage().indexOf("known: ") + 7).split(", "));
        assertTrue(known.contains("db_url") && known.size() > 20, e.getMessage());
        // The same order on every run, so that an operator can find a key in it.
        assertEquals(known.stream().sorted().toList(), known);
    }

    @Test
    void aKeyOfTheWrongTypeInTheFileIsRefusedNamingTheFileTheKeyAndWhatItTakes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server.toml");
        Map<String, String> wrong = new java.util.LinkedHashMap<>();
        // strings: a path, a host, a list in a string, a secret
        wrong.put("data_dir = 5", "data_dir takes a string (a path), not an integer");
        wrong.put("host = true", "host takes a string (a host name or address), not true or false");
        wrong.put("trusted_proxies = [\"10.0.0.1\"]",
                "trusted_proxies takes a string (addresses and CIDR ranges separated by commas), not an array");
        wrong.put("db_password = { value = \"x\" }", "db_password takes a string, not a table");
        wrong.put("tls_cert = 2026-12-01", "tls_cert takes a string (a path), not a date or time");
        // integers: counts, and durations in their unit
        wrong.put("port = 8080.5", "port takes an integer, not a number with a fraction");
        wrong.put("db_pool_size = \"sixteen\"", "db_pool_size takes an integer, not a string");
        wrong.put("warmup_rounds = false", "warmup_rounds takes an integer, not true or false");
        wrong.put("idle_timeout = \"30s\"", "idle_timeout takes an integer (seconds), not a string");
        wrong.put("rollout_tick_ms = [1000]", "rollout_tick_ms takes an integer (milliseconds), not an array");
        wrong.put("retention_audit_days = 400.0", "retention_audit_days takes an integer (days), not a number with a fraction");
        for (Map.Entry<String, String> c : wrong.entrySet()) {
            Files.writeString(file, c.getKey() + "\n");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ServerSettings.load(Optional.of(file), Map.of()), c.getKey());
            assertEquals(file + ": " + c.getValue(), e.getMessage());
            // The file is wrong even where the environment would override the key.
            String env = "PGFLEET_" + c.getKey().substring(0, c.getKey().indexOf(' ')).toUpperCase(java.util.Locale.ROOT);
            e = assertThrows(IllegalArgumentException.class, () -> ServerSettings.load(Optional.of(file), Map.of(env, "1")),
                    c.getKey());
            assertEquals(file + ": " + c.getValue(), e.getMessage());
        }
        // The right types, and an integer in quotes as earlier releases took it.
        Files.writeString(file, "data_dir = \"" + dir.resolve("data") + "\"\nport = \"8081\"\nidle_timeout = 45\n");
        ServerSettings ok = ServerSettings.load(Optional.of(file), Map.of());
        assertEquals(dir.resolve("data"), ok.dataDir());
        assertEquals(8081, ok.port());
        assertEquals(Duration.ofSeconds(45), ok.limits().idleTimeout());
    }

    @Test
    void aZeroRetentionIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerSettings.load(Optional.empty(), Map.of("PGFLEET_RETENTION_TOKENS_DAYS", "0")));
        assertTrue(e.getMessage().contains("retention_tokens_days"), e.getMessage());
    }

    @Test
    void theWarmUpIsOnByDefaultAndASettingTurnsItOff() {
        assertEquals(ServerSettings.DEFAULT_WARMUP_ROUNDS, ServerSettings.load(Optional.empty(), Map.of()).warmupRounds());
        assertEquals(0, ServerSettings.load(Optional.empty(), Map.of("PGFLEET_WARMUP_ROUNDS", "0")).warmupRounds());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerSettings.load(Optional.empty(), Map.of("PGFLEET_WARMUP_ROUNDS", "100001")));
        assertTrue(e.getMessage().contains("warmup_rounds"), e.getMessage());
    }

    @Test
    void theRefreshReuseGraceIsASettingOfItsOwnWithinItsBounds() {
        assertEquals(Duration.ofSeconds(30), ServerSettings.load(Optional.empty(), Map.of()).security().refreshReuseGrace());
        assertEquals(Duration.ZERO, ServerSettings.load(Optional.empty(), Map.of("PGFLEET_REFRESH_REUSE_GRACE", "0"))
                .security().refreshReuseGrace());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerSettings.load(Optional.empty(), Map.of("PGFLEET_REFRESH_REUSE_GRACE", "301")));
        assertTrue(e.getMessage().contains("refresh_reuse_grace"), e.getMessage());
    }

    @Test
    void theAccessTokenClockSkewIsThirtySecondsByDefaultAndASettingWithinItsBounds(@TempDir Path dir) throws Exception {
        assertEquals(Duration.ofSeconds(30), ServerSettings.load(Optional.empty(), Map.of()).security().accessTokenClockSkew());
        Path file = dir.resolve("server.toml");
        Files.writeString(file, "access_token_clock_skew = 5\n");
        assertEquals(Duration.ofSeconds(5), ServerSettings.load(Optional.of(file), Map.of()).security().accessTokenClockSkew());
        assertEquals(Duration.ZERO, ServerSettings.load(Optional.of(file), Map.of("PGFLEET_ACCESS_TOKEN_CLOCK_SKEW", "0"))
                .security().accessTokenClockSkew());
        for (String bad : List.of("301", "-1")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ServerSettings.load(Optional.empty(), Map.of("PGFLEET_ACCESS_TOKEN_CLOCK_SKEW", bad)));
            assertTrue(e.getMessage().startsWith("access_token_clock_skew (PGFLEET_ACCESS_TOKEN_CLOCK_SKEW) must be 0..300"),
                    e.getMessage());
        }
    }

    @Test
    void theDatabaseStatementTimeoutIsThirtySecondsByDefaultAndASettingWithinItsBounds(@TempDir Path dir) throws Exception {
        assertEquals(Duration.ofSeconds(30), ServerSettings.load(Optional.empty(), Map.of()).dbStatementTimeout());
        Path file = dir.resolve("server.toml");
        java.nio.file.Files.writeString(file, "db_statement_timeout = 90\n");
        assertEquals(Duration.ofSeconds(90), ServerSettings.load(Optional.of(file), Map.of()).dbStatementTimeout());
        assertEquals(Duration.ofSeconds(5), ServerSettings.load(Optional.of(file),
                Map.of("PGFLEET_DB_STATEMENT_TIMEOUT", "5")).dbStatementTimeout());
        for (String wrong : new String[] {"0", "3601"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ServerSettings.load(Optional.empty(), Map.of("PGFLEET_DB_STATEMENT_TIMEOUT", wrong)));
            assertTrue(e.getMessage().contains("db_statement_timeout"), e.getMessage());
        }
    }

    @Test
    void theSampleRateIsPerCollectorWithDocumentedDefaultsAndABurstThatHoldsTheLargestBatch(@TempDir Path dir)
            throws Exception {
        io.pgfleet.domain.fleet.SampleRate d = ServerSettings.load(Optional.empty(), Map.of()).limits().sampleRate();
        assertEquals(6000, d.perMinute());
        assertEquals(30_000, d.burst());
        Path file = dir.resolve("server.toml");
        java.nio.file.Files.writeString(file, "sample_rate_per_minute = 1200\nsample_burst = 10000\n");
        io.pgfleet.domain.fleet.SampleRate r = ServerSettings.load(Optional.of(file),
                Map.of("PGFLEET_SAMPLE_BURST", "8000")).limits().sampleRate();
        assertEquals(1200, r.perMinute());
        assertEquals(8000, r.burst(), "the environment wins");
        for (Map<String, String> wrong : List.of(Map.of("PGFLEET_SAMPLE_BURST", "4999"),
                Map.of("PGFLEET_SAMPLE_RATE_PER_MINUTE", "0"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ServerSettings.load(Optional.empty(), wrong));
            assertTrue(e.getMessage().contains("sample_burst") && e.getMessage().contains("PGFLEET_SAMPLE_RATE_PER_MINUTE"),
                    e.getMessage());
        }
    }

    @Test
    void refreshesPerSessionDefaultToThirtyAMinuteAndAreSetByFileOrEnvironment(@TempDir Path dir) throws Exception {
        assertEquals(30, ServerSettings.load(Optional.empty(), Map.of()).limits().refreshesPerSession());
        Path file = dir.resolve("server.toml");
        java.nio.file.Files.writeString(file, "refreshes_per_session = 120\n");
        assertEquals(120, ServerSettings.load(Optional.of(file), Map.of()).limits().refreshesPerSession());
        assertEquals(12, ServerSettings.load(Optional.of(file), Map.of("PGFLEET_REFRESHES_PER_SESSION", "12"))
                .limits().refreshesPerSession(), "the environment wins");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerSettings.load(Optional.empty(), Map.of("PGFLEET_REFRESHES_PER_SESSION", "0")));
        assertTrue(e.getMessage().contains("refreshes_per_session"), e.getMessage());
    }

    @Test
    void sessionsPerUserDefaultToAHundredAndAreSetByFileOrEnvironmentWithinTheirRange(@TempDir Path dir)
            throws Exception {
        assertEquals(100, ServerSettings.load(Optional.empty(), Map.of()).limits().sessionsPerUser());
        Path file = dir.resolve("server.toml");
        java.nio.file.Files.writeString(file, "sessions_per_user = 20\n");
        assertEquals(20, ServerSettings.load(Optional.of(file), Map.of()).limits().sessionsPerUser());
        assertEquals(5, ServerSettings.load(Optional.of(file), Map.of("PGFLEET_SESSIONS_PER_USER", "5"))
                .limits().sessionsPerUser(), "the environment wins");
        assertEquals(10_000, ServerSettings.load(Optional.empty(), Map.of("PGFLEET_SESSIONS_PER_USER", "10000"))
                .limits().sessionsPerUser());
        for (String wrong : List.of("0", "-1", "10001")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ServerSettings.load(Optional.empty(), Map.of("PGFLEET_SESSIONS_PER_USER", wrong)));
            assertEquals("sessions_per_user (PGFLEET_SESSIONS_PER_USER) must be 1..10000, got " + wrong, e.getMessage());
        }
    }
}
