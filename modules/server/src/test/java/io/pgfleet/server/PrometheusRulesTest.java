package io.pgfleet.server;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped alert rules ({@code deploy/prometheus/alerts.yml}) are valid and each fires on the series
 * it is meant for, by their unit tests in {@code alerts_test.yml} under {@code promtool test rules}.
 */
class PrometheusRulesTest {

    static final Path DEPLOY = Path.of("..", "..", "deploy").toAbsolutePath().normalize();

    @Test
    void alertRulesAreValidAndTheirUnitTestsPass() {
        Path rules = DEPLOY.resolve("prometheus");
        assertTrue(Files.isRegularFile(rules.resolve("alerts.yml")), rules.toString());
        Optional<Path> promtool = Promtool.find();
        if (promtool.isPresent()) {
            Promtool.Run check = Promtool.run(promtool.get(), Optional.empty(), "check", "rules",
                    rules.resolve("alerts.yml").toString());
            assertEquals(0, check.exit(), check.output());
            Promtool.Run test = Promtool.run(promtool.get(), Optional.empty(), "test", "rules",
                    rules.resolve("alerts_test.yml").toString());
            assertEquals(0, test.exit(), test.output());
            assertTrue(test.output().contains("SUCCESS"), test.output());
        }
    }
}
