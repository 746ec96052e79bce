package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pgfleet backup FILE} of a running server's embedded database and {@code pgfleet restore FILE}
 * into the stopped server's data directory: versions, users, tokens and audit come back as they were
 * at the backup; what was done after it is gone. Hostile uses are refused and change nothing.
 */
class BackupRestoreIT {

    /** A command's exit status and what it said. */
    private record Run(int exit, String out, String err) {
        String all() {
            return out + err;
        }
    }

    private static Run command(Path dataDir, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = DataCommands.run(args, Map.of("PGFLEET_DATA_DIR", dataDir.toString()),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static PgfleetServer start(Path dataDir) {
        return PgfleetServer.start(new ServerSettings("127.0.0.1", 0, dataDir, Optional.empty(), "postgres", "", 4,
                Optional.of(ServerSettings.TEST_ADMIN_PASSWORD), Optional.of(ServerSettings.TEST_REGISTRATION_SECRET),
                Duration.ofMinutes(15), TlsSettings.none()));
    }

    private static long count(PgfleetServer server, Path dataDir, String sql) throws Exception {
        String password = Files.readString(dataDir.resolve("postgres-password")).strip();
        try (Connection c = DriverManager.getConnection(server.databaseUrl(), "postgres", password);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static HttpResponse<String> refresh(int port, String refreshToken) {
        ApiClient c = new ApiClient(port);
        return c.send(c.request("/api/v1/auth/refresh").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"refresh_token\":\"" + refreshToken + "\"}")));
    }

    private static List<String> listing(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A copy of a backup whose manifest names another schema version. */
    private static void withSchemaVersion(Path from, Path to, String version) throws Exception {
        try (java.util.zip.ZipFile in = new java.util.zip.ZipFile(from.toFile());
             java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(to))) {
            for (java.util.zip.ZipEntry e : java.util.Collections.list(in.entries())) {
                byte[] data = in.getInputStream(e).readAllBytes();
                if (e.getName().equals("pgfleet-backup.properties")) {
                    data = new String(data, StandardCharsets.ISO_8859_1).replaceAll("(?m)^schema_version=.*$",
                            "schema_version=" + version).getBytes(StandardCharsets.ISO_8859_1);
                }
                out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
                out.write(data);
                out.closeEntry();
            }
        }
    }

    /** A copy of a backup whose manifest is edited (its data entries kept as they are). */
    private static void withManifest(Path from, Path to, java.util.function.Consumer<java.util.Properties> edit) throws Exception {
        try (java.util.zip.ZipFile in = new java.util.zip.ZipFile(from.toFile());
             java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(to))) {
            for (java.util.zip.ZipEntry e : java.util.Collections.list(in.entries())) {
                byte[] data = in.getInputStream(e).readAllBytes();
                if (e.getName().equals("pgfleet-backup.properties")) {
                    java.util.Properties p = new java.util.Properties();
                    p.load(new java.io.ByteArrayInputStream(data));
                    edit.accept(p);
                    ByteArrayOutputStream text = new ByteArrayOutputStream();
                    p.store(text, null);
                    data = text.toByteArray();
                }
                out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
                out.write(data);
                out.closeEntry();
            }
        }
    }

    /** A copy of a backup with one data entry edited (written anew, so that its checksum matches the edit). */
    private static void withEntry(Path from, Path to, String name, java.util.function.UnaryOperator<String> edit)
            throws Exception {
        try (java.util.zip.ZipFile in = new java.util.zip.ZipFile(from.toFile());
             java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(to))) {
            for (java.util.zip.ZipEntry e : java.util.Collections.list(in.entries())) {
                byte[] data = in.getInputStream(e).readAllBytes();
                if (e.getName().equals(name)) {
                    data = edit.apply(new String(data, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
                }
                out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
                out.write(data);
                out.closeEntry();
            }
        }
    }

    /** The values of one column of a table in a backup, as its COPY text holds them. */
    private static List<String> column(Path backup, String table, String column) throws Exception {
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(backup.toFile())) {
            java.util.Properties manifest = new java.util.Properties();
            manifest.load(zip.getInputStream(zip.getEntry("pgfleet-backup.properties")));
            int at = List.of(manifest.getProperty("columns." + table).split(",")).indexOf(column);
            assertTrue(at >= 0, manifest.getProperty("columns." + table));
            String rows = new String(zip.getInputStream(zip.getEntry("data/" + table + ".copy")).readAllBytes(),
                    StandardCharsets.UTF_8);
            return rows.lines().map(l -> l.split("\t")[at]).toList();
        }
    }

    /** What is logged (through java.util.logging, where the embedded PostgreSQL's output goes) while it runs. */
    private static String logged(Runnable action) {
        StringBuilder text = new StringBuilder();
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                synchronized (text) {
                    text.append(r.getMessage()).append('\n');
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        handler.setLevel(java.util.logging.Level.ALL);
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(handler);
        try {
            action.run();
        } finally {
            root.removeHandler(handler);
        }
        synchronized (text) {
            return text.toString();
        }
    }

    @Test
    void aBackupOfARunningServerRestoresVersionsUsersTokensAndAudit(@TempDir Path dataDir, @TempDir Path backups)
            throws Exception {
        Path backup = backups.resolve("pgfleet.backup");
        String agentRefresh;
        String collectorId;
        long auditAtBackup;
        long lastAuditAtBackup;
        try (PgfleetServer server = start(dataDir)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            assertEquals(201, admin.postJson("/api/v1/users",
                    "{\"username\":\"ops\",\"password\":\"password-of-ops\",\"role\":\"operator\"}").statusCode());
            ApiClient agent = new ApiClient(server.port());
            HttpResponse<String> registered = agent.send(agent.request("/api/v1/collectors/register")
                    .header("Content-Type", "application/json")
                    .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"db-7\"}")));
            assertEquals(201, registered.statusCode(), registered.body());
            collectorId = ApiClient.field(registered.body(), "collector_id");
            agentRefresh = ApiClient.field(registered.body(), "refresh_token");
            assertEquals(201, admin.putToml("/api/v1/config/" + collectorId, aDocument().pushInterval(10).toml()).statusCode());
            assertEquals(201, admin.putToml("/api/v1/config/" + collectorId, aDocument().pushInterval(20).toml()).statusCode());
            auditAtBackup = count(server, dataDir, "SELECT count(*) FROM audit_log");
            lastAuditAtBackup = count(server, dataDir, "SELECT max(id) FROM audit_log");
            assertTrue(auditAtBackup >= 2);

            Run done = command(dataDir, "backup", backup.toString());
            assertEquals(0, done.exit(), done.all());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(backup)),
                    "a backup holds password and token hashes and signing keys: its owner's only");

            // Hostile uses while the server runs: each refused, plainly, and nothing written or replaced.
            Run again = command(dataDir, "backup", backup.toString());
            assertEquals(1, again.exit(), again.all());
            assertTrue(again.err().contains("exists already"), again.all());
            Run unwritable = command(dataDir, "backup", "/proc/pgfleet.backup");
            assertEquals(1, unwritable.exit(), unwritable.all());
            assertTrue(unwritable.err().contains("cannot write /proc/pgfleet.backup"), unwritable.all());
            Run noDir = command(dataDir, "backup", backups.resolve("no/such/dir/x.backup").toString());
            assertEquals(1, noDir.exit(), noDir.all());
            assertTrue(noDir.err().contains("does not exist"), noDir.all());
            assertEquals(List.of("pgfleet.backup"), listing(backups), "no partial file left behind");
            Run whileRunning = command(dataDir, "restore", backup.toString());
            assertEquals(1, whileRunning.exit(), whileRunning.all());
            assertTrue(whileRunning.err().contains("a pgfleet server is running on"), whileRunning.all());

            // After the backup: a third version, another user, the agent's token rotated.
            assertEquals(201, admin.putToml("/api/v1/config/" + collectorId, aDocument().pushInterval(30).toml()).statusCode());
            assertEquals(201, admin.postJson("/api/v1/users",
                    "{\"username\":\"late\",\"password\":\"password-of-late\",\"role\":\"viewer\"}").statusCode());
            assertEquals(200, admin.get("/api/v1/config/" + collectorId).statusCode());
        }

        // Stopped: garbage, a truncated backup and a foreign directory are refused before anything changes.
        List<String> before = listing(dataDir);
        Path garbage = backups.resolve("garbage.backup");
        Files.writeString(garbage, "this is not a backup");
        Run refused = command(dataDir, "restore", garbage.toString());
        assertEquals(1, refused.exit(), refused.all());
        assertTrue(refused.err().contains("is not a pgfleet backup"), refused.all());
        byte[] bytes = Files.readAllBytes(backup);
        Path truncated = backups.resolve("truncated.backup");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        Run cut = command(dataDir, "restore", truncated.toString());
        assertEquals(1, cut.exit(), cut.all());
        assertTrue(cut.err().contains("not a pgfleet backup") || cut.err().contains("damaged"), cut.all());
        Path newer = backups.resolve("newer.backup");
        withSchemaVersion(backup, newer, "999");
        Run tooNew = command(dataDir, "restore", newer.toString());
        assertEquals(1, tooNew.exit(), tooNew.all());
        assertTrue(tooNew.err().contains("made by a newer pgfleet release (schema version 999)"), tooNew.all());
        // A manifest that leaves a table out would restore it empty (no users: nobody can log in).
        Path withoutUsers = backups.resolve("without-users.backup");
        withManifest(backup, withoutUsers, p -> p.setProperty("tables", String.join(",",
                Stream.of(p.getProperty("tables").split(",")).filter(t -> !t.equals("users")).toList())));
        Run partial = command(dataDir, "restore", withoutUsers.toString());
        assertEquals(1, partial.exit(), partial.all());
        assertTrue(partial.err().contains("is damaged: table users") && partial.err().contains("missing"), partial.all());
        // A manifest inflated far beyond any real one (a ZIP bomb) is refused before it is read whole.
        Path bomb = backups.resolve("bomb.backup");
        withManifest(backup, bomb, p -> p.setProperty("padding", "x".repeat(8 * 1024 * 1024)));
        assertTrue(Files.size(bomb) < 1024 * 1024, "the padding compresses");
        Run inflated = command(dataDir, "restore", bomb.toString());
        assertEquals(1, inflated.exit(), inflated.all());
        assertTrue(inflated.err().contains("manifest is larger than"), inflated.all());
        // A tampered row (a column too many, its checksum made to match): refused naming the table,
        // the line and why, never with the row itself, which holds a password hash.
        Path tampered = backups.resolve("tampered.backup");
        withEntry(backup, tampered, "data/users.copy", rows -> rows.replaceAll("(?m)$(?=\n)", "\tforged"));
        List<String> hashes = column(backup, "users", "password_hash");
        assertTrue(hashes.size() >= 2 && hashes.stream().allMatch(h -> h.length() > 20), hashes.toString());
        Run[] forged = new Run[1];
        String log = logged(() -> forged[0] = command(dataDir, "restore", tampered.toString()));
        assertEquals(1, forged[0].exit(), forged[0].all());
        assertTrue(forged[0].err().startsWith("pgfleet restore: " + tampered + " cannot be restored: table users, line 1:"
                + " extra data after last expected column"), forged[0].all());
        assertEquals(1, forged[0].err().lines().count(), forged[0].all());
        for (String hash : hashes) {
            assertFalse(forged[0].all().contains(hash), "a password hash in what the restore said:\n" + forged[0].all());
            assertFalse(log.contains(hash), "a password hash in what the restore logged:\n" + log);
        }
        Path foreign = backups.resolve("home");
        Files.createDirectories(foreign);
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        Run notOurs = command(foreign, "restore", backup.toString());
        assertEquals(1, notOurs.exit(), notOurs.all());
        assertTrue(notOurs.err().contains("is not a pgfleet data directory"), notOurs.all());
        assertEquals(List.of("notes.txt"), listing(foreign));
        assertEquals(before, listing(dataDir), "refused restores left the data directory as it was");

        Run restored = command(dataDir, "restore", backup.toString());
        assertEquals(0, restored.exit(), restored.all());
        List<String> afterRestore = listing(dataDir);
        String kept = afterRestore.stream().filter(n -> n.startsWith("postgres.before-restore-")).findFirst()
                .orElseThrow(() -> new AssertionError(afterRestore.toString()));
        assertTrue(restored.out().contains("is kept as " + dataDir.toAbsolutePath().resolve(kept)), restored.all());
        assertFalse(listing(dataDir).contains("restore.staging"));
        // As if the restore had been killed between moving the old cluster aside and the new one into
        // place: the next start completes it rather than creating an empty database.
        Files.move(dataDir.resolve("postgres"), dataDir.resolve("postgres.restored"));
        // A restore refused now must not throw away the complete restored cluster waiting there.
        Run refusedAfterKill = command(dataDir, "restore", withoutUsers.toString());
        assertEquals(1, refusedAfterKill.exit(), refusedAfterKill.all());

        try (PgfleetServer server = start(dataDir)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            HttpResponse<String> latest = admin.get("/api/v1/config/" + collectorId);
            assertEquals(200, latest.statusCode(), latest.body());
            assertEquals("2", latest.headers().firstValue("X-Config-Version").orElseThrow(), "the version at the backup");
            assertEquals(aDocument().pushInterval(20).toml(), latest.body());
            assertEquals(200, new ApiClient(server.port()).login("ops", "password-of-ops").statusCode());
            assertEquals(401, new ApiClient(server.port()).login("late", "password-of-late").statusCode());
            HttpResponse<String> agentAgain = refresh(server.port(), agentRefresh);
            assertEquals(200, agentAgain.statusCode(), "the agent's refresh token of the backup works: " + agentAgain.body());
            assertEquals(auditAtBackup, count(server, dataDir, "SELECT count(*) FROM audit_log WHERE id <= " + lastAuditAtBackup),
                    "the audit trail of the backup is all there");
            // The next publish follows the restored history, its audit entry after the restored ones.
            HttpResponse<String> next = admin.putToml("/api/v1/config/" + collectorId, aDocument().pushInterval(40).toml());
            assertEquals(201, next.statusCode(), next.body());
            assertEquals("3", next.headers().firstValue("X-Config-Version").orElseThrow());
            assertEquals(auditAtBackup, count(server, dataDir, "SELECT count(*) FROM audit_log WHERE id <= " + lastAuditAtBackup));
        }
    }
}
