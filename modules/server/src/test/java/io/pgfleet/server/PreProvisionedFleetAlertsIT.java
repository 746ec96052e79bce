package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Making a fleet known before its agents exist (as the README suggests), and running an agent that
 * has no configuration published yet, pages nobody: the fleet gauges a real server exports for that
 * fleet, held for an hour, fire neither of the shipped alerts about silent or out-of-sync
 * collectors ({@code deploy/prometheus/alerts.yml} under {@code promtool test rules}).
 */
class PreProvisionedFleetAlertsIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static final List<String> STATES = List.of("in_sync", "out_of_sync", "never_seen", "stale", "revoked");

    @Test
    void aPreProvisionedFleetAndAnUnconfiguredAgentFireNoAlert() throws IOException {
        ApiClient admin = ApiClient.asAdmin(SERVER.port());
        for (int i = 1; i <= 4; i++) {
            assertEquals(201, admin.createCollector("pre-0" + i).statusCode());
        }
        assertEquals(201, admin.putToml("/api/v1/config/pre-01", aDocument().toml()).statusCode());
        ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"registered-only\"}");
        ApiClient idle = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"idle\"}");
        assertEquals(202, idle.postJson("/api/v1/metrics/push", "{\"batch_id\":\"idle-batch-1\",\"samples\":[{\"name\":\"pg_up\","
                + "\"labels\":{},\"value\":1,\"ts\":\"" + java.time.Instant.now() + "\"}]}").statusCode());

        String text = new ApiClient(SERVER.port()).get("/observe/metrics").body();
        // Registering is contact: "registered-only" is seen (in sync, nothing published), and would go
        // stale, and page, if its agent stayed silent for three pull intervals.
        assertEquals(4, gauge(text, "never_seen"), text);
        assertEquals(2, gauge(text, "in_sync"), text);

        Optional<Path> promtool = Promtool.find();
        if (promtool.isEmpty()) {
            return;
        }
        // The scraped gauges, unchanged for an hour: longer than either alert's "for".
        StringBuilder series = new StringBuilder();
        for (String state : STATES) {
            series.append("      - series: 'pgfleet_collectors{state=\"").append(state).append("\",instance=\"a\"}'\n")
                    .append("        values: '").append((long) gauge(text, state)).append("x60'\n");
        }
        Path rules = PrometheusRulesTest.DEPLOY.resolve("prometheus").resolve("alerts.yml");
        Path test = Files.createTempFile("pre-provisioned-alerts", ".yml");
        try {
            Files.writeString(test, "rule_files:\n  - " + rules + "\nevaluation_interval: 1m\ntests:\n"
                    + "  - interval: 1m\n    input_series:\n" + series
                    + "    alert_rule_test:\n"
                    + "      - eval_time: 59m\n        alertname: PgfleetCollectorsSilent\n        exp_alerts: []\n"
                    + "      - eval_time: 59m\n        alertname: PgfleetCollectorsOutOfSync\n        exp_alerts: []\n");
            Promtool.Run run = Promtool.run(promtool.get(), Optional.empty(), "test", "rules", test.toString());
            assertEquals(0, run.exit(), series + run.output());
            assertTrue(run.output().contains("SUCCESS"), run.output());
        } finally {
            Files.deleteIfExists(test);
        }
    }

    private static double gauge(String text, String state) {
        Matcher m = Pattern.compile("(?m)^pgfleet_collectors\\{state=\"" + state + "\"} ([0-9.E+-]+)$").matcher(text);
        assertTrue(m.find(), "no " + state + " gauge in\n" + text);
        return Double.parseDouble(m.group(1));
    }
}
