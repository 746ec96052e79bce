package io.pgfleet.bench.fleet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a run measured and whether it held. The run fails when any check fails:
 * <ol>
 *   <li>no agent above the idle limit of requests per minute while nothing happens;</li>
 *   <li>every acknowledged publish run by every agent it changed (and reported to the server);</li>
 *   <li>every sample produced stored once, or counted as dropped by its agent;</li>
 *   <li>no agent locked out;</li>
 *   <li>no 5xx answer except 503 during a planned outage;</li>
 *   <li>server and database memory flat (live heap after a full GC, RSS under a bound; PostgreSQL's
 *   PSS: {@link MemoryCheck}).</li>
 * </ol>
 */
public final class FleetReport {

    /** One property of the run. */
    public record Check(String name, boolean passed, String detail) {
    }

    private final String scenario;
    private final Map<String, Object> facts = new LinkedHashMap<>();
    private final List<Check> checks = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    private FleetReport(String scenario) {
        this.scenario = scenario;
    }

    /** Whether every check held. */
    public boolean passed() {
        return checks.stream().allMatch(Check::passed);
    }

    /** The checks. */
    public List<Check> checks() {
        return List.copyOf(checks);
    }

    /** The measured figures by name. */
    public Map<String, Object> facts() {
        return Collections.unmodifiableMap(facts);
    }

    static FleetReport build(FleetSimulation.Options o, FleetSimulation sim, long runStart, long end) throws SQLException {
        FleetReport r = new FleetReport(o.scenario().cliName());
        r.facts.put("scenario", o.scenario().cliName());
        r.facts.put("description", o.scenario().description());
        r.facts.put("agents", o.agents());
        r.facts.put("server_instances", o.instances());
        r.facts.put("minutes", o.minutes());
        r.facts.put("outage_seconds", o.outage().toSeconds());
        r.facts.put("agents_start_over_seconds", o.ramp().toSeconds());
        r.facts.put("finished_at", Instant.ofEpochMilli(end).toString());
        r.facts.put("machine", Runtime.getRuntime().availableProcessors() + " CPUs, load average at the end "
                + loadAverage() + " (shared with other work: figures are indicative)");
        r.facts.put("timeline", sim.timeline());
        r.requests(o, sim, end);
        r.publishes(sim);
        r.samples(sim, runStart, end);
        r.lockouts(sim);
        r.serverErrors(sim);
        r.memory(sim, runStart, end);
        // The scenario's own events (rollouts, the rolling upgrade) add their checks and figures.
        synchronized (sim.scenarioFacts()) {
            r.facts.putAll(sim.scenarioFacts());
        }
        r.checks.addAll(sim.scenarioChecks());
        return r;
    }

    // ---- 1. requests of idle agents -----------------------------------------------------------------

    /** Outages at least this long are judged on the agents' requests during them. */
    static final java.time.Duration LONG_OUTAGE = java.time.Duration.ofMinutes(3);

    /**
     * During a long planned outage every agent retries on its capped back-off: its requests, from a
     * minute into the outage (the first failures' short pauses) to its end, averaged per minute, must
     * stay within the idle limit, so that an hour away costs the tier no more than an idle fleet.
     */
    private void outageRequests(FleetSimulation.Options o, FleetSimulation sim, long base, int buckets) {
        long bucketMillis = FleetSimulation.BUCKET_SECONDS * 1000L;
        for (FleetSimulation.Window w : sim.windows()) {
            if (!w.outage() || w.endMillis() - w.startMillis() < LONG_OUTAGE.toMillis()) {
                continue;
            }
            // Whole buckets from a minute after the start to the end.
            int from = (int) Math.ceil((w.startMillis() + 60_000 - base) / (double) bucketMillis);
            int to = (int) Math.min(buckets, (w.endMillis() - base) / bucketMillis);
            if (to - from < 6) {
                continue;
            }
            double minutes = (to - from) * FleetSimulation.BUCKET_SECONDS / 60.0;
            List<Double> rates = new ArrayList<>();
            String worst = "";
            double worstRate = -1;
            for (SimulatedAgent a : sim.agents()) {
                long sum = 0;
                for (int b = from; b < to; b++) {
                    sum += a.requestsInBucket(b);
                }
                double rate = sum / minutes;
                rates.add(rate);
                if (rate > worstRate) {
                    worstRate = rate;
                    worst = a.name;
                }
            }
            Collections.sort(rates);
            double mean = rates.stream().mapToDouble(Double::doubleValue).average().orElse(0);
            facts.put("outage_requests_per_agent_per_minute", "mean " + round(mean) + ", p50 " + round(pct(rates, 50))
                    + ", p99 " + round(pct(rates, 99)) + ", max " + round(worstRate) + " (" + worst + ") over "
                    + round(minutes) + " min of " + w.what());
            checks.add(new Check("agents' requests stay few during a long outage", worstRate <= o.idleLimit(),
                    "most requests a minute of any agent, averaged over " + round(minutes) + " min of " + w.what() + ": "
                            + round(worstRate) + " (" + worst + "), limit " + o.idleLimit()));
        }
    }

    private void requests(FleetSimulation.Options o, FleetSimulation sim, long end) {
        long base = sim.runStartMillis();
        long bucketMillis = FleetSimulation.BUCKET_SECONDS * 1000L;
        int buckets = (int) ((end - base) / bucketMillis);
        boolean[] idle = new boolean[buckets];
        for (int b = 0; b < buckets; b++) {
            long from = base + b * bucketMillis;
            long to = from + bucketMillis;
            idle[b] = sim.windows().stream().noneMatch(w -> from < w.endMillis()
                    + (w.outage() ? FleetSimulation.SETTLE.toMillis() : 0) && to > w.startMillis());
        }
        // The longest stretch of idle buckets decides the window: a minute when there is one.
        int longest = 0;
        for (int b = 0, run = 0; b < buckets; b++) {
            run = idle[b] ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        int window = Math.min(60 / FleetSimulation.BUCKET_SECONDS, longest);
        double scale = 60.0 / (window * FleetSimulation.BUCKET_SECONDS);
        List<Double> perAgentMax = new ArrayList<>();
        long idleRequests = 0;
        int idleBuckets = 0;
        String worst = "";
        double worstValue = -1;
        for (SimulatedAgent a : sim.agents()) {
            double max = 0;
            for (int b = 0; b + window <= buckets && window > 0; b++) {
                boolean allIdle = true;
                int sum = 0;
                for (int k = b; k < b + window; k++) {
                    allIdle &= idle[k];
                    sum += a.requestsInBucket(k);
                }
                if (allIdle) {
                    max = Math.max(max, sum * scale);
                }
            }
            for (int b = 0; b < buckets; b++) {
                if (idle[b]) {
                    idleRequests += a.requestsInBucket(b);
                    idleBuckets++;
                }
            }
            perAgentMax.add(max);
            if (max > worstValue) {
                worstValue = max;
                worst = a.name;
            }
        }
        Collections.sort(perAgentMax);
        long total = sim.agents().stream().mapToLong(SimulatedAgent::requests).sum();
        long refreshes = sim.agents().stream().mapToLong(SimulatedAgent::refreshes).sum();
        double minutes = (end - base) / 60_000.0;
        facts.put("requests_total", total);
        facts.put("token_refreshes_total", refreshes);
        facts.put("requests_per_agent_per_minute_whole_run", round(total / (double) sim.agents().size() / minutes));
        facts.put("idle_window_seconds", window * FleetSimulation.BUCKET_SECONDS);
        facts.put("idle_requests_per_agent_per_minute_mean",
                idleBuckets == 0 ? "n/a" : round(idleRequests * 60.0 / (idleBuckets * FleetSimulation.BUCKET_SECONDS)));
        facts.put("idle_requests_per_agent_per_minute_p50", window == 0 ? "n/a" : round(pct(perAgentMax, 50)));
        facts.put("idle_requests_per_agent_per_minute_p99", window == 0 ? "n/a" : round(pct(perAgentMax, 99)));
        facts.put("idle_requests_per_agent_per_minute_max", window == 0 ? "n/a" : round(worstValue) + " (" + worst + ")");
        facts.put("server_answers_by_status", sim.tier().answersByStatus());
        outageRequests(o, sim, base, buckets);
        if (window < 3) {
            checks.add(new Check("idle agents make a few requests a minute", false,
                    "no idle stretch of 30 s or more in this run to measure it; run longer"));
        } else {
            checks.add(new Check("idle agents make a few requests a minute", worstValue <= o.idleLimit(),
                    "most requests of any agent in any idle " + window * FleetSimulation.BUCKET_SECONDS + " s (per minute): "
                            + round(worstValue) + " (" + worst + "), limit " + o.idleLimit()));
        }
    }

    // ---- 2. publishes ----------------------------------------------------------------------------------

    private void publishes(FleetSimulation sim) throws SQLException {
        List<Map<String, Object>> list = new ArrayList<>();
        boolean all = true;
        StringBuilder detail = new StringBuilder();
        for (FleetSimulation.PublishResult p : sim.publishes()) {
            List<Long> l = new ArrayList<>(p.latenciesMillis());
            Collections.sort(l);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("publish", p.what());
            m.put("agents_changed", p.tracked());
            m.put("agents_in_sync", l.size());
            m.put("sync_p50_ms", l.isEmpty() ? "n/a" : pctL(l, 50));
            m.put("sync_p99_ms", l.isEmpty() ? "n/a" : pctL(l, 99));
            m.put("sync_max_ms", l.isEmpty() ? "n/a" : l.get(l.size() - 1));
            m.put("not_in_sync", p.notSynced().stream().limit(20).toList());
            list.add(m);
            boolean ok = p.tracked() > 0 && p.notSynced().isEmpty();
            all &= ok;
            detail.append(p.what()).append(": ").append(l.size()).append('/').append(p.tracked()).append(" in sync");
            if (!l.isEmpty()) {
                detail.append(", p50 ").append(pctL(l, 50)).append(" ms, p99 ").append(pctL(l, 99)).append(" ms");
            }
            detail.append("; ");
        }
        facts.put("publishes", list);
        // What the server was told: every agent's last report names its newest version. Collectors
        // no agent knows (a registration whose answer was lost) are counted apart.
        Map<String, Integer> behind = new LinkedHashMap<>();
        java.util.Set<String> known = sim.agents().stream().map(SimulatedAgent::collectorId)
                .filter(id -> !id.isEmpty()).collect(Collectors.toSet());
        int orphans = 0;
        try (Connection c = sim.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                SELECT c.id, coalesce(e.revision, 0) AS revision, coalesce(st.applied_version, 0) AS applied
                FROM collectors c LEFT JOIN effective_configs e ON e.collector_id = c.id
                LEFT JOIN collector_status st ON st.collector_id = c.id""")) {
            while (rs.next()) {
                if (!known.contains(rs.getString(1))) {
                    orphans++;
                } else if (rs.getInt("applied") < rs.getInt("revision")) {
                    behind.put(rs.getString(1), rs.getInt("revision"));
                }
            }
        }
        facts.put("collectors_whose_server_status_is_behind", behind.size());
        facts.put("collectors_no_agent_knows", orphans + " (provisioned for a token not used yet, or a registration"
                + " whose answer was lost)");
        if (sim.publishes().isEmpty()) {
            all = false;
            detail.append("no publish was made");
        }
        checks.add(new Check("every acknowledged publish runs on every agent it changed", all && behind.isEmpty(),
                detail + (behind.isEmpty() ? "every agent's apply report reached the server"
                        : behind.size() + " collectors' apply reports are behind: "
                        + behind.keySet().stream().limit(10).toList())));
    }

    // ---- 3. samples --------------------------------------------------------------------------------------

    private void samples(FleetSimulation sim, long runStart, long end) throws SQLException {
        Map<String, long[]> db = new HashMap<>();
        Map<String, Long> partitions = new LinkedHashMap<>();
        long ingestRows;
        double ingestSeconds;
        try (Connection c = sim.connect()) {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                    SELECT collector_id,
                           count(*) FILTER (WHERE name <> '%1$s') AS stored,
                           count(DISTINCT (name, labels, ts)) FILTER (WHERE name <> '%1$s') AS distinct_rows,
                           coalesce(max(value) FILTER (WHERE name = '%1$s'), 0) AS reported_drops
                    FROM samples GROUP BY collector_id""".formatted(FleetSimulation.droppedMetric()))) {
                while (rs.next()) {
                    db.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3), (long) rs.getDouble(4)});
                }
            }
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT tableoid::regclass::text, count(*) FROM samples GROUP BY 1 ORDER BY 1")) {
                while (rs.next()) {
                    partitions.put(rs.getString(1), rs.getLong(2));
                }
            }
            // Ingest after the first minute (enrolment and first pushes) until the end.
            long from = runStart + 60_000;
            try (PreparedStatement p = c.prepareStatement(
                    "SELECT coalesce(sum(sample_count), 0) FROM sample_batches WHERE received_at >= ? AND received_at < ?")) {
                p.setTimestamp(1, new Timestamp(from));
                p.setTimestamp(2, new Timestamp(end));
                try (ResultSet rs = p.executeQuery()) {
                    rs.next();
                    ingestRows = rs.getLong(1);
                }
            }
            ingestSeconds = Math.max(1, (end - from) / 1000.0);
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT pg_database_size(current_database()), (SELECT count(*) FROM pg_stat_activity)")) {
                rs.next();
                facts.put("database_size_mib_at_end", round(rs.getLong(1) / 1048576.0));
                facts.put("database_connections_at_end", rs.getLong(2));
            }
        }
        long produced = 0;
        long stored = 0;
        long dropped = 0;
        long waiting = 0;
        long duplicates = 0;
        long lost = 0;
        List<String> bad = new ArrayList<>();
        List<String> unreported = new ArrayList<>();
        for (SimulatedAgent a : sim.agents()) {
            long[] d = db.getOrDefault(a.collectorId(), new long[3]);
            long p = a.metrics.produced();
            long dr = a.core.dropped();
            long w = a.unsent();
            long dup = d[0] - d[1];
            long l = p - d[0] - dr - w;
            produced += p;
            stored += d[0];
            dropped += dr;
            waiting += w;
            duplicates += dup;
            lost += Math.max(0, l);
            if (l != 0 || dup != 0) {
                bad.add(a.name + " (" + a.collectorId() + "): produced " + p + ", stored " + d[0] + ", dropped " + dr
                        + ", unsent " + w + ", stored twice " + dup);
            }
            if (dr > 0 && d[2] < dr && w == 0) {
                unreported.add(a.name + ": dropped " + dr + ", reported " + d[2]);
            }
        }
        facts.put("samples_produced", produced);
        facts.put("samples_stored", stored);
        facts.put("samples_dropped_and_counted_by_agents", dropped);
        facts.put("samples_unsent_at_stop", waiting);
        facts.put("samples_stored_twice", duplicates);
        facts.put("samples_lost", lost);
        facts.put("samples_by_partition", partitions);
        facts.put("ingest_rows_per_second", round(ingestRows / ingestSeconds));
        facts.put("agents_whose_drops_are_not_all_reported", unreported.size());
        // A drop is allowed only as documented: counted by the agent and, once its backlog is sent,
        // known to the server through the counter every batch carries.
        checks.add(new Check("no sample lost or stored twice (except drops the agents counted)",
                bad.isEmpty() && unreported.isEmpty(),
                "produced " + produced + " = stored " + stored + " + dropped " + dropped + " + unsent at stop " + waiting
                        + "; stored twice " + duplicates
                        + (bad.isEmpty() ? "" : "; agents that do not add up: " + bad.stream().limit(10).toList())
                        + (unreported.isEmpty() ? "" : "; drops the server was not told of: "
                                + unreported.stream().limit(10).toList())));
    }

    // ---- 4. lock-outs ------------------------------------------------------------------------------------

    private void lockouts(FleetSimulation sim) {
        List<String> locked = sim.agents().stream().filter(SimulatedAgent::everLockedOut).map(a -> a.name).toList();
        long registered = sim.agents().stream().filter(a -> !a.collectorId().isEmpty()).count();
        facts.put("agents_registered", registered);
        facts.put("agents_locked_out", locked.size());
        checks.add(new Check("no agent locked out", locked.isEmpty() && registered == sim.agents().size(),
                registered + "/" + sim.agents().size() + " registered; locked out: "
                        + (locked.isEmpty() ? "none" : locked.stream().limit(10).toList())));
    }

    // ---- 5. server errors --------------------------------------------------------------------------------

    private void serverErrors(FleetSimulation sim) {
        List<ServerTier.ServerError> errors = sim.tier().errors();
        List<FleetSimulation.Window> outages = sim.windows().stream().filter(FleetSimulation.Window::outage).toList();
        List<ServerTier.ServerError> unplanned = errors.stream().filter(e -> e.status() != 503 || outages.stream()
                .noneMatch(w -> e.atMillis() >= w.startMillis()
                        && e.atMillis() <= w.endMillis() + FleetSimulation.OUTAGE_GRACE.toMillis())).toList();
        facts.put("server_5xx_answers", errors.size());
        facts.put("server_5xx_outside_planned_outages", unplanned.size());
        checks.add(new Check("no 5xx except 503 during planned outages", unplanned.isEmpty(),
                errors.size() + " 5xx answers, " + unplanned.size() + " of them outside a planned outage"
                        + (unplanned.isEmpty() ? "" : ": " + unplanned.stream().limit(10)
                        .map(e -> e.status() + " " + e.request() + " on instance " + e.instance() + " at "
                                + Instant.ofEpochMilli(e.atMillis())).toList()
                        + " (lines in " + sim.tier().logDir() + ")")));
    }

    // ---- 6. memory -----------------------------------------------------------------------------------------

    private void memory(FleetSimulation sim, long runStart, long end) {
        Map<String, List<FleetSimulation.MemorySample>> byProcess = sim.memory().stream()
                .collect(Collectors.groupingBy(m -> m.process() + "#" + m.generation(), LinkedHashMap::new, Collectors.toList()));
        List<Map<String, Object>> rows = new ArrayList<>();
        List<String> growing = new ArrayList<>();
        List<String> verdicts = new ArrayList<>();
        int judged = 0;
        for (Map.Entry<String, List<FleetSimulation.MemorySample>> e : byProcess.entrySet()) {
            List<FleetSimulation.MemorySample> s = e.getValue();
            boolean simulator = e.getKey().startsWith("simulator");
            java.util.function.ToDoubleFunction<FleetSimulation.MemorySample> v =
                    simulator ? FleetSimulation.MemorySample::heapMiB : FleetSimulation.MemorySample::rssMiB;
            double start = v.applyAsDouble(s.get(0));
            double last = v.applyAsDouble(s.get(s.size() - 1));
            double peak = s.stream().mapToDouble(v).max().orElse(-1);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("process", e.getKey());
            m.put("measure", simulator ? "heap used MiB" : e.getKey().startsWith("postgresql") ? "PSS MiB (all backends)"
                    : "RSS MiB");
            m.put("samples", s.size());
            m.put("start", round(start));
            m.put("end", round(last));
            m.put("peak", round(peak));
            if (!simulator && !e.getKey().startsWith("postgresql")) {
                m.put("heap_used_mib_start_end_peak", round(s.get(0).heapMiB()) + " / " + round(s.get(s.size() - 1).heapMiB())
                        + " / " + round(s.stream().mapToDouble(FleetSimulation.MemorySample::heapMiB).max().orElse(-1)));
                double cpu = s.get(s.size() - 1).cpuSeconds() - s.get(0).cpuSeconds();
                double wall = (s.get(s.size() - 1).atMillis() - s.get(0).atMillis()) / 1000.0;
                m.put("cpu_percent_of_one_core", wall > 0 ? round(100 * cpu / wall) : "n/a");
            }
            if (simulator) {
                double cpu = s.get(s.size() - 1).cpuSeconds() - s.get(0).cpuSeconds();
                double wall = (s.get(s.size() - 1).atMillis() - s.get(0).atMillis()) / 1000.0;
                m.put("cpu_percent_of_one_core", wall > 0 ? round(100 * cpu / wall) : "n/a");
            }
            boolean server = !simulator && !e.getKey().startsWith("postgresql");
            Optional<Double> liveQuarter = Optional.empty();
            Optional<Double> liveEnd = Optional.empty();
            if (server) {
                String process = e.getKey().substring(0, e.getKey().indexOf('#'));
                int generation = s.get(0).generation();
                for (FleetSimulation.LiveHeap l : sim.liveHeap()) {
                    if (l.process().equals(process) && l.generation() == generation) {
                        if (l.when().equals("quarter")) {
                            liveQuarter = Optional.of(l.liveMiB());
                        } else {
                            liveEnd = Optional.of(l.liveMiB());
                        }
                    }
                }
                m.put("live_heap_mib_quarter_end", liveQuarter.map(FleetReport::round).map(String::valueOf).orElse("n/a")
                        + " / " + liveEnd.map(FleetReport::round).map(String::valueOf).orElse("n/a"));
            }
            rows.add(m);
            // Flat: see MemoryCheck. The warm level is a quarter into the process's life (outside planned
            // outages: MemoryCheck.warmIndex); needs four
            // looks at least.
            if (!simulator && s.size() >= 4) {
                judged++;
                long[][] outages = sim.windows().stream().filter(FleetSimulation.Window::outage)
                        .map(w -> new long[] {w.startMillis(), w.endMillis() + FleetSimulation.SETTLE.toMillis()})
                        .toArray(long[][]::new);
                double warm = v.applyAsDouble(s.get(MemoryCheck.warmIndex(
                        s.stream().mapToLong(FleetSimulation.MemorySample::atMillis).toArray(), outages)));
                MemoryCheck.Verdict verdict = server
                        ? MemoryCheck.server(warm, last, liveQuarter, liveEnd, MemoryCheck.xmxMiB(sim.tier().heap()))
                        : MemoryCheck.growth("PSS", warm, last);
                verdicts.add(e.getKey() + ": " + verdict.detail());
                if (!verdict.flat()) {
                    growing.add(e.getKey());
                }
            }
        }
        facts.put("memory", rows);
        checks.add(new Check("server and database memory flat", growing.isEmpty(),
                judged == 0 ? "too few looks (one every 15 s) to judge; see the table"
                        : judged + " process lives judged (servers: live heap after a full GC, end ≤ quarter × 1.3 + 64 MiB,"
                        + " and RSS ≤ -Xmx + " + Math.round(MemoryCheck.NATIVE_ALLOWANCE_MIB) + " MiB; PostgreSQL: PSS end ≤"
                        + " quarter × 1.3 + 64 MiB): " + String.join("; ", verdicts)
                        + (growing.isEmpty() ? "" : "; NOT FLAT: " + growing)));
    }

    // ---- output ----------------------------------------------------------------------------------------------

    /** The report as Markdown. */
    public String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("## Fleet run: ").append(scenario).append(passed() ? " — PASSED" : " — FAILED").append("\n\n");
        b.append("| check | held | detail |\n|---|---|---|\n");
        for (Check c : checks) {
            b.append("| ").append(c.name()).append(" | ").append(c.passed() ? "yes" : "**NO**").append(" | ")
                    .append(c.detail().replace("|", "\\|")).append(" |\n");
        }
        b.append("\n| figure | value |\n|---|---|\n");
        facts.forEach((k, v) -> {
            if (!(v instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map)) {
                b.append("| ").append(k).append(" | ").append(String.valueOf(v).replace("|", "\\|")).append(" |\n");
            }
        });
        facts.forEach((k, v) -> {
            if (v instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map<?, ?> first) {
                b.append("\n").append(k).append(":\n\n| ");
                first.keySet().forEach(h -> b.append(h).append(" | "));
                b.append("\n|");
                first.keySet().forEach(h -> b.append("---|"));
                b.append("\n");
                for (Object row : l) {
                    b.append("| ");
                    ((Map<?, ?>) row).values().forEach(x -> b.append(String.valueOf(x).replace("|", "\\|")).append(" | "));
                    b.append("\n");
                }
            }
        });
        notes.forEach(n -> b.append("\n").append(n).append("\n"));
        return b.toString();
    }

    /** The report as JSON. */
    public String json() {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("passed", passed());
        List<Map<String, Object>> cs = new ArrayList<>();
        for (Check c : checks) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("check", c.name());
            m.put("held", c.passed());
            m.put("detail", c.detail());
            cs.add(m);
        }
        all.put("checks", cs);
        all.putAll(facts);
        return toJson(all);
    }

    void write(Path dir) throws IOException {
        Files.writeString(dir.resolve(scenario + ".md"), markdown());
        Files.writeString(dir.resolve(scenario + ".json"), json());
    }

    private static String toJson(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Boolean || v instanceof Number) {
            return v.toString();
        }
        if (v instanceof Map<?, ?> m) {
            return m.entrySet().stream().map(e -> toJson(String.valueOf(e.getKey())) + ":" + toJson(e.getValue()))
                    .collect(Collectors.joining(",", "{", "}"));
        }
        if (v instanceof List<?> l) {
            return l.stream().map(FleetReport::toJson).collect(Collectors.joining(",", "[", "]"));
        }
        String s = v.toString();
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static double pct(List<Double> sorted, int p) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static long pctL(List<Long> sorted, int p) {
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)));
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    static String locale(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
