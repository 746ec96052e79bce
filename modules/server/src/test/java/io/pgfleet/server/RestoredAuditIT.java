package io.pgfleet.server;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A restore takes away every audit entry written after the backup; the audit trail says so, with
 * one {@code server.restored} entry written at the first start after the restore, by the server
 * (its instance as the address), naming the backup's time and the newest entry kept. Before, the
 * trail simply ended at the backup, and nothing in it said that a restore had happened.
 */
class RestoredAuditIT {

    private static final String INSTANCE = "restored-audit-instance";

    private static PgfleetServer start(Path dataDir) {
        ServerSettings settings = new ServerSettings("127.0.0.1", 0, dataDir, Optional.empty(), "postgres", "", 4,
                Optional.of(ServerSettings.TEST_ADMIN_PASSWORD), Optional.of(ServerSettings.TEST_REGISTRATION_SECRET),
                Duration.ofMinutes(15), TlsSettings.none());
        return PgfleetServer.start(settings.withRollouts(new RolloutDriverSettings(settings.rollouts().tick(),
                settings.rollouts().lease(), INSTANCE)));
    }

    private static void command(Path dataDir, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = DataCommands.run(args, Map.of("PGFLEET_DATA_DIR", dataDir.toString()),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals(0, exit, out.toString(StandardCharsets.UTF_8));
    }

    /** The entries of the audit trail, newest first, as an auditor reads them. */
    private static List<JsonObject> audit(ApiClient admin, String query) {
        HttpResponse<String> r = admin.get("/api/v1/audit?limit=1000" + query);
        assertEquals(200, r.statusCode(), r.body());
        return RolloutFleet.json(r.body()).getJsonArray("entries").getValuesAs(JsonObject.class);
    }

    private static String createdAt(Path backup) throws Exception {
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(backup.toFile())) {
            java.util.Properties manifest = new java.util.Properties();
            manifest.load(zip.getInputStream(zip.getEntry("pgfleet-backup.properties")));
            return manifest.getProperty("created_at");
        }
    }

    @Test
    void theFirstStartAfterARestoreAuditsItOnceNamingTheBackupsTimeAndTheNewestEntryKept(@TempDir Path dataDir,
                                                                                          @TempDir Path backups)
            throws Exception {
        Path backup = backups.resolve("pgfleet.backup");
        String newestKept;
        try (PgfleetServer server = start(dataDir)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            assertEquals(201, admin.postJson("/api/v1/users",
                    "{\"username\":\"ops\",\"password\":\"password-of-ops\",\"role\":\"operator\"}").statusCode());
            newestKept = audit(admin, "").getFirst().getString("at");
            command(dataDir, "backup", backup.toString());
            assertEquals(201, admin.postJson("/api/v1/users",
                    "{\"username\":\"late\",\"password\":\"password-of-late\",\"role\":\"viewer\"}").statusCode());
        }
        command(dataDir, "restore", backup.toString());
        Path mark = dataDir.resolve("postgres").resolve("pgfleet-restored");
        String markText = Files.readString(mark);

        try (PgfleetServer server = start(dataDir)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            List<JsonObject> restored = audit(admin, "&action=server.restored");
            assertEquals(1, restored.size(), restored.toString());
            JsonObject entry = restored.getFirst();
            assertEquals("pgfleet", entry.getString("actor"));
            assertEquals(INSTANCE, entry.getString("address"));
            String detail = entry.getString("detail");
            assertTrue(detail.contains("from a backup taken at " + java.time.Instant.parse(createdAt(backup))), detail);
            assertTrue(detail.contains("audit entries written after the backup are gone"), detail);
            assertTrue(detail.contains("the newest entry kept is of " + java.time.Instant.parse(newestKept)), detail);
            // It is the newest entry; what was written after the backup is gone, as it says.
            List<JsonObject> trail = audit(admin, "");
            assertEquals("server.restored", trail.getFirst().getString("action"), trail.toString());
            assertTrue(trail.stream().anyMatch(e -> "ops".equals(e.getString("username", ""))), trail.toString());
            assertFalse(trail.stream().anyMatch(e -> "late".equals(e.getString("username", ""))), trail.toString());
        }
        assertFalse(Files.exists(mark), "the restore's mark is removed once it is done");

        // A start that stopped after writing the entry and before removing the mark (a crash) does
        // the rest again, but does not write the entry a second time; later starts write none.
        Files.writeString(mark, markText);
        try (PgfleetServer server = start(dataDir)) {
            assertEquals(1, audit(ApiClient.asAdmin(server.port()), "&action=server.restored").size());
        }
        try (PgfleetServer server = start(dataDir)) {
            assertEquals(1, audit(ApiClient.asAdmin(server.port()), "&action=server.restored").size());
        }
    }
}
