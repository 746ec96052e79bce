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
}
