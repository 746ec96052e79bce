package io.pgfleet.toml;

import io.pgfleet.domain.schema.CollectorKind;
import io.pgfleet.domain.schema.ConfigSchema;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.EffectiveConfig;
import io.pgfleet.domain.schema.Validation;
import io.pgfleet.domain.schema.ValidationError;
import io.pgfleet.testing.ConfigCorpus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The schema of SPEC §2 through the TOML adapter and the domain's validator. */
class SchemaValidationTest {

    private final TomlDocumentParser parser = new TomlDocumentParser();

    private EffectiveConfig valid(String toml) {
        Validation v = ConfigValidator.validate(parser.parse(toml));
        return assertInstanceOf(Validation.Valid.class, v, () -> toml + "\n→ " + v).effective();
    }

    static final List<String> validDocuments = ConfigCorpus.VALID;
    static final List<ConfigCorpus.Invalid> invalidDocuments = ConfigCorpus.INVALID;

    @ParameterizedTest
    @FieldSource("validDocuments")
    void acceptsTheSpecExampleAndItsVariations(String toml) {
        valid(toml);
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("invalidDocuments")
    void refusesInvalidDocumentsWithTheRightLines(ConfigCorpus.Invalid c) {
        Validation v = ConfigValidator.validate(parser.parse(c.toml()));
        List<ValidationError> errors = assertInstanceOf(Validation.Invalid.class, v, c.name()).errors();
        assertEquals(c.expectedLines(), errors.stream().map(ValidationError::line).toList(), errors.toString());
        assertEquals(c.expectedKey(), errors.get(0).key(), errors.toString());
        errors.forEach(e -> assertFalse(e.message().isBlank()));
    }

    @Test
    void theCorpusIsLargeEnough() {
        assertTrue(ConfigCorpus.INVALID.size() >= 30);
    }

    @Test
    void theSpecExampleEqualsTheDefaults() {
        assertEquals(EffectiveConfig.defaults(), valid(ConfigCorpus.SPEC_EXAMPLE));
    }

    @Test
    void absentKeysTakeTheirDefaults() {
        EffectiveConfig c = valid("[collectors.pg_stats]\ninterval = 2\n");
        assertEquals(Duration.ofSeconds(2), c.schedule(CollectorKind.PG_STATS).interval());
        assertTrue(c.schedule(CollectorKind.PG_STATS).enabled());
        assertEquals(Duration.ofSeconds(300), c.pullInterval());
        assertEquals(Duration.ofSeconds(60), c.pushInterval());
        assertTrue(c.watch());
        assertFalse(c.schedule(CollectorKind.PG_LOCKS).enabled());
        assertEquals(Duration.ofSeconds(30), c.schedule(CollectorKind.SYSSTAT).interval());
        assertEquals(List.of("/"), c.diskPaths());
        assertEquals("localhost", c.postgres().host());
        assertEquals(5432, c.postgres().port());
        assertEquals(List.of("postgres"), c.postgres().databases());
        assertEquals("prefer", c.postgres().sslmode());
    }

    @Test
    void removingAKeyBringsItsDefaultBack() {
        EffectiveConfig with = valid("[collectors.pg_stats]\nenabled = false\ninterval = 5\n");
        EffectiveConfig without = valid("[collectors.pg_stats]\ninterval = 5\n");
        assertFalse(with.schedule(CollectorKind.PG_STATS).enabled());
        assertTrue(without.schedule(CollectorKind.PG_STATS).enabled());
        assertFalse(with.sha256().equals(without.sha256()));
    }

    @Test
    void inlineAndDottedFormsMeanTheSame() {
        assertEquals(valid("[collectors.pg_locks]\nenabled = true\ninterval = 5\n"),
                valid("[collectors]\npg_locks = { enabled = true, interval = 5 }\n"));
        assertEquals(valid("[collectors.sysstat]\nenabled = false\n"), valid("collectors.sysstat.enabled = false\n"));
    }

    private static String list(String section, String key, int entries, java.util.function.IntFunction<String> entry) {
        StringBuilder doc = new StringBuilder("# a long list\n[" + section + "]\n" + key + " = [\n");
        for (int i = 0; i < entries; i++) {
            doc.append("  \"").append(entry.apply(i)).append("\",\n");
        }
        return doc.append("]\n").toString();
    }

    @Test
    void aNewVersionAndTheAgentListAtMostTheBoundOfDatabasesAndPathsWhileAStoredOneStillValidates() {
        String paths = list("collectors.disk_usage", "paths", ConfigSchema.MAX_LIST_ENTRIES + 1, i -> "/srv/" + i);
        String databases = list("postgres", "databases", 4_000, i -> "db" + i);
        for (String doc : List.of(paths, databases)) {
            String key = doc.equals(paths) ? "collectors.disk_usage.paths" : "postgres.databases";
            int count = doc.equals(paths) ? ConfigSchema.MAX_LIST_ENTRIES + 1 : 4_000;
            for (Validation v : List.of(ConfigValidator.validateNew(doc, parser.parse(doc)),
                    ConfigValidator.validateBounded(parser.parse(doc)))) {
                Validation.Invalid invalid = assertInstanceOf(Validation.Invalid.class, v);
                assertEquals(1, invalid.total(), invalid.toString());
                ValidationError e = invalid.errors().get(0);
                // At the key, as every error of a value is, with the count and the bound.
                assertEquals(List.of(3, 1), List.of(e.line(), e.column()), e.toString());
                assertEquals(key, e.key());
                assertTrue(e.message().startsWith("lists " + count + " entries; at most " + ConfigSchema.MAX_LIST_ENTRIES
                        + " are accepted"), e.message());
            }
            // Stored before the bound: the server still composes and serves it.
            assertInstanceOf(Validation.Valid.class, ConfigValidator.validate(parser.parse(doc)));
        }
        String atTheBound = list("collectors.disk_usage", "paths", ConfigSchema.MAX_LIST_ENTRIES, i -> "/srv/" + i);
        assertInstanceOf(Validation.Valid.class, ConfigValidator.validateNew(atTheBound, parser.parse(atTheBound)));
    }

    @Test
    void aNewVersionListsAtMostTheBoundOfCharactersInAll() {
        // 40 paths of 250 characters: few entries, but 10,000 characters for the agent to parse.
        String doc = list("collectors.disk_usage", "paths", 40, i -> "/" + "p".repeat(245) + String.format("%04d", i));
        ValidationError e = assertInstanceOf(Validation.Invalid.class, ConfigValidator.validateNew(doc, parser.parse(doc)))
                .errors().get(0);
        assertEquals("collectors.disk_usage.paths", e.key());
        assertTrue(e.message().startsWith("lists 10000 characters in all; at most " + ConfigSchema.MAX_LIST_CHARS
                + " are accepted"), e.message());
        String fits = list("postgres", "databases", ConfigSchema.MAX_LIST_CHARS / 63, i -> String.format("%063d", i));
        assertInstanceOf(Validation.Valid.class, ConfigValidator.validateBounded(parser.parse(fits)));
        assertInstanceOf(Validation.Valid.class, ConfigValidator.validate(parser.parse(doc)));
    }

    @Test
    void theReferencePageStatesTheBounds() {
        String md = ConfigSchema.referenceMarkdown();
        assertTrue(md.contains("non-empty array of at most 256 distinct strings (8192 characters in all)"), md);
    }

    @Test
    void aNewVersionHoldsNoBidirectionalOrC1ControlWhileAStoredOneStillParses() {
        // A right-to-left override in a comment makes the line show "watch = false" reversed: the
        // document would read differently from what it does.
        String trojan = "# disable \u202e eslaf = hctaw\n[collector]\nwatch = true\n";
        Validation v = ConfigValidator.validateNew(trojan, parser.parse(trojan));
        ValidationError e = assertInstanceOf(Validation.Invalid.class, v).errors().get(0);
        assertEquals(List.of(1, 11), List.of(e.line(), e.column()));
        assertTrue(e.message().contains("U+202E"), e.message());
        String c1 = "[postgres]\nhost = \"db\"\n# \u009b31m\n";
        assertEquals(3, assertInstanceOf(Validation.Invalid.class, ConfigValidator.validateNew(c1, parser.parse(c1)))
                .errors().get(0).line());
        // Stored versions are only parsed: the same text still validates for composing.
        assertInstanceOf(Validation.Valid.class, ConfigValidator.validate(parser.parse(trojan)));
        // Line ends of Windows editors and right-to-left text without formatting characters are text.
        String crlf = "# \u05e9\u05dc\u05d5\u05dd\r\n[collector]\r\nwatch = true\r\n";
        assertInstanceOf(Validation.Valid.class, ConfigValidator.validateNew(crlf, parser.parse(crlf)));
        String many = "# " + "\u202e".repeat(30) + "\n[collector]\nwatch = true\n";
        List<ValidationError> errors = assertInstanceOf(Validation.Invalid.class,
                ConfigValidator.validateNew(many, parser.parse(many))).errors();
        assertEquals(20, errors.size());
        assertTrue(errors.getLast().message().contains("and 10 more"), errors.getLast().message());
    }

    @Test
    void aNewVersionHoldsNoLineOrParagraphSeparatorWhileAStoredOneStillParses() {
        // Many editors and terminals break the line at U+2028: the comment then shows a line of its
        // own, "watch = false", that TOML never sees.
        String hidden = "[collector]\nwatch = true # keep\u2028watch = false\n";
        Validation v = ConfigValidator.validateNew(hidden, parser.parse(hidden));
        ValidationError e = assertInstanceOf(Validation.Invalid.class, v).errors().get(0);
        assertEquals(List.of(2, 20), List.of(e.line(), e.column()));
        assertTrue(e.message().contains("U+2028 LINE SEPARATOR"), e.message());
        String inValue = "[postgres]\nhost = \"db\u2029x\"\n";
        List<ValidationError> inValueErrors = assertInstanceOf(Validation.Invalid.class,
                ConfigValidator.validateNew(inValue, parser.parse(inValue))).errors();
        assertTrue(inValueErrors.stream().anyMatch(p -> p.line() == 2 && p.column() == 11
                && p.message().contains("U+2029 PARAGRAPH SEPARATOR")), inValueErrors.toString());
        assertInstanceOf(Validation.Valid.class, ConfigValidator.validate(parser.parse(hidden)));
    }

    @Test
    void aByteOrderMarkAtTheStartIsNamedWithTheRemedy() {
        // Windows editors save "UTF-8" with a byte order mark; TOML does not allow one.
        String bom = "\uFEFF[collector]\npush_interval = 30\n";
        List<ValidationError> errors = assertInstanceOf(Validation.Invalid.class,
                ConfigValidator.validateNew(bom, parser.parse(bom))).errors();
        assertEquals(1, errors.size(), errors.toString());
        ValidationError e = errors.get(0);
        assertEquals(List.of(1, 1, ""), List.of(e.line(), e.column(), e.key()));
        assertTrue(e.message().contains("byte order mark (U+FEFF") && e.message().contains("without a byte order mark"),
                e.message());
        // Without it the same document is valid.
        valid(bom.substring(1));
    }

    @Test
    void aDocumentOfThousandsOfWrongKeysListsTheFirstHundredByPositionAndCountsTheRest() {
        StringBuilder doc = new StringBuilder("[postgres]\n");
        for (int i = 0; i < 30_000; i++) {
            doc.append("k").append(i).append(" = 1\n");
        }
        // A top-level key after the section would be on line 1 of a section-less document: here the
        // wrong keys of [postgres] come first by position and the validator must keep those.
        Validation.Invalid v = assertInstanceOf(Validation.Invalid.class,
                ConfigValidator.validateNew(doc.toString(), parser.parse(doc.toString())));
        assertEquals(Validation.MAX_REPORTED_ERRORS, v.errors().size());
        assertEquals(30_000, v.total());
        assertEquals(2, v.errors().get(0).line());
        assertEquals(101, v.errors().getLast().line());
        assertEquals("postgres.k99", v.errors().getLast().key());
    }

    @Test
    void aDocumentOfThousandsOfSyntaxErrorsListsTheFirstHundredAndCountsTheRest() {
        String doc = "a\n".repeat(30_000);
        Validation.Invalid v = assertInstanceOf(Validation.Invalid.class, ConfigValidator.validate(parser.parse(doc)));
        assertEquals(Validation.MAX_REPORTED_ERRORS, v.errors().size());
        assertTrue(v.total() >= 30_000, () -> "total " + v.total());
        assertEquals(1, v.errors().get(0).line());
    }

    @Test
    void misspeltKeysGetASuggestion() {
        Validation v = ConfigValidator.validate(parser.parse("[collector]\npush_intervall = 5\n"));
        String message = assertInstanceOf(Validation.Invalid.class, v).errors().get(0).message();
        assertTrue(message.contains("did you mean 'push_interval'"), message);
    }
}
