package io.pgfleet.bench.fleet;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;

import java.io.IOException;
import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code rollout} scenario's two rollouts of the fleet layer, each with its checks: a good
 * version that must reach every member wave by wave, and a version the canaries cannot apply,
 * which must roll back before any other member receives it.
 */
final class Rollouts {

    /** How long a rollout may take to end (three waves, each applied and baked). */
    private static final Duration END_DEADLINE = Duration.ofMinutes(5);
    private static final int BAKE_SECONDS = 10;

    private final FleetSimulation sim;

    Rollouts(FleetSimulation sim) {
        this.sim = sim;
    }

    /** The waves: the canaries, then half the fleet, then all of it. */
    private static String request(String document, String message) {
        return Json.createObjectBuilder()
                .add("layer", "fleet")
                .add("document", document)
                .add("message", message)
                .add("waves", Json.createArrayBuilder()
                        .add(Json.createObjectBuilder().add("selector", Json.createObjectBuilder().add("canary", "true")))
                        .add(Json.createObjectBuilder().add("percent", 50))
                        .add(Json.createObjectBuilder().add("percent", 100)))
                .add("bake_seconds", BAKE_SECONDS)
                .add("max_failed", 0)
                .add("apply_deadline_seconds", 120)
                .build().toString();
    }

    /** A version every host can run: it must end on every member. */
    void good() throws Exception {
        String what = "staged rollout (good version)";
        String check = "the staged rollout completes and every member runs the staged version";
        Map<String, Integer> before = sim.revisions();
        Optional<Run> run = run(what, check, FleetSimulation.fleetDocument(1), "soak: good version");
        if (run.isEmpty()) {
            return;
        }
        Run r = run.get();
        String state = r.end().getString("state", "?");
        sim.scenarioFacts().put("rollout_good", Map.of("id", r.id(), "staged_version", r.staged(), "state", state,
                "seconds_to_end", (r.done() - r.start()) / 1000.0, "waves", waves(r.end())));
        Map<SimulatedAgent, Integer> expected = sim.changed(before, sim.revisions(), a -> true);
        FleetSimulation.PublishResult ran = sim.awaitRunning(what, r.start(), expected,
                r.done() + FleetSimulation.SYNC_DEADLINE.toMillis());
        Map<String, String> sources = sim.sources();
        List<String> without = new ArrayList<>();
        for (SimulatedAgent a : sim.agents()) {
            String src = sources.getOrDefault(a.collectorId(), "");
            if (!Arrays.asList(src.split(",\\s*")).contains("fleet@" + r.staged())) {
                without.add(a.name + " (" + src + ")");
            }
        }
        sim.check(check, state.equals("completed") && without.isEmpty() && ran.notSynced().isEmpty(),
                "rollout " + r.id() + " of fleet@" + r.staged() + " " + state + " in " + (r.done() - r.start()) / 1000 + " s; "
                        + (sim.agents().size() - without.size()) + "/" + sim.agents().size()
                        + " members' effective documents carry fleet@" + r.staged() + "; " + ran.latenciesMillis().size()
                        + "/" + ran.tracked() + " agents run it"
                        + (without.isEmpty() ? "" : "; without it: " + without.stream().limit(10).toList()));
    }

    /** A version the canaries cannot apply (a path they lack): rolled back, nobody else receives it. */
    void bad() throws Exception {
        String what = "staged rollout (bad version) rolled back";
        String check = "a version the canaries cannot apply is rolled back and no other member receives it";
        Map<String, Integer> before = sim.revisions();
        Map<SimulatedAgent, int[]> ranBefore = new java.util.HashMap<>();
        for (SimulatedAgent a : sim.agents()) {
            ranBefore.put(a, new int[] {a.core.appliedVersion(), a.core.failedVersion()});
        }
        String document = FleetSimulation.fleetDocument(2) + "paths = [\"/\", \"" + SimulatedAgent.NOT_ON_CANARIES + "\"]\n";
        Optional<Run> run = run(what, check, document, "soak: a path the canaries lack");
        if (run.isEmpty()) {
            return;
        }
        Run r = run.get();
        String state = r.end().getString("state", "?");
        int failures = r.end().containsKey("failures") ? r.end().getJsonArray("failures").size() : -1;
        sim.scenarioFacts().put("rollout_bad", Map.of("id", r.id(), "staged_version", r.staged(), "state", state,
                "reason", r.end().getString("reason", ""), "failures", failures,
                "seconds_to_end", (r.done() - r.start()) / 1000.0));
        Map<String, Integer> after = sim.revisions();
        // The canaries received it and must run their previous document again (a newer revision).
        Map<SimulatedAgent, Integer> back = sim.changed(before, after, a -> a.profile.canary());
        FleetSimulation.PublishResult ran = sim.awaitRunning("canaries back after the rollback", r.done(), back,
                r.done() + FleetSimulation.SYNC_DEADLINE.toMillis());
        List<String> reached = new ArrayList<>();
        long canaries = 0;
        Map<String, String> sources = sim.sources();
        for (SimulatedAgent a : sim.agents()) {
            if (a.profile.canary()) {
                canaries++;
                continue;
            }
            int[] was = ranBefore.get(a);
            boolean moved = !java.util.Objects.equals(before.get(a.collectorId()), after.get(a.collectorId()));
            boolean carries = Arrays.asList(sources.getOrDefault(a.collectorId(), "").split(",\\s*"))
                    .contains("fleet@" + r.staged());
            if (moved || carries || a.core.appliedVersion() != was[0] || a.core.failedVersion() != was[1]) {
                reached.add(a.name + " (revision " + before.get(a.collectorId()) + " → " + after.get(a.collectorId())
                        + ", runs v" + a.core.appliedVersion() + ")");
            }
        }
        sim.check(check, state.equals("rolled_back") && failures > 0 && reached.isEmpty() && ran.notSynced().isEmpty()
                        && back.size() == canaries,
                "rollout " + r.id() + " of fleet@" + r.staged() + " " + state + " in " + (r.done() - r.start()) / 1000 + " s ("
                        + r.end().getString("reason", "") + "); " + back.size() + "/" + canaries + " canaries received it and "
                        + ran.latenciesMillis().size() + " run their previous document again; other members reached: "
                        + (reached.isEmpty() ? "none" : reached.size() + " " + reached.stream().limit(10).toList()));
    }

    /**
     * A rollout followed to its end.
     *
     * @param id     its id
     * @param staged the layer version it staged
     * @param end    the rollout as it ended (or as it was at the deadline)
     * @param start  when it was asked for (epoch ms)
     * @param done   when its end was seen (epoch ms)
     */
    private record Run(long id, int staged, JsonObject end, long start, long done) {
    }

    /**
     * The phase both scenarios share: starts a fleet rollout of {@code document}, follows it to its
     * end and marks the window in the report. A refused rollout fails {@code check}.
     *
     * @return the rollout; empty when it was refused
     */
    private Optional<Run> run(String what, String check, String document, String message) throws Exception {
        long start = System.currentTimeMillis();
        JsonObject started;
        try {
            started = json(sim.admin().startRollout(request(document, message)));
        } catch (IOException e) {
            sim.check(check, false, "the rollout was refused: " + e.getMessage());
            return Optional.empty();
        }
        long id = started.getJsonNumber("id").longValue();
        JsonObject end = awaitEnd(id);
        long done = System.currentTimeMillis();
        sim.addWindow(what, start, done + 30_000);
        return Optional.of(new Run(id, started.getInt("staged_version"), end, start, done));
    }

    private JsonObject awaitEnd(long id) throws Exception {
        long deadline = System.currentTimeMillis() + END_DEADLINE.toMillis();
        JsonObject r = json(sim.admin().rollout(id));
        while (!List.of("completed", "rolled_back").contains(r.getString("state", "")) && System.currentTimeMillis() < deadline) {
            Thread.sleep(1000);
            try {
                r = json(sim.admin().rollout(id));
            } catch (IOException e) {
                // an instance away for a moment: ask again
            }
        }
        return r;
    }

    private static List<String> waves(JsonObject rollout) {
        List<String> w = new ArrayList<>();
        if (rollout.containsKey("waves")) {
            for (var v : rollout.getJsonArray("waves")) {
                JsonObject o = v.asJsonObject();
                w.add("wave " + o.getInt("wave") + ": " + o.getInt("members") + " members, " + o.getInt("applied", 0)
                        + " applied, " + o.getString("state", "?"));
            }
        }
        return w;
    }

    static JsonObject json(String text) {
        try (JsonReader r = Json.createReader(new StringReader(text))) {
            return r.readObject();
        }
    }
}
