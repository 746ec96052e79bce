package io.pgfleet.adapter.in.http;

import io.pgfleet.domain.config.EntityTag;
import io.pgfleet.domain.config.Precondition;

import java.util.ArrayList;
import java.util.List;

/** {@code If-Match} and {@code If-None-Match} header values (RFC 9110 §13.1). */
final class EntityTags {

    private EntityTags() {
    }

    /**
     * A precondition header's value: all its field lines as one list (RFC 9110 §5.3), so a tag on
     * a second {@code If-Match} line counts, and a malformed one is refused, like one on the first.
     *
     * @param req  the request
     * @param name {@code If-Match} or {@code If-None-Match}
     * @return the comma-joined value, empty when the header is absent
     */
    static java.util.Optional<String> header(io.helidon.webserver.http.ServerRequest req, io.helidon.http.HeaderName name) {
        List<String> lines = req.headers().all(name, List::of);
        return lines.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(String.join(", ", lines));
    }

    /**
     * Parses {@code If-Match}.
     *
     * @param header the header value
     * @return the precondition; weak tags never match (strong comparison)
     * @throws ApiException 400 when the value is not a list of entity tags
     */
    static Precondition ifMatch(String header) {
        if (header.trim().equals("*")) {
            return new Precondition.AnyExisting();
        }
        List<EntityTag> strong = new ArrayList<>();
        for (Parsed p : parseList(header)) {
            if (!p.weak()) {
                strong.add(new EntityTag(p.value()));
            }
        }
        if (strong.isEmpty()) {
            // Only weak tags: per RFC 9110 they can never match a strong comparison.
            strong.add(new EntityTag("never-matches"));
        }
        return new Precondition.MatchesOneOf(strong);
    }

    /**
     * Whether {@code If-None-Match} matches the current tag (weak comparison, as RFC 9110 asks for GET).
     *
     * @param header  the header value
     * @param current the current tag
     * @return true when a 304 is due
     */
    static boolean noneMatchMatches(String header, EntityTag current) {
        if (header.trim().equals("*")) {
            return true;
        }
        return parseList(header).stream().anyMatch(p -> p.value().equals(current.value()));
    }

    /**
     * {@code If-None-Match} as one entity tag per value, for a reader that compares a value whole:
     * {@code *} alone, or each tag quoted without {@code W/} (weak comparison ignores it).
     *
     * @param header the header value, all its lines joined
     * @return the tags
     * @throws ApiException 400 when the value is not {@code *} or a list of entity tags
     */
    static List<String> weakList(String header) {
        if (header.trim().equals("*")) {
            return List.of("*");
        }
        return parseList(header).stream().map(p -> '"' + p.value() + '"').toList();
    }

    /**
     * {@code If-Match} as one entity tag per value, for a reader that compares a value whole and
     * ignores {@code W/}: {@code *} alone, or the strong tags quoted; only weak ones, which never
     * match a strong comparison, become one tag that matches nothing.
     *
     * @param header the header value, all its lines joined
     * @return the tags, never empty
     * @throws ApiException 400 when the value is not {@code *} or a list of entity tags
     */
    static List<String> strongList(String header) {
        if (header.trim().equals("*")) {
            return List.of("*");
        }
        List<String> strong = parseList(header).stream().filter(p -> !p.weak()).map(p -> '"' + p.value() + '"').toList();
        return strong.isEmpty() ? List.of("\"never-matches\"") : strong;
    }

    /** RFC 9110 §8.8.3: etagc = %x21 / %x23-7E / obs-text. */
    private static boolean etagc(int c) {
        return c == 0x21 || (c >= 0x23 && c <= 0x7E) || (c >= 0x80 && c <= 0xFF);
    }

    private record Parsed(boolean weak, String value) {
    }

    private static List<Parsed> parseList(String header) {
        List<Parsed> tags = new ArrayList<>();
        for (String part : header.split(",")) {
            String t = part.trim();
            if (t.isEmpty()) {
                continue;
            }
            boolean weak = t.startsWith("W/");
            if (weak) {
                t = t.substring(2);
            }
            if (t.length() < 2 || !t.startsWith("\"") || !t.endsWith("\"") || t.substring(1, t.length() - 1).contains("\"")) {
                throw new ApiException(Problem.badRequest("malformed entity tag in precondition header: " + part.trim()));
            }
            String value = t.substring(1, t.length() - 1);
            if (value.isBlank()) {
                throw new ApiException(Problem.badRequest("empty entity tag in precondition header"));
            }
            if (!value.chars().allMatch(EntityTags::etagc)) {
                // A tag with a space or control inside its quotes is no entity tag: comparing it
                // would answer 412 as if the document had changed, when the header is what is wrong.
                throw new ApiException(Problem.badRequest("malformed entity tag in precondition header (only visible "
                        + "characters between the quotes): " + part.trim()));
            }
            tags.add(new Parsed(weak, value));
        }
        if (tags.isEmpty()) {
            throw new ApiException(Problem.badRequest("empty precondition header"));
        }
        return tags;
    }
}
