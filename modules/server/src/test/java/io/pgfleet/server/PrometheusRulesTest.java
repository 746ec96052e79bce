package io.pgfleet.server;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped alert rules ({@code deploy/prometheus/alerts.yml}) are valid and each fires on the series
 * it is meant for, by their unit tests in {@code alerts_test.yml} under {@code promtool test rules};
 * and whatever an alert watches, the shipped dashboard ({@code deploy/grafana/pgfleet.json}) shows, so
 * that whoever is paged finds the series on it.
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

    @Test
    void everyMetricAnAlertRuleWatchesHasAPanelOnTheDashboard() throws IOException {
        Map<String, Set<String>> alerts = alertMetrics(Files.readString(DEPLOY.resolve("prometheus/alerts.yml")));
        assertTrue(alerts.size() >= 7, alerts.toString());
        Set<String> shown = dashboardMetrics(Files.readString(DEPLOY.resolve("grafana/pgfleet.json")));
        Map<String, Set<String>> missing = new LinkedHashMap<>();
        alerts.forEach((alert, metrics) -> {
            Set<String> notShown = new TreeSet<>(metrics);
            notShown.removeAll(shown);
            if (!notShown.isEmpty()) {
                missing.put(alert, notShown);
            }
        });
        assertTrue(missing.isEmpty(), "alert rules watch metrics that no panel of the dashboard shows: " + missing);
    }

    /**
     * Whoever is paged looks the alert up in the operations guide: its "Alerts" table has a row for
     * every shipped rule and none for a rule that is not shipped, and every state of
     * {@code pgfleet_collectors} the guide tells operators to alert on has a rule watching it.
     */
    @Test
    void theOperationsGuideDescribesEveryShippedAlert() throws IOException {
        String guide = Files.readString(DEPLOY.resolveSibling("docs").resolve("operations.md"));
        String rules = Files.readString(DEPLOY.resolve("prometheus/alerts.yml"));
        Set<String> documented = new TreeSet<>();
        Matcher row = Pattern.compile("(?m)^\\| `(Pgfleet[A-Za-z]+)` \\(").matcher(guide);
        while (row.find()) {
            documented.add(row.group(1));
        }
        assertEquals(new TreeSet<>(alertMetrics(rules).keySet()), documented,
                "the alerts in deploy/prometheus/alerts.yml and the table in docs/operations.md, \"Alerts\"");
        // The metrics table describes each state as "`state` = meaning"; an advice to alert belongs to
        // the state described last before it.
        String gauge = guide.lines().filter(l -> l.startsWith("| `pgfleet_collectors` |")).findFirst().orElseThrow();
        int recommended = 0;
        for (int at = gauge.indexOf("alert on it"); at >= 0; at = gauge.indexOf("alert on it", at + 1)) {
            Matcher state = Pattern.compile("`([a-z_]+)` = ").matcher(gauge.substring(0, at));
            String last = null;
            while (state.find()) {
                last = state.group(1);
            }
            assertTrue(last != null, gauge);
            recommended++;
            assertTrue(rules.contains("pgfleet_collectors{state=\"" + last + "\"}"),
                    "docs/operations.md says to alert on pgfleet_collectors{state=\"" + last + "\"} but no rule watches it");
        }
        assertTrue(recommended > 0, "the guide recommends alerting on no collector state");
    }

    /**
     * The metric families each alert's {@code expr} names (comments and annotations left out, so a
     * metric named in a description does not count).
     */
    static Map<String, Set<String>> alertMetrics(String rules) {
        Map<String, Set<String>> byAlert = new LinkedHashMap<>();
        String alert = null;
        int exprIndent = -1;   // >= 0 while inside a multi-line expr block
        for (String line : rules.split("\n")) {
            String text = line.strip();
            int indent = line.length() - line.stripLeading().length();
            if (exprIndent >= 0 && (text.isEmpty() || indent > exprIndent)) {
                byAlert.get(alert).addAll(families(text));
                continue;
            }
            exprIndent = -1;
            if (text.startsWith("- alert:")) {
                alert = text.substring("- alert:".length()).strip();
                byAlert.put(alert, new TreeSet<>());
            } else if (text.startsWith("expr:") && alert != null) {
                String value = text.substring("expr:".length()).strip();
                if (value.equals("|") || value.equals(">")) {
                    exprIndent = indent;
                } else {
                    byAlert.get(alert).addAll(families(value));
                }
            }
        }
        return byAlert;
    }

    /** The metric families the dashboard's panels query. */
    static Set<String> dashboardMetrics(String json) {
        JsonObject dashboard = Json.createReader(new StringReader(json)).readObject();
        Set<String> names = new TreeSet<>();
        for (JsonValue p : dashboard.getJsonArray("panels")) {
            for (JsonValue t : p.asJsonObject().getJsonArray("targets")) {
                names.addAll(families(t.asJsonObject().getString("expr")));
            }
        }
        return names;
    }

    /** Metric names in an expression, a histogram's series ({@code _bucket}, {@code _count}, {@code _sum}) as its family. */
    private static Set<String> families(String expression) {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\b((?:pgfleet|jvm|process|system)_[a-z0-9_]+)\\b").matcher(expression);
        while (m.find()) {
            names.add(m.group(1).replaceFirst("_(bucket|count|sum)$", ""));
        }
        return names;
    }
}
