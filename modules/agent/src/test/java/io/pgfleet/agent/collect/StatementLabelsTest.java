package io.pgfleet.agent.collect;

import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.fleet.SampleBatch;
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

    @Test
    void aStatementRunByTwoRolesIsOneSeriesAndTheCharactersTheServerRefusesInItsTextAreEscaped() throws Exception {
        // Two roles running one statement are two rows of pg_stat_statements with one queryid; as two
        // samples of one series at one time, the server would refuse the agent's whole batch.
        String comment = "/* \u202e\u001b[2J\u2028\u0085 */";
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_stat_statements_reset()");
            s.execute("DROP ROLE IF EXISTS second_role");
            s.execute("CREATE ROLE second_role");
            s.execute(comment + " SELECT count(*) FROM pg_class");
            s.execute("SET ROLE second_role");
            s.execute(comment + " SELECT count(*) FROM pg_class");
            s.execute("RESET ROLE");
        }
        EffectiveConfig config = statements();
        try (MetricCollectors collectors = new MetricCollectors()) {
            collectors.retarget(config.postgres());
            List<Sample> samples = collectors.collect(CollectorKind.PG_STAT_STATEMENTS, config);
            List<Sample> calls = samples.stream().filter(x -> x.name().equals("pg_stat_statements_calls_total")
                    && x.labels().get("query").contains("pg_class")).toList();
            assertEquals(1, calls.size(), calls.toString());
            assertEquals(2.0, calls.get(0).value(), "the calls of both roles");
            assertTrue(new SampleBatch("statements-1", samples).firstRepeatedPoint().isEmpty(), samples.toString());
            // PostgreSQL's \s may or may not take U+2028 and U+0085 for spaces, depending on the locale.
            String query = calls.get(0).labels().get("query");
            assertTrue(query.startsWith("/* \\u202e\\u001b[2J") && query.endsWith("*/ SELECT count(*) FROM pg_class"), query);
            samples.forEach(x -> assertEquals(java.util.Optional.empty(), x.newLabelRefusal(), x.toString()));
        }
    }

    @Test
    void aPasswordInAUtilityStatementNeverReachesALabel() throws Exception {
        // pg_stat_statements keeps utility statements as they were run, constants and all: the
        // password of a role went to the server as a sample label, for every viewer to read.
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_stat_statements_reset()");
            s.execute("DROP ROLE IF EXISTS leaky");
            s.execute("CREATE ROLE leaky LOGIN PASSWORD 'Hunter2-first-secret'");
            s.execute("ALTER ROLE leaky PASSWORD E'Hunter2-\\'second-secret'");
            s.execute("ALTER ROLE leaky PASSWORD $pw$Hunter2-third-secret$pw$");
        }
        EffectiveConfig config = statements();
        try (MetricCollectors collectors = new MetricCollectors()) {
            collectors.retarget(config.postgres());
            List<String> queries = collectors.collect(CollectorKind.PG_STAT_STATEMENTS, config).stream()
                    .map(x -> x.labels().get("query")).distinct().toList();
            assertTrue(queries.contains("CREATE ROLE leaky LOGIN PASSWORD '?'"), queries.toString());
            assertTrue(queries.contains("ALTER ROLE leaky PASSWORD E'?'"), queries.toString());
            assertTrue(queries.contains("ALTER ROLE leaky PASSWORD '?'"), queries.toString());
            queries.forEach(q -> assertFalse(q.contains("Hunter2") || q.contains("secret"), q));
        }
    }

    @Test
    void aQuoteInACommentOrABackslashBeforeAQuoteNeverUncoversAPassword() throws Exception {
        // A comment's apostrophe or double quote started a constant or a name that ended at the
        // password's opening quote, which the scan then took for a closing one; pg_stat_statements
        // keeps the line breaks that end a line comment, folded away before the scan saw them. With
        // standard_conforming_strings off, \' is a quote inside a constant, not its end.
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_stat_statements_reset()");
            s.execute("DROP ROLE IF EXISTS leaky");
            s.execute("CREATE ROLE leaky LOGIN");
            s.execute("/* don't */ ALTER ROLE leaky PASSWORD 'Hunter2-fourth-secret'");
            s.execute("/* a 5\" disk */ ALTER ROLE leaky PASSWORD 'Hunter2-fifth-secret' /* \" */");
            s.execute("-- the old one's gone\nALTER ROLE leaky PASSWORD 'Hunter2-sixth-secret' -- it's new");
            s.execute("SET standard_conforming_strings = off");
            s.execute("ALTER ROLE leaky PASSWORD 'Hunter2-\\'seventh-secret'");
            s.execute("RESET standard_conforming_strings");
        }
        EffectiveConfig config = statements();
        try (MetricCollectors collectors = new MetricCollectors()) {
            collectors.retarget(config.postgres());
            List<String> queries = collectors.collect(CollectorKind.PG_STAT_STATEMENTS, config).stream()
                    .map(x -> x.labels().get("query")).distinct().toList();
            assertTrue(queries.contains("/* don't */ ALTER ROLE leaky PASSWORD '?'"), queries.toString());
            assertTrue(queries.contains("/* a 5\" disk */ ALTER ROLE leaky PASSWORD '?' /* \" */"), queries.toString());
            assertTrue(queries.contains("-- the old one's gone ALTER ROLE leaky PASSWORD '?' -- it's new"),
                    queries.toString());
            queries.forEach(q -> assertFalse(q.contains("Hunter2") || q.contains("secret"), q));
        }
    }

    @Test
    void aCommentIsKeptAsWrittenAndAConstantWhoseEndDependsOnTheSessionIsHiddenToTheEnd() {
        assertEquals("SELECT '?' /* it's /* nested \" */ 'x' */, '?'", MetricCollectors.withoutLiterals(
                "SELECT 'a' /* it's /* nested \" */ 'x' */, 'b'"));
        assertEquals("SELECT 1 -- don't\nFROM t WHERE a = '?'", MetricCollectors.withoutLiterals(
                "SELECT 1 -- don't\nFROM t WHERE a = 'b'"));
        // 'C:\' ends there with standard_conforming_strings on, not with it off.
        assertEquals("COPY t TO '?'", MetricCollectors.withoutLiterals("COPY t TO 'C:\\' WITH (FORMAT 'x', y 'secret')"));
        assertEquals("SELECT '?', '?'", MetricCollectors.withoutLiterals("SELECT 'a\\\\', 'b'"));
        assertEquals("SELECT 1 - -2, a-'?'", MetricCollectors.withoutLiterals("SELECT 1 - -2, a-'x'"));
    }

    @Test
    void everyStringConstantIsHiddenAndNothingElse() {
        assertEquals("SELECT $1, \"it's\" FROM t WHERE a = $2", MetricCollectors.withoutLiterals(
                "SELECT $1, \"it's\" FROM t WHERE a = $2"));
        assertEquals("SET app.key = '?'; COPY t FROM PROGRAM '?'", MetricCollectors.withoutLiterals(
                "SET app.key = 'a''b'; COPY t FROM PROGRAM 'curl -H x'"));
        assertEquals("SELECT E'?', '?' x", MetricCollectors.withoutLiterals("SELECT E'a\\'b', 'c\\\\' x"));
        assertEquals("DO '?'; SELECT '?'", MetricCollectors.withoutLiterals("DO $$ 'x' $$; SELECT $q$y$q$"));
        // Cut off by the text's end (PostgreSQL's left): hidden to the end.
        assertEquals("ALTER ROLE a PASSWORD '?'", MetricCollectors.withoutLiterals("ALTER ROLE a PASSWORD 'Hunter2-se"));
        assertEquals("SELECT '?'", MetricCollectors.withoutLiterals("SELECT $tag$ never closed"));
        // Not E'…': a backslash before its quote leaves its end to the session's setting, and the rest is hidden.
        assertEquals("SELECT LIKE'?'", MetricCollectors.withoutLiterals("SELECT LIKE'a\\' 'b'"));
    }

    @Test
    void aLabelValueIsCutBetweenEscapesAndPairsNeverWithinOne() {
        assertEquals("ab\\u001b", MetricCollectors.labelValue("ab\u001bcd", 8));
        assertEquals("ab", MetricCollectors.labelValue("ab\u001bcd", 7));
        assertEquals("a", MetricCollectors.labelValue("a\uD83D\uDE00", 2));
        assertEquals("a\uD83D\uDE00", MetricCollectors.labelValue("a\uD83D\uDE00", 3));
        assertEquals("a\\u0009b\\u000ac", MetricCollectors.labelValue("a\tb\nc", 256));
    }
}
