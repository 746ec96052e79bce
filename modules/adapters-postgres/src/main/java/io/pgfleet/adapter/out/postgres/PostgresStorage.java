package io.pgfleet.adapter.out.postgres;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.dbclient.DbClient;
import io.pgfleet.application.port.out.CheckDatabasePort;
import org.flywaydb.core.Flyway;

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
    private final PostgresChangeFeed changes;
    private final RetentionPersistenceAdapter retention;

    private PostgresStorage(DbClient db, DatabaseSettings settings) {
        this.db = db;
        this.changes = new PostgresChangeFeed(settings);
        this.collectors = new CollectorPersistenceAdapter(db);
        this.revisions = new ConfigRevisionPersistenceAdapter(db);
        this.audit = new AuditPersistenceAdapter(db);
        this.users = new UserPersistenceAdapter(db);
        this.tokens = new TokenPersistenceAdapter(db);
        this.keys = new SigningKeyPersistenceAdapter(db);
        this.fleet = new FleetPersistenceAdapter(db);
        this.retention = new RetentionPersistenceAdapter(db);
        this.layers = new LayerPersistenceAdapter(db);
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
        cfg.put("connection.poolName", "pgfleet");
        // Fail a request quickly when the database is away instead of holding it for 30 s.
        cfg.put("connection.connectionTimeout", "5000");
        cfg.put("connection.initializationFailTimeout", "-1");
        Config config = Config.just(ConfigSources.create(cfg));
        return new PostgresStorage(DbClient.create(config), settings);
    }

    /**
     * Applies the pending migrations of the top-level {@code migrations/} folder.
     *
     * @param settings where the database is
     */
    public static void migrate(DatabaseSettings settings) {
        Flyway.configure()
                .dataSource(settings.url(), settings.user(), settings.password())
                .locations("classpath:db-migration")
                .failOnMissingLocations(true)
                .load()
                .migrate();
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
     * Publish announcements from every instance.
     *
     * @return the feed
     */
    public PostgresChangeFeed changes() {
        return changes;
    }

    @Override
    public Optional<String> checkDatabase() {
        try {
            db.execute().get("SELECT 1 AS ok");
            return Optional.empty();
        } catch (RuntimeException e) {
            return Optional.of("the database does not answer: " + e.getMessage());
        }
    }

    /** Stops listening and closes the pool. */
    @Override
    public void close() {
        changes.close();
        db.close();
    }
}
