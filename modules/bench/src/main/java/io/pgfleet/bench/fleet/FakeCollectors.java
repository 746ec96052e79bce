package io.pgfleet.bench.fleet;

import io.pgfleet.agent.core.MetricSource;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.schema.CollectorKind;
import io.pgfleet.domain.schema.EffectiveConfig;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Collectors without a database or a host: the samples the real ones produce for a host with two
 * databases (names, labels, magnitudes; counters that only grow), stamped with the agent's own
 * clock, which may be skewed. Counts every sample it hands out.
 */
final class FakeCollectors implements MetricSource {

    private static final List<String> STAT_COLUMNS = List.of("numbackends", "xact_commit", "xact_rollback", "blks_read",
            "blks_hit", "tup_returned", "tup_fetched", "tup_inserted", "tup_updated", "tup_deleted", "deadlocks");
    private static final String[] CPU_MODES = {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};
    private static final String[] STATES = {"active", "idle", "idle in transaction"};

    private final Supplier<Instant> clock;
    private final Duration skew;
    private final SplittableRandom random;
    private final AtomicLong produced = new AtomicLong();
    private final double[] counters = new double[64];

    FakeCollectors(Supplier<Instant> clock, Duration skew, long seed) {
        this.clock = clock;
        this.skew = skew;
        this.random = new SplittableRandom(seed);
    }

    /** Samples handed to the core so far. */
    long produced() {
        return produced.get();
    }

    @Override
    public void retarget(EffectiveConfig.PostgresTarget target) {
        // nothing to connect to
    }

    @Override
    public synchronized List<Sample> collect(CollectorKind kind, EffectiveConfig config) {
        Instant now = clock.get().plus(skew).truncatedTo(ChronoUnit.MILLIS);
        List<Sample> out = new ArrayList<>();
        switch (kind) {
            case PG_STATS -> {
                int c = 0;
                for (String db : List.of("app", "postgres")) {
                    Map<String, String> l = Map.of("datname", db);
                    for (String col : STAT_COLUMNS) {
                        counters[c] += random.nextInt(1, 5_000);
                        out.add(new Sample("pg_stat_database_" + col, l, counters[c++], now));
                    }
                    out.add(new Sample("pg_database_size_bytes", l, 8.5e9 + random.nextInt(1_000_000), now));
                }
            }
            case PG_CONNECTIONS -> {
                for (String s : STATES) {
                    out.add(new Sample("pg_connections", Map.of("state", s), random.nextInt(0, 40), now));
                }
            }
            case PG_LOCKS -> {
                out.add(new Sample("pg_locks_granted", Map.of(), random.nextInt(0, 200), now));
                out.add(new Sample("pg_locks_waiting", Map.of(), random.nextInt(0, 3), now));
                out.add(new Sample("pg_blocked_sessions", Map.of(), random.nextInt(0, 2), now));
            }
            case SYSSTAT -> {
                double load = random.nextDouble(0, 4);
                out.add(new Sample("node_load1", Map.of(), load, now));
                out.add(new Sample("node_load5", Map.of(), load * 0.9, now));
                out.add(new Sample("node_load15", Map.of(), load * 0.8, now));
                out.add(new Sample("node_memory_MemTotal_bytes", Map.of(), 3.2e10, now));
                out.add(new Sample("node_memory_MemFree_bytes", Map.of(), 4e9 + random.nextInt(1_000_000_000), now));
                out.add(new Sample("node_memory_MemAvailable_bytes", Map.of(), 2e10 + random.nextInt(1_000_000_000), now));
                for (int i = 0; i < CPU_MODES.length; i++) {
                    counters[40 + i] += random.nextDouble(0, 30);
                    out.add(new Sample("node_cpu_seconds_total", Map.of("mode", CPU_MODES[i]), counters[40 + i], now));
                }
            }
            case PG_STAT_STATEMENTS -> {
                for (int q = 1; q <= 3; q++) {
                    counters[50 + q] += random.nextDouble(0, 20);
                    out.add(new Sample("pg_stat_statements_total_exec_time_seconds", Map.of("queryid", "q" + q),
                            counters[50 + q], now));
                }
            }
            case DISK_USAGE -> {
                for (String path : config.diskPaths()) {
                    Map<String, String> l = Map.of("path", path);
                    out.add(new Sample("node_filesystem_size_bytes", l, 5e11, now));
                    out.add(new Sample("node_filesystem_free_bytes", l, 2e11 + random.nextInt(1_000_000), now));
                    out.add(new Sample("node_filesystem_used_bytes", l, 3e11 - random.nextInt(1_000_000), now));
                }
            }
        }
        produced.addAndGet(out.size());
        return out;
    }

    @Override
    public void close() {
        // nothing held
    }
}
