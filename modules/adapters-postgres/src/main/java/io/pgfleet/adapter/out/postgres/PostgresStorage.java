package io.pgfleet.adapter.out.postgres;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.dbclient.DbClient;
import io.pgfleet.application.port.out.CheckDatabasePort;
import org.flywaydb.core.Flyway;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The server's PostgreSQL: migrates the schema, owns the connection pool, and hands out the
 * persistence adapters built on it.
 */
public final class PostgresStorage implements AutoCloseable, CheckDatabasePort {

    private final DbClient db;
    private final CollectorPersistenceAdapter collectors;
    private final ConfigRevisionPersistenceAdapter revisions;
    private final AuditPersistenceAdapter audit;
    private final UserPersistenceAdapter users;
    private final TokenPersistenceAdapter tokens;
    private final SigningKeyPersistenceAdapter keys;
    private final FleetPersistenceAdapter fleet;
    private final LayerPersistenceAdapter layers;
    private final RolloutPersistenceAdapter rollouts;
    private final RegistrationPersistenceAdapter registrations;
    private final PostgresChangeFeed changes;
    private final RetentionPersistenceAdapter retention;
    private final SamplePartitionsPersistenceAdapter samplePartitions;

    /**
     * The longest the health check waits for the database's answer (less when the statement timeout is
     * shorter): a load balancer's probe must learn that the database hangs, not hang with it.
     */
    static final Duration HEALTH_CHECK_TIMEOUT = Duration.ofSeconds(3);

    /**
     * How much longer than the statement timeout a pooled connection waits for an answer before it
     * is given up: the database's own cancellation, which keeps the connection, comes first.
     */
    static final Duration CANCEL_GRACE = Duration.ofSeconds(2);

    /**
     * The driver's property that, set to {@code false}, leaves PostgreSQL's DETAIL (which may quote a
     * row) out of its exceptions' messages; the server's every connection sets it.
     */
    static final String NO_ERROR_DETAIL = "logServerErrorDetail";

    private static final java.util.concurrent.atomic.AtomicInteger POOLS = new java.util.concurrent.atomic.AtomicInteger();

    private final String poolName;
    private final Duration healthTimeout;

    private PostgresStorage(DbClient db, DatabaseSettings settings, String poolName) {
        this.db = db;
        this.poolName = poolName;
        this.healthTimeout = settings.statementTimeout().compareTo(HEALTH_CHECK_TIMEOUT) < 0
                ? settings.statementTimeout() : HEALTH_CHECK_TIMEOUT;
        this.changes = new PostgresChangeFeed(settings);
        this.collectors = new CollectorPersistenceAdapter(db);
        this.revisions = new ConfigRevisionPersistenceAdapter(db);
        this.audit = new AuditPersistenceAdapter(db);
        this.users = new UserPersistenceAdapter(db);
        this.tokens = new TokenPersistenceAdapter(db);
        this.keys = new SigningKeyPersistenceAdapter(db);
        this.fleet = new FleetPersistenceAdapter(db, settings.poolSize());
        this.retention = new RetentionPersistenceAdapter(db);
        this.samplePartitions = new SamplePartitionsPersistenceAdapter(db);
        // One per instance: every kind of layer change reads members through it.
        DocumentCache documents = new DocumentCache();
        this.layers = new LayerPersistenceAdapter(db, documents);
        this.rollouts = new RolloutPersistenceAdapter(db, documents);
        this.registrations = new RegistrationPersistenceAdapter(db, documents);
    }

    /**
     * Run on every connection of the pool: a commit is on disk before the database acknowledges it.
     *
     * <p>An answered publish (and every other change) must survive a crash of the database's host.
     * An external PostgreSQL may be set up with {@code synchronous_commit = off} for the server, the
     * database or pgfleet's role (a DBA's choice for another application, or a tuning guide's):
     * then a commit returns before its WAL is flushed, and a crash loses the last moments of answered
     * changes. pgfleet's sessions raise it to {@code on} — only from {@code off}: {@code local},
     * {@code remote_write}, {@code on} and {@code remote_apply} all flush locally first and say how
     * long to wait for a standby, which is the DBA's replication choice and stays theirs.
     */
    public static final String DURABLE_COMMITS = "SELECT set_config('synchronous_commit', 'on', false)"
            + " WHERE current_setting('synchronous_commit') = 'off'";

    /**
     * What in the database's settings may lose or corrupt changes it acknowledged, each as one line
     * for the log: {@code fsync} or {@code full_page_writes} off (a crash of the database's host can
     * then lose or corrupt committed data, which no session setting changes), and
     * {@code synchronous_commit} off for the database or role (pgfleet's own sessions commit with
     * {@code on}: {@link #DURABLE_COMMITS}, said so that the DBA knows).
     *
     * @return the lines, empty when the database is durable
     */
    public java.util.List<DurabilityNote> durabilityNotes() {
        return Rows.guard("reading the database's durability settings", () -> {
            java.util.Map<String, String> values = new HashMap<>();
            // reset_val: what a session starts with (server, database and role settings), before
            // DURABLE_COMMITS changed this pooled session's own.
            db.execute().query("SELECT name, reset_val FROM pg_settings"
                            + " WHERE name IN ('fsync', 'full_page_writes', 'synchronous_commit')")
                    .forEach(r -> values.put(Rows.text(r, "name"), Rows.text(r, "reset_val")));
            return durabilityNotes(values);
        });
    }

    /**
     * The lines {@link #durabilityNotes()} gives, from the settings' values.
     *
     * @param values {@code fsync}, {@code full_page_writes} and {@code synchronous_commit} by name
     * @return one line for each that is off
     */
    static java.util.List<DurabilityNote> durabilityNotes(Map<String, String> values) {
        java.util.List<DurabilityNote> lines = new java.util.ArrayList<>();
        for (String unsafe : new String[] {"fsync", "full_page_writes"}) {
            if ("off".equals(values.get(unsafe))) {
                lines.add(new DurabilityNote(true, "the database runs with " + unsafe + " = off: a crash of its host (power, kernel) can lose or"
                        + " corrupt changes pgfleet answered as stored (versions, audit entries, samples); set " + unsafe
                        + " = on in postgresql.conf and reload it"));
            }
        }
        if ("off".equals(values.get("synchronous_commit"))) {
            lines.add(new DurabilityNote(false, "the database's synchronous_commit is off for pgfleet's database or role: pgfleet's own sessions"
                    + " commit with synchronous_commit = on, so that an answered change is on disk before its answer"));
        }
        return lines;
    }

    /**
     * A finding about the database's durability, for the log.
     *
     * @param unsafe whether acknowledged changes may be lost (a warning), or pgfleet made up for it (information)
     * @param line   what was found and what to do, one line
     */
    public record DurabilityNote(boolean unsafe, String line) {
    }

    /**
     * Migrates the schema to the newest version and opens the pool.
     *
     * @param settings where the database is
     * @return the storage
     */
    public static PostgresStorage open(DatabaseSettings settings) {
        migrate(settings);
        Map<String, String> cfg = new HashMap<>();
        cfg.put("source", "jdbc");
        cfg.put("connection.url", settings.url());
        cfg.put("connection.username", settings.user());
        cfg.put("connection.password", settings.password());
        cfg.put("connection.maximumPoolSize", Integer.toString(settings.poolSize()));
        cfg.put("connection.minimumIdle", "1");
        // A name of its own per pool: its JMX bean (read for the pool gauges) must not clash with
        // another instance's in the same JVM (tests run several).
        String poolName = POOLS.incrementAndGet() == 1 ? "pgfleet" : "pgfleet-" + POOLS.get();
        cfg.put("connection.poolName", poolName);
        cfg.put("connection.registerMbeans", "true");
        // Fail a request quickly when the database is away instead of holding it for 30 s.
        cfg.put("connection.connectionTimeout", "5000");
        cfg.put("connection.initializationFailTimeout", "-1");
        // A statement that runs, or waits for a lock held elsewhere (an operator's open transaction in
        // psql), longer than the statement timeout is cancelled by PostgreSQL itself (SQLSTATE 57014:
        // 503, the transaction rolled back, the connection kept). Given up by the driver alone, it would
        // go on in the database: one backend per request left waiting for that lock, each holding a
        // connection slot and the locks its transaction took, for as long as the lock is held.
        //
        // A transaction left open by an instance that froze (a paused VM, a host lost without a reset)
        // keeps its locks, the layers' lock among them, for as long as PostgreSQL believes its client
        // alive: with the operating system's TCP keep-alive, hours; for a paused VM, until it resumes.
        // Every other instance's layer change would wait and answer 503 meanwhile. The server never
        // leaves a transaction idle between two statements for long (it computes, it does not wait), so
        // PostgreSQL ends one idle for the statement timeout: its locks go and the others go on.
        cfg.put("connection.connectionInitSql", "SET statement_timeout = " + settings.statementTimeout().toMillis()
                + "; SET idle_in_transaction_session_timeout = " + settings.statementTimeout().toMillis()
                + "; " + DURABLE_COMMITS);
        // A database that hangs (frozen, or its network path lost without a reset) cancels nothing, and
        // would otherwise hold a request, and its connection, without limit: the driver gives the
        // connection up when an answer takes longer still (an I/O error, SQLSTATE 08006: 503, the
        // transaction rolled back). The schema migration at start runs on connections of its own,
        // bounded otherwise (see migrate).
        cfg.put("connection.dataSource.socketTimeout",
                Long.toString(settings.statementTimeout().plus(CANCEL_GRACE).toSeconds()));
        // The driver puts PostgreSQL's DETAIL into an exception's message, and a failure's causes are
        // logged: the detail of a refused row quotes it ("Key (username)=(…) already exists", "Failing
        // row contains (…)", password hash included). The message keeps PostgreSQL's error itself.
        cfg.put("connection.dataSource." + NO_ERROR_DETAIL, "false");
        Config config = Config.just(ConfigSources.create(cfg));
        return new PostgresStorage(DbClient.create(config), settings, poolName);
    }

    /**
     * Applies the pending migrations of the top-level {@code migrations/} folder. A migration may take
     * as long as it takes, and waits for as long as another instance migrates (Flyway's advisory lock,
     * asked for every second); a database that does not answer within the statement timeout fails it
     * ({@link MigrationWatch} says how that is told apart).
     *
     * @param settings where the database is
     * @throws DatabaseNotAnsweringException   when the database did not answer in time
     * @throws DatabaseUnreachableException    when it could not be connected to
     * @throws DatabaseConnectionLostException when the connection was lost once made
     */
    public static void migrate(DatabaseSettings settings) {
        try (MigrationWatch watch = MigrationWatch.start(settings);
             MigrationProgress progress = new MigrationProgress(watch::silenceFlyway)) {
            try {
                Flyway.configure()
                        .dataSource(watch.dataSource())
                        .callbacks(progress)
                        .locations("classpath:db-migration")
                        .failOnMissingLocations(true)
                        // Flyway prints the result of a migration's query as an ASCII table (migration 26
                        // selects each day's new sample partition: a dozen lines on a first start); the
                        // migrations stay as they shipped, so their checksums do.
                        .outputQueryResults(false)
                        // Flyway's default gives up after 50 attempts (50 s): a migration of the
                        // other instance's that takes longer would fail this start for nothing.
                        .lockRetryCount(-1)
                        .load()
                        .migrate();
            } catch (RuntimeException e) {
                if (watch.notAnswering(e)) {
                    throw new DatabaseNotAnsweringException(watch.notAnsweringMessage(), e);
                }
                // The same states as a refusal, but the connection had been made: the settings are
                // right, and what the operator needs to know is what the loss left behind.
                java.util.Optional<java.sql.SQLException> lost = watch.connected()
                        ? StorageErrors.connectionLoss(e) : java.util.Optional.empty();
                if (lost.isPresent()) {
                    throw new DatabaseConnectionLostException(MigrationProgress.lostLine(
                            DatabaseSettings.shown(settings.url()), progress.underWay(), oneLine(lost.get())), e);
                }
                java.util.Optional<java.sql.SQLException> refused = StorageErrors.connectionRefusal(e);
                if (refused.isPresent()) {
                    throw new DatabaseUnreachableException("cannot connect to the database at "
                            + DatabaseSettings.shown(settings.url()) + " as '" + settings.user() + "': "
                            + oneLine(refused.get()), e);
                }
                throw e;
            }
        }
    }

    private static String oneLine(java.sql.SQLException e) {
        return String.valueOf(e.getMessage()).replace('\n', ' ').strip();
    }

    /**
     * Storage of collectors.
     *
     * @return the adapter
     */
    public CollectorPersistenceAdapter collectors() {
        return collectors;
    }

    /**
     * Rollouts, their steps and the driver's lease.
     *
     * @return the adapter
     */
    public RolloutPersistenceAdapter rollouts() {
        return rollouts;
    }

    /**
     * Registrations with their idempotency keys.
     *
     * @return the adapter
     */
    public RegistrationPersistenceAdapter registrations() {
        return registrations;
    }

    /**
     * Configuration layers, groups and effective revisions.
     *
     * @return the adapter
     */
    public LayerPersistenceAdapter layers() {
        return layers;
    }

    /**
     * Storage of configuration revisions.
     *
     * @return the adapter
     */
    public ConfigRevisionPersistenceAdapter revisions() {
        return revisions;
    }

    /**
     * The audit trail.
     *
     * @return the adapter
     */
    public AuditPersistenceAdapter audit() {
        return audit;
    }

    /**
     * Users.
     *
     * @return the adapter
     */
    public UserPersistenceAdapter users() {
        return users;
    }

    /**
     * Refresh and enrolment tokens.
     *
     * @return the adapter
     */
    public TokenPersistenceAdapter tokens() {
        return tokens;
    }

    /**
     * Signing keys and server secrets.
     *
     * @return the adapter
     */
    public SigningKeyPersistenceAdapter keys() {
        return keys;
    }

    /**
     * Apply reports, samples, the fleet view.
     *
     * @return the adapter
     */
    public FleetPersistenceAdapter fleet() {
        return fleet;
    }

    /**
     * Purging what outlived its retention.
     *
     * @return the adapter
     */
    public RetentionPersistenceAdapter retention() {
        return retention;
    }

    /**
     * The samples table's daily partitions.
     *
     * @return the adapter
     */
    public SamplePartitionsPersistenceAdapter samplePartitions() {
        return samplePartitions;
    }

    /**
     * The database's clock as this instance reads it, for the times instances compare with one
     * another's (a rollout's waves, agents' reports).
     *
     * @param local this host's clock
     * @return a clock that follows the database's
     */
    public DatabaseClock clock(java.time.Clock local) {
        return new DatabaseClock(db, local);
    }

    /**
     * Publish announcements from every instance.
     *
     * @return the feed
     */
    public PostgresChangeFeed changes() {
        return changes;
    }

    @Override
    public Optional<String> checkDatabase() {
        // A pooled connection with a shorter network timeout of its own (the pool restores the
        // connection's usual one when it is returned).
        try (Connection c = db.unwrap(Connection.class)) {
            c.setNetworkTimeout(Runnable::run, (int) healthTimeout.toMillis());
            try (Statement s = c.createStatement()) {
                s.execute("SELECT 1");
            }
            return Optional.empty();
        } catch (SQLException e) {
            boolean timedOut = causes(e).anyMatch(java.net.SocketTimeoutException.class::isInstance);
            return Optional.of(timedOut
                    ? "the database did not answer within " + healthTimeout.toSeconds() + " s"
                    : "the database does not answer: " + e.getMessage());
        } catch (RuntimeException e) {
            return Optional.of("the database does not answer: " + e.getMessage());
        }
    }

    private static java.util.stream.Stream<Throwable> causes(Throwable t) {
        return java.util.stream.Stream.iterate(t, java.util.Objects::nonNull, Throwable::getCause).limit(16);
    }

    /**
     * How busy the connection pool is right now, read from the pool's JMX bean.
     *
     * @return the counts, or empty while the pool has not started (or its bean is unreadable)
     */
    public Optional<PoolUsage> poolUsage() {
        try {
            javax.management.MBeanServer jmx = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            javax.management.ObjectName pool = new javax.management.ObjectName("com.zaxxer.hikari:type=Pool (" + poolName + ")");
            javax.management.ObjectName config = new javax.management.ObjectName("com.zaxxer.hikari:type=PoolConfig (" + poolName + ")");
            if (!jmx.isRegistered(pool)) {
                return Optional.empty();
            }
            return Optional.of(new PoolUsage((Integer) jmx.getAttribute(pool, "ActiveConnections"),
                    (Integer) jmx.getAttribute(pool, "IdleConnections"),
                    (Integer) jmx.getAttribute(pool, "ThreadsAwaitingConnection"),
                    jmx.isRegistered(config) ? (Integer) jmx.getAttribute(config, "MaximumPoolSize") : 0));
        } catch (javax.management.JMException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The connection pool's counts.
     *
     * @param active  connections lent out
     * @param idle    connections open and free
     * @param waiting requests waiting for a connection
     * @param max     the pool's size limit
     */
    public record PoolUsage(int active, int idle, int waiting, int max) {
    }

    /** Stops listening and closes the pool. */
    @Override
    public void close() {
        changes.close();
        db.close();
    }
}
