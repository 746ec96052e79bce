package io.pgfleet.cli;

import io.pgfleet.server.ServerSettings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pgfleet rollouts …} run as a process (the shipped jar) against a real server on a real
 * PostgreSQL, with a collector that has reported through the API so that a wave waits for it.
 */
class CliRolloutsIT {

    @TempDir
    static Path tmp;
    @RegisterExtension
    static final CliServer SERVER = new CliServer();
    private static CliProcess cli;

    @BeforeAll
    static void session() throws Exception {
        cli = SERVER.cli();
        // A canary that was in touch once (not stale: it pushed, as an agent running the defaults does, with
        // no revision to report) and will not report the staged version: its wave waits.
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> registered = http.send(HttpRequest.newBuilder(URI.create(SERVER.url()
                        + "/api/v1/collectors/register")).header("Content-Type", "application/json")
                .header("X-Registration-Secret", ServerSettings.TEST_REGISTRATION_SECRET)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"canary\",\"labels\":{\"rteam\":\"r1\","
                        + "\"canary\":\"true\"}}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, registered.statusCode(), registered.body());
        JsonNode body = Output.JSON.readTree(registered.body());
        HttpResponse<String> pushed = http.send(HttpRequest.newBuilder(URI.create(SERVER.url() + "/api/v1/metrics/push"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + body.path("access_token").asString())
                .POST(HttpRequest.BodyPublishers.ofString("{\"batch_id\":\"canary-1\",\"samples\":[]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, pushed.statusCode(), pushed.body());
        cli.run("groups", "create", "rgroup", "--selector", "rteam=r1").expect(ExitCodes.OK);
    }

    @Test
    void startListShowPauseResumeAbortAndWhatIsRefused() throws Exception {
        Path doc = Files.writeString(tmp.resolve("layer.toml"), "[collector]\npush_interval = 20\n");
        CliProcess.Run started = cli.run("rollouts", "start", "group/rgroup", doc.toString(), "--wave", "canary=true",
                "--wave", "100%", "--bake", "0", "--deadline", "600", "-m", "canary first").expect(ExitCodes.OK);
        assertTrue(started.out().matches("Started rollout \\d+ of group/rgroup@1; wave 1 of 2 has 1 member\\s*"),
                started.out());
        String id = started.out().replaceAll("Started rollout (\\d+) .*\\s*", "$1");

        assertTrue(cli.run("rollouts").expect(ExitCodes.OK).out().lines()
                .anyMatch(l -> l.startsWith(id + " ") && l.contains("running") && l.contains("1/2")));
        CliProcess.Run show = cli.run("rollouts", "show", id).expect(ExitCodes.OK);
        assertTrue(show.out().startsWith("Rollout " + id + " of group/rgroup@1 (no previous version): running, wave 1 of 2"),
                show.out());
        assertTrue(show.out().contains("Timeline:") && show.out().contains("canary=true"), show.out());

        assertTrue(cli.run("rollouts", "pause", id).expect(ExitCodes.OK).out().contains(": paused, wave 1 of 2"));
        assertTrue(cli.run("rollouts", "pause", id).expect(ExitCodes.CONFLICT).err().contains("cannot be paused"));
        cli.run("rollouts", "resume", id).expect(ExitCodes.OK);
        cli.run("rollouts", "start", "group/rgroup", doc.toString(), "--wave", "100%").expect(ExitCodes.CONFLICT);
        CliProcess.Run aborted = cli.run("rollouts", "abort", id).expect(ExitCodes.OK);
        assertTrue(aborted.out().contains(": rolled_back") && aborted.out().contains("Reason: aborted by admin"),
                aborted.out());
        cli.run("rollouts", "promote", id).expect(ExitCodes.CONFLICT);

        cli.run("rollouts", "show", "999999").expect(ExitCodes.NOT_FOUND);
        cli.run("rollouts", "start", "group/rgroup", doc.toString(), "--wave", "0%").expect(ExitCodes.REFUSED);
        cli.run("rollouts", "start", "group/rgroup", doc.toString(), "--wave", "typo=true", "--wave", "100%")
                .expect(ExitCodes.REFUSED);
        JsonNode list = cli.run("rollouts", "list", "--state", "rolled_back", "-o", "json").expect(ExitCodes.OK).json();
        assertEquals(id, list.path("rollouts").get(0).path("id").asString());
    }
}
