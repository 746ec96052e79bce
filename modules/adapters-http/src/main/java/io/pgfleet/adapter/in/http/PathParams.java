package io.pgfleet.adapter.in.http;

import io.helidon.webserver.http.ServerRequest;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

/** Typed path parameters; malformed ones end the request with 400. */
final class PathParams {

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
        String raw = req.path().pathParameters().get("version");
        try {
            return ConfigVersion.parse(raw);
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest("'" + raw + "' is not a version: versions are 1, 2, 3 …"));
        }
    }
}
