package io.pgfleet.toml;

import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.Validation;
import io.pgfleet.domain.schema.ValidationError;
import io.pgfleet.testing.ConfigCorpus;
import io.pgfleet.testing.Fuzz;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzing of parser and validator together: whatever the text, the answer is a {@link Validation}
 * (valid, or invalid with positioned errors), never an exception or a stack overflow. Inputs are
 * seeded ({@link Fuzz}); tries are bounded so the suite stays fast; the nastiest inputs found are
 * replayed from {@code src/test/resources/toml-corpus} on every run.
 */
class TomlFuzzTest {

    private static final TomlDocumentParser PARSER = new TomlDocumentParser();
    private static final Path CORPUS = Path.of("src", "test", "resources", "toml-corpus");

    /** Fragments that matter to TOML's grammar, and a few that hurt parsers. */
    static final List<String> TOKENS = List.of("[", "]", "[[", "]]", "{", "}", "=", ".", ",", "\"", "'", "\"\"\"", "'''",
            "#", "\n", " ", "\\", "\\u0000", "\u0000", "\uFEFF", "\r\n", "\t", "é", "\uD800", "a", "collector", "postgres",
            "collectors", "pg_stats", "disk_usage", "paths", "push_interval", "interval", "enabled", "databases", "1", "-1",
            "1.5", "1e999", "9223372036854775808", "0x7f", "inf", "nan", "true", "2026-11-29T10:00:00Z", "+300000-01-01",
            "[".repeat(5_000), "{a=".repeat(2_000), "a.".repeat(5_000), "\"x\" = ");

    static final List<String> SEEDS = List.of(ConfigCorpus.SPEC_EXAMPLE, """
            [collector]
            push_interval = 5
            [collectors.disk_usage]
            paths = ["/", "/var"]
            [postgres]
            databases = ["app", "postgres"]
            """);

    static Validation check(String doc) {
        Validation v = ConfigValidator.validate(PARSER.parse(doc));
        if (v instanceof Validation.Invalid invalid) {
            assertFalse(invalid.errors().isEmpty(), "an invalid document says why");
            for (ValidationError e : invalid.errors()) {
                assertTrue(e.line() >= 1 && e.column() >= 1, e.toString());
            }
        }
        return v;
    }

    private static void fuzz(int tries, Function<Random, String> input) {
        long seed = Fuzz.seed();
        Random random = new Random(seed);
        for (int i = 0; i < Fuzz.tries(tries); i++) {
            String doc = input.apply(random);
            try {
                check(doc);
            } catch (AssertionError | RuntimeException | StackOverflowError e) {
                fail("try " + i + " of seed " + seed + " (replay with -Dpgfleet.fuzz.seed=" + seed + ") failed on: "
                        + Fuzz.shown(doc), e);
            }
        }
    }

    @Test
    void randomTokenSoupNeverBreaksTheValidator() {
        fuzz(400, r -> Fuzz.soup(r, TOKENS, 120));
    }

    @Test
    void mutatedValidDocumentsAreValidOrInvalidNeverAFailure() {
        fuzz(400, r -> Fuzz.mutate(r, SEEDS.get(r.nextInt(SEEDS.size())), TOKENS, 6));
    }

    @Test
    void anyUnicodeTextNeverBreaksTheValidator() {
        fuzz(200, r -> Fuzz.unicode(r, 400));
    }

    @Test
    void theCorpusOfNastyDocumentsIsAnsweredCleanly() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(CORPUS)) {
            files = s.sorted().toList();
        }
        assertTrue(files.size() >= 5, "corpus at " + CORPUS.toAbsolutePath());
        for (Path f : files) {
            Validation v = check(Files.readString(f, StandardCharsets.UTF_8));
            if (f.getFileName().toString().startsWith("invalid-")) {
                assertInstanceOf(Validation.Invalid.class, v, f.toString());
            }
        }
    }
}
