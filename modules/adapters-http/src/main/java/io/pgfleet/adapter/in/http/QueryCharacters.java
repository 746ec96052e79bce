package io.pgfleet.adapter.in.http;

import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.Optional;

/**
 * Checks the characters of a request's query (and fragment, should a client send one) against RFC
 * 3986 §3.4: {@code pchar / "/" / "?"}, i.e. unreserved characters, sub-delimiters, {@code :},
 * {@code @}, {@code /}, {@code ?} and well-formed percent-encodings. Anything else is a {@code 400}
 * problem naming the character and where it is.
 *
 * <p>Why here and not in the listener: Helidon 4.1's own check of the request line refuses the
 * {@code :} that the RFC allows (helidon-io/helidon#9862, fixed in a later release), so every
 * unencoded instant ({@code ?since=2026-11-30T18:00:00Z}, as a shell user types it) was refused,
 * before routing and so without a request id. The listener's check is turned off
 * ({@link HttpApi#http1()}) and this filter applies the RFC's rule instead, after the request log
 * has given the request its id.
 */
final class QueryCharacters implements Filter {

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        Optional<String> bad = dotSegment(req.path().rawPath());
        if (bad.isEmpty()) {
            bad = firstInvalid("query", req.query().rawValue());
        }
        if (bad.isEmpty() && req.prologue().fragment().hasValue()) {
            bad = firstInvalid("fragment", req.prologue().fragment().rawValue());
        }
        if (bad.isPresent()) {
            Problem.badRequest(bad.get()).send(res);
            return;
        }
        chain.proceed();
    }

    /**
     * A path segment {@code .} or {@code ..} (also percent-encoded), which would be resolved before
     * routing: {@code /api/v1/config/x/../other} would read another collector's document than the
     * id a client forwarded meant. No route of this API has such a segment, so it is refused.
     *
     * @param raw the path as sent (not decoded)
     * @return the reason, if the path holds one
     */
    static Optional<String> dotSegment(String raw) {
        // Every request passes here: most paths hold none of what is looked for, so they cost four
        // scans and no allocation.
        if (raw.indexOf(';') < 0 && raw.indexOf("/.") < 0 && raw.indexOf("//") < 0 && raw.indexOf("/%2") < 0) {
            return Optional.empty();
        }
        // Routing drops a segment's ";parameters" and merges empty segments before it resolves dot
        // segments: "x/..;/other" and "a//b" would reach another path than the one written.
        if (raw.indexOf(';') >= 0) {
            return Optional.of("the path holds a ';' (no route of this API takes path parameters); percent-encode it"
                    + " (%3B) if it is part of a name");
        }
        String[] segments = raw.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String s = segments[i].replace("%2e", ".").replace("%2E", ".");
            if (s.equals(".") || s.equals("..")) {
                return Optional.of("the path holds a '" + s + "' segment; give the path of the resource itself");
            }
            // The leading "" (before the first '/') and a trailing "" (a path ending in '/') are fine.
            if (s.isEmpty() && i > 0 && i < segments.length - 1) {
                return Optional.of("the path holds an empty segment ('//'); give the path of the resource itself");
            }
        }
        return Optional.empty();
    }

    /**
     * Why the text cannot be a URI's query (or fragment), if it cannot.
     *
     * @param part "query" or "fragment", for the message
     * @param raw  the text as sent (not decoded)
     * @return the reason, naming the character and its index
     */
    static Optional<String> firstInvalid(String part, String raw) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length() || !hex(raw.charAt(i + 1)) || !hex(raw.charAt(i + 2))) {
                    return Optional.of("the " + part + " holds a '%' at index " + i
                            + " that does not start a percent-encoding (%XX with two hexadecimal digits)");
                }
                i += 2;
            } else if (!allowed(c)) {
                return Optional.of("the " + part + " holds a character a URI's " + part + " cannot hold at index " + i
                        + " (" + (c > 0x20 && c < 0x7f ? "'" + c + "', " : "") + "U+" + String.format("%04X", (int) c)
                        + "): percent-encode it");
            }
        }
        return Optional.empty();
    }

    private static boolean hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** RFC 3986: unreserved / sub-delims / ":" / "@" / "/" / "?". */
    private static boolean allowed(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "-._~!$&'()*+,;=:@/?".indexOf(c) >= 0;
    }
}
