package io.pgfleet.agent;

import io.pgfleet.agent.core.AllowLists;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The allow-lists of the agent's local file. */
class LocalSettingsTest {

    @TempDir
    Path dir;

    private LocalSettings read(String extra) throws Exception {
        Path f = dir.resolve("agent.toml");
        Files.writeString(f, "server_url = \"http://127.0.0.1:1\"\nstate_dir = \"state\"\n" + extra);
        return LocalSettings.read(f);
    }

    @Test
    void aFileSavedWithAByteOrderMarkStopsTheAgentNamingTheMarkAndTheRemedy() throws Exception {
        Path f = dir.resolve("agent.toml");
        Files.writeString(f, "\uFEFFserver_url = \"http://127.0.0.1:1\"\nstate_dir = \"state\"\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LocalSettings.read(f));
        assertTrue(e.getMessage().startsWith(f + ": ") && e.getMessage().contains("byte order mark (U+FEFF")
                && e.getMessage().contains("without a byte order mark"), e.getMessage());
    }

    @Test
    void aLocalFileEditedWhileTheAgentRunsIsNamedAtSighupWithTheKeysThatChangedAndTheRestartItNeeds() throws Exception {
        // The FAILED report says "add its directory to allowed_password_dirs in the agent's local
        // file": an operator who did so and ran systemctl reload saw the agent pull, change nothing,
        // and go on reporting the old allow-lists, so the server refused the publish still.
        LocalSettings running = read("name = \"db-01\"\n");
        Path f = dir.resolve("agent.toml");
        assertEquals(java.util.Optional.empty(), running.changedOnDisk(f), "unchanged: nothing to say");
        Files.writeString(f, Files.readString(f) + "allowed_password_dirs = [\"/etc/pgfleet/secrets\", \"/srv/pg\"]\n"
                + "buffer_samples = 50000\n");
        String said = running.changedOnDisk(f).orElseThrow();
        assertEquals("the local file " + f + " changed since the agent started (buffer_samples, allowed_password_dirs):"
                + " the agent reads it only at start and runs on with what it read then (its allow-lists, as reported to"
                + " the server, too); restart it for the change to take effect (systemctl restart pgfleet-agent)."
                + " SIGHUP only pulls the configuration", said);
        Files.writeString(f, Files.readString(f) + "bufer_samples = 1\n");
        String broken = running.changedOnDisk(f).orElseThrow();
        assertTrue(broken.startsWith("warning: the local file " + f + " as it stands now would stop the agent at its next"
                + " start (" + f + ": unknown key 'bufer_samples'; known: "), broken);
        assertTrue(broken.endsWith("); the agent runs on with what it read at start: correct the file before the agent"
                + " restarts"), broken);
    }

    @Test
    void withoutAllowListsTheDefaultsApply() throws Exception {
        assertEquals(AllowLists.defaults(), read("").allowLists().withOwnFiles(List.of()));
        assertEquals(List.of("/etc/pgfleet/secrets"), AllowLists.defaults().passwordDirs());
        assertEquals(List.of("PGPASSWORD", "PGFLEET_*"), AllowLists.defaults().passwordEnv());
    }

    @Test
    void theHostSetsItsOwnListsAndRelativeDirectoriesAreRelativeToTheFile() throws Exception {
        AllowLists a = read("""
                allowed_password_dirs = ["secrets", "/srv/pg"]
                allowed_password_env = ["DB_PASS"]
                allowed_hosts = ["db.internal"]
                """).allowLists();
        assertEquals(List.of(dir.resolve("secrets").toString(), "/srv/pg"), a.passwordDirs());
        assertEquals(List.of("DB_PASS"), a.passwordEnv());
        assertEquals(List.of("db.internal"), a.hosts());
    }

    @Test
    void theAgentsOwnCredentialFilesAreKnownSoNoAllowedDirectoryCanExposeThem() throws Exception {
        AllowLists a = read("""
                registration_secret_file = "registration-secret"
                enrolment_token_file = "enrolment-token"
                allowed_password_dirs = ["."]
                """).allowLists();
        assertEquals(List.of(dir.resolve("agent.toml").toString(), dir.resolve("state").toString(),
                dir.resolve("registration-secret").toString(), dir.resolve("enrolment-token").toString()), a.ownFiles());
        for (String own : List.of("state/identity.properties", "registration-secret", "enrolment-token", "agent.toml")) {
            String why = a.check(new io.pgfleet.domain.schema.EffectiveConfig.PostgresTarget("localhost", 5432, "pgfleet",
                    dir.resolve(own).toString(), "", List.of("postgres"), "prefer")).orElseThrow();
            assertTrue(why.contains("the agent's own credentials") && !why.contains("exist"), why);
        }
    }

    @Test
    void labelsTheServerWouldRefuseStopTheAgentAtStartNamingTheFile() throws Exception {
        assertEquals(java.util.Map.of("env", "prod", "team/db", "a-b"),
                read("[labels]\nenv = \"prod\"\n\"team/db\" = \"a-b\"\n").labels());
        for (String bad : List.of("[labels]\n\"has space\" = \"x\"\n", "[labels]\nenv = \"p\\u001b[31m\"\n",
                "[labels]\nenv = \"a b\"\n", "[labels]\nenv = \"pr\\u043Ed\"\n", "[labels]\nenv = \"prod,eu\"\n",
                "[labels]\nenv.region = \"eu\"\n", "[labels]\nenv = [\"a\"]\n")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(bad), bad);
            assertTrue(e.getMessage().contains("agent.toml") && e.getMessage().contains("label"), e.getMessage());
        }
    }

    @Test
    void anAgentRegisteredAlreadyStartsWithLabelsAnEarlierReleaseAcceptedSinceItSendsThemNoMore() throws Exception {
        String legacy = "[labels]\n\"has space\" = \"x\"\nenv = \"prod\"\n";
        assertThrows(IllegalArgumentException.class, () -> read(legacy), "not registered yet: the labels will be sent");
        Files.createDirectories(dir.resolve("state"));
        Files.writeString(dir.resolve("state/identity.properties"), "collector_id=db-1\nrefresh_token=r\n");
        assertEquals(java.util.Map.of("has space", "x", "env", "prod"), read(legacy).labels());
    }

    @Test
    void aServerUrlWithTheApisPathIsRefusedNamingTheUrlToWrite() throws Exception {
        for (String url : List.of("http://fleet.example:8080/api/v1", "http://fleet.example:8080/api/v1/", "http://fleet.example:8080/api")) {
            Path f = dir.resolve("agent.toml");
            Files.writeString(f, "server_url = \"" + url + "\"\nstate_dir = \"state\"\n");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LocalSettings.read(f), url);
            assertTrue(e.getMessage().contains("write http://fleet.example:8080 instead of " + url), e.getMessage());
        }
        Path f = dir.resolve("agent.toml");
        Files.writeString(f, "server_url = \"https://fleet.example/pgfleet/\"\nstate_dir = \"state\"\n");
        assertEquals("https://fleet.example/pgfleet", LocalSettings.read(f).serverUrl().toString(),
                "a server behind a path of its own is fine");
    }

    /**
     * A server_url that cannot reach a server used to be taken, and the agent retried it for ever
     * ("port out of range", no host, the API's paths swallowed by a '?' or '#'), or it stopped with
     * the URI parser's words naming neither the file nor the key.
     */
    @Test
    void aServerUrlThatCannotBeOneStopsTheAgentNamingTheFileAndTheKey() throws Exception {
        for (String url : List.of("http://", "https://:8080", "http://fleet.example:99999", "http://fleet.example:0",
                "http://fleet.example:8080?tenant=a", "http://fleet.example:8080/#top", "http://agent:hunter2@fleet.example",
                "http://fleet example:8080")) {
            Path f = dir.resolve("agent.toml");
            Files.writeString(f, "server_url = \"" + url + "\"\nstate_dir = \"state\"\n");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LocalSettings.read(f), url);
            assertTrue(e.getMessage().startsWith(f + ": server_url "), url + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("hunter2"), "the password is not repeated: " + e.getMessage());
        }
    }

    @Test
    void anEntryTheServerWouldRefuseInItsStatusReportsStopsTheAgentAtStartNamingTheLocalKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> read("allowed_hosts = [\"localhost\", \"db host\"]\n"));
        assertTrue(e.getMessage().contains("allowed_hosts holds host names") && e.getMessage().contains("'db host'"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> read("allowed_password_env = [\"PG-PASSWORD\"]\n"));
        assertTrue(e.getMessage().contains("allowed_password_env"), e.getMessage());
    }

    @Test
    void aKeyOfTheWrongTypeStopsTheAgentNamingTheFileTheKeyAndWhatItTakes() {
        record Case(String line, String message) {
        }
        for (Case c : List.of(
                new Case("name = 5\n", "name is a string, not an integer"),
                new Case("registration_secret_file = true\n", "registration_secret_file is a string, not true or false"),
                new Case("enrolment_token_file = [\"t\"]\n", "enrolment_token_file is a string, not an array"),
                new Case("buffer_samples = \"lots\"\n", "buffer_samples is an integer 100..10000000, not a string"),
                new Case("buffer_samples = 1.5\n", "buffer_samples is an integer 100..10000000, not a number with a fraction"),
                new Case("labels = \"env=prod\"\n", "labels is a table (labels = { env = \"prod\" }), not a string"),
                new Case("tls = 5\n", "tls is a table ([tls] ca_file, cert_file, key_file), not an integer"),
                new Case("[tls]\nca_file = 5\n", "tls.ca_file is a string (a path), not an integer"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(c.line()), c.line());
            assertEquals(dir.resolve("agent.toml") + ": " + c.message(), e.getMessage());
        }
        Path f = dir.resolve("url.toml");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            Files.writeString(f, "server_url = 8080\nstate_dir = \"state\"\n");
            LocalSettings.read(f);
        });
        assertEquals(f + ": server_url is a string, not an integer", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> {
            Files.writeString(f, "server_url = \"http://127.0.0.1:1\"\nstate_dir = 5\n");
            LocalSettings.read(f);
        });
        assertEquals(f + ": state_dir is a string, not an integer", e.getMessage());
    }

    @Test
    void aFileThatCannotBeReadIsNamedWithTheReason() {
        Path missing = dir.resolve("agnet.toml");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LocalSettings.read(missing));
        assertEquals("cannot read " + missing + ": no such file", e.getMessage());
    }

    @Test
    void aListThatIsNotAListOfStringsIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read("allowed_hosts = \"db\"\n"));
        assertEquals(dir.resolve("agent.toml") + ": allowed_hosts is a list of strings", e.getMessage(),
                "the file named once");
        e = assertThrows(IllegalArgumentException.class, () -> read("allowed_password_env = [1]\n"));
        assertTrue(e.getMessage().contains("non-empty strings"), e.getMessage());
    }

    @Test
    void theAgentsOwnMetricsAreOffUnlessEnabledAndThenOnLoopback() throws Exception {
        assertEquals(io.pgfleet.agent.metrics.MetricsSettings.off(), read("").metrics());
        io.pgfleet.agent.metrics.MetricsSettings on = read("[metrics]\nenabled = true\n").metrics();
        assertEquals(new io.pgfleet.agent.metrics.MetricsSettings(true, "127.0.0.1", 9464), on);
        assertEquals(new io.pgfleet.agent.metrics.MetricsSettings(true, "0.0.0.0", 0),
                read("[metrics]\nenabled = true\nhost = \"0.0.0.0\"\nport = 0\n").metrics());
        for (String bad : List.of("[metrics]\nport = 70000\n", "[metrics]\nport = \"80\"\n", "[metrics]\nenabled = \"yes\"\n",
                "[metrics]\nhost = \"\"\n", "[metrics]\nlisten = \"x\"\n", "metrics = true\n")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(bad), bad);
            assertTrue(e.getMessage().contains("metrics"), e.getMessage());
        }
    }
}
