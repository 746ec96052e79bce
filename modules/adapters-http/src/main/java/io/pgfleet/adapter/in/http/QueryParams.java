package io.pgfleet.adapter.in.http;

import io.helidon.webserver.http.ServerRequest;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Typed query parameters; malformed ones end the request with 400. A parameter that takes one
 * value and is given several ({@code ?limit=1&limit=1000}) is refused too: which one counts would
 * otherwise depend on who reads the request (a proxy, a log, a filter, this server).
 */
final class QueryParams {

    private QueryParams() {
    }

    /** The one value of a parameter that is present; 400 when it is given more than once. */
    private static String single(ServerRequest req, String name) {
        List<String> all = req.query().all(name);
        if (all.size() > 1) {
            throw new ApiException(Problem.badRequest("query parameter '" + name + "' is given " + all.size()
                    + " times; give it once"));
        }
        if (all.isEmpty()) {
            // Named without '=' ("?limit", "?force"): present, with no value at all.
            throw new ApiException(Problem.badRequest("query parameter '" + name + "' needs a value (" + name
                    + "=…)"));
        }
        return all.getFirst();
    }

    /**
     * An integer parameter.
     *
     * @param fallback used when absent; a fallback below {@code min} makes the parameter required
     */
    static int integer(ServerRequest req, String name, int fallback, int min, int max) {
        return (int) number(req, name, fallback, min, max);
    }

    /**
     * An integer parameter of up to 18 digits (an id).
     *
     * @param fallback used when absent; a fallback below {@code min} makes the parameter required
     */
    static long number(ServerRequest req, String name, long fallback, long min, long max) {
        if (!req.query().contains(name)) {
            if (fallback < min) {
                throw new ApiException(Problem.badRequest("query parameter '" + name + "' is required"));
            }
            return fallback;
        }
        String raw = single(req, name);
        // Digits alone: Long.parseLong would also take a sign ("+1") and the trim a decoded space
        // ("%201"), while "1e2" is refused; one plain form for every client.
        if (!DIGITS.matcher(raw).matches() || Long.parseLong(raw) < min || Long.parseLong(raw) > max) {
            throw new ApiException(Problem.badRequest("query parameter '" + name + "' must be an integer from "
                    + min + " to " + max + " in plain digits, got '" + raw + "'"));
        }
        return Long.parseLong(raw);
    }

    /**
     * A repeated parameter of metric names ({@code ?name[]=a&name[]=b}, Prometheus' convention).
     *
     * @param max at most this many
     * @return the names; empty when the parameter is absent
     */
    static Set<String> names(ServerRequest req, String name, int max) {
        if (!req.query().contains(name)) {
            return Set.of();
        }
        List<String> all = req.query().all(name);
        if (all.size() > max) {
            throw new ApiException(Problem.badRequest("at most " + max + " '" + name + "' query parameters are accepted, got " + all.size()));
        }
        Set<String> names = new LinkedHashSet<>();
        for (String n : all) {
            if (!METRIC_NAME.matcher(n).matches()) {
                throw new ApiException(Problem.badRequest("query parameter '" + name
                        + "' must be a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*, at most 200 characters), got '"
                        + (n.length() > 200 ? n.substring(0, 200) + "…" : n) + "'"));
            }
            names.add(n);
        }
        return names;
    }

    /** An integer parameter's form: ASCII digits, at most 18 (so that it fits a long before its range is checked). */
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,18}");
    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]{0,199}");

    /**
     * A filter of a list ({@code selector}, {@code in_sync}, {@code state}): empty when the
     * parameter is left out. Given without a value ({@code ?selector=}) it is refused: a script
     * whose variable came out empty would otherwise be answered with the whole list, unfiltered,
     * and act on every collector instead of the few it meant.
     *
     * @throws ApiException 400 when given without a value (or with spaces alone)
     */
    static Optional<String> filter(ServerRequest req, String name) {
        if (!req.query().contains(name)) {
            return Optional.empty();
        }
        String value = text(req, name);
        if (value.isBlank()) {
            throw new ApiException(Problem.badRequest("query parameter '" + name + "' is given without a value, which"
                    + " filters nothing; leave it out to list them all"));
        }
        return Optional.of(value);
    }

    static String text(ServerRequest req, String name) {
        String value = req.query().contains(name) ? single(req, name) : "";
        if (value.indexOf('\u0000') >= 0) {
            throw new ApiException(Problem.badRequest("query parameter '" + name + "' contains a NUL character, which is not accepted"));
        }
        return value;
    }

    static Instant instant(ServerRequest req, String name, Instant fallback) {
        if (!req.query().contains(name)) {
            return fallback;
        }
        String raw = single(req, name);
        try {
            return HttpDates.parse(raw);
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest("query parameter '" + name + "' must be " + HttpDates.INSTANT_RULE
                    + ", got '" + (raw.length() > 64 ? raw.substring(0, 64) + "…" : raw) + "'"));
        }
    }
}
