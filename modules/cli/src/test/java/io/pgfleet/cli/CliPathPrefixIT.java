package io.pgfleet.cli;

import io.pgfleet.server.PgfleetServer;
import io.pgfleet.testing.PathPrefixProxy;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI against a server that a reverse proxy mounts under a path prefix
 * ({@code --server http://127.0.0.1:PORT/pgfleet}): it appends the API's paths to that URL, so the
 * login, the writes and the fleet view read page after page through the body's {@code next} all go
 * through the prefix, and nothing reaches the proxy outside it.
 */
class CliPathPrefixIT {

    private static PgfleetServer server;
    private static PathPrefixProxy proxy;
    private static CliProcess cli;

    @BeforeAll
    static void serverBehindAPrefix() throws IOException {
        Path dir = Files.createTempDirectory("pgfleet-cli-prefix-it");
        server = CliProcess.server(TestPostgres.newDatabase(), dir.resolve("data"), CliProcess.defaultTtl());
        proxy = PathPrefixProxy.start("/pgfleet", server.port());
        cli = new CliProcess(dir.resolve("home").resolve("pgfleet"), "http://127.0.0.1:" + proxy.port() + "/pgfleet");
        cli.login();
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theCliWorksUnderAReverseProxysPathPrefixAndFollowsNextThroughIt() {
        List<String> created = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            String id = "behind-proxy-" + i;
            cli.run("collectors", "create", id, "--label", "batch=prefix").expect(ExitCodes.OK);
            created.add(id);
        }
        cli.runWithInput("[collector]\npush_interval = 30\n", "config", "put", created.get(0), "-", "-m", "via the proxy")
                .expect(ExitCodes.OK);
        assertEquals(1, cli.run("config", "get", created.get(0), "-o", "json").expect(ExitCodes.OK).json().path("version").asInt());

        // One collector per page: the CLI follows the body's next, joined with its server URL.
        JsonNode paged = cli.run("collectors", "--selector", "batch=prefix", "--page-size", "1", "-o", "json")
                .expect(ExitCodes.OK).json();
        List<String> ids = new ArrayList<>();
        paged.path("collectors").forEach(c -> ids.add(c.path("id").asString()));
        assertEquals(created, ids);

        assertEquals(List.of(), proxy.outsidePrefix(), "requests the proxy could not forward");
        long pages = proxy.forwarded().stream().filter(f -> f.startsWith("GET /api/v1/collectors?limit=1&") && f.contains("after=")
                && f.endsWith(" 200")).count();
        assertTrue(pages >= 2, proxy.forwarded().toString());
    }
}
