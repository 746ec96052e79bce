package io.pgfleet.adapter.in.http;

import io.helidon.webserver.http.ServerRequest;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.rollout.RolloutId;

import java.util.regex.Pattern;

/** Typed path parameters; malformed ones end the request with 400. */
final class PathParams {

    /** The largest rollout id a path may name: 18 digits, as many as the store's ids are given. */
    static final long MAX_ROLLOUT_ID = 999_999_999_999_999_999L;

    /** A number in a path: digits, the first not 0, and no more than a long holds before its range is checked. */
    private static final Pattern PLAIN_NUMBER = Pattern.compile("[1-9][0-9]{0,17}");

    private PathParams() {
    }

    static CollectorId collectorId(ServerRequest req) {
        String raw = req.path().pathParameters().get("id");
        try {
            return CollectorId.of(raw);
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest("'" + raw + "' is not a collector id: 1-64 letters, digits, "
                    + "'.', '_' or '-', starting with a letter or digit"));
        }
    }

    static ConfigVersion version(ServerRequest req) {
        return new ConfigVersion((int) positive("version", req.path().pathParameters().get("version"), Integer.MAX_VALUE));
    }

    static RolloutId rolloutId(ServerRequest req) {
        return new RolloutId(positive("id", req.path().pathParameters().get("id"), MAX_ROLLOUT_ID));
    }

    /**
     * A number named in a path: plain decimal digits from 1 to {@code max}, with no sign, no leading
     * zero, no space and no exponent. {@code +1}, {@code 01} or {@code 1e0} read as 1 by one client
     * and as an error or another resource by the next (a proxy, a cache, a log): one spelling per
     * resource.
     *
     * @param name the parameter, as the message names it
     * @param raw  the path segment, decoded
     * @param max  the largest value
     * @return the number
     * @throws ApiException 400 naming the parameter, its range and what was given
     */
    static long positive(String name, String raw, long max) {
        if (raw == null || !PLAIN_NUMBER.matcher(raw).matches() || Long.parseLong(raw) > max) {
            String shown = raw == null ? "" : raw.length() > 40 ? raw.substring(0, 40) + "…" : raw;
            throw new ApiException(Problem.badRequest("path parameter '" + name + "' must be a number from 1 to " + max
                    + " in plain digits (no sign, leading zero, space or exponent), got '"
                    + io.pgfleet.domain.common.ShownText.escaped(shown) + "'"));
        }
        return Long.parseLong(raw);
    }
}
