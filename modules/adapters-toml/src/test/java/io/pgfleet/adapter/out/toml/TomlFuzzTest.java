package io.pgfleet.adapter.out.toml;

import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.Validation;
import io.pgfleet.domain.schema.ValidationError;
import io.pgfleet.testing.ConfigCorpus;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property-based fuzzing of parser and validator together: whatever the text, the answer is a
 * {@link Validation} (valid, or invalid with positioned errors), never an exception or a stack
 * overflow. Tries are bounded so the suite stays fast; the nastiest inputs found are replayed from
 * {@code src/test/resources/toml-corpus} on every run.
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

    @Property(tries = 400)
    void randomTokenSoupNeverBreaksTheValidator(@ForAll("tokenSoup") String doc) {
        check(doc);
    }

    @Property(tries = 400)
    void mutatedValidDocumentsAreValidOrInvalidNeverAFailure(@ForAll("mutated") String doc) {
        check(doc);
    }

    @Property(tries = 200)
    void anyUnicodeTextNeverBreaksTheValidator(@ForAll("unicode") String doc) {
        check(doc);
    }

    @Example
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

    @Provide
    Arbitrary<String> tokenSoup() {
        return Arbitraries.of(TOKENS).list().ofMaxSize(120).map(l -> String.join("", l));
    }

    @Provide
    Arbitrary<String> unicode() {
        return Arbitraries.strings().all().ofMaxLength(400);
    }

    /** One edit of a document: where (a fraction of its length), what, and how much. */
    record Mutation(int kind, double at, String token, int length) {
        String apply(String doc) {
            int pos = (int) (at * doc.length());
            int end = Math.min(doc.length(), pos + length);
            return switch (kind) {
                case 0 -> doc.substring(0, pos) + token + doc.substring(pos);
                case 1 -> doc.substring(0, pos) + doc.substring(end);
                case 2 -> doc.substring(0, end) + doc.substring(pos, end) + doc.substring(end);
                default -> doc.substring(0, pos) + token + doc.substring(end);
            };
        }
    }

    static Arbitrary<String> mutationsOf(List<String> seeds, List<String> tokens) {
        Arbitrary<Mutation> mutation = Combinators.combine(Arbitraries.integers().between(0, 3),
                Arbitraries.doubles().between(0, 1), Arbitraries.of(tokens), Arbitraries.integers().between(1, 40))
                .as(Mutation::new);
        return Combinators.combine(Arbitraries.of(seeds), mutation.list().ofMinSize(1).ofMaxSize(6)).as((seed, edits) -> {
            String doc = seed;
            for (Mutation m : edits) {
                doc = m.apply(doc);
            }
            return doc;
        });
    }

    @Provide
    Arbitrary<String> mutated() {
        return mutationsOf(SEEDS, TOKENS);
    }
}
