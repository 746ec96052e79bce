package io.pgfleet.domain.schema;

import io.pgfleet.domain.common.Sha256;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The configuration an agent actually runs on: every key of the schema, from the document or from
 * its default.
 *
 * @param pullInterval poll period without watch, fallback re-check with it
 * @param pushInterval how often samples are pushed
 * @param watch        whether the agent long-polls for changes
 * @param postgres     the monitored database
 * @param collectors   each collector's switch and interval
 * @param diskPaths    the paths {@code disk_usage} measures
 * @param statementsTop how many statements {@code pg_stat_statements} reports
 */
public record EffectiveConfig(Duration pullInterval, Duration pushInterval, boolean watch, PostgresTarget postgres,
                              Map<CollectorKind, Schedule> collectors, List<String> diskPaths, int statementsTop) {

    /** The default of {@code collectors.pg_stat_statements.top}. */
    public static final int DEFAULT_STATEMENTS_TOP = 10;

    /**
     * A configuration with the default number of statements.
     *
     * @param pullInterval poll period
     * @param pushInterval push period
     * @param watch        long-poll or not
     * @param postgres     the monitored database
     * @param collectors   each collector's schedule
     * @param diskPaths    the paths {@code disk_usage} measures
     */
    public EffectiveConfig(Duration pullInterval, Duration pushInterval, boolean watch, PostgresTarget postgres,
                           Map<CollectorKind, Schedule> collectors, List<String> diskPaths) {
        this(pullInterval, pushInterval, watch, postgres, collectors, diskPaths, DEFAULT_STATEMENTS_TOP);
    }

    /**
     * Whether a collector runs and how often.
     *
     * @param enabled  on or off
     * @param interval time between collections
     */
    public record Schedule(boolean enabled, Duration interval) {
        /** Requires a positive interval. */
        public Schedule {
            Objects.requireNonNull(interval, "interval");
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("a collector interval is positive");
            }
        }
    }

    /**
     * How to reach the monitored PostgreSQL.
     *
     * @param host         host name, address or socket directory
     * @param port         TCP port
     * @param user         role
     * @param passwordFile absolute path of a file holding the password, empty for none
     * @param passwordEnv  environment variable holding the password, empty for none
     * @param databases    databases to collect per-database statistics from
     * @param sslmode      TLS mode
     */
    public record PostgresTarget(String host, int port, String user, String passwordFile, String passwordEnv,
                                 List<String> databases, String sslmode) {
        /** Copies the list and requires every part. */
        public PostgresTarget {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(passwordFile, "passwordFile");
            Objects.requireNonNull(passwordEnv, "passwordEnv");
            Objects.requireNonNull(sslmode, "sslmode");
            databases = List.copyOf(databases);
        }
    }

    /** Requires every collector to be scheduled. */
    public EffectiveConfig {
        Objects.requireNonNull(pullInterval, "pullInterval");
        Objects.requireNonNull(pushInterval, "pushInterval");
        Objects.requireNonNull(postgres, "postgres");
        EnumMap<CollectorKind, Schedule> copy = new EnumMap<>(CollectorKind.class);
        copy.putAll(collectors);
        if (copy.size() != CollectorKind.values().length) {
            throw new IllegalArgumentException("every collector has a schedule");
        }
        collectors = java.util.Collections.unmodifiableMap(copy);
        diskPaths = List.copyOf(diskPaths);
        if (statementsTop < 1 || statementsTop > ConfigSchema.MAX_STATEMENTS_TOP) {
            throw new IllegalArgumentException("statementsTop is 1.." + ConfigSchema.MAX_STATEMENTS_TOP);
        }
    }

    /**
     * The configuration of an empty document: every default.
     *
     * @return the defaults
     */
    public static EffectiveConfig defaults() {
        return fromValues(Map.of());
    }

    /**
     * Builds the effective configuration from validated values, taking defaults for the rest.
     *
     * @param values validated values by dotted key ({@code collectors.pg_stats.interval})
     * @return the configuration
     */
    static EffectiveConfig fromValues(Map<String, Object> values) {
        EnumMap<CollectorKind, Schedule> schedules = new EnumMap<>(CollectorKind.class);
        for (CollectorKind kind : CollectorKind.values()) {
            String section = "collectors." + kind.key();
            schedules.put(kind, new Schedule((Boolean) value(values, section, "enabled"),
                    Duration.ofSeconds((Long) value(values, section, "interval"))));
        }
        @SuppressWarnings("unchecked")
        List<String> databases = (List<String>) value(values, "postgres", "databases");
        @SuppressWarnings("unchecked")
        List<String> paths = (List<String>) value(values, "collectors.disk_usage", "paths");
        PostgresTarget pg = new PostgresTarget((String) value(values, "postgres", "host"),
                ((Long) value(values, "postgres", "port")).intValue(),
                (String) value(values, "postgres", "user"),
                (String) value(values, "postgres", "password_file"),
                (String) value(values, "postgres", "password_env"),
                databases,
                (String) value(values, "postgres", "sslmode"));
        return new EffectiveConfig(
                Duration.ofSeconds((Long) value(values, "collector", "config_pull_interval")),
                Duration.ofSeconds((Long) value(values, "collector", "push_interval")),
                (Boolean) value(values, "collector", "watch"),
                pg, schedules, paths,
                ((Long) value(values, "collectors.pg_stat_statements", "top")).intValue());
    }

    private static Object value(Map<String, Object> values, String section, String key) {
        Object v = values.get(section + "." + key);
        return v != null ? v : ConfigSchema.defaultOf(section, key);
    }

    /**
     * The longest a healthy agent running this configuration goes without a contact the server
     * counts as seeing it: a metrics push or an apply report (its pulls and watches do not count,
     * so that an idle fleet writes nothing). It pushes every {@code push_interval} when it holds
     * samples, and holds some once its most frequent enabled collector has collected; so the
     * longer of the two, and never less than {@code config_pull_interval}, the bound the fleet
     * view always used. An agent is stale once it has been silent for three of these; one that has
     * had nothing to push for one of these (every collector off, or every one failing) sends an
     * empty push, so it is heard from while it runs.
     *
     * @return the longest expected silence
     */
    public Duration longestSilence() {
        Duration silence = pushInterval.compareTo(pullInterval) > 0 ? pushInterval : pullInterval;
        Optional<Duration> sampled = collectors.values().stream().filter(Schedule::enabled).map(Schedule::interval)
                .min(Duration::compareTo);
        // With every collector off it collects nothing: the push and pull intervals are then all there
        // is to go by (it sends an empty push at most once this long).
        return sampled.filter(s -> s.compareTo(silence) > 0).orElse(silence);
    }

    /**
     * One collector's schedule.
     *
     * @param kind the collector
     * @return its schedule
     */
    public Schedule schedule(CollectorKind kind) {
        return collectors.get(kind);
    }

    /**
     * A stable text of every effective value, sorted by key: two configurations are the same
     * exactly when their canonical texts are. A key introduced after the first schema version
     * appears only when it differs from its default, so the hash of a configuration that does not
     * use such keys is the same for agents built before and after them (an old agent's report still
     * agrees with the server's hash).
     *
     * @return {@code key = value} lines
     */
    public String canonical() {
        Map<String, Object> all = new TreeMap<>();
        all.put("collector.config_pull_interval", pullInterval.toSeconds());
        all.put("collector.push_interval", pushInterval.toSeconds());
        all.put("collector.watch", watch);
        all.put("postgres.host", postgres.host());
        all.put("postgres.port", (long) postgres.port());
        all.put("postgres.user", postgres.user());
        all.put("postgres.password_file", postgres.passwordFile());
        all.put("postgres.password_env", postgres.passwordEnv());
        all.put("postgres.databases", postgres.databases());
        all.put("postgres.sslmode", postgres.sslmode());
        collectors.forEach((kind, s) -> {
            all.put("collectors." + kind.key() + ".enabled", s.enabled());
            all.put("collectors." + kind.key() + ".interval", s.interval().toSeconds());
        });
        all.put("collectors.disk_usage.paths", diskPaths);
        all.put("collectors.pg_stat_statements.top", (long) statementsTop);
        all.entrySet().removeIf(e -> {
            String key = e.getKey();
            int dot = key.lastIndexOf('.');
            ConfigSchema.Key k = ConfigSchema.section(key.substring(0, dot))
                    .flatMap(s -> s.key(key.substring(dot + 1))).orElseThrow();
            return k.since() > 1 && ConfigSchema.toml(k.defaultValue()).equals(ConfigSchema.toml(e.getValue()));
        });
        StringBuilder sb = new StringBuilder();
        all.forEach((k, v) -> sb.append(k).append(" = ").append(ConfigSchema.toml(v)).append('\n'));
        return sb.toString();
    }

    /**
     * SHA-256 of {@link #canonical()}: what an agent reports as the configuration it runs.
     *
     * @return 64 lower-case hex digits
     */
    public String sha256() {
        return Sha256.hex(canonical());
    }
}
