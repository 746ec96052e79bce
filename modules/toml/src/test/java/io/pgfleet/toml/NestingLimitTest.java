package io.pgfleet.toml;

import io.pgfleet.domain.schema.ConfigSchema;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.ParseOutcome;
import io.pgfleet.domain.schema.Validation;
import io.pgfleet.testing.ConfigCorpus;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The schema's nesting limit is enforced before tomlj recurses, and only where TOML nests. */
class NestingLimitTest {

    private final TomlDocumentParser parser = new TomlDocumentParser();

    private void assertRefusedForNesting(String doc) {
        ParseOutcome outcome = parser.parse(doc);
        ParseOutcome.SyntaxErrors errors = assertInstanceOf(ParseOutcome.SyntaxErrors.class, outcome);
        assertEquals(1, errors.errors().size(), errors.errors().toString());
        assertTrue(errors.errors().get(0).message().contains("nests deeper than " + ConfigSchema.MAX_NESTING_DEPTH),
                errors.errors().toString());
    }

    @Test
    void deepArraysInlineTablesDottedKeysAndHeadersAreRefusedWithoutRecursion() {
        assertRefusedForNesting("[collector]\nwatch = " + "[".repeat(100_000) + "]".repeat(100_000) + "\n");
        assertRefusedForNesting("[collector]\nwatch = " + "{a = ".repeat(50_000) + "1" + "}".repeat(50_000) + "\n");
        assertRefusedForNesting("[collector]\n" + "a.".repeat(100_000) + "b = 1\n");
        assertRefusedForNesting("[" + "t.".repeat(100_000) + "u]\n");
        assertRefusedForNesting("[[" + "t.".repeat(100_000) + "u]]\n");
        assertRefusedForNesting("x = [" + "{a = [".repeat(10) + "\n");
    }

    @Test
    void theLimitIsCountedAsDocumented() {
        String nine = "[a.b]\nc.d.e = " + "[".repeat(5) + "]".repeat(5) + "\n";
        assertRefusedForNesting(nine);
        String eight = "[a.b]\nc.d.e = " + "[".repeat(4) + "]".repeat(4) + "\n";
        assertInstanceOf(ParseOutcome.Parsed.class, parser.parse(eight));
    }

    @Test
    void bracketsDotsAndBracesInsideStringsAndCommentsAreNotNesting() {
        String doc = ConfigCorpus.SPEC_EXAMPLE.replace("user = \"postgres\"",
                "user = \"" + "[{.".repeat(1_000) + "\"  # " + "[[[[[[[[[[[[.....{{{{{{{{\n"
                        + "password_env = 'A'\n# '''" + "[".repeat(50));
        assertInstanceOf(Validation.Valid.class, ConfigValidator.validate(parser.parse(doc)));
        String multiline = "[postgres]\nuser = \"\"\"\n" + "[[[[[[[[[[[[[[[[\n".repeat(3) + "\"\"\"\n";
        assertInstanceOf(ParseOutcome.Parsed.class, parser.parse(multiline));
        String floats = "[collector]\na = 1.5\nb = 2.25\nc = [1.5, 2.5]\n";
        assertInstanceOf(ParseOutcome.Parsed.class, parser.parse(floats));
    }
}
