package io.pgfleet.bench.fleet;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fleet in the suite: 200 real agent cores against two real server processes on one
 * PostgreSQL for about a minute, one instance killed with -9 and restarted, then a fleet-wide
 * publish. Fails when any property of a fleet run fails: idle agents making more than a few
 * requests a minute, a publish not run by every agent, a sample lost or stored twice, an agent
 * locked out, a 5xx outside a planned outage, memory growing. The long runs are
 * {@code ./pgfleet bench fleet} (docs/benchmarks.md).
 */
class FleetSoakIT {

    @Test
    void twoHundredAgentsThroughAServerKilledAndRestartedKeepEveryPropertyOfAFleet() throws Exception {
        Path jar = Path.of(System.getProperty("pgfleet.server.jar", "../server/target/pgfleet-server.jar"));
        assertTrue(Files.isRegularFile(jar), "the server jar is built first: " + jar.toAbsolutePath());
        Path out = Path.of(System.getProperty("pgfleet.fleet.out", "target/fleet"));

        FleetReport report = FleetSimulation.run(new FleetSimulation.Options(200, 1.0, 2, Scenario.KILL_SERVER, jar, out,
                Duration.ofSeconds(8), 8, "256m", Duration.ofSeconds(20)));

        assertTrue(report.passed(), report::markdown);
        assertEquals(6, report.checks().size(), "every property is checked");
        assertEquals(200L, report.facts().get("agents_registered"));
    }
}
