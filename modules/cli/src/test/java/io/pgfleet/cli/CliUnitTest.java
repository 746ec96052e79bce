package io.pgfleet.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI's own rules, without a server: token expiry margins, editor error comments, ages, rate limits. */
class CliUnitTest {

    @TempDir
    Path tmp;

    @Test
    void aChangeMessageOtherThanPrintableAsciiTravelsAsPercentEncodedUtf8() {
        assertEquals("too fast", ServerApi.changeMessageHeader("too fast"));
        assertEquals("UTF-8''caf%C3%A9 %E2%9C%93", ServerApi.changeMessageHeader("café ✓"));
        // Plain text that happens to start like the encoded form is encoded too, so it is not decoded.
        assertEquals("UTF-8''UTF-8%27%2750%25", ServerApi.changeMessageHeader("UTF-8''50%"));
    }

    @Test
    void rolloutsShowNamesTheStaleMembersAWaveSkipped() {
        JsonNode rollout = Output.JSON.readTree("""
                {"id":7,"layer":"group/prod","staged_version":3,"previous_version":2,"state":"running",
                 "current_wave":1,"wave_count":2,"bake_seconds":60,"max_failed":0,"apply_deadline_seconds":600,
                 "created_by":"admin","created_at":"2026-12-01T10:00:00Z","message":"","reason":"",
                 "waves":[{"wave":1,"spec":{"selector":{"canary":"true"}},"state":"running","members":5,
                           "applied":1,"failed":0,"pending":1,"skipped":3,"collectors":["db-1","db-2"],
                           "skipped_collectors":["db-3","db-4"]},
                          {"wave":2,"spec":{"percent":100},"state":"waiting","members":9,"applied":0,"failed":0,
                           "pending":9,"skipped":0,"collectors":[],"skipped_collectors":[]}],
                 "failures":[],"timeline":[]}""");
        java.io.StringWriter text = new java.io.StringWriter();
        Context ctx = new Context(Map.of(), new ByteArrayInputStream(new byte[0]), new java.io.PrintWriter(text, true),
                new java.io.PrintWriter(new java.io.StringWriter(), true));
        ctx.globals(new PgfleetCli.Globals());
        RolloutsCommand.show(ctx, rollout);
        assertTrue(text.toString().contains("wave 1 skipped (stale or never seen, not waited for): db-3, db-4 and 1 more"), text.toString());
        assertFalse(text.toString().contains("wave 2 skipped"), text.toString());
    }

    @Test
    void collectorsShowPutsEveryFactAndEveryCapabilityGapOnALineOfItsOwn() {
        JsonNode entry = new tools.jackson.databind.ObjectMapper().readTree("""
                {"id":"db-1","facts":{"schema_version":2,"os":"Linux","postgres":{"server_version_num":160004,
                 "databases":["postgres","app"],"extensions":{"postgres":["plpgsql"]}}},
                 "capability_gaps":[{"capability":"extension","key":"collectors.pg_stat_statements.enabled",
                 "message":"needs pg_stat_statements"}]}""");
        JsonNode shown = CollectorsCommand.Show.readable(entry);
        assertEquals("160004", shown.path("facts.postgres.server_version_num").toString());
        assertEquals("postgres, app", shown.path("facts.postgres.databases").asString());
        assertEquals("plpgsql", shown.path("facts.postgres.extensions.postgres").asString());
        assertEquals("extension collectors.pg_stat_statements.enabled: needs pg_stat_statements",
                shown.path("capability_gaps[0]").asString());
        assertEquals("-", CollectorsCommand.Show.readable(new tools.jackson.databind.ObjectMapper()
                .readTree("{\"id\":\"x\",\"facts\":null,\"capability_gaps\":[]}")).path("capability_gaps").asString());
    }

    @Test
    void tableTextShowsTerminalEscapesBidiOverridesAndLineSeparatorsInsteadOfPassingThemToTheTerminal() {
        JsonNode group = Output.JSON.readTree("""
                {"id":"g","description":"\\u001b]0;owned\\u0007\\u001b[2Jx\\u202egpj.exe\\u009b1m\\nnext\\tcol\\u2028ok\\u2029",
                 "selector":{"env":"p\\u001b[31mrod"},"\\u001b[1mkey":1}""");
        java.io.StringWriter w = new java.io.StringWriter();
        new Output(Output.Format.table, new java.io.PrintWriter(w, true)).object(group);
        String shown = w.toString();
        assertTrue(shown.chars().noneMatch(c -> c == 0x1b || c == 0x07 || c == 0x9b || c == 0x202e
                || c == 0x2028 || c == 0x2029), shown);
        assertTrue(shown.contains("\\u001b]0;owned\\u0007\\u001b[2Jx\\u202egpj.exe\\u009b1m next col\\u2028ok\\u2029"),
                shown);
        assertTrue(shown.contains("env=p\\u001b[31mrod"), shown);
        assertTrue(shown.contains("\\u001b[1mkey"), shown);
        assertEquals("plain text, unchanged: é ü 日本", Output.printable("plain text, unchanged: é ü 日本"));
    }

    /** What a proxy did to an answer is not printed (or saved) as the server's document. */
    @Test
    void aDocumentChangedOnTheWayOrARedirectIsNotShownAsTheServersAnswer() throws Exception {
        String document = "[collector]\npush_interval = 12\n";
        String hash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(document.getBytes(StandardCharsets.UTF_8)), 0, 8);
        java.util.concurrent.atomic.AtomicReference<String> mode = new java.util.concurrent.atomic.AtomicReference<>("whole");
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/config/db-1", exchange -> {
            exchange.getResponseHeaders().add("ETag", "\"3-" + hash + "\"");
            switch (mode.get()) {
                case "cut short" -> answer(exchange, 200, "application/toml; charset=utf-8",
                        document.substring(0, document.length() - 2));
                case "encoded" -> {
                    exchange.getResponseHeaders().add("Content-Encoding", "gzip");
                    answer(exchange, 200, "application/toml; charset=utf-8", document);
                }
                case "redirect" -> {
                    exchange.getResponseHeaders().add("Location", "https://portal.example/login");
                    answer(exchange, 302, "text/html", "<html>moved</html>");
                }
                default -> answer(exchange, 200, "application/toml; charset=utf-8", document);
            }
        });
        stub.start();
        try {
            Map<String, String> env = loggedInTo(stub);
            Ran whole = run(env, "config", "get", "db-1");
            assertEquals(ExitCodes.OK, whole.exit(), whole.err());
            assertEquals(document, whole.out());

            mode.set("cut short");
            Ran cut = run(env, "config", "get", "db-1");
            assertEquals(ExitCodes.UNAVAILABLE, cut.exit(), cut.err());
            assertEquals("", cut.out(), "nothing printed as the document");
            assertTrue(cut.err().contains("does not match its ETag"), cut.err());

            mode.set("encoded");
            Ran encoded = run(env, "config", "get", "db-1");
            assertEquals(ExitCodes.UNAVAILABLE, encoded.exit(), encoded.err());
            assertTrue(encoded.err().contains("Content-Encoding 'gzip'"), encoded.err());

            mode.set("redirect");
            Ran moved = run(env, "config", "get", "db-1");
            assertEquals(ExitCodes.UNAVAILABLE, moved.exit(), moved.err());
            assertTrue(moved.err().contains("redirect (302) to https://portal.example/login"), moved.err());
        } finally {
            stub.stop(0);
        }
    }

    /** An answer that never ends fills neither the CLI's memory nor its time: it is refused at its bound. */
    @Test
    void anEndlessAnswerIsCutOffAtItsBoundAndSaidSo() throws IOException {
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/collectors", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, 0); // chunked, no end
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) ' ');
            try (OutputStream o = exchange.getResponseBody()) {
                while (true) {
                    o.write(chunk); // until the CLI hangs up
                }
            } catch (IOException hungUp) {
                // the CLI gave up reading, as it should
            }
        });
        stub.start();
        try {
            Ran ran = run(loggedInTo(stub), "collectors");
            assertEquals(ExitCodes.UNAVAILABLE, ran.exit(), ran.err());
            assertTrue(ran.err().contains("an answer larger than " + ServerApi.MAX_ANSWER_BYTES / (1024 * 1024) + " MiB"),
                    ran.err());
            assertEquals("", ran.out());
        } finally {
            stub.stop(0);
        }
    }

    /** The wait for an answer covers its body: a server that trickles one byte at a time is given up on. */
    @Test
    @org.junit.jupiter.api.Timeout(120) // a CLI that waits for the body without end fails here rather than hangs the build
    void anAnswerTrickledPastTheTimeoutIsGivenUpOn() throws IOException {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/auth/login", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream o = exchange.getResponseBody()) {
                // One byte, then another whenever the last was sent, until the test is over: an answer
                // whose headers came at once and whose body never ends.
                while (!done.await(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    o.write(' ');
                    o.flush();
                }
            } catch (IOException | InterruptedException hungUp) {
                // the CLI gave up
            }
        });
        stub.start();
        try {
            Path dir = tmp.resolve("trickle");
            ServerApi api = new ServerApi("http://127.0.0.1:" + stub.getAddress().getPort(), java.util.Optional.empty(),
                    new TokenCache(dir), new Context(Map.of("PGFLEET_CONFIG_DIR", dir.toString()),
                            new ByteArrayInputStream(new byte[0]), new java.io.PrintWriter(new ByteArrayOutputStream()),
                            new java.io.PrintWriter(new ByteArrayOutputStream())));
            CliException e = org.junit.jupiter.api.Assertions.assertThrows(CliException.class, () -> api.callAnonymous(
                    new ServerApi.Call("POST", "/api/v1/auth/login", Map.of(), new byte[0], Duration.ofSeconds(1)),
                    java.util.Set.of()));
            assertEquals(ExitCodes.UNAVAILABLE, e.exitCode());
            assertTrue(e.getMessage().contains("did not answer within 1 s"), e.getMessage());
        } finally {
            done.countDown();
            stub.stop(0);
        }
    }

    /** A login answered without tokens (a 304, an odd 2xx, a look-alike) is not a login. */
    @Test
    void aLoginAnswerWithoutTokensIsNotTakenForALogin() throws IOException {
        AtomicInteger status = new AtomicInteger(200);
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/auth/login", exchange -> {
            if (status.get() == 304) {
                exchange.sendResponseHeaders(304, -1);
                exchange.close();
            } else {
                answer(exchange, status.get(), "application/json", "{}");
            }
        });
        stub.start();
        try {
            Path dir = tmp.resolve("tokenless");
            for (int s : new int[] {200, 299, 304}) {
                status.set(s);
                Ran ran = runWith(new ByteArrayInputStream("password-long-enough\n".getBytes(StandardCharsets.UTF_8)),
                        Map.of("PGFLEET_CONFIG_DIR", dir.toString()), "login", "--server",
                        "http://127.0.0.1:" + stub.getAddress().getPort(), "--username", "admin", "--password-stdin");
                assertEquals(ExitCodes.UNAVAILABLE, ran.exit(), s + ": " + ran.out() + ran.err());
                assertTrue(ran.err().contains("no access and refresh token"), s + ": " + ran.err());
                assertFalse(java.nio.file.Files.exists(dir.resolve("session.json")), s + ": nothing cached as a session");
            }
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void aProblemsDetailIsPrintedWithItsEscapesShownNotActedOn() throws IOException {
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/groups/g", exchange -> answer(exchange, 404, "application/problem+json",
                "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,\"detail\":\"no group \\u001b[2J\\u202eg\"}"));
        stub.start();
        try {
            Ran ran = run(loggedInTo(stub), "groups", "show", "g");
            assertEquals(ExitCodes.NOT_FOUND, ran.exit(), ran.err());
            assertTrue(ran.err().contains("no group \\u001b[2J\\u202eg"), ran.err());
            assertTrue(ran.err().chars().noneMatch(c -> c == 0x1b || c == 0x202e), ran.err());
        } finally {
            stub.stop(0);
        }
    }

    /** A server URL that cannot be used, or a host name that does not resolve, is said so in one line. */
    @Test
    void aServerUrlThatCannotBeUsedOrAHostThatDoesNotResolveIsSaidPlainly() {
        Map<String, String> env = Map.of("PGFLEET_CONFIG_DIR", tmp.resolve("urls").toString());
        Ran ftp = runWith(new ByteArrayInputStream("a-long-password\n".getBytes(StandardCharsets.UTF_8)), env,
                "login", "--server", "ftp://example.org", "-u", "admin", "--password-stdin");
        assertEquals(ExitCodes.USAGE, ftp.exit(), ftp.err());
        assertTrue(ftp.err().contains("not a usable server URL: ftp://example.org"), ftp.err());
        Ran nowhere = runWith(new ByteArrayInputStream("a-long-password\n".getBytes(StandardCharsets.UTF_8)), env,
                "login", "--server", "http://nonexistent.invalid:8080", "-u", "admin", "--password-stdin");
        assertEquals(ExitCodes.UNAVAILABLE, nowhere.exit(), nowhere.err());
        assertTrue(nowhere.err().contains("the host name nonexistent.invalid does not resolve"), nowhere.err());
    }

    /**
     * A server URL that cannot be one is said so by every command, not only by login: the hint
     * "not logged in; run: pgfleet login --server URL" would send the user to a login refused for it.
     */
    @Test
    void aServerUrlThatCannotBeOneIsRefusedByEveryCommandNotAnsweredWithALoginHint() {
        Map<String, String> env = Map.of("PGFLEET_CONFIG_DIR", tmp.resolve("bad-urls").toString());
        for (String url : List.of("localhost:8080", "ftp://localhost:8080", "http://local host")) {
            for (List<String> args : List.of(List.of("collectors", "--server", url), List.of("whoami", "--server", url),
                    List.of("config", "get", "db-01", "--server", url))) {
                Ran r = run(env, args.toArray(String[]::new));
                assertEquals(ExitCodes.USAGE, r.exit(), args + ": " + r.err());
                assertTrue(r.err().startsWith("pgfleet: not a usable server URL: " + url), args + ": " + r.err());
            }
        }
        Ran fromEnv = run(Map.of("PGFLEET_CONFIG_DIR", tmp.resolve("bad-urls").toString(), "PGFLEET_SERVER", "localhost:8080"),
                "collectors");
        assertEquals(ExitCodes.USAGE, fromEnv.exit(), fromEnv.err());
        assertTrue(fromEnv.err().startsWith("pgfleet: not a usable server URL: localhost:8080"), fromEnv.err());
        Ran port = runWith(new ByteArrayInputStream("a-long-password\n".getBytes(StandardCharsets.UTF_8)), env,
                "login", "--server", "http://localhost:99999", "-u", "admin", "--password-stdin");
        assertEquals(ExitCodes.USAGE, port.exit(), port.err());
        assertEquals("pgfleet: not a usable server URL: http://localhost:99999 (a port is 1..65535)\n", port.err());
    }

    /**
     * The API's paths are appended to the server URL: after a query or a fragment they were no path
     * at all ({@code http://host:8080?x} sent the login to {@code /?x/api/v1/auth/login}), and a
     * user and password in it were kept in the session file and quoted in messages, never sent.
     */
    @Test
    void aServerUrlWithAQueryAFragmentOrCredentialsIsRefusedNamingWhat() {
        Map<String, String> env = Map.of("PGFLEET_CONFIG_DIR", tmp.resolve("odd-urls").toString());
        for (String[] url : new String[][] {{"http://localhost:8080?tenant=a", "no query"}, {"http://localhost:8080/#top", "no fragment"},
                {"http://localhost:8080#", "no fragment"}, {"http://admin:secret@localhost:8080", "no user or password"}}) {
            for (List<String> args : List.of(List.of("collectors", "--server", url[0]), List.of("whoami", "--server", url[0]))) {
                Ran r = run(env, args.toArray(String[]::new));
                assertEquals(ExitCodes.USAGE, r.exit(), args + ": " + r.err());
                assertTrue(r.err().startsWith("pgfleet: not a usable server URL: "), args + ": " + r.err());
                assertTrue(r.err().contains(url[1]), args + ": " + r.err());
                assertFalse(r.err().contains("secret"), "the password is not repeated: " + r.err());
            }
            Ran login = runWith(new ByteArrayInputStream("a-long-password\n".getBytes(StandardCharsets.UTF_8)), env,
                    "login", "--server", url[0], "-u", "admin", "--password-stdin");
            assertEquals(ExitCodes.USAGE, login.exit(), login.err());
            assertTrue(login.err().contains(url[1]), login.err());
        }
    }

    /** PGFLEET_OUTPUT takes what --output takes, in any case, and names what it got otherwise. */
    @Test
    void theOutputFormatFromTheEnvironmentIsCaseInsensitiveAsTheOptionIs() {
        for (String value : List.of("JSON", "Json", " json ")) {
            Context ctx = new Context(Map.of("PGFLEET_OUTPUT", value), new ByteArrayInputStream(new byte[0]),
                    new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(new java.io.StringWriter(), true));
            ctx.globals(new PgfleetCli.Globals());
            assertEquals(Output.Format.json, ctx.output().format(), value);
        }
        Context yaml = new Context(Map.of("PGFLEET_OUTPUT", "yaml"), new ByteArrayInputStream(new byte[0]),
                new java.io.PrintWriter(new java.io.StringWriter(), true), new java.io.PrintWriter(new java.io.StringWriter(), true));
        yaml.globals(new PgfleetCli.Globals());
        CliException e = org.junit.jupiter.api.Assertions.assertThrows(CliException.class, yaml::output);
        assertEquals(ExitCodes.USAGE, e.exitCode());
        assertEquals("PGFLEET_OUTPUT must be table, json or toml, got 'yaml'", e.getMessage());
    }

    /** A mistyped command or option is answered with what was probably meant, and nothing runs. */
    @Test
    void aMistypedCommandOrOptionGetsASuggestion() {
        Ran command = run(Map.of("PGFLEET_CONFIG_DIR", tmp.resolve("none").toString()), "confg", "get", "db-01");
        assertEquals(ExitCodes.USAGE, command.exit(), command.err());
        assertTrue(command.err().contains("Did you mean: pgfleet config"), command.err());
        Ran sub = run(Map.of("PGFLEET_CONFIG_DIR", tmp.resolve("none").toString()), "config", "histroy", "db-01");
        assertEquals(ExitCodes.USAGE, sub.exit(), sub.err());
        assertTrue(sub.err().contains("Did you mean: ") && sub.err().contains("config history"), sub.err());
        Ran option = run(Map.of("PGFLEET_CONFIG_DIR", tmp.resolve("none").toString()),
                "config", "put", "db-01", "-", "--mesage", "hi");
        assertEquals(ExitCodes.USAGE, option.exit(), option.err());
        assertTrue(option.err().contains("--message"), option.err());
    }

    /**
     * A syntax error belongs to no key: its line reads {@code FILE:line:column: message}, as
     * docs/cli.md promises, without an empty key between two colons.
     */
    @Test
    void anErrorOfNoKeyIsPrintedWithoutAnEmptyKey() throws IOException {
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/config/validate", exchange -> answer(exchange, 422, "application/problem+json", """
                {"type":"https://pgfleet.io/problems/invalid-configuration","title":"Invalid","status":422,
                 "detail":"2 errors; nothing was stored","errors":[
                 {"line":1,"column":1,"key":"","message":"invalid TOML: the document starts with a byte order mark"},
                 {"line":2,"column":1,"key":"collector.push_interval","message":"must be an integer from 1 to 3600 (s), got 0"}]}"""));
        stub.start();
        try {
            Path doc = java.nio.file.Files.writeString(tmp.resolve("db.toml"), "x = 1\n");
            Ran ran = run(loggedInTo(stub), "config", "validate", doc.toString());
            assertEquals(ExitCodes.REFUSED, ran.exit(), ran.err());
            List<String> lines = ran.err().lines().toList();
            assertEquals("pgfleet: " + doc + " is invalid: 2 errors", lines.get(0), ran.err());
            assertTrue(lines.contains(doc + ":1:1: invalid TOML: the document starts with a byte order mark"), ran.err());
            assertTrue(lines.contains(doc + ":2:1: collector.push_interval: must be an integer from 1 to 3600 (s), got 0"),
                    ran.err());
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void rolloutsShowPrintsTheAgentsErrorsTheMessageAndTheTimelineEscapedNotActedOn() throws IOException {
        // An agent's apply error (quoted in failures, reason and timeline) and an operator's message are
        // text from others; a carriage return would let one line overwrite another on the terminal.
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/rollouts/7", exchange -> answer(exchange, 200, "application/json", """
                {"id":7,"layer":"group/g","staged_version":2,"previous_version":1,"state":"rolled_back",
                 "current_wave":1,"wave_count":2,"bake_seconds":60,"max_failed":0,"apply_deadline_seconds":600,
                 "created_by":"op\\u202eevil","created_at":"2026-12-01T10:00:00Z","message":"m\\u001b]0;owned\\u0007",
                 "waves":[{"wave":1,"spec":{"percent":50},"state":"failed","members":1,"applied":0,"failed":1,
                           "pending":0,"skipped":0}],
                 "reason":"db-1 failed: x\\u001b[2J","failures":[{"collector_id":"db-1","error":"bad\\rall good\\u009b1m"}],
                 "timeline":[{"at":"2026-12-01T10:00:01Z","kind":"rollback","detail":"d\\u001b[1A","by":"b\\u202e"}]}"""));
        stub.start();
        try {
            Ran ran = run(loggedInTo(stub), "rollouts", "show", "7");
            assertEquals(ExitCodes.OK, ran.exit(), ran.err());
            assertTrue(ran.out().chars().noneMatch(c -> c == 0x1b || c == 0x07 || c == 0x9b || c == 0x202e || c == '\r'),
                    ran.out());
            for (String shown : List.of("started by op\\u202eevil", "m\\u001b]0;owned\\u0007", "Reason: db-1 failed: x\\u001b[2J",
                    "failed: db-1: bad all good\\u009b1m", "d\\u001b[1A (b\\u202e)")) {
                assertTrue(ran.out().contains(shown), shown + " in " + ran.out());
            }
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void aTokenIsReplacedAQuarterOfItsLifetimeAndAtMostThirtySecondsBeforeItExpires() {
        Instant t0 = Instant.parse("2026-11-30T08:00:00Z");
        Session tenSeconds = new Session("http://s", "admin", "admin", "a", t0, t0.plusSeconds(10), "r");
        assertFalse(tenSeconds.expiringAt(t0.plusSeconds(7)));
        assertTrue(tenSeconds.expiringAt(t0.plusMillis(7500)));
        Session fifteenMinutes = new Session("http://s", "admin", "admin", "a", t0, t0.plus(Duration.ofMinutes(15)), "r");
        assertFalse(fifteenMinutes.expiringAt(t0.plus(Duration.ofMinutes(14))));
        assertTrue(fifteenMinutes.expiringAt(t0.plus(Duration.ofMinutes(14)).plusSeconds(30)));
    }

    @Test
    void errorCommentsPointAtTheLinesOfTheReopenedFileAndAreRemovedBeforePublishing() {
        String doc = "[collector]\npush_interval = 0\n";
        JsonNode errors = Output.JSON.readTree("[{\"line\":2,\"column\":1,\"key\":\"collector.push_interval\","
                + "\"message\":\"must be an integer from 1 to 3600 (s), got 0\"}]");
        String reopened = ConfigCommand.Edit.withErrorComments(doc, errors);
        List<String> lines = reopened.lines().toList();
        int line = lines.indexOf("push_interval = 0") + 1;
        assertTrue(reopened.contains("# pgfleet: line " + line + ", column 1: collector.push_interval"), reopened);
        assertEquals(doc, ConfigCommand.Edit.withoutErrorComments(reopened));
        assertEquals(doc, ConfigCommand.Edit.withoutErrorComments(doc));
    }

    @Test
    void auditTimesAreInstantsOrAges() {
        Instant now = Instant.parse("2026-11-30T08:00:00Z");
        assertEquals(now.minus(Duration.ofMinutes(15)), AuditCommand.instant("15m", now));
        assertEquals(now.minus(Duration.ofDays(7)), AuditCommand.instant("7d", now));
        assertEquals(Instant.parse("2026-11-29T10:00:00Z"), AuditCommand.instant("2026-11-29T10:00:00Z", now));
    }

    @Test
    void theSteeringCommandsOfARolloutAreListedAndEachPostsItsOwnAction() throws IOException {
        Ran help = run(Map.of("PGFLEET_CONFIG_DIR", tmp.toString()), "rollouts", "--help");
        for (String line : List.of("pause", "Pause a running rollout", "resume", "Resume a paused rollout", "promote",
                "Skip the remaining waves", "abort", "Roll back now")) {
            assertTrue(help.out().contains(line), help.out());
        }
        Ran promoteHelp = run(Map.of("PGFLEET_CONFIG_DIR", tmp.toString()), "rollouts", "promote", "--help");
        assertTrue(promoteHelp.out().contains("Usage: pgfleet rollouts promote") && promoteHelp.out().contains("ID"),
                promoteHelp.out());

        List<String> posted = new java.util.concurrent.CopyOnWriteArrayList<>();
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/rollouts", exchange -> {
            posted.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
            answer(exchange, 200, "application/json", "{\"id\":7,\"state\":\"paused\"}");
        });
        stub.start();
        try {
            Map<String, String> env = loggedInTo(stub);
            for (String action : List.of("pause", "resume", "promote", "abort")) {
                Ran ran = run(env, "rollouts", action, "7", "-o", "json");
                assertEquals(ExitCodes.OK, ran.exit(), ran.err());
            }
            assertEquals(List.of("POST /api/v1/rollouts/7/pause", "POST /api/v1/rollouts/7/resume",
                    "POST /api/v1/rollouts/7/promote", "POST /api/v1/rollouts/7/abort"), posted);
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void aRefusedPromoteSaysNothingChangedAndListsEachMembersErrors() throws IOException {
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/rollouts", exchange -> answer(exchange, 422, "application/problem+json", """
                {"type":"https://pgfleet.io/problems/invalid-effective-configuration","status":422,
                 "title":"The change would make collectors' effective configurations invalid",
                 "detail":"1 collector would get an invalid configuration; rollout 12 was not promoted and nothing changed (it is still running in wave 1 of 2); fix their own layers, then promote again: a2 fleet@6: line 7, column 1, postgres.password_env: set either password_file or password_env, not both",
                 "rollout":12,"state":"running","total":1,
                 "members":[{"collector_id":"a2","errors":[{"layer":"fleet@6","line":7,"column":1,
                   "key":"postgres.password_env","message":"set either password_file or password_env, not both"}]}]}"""));
        stub.start();
        try {
            Ran ran = run(loggedInTo(stub), "rollouts", "promote", "12");
            assertEquals(ExitCodes.REFUSED, ran.exit(), ran.err());
            assertTrue(ran.err().contains("invalid (422): 1 collector would get an invalid configuration; rollout 12 was"
                    + " not promoted and nothing changed"), ran.err());
            assertTrue(ran.err().contains("collector a2: fleet@6:7:1: postgres.password_env: set either password_file or"
                    + " password_env, not both"), ran.err());
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void aSessionFileOpenToOthersIsMadePrivateAgainAndSaidSoInOneLine() throws IOException {
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/rollouts", exchange -> answer(exchange, 200, "application/json",
                "{\"id\":7,\"state\":\"paused\"}"));
        stub.start();
        try {
            Map<String, String> env = loggedInTo(stub);
            Path file = tmp.resolve("cfg").resolve("session.json");
            java.nio.file.Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));

            Ran ran = run(env, "rollouts", "pause", "7", "-o", "json");
            assertEquals(ExitCodes.OK, ran.exit(), ran.err());
            assertEquals("pgfleet: warning: " + file + " was open to others (mode 0644) and is now 0600; it holds your"
                    + " tokens: if anyone else could read it, run pgfleet logout and log in again\n", ran.err());
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(file)));
            // Said once: the next command finds it private.
            ran = run(env, "rollouts", "pause", "7", "-o", "json");
            assertEquals(ExitCodes.OK, ran.exit(), ran.err());
            assertEquals("", ran.err());
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void aSessionFileThatIsALinkToAFileOpenToOthersLeavesThatFileAsItIsAndIsNotUsed() throws IOException {
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/rollouts", exchange -> answer(exchange, 200, "application/json",
                "{\"id\":7,\"state\":\"paused\"}"));
        stub.start();
        try {
            Map<String, String> env = loggedInTo(stub);
            Path file = tmp.resolve("cfg").resolve("session.json");
            // Another file (shared, or someone else's): its mode is not this CLI's to change.
            Path other = tmp.resolve("shared.json");
            java.nio.file.Files.move(file, other);
            java.nio.file.Files.setPosixFilePermissions(other, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            java.nio.file.Files.createSymbolicLink(file, other);

            Ran ran = run(env, "rollouts", "pause", "7", "-o", "json");
            assertTrue(ran.exit() != ExitCodes.OK, ran.err());
            assertTrue(ran.err().contains("a symbolic link to a file open to others (mode 0644)"), ran.err());
            assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(other)), "the linked file keeps its mode");
        } finally {
            stub.stop(0);
        }
    }

    /** The environment of a CLI logged in to this stub server (a cached session valid for an hour). */
    private Map<String, String> loggedInTo(HttpServer stub) {
        Path dir = tmp.resolve("cfg");
        new TokenCache(dir).save(new Session("http://127.0.0.1:" + stub.getAddress().getPort(), "admin", "admin", "token",
                Instant.now(), Instant.now().plus(Duration.ofHours(1)), "refresh"));
        return Map.of("PGFLEET_CONFIG_DIR", dir.toString());
    }

    private static void answer(com.sun.net.httpserver.HttpExchange exchange, int status, String type, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream o = exchange.getResponseBody()) {
            o.write(bytes);
        }
    }

    private record Ran(int exit, String out, String err) {
    }

    private Ran run(Map<String, String> env, String... args) {
        return runWith(new ByteArrayInputStream(new byte[0]), env, args);
    }

    private Ran runWith(java.io.InputStream stdin, Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = PgfleetCli.run(args, env, stdin, new PrintStream(out, true), new PrintStream(err, true));
        return new Ran(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The standard error of a command whose standard output is {@code stdout}, and its exit code. */
    private Ran runWithOutput(OutputStream stdout, Map<String, String> env, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = PgfleetCli.run(args, env, new ByteArrayInputStream(new byte[0]), stdout, new PrintStream(err, true));
        return new Ran(exit, "", err.toString(StandardCharsets.UTF_8));
    }

    /** A stub that counts every request and answers each 500: a test that expects nothing sent asserts 0. */
    private static HttpServer countingStub(AtomicInteger requests) throws IOException {
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/", exchange -> {
            requests.incrementAndGet();
            answer(exchange, 500, "text/plain", "no request was expected");
        });
        stub.start();
        return stub;
    }

    /**
     * Standard input that never ends (as {@code /dev/zero}), counting the bytes taken from it. Past
     * 16 MiB it fails rather than go on, so that a reader without a bound fails the test, not the JVM.
     */
    private static final class EndlessInput extends java.io.InputStream {
        long read;

        @Override
        public int read() throws IOException {
            return read(new byte[1], 0, 1) < 0 ? -1 : 'a';
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (read > 16 << 20) {
                throw new IOException("read past 16 MiB of an endless input");
            }
            java.util.Arrays.fill(b, off, off + len, (byte) 'a');
            read += len;
            return len;
        }
    }

    @Test
    void aDocumentLargerThanTheServerTakesIsRefusedAfterReadingOneByteMoreAndNothingIsSent() throws IOException {
        AtomicInteger requests = new AtomicInteger();
        HttpServer stub = countingStub(requests);
        try {
            Map<String, String> env = loggedInTo(stub);
            EndlessInput endless = new EndlessInput();
            Ran stdin = runWith(endless, env, "config", "put", "db-01", "-");
            assertEquals(ExitCodes.REFUSED, stdin.exit(), stdin.err());
            assertEquals("pgfleet: <stdin> is larger than 256 KiB, the most the server takes; nothing sent\n",
                    stdin.err());
            assertEquals(DocumentInput.MAX_DOCUMENT_BYTES + 1L, endless.read);

            Path big = java.nio.file.Files.write(tmp.resolve("big.toml"), new byte[DocumentInput.MAX_DOCUMENT_BYTES + 1]);
            for (String[] args : List.of(new String[] {"fleet", "put", big.toString()},
                    new String[] {"groups", "config", "put", "prod", big.toString()},
                    new String[] {"config", "validate", big.toString()},
                    new String[] {"rollouts", "start", "fleet", big.toString(), "--wave", "100%"})) {
                Ran file = run(env, args);
                assertEquals(ExitCodes.REFUSED, file.exit(), String.join(" ", args) + ": " + file.err());
                assertTrue(file.err().contains(big + " is larger than 256 KiB"), file.err());
            }
            assertEquals(0, requests.get());

            // The limit itself is allowed: this one is sent (and the stub's 500 is exit 6).
            byte[] exact = new byte[DocumentInput.MAX_DOCUMENT_BYTES];
            java.util.Arrays.fill(exact, (byte) '#');
            Ran limit = run(env, "config", "validate", java.nio.file.Files.write(tmp.resolve("exact.toml"), exact).toString());
            assertEquals(ExitCodes.UNAVAILABLE, limit.exit(), limit.err());
            assertEquals(1, requests.get());
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void aDocumentThatIsNotUtf8IsRefusedWithWhereAndWhyFromAFileAndFromStandardInputAlike() throws IOException {
        AtomicInteger requests = new AtomicInteger();
        HttpServer stub = countingStub(requests);
        try {
            Map<String, String> env = loggedInTo(stub);
            byte[] latin1 = "# caf\u00e9 owner\n[collector]\npush_interval = 33\n".getBytes(StandardCharsets.ISO_8859_1);
            Ran stdin = runWith(new ByteArrayInputStream(latin1), env, "config", "put", "db-01", "-");
            assertEquals(ExitCodes.REFUSED, stdin.exit(), stdin.err());
            assertEquals("pgfleet: <stdin> is not valid UTF-8: byte 0xE9 at offset 5 (line 1, byte 6 of the line); "
                    + "save it as UTF-8; nothing sent\n", stdin.err());

            Path file = java.nio.file.Files.write(tmp.resolve("latin1.toml"),
                    "[collector]\n# caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
            Ran path = run(env, "fleet", "put", file.toString());
            assertEquals(ExitCodes.REFUSED, path.exit(), path.err());
            assertTrue(path.err().contains(file + " is not valid UTF-8: byte 0xE9 at offset 17 (line 2, byte 6 of the line)"),
                    path.err());

            Path utf16 = java.nio.file.Files.write(tmp.resolve("utf16.toml"),
                    "[collector]\n".getBytes(StandardCharsets.UTF_16));
            Ran wide = run(env, "config", "validate", utf16.toString());
            assertEquals(ExitCodes.REFUSED, wide.exit(), wide.err());
            assertTrue(wide.err().contains(utf16 + " is UTF-16 (it starts with a UTF-16 byte order mark), not UTF-8; "
                    + "save it as UTF-8"), wide.err());

            Ran password = runWith(new ByteArrayInputStream("s\u00e9cret-password\n".getBytes(StandardCharsets.ISO_8859_1)),
                    env, "users", "create", "eve", "--role", "viewer", "--password-stdin");
            assertEquals(ExitCodes.REFUSED, password.exit(), password.err());
            assertTrue(password.err().contains("<stdin> is not valid UTF-8"), password.err());
            assertEquals(0, requests.get());
        } finally {
            stub.stop(0);
        }
    }

    /** An editor that saves Latin-1 gets the same refusal as a file, and the edit is not lost. */
    @Test
    void anEditSavedInAnotherEncodingIsRefusedAndKept() throws IOException {
        AtomicInteger puts = new AtomicInteger();
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/config/db-01", exchange -> {
            if (!exchange.getRequestMethod().equals("GET")) {
                puts.incrementAndGet();
            }
            exchange.getResponseHeaders().add("ETag", "\"e1\"");
            answer(exchange, 200, "application/toml", "[collector]\n");
        });
        stub.start();
        try {
            Map<String, String> env = new java.util.HashMap<>(loggedInTo(stub));
            env.put("VISUAL", "printf '# caf\\351\\n' >");
            Ran ran = run(env, "config", "edit", "db-01");
            assertEquals(ExitCodes.REFUSED, ran.exit(), ran.err());
            assertTrue(ran.err().contains("is not valid UTF-8: byte 0xE9 at offset 5"), ran.err());
            String kept = ran.err().replaceAll("(?s).*your edit is kept in (.*)\\)\\s*$", "$1");
            assertTrue(java.nio.file.Files.exists(Path.of(kept)), ran.err());
            java.nio.file.Files.delete(Path.of(kept));
            assertEquals(0, puts.get());
        } finally {
            stub.stop(0);
        }
    }

    /** {@code pgfleet fleet get > backup.toml} on a full disk must not look like a backup that worked. */
    @Test
    void outputThatCannotBeWrittenIsAFailureNamingWhy() throws IOException {
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/fleet/config", exchange -> answer(exchange, 200, "application/toml",
                "[collector]\npush_interval = 60\n"));
        stub.createContext("/api/v1/collectors", exchange -> answer(exchange, 200, "application/json",
                "{\"collectors\":[{\"id\":\"db-01\"}]}"));
        stub.start();
        OutputStream full = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        try {
            Map<String, String> env = loggedInTo(stub);
            for (String[] args : List.of(new String[] {"fleet", "get"}, new String[] {"collectors"},
                    new String[] {"collectors", "-o", "json"})) {
                Ran ran = runWithOutput(full, env, args);
                assertEquals(ExitCodes.USAGE, ran.exit(), String.join(" ", args) + ": " + ran.err());
                assertEquals("pgfleet: could not write the output: No space left on device\n", ran.err());
            }
            // A pipe whose reader is gone (| head): no message, not 0 either.
            Ran closedPipe = runWithOutput(new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    throw new IOException("Broken pipe");
                }
            }, env, "collectors");
            assertEquals(ExitCodes.USAGE, closedPipe.exit(), closedPipe.err());
            assertEquals("", closedPipe.err());
            // Through a PrintStream, which keeps only the fact of the failure, not its cause.
            Ran printStream = runWithOutput(new PrintStream(full, true), env, "fleet", "get");
            assertEquals(ExitCodes.USAGE, printStream.exit(), printStream.err());
            assertTrue(printStream.err().startsWith("pgfleet: could not write the output"), printStream.err());
        } finally {
            stub.stop(0);
        }
    }

    /**
     * The real server does not rate-limit the routes the CLI calls yet, so a loopback HTTP server
     * answers 429 here: the CLI waits as Retry-After says, once, then gives up with exit 7.
     */
    @Test
    void aRateLimitIsWaitedOutOnceThenExitSeven() throws IOException {
        AtomicInteger limited = new AtomicInteger(1);
        AtomicInteger calls = new AtomicInteger();
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/collectors", exchange -> {
            calls.incrementAndGet();
            boolean refuse = limited.getAndDecrement() > 0;
            if (refuse) {
                exchange.getResponseHeaders().add("Retry-After", "1");
            }
            answer(exchange, refuse ? 429 : 200, refuse ? "application/problem+json" : "application/json", refuse
                    ? "{\"type\":\"https://pgfleet.io/problems/rate-limited\",\"title\":\"Too many\",\"status\":429,"
                            + "\"detail\":\"slow down\"}" : "{\"collectors\":[]}");
        });
        stub.start();
        try {
            Map<String, String> env = loggedInTo(stub);

            Ran once = run(env, "collectors", "-o", "json");
            assertEquals(ExitCodes.OK, once.exit(), once.err());
            assertEquals(2, calls.get());
            assertTrue(once.err().contains("rate-limited; retrying in 1 s"), once.err());

            limited.set(2);
            Ran twice = run(env, "collectors");
            assertEquals(ExitCodes.RATE_LIMITED, twice.exit(), twice.err());
            assertTrue(twice.err().contains("rate-limited (429): slow down"), twice.err());
        } finally {
            stub.stop(0);
        }
    }

    /**
     * A validation stores nothing whatever its outcome: its refusal does not repeat the server's
     * "nothing was stored", the words of a refused publish, as if it could have stored something.
     */
    @Test
    void aRefusedValidationDoesNotSayNothingWasStored() throws IOException {
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/config/validate", exchange -> answer(exchange, 422, "application/problem+json", """
                {"type":"https://pgfleet.io/problems/invalid-configuration","title":"The configuration is invalid",
                 "status":422,"total":51,"detail":"51 errors (the first 1 listed); nothing was stored: 2:1 collector.push_interval",
                 "errors":[{"line":2,"column":1,"key":"collector.push_interval","message":"must be an integer"}]}"""));
        stub.start();
        try {
            Path doc = java.nio.file.Files.writeString(tmp.resolve("check.toml"), "x = 1\n");
            Ran ran = run(loggedInTo(stub), "config", "validate", doc.toString());
            assertEquals(ExitCodes.REFUSED, ran.exit(), ran.err());
            assertEquals("pgfleet: " + doc + " is invalid: 51 errors (the first 1 listed)\n"
                    + doc + ":2:1: collector.push_interval: must be an integer\n", ran.err());
            assertFalse(ran.err().contains("stored"), ran.err());
        } finally {
            stub.stop(0);
        }
    }

    /** A CA file, client certificate or key that is not there is said to be missing, not named alone. */
    @Test
    void aTlsFileThatDoesNotExistIsSaidToBeMissing() throws IOException {
        AtomicInteger requests = new AtomicInteger();
        HttpServer stub = countingStub(requests);
        try {
            Map<String, String> env = loggedInTo(stub);
            Path missing = tmp.resolve("nonexistent.pem");
            Ran ca = run(env, "--ca-file", missing.toString(), "config", "get", "db-1");
            assertEquals(ExitCodes.USAGE, ca.exit(), ca.err());
            assertEquals("pgfleet: cannot set up TLS: the CA file " + missing + " does not exist (--ca-file, PGFLEET_CA_FILE)\n",
                    ca.err());

            Map<String, String> fromEnv = new java.util.HashMap<>(env);
            fromEnv.put("PGFLEET_CA_FILE", missing.toString());
            Ran viaEnv = run(fromEnv, "config", "get", "db-1");
            assertEquals(ExitCodes.USAGE, viaEnv.exit(), viaEnv.err());
            assertTrue(viaEnv.err().contains("the CA file " + missing + " does not exist"), viaEnv.err());

            Ran cert = run(env, "--cert", missing.toString(), "--key", missing.toString(), "config", "get", "db-1");
            assertEquals(ExitCodes.USAGE, cert.exit(), cert.err());
            assertTrue(cert.err().contains(missing + " does not exist"), cert.err());
            assertEquals(0, requests.get());
        } finally {
            stub.stop(0);
        }
    }

    /** Versions start at 1: {@code --expect-version 0} (or below) is refused by the CLI, before any request. */
    @Test
    void anExpectedVersionBelowOneIsRefusedBeforeAnyRequest() throws IOException {
        AtomicInteger requests = new AtomicInteger();
        HttpServer stub = countingStub(requests);
        try {
            Map<String, String> env = loggedInTo(stub);
            Path doc = java.nio.file.Files.writeString(tmp.resolve("doc.toml"), "[collector]\npush_interval = 15\n");
            for (String v : List.of("0", "-1")) {
                for (String[] args : List.of(new String[] {"config", "put", "db-1", doc.toString(), "--expect-version", v},
                        new String[] {"config", "rollback", "db-1", "1", "--expect-version", v},
                        new String[] {"fleet", "put", doc.toString(), "--expect-version", v},
                        new String[] {"fleet", "rollback", "1", "--expect-version", v},
                        new String[] {"groups", "config", "put", "prod", doc.toString(), "--expect-version", v},
                        new String[] {"groups", "config", "rollback", "prod", "1", "--expect-version", v})) {
                    Ran ran = run(env, args);
                    assertEquals(ExitCodes.USAGE, ran.exit(), String.join(" ", args) + ": " + ran.err());
                    assertEquals("pgfleet: --expect-version must be 1 or more (versions start at 1), got " + v + "\n",
                            ran.err(), String.join(" ", args));
                }
            }
            assertEquals(0, requests.get());
        } finally {
            stub.stop(0);
        }
    }

    /**
     * A watch follows the server through what waiting mends — a proxy's 502 and 504, the server's
     * 503 — saying once when it loses the server and once when it watches again, and goes on after
     * the last version it printed: a version that comes after a failure is printed once, none twice.
     */
    @Test
    void aWatchRetriesAProxysBadGatewayAndTheServersUnavailabilityAndGoesOnAfterTheLastVersionPrinted()
            throws Exception {
        String document = "[collector]\npush_interval = 12\n";
        String hash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(document.getBytes(StandardCharsets.UTF_8)), 0, 8);
        List<String> queries = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/config/db-1", exchange -> {
            queries.add(exchange.getRequestURI().getQuery());
            switch (queries.size()) {
                case 1 -> answer(exchange, 502, "text/html", "<html>Bad Gateway</html>");
                case 2 -> answer(exchange, 504, "text/html", "<html>Gateway Timeout</html>");
                case 3 -> {
                    exchange.getResponseHeaders().add("ETag", "\"5-" + hash + "\"");
                    exchange.getResponseHeaders().add("X-Config-Version", "5");
                    answer(exchange, 200, "application/toml; charset=utf-8", document);
                }
                case 4 -> answer(exchange, 503, "application/problem+json", """
                        {"type":"https://pgfleet.io/problems/database-unavailable","title":"Unavailable","status":503,
                         "detail":"the database cannot be reached"}""");
                case 5 -> {
                    exchange.getResponseHeaders().add("X-Config-Version", "5");
                    exchange.sendResponseHeaders(304, -1);
                    exchange.close();
                }
                default -> answer(exchange, 404, "application/problem+json", """
                        {"type":"https://pgfleet.io/problems/collector-not-found","title":"Not found","status":404,
                         "detail":"no collector db-1"}""");
            }
        });
        stub.start();
        try {
            String url = "http://127.0.0.1:" + stub.getAddress().getPort();
            Ran ran = run(loggedInTo(stub), "config", "watch", "db-1", "--after", "4", "--wait", "1");
            assertEquals(ExitCodes.NOT_FOUND, ran.exit(), ran.err());
            assertEquals(1, ran.out().lines().count(), ran.out());
            assertTrue(ran.out().startsWith("db-1 version 5 \"5-" + hash + "\""), ran.out());
            assertEquals(List.of("wait=1&after=4", "wait=1&after=4", "wait=1&after=4", "wait=1&after=5", "wait=1&after=5",
                    "wait=1&after=5"), queries);
            assertEquals(List.of(
                    "pgfleet: lost the server at " + url + " (bad gateway (502)); retrying (after 1 s, doubling to 30 s) to"
                            + " watch db-1 for versions after 4",
                    "pgfleet: the server at " + url + " answers again; watching db-1 for versions after 4",
                    "pgfleet: lost the server at " + url + " (server unavailable (503): the database cannot be reached);"
                            + " retrying (after 1 s, doubling to 30 s) to watch db-1 for versions after 5",
                    "pgfleet: the server at " + url + " answers again; watching db-1 for versions after 5",
                    "pgfleet: not found (404): no collector db-1"), ran.err().lines().toList());
        } finally {
            stub.stop(0);
        }
    }

    /**
     * What retrying cannot mend ends a watch at once with its own exit code: a role not allowed
     * (403), a collector not found (404) or decommissioned (410), a session the server no longer
     * refreshes (401), a server whose TLS fails, a redirect; and {@code --give-up-after} bounds the
     * retrying of a server that stays away.
     */
    @Test
    void aWatchEndsAtOnceOnWhatRetryingCannotMendAndGivesUpWhenToldTo() throws IOException {
        java.util.concurrent.atomic.AtomicReference<String> mode = new java.util.concurrent.atomic.AtomicReference<>();
        AtomicInteger calls = new AtomicInteger();
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/config/db-1", exchange -> {
            calls.incrementAndGet();
            int status = Integer.parseInt(mode.get());
            if (status == 302) {
                exchange.getResponseHeaders().add("Location", "https://portal.example/login");
            }
            answer(exchange, status, "application/problem+json", "{\"type\":\"https://pgfleet.io/problems/x\","
                    + "\"title\":\"t\",\"status\":" + status + ",\"detail\":\"said " + status + "\"}");
        });
        stub.createContext("/api/v1/auth/refresh", exchange -> answer(exchange, 401, "application/problem+json",
                "{\"type\":\"https://pgfleet.io/problems/unauthorized\",\"title\":\"t\",\"status\":401,"
                        + "\"detail\":\"refresh token revoked\"}"));
        stub.start();
        try {
            for (Map.Entry<String, Integer> end : Map.of("403", ExitCodes.AUTH, "404", ExitCodes.NOT_FOUND,
                    "410", ExitCodes.NOT_FOUND, "401", ExitCodes.AUTH, "302", ExitCodes.UNAVAILABLE).entrySet()) {
                mode.set(end.getKey());
                calls.set(0);
                Ran ran = run(loggedInTo(stub), "config", "watch", "db-1", "--after", "1", "--wait", "1");
                assertEquals(end.getValue(), ran.exit(), end.getKey() + ": " + ran.err());
                assertEquals(1, ran.err().lines().count(), end.getKey() + ": " + ran.err());
                assertFalse(ran.err().contains("retrying"), ran.err());
                // A 401 is refreshed once (refused here) and not tried again.
                assertEquals(1, calls.get(), end.getKey());
            }

            // A server whose certificate is not trusted here.
            com.sun.net.httpserver.HttpsServer tlsStub = selfSignedStub();
            try {
                Path dir = tmp.resolve("tls-cfg");
                new TokenCache(dir).save(new Session("https://127.0.0.1:" + tlsStub.getAddress().getPort(), "admin", "admin",
                        "token", Instant.now(), Instant.now().plus(Duration.ofHours(1)), "refresh"));
                Ran tls = run(Map.of("PGFLEET_CONFIG_DIR", dir.toString()), "config", "watch", "db-1", "--after", "1");
                assertEquals(ExitCodes.UNAVAILABLE, tls.exit(), tls.err());
                assertTrue(tls.err().startsWith("pgfleet: TLS with https://") && tls.err().contains("not signed by a CA")
                        && tls.err().lines().count() == 1, tls.err());
            } finally {
                tlsStub.stop(0);
            }

            mode.set("503");
            calls.set(0);
            Ran never = run(loggedInTo(stub), "config", "watch", "db-1", "--after", "1", "--give-up-after", "0");
            assertEquals(ExitCodes.UNAVAILABLE, never.exit(), never.err());
            assertEquals("pgfleet: server unavailable (503): said 503\n", never.err());
            assertEquals(1, calls.get(), "0: not retried");

            calls.set(0);
            Ran bounded = run(loggedInTo(stub), "config", "watch", "db-1", "--after", "1", "--give-up-after", "2");
            assertEquals(ExitCodes.UNAVAILABLE, bounded.exit(), bounded.err());
            List<String> lines = bounded.err().lines().toList();
            assertEquals(2, lines.size(), bounded.err());
            assertTrue(lines.get(0).contains("(server unavailable (503): said 503); retrying (after 1 s, doubling to 30 s,"
                    + " for at most 2 s) to watch db-1 for versions after 1"), bounded.err());
            assertTrue(lines.get(1).startsWith("pgfleet: server unavailable (503): said 503; gave up after 2 s of"
                    + " retrying (--give-up-after 2)"), bounded.err());
            // At 0 s, after 1 s, and at the bound (the second wait is cut to what is left of it).
            assertEquals(3, calls.get());

            Ran negative = run(loggedInTo(stub), "config", "watch", "db-1", "--give-up-after", "-1");
            assertEquals(ExitCodes.USAGE, negative.exit(), negative.err());
            assertEquals("pgfleet: --give-up-after must be 0 or more seconds\n", negative.err());
        } finally {
            stub.stop(0);
        }
    }

    /** An HTTPS stub with a self-signed certificate (made with the JDK's keytool), answering 200 to anything. */
    private com.sun.net.httpserver.HttpsServer selfSignedStub() throws IOException {
        Path keys = tmp.resolve("stub.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-genkeypair", "-alias", "stub", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "2",
                "-keystore", keys.toString(), "-storetype", "PKCS12", "-storepass", "changeit")
                .redirectErrorStream(true).start();
        String said = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            assertTrue(keytool.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && keytool.exitValue() == 0, said);
            java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(keys)) {
                store.load(in, "changeit".toCharArray());
            }
            javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
                    javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, "changeit".toCharArray());
            javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
            tls.init(kmf.getKeyManagers(), null, null);
            com.sun.net.httpserver.HttpsServer stub = com.sun.net.httpserver.HttpsServer.create(
                    new InetSocketAddress("127.0.0.1", 0), 0);
            stub.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
            stub.createContext("/", exchange -> answer(exchange, 200, "application/json", "{}"));
            stub.start();
            return stub;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void tomlOutputLeavesNullsOut() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        java.io.PrintWriter w = new java.io.PrintWriter(buf, true, StandardCharsets.UTF_8);
        new Output(Output.Format.toml, w).object(Output.JSON.readTree(
                "{\"id\":\"db-01\",\"last_seen_at\":null,\"labels\":{\"env\":\"prod\"},\"latest_version\":3}"));
        String toml = buf.toString(StandardCharsets.UTF_8);
        assertTrue(toml.contains("id = 'db-01'") || toml.contains("id = \"db-01\""), toml);
        assertTrue(toml.contains("latest_version = 3"), toml);
        assertFalse(toml.contains("last_seen_at"), toml);
    }
}
