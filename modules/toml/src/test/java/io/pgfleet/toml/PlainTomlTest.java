package io.pgfleet.toml;

import io.pgfleet.domain.schema.ConfigSchema;
import io.pgfleet.domain.schema.DocumentValue;
import io.pgfleet.domain.schema.ParseOutcome;
import io.pgfleet.testing.ConfigCorpus;
import io.pgfleet.testing.Fuzz;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The plain-TOML reader gives exactly tomlj's tree — values, positions, key order — whenever it
 * answers, and answers for the documents operators write (so that tomlj's costly integer lexing is
 * skipped for them); whatever it does not answer, tomlj parses as before.
 */
class PlainTomlTest {

    private static final TomlDocumentParser PARSER = new TomlDocumentParser();

    /** The tree printed with its key order and every position, so that equal prints mean equal trees. */
    private static String shown(DocumentValue v) {
        StringBuilder out = new StringBuilder();
        show(v, out);
        return out.toString();
    }

    private static void show(DocumentValue v, StringBuilder out) {
        out.append('@').append(v.position().line()).append(':').append(v.position().column());
        switch (v) {
            case DocumentValue.Table t -> {
                out.append('{');
                for (Map.Entry<String, DocumentValue> e : t.entries().entrySet()) {
                    out.append(e.getKey()).append('=');
                    show(e.getValue(), out);
                    out.append(';');
                }
                out.append('}');
            }
            case DocumentValue.Array a -> {
                out.append('[');
                a.items().forEach(item -> {
                    show(item, out);
                    out.append(',');
                });
                out.append(']');
            }
            default -> out.append(v.typeName()).append(' ').append(v);
        }
    }

    /** When the plain reader answers, its tree is tomlj's; returns whether it answered. */
    private static boolean sameAsTomlj(String doc) {
        Optional<DocumentValue.Table> plain = PlainToml.read(doc);
        if (plain.isEmpty() || TomlDocumentParser.tooDeep(doc, ConfigSchema.MAX_NESTING_DEPTH).isPresent()) {
            return false;
        }
        ParseOutcome tomlj = PARSER.withTomlj(doc);
        ParseOutcome.Parsed parsed = assertInstanceOf(ParseOutcome.Parsed.class, tomlj,
                () -> "the plain reader accepted what tomlj refuses: " + Fuzz.shown(doc) + " → " + tomlj);
        assertEquals(shown(parsed.root()), shown(plain.get()), () -> Fuzz.shown(doc));
        assertEquals(parsed.root(), plain.get());
        return true;
    }

    @Test
    void theDocumentsOperatorsWriteAreReadPlainlyAsTomljReadsThem() {
        StringBuilder padded = new StringBuilder(ConfigCorpus.SPEC_EXAMPLE);
        while (padded.length() < 3000) {
            padded.append("# operator note: this host belongs to the reporting cluster.\n");
        }
        for (String doc : List.of(ConfigCorpus.SPEC_EXAMPLE, padded.toString(),
                ConfigCorpus.SPEC_EXAMPLE.replace("\n", "\r\n"),
                "  [collector]  # spaces around\n\tpush_interval\t=\t-15 \n",
                "[collectors.pg_stats]\ninterval = 2\n[collectors]\n[postgres]\ndatabases = [ \"a\" ,\"b\",\"é ü\" ]\n",
                "[a.b.c]\nx = []\n[a]\ny = 0\n[a.b]\nz = -9223372036854775\n",
                "k = \"\"\nt = true\nf = false # end")) {
            assertTrue(sameAsTomlj(doc), () -> "read plainly: " + Fuzz.shown(doc));
        }
        for (String doc : ConfigCorpus.VALID) {
            sameAsTomlj(doc);
        }
        assertTrue(sameAsTomlj(ConfigCorpus.SPEC_EXAMPLE));
    }

    @Test
    void whatIsNotPlainIsLeftToTomlj() {
        for (String doc : List.of("a.b = 1\n", "\"a\" = 1\n", "a = 1.5\n", "a = 0x10\n", "a = 1_000\n", "a = 007\n",
                "a = \"x\\ty\"\n", "a = 'x'\n", "a = \"\"\"x\"\"\"\n", "a = [1,]\n", "a = [[1]]\n", "a = {b = 1}\n",
                "a = [\n1]\n", "[[a]]\n", "[ a ]\n", "[a . b]\n", "a = 1\na = 2\n", "[a]\n[a]\n", "a = 1\n[a.b]\n",
                "a = 1\rb = 2\n", "# \u0001\n", "a = \"\uD800\"\n", "\uFEFFa = 1\n", "a = 2026-11-29\n", "a = 1 b\n",
                "a = truex\n", "a = -\n", "a = 12345678901234567890\n", "a = inf\n", "a =\n", "= 1\n")) {
            assertEquals(Optional.empty(), PlainToml.read(doc), () -> "left to tomlj: " + Fuzz.shown(doc));
        }
    }

    /** Lines of the plain subset and near it, over few names, so that tables and keys meet again. */
    private static final List<String> LINES = List.of("[collector]", "[collectors.pg_stats]", "[collectors]", "[postgres]",
            "[a.b]", "[a]", "[a.b.c]", "push_interval = 5", "interval = -3", "enabled = true", "watch = false",
            "host = \"localhost\"", "paths = [\"/\", \"/var\"]", "databases = []", "x = [1, true, \"s\"]", "a = 0",
            "b = 9223372036854775807", "# a comment", "", "  ", "\t# indented comment", "port = 5432 # inline",
            "collectors = 1", "b = \"\"", "c = [ 1 ,2 ]");

    private static String lines(Random r) {
        StringBuilder doc = new StringBuilder();
        int count = r.nextInt(20);
        for (int k = 0; k < count; k++) {
            doc.append(r.nextInt(4) == 0 ? " " : "").append(LINES.get(r.nextInt(LINES.size())))
                    .append(r.nextInt(8) == 0 ? "\r\n" : "\n");
        }
        return doc.toString();
    }

    private static int fuzz(int tries, Function<Random, String> input) {
        long seed = Fuzz.seed();
        Random random = new Random(seed);
        int plain = 0;
        for (int k = 0; k < Fuzz.tries(tries); k++) {
            String doc = input.apply(random);
            try {
                plain += sameAsTomlj(doc) ? 1 : 0;
            } catch (AssertionError | RuntimeException e) {
                fail("try " + k + " of seed " + seed + " (replay with -Dpgfleet.fuzz.seed=" + seed + ") failed on: "
                        + Fuzz.shown(doc), e);
            }
        }
        return plain;
    }

    @Test
    void onFuzzedDocumentsThePlainReaderAgreesWithTomljWheneverItAnswers() {
        int plain = fuzz(1500, PlainTomlTest::lines);
        assertTrue(plain > 0, "some generated documents are plain");
        fuzz(600, r -> Fuzz.mutate(r, TomlFuzzTest.SEEDS.get(r.nextInt(TomlFuzzTest.SEEDS.size())),
                TomlFuzzTest.TOKENS, 6));
        fuzz(400, r -> Fuzz.soup(r, TomlFuzzTest.TOKENS, 60));
        fuzz(200, r -> Fuzz.unicode(r, 200));
    }

    @Test
    void onTheCorpusOfNastyDocumentsThePlainReaderAgreesWithTomlj() throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("src", "test", "resources", "toml-corpus"))) {
            s.sorted().forEach(files::add);
        }
        for (Path f : files) {
            sameAsTomlj(Files.readString(f, StandardCharsets.UTF_8));
        }
    }
}
