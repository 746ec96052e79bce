package io.pgfleet.cli;

import io.pgfleet.server.ServerSettings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator CLI, run as a process (the shipped jar) against a real server on a real
 * PostgreSQL: what an operator types and what a script relies on (exit codes, JSON output).
 */
class CliIT {

    static final String DOC_1 = "[collector]\npush_interval = 30\n\n[collectors.pg_stats]\ninterval = 10\n";
    static final String DOC_2 = "[collector]\npush_interval = 30\n\n[collectors.pg_stats]\ninterval = 2\n";
    static final String INVALID = "[collector]\npush_interval = 0\n[postgres]\npassword = \"x\"\n";

    private static final AtomicInteger IDS = new AtomicInteger();
    @TempDir
    static Path tmp;
    @RegisterExtension
    static final CliServer SERVER = new CliServer();
    private static CliProcess cli;

    @BeforeAll
    static void session() {
        cli = SERVER.cli();
    }

    private static String newCollector() {
        String id = "cli-" + IDS.incrementAndGet();
        cli.run("collectors", "create", id, "--label", "env=test", "--label", "tier=" + (IDS.get() % 2 == 0 ? "a" : "b"))
                .expect(ExitCodes.OK);
        return id;
    }

    private static Path file(String name, String text) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void loginCachesThePairPrivatelyAndWhoamiReadsIt() throws IOException {
        Path session = cli.configDir().resolve("session.json");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(session)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cli.configDir())));
        JsonNode me = cli.run("whoami", "--output", "json").expect(ExitCodes.OK).json();
        assertEquals("admin", me.path("subject").asString());
        assertEquals("admin", me.path("role").asString());
        assertEquals(SERVER.url(), me.path("server").asString());
        assertTrue(cli.run("whoami").expect(ExitCodes.OK).out().contains("subject"));
    }

    @Test
    void putGetAndJsonOutput() throws IOException {
        String id = newCollector();
        CliProcess.Run put = cli.run("config", "put", id, file(id + ".toml", DOC_1).toString(), "-m", "first").expect(ExitCodes.OK);
        assertTrue(put.out().startsWith("Published " + id + " version 1"), put.out());
        assertEquals(DOC_1, cli.run("config", "get", id).expect(ExitCodes.OK).out());
        assertEquals(DOC_1, cli.run("config", "get", id, "--own").expect(ExitCodes.OK).out());

        JsonNode got = cli.run("config", "get", id, "-o", "json").expect(ExitCodes.OK).json();
        assertEquals(1, got.path("version").asInt());
        assertEquals(DOC_1, got.path("document").asString());
        assertTrue(got.path("etag").asString().matches("\"1-[0-9a-f]{16}\""), got.toString());

        // the same document again: nothing stored, still exit 0
        JsonNode same = cli.runWithInput(DOC_1, "config", "put", id, "-", "--output", "json").expect(ExitCodes.OK).json();
        assertEquals(1, same.path("version").asInt());

        JsonNode fleet = cli.run("collectors", "--selector", "env=test", "-o", "json").expect(ExitCodes.OK).json();
        List<String> ids = new ArrayList<>();
        fleet.path("collectors").forEach(c -> ids.add(c.path("id").asString()));
        assertTrue(ids.contains(id), ids.toString());
        assertTrue(cli.run("collectors", "--selector", "env=nowhere", "-o", "json").expect(ExitCodes.OK).json()
                .path("collectors").isEmpty());
        JsonNode shown = cli.run("collectors", "show", id, "-o", "json").expect(ExitCodes.OK).json();
        assertEquals(1, shown.path("latest_version").asInt());
        assertTrue(cli.run("collectors").expect(ExitCodes.OK).out().startsWith("ID"));
        assertTrue(cli.run("collectors", "show", id, "-o", "toml").expect(ExitCodes.OK).out().contains("latest_version = 1"));
    }

    @Test
    void collectorsFollowsThePagesAndTheServerFiltersBySelector() {
        String batch = "b" + IDS.incrementAndGet();
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String id = newCollector();
            cli.run("collectors", "label", id, "batch=" + batch).expect(ExitCodes.OK);
            created.add(id);
        }
        // One collector per page: the CLI follows `next` until the last page.
        JsonNode paged = cli.run("collectors", "--selector", "batch=" + batch, "--page-size", "1", "-o", "json")
                .expect(ExitCodes.OK).json();
        List<String> ids = new ArrayList<>();
        paged.path("collectors").forEach(c -> ids.add(c.path("id").asString()));
        assertEquals(created.stream().sorted().toList(), ids);
        int all = cli.run("collectors", "-o", "json").expect(ExitCodes.OK).json().path("collectors").size();
        assertEquals(all, cli.run("collectors", "--page-size", "2", "-o", "json").expect(ExitCodes.OK).json()
                .path("collectors").size());
        assertTrue(cli.run("collectors", "-o", "json").expect(ExitCodes.OK).json().path("collectors").get(0).has("stale"));
    }

    @Test
    void collectorsShowReadsTheCollectorAloneAndADecommissionedIdIsGone() throws Exception {
        String id = newCollector();
        long listReads = fleetListReads();
        JsonNode shown = cli.run("collectors", "show", id, "-o", "json").expect(ExitCodes.OK).json();
        assertEquals(id, shown.path("id").asString());
        assertEquals("test", shown.path("labels").path("env").asString());
        assertEquals(listReads, fleetListReads(), "show reads GET /api/v1/collectors/{id}, not the fleet list");

        assertEquals(204, http("DELETE", "/api/v1/collectors/" + id, "application/json", "").statusCode());
        CliProcess.Run gone = cli.run("collectors", "show", id).expect(ExitCodes.NOT_FOUND);
        assertTrue(gone.err().contains("was decommissioned at"), gone.err());
        CliProcess.Run again = cli.run("collectors", "create", id).expect(ExitCodes.NOT_FOUND);
        assertTrue(again.err().contains("was decommissioned at") && !again.err().contains("already exists"), again.err());
    }

    /** How many times the server answered the fleet list (its request timer's count). */
    private static long fleetListReads() throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(SERVER.url() + "/observe/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines()
                .filter(l -> l.startsWith("pgfleet_http_request_duration_seconds_count{") && l.contains("method=\"GET\"")
                        && l.contains("route=\"/api/v1/collectors\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** An admin request over plain HTTP, for what the CLI has no verb for yet (groups and their layers). */
    private static HttpResponse<String> http(String method, String path, String contentType, String body) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        String login = client.send(HttpRequest.newBuilder(URI.create(SERVER.url() + "/api/v1/auth/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"admin\",\"password\":\""
                        + ServerSettings.TEST_ADMIN_PASSWORD + "\"}")).build(), HttpResponse.BodyHandlers.ofString()).body();
        String token = CliProcess.JSON.readTree(login).path("access_token").asString();
        return client.send(HttpRequest.newBuilder(URI.create(SERVER.url() + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void getOwnPrintsTheOwnLayerWhileTheEffectiveDocumentMergesAGroupLayer() throws Exception {
        String id = newCollector();
        String group = "own-" + IDS.incrementAndGet();
        cli.run("config", "put", id, file(id + ".toml", DOC_1).toString()).expect(ExitCodes.OK);
        assertEquals(201, http("POST", "/api/v1/groups", "application/json",
                "{\"id\":\"" + group + "\",\"selector\":{\"grp\":\"" + group + "\"}}").statusCode());
        assertEquals(201, http("PUT", "/api/v1/groups/" + group + "/config", "application/toml",
                // A value the collector does not have yet: a layer that changes no value changes no document.
                "[collectors.pg_locks]\nenabled = true\n").statusCode());
        cli.run("collectors", "label", id, "grp=" + group).expect(ExitCodes.OK);

        assertEquals(DOC_1, cli.run("config", "get", id, "--own").expect(ExitCodes.OK).out());
        JsonNode effective = cli.run("config", "get", id, "-o", "json").expect(ExitCodes.OK).json();
        assertEquals("effective", effective.path("layer").asString());
        assertFalse(effective.path("document").asString().equals(DOC_1), effective.toString());
        assertTrue(effective.path("sources").asString().contains("group/" + group + "@1"), effective.toString());
        JsonNode own = cli.run("config", "get", id, "--own", "-o", "json").expect(ExitCodes.OK).json();
        assertEquals("own", own.path("layer").asString());
        assertEquals(1, own.path("version").asInt());
        assertEquals(DOC_1, cli.run("config", "get", id, "--own", "--version", "1").expect(ExitCodes.OK).out());
    }

    @Test
    void anInvalidDocumentExitsTwoWithEveryErrorsLineAndStoresNothing() throws IOException {
        String id = newCollector();
        Path bad = file(id + "-bad.toml", INVALID);
        CliProcess.Run refused = cli.run("config", "put", id, bad.toString()).expect(ExitCodes.REFUSED);
        assertTrue(refused.err().contains(bad + ":2:1: collector.push_interval"), refused.err());
        assertTrue(refused.err().contains(bad + ":4:1: postgres.password"), refused.err());
        cli.run("config", "get", id).expect(ExitCodes.NOT_FOUND);

        CliProcess.Run validated = cli.run("config", "validate", bad.toString()).expect(ExitCodes.REFUSED);
        assertTrue(validated.err().contains(bad + ":2:1:"), validated.err());
        assertTrue(cli.run("config", "validate", file(id + "-ok.toml", DOC_1).toString()).expect(ExitCodes.OK).out()
                .contains("valid"));
    }

    @Test
    void aStalePreconditionExitsThreeAndStoresNothing() throws IOException {
        String id = newCollector();
        JsonNode v1 = cli.run("config", "put", id, file(id + "-1.toml", DOC_1).toString(), "-o", "json").expect(ExitCodes.OK).json();
        String etag1 = v1.path("etag").asString();
        cli.run("config", "put", id, file(id + "-2.toml", DOC_2).toString(), "--if-match", etag1).expect(ExitCodes.OK);
        Path three = file(id + "-3.toml", DOC_1.replace("30", "40"));
        CliProcess.Run stale = cli.run("config", "put", id, three.toString(), "--if-match", etag1).expect(ExitCodes.CONFLICT);
        assertTrue(stale.err().contains("412") && stale.err().contains("latest version 2"), stale.err());
        cli.run("config", "put", id, three.toString(), "--expect-version", "1").expect(ExitCodes.CONFLICT);
        assertEquals(2, cli.run("config", "history", id, "-o", "json").expect(ExitCodes.OK).json().path("versions").size());
        cli.run("config", "put", id, three.toString(), "--expect-version", "2").expect(ExitCodes.OK);
    }

    @Test
    void historyDiffRollbackRoundTrip() throws IOException {
        String id = newCollector();
        cli.run("config", "put", id, file(id + "-1.toml", DOC_1).toString(), "-m", "slow").expect(ExitCodes.OK);
        cli.run("config", "put", id, file(id + "-2.toml", DOC_2).toString(), "-m", "fast").expect(ExitCodes.OK);

        CliProcess.Run diff = cli.run("config", "diff", id, "1", "2").expect(ExitCodes.OK);
        assertTrue(diff.out().contains("-interval = 10") && diff.out().contains("+interval = 2"), diff.out());

        CliProcess.Run rollback = cli.run("config", "rollback", id, "1", "-m", "too fast").expect(ExitCodes.OK);
        assertTrue(rollback.out().startsWith("Published " + id + " version 3"), rollback.out());
        assertEquals(DOC_1, cli.run("config", "get", id).expect(ExitCodes.OK).out());
        assertEquals(DOC_2, cli.run("config", "get", id, "--version", "2").expect(ExitCodes.OK).out());

        JsonNode history = cli.run("config", "history", id, "--output", "json").expect(ExitCodes.OK).json();
        JsonNode versions = history.path("versions");
        assertEquals(3, versions.size());
        assertEquals("rollback:1", versions.get(0).path("source").asString());
        assertEquals("too fast", versions.get(0).path("message").asString());
        assertEquals("put", versions.get(2).path("source").asString());
        CliProcess.Run whole = cli.run("config", "history", id).expect(ExitCodes.OK);
        assertTrue(whole.out().startsWith("VERSION") && whole.out().contains("rollback:1"), whole.out());
        // The columns of every layer's history, the etag a later --if-match takes among them.
        assertTrue(whole.out().lines().findFirst().orElseThrow().matches("VERSION +ETAG +CREATED_AT +CREATED_BY +SOURCE +MESSAGE *"),
                whole.out());
        assertFalse(whole.err().contains("older versions follow"), whole.err());
        // A page that is not the whole history says how to see the rest.
        CliProcess.Run page = cli.run("config", "history", id, "--limit", "2").expect(ExitCodes.OK);
        assertTrue(page.err().contains("older versions follow; add --before 2 to see them"), page.err());

        cli.run("config", "rollback", id, "9").expect(ExitCodes.NOT_FOUND);
        cli.run("config", "get", "no-such-collector").expect(ExitCodes.NOT_FOUND);
        JsonNode diffJson = cli.run("config", "diff", id, "1", "3", "-o", "json").expect(ExitCodes.OK).json();
        assertEquals("", diffJson.path("diff").asString());
    }

    @Test
    void editPublishesWhatTheEditorSavedAndReopensOnErrors() throws IOException {
        String id = newCollector();
        cli.run("config", "put", id, file(id + ".toml", DOC_1).toString()).expect(ExitCodes.OK);
        Path faster = file("faster.sh", "#!/bin/sh\nsed -i 's/interval = 10/interval = 5/' \"$1\"\n");
        faster.toFile().setExecutable(true);
        CliProcess.Run edited = cli.env("EDITOR", faster.toString()).run("config", "edit", id, "-m", "edited")
                .expect(ExitCodes.OK);
        assertTrue(edited.out().contains("version 2"), edited.out());
        assertEquals(DOC_1.replace("interval = 10", "interval = 5"), cli.run("config", "get", id).expect(ExitCodes.OK).out());

        // First save is invalid; the editor opens again with the errors on top; the second save fixes it.
        Path marker = tmp.resolve(id + "-editor.marker");
        Path copy = tmp.resolve(id + "-reopened.toml");
        Path twice = file("twice.sh", "#!/bin/sh\n"
                + "if [ ! -f \"" + marker + "\" ]; then\n"
                + "  sed -i 's/push_interval = 30/push_interval = 0/' \"$1\"; touch \"" + marker + "\"\n"
                + "else\n"
                + "  cp \"$1\" \"" + copy + "\"; sed -i 's/push_interval = 0/push_interval = 20/' \"$1\"\n"
                + "fi\n");
        twice.toFile().setExecutable(true);
        CliProcess.Run fixed = cli.env("EDITOR", twice.toString()).run("config", "edit", id).expect(ExitCodes.OK);
        assertTrue(fixed.out().contains("version 3"), fixed.out());
        String reopened = Files.readString(copy);
        // The error comment names the line where push_interval sits in the reopened file.
        int line = reopened.lines().toList().indexOf("push_interval = 0") + 1;
        assertTrue(line > 2, reopened);
        assertTrue(reopened.contains("# pgfleet: line " + line + ", column 1: collector.push_interval"), reopened);
        String now = cli.run("config", "get", id).expect(ExitCodes.OK).out();
        assertTrue(now.contains("push_interval = 20") && !now.contains("# pgfleet"), now);

        // Saving nothing publishes nothing.
        Path noop = file("noop.sh", "#!/bin/sh\ntrue\n");
        noop.toFile().setExecutable(true);
        assertTrue(cli.env("EDITOR", noop.toString()).run("config", "edit", id).expect(ExitCodes.OK).out().contains("No change"));
    }

    @Test
    void watchPrintsTheNextVersion() throws Exception {
        String id = newCollector();
        cli.run("config", "put", id, file(id + ".toml", DOC_1).toString()).expect(ExitCodes.OK);
        CliProcess.Running watch = cli.start("", "config", "watch", id, "--after", "1", "--once", "--wait", "30", "-o", "json");
        cli.run("config", "put", id, file(id + "-2.toml", DOC_2).toString()).expect(ExitCodes.OK);
        CliProcess.Run seen = watch.await().expect(ExitCodes.OK);
        JsonNode event = CliProcess.JSON.readTree(seen.out().lines().findFirst().orElseThrow());
        assertEquals(2, event.path("version").asInt());
        assertEquals(DOC_2, event.path("document").asString());
    }

    @Test
    void collectorsEnrolRevokeUsersAndAudit() throws IOException {
        String id = newCollector();
        CliProcess.Run enrol = cli.run("collectors", "enrol", id).expect(ExitCodes.OK);
        assertFalse(enrol.out().isBlank());
        assertEquals(1, enrol.out().lines().count(), "only the token on stdout: " + enrol.out());
        cli.run("collectors", "revoke", id).expect(ExitCodes.OK);
        assertTrue(cli.run("collectors", "show", id, "-o", "json").expect(ExitCodes.OK).json().path("revoked").asBoolean());
        cli.run("collectors", "create", id).expect(ExitCodes.CONFLICT);

        // Labels change through PATCH /api/v1/collectors/{id}: the server stores them and answers them.
        CliProcess.Run label = cli.run("collectors", "label", id, "team=db", "tier-", "-o", "json").expect(ExitCodes.OK);
        assertEquals("db", label.json().path("labels").path("team").asString(), label.out());
        JsonNode labels = cli.run("collectors", "show", id, "-o", "json").expect(ExitCodes.OK).json().path("labels");
        assertEquals("db", labels.path("team").asString());
        assertEquals("test", labels.path("env").asString());
        assertTrue(labels.path("tier").isMissingNode(), labels.toString());
        cli.run("collectors", "label", "nobody-here", "team=db").expect(ExitCodes.NOT_FOUND);
        cli.run("collectors", "label", id, "=db").expect(ExitCodes.USAGE);
        cli.run("collectors", "show", "nobody-here").expect(ExitCodes.NOT_FOUND);

        String user = "viewer" + IDS.incrementAndGet();
        cli.runWithInput("a-long-viewer-password\n", "users", "create", user, "--role", "viewer", "--password-stdin")
                .expect(ExitCodes.OK);
        JsonNode users = cli.run("users", "-o", "json").expect(ExitCodes.OK).json();
        assertTrue(users.toString().contains("\"" + user + "\""), users.toString());
        cli.run("users", "update", user, "--disable").expect(ExitCodes.OK);

        cli.run("config", "put", id, file(id + ".toml", DOC_1).toString()).expect(ExitCodes.OK);
        JsonNode audit = cli.run("audit", "--collector", id, "--since", "1h", "-o", "json").expect(ExitCodes.OK).json();
        List<String> actions = new ArrayList<>();
        audit.path("entries").forEach(e -> actions.add(e.path("action").asString()));
        assertTrue(actions.contains("config.publish") && actions.contains("collector.create"), actions.toString());
        cli.run("audit", "--since", "yesterday").expect(ExitCodes.USAGE);
    }

    @Test
    void aViewerIsRefusedWritesWithExitFive() throws IOException {
        String user = "ro" + IDS.incrementAndGet();
        cli.runWithInput("a-long-viewer-password\n", "users", "create", user, "--role", "viewer", "--password-stdin")
                .expect(ExitCodes.OK);
        CliProcess viewer = new CliProcess(tmp.resolve("viewer-home"), SERVER.url());
        viewer.runWithInput("a-long-viewer-password\n", "login", "-u", user, "--password-stdin").expect(ExitCodes.OK);
        String id = newCollector();
        CliProcess.Run refused = viewer.run("config", "put", id, file(id + ".toml", DOC_1).toString()).expect(ExitCodes.AUTH);
        assertTrue(refused.err().contains("not allowed (403)"), refused.err());
        viewer.run("collectors").expect(ExitCodes.OK);
    }

    @Test
    void wrongPasswordExitsFiveWithoutAStackTrace() {
        CliProcess other = new CliProcess(tmp.resolve("other-home"), SERVER.url());
        CliProcess.Run wrong = other.runWithInput("not-the-password\n", "login", "-u", "admin", "--password-stdin")
                .expect(ExitCodes.AUTH);
        assertEquals(1, wrong.err().lines().count(), wrong.err());
        assertTrue(wrong.err().startsWith("pgfleet: login refused"), wrong.err());
        assertFalse(Files.exists(other.configDir().resolve("session.json")));
        other.run("config", "get", "x").expect(ExitCodes.AUTH);
    }

    @Test
    void usageHelpAndCompletion() {
        CliProcess.Run help = cli.run("help", "config", "put").expect(ExitCodes.OK);
        assertTrue(help.out().contains("--if-match") && help.out().contains("--expect-version"), help.out());
        assertTrue(cli.run("help", "config", "get").expect(ExitCodes.OK).out().contains("--own"));
        cli.run("config", "put").expect(ExitCodes.USAGE);
        cli.run("no-such-command").expect(ExitCodes.USAGE);
        cli.run("config", "put", "x", "f", "--if-match", "a", "--expect-version", "1").expect(ExitCodes.USAGE);
        assertTrue(cli.run("generate-completion").expect(ExitCodes.OK).out().contains("complete -F"));
    }
}
