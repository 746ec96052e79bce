package io.pgfleet.bench.fleet;

import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code rolling-upgrade} scenario's steps, each with its checks. Half the agents run the
 * previous release (they report configuration schema 1 and refuse a document with a key of
 * schema 2); a key of schema 2 ({@code pg_stat_statements}) is published to the whole fleet:
 * <ol>
 *   <li>without force: refused ({@code 422 missing-capabilities}) naming only those agents, nothing stored;</li>
 *   <li>with {@code ?force=true}: the current agents apply it; the previous-release agents refuse
 *       it, keep running what they ran (and pushing), and the fleet view marks them lacking;</li>
 *   <li>moved to a group of upgraded hosts and dropped from the fleet layer: every agent runs its
 *       newest version again and the marks are gone.</li>
 * </ol>
 */
final class RollingUpgrade {

    private static final String NEW_KEY = """
            [collectors.pg_stat_statements]
            enabled = true
            interval = 60
            """;

    private final FleetSimulation sim;

    RollingUpgrade(FleetSimulation sim) {
        this.sim = sim;
    }

    private static String withNewKey() {
        return FleetSimulation.fleetDocument(1) + "\n" + NEW_KEY;
    }

    private Set<String> previousIds() {
        Set<String> ids = new HashSet<>();
        for (SimulatedAgent a : sim.agents()) {
            if (a.profile.previousRelease() && !a.collectorId().isEmpty()) {
                ids.add(a.collectorId());
            }
        }
        return ids;
    }

    /** Step 1: the plain publish is refused, naming only previous-release agents, and nothing is stored. */
    void refused() throws Exception {
        String check = "a schema-2 key is refused for the fleet while previous-release agents are in it, naming only them";
        Map<String, Integer> before = sim.revisions();
        AdminClient.Answer a = sim.admin().tryPublishFleet(withNewKey(), false);
        Map<String, Integer> after = sim.revisions();
        Set<String> previous = previousIds();
        if (a.status() != 422) {
            sim.check(check, false, "answered " + a.status() + ": " + a.body().substring(0, Math.min(300, a.body().length())));
            return;
        }
        JsonObject p = Rollouts.json(a.body());
        int total = p.getInt("total", -1);
        int unknown = p.getInt("unknown_total", 0);
        List<String> notPrevious = new ArrayList<>();
        Set<String> agentSchema = new HashSet<>();
        for (JsonValue m : p.getJsonArray("members")) {
            JsonObject o = m.asJsonObject();
            String id = o.getString("collector_id");
            if (!previous.contains(id)) {
                notPrevious.add(id);
            }
            for (JsonValue g : o.getJsonArray("missing")) {
                agentSchema.add(g.asJsonObject().getString("capability", "?"));
            }
        }
        sim.scenarioFacts().put("upgrade_refused", Map.of("status", a.status(), "type", p.getString("type", ""),
                "total", total, "unknown_total", unknown, "previous_release_agents", previous.size(),
                "capabilities_missing", List.copyOf(agentSchema)));
        boolean ok = p.getString("type", "").endsWith("/missing-capabilities") && notPrevious.isEmpty()
                && total + unknown >= previous.size() && total <= previous.size() && total > 0
                && before.equals(after) && agentSchema.equals(Set.of("agent_schema"));
        sim.check(check, ok, "422 " + p.getString("type", "") + ": " + total + " lacking (" + agentSchema + ") + "
                + unknown + " unknown, of " + previous.size() + " previous-release agents; members not of the previous"
                + " release: " + notPrevious.size() + "; " + (before.equals(after) ? "nothing stored" : "REVISIONS MOVED"));
    }

    /** Step 2: forced; the current agents apply it, the previous ones refuse it, keep running, and are marked. */
    void forced() throws Exception {
        String check = "forced: current agents apply the schema-2 key; previous-release agents refuse it, keep running"
                + " their version and are marked lacking in the fleet view";
        Map<String, Integer> before = sim.revisions();
        Map<SimulatedAgent, Integer> ranBefore = new HashMap<>();
        for (SimulatedAgent a : sim.agents()) {
            ranBefore.put(a, a.core.appliedVersion());
        }
        long start = System.currentTimeMillis();
        AdminClient.Answer a = sim.admin().tryPublishFleet(withNewKey(), true);
        if (a.status() != 201) {
            sim.check(check, false, "the forced publish answered " + a.status() + ": " + a.body());
            return;
        }
        sim.addWindow("forced publish", start, start + 30_000);
        Map<String, Integer> after = sim.revisions();
        Map<SimulatedAgent, Integer> current = sim.changed(before, after, x -> !x.profile.previousRelease());
        Map<SimulatedAgent, Integer> previous = sim.changed(before, after, x -> x.profile.previousRelease());
        FleetSimulation.PublishResult ran = sim.awaitRunning("forced publish of the schema-2 key (current-release agents)",
                start, current, start + FleetSimulation.SYNC_DEADLINE.toMillis());
        // The previous-release agents: each must have refused the new revision (reported FAILED) and
        // still run the version it ran before.
        long deadline = start + FleetSimulation.SYNC_DEADLINE.toMillis();
        List<String> notRefused = new ArrayList<>(previous.keySet().stream().map(x -> x.name).toList());
        while (!notRefused.isEmpty() && System.currentTimeMillis() < deadline) {
            notRefused.clear();
            for (Map.Entry<SimulatedAgent, Integer> e : previous.entrySet()) {
                SimulatedAgent x = e.getKey();
                if (x.core.failedVersion() < e.getValue()) {
                    notRefused.add(x.name);
                }
            }
            Thread.sleep(200);
        }
        List<String> broken = new ArrayList<>();
        for (SimulatedAgent x : previous.keySet()) {
            if (x.core.appliedVersion() != ranBefore.get(x) || x.everLockedOut()) {
                broken.add(x.name + " (ran v" + ranBefore.get(x) + ", runs v" + x.core.appliedVersion() + ")");
            }
        }
        Thread.sleep(2000); // the FAILED reports travel with the next pull's flush
        Map<String, Integer> gaps = gaps();
        long previousMarked = previous.keySet().stream().filter(x -> gaps.getOrDefault(x.collectorId(), 0) > 0).count();
        long currentMarked = current.keySet().stream().filter(x -> gaps.getOrDefault(x.collectorId(), 0) > 0).count();
        sim.scenarioFacts().put("upgrade_forced", Map.of("current_agents_changed", current.size(),
                "current_agents_running_it", ran.latenciesMillis().size(), "previous_agents_changed", previous.size(),
                "previous_agents_refused_it", previous.size() - notRefused.size(),
                "previous_agents_marked_lacking", previousMarked, "current_agents_marked_lacking", currentMarked));
        sim.check(check, ran.notSynced().isEmpty() && !current.isEmpty() && notRefused.isEmpty() && broken.isEmpty()
                        && previousMarked == previous.size() && currentMarked == 0,
                ran.latenciesMillis().size() + "/" + current.size() + " current agents run it; "
                        + (previous.size() - notRefused.size()) + "/" + previous.size()
                        + " previous-release agents refused it (FAILED) and " + (previous.size() - broken.size())
                        + " still run their version; marked lacking: " + previousMarked + " previous, " + currentMarked
                        + " current" + (broken.isEmpty() ? "" : "; broken: " + broken.stream().limit(10).toList()));
    }

    /** Step 3: the key moves to a group of upgraded hosts; every agent runs its newest version, no marks remain. */
    void moved() throws Exception {
        String check = "moved to group upgraded: every agent runs its newest version and no collector is marked lacking";
        sim.admin().createGroup("upgraded", "{\"release\":\"current\"}");
        long start = System.currentTimeMillis();
        Map<String, Integer> before = sim.revisions();
        sim.admin().publishGroup("upgraded", NEW_KEY);
        sim.admin().publishFleet(FleetSimulation.fleetDocument(2));
        sim.addWindow("key moved to a group", start, System.currentTimeMillis() + 30_000);
        Map<SimulatedAgent, Integer> expected = sim.changed(before, sim.revisions(), x -> true);
        FleetSimulation.PublishResult ran = sim.awaitRunning("key moved to group upgraded, fleet layer without it",
                start, expected, start + FleetSimulation.SYNC_DEADLINE.toMillis());
        Map<String, String> sources = sim.sources();
        long currentInGroup = sim.agents().stream().filter(x -> !x.profile.previousRelease())
                .filter(x -> sources.getOrDefault(x.collectorId(), "").contains("group/upgraded@")).count();
        long previousInGroup = sim.agents().stream().filter(x -> x.profile.previousRelease())
                .filter(x -> sources.getOrDefault(x.collectorId(), "").contains("group/upgraded@")).count();
        Thread.sleep(2000);
        Map<String, Integer> gaps = gaps();
        long marked = gaps.values().stream().filter(n -> n > 0).count();
        long current = sim.agents().stream().filter(x -> !x.profile.previousRelease()).count();
        sim.check(check, ran.notSynced().isEmpty() && marked == 0 && previousInGroup == 0 && currentInGroup == current,
                ran.latenciesMillis().size() + "/" + expected.size() + " agents run their new version; group upgraded"
                        + " reaches " + currentInGroup + "/" + current + " current agents and " + previousInGroup
                        + " previous-release agents; collectors still marked lacking: " + marked);
    }

    /** How many capability gaps the fleet view shows for each collector. */
    private Map<String, Integer> gaps() throws Exception {
        JsonObject view = Rollouts.json(sim.admin().fleetView());
        Map<String, Integer> m = new HashMap<>();
        for (JsonValue v : view.getJsonArray("collectors")) {
            JsonObject c = v.asJsonObject();
            JsonValue g = c.get("capability_gaps");
            m.put(c.getString("id"), g == null || g.getValueType() != JsonValue.ValueType.ARRAY ? 0 : g.asJsonArray().size());
        }
        return m;
    }
}
