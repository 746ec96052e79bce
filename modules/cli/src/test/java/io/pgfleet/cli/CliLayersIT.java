package io.pgfleet.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI's fleet and group layer commands and {@code collectors effective}, run as a process (the
 * shipped jar) against a real server on a real PostgreSQL.
 */
class CliLayersIT {

    static final String FLEET_A = "[collector]\npush_interval = 45\n";
    static final String FLEET_B = "[collector]\npush_interval = 50\n\n[collectors.pg_locks]\nenabled = true\n";
    static final String GROUP_DOC = "[collectors.pg_stats]\ninterval = 7\n";
    static final String OWN_DOC = "[postgres]\nport = 6432\n";
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

    private static Path file(String name, String text) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    /** A fresh group and one collector in it (labelled with a team only they share). */
    private static String[] groupWithMember() {
        int n = IDS.incrementAndGet();
        String group = "team-" + n;
        String collector = "layered-" + n;
        cli.run("collectors", "create", collector, "--label", "team=t" + n, "--label", "env=test").expect(ExitCodes.OK);
        CliProcess.Run created = cli.run("groups", "create", group, "--selector", "team=t" + n + ",env=test",
                "--priority", "5", "--description", "team " + n).expect(ExitCodes.OK);
        assertTrue(created.out().startsWith("Created group " + group), created.out());
        return new String[] {group, collector};
    }

    @Test
    void fleetPutGetHistoryDiffRollback() throws IOException {
        JsonNode a = cli.run("fleet", "put", file("fleet-a.toml", FLEET_A).toString(), "-m", "slower", "-o", "json")
                .expect(ExitCodes.OK).json();
        int va = a.path("version").asInt();
        assertEquals("fleet", a.path("layer").asString());
        CliProcess.Run b = cli.runWithInput(FLEET_B, "fleet", "put", "-", "--if-match", a.path("etag").asString())
                .expect(ExitCodes.OK);
        assertTrue(b.out().startsWith("Published fleet version " + (va + 1)), b.out());

        assertEquals(FLEET_B, cli.run("fleet", "get").expect(ExitCodes.OK).out());
        assertEquals(FLEET_A, cli.run("fleet", "get", "--version", Integer.toString(va)).expect(ExitCodes.OK).out());
        JsonNode got = cli.run("fleet", "get", "-o", "json").expect(ExitCodes.OK).json();
        assertEquals(va + 1, got.path("version").asInt());
        assertEquals(FLEET_B, got.path("document").asString());
        String toml = cli.run("fleet", "get", "-o", "toml").expect(ExitCodes.OK).out();
        assertTrue(toml.lines().anyMatch(l -> l.matches("layer = ['\"]fleet['\"]")), toml);

        JsonNode history = cli.run("fleet", "history", "-o", "json").expect(ExitCodes.OK).json();
        assertEquals(va + 1, history.path("versions").get(0).path("version").asInt());
        assertEquals("slower", history.path("versions").get(1).path("message").asString());
        assertTrue(cli.run("fleet", "history").expect(ExitCodes.OK).out().startsWith("VERSION"));

        String diff = cli.run("fleet", "diff", Integer.toString(va), Integer.toString(va + 1)).expect(ExitCodes.OK).out();
        assertTrue(diff.contains("-push_interval = 45") && diff.contains("+push_interval = 50"), diff);

        CliProcess.Run back = cli.run("fleet", "rollback", Integer.toString(va), "--expect-version", Integer.toString(va + 1))
                .expect(ExitCodes.OK);
        assertTrue(back.out().startsWith("Published fleet version " + (va + 2)), back.out());
        assertEquals(FLEET_A, cli.run("fleet", "get").expect(ExitCodes.OK).out());
        cli.run("fleet", "diff", "1", "999").expect(ExitCodes.NOT_FOUND);
    }

    @Test
    void groupCreateConfigPutAndEffectiveShowsEachKeysSource() throws IOException {
        String[] gc = groupWithMember();
        String group = gc[0];
        String collector = gc[1];
        JsonNode shown = cli.run("groups", "show", group, "-o", "json").expect(ExitCodes.OK).json();
        assertEquals(5, shown.path("priority").asInt());
        assertEquals("t" + IDS.get(), shown.path("selector").path("team").asString());
        List<String> listed = new ArrayList<>();
        cli.run("groups", "list", "-o", "json").expect(ExitCodes.OK).json().path("groups")
                .forEach(g -> listed.add(g.path("id").asString()));
        assertTrue(listed.contains(group), listed.toString());
        assertTrue(cli.run("groups").expect(ExitCodes.OK).out().contains(group));
        assertTrue(cli.run("groups", "members", group).expect(ExitCodes.OK).out().contains(collector));

        CliProcess.Run put = cli.run("groups", "config", "put", group, file(group + ".toml", GROUP_DOC).toString(), "-m", "x")
                .expect(ExitCodes.OK);
        assertTrue(put.out().startsWith("Published group/" + group + " version 1"), put.out());
        assertEquals(GROUP_DOC, cli.run("groups", "config", "get", group).expect(ExitCodes.OK).out());
        assertEquals(1, cli.run("groups", "config", "history", group, "-o", "json").expect(ExitCodes.OK).json()
                .path("versions").size());
        cli.run("config", "put", collector, file(collector + ".toml", OWN_DOC).toString()).expect(ExitCodes.OK);

        JsonNode effective = cli.run("collectors", "effective", collector, "-o", "json").expect(ExitCodes.OK).json();
        JsonNode keys = effective.path("keys");
        assertEquals("group/" + group + "@1", keys.path("collectors.pg_stats.interval").path("source").asString(), keys.toString());
        assertEquals(7, keys.path("collectors.pg_stats.interval").path("value").asInt());
        assertEquals("collector@1", keys.path("postgres.port").path("source").asString(), keys.toString());
        assertTrue(keys.path("collector.push_interval").path("source").asString().startsWith("fleet@")
                || keys.path("collector.push_interval").path("source").asString().equals("default"), keys.toString());

        String table = cli.run("collectors", "effective", collector).expect(ExitCodes.OK).out();
        assertTrue(table.lines().anyMatch(l -> l.matches("collectors\\.pg_stats\\.interval\\s+7\\s+group/" + group + "@1")),
                table);
        assertTrue(table.lines().anyMatch(l -> l.matches("postgres\\.port\\s+6432\\s+collector@1")), table);

        // a selector that no longer matches: the collector leaves the group and its layer
        cli.run("groups", "update", group, "--selector", "team=nobody").expect(ExitCodes.OK);
        assertEquals("default", cli.run("collectors", "effective", collector, "-o", "json").expect(ExitCodes.OK).json()
                .path("keys").path("collectors.pg_stats.interval").path("source").asString("default"));
        cli.run("groups", "update", group).expect(ExitCodes.USAGE);
        cli.run("groups", "delete", group).expect(ExitCodes.OK);
        cli.run("groups", "show", group).expect(ExitCodes.NOT_FOUND);
        cli.run("collectors", "effective", "no-such-collector").expect(ExitCodes.NOT_FOUND);
    }

    @Test
    void aStaleIfMatchOnAGroupLayerExitsThreeAndStoresNothing() throws IOException {
        String group = groupWithMember()[0];
        JsonNode v1 = cli.run("groups", "config", "put", group, file(group + "-1.toml", GROUP_DOC).toString(), "-o", "json")
                .expect(ExitCodes.OK).json();
        String etag1 = v1.path("etag").asString();
        Path two = file(group + "-2.toml", GROUP_DOC.replace("7", "8"));
        cli.run("groups", "config", "put", group, two.toString(), "--if-match", etag1).expect(ExitCodes.OK);
        Path three = file(group + "-3.toml", GROUP_DOC.replace("7", "9"));
        CliProcess.Run stale = cli.run("groups", "config", "put", group, three.toString(), "--if-match", etag1)
                .expect(ExitCodes.CONFLICT);
        assertTrue(stale.err().contains("412") && stale.err().contains("latest version 2"), stale.err());
        cli.run("groups", "config", "rollback", group, "1", "--expect-version", "1").expect(ExitCodes.CONFLICT);
        cli.run("groups", "config", "put", group, three.toString(), "--expect-version", "7").expect(ExitCodes.CONFLICT);
        assertEquals(2, cli.run("groups", "config", "history", group, "-o", "json").expect(ExitCodes.OK).json()
                .path("versions").size());
        assertTrue(cli.run("groups", "config", "diff", group, "1", "2").expect(ExitCodes.OK).out().contains("+interval = 8"));
        cli.run("groups", "config", "put", "no-such-group", three.toString()).expect(ExitCodes.NOT_FOUND);
    }

    @Test
    void anInvalidLayerExitsTwoWithEveryErrorsLineAndStoresNothing() throws IOException {
        String group = groupWithMember()[0];
        Path bad = file(group + "-bad.toml", INVALID);
        CliProcess.Run refused = cli.run("groups", "config", "put", group, bad.toString()).expect(ExitCodes.REFUSED);
        assertTrue(refused.err().contains(bad + ":2:1: collector.push_interval"), refused.err());
        assertTrue(refused.err().contains(bad + ":4:1: postgres.password"), refused.err());
        cli.run("groups", "config", "get", group).expect(ExitCodes.NOT_FOUND);

        CliProcess.Run fleet = cli.run("fleet", "put", bad.toString()).expect(ExitCodes.REFUSED);
        assertTrue(fleet.err().contains(bad + ":2:1: collector.push_interval"), fleet.err());
    }

    @Test
    void aViewerIsRefusedLayerWritesWithExitFive() throws IOException {
        String group = groupWithMember()[0];
        String user = "ro" + IDS.incrementAndGet();
        cli.runWithInput("a-long-viewer-password\n", "users", "create", user, "--role", "viewer", "--password-stdin")
                .expect(ExitCodes.OK);
        CliProcess viewer = new CliProcess(tmp.resolve("viewer-home"), SERVER.url());
        viewer.runWithInput("a-long-viewer-password\n", "login", "-u", user, "--password-stdin").expect(ExitCodes.OK);
        Path doc = file(user + ".toml", GROUP_DOC);
        CliProcess.Run refused = viewer.run("fleet", "put", doc.toString()).expect(ExitCodes.AUTH);
        assertTrue(refused.err().contains("not allowed (403)"), refused.err());
        viewer.run("groups", "config", "put", group, doc.toString()).expect(ExitCodes.AUTH);
        viewer.run("groups", "create", "viewer-made", "--selector", "a=b").expect(ExitCodes.AUTH);
        viewer.run("groups", "delete", group).expect(ExitCodes.AUTH);
        viewer.run("groups", "show", group).expect(ExitCodes.OK);
    }

    @Test
    void helpAndCompletionKnowTheLayerCommands() {
        assertTrue(cli.run("help", "groups", "config", "put").expect(ExitCodes.OK).out().contains("--if-match"));
        assertTrue(cli.run("help", "fleet", "rollback").expect(ExitCodes.OK).out().contains("--expect-version"));
        assertTrue(cli.run("help", "collectors", "effective").expect(ExitCodes.OK).out().contains("group/G@V"));
        String completion = cli.run("generate-completion").expect(ExitCodes.OK).out();
        assertTrue(completion.contains("fleet") && completion.contains("groups") && completion.contains("effective"));
        cli.run("groups", "config", "put", "g").expect(ExitCodes.USAGE);
        cli.run("fleet", "put", "f", "--if-match", "a", "--expect-version", "1").expect(ExitCodes.USAGE);
    }
}
