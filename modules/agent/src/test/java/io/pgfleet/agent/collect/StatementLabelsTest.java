package io.pgfleet.agent.collect;

import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.schema.CollectorKind;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.EffectiveConfig;
import io.pgfleet.domain.schema.Validation;
import io.pgfleet.toml.TomlDocumentParser;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The statements collector against a real PostgreSQL that preloads pg_stat_statements: whatever
 * text the database's users run, the labels fit a sample, so one statement cannot stop the
 * collection of all the others.
 */
class StatementLabelsTest {

    private static EmbeddedPostgres pg;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres.builder().setServerConfig("shared_preload_libraries", "pg_stat_statements").start();
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION pg_stat_statements");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        pg.close();
    }

    private static EffectiveConfig statements() {
        String doc = "[postgres]\nhost = \"localhost\"\nport = " + pg.getPort() + "\nuser = \"postgres\"\n"
                + "sslmode = \"disable\"\n\n[collectors.pg_stat_statements]\nenabled = true\ninterval = 10\ntop = 100\n";
        return ((Validation.Valid) ConfigValidator.validate(new TomlDocumentParser().parse(doc))).effective();
    }

    @Test
    void aStatementWrittenInCharactersOutsideTheBasicPlaneStillYieldsSamplesForEveryStatement() throws Exception {
        // 200 characters as PostgreSQL counts them are 400 UTF-16 units when each is an emoji: more
        // than a label value may hold (256), which must not make the whole collection fail.
        String emoji = "\uD83D\uDE00".repeat(300);
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_stat_statements_reset()");
            s.execute("/* " + emoji + " */ SELECT 1");
            s.execute("SELECT count(*) FROM pg_namespace");
        }
        EffectiveConfig config = statements();
        try (MetricCollectors collectors = new MetricCollectors()) {
            collectors.retarget(config.postgres());
            List<Sample> samples = collectors.collect(CollectorKind.PG_STAT_STATEMENTS, config);
            List<String> queries = samples.stream().map(x -> x.labels().get("query")).distinct().toList();
            assertTrue(queries.stream().anyMatch(q -> q.contains("pg_namespace")), queries.toString());
            String cut = queries.stream().filter(q -> q.contains("\uD83D")).findFirst().orElseThrow();
            assertTrue(cut.length() <= MetricCollectors.MAX_QUERY_LABEL, cut.length() + " UTF-16 units");
            assertFalse(Character.isHighSurrogate(cut.charAt(cut.length() - 1)), "no character is cut in half");
            assertEquals(cut, new String(cut.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    java.nio.charset.StandardCharsets.UTF_8), "the label is well-formed text");
        }
    }
}
