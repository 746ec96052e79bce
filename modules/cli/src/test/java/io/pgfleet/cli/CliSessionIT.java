package io.pgfleet.cli;

import io.pgfleet.server.PgfleetServer;
import io.pgfleet.server.ServerSettings;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI's session: the access token is refreshed by itself (ahead of expiry and after a refusal)
 * without a new login, parallel processes share one rotation, and a server that is down is one
 * line and exit 6. The server here issues access tokens that live 10 s, the shortest it allows.
 */
class CliSessionIT {

    private static final Duration SHORT_TTL = Duration.ofSeconds(10);
    @TempDir
    static Path tmp;
    private static TestDatabase database;
    private static PgfleetServer server;

    @BeforeAll
    static void start() {
        database = TestPostgres.newDatabase();
        server = CliProcess.server(database, tmp.resolve("data"), SHORT_TTL);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static CliProcess loggedIn(String home) {
        CliProcess cli = new CliProcess(tmp.resolve(home).resolve("pgfleet"), CliProcess.url(server));
        cli.login();
        return cli;
    }

    private static void rewriteSession(CliProcess cli, String field, String value) throws IOException {
        ObjectNode s = (ObjectNode) cli.session();
        s.put(field, value);
        Files.writeString(cli.configDir().resolve("session.json"), s.toString());
    }

    @Test
    void anExpiredAccessTokenIsRefreshedWithoutANewLogin() throws Exception {
        CliProcess cli = loggedIn("expiry");
        JsonNode first = cli.session();
        Instant expiry = Instant.parse(first.path("expires_at").asString());
        // A fresh token is used as it is.
        cli.run("collectors", "-o", "json").expect(ExitCodes.OK);
        assertEquals(first.path("access_token").asString(), cli.session().path("access_token").asString());

        Instant deadline = Instant.now().plusSeconds(60);
        while (!Instant.now().isAfter(expiry)) {
            assertTrue(Instant.now().isBefore(deadline), "the access token never expired");
            Thread.sleep(200);
        }
        cli.run("collectors", "-o", "json").expect(ExitCodes.OK);
        JsonNode after = cli.session();
        assertNotEquals(first.path("access_token").asString(), after.path("access_token").asString());
        assertNotEquals(first.path("refresh_token").asString(), after.path("refresh_token").asString());
        assertTrue(Instant.parse(after.path("expires_at").asString()).isAfter(expiry));
    }

    @Test
    void aRefusedAccessTokenIsRefreshedOnceAndTheCommandSucceeds() throws IOException {
        CliProcess cli = loggedIn("refused");
        String refresh = cli.session().path("refresh_token").asString();
        rewriteSession(cli, "access_token", "not-a-token");
        cli.run("collectors", "-o", "json").expect(ExitCodes.OK);
        assertNotEquals("not-a-token", cli.session().path("access_token").asString());
        assertNotEquals(refresh, cli.session().path("refresh_token").asString());
    }

    @Test
    void parallelProcessesRefreshOnceBetweenThemAndNoneIsLoggedOut() throws Exception {
        CliProcess cli = loggedIn("parallel");
        String refresh = cli.session().path("refresh_token").asString();
        // Every process now finds an expired token and wants to refresh with the same refresh token;
        // spending it twice would make the server revoke the whole session.
        rewriteSession(cli, "expires_at", Instant.now().minusSeconds(1).toString());
        List<CliProcess.Running> running = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            running.add(cli.start("", "collectors", "-o", "json"));
        }
        for (CliProcess.Running r : running) {
            r.await().expect(ExitCodes.OK);
        }
        assertNotEquals(refresh, cli.session().path("refresh_token").asString());
        // The session is still good: the family was not revoked.
        rewriteSession(cli, "expires_at", Instant.now().minusSeconds(1).toString());
        cli.run("whoami", "-o", "json").expect(ExitCodes.OK);
    }

    @Test
    void aSpentSessionAsksForANewLogin() throws IOException {
        CliProcess cli = loggedIn("spent");
        rewriteSession(cli, "refresh_token", "spent-or-stolen");
        rewriteSession(cli, "expires_at", Instant.now().minusSeconds(1).toString());
        CliProcess.Run r = cli.run("collectors").expect(ExitCodes.AUTH);
        assertTrue(r.err().contains("pgfleet login"), r.err());
        cli.run("whoami").expect(ExitCodes.AUTH);
    }

    @Test
    void aDamagedSessionFileIsSaidToBeSoNotTakenForNoLoginAndALoginReplacesIt() throws IOException {
        CliProcess cli = loggedIn("damaged");
        Path file = cli.configDir().resolve("session.json");
        String url = CliProcess.url(server);
        for (String[] damage : new String[][] {{"{\"server\": \"" + url, "not JSON"}, {"", "empty"},
                {"[]", "not a JSON object"}, {"{\"server\": \"" + url + "\"}", "no subject"}}) {
            Files.writeString(file, damage[0]);
            for (String command : new String[] {"collectors", "whoami"}) {
                CliProcess.Run r = cli.run(command).expect(ExitCodes.AUTH);
                assertEquals("pgfleet: the cached session " + file + " cannot be used (" + damage[1]
                        + "); run: pgfleet login --server " + url + "\n", r.err(), damage[0]);
            }
        }
        cli.run("logout").expect(ExitCodes.OK);
        assertFalse(Files.exists(file), "a logout leaves no damaged file behind");
        CliProcess.Run r = cli.run("collectors").expect(ExitCodes.AUTH);
        assertTrue(r.err().startsWith("pgfleet: not logged in; run: pgfleet login"), r.err());
        Files.writeString(file, "{");
        cli.login();
        cli.run("collectors").expect(ExitCodes.OK);
    }

    @Test
    void aSessionRefusedAtItsRefreshHintsALoginToItsOwnServerNotTheDefaultOne() throws IOException {
        CliProcess cli = loggedIn("hint");
        String url = CliProcess.url(server);
        // Neither --server nor PGFLEET_SERVER: only the session knew the server.
        cli.env("PGFLEET_SERVER", "");
        rewriteSession(cli, "refresh_token", "spent-or-stolen");
        rewriteSession(cli, "expires_at", Instant.now().minusSeconds(1).toString());
        CliProcess.Run refused = cli.run("collectors").expect(ExitCodes.AUTH);
        assertTrue(refused.err().contains("run: pgfleet login --server " + url), refused.err());
        CliProcess.Run next = cli.run("collectors").expect(ExitCodes.AUTH);
        assertTrue(next.err().contains("not logged in; run: pgfleet login --server " + url), next.err());
        CliProcess.Run who = cli.run("whoami").expect(ExitCodes.AUTH);
        assertTrue(who.err().contains("pgfleet login --server " + url), who.err());
    }

    @Test
    void whoamiShowsTheRoleTheServerGivesNowAndTheCachedOneLabelledSoWhenTheServerCannotBeReached()
            throws IOException {
        CliProcess admin = loggedIn("whoami-admin");
        admin.runWithInput("a-long-demoted-password\n", "users", "create", "demoted", "--role", "admin",
                "--password-stdin").expect(ExitCodes.OK);
        CliProcess user = new CliProcess(tmp.resolve("whoami-user").resolve("pgfleet"), CliProcess.url(server));
        user.runWithInput("a-long-demoted-password\n", "login", "-u", "demoted", "--password-stdin").expect(ExitCodes.OK);
        admin.run("users", "update", "demoted", "--role", "viewer").expect(ExitCodes.OK);

        JsonNode me = user.run("whoami", "-o", "json").expect(ExitCodes.OK).json();
        assertEquals("demoted", me.path("subject").asString());
        assertEquals("viewer", me.path("role").asString(), "the server's answer, not the role cached at the login");
        assertEquals("server", me.path("source").asString());

        // A server that is not there: what the cache holds, said to be the cache's.
        String nowhere = "http://127.0.0.1:1";
        rewriteSession(user, "server", nowhere);
        user.env("PGFLEET_SERVER", nowhere);
        CliProcess.Run offline = user.run("whoami", "-o", "json").expect(ExitCodes.OK);
        assertEquals("cache", offline.json().path("source").asString());
        assertEquals("viewer", offline.json().path("role").asString(), "as the last answer left it");
        assertTrue(offline.err().contains("cannot reach the server at " + nowhere)
                && offline.err().contains("showing the cached session"), offline.err());
    }

    @Test
    void logoutEndsTheSessionOnTheServerAndForgetsIt() throws Exception {
        CliProcess cli = loggedIn("logout");
        String access = cli.session().path("access_token").asString();
        assertEquals(200, usersWith(access));

        CliProcess.Run out = cli.run("logout", "-o", "json").expect(ExitCodes.OK);
        assertTrue(out.json().path("ended_on_server").asBoolean(), out.out());
        assertEquals(401, usersWith(access), "a copy of the session's access token stops working too");
        cli.run("whoami").expect(ExitCodes.AUTH);
        cli.run("logout").expect(ExitCodes.OK);

        // A server that cannot be reached: forgotten here all the same, and said so.
        CliProcess offline = loggedIn("logout-offline");
        rewriteSession(offline, "server", "http://127.0.0.1:1");
        offline.env("PGFLEET_SERVER", "http://127.0.0.1:1");
        CliProcess.Run away = offline.run("logout", "-o", "json").expect(ExitCodes.OK);
        assertFalse(away.json().path("ended_on_server").asBoolean(), away.out());
        assertTrue(away.err().contains("the server could not be told"), away.err());
        assertFalse(Files.exists(offline.configDir().resolve("session.json")), "not cached any more");
    }

    @Test
    void aLoginOverAStoredSessionEndsThatSessionOnTheServer() throws Exception {
        CliProcess cli = loggedIn("relogin");
        JsonNode first = cli.session();
        String access = first.path("access_token").asString();

        // A login that fails replaces nothing: the session goes on.
        cli.runWithInput("not-the-password\n", "login", "--username", "admin", "--password-stdin")
                .expect(ExitCodes.AUTH);
        assertEquals(access, cli.session().path("access_token").asString());
        assertEquals(200, usersWith(access));

        // Its refresh token is forgotten at the next login; left open, its family would count among
        // the user's sessions_per_user for 30 days, and a script logging in at every run would end
        // its user's other sessions for the limit.
        cli.login().assertNoStackTrace();
        assertNotEquals(access, cli.session().path("access_token").asString());
        assertEquals(401, usersWith(access), "the replaced session's access token stops working");
        assertEquals(401, refreshWith(first.path("refresh_token").asString()), "and so does its refresh token");
        cli.run("whoami").expect(ExitCodes.OK);
    }

    @Test
    void aLoginOverAnotherServersSessionSendsThatSessionNowhereAndSaysItGoesOn() throws Exception {
        CliProcess cli = loggedIn("relogin-elsewhere");
        JsonNode first = cli.session();
        String other = "http://127.0.0.1:1";
        // The stored session as another server's (a login there before): its refresh token is that
        // server's secret, not to be sent to the one this login is for.
        ObjectNode elsewhere = (ObjectNode) first.deepCopy();
        elsewhere.put("server", other);
        Files.writeString(cli.configDir().resolve("session.json"), elsewhere.toString());

        CliProcess.Run r = cli.login();
        assertTrue(r.err().contains("the session stored before for " + other + " (another server than this login's) is"
                + " replaced but not ended"), r.err());
        assertEquals(CliProcess.url(server), cli.session().path("server").asString());
        // Not sent here either: this server did not end it (it is really this server's, so it would have).
        assertEquals(200, usersWith(first.path("access_token").asString()));
        assertEquals(200, refreshWith(first.path("refresh_token").asString()));
    }

    private static int refreshWith(String refreshToken) throws Exception {
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(CliProcess.url(server)
                                    + "/api/v1/auth/refresh")).header("Content-Type", "application/json")
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                                    CliProcess.JSON.createObjectNode().put("refresh_token", refreshToken).toString()))
                            .build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }

    @Test
    void logoutFromAnotherServerThanTheSessionsIsRefusedAndTheSessionKept() throws Exception {
        CliProcess cli = loggedIn("logout-elsewhere");
        String url = CliProcess.url(server);
        String access = cli.session().path("access_token").asString();
        String other = "http://127.0.0.1:1";

        CliProcess.Run r = cli.run("--server", other, "logout").expect(ExitCodes.AUTH);
        assertEquals("pgfleet: not logged in to " + other + "; the session stored here is for " + url
                + " and is kept (to end it: pgfleet logout --server " + url + ")", r.err().strip());
        assertEquals(access, cli.session().path("access_token").asString(), "the session file is as it was");
        assertEquals(200, usersWith(access), "the session goes on on its server");
        cli.run("whoami").expect(ExitCodes.OK);

        // Named, the session's own server ends it.
        assertTrue(cli.run("--server", url, "logout", "-o", "json").expect(ExitCodes.OK).json()
                .path("ended_on_server").asBoolean());
        assertEquals(401, usersWith(access));
    }

    private static int usersWith(String accessToken) throws Exception {
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(CliProcess.url(server)
                            + "/api/v1/users")).header("Authorization", "Bearer " + accessToken).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }

    @Test
    void aServerThatIsDownIsExitSixAndOneLine() {
        PgfleetServer doomed = CliProcess.server(database, tmp.resolve("doomed"), Duration.ofMinutes(15));
        String url = CliProcess.url(doomed);
        CliProcess cli = new CliProcess(tmp.resolve("down").resolve("pgfleet"), url);
        cli.login();
        doomed.close();
        CliProcess.Run r = cli.run("config", "get", "db-01").expect(ExitCodes.UNAVAILABLE);
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("pgfleet: cannot reach the server at " + url), r.err());
        CliProcess.Run login = cli.runWithInput("x\n", "login", "-u", "admin", "--password-stdin").expect(ExitCodes.UNAVAILABLE);
        assertEquals(1, login.err().lines().count(), login.err());
    }

    /**
     * A watch follows the configuration through a restart of the server, as an agent does: it says
     * once that it lost the server and once that it watches again, goes on after the last version it
     * printed, and prints what was published meanwhile (here by another instance on the same
     * database, as in a rolling restart) and after the restart, each once.
     */
    @Test
    void aWatchFollowsTheConfigurationThroughARestartOfTheServer() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        ServerSettings settings = CliProcess.settings(db, tmp.resolve("restarted"), Duration.ofMinutes(15));
        PgfleetServer first = PgfleetServer.start(settings);
        settings = settings.withPort(first.port());
        String url = CliProcess.url(first);
        CliProcess cli = new CliProcess(tmp.resolve("restart").resolve("pgfleet"), url);
        cli.login();
        cli.run("collectors", "create", "db-watched").expect(ExitCodes.OK);
        cli.runWithInput(document(1), "config", "put", "db-watched", "-").expect(ExitCodes.OK);
        CliProcess.Running watch = cli.start("", "config", "watch", "db-watched", "--after", "1", "--wait", "5", "-o", "json");
        PgfleetServer again = null;
        try {
            cli.runWithInput(document(2), "config", "put", "db-watched", "-").expect(ExitCodes.OK);
            awaitVersions(watch, List.of(2));

            first.close();
            awaitError(watch, "pgfleet: lost the server at " + url + " (");

            // Meanwhile another instance on the same database takes a publish.
            PgfleetServer other = CliProcess.server(db, tmp.resolve("other"), Duration.ofMinutes(15));
            try {
                CliProcess elsewhere = new CliProcess(tmp.resolve("restart-other").resolve("pgfleet"), CliProcess.url(other));
                elsewhere.login();
                elsewhere.runWithInput(document(3), "config", "put", "db-watched", "-").expect(ExitCodes.OK);
            } finally {
                other.close();
            }

            again = PgfleetServer.start(settings);
            awaitVersions(watch, List.of(2, 3));
            awaitError(watch, "pgfleet: the server at " + url + " answers again; watching db-watched for versions after 2");
            cli.runWithInput(document(4), "config", "put", "db-watched", "-").expect(ExitCodes.OK);
            awaitVersions(watch, List.of(2, 3, 4));

            assertTrue(watch.alive(), "the watch goes on");
            List<String> err = watch.errorsSoFar().lines().toList();
            assertEquals(2, err.size(), watch.errorsSoFar());
            assertTrue(err.get(0).startsWith("pgfleet: lost the server at " + url + " (")
                    && err.get(0).endsWith("); retrying (after 1 s, doubling to 30 s) to watch db-watched for versions"
                    + " after 2"), err.get(0));
            assertFalse(watch.errorsSoFar().contains("\tat "), "no stack trace");
        } finally {
            watch.kill();
            if (again != null) {
                again.close();
            }
        }
    }

    private static String document(int pushInterval) {
        return "[collector]\npush_interval = " + (10 + pushInterval) + "\n";
    }

    /** Waits until the watch has printed exactly these versions, failing if it ends first. */
    private static void awaitVersions(CliProcess.Running watch, List<Integer> expected) throws Exception {
        Instant deadline = Instant.now().plusSeconds(90);
        while (true) {
            List<Integer> seen = watch.outputSoFar().lines().filter(l -> l.endsWith("}"))
                    .map(l -> CliProcess.JSON.readTree(l).path("version").asInt()).toList();
            if (seen.equals(expected)) {
                return;
            }
            assertTrue(seen.size() < expected.size() && expected.subList(0, seen.size()).equals(seen),
                    "printed " + seen + ", expected " + expected);
            assertTrue(watch.alive(), "the watch ended: " + watch.errorsSoFar());
            assertTrue(Instant.now().isBefore(deadline), "printed " + seen + ", still waiting for " + expected
                    + "; stderr: " + watch.errorsSoFar());
            Thread.sleep(100);
        }
    }

    /** Waits until the watch has said this on standard error, failing if it ends first. */
    private static void awaitError(CliProcess.Running watch, String line) throws Exception {
        Instant deadline = Instant.now().plusSeconds(90);
        while (!watch.errorsSoFar().contains(line)) {
            assertTrue(watch.alive(), "the watch ended: " + watch.errorsSoFar());
            assertTrue(Instant.now().isBefore(deadline), "never said '" + line + "': " + watch.errorsSoFar());
            Thread.sleep(100);
        }
    }
}
