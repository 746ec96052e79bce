package io.pgfleet.adapter.in.http;

import io.helidon.webserver.http.ServerRequest;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/** Typed query parameters; malformed ones end the request with 400. */
final class QueryParams {

    private QueryParams() {
    }

    /**
     * An integer parameter.
     *
     * @param fallback used when absent; a fallback below {@code min} makes the parameter required
     */
    static int integer(ServerRequest req, String name, int fallback, int min, int max) {
        if (!req.query().contains(name)) {
            if (fallback < min) {
                throw new ApiException(Problem.badRequest("query parameter '" + name + "' is required"));
            }
            return fallback;
        }
        String raw = req.query().get(name);
        try {
            long v = Long.parseLong(raw.trim());
            if (v < min || v > max) {
                throw new NumberFormatException();
            }
            return (int) v;
        } catch (NumberFormatException e) {
            throw new ApiException(Problem.badRequest("query parameter '" + name + "' must be an integer from "
                    + min + " to " + max + ", got '" + raw + "'"));
        }
    }

    static String text(ServerRequest req, String name) {
        String value = req.query().contains(name) ? req.query().get(name) : "";
        if (value.indexOf('\u0000') >= 0) {
            throw new ApiException(Problem.badRequest("query parameter '" + name + "' contains a NUL character, which is not accepted"));
        }
        return value;
    }

    static Instant instant(ServerRequest req, String name, Instant fallback) {
        if (!req.query().contains(name)) {
            return fallback;
        }
        String raw = req.query().get(name);
        try {
            return HttpDates.storable(Instant.parse(raw));
        } catch (DateTimeParseException | IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest("query parameter '" + name
                    + "' must be an RFC 3339 instant such as 2026-11-29T10:00:00Z, between the years 1 and 9999, got '" + raw + "'"));
        }
    }
}
