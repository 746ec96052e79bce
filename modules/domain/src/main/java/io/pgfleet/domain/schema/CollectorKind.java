package io.pgfleet.domain.schema;

/**
 * The metric collectors an agent can run.
 */
public enum CollectorKind {
    /** {@code pg_stat_database} and database sizes. */
    PG_STATS("pg_stats"),
    /** {@code pg_stat_activity} counts by state. */
    PG_CONNECTIONS("pg_connections"),
    /** {@code pg_locks} counts and blocked sessions. */
    PG_LOCKS("pg_locks"),
    /** Load, memory and CPU from {@code /proc}. */
    SYSSTAT("sysstat"),
    /** File system usage of configured paths. */
    DISK_USAGE("disk_usage"),
    /** The statements with the most total time, from the {@code pg_stat_statements} extension. */
    PG_STAT_STATEMENTS("pg_stat_statements");

    private final String key;

    CollectorKind(String key) {
        this.key = key;
    }

    /**
     * The name of its section under {@code [collectors]}.
     *
     * @return e.g. {@code pg_stats}
     */
    public String key() {
        return key;
    }

    /**
     * Whether it reads from the monitored PostgreSQL.
     *
     * @return true for the pg_* collectors
     */
    public boolean needsDatabase() {
        return key.startsWith("pg_");
    }
}
