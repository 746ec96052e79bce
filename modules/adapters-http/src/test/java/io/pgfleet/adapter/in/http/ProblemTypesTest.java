package io.pgfleet.adapter.in.http;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The problem types the server answers with are the ones its API description lists
 * ({@code x-problem-types}) and docs/api.md tabulates: a client that handles every listed type
 * handles every answer, and no listed type is one it will never meet.
 *
 * <p>A {@link Problem} is built from a {@link ProblemType} and nothing else, so the enum holds every
 * type that can be sent; which of its constants the code still sends is read from the compiled
 * classes (a constant nothing reads any more is listed but never sent).
 */
class ProblemTypesTest {

    private static final Path API_PAGE = Path.of("..", "..", "docs", "api.md");
    private static final String TABLE_HEAD = "| type | status | when |\n|---|---|---|\n";

    /** Every disagreement between the types the code sends and those the description lists; empty when they agree. */
    static List<String> mismatches(Set<String> sent, JsonObject listed) {
        List<String> problems = new ArrayList<>();
        new TreeSet<>(sent).stream().filter(s -> !listed.containsKey(s))
                .forEach(s -> problems.add("sent but not in x-problem-types: " + s));
        new TreeSet<>(listed.keySet()).stream().filter(s -> !sent.contains(s))
                .forEach(s -> problems.add("in x-problem-types but never sent: " + s));
        listed.forEach((slug, entry) -> {
            JsonObject e = entry.asJsonObject();
            int status = e.containsKey("status") ? e.getInt("status") : 0;
            if (status < 400 || status > 599) {
                problems.add(slug + " has no 4xx or 5xx status");
            }
            if (e.getString("description", "").isBlank()) {
                problems.add(slug + " has no description");
            }
        });
        return problems;
    }

    /** Read once: importing the classes is the slow part of this test. */
    private static Set<String> sentByTheCode;

    /** The slugs of the {@link ProblemType} constants read by main code other than the enum itself. */
    static synchronized Set<String> sentByTheCode() throws URISyntaxException {
        if (sentByTheCode != null) {
            return sentByTheCode;
        }
        // This module's main classes alone (target/classes), not the tests, which name types too.
        Path classes = Path.of(ProblemType.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        JavaClass type = new ClassFileImporter().importPath(classes).get(ProblemType.class);
        Set<String> slugs = Arrays.stream(ProblemType.values())
                .filter(t -> type.getField(t.name()).getAccessesToSelf().stream()
                        .anyMatch(access -> !access.getOriginOwner().equals(type)))
                .map(ProblemType::slug).collect(Collectors.toCollection(TreeSet::new));
        sentByTheCode = Collections.unmodifiableSet(slugs);
        return sentByTheCode;
    }

    /** The table docs/api.md shows under "Problem types": the description's list, in its order. */
    static String table(JsonObject listed) {
        StringBuilder b = new StringBuilder(TABLE_HEAD);
        listed.forEach((slug, entry) -> b.append("| `").append(slug).append("` | ")
                .append(entry.asJsonObject().getInt("status")).append(" | ")
                .append(entry.asJsonObject().getString("description").replace("|", "\\|")).append(" |\n"));
        return b.toString();
    }

    private static JsonObject listed() {
        return OpenApiDescriptionTest.description().getJsonObject("x-problem-types");
    }

    @Test
    void theDescriptionListsEveryProblemTypeTheCodeSendsAndNoOther() throws URISyntaxException {
        Set<String> sent = sentByTheCode();
        assertTrue(sent.size() >= 40, "the scan finds the types the handlers send: " + sent);
        assertEquals(List.of(), mismatches(sent, listed()));
    }

    @Test
    void everyProblemTypeIsSentBySomeCode() throws URISyntaxException {
        Set<String> declared = Arrays.stream(ProblemType.values()).map(ProblemType::slug)
                .collect(Collectors.toCollection(TreeSet::new));
        declared.removeAll(sentByTheCode());
        assertEquals(Set.of(), declared, "ProblemType constants no code sends: remove them (and from x-problem-types)");
    }

    @Test
    void aTypeSentButNotListedOrListedButNotSentFailsTheComparison() {
        JsonObject listed = listed();
        JsonObject tampered = Json.createObjectBuilder(listed).remove("self-disable")
                .add("rate-limited", Json.createObjectBuilder().add("status", 429).add("description", "Too many"))
                .add("teapot", Json.createObjectBuilder().add("status", 200))
                .build();
        Set<String> sent = new TreeSet<>(listed.keySet());
        sent.add("teapot");

        List<String> problems = mismatches(sent, tampered);

        assertEquals(List.of("sent but not in x-problem-types: self-disable",
                "in x-problem-types but never sent: rate-limited",
                "teapot has no 4xx or 5xx status", "teapot has no description"), problems);
    }

    @Test
    void theApiPageTabulatesTheListedTypes() throws IOException {
        String expected = table(listed());
        Path fresh = Path.of("target", "problem-types.md");
        Files.createDirectories(fresh.getParent());
        Files.writeString(fresh, expected);
        String page = Files.readString(API_PAGE);
        int start = page.indexOf(TABLE_HEAD);
        assertTrue(start >= 0, "docs/api.md has no problem-type table; copy " + fresh.toAbsolutePath() + " into it");
        int end = page.indexOf("\n\n", start);
        assertEquals(expected, page.substring(start, end < 0 ? page.length() : end + 1),
                "docs/api.md's problem-type table disagrees with x-problem-types; copy " + fresh.toAbsolutePath()
                        + " over it");
    }
}
