package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PGFLEET_ADMIN_PASSWORD is used on the first start only, and a later start that sets it says so;
 * a lost administrator password is reset on the server host with the jar's
 * {@code reset-admin-password} command, whether the server runs or not, on the embedded or an
 * external PostgreSQL.
 */
class AdministratorPasswordRecoveryIT {

    private static final Map<String, String> FIRST = Map.of("PGFLEET_ADMIN_PASSWORD", ServerSettings.TEST_ADMIN_PASSWORD);
    private static final String NEW_PASSWORD = "recovered-admin-password";
    private static final Pattern GENERATED = Pattern.compile("the new password of 'admin' is: (\\S+)");

    @RegisterExtension
    static final RunningServer EXTERNAL = new RunningServer();

    @Test
    void anAdminPasswordSetOnALaterStartIsIgnoredWithOneWarningNamingTheRecovery(@TempDir Path dataDir) throws Exception {
        try (ServerProcess first = ServerProcess.start(dataDir, FIRST)) {
            assertFalse(first.startOutput().contains("PGFLEET_ADMIN_PASSWORD"), "nothing to warn of on the first start:\n"
                    + first.startOutput());
        }
        String other = "another-admin-password";
        try (ServerProcess later = ServerProcess.start(dataDir, Map.of("PGFLEET_ADMIN_PASSWORD", other))) {
            String out = later.startOutput();
            assertEquals(1, out.lines().filter(l -> l.contains("WARNING") && l.contains("PGFLEET_ADMIN_PASSWORD")
                    && l.contains("used only on the first start") && l.contains("reset-admin-password")).count(),
                    "one warning line naming the recovery:\n" + out);
            assertFalse(out.contains(other), "the value is never logged:\n" + out);
            assertEquals(401, new ApiClient(later.port()).login("admin", other).statusCode());
            assertEquals(200, new ApiClient(later.port()).login("admin", ServerSettings.TEST_ADMIN_PASSWORD).statusCode());
        }
    }

    @Test
    void aResetBesideARunningServerOnItsEmbeddedDatabaseEndsTheSessionsAndIsAudited(@TempDir Path dataDir) throws Exception {
        try (ServerProcess server = ServerProcess.start(dataDir, FIRST)) {
            ApiClient before = new ApiClient(server.port());
            String refresh = ApiClient.field(before.login("admin", ServerSettings.TEST_ADMIN_PASSWORD).body(), "refresh_token");
            assertEquals(201, before.postJson("/api/v1/users",
                    "{\"username\":\"watcher\",\"password\":\"watcher-password\",\"role\":\"viewer\"}").statusCode());

            ServerProcess.Failed reset = ServerProcess.runCommand(dataDir, Map.of(), NEW_PASSWORD + "\n",
                    "reset-admin-password", "--user", "admin", "--password-stdin");

            assertEquals(0, reset.exit(), reset.output());
            assertTrue(reset.output().contains("reset the password of administrator 'admin'"), reset.output());
            assertFalse(reset.output().contains(NEW_PASSWORD), "a password read from standard input is not echoed:\n"
                    + reset.output());
            assertEquals(401, new ApiClient(server.port()).login("admin", ServerSettings.TEST_ADMIN_PASSWORD).statusCode(),
                    "the old password is refused");
            ApiClient after = new ApiClient(server.port());
            assertEquals(200, after.login("admin", NEW_PASSWORD).statusCode(), "the new one logs in");
            assertEquals(401, refresh(server.port(), refresh).statusCode(), "the session of before the reset is ended");
            HttpResponse<String> audit = after.get("/api/v1/audit");
            assertEquals(200, audit.statusCode(), audit.body());
            assertTrue(audit.body().contains("password reset from the server host"), audit.body());
        }
    }

    @Test
    void aNonAdministratorOrAnUnknownUserIsRefusedAndNothingChanges(@TempDir Path dataDir) throws Exception {
        try (ServerProcess server = ServerProcess.start(dataDir, FIRST)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            assertEquals(201, admin.postJson("/api/v1/users",
                    "{\"username\":\"watcher\",\"password\":\"watcher-password\",\"role\":\"viewer\"}").statusCode());

            ServerProcess.Failed viewer = ServerProcess.runCommand(dataDir, Map.of(), NEW_PASSWORD + "\n",
                    "reset-admin-password", "--user", "watcher", "--password-stdin");
            assertEquals(1, viewer.exit(), viewer.output());
            assertTrue(viewer.output().contains("'watcher' is not an administrator (role viewer); nothing was changed"),
                    viewer.output());
            ServerProcess.Failed unknown = ServerProcess.runCommand(dataDir, Map.of(), "",
                    "reset-admin-password", "--user", "nobody");
            assertEquals(1, unknown.exit(), unknown.output());
            assertTrue(unknown.output().contains("there is no user 'nobody'; nothing was changed"), unknown.output());
            ServerProcess.Failed onTheCommandLine = ServerProcess.runCommand(dataDir, Map.of(), "",
                    "reset-admin-password", "--user", "admin", "--password", NEW_PASSWORD);
            assertEquals(2, onTheCommandLine.exit(), onTheCommandLine.output());
            assertTrue(onTheCommandLine.output().contains("use --password-stdin"), onTheCommandLine.output());

            assertEquals(200, new ApiClient(server.port()).login("watcher", "watcher-password").statusCode());
            assertEquals(401, new ApiClient(server.port()).login("watcher", NEW_PASSWORD).statusCode());
            assertEquals(200, new ApiClient(server.port()).login("admin", ServerSettings.TEST_ADMIN_PASSWORD).statusCode());
            assertFalse(admin.get("/api/v1/audit").body().contains("password reset from the server host"));
        }
    }

    @Test
    void aResetWithTheServerStoppedGeneratesThePasswordAndEnablesADisabledAdministrator(@TempDir Path dataDir)
            throws Exception {
        try (ServerProcess server = ServerProcess.start(dataDir, FIRST)) {
            ApiClient admin = ApiClient.asAdmin(server.port());
            assertEquals(201, admin.postJson("/api/v1/users",
                    "{\"username\":\"second\",\"password\":\"second-admin-password\",\"role\":\"admin\"}").statusCode());
            ApiClient second = new ApiClient(server.port());
            assertEquals(200, second.login("second", "second-admin-password").statusCode());
            assertEquals(200, patch(second, "admin", "{\"enabled\":false}").statusCode());
        }

        ServerProcess.Failed reset = ServerProcess.runCommand(dataDir, Map.of(), "", "reset-admin-password", "--user", "admin");

        assertEquals(0, reset.exit(), reset.output());
        assertTrue(reset.output().contains("and enabled them again"), reset.output());
        Matcher m = GENERATED.matcher(reset.output());
        assertTrue(m.find(), "the generated password is shown:\n" + reset.output());
        try (ServerProcess server = ServerProcess.start(dataDir, Map.of())) {
            assertFalse(server.startOutput().contains("PGFLEET_ADMIN_PASSWORD"), server.startOutput());
            assertEquals(200, new ApiClient(server.port()).login("admin", m.group(1)).statusCode());
        }
    }

    @Test
    void aResetOnAnExternalDatabaseReachesTheServerRunningOnIt(@TempDir Path dataDir) throws Exception {
        ApiClient before = new ApiClient(EXTERNAL.port());
        String refresh = ApiClient.field(before.login("admin", ServerSettings.TEST_ADMIN_PASSWORD).body(), "refresh_token");

        ServerProcess.Failed reset = ServerProcess.runCommand(dataDir, Map.of("PGFLEET_DB_URL", EXTERNAL.database().url(),
                        "PGFLEET_DB_USER", EXTERNAL.database().user(), "PGFLEET_DB_PASSWORD", EXTERNAL.database().password()),
                NEW_PASSWORD + "\n", "reset-admin-password", "--user", "admin", "--password-stdin");

        assertEquals(0, reset.exit(), reset.output());
        assertEquals(401, new ApiClient(EXTERNAL.port()).login("admin", ServerSettings.TEST_ADMIN_PASSWORD).statusCode());
        assertEquals(200, new ApiClient(EXTERNAL.port()).login("admin", NEW_PASSWORD).statusCode());
        assertEquals(401, refresh(EXTERNAL.port(), refresh).statusCode());
        assertEquals(1, EXTERNAL.database().count("SELECT count(*) FROM audit_log WHERE detail = ? AND action = 'user.update'",
                "password reset from the server host"));
    }

    private static HttpResponse<String> refresh(int port, String token) {
        return new ApiClient(port).postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"" + token + "\"}");
    }

    private static HttpResponse<String> patch(ApiClient client, String user, String json) {
        return client.send(client.request("/api/v1/users/" + user).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(json)));
    }
}
