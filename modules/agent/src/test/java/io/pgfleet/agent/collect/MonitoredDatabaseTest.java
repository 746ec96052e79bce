package io.pgfleet.agent.collect;

import io.pgfleet.domain.schema.EffectiveConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The connection to the monitored database, against a real PostgreSQL. */
class MonitoredDatabaseTest {

    private static EmbeddedPostgres pg;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres.builder().start();
    }

    @AfterAll
    static void stop() throws Exception {
        pg.close();
    }

    private static Connection admin() throws Exception {
        return pg.getPostgresDatabase().getConnection();
    }

    private static String currentDatabase(String name) throws Exception {
        try (MonitoredDatabase m = new MonitoredDatabase()) {
            m.retarget(new EffectiveConfig.PostgresTarget("localhost", pg.getPort(), "postgres", "", "",
                    List.of(name), "disable"));
            return m.with(c -> {
                try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT current_database()")) {
                    r.next();
                    return r.getString(1);
                }
            });
        }
    }

    @Test
    void theAgentConnectsToTheFirstDatabaseOfTheConfigurationNotToOneNamedAfterTheUser() throws Exception {
        try (Connection c = admin(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE appdb");
        }
        assertEquals("appdb", currentDatabase("appdb"));
    }

    @Test
    void aDatabaseNameThatLooksLikeUrlParametersIsJustAName() throws Exception {
        String odd = "p?sslmode=require&socketFactory=java.lang.String#x y+z%41";
        try (Connection c = admin(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE \"" + odd + "\"");
        }
        assertEquals(odd, currentDatabase(odd), "sslmode and socketFactory were not taken from the name");
    }

    @Test
    void theProbeReadsVersionDatabasesAndExtensionsAndSaysWhenItsListIsIncomplete() throws Exception {
        try (Connection c = admin(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE probe_a");
            s.execute("CREATE DATABASE probe_b");
        }
        try (Connection c = java.sql.DriverManager.getConnection(pg.getJdbcUrl("postgres", "probe_b"));
             Statement s = c.createStatement()) {
            // The embedded binaries ship the extension; creating it needs no preloading.
            s.execute("CREATE EXTENSION pg_stat_statements");
        }
        EffectiveConfig.PostgresTarget target = new EffectiveConfig.PostgresTarget("localhost", pg.getPort(), "postgres",
                "", "", List.of("probe_a", "probe_b"), "disable");
        io.pgfleet.domain.fleet.HostFacts.PostgresFacts facts = new MetricCollectors().probe(target).orElseThrow();

        org.junit.jupiter.api.Assertions.assertTrue(facts.serverVersionNum() >= 140_000, "" + facts.serverVersionNum());
        org.junit.jupiter.api.Assertions.assertTrue(facts.databases().containsAll(List.of("postgres", "probe_a", "probe_b")));
        org.junit.jupiter.api.Assertions.assertFalse(facts.databasesTruncated());
        assertEquals(List.of("plpgsql"), facts.extensions().get("probe_a"));
        assertEquals(List.of("pg_stat_statements", "plpgsql"), facts.extensions().get("probe_b"));
        assertEquals(List.of(), facts.preloadLibraries());
        assertEquals("localhost", facts.host());

        try (Connection c = admin(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE \"bad\u202Ename\"");
        }
        org.junit.jupiter.api.Assertions.assertTrue(new MetricCollectors().probe(target).orElseThrow().databasesTruncated(),
                "a name left out makes the list incomplete");
        assertEquals(java.util.Optional.empty(), new MetricCollectors().probe(new EffectiveConfig.PostgresTarget("localhost",
                1, "postgres", "", "", List.of("postgres"), "disable")), "unreachable: nothing known");
    }

    @Test
    void preloadedLibrariesAreNamedAsTheSchemaNamesThem() {
        assertEquals(List.of("pg_stat_statements", "auto_explain"),
                MetricCollectors.libraries("\"$libdir/pg_stat_statements.so\", auto_explain"));
        assertEquals(List.of(), MetricCollectors.libraries(""));
    }
}
