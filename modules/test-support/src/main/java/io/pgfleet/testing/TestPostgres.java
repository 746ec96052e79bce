package io.pgfleet.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.flywaydb.core.Flyway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL per test JVM, and a fresh migrated database per caller.
 *
 * <p>Starting PostgreSQL costs about a second, so it happens once; each test class then gets its
 * own database copied from a migrated template, which takes milliseconds. With
 * {@code PGFLEET_TEST_DB_URL} (plus {@code PGFLEET_TEST_DB_USER}, {@code PGFLEET_TEST_DB_PASSWORD})
 * the same suite runs against any PostgreSQL server where that user may create databases.
 */
public final class TestPostgres {

    /** One per test JVM: test JVMs running at once on one PostgreSQL (PGFLEET_TEST_DB_URL) each make their own. */
    private static final String TEMPLATE = "pgfleet_test_template_" + ProcessHandle.current().pid();
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static TestPostgres instance;

    private final String baseUrl;
    private final String user;
    private final String password;

    private TestPostgres(String baseUrl, String user, String password) {
        this.baseUrl = baseUrl;
        this.user = user;
        this.password = password;
    }

    /**
     * A new, empty, migrated database.
     *
     * @return its coordinates
     */
    public static synchronized TestDatabase newDatabase() {
        if (instance == null) {
            instance = start();
            instance.createTemplate();
        }
        return instance.copyTemplate();
    }

    /**
     * A new database migrated only up to a version, for tests of the migrations that follow it;
     * {@link #migrate} takes it further.
     *
     * @param version the last migration applied, e.g. {@code "25"}
     * @return its coordinates
     */
    public static synchronized TestDatabase newDatabaseAt(String version) {
        if (instance == null) {
            instance = start();
            instance.createTemplate();
        }
        String name = "pgfleet_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        instance.execute("DROP DATABASE IF EXISTS " + name);
        instance.execute("CREATE DATABASE " + name);
        TestDatabase db = new TestDatabase(instance.urlOf(name), instance.user, instance.password);
        migrate(db, version);
        return db;
    }

    /**
     * Applies the migrations of a database up to a version ({@code "latest"} for all).
     *
     * @param db      the database
     * @param version the last migration to apply
     */
    public static void migrate(TestDatabase db, String version) {
        Flyway.configure()
                .dataSource(db.url(), db.user(), db.password())
                .locations("classpath:db-migration")
                .failOnMissingLocations(true)
                .target(version)
                .load()
                .migrate();
    }

    private static TestPostgres start() {
        String external = System.getenv("PGFLEET_TEST_DB_URL");
        if (external != null && !external.isBlank()) {
            return new TestPostgres(external, env("PGFLEET_TEST_DB_USER", "postgres"), env("PGFLEET_TEST_DB_PASSWORD", ""));
        }
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    pg.close();
                } catch (IOException ignored) {
                    // the JVM is going away; the temporary data directory goes with the OS temp cleanup
                }
            }));
            return new TestPostgres(pg.getJdbcUrl("postgres", "postgres"), "postgres", "");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL for the tests"
                    + " (set PGFLEET_TEST_DB_URL to use another server)", e);
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null ? fallback : v;
    }

    private void createTemplate() {
        execute("DROP DATABASE IF EXISTS " + TEMPLATE);
        execute("CREATE DATABASE " + TEMPLATE);
        Flyway.configure()
                .dataSource(urlOf(TEMPLATE), user, password)
                .locations("classpath:db-migration")
                .failOnMissingLocations(true)
                .load()
                .migrate();
    }

    private TestDatabase copyTemplate() {
        String name = "pgfleet_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        execute("DROP DATABASE IF EXISTS " + name);
        execute("CREATE DATABASE " + name + " TEMPLATE " + TEMPLATE);
        return new TestDatabase(urlOf(name), user, password);
    }

    private void execute(String sql) {
        try (Connection c = DriverManager.getConnection(baseUrl, user, password); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("test database setup failed: " + sql, e);
        }
    }

    private String urlOf(String database) {
        int q = baseUrl.indexOf('?');
        String head = q < 0 ? baseUrl : baseUrl.substring(0, q);
        String tail = q < 0 ? "" : baseUrl.substring(q);
        return head.substring(0, head.lastIndexOf('/') + 1) + database + tail;
    }
}
