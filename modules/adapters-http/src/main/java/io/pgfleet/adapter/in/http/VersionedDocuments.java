package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.EntityTag;
import io.pgfleet.domain.config.RevisionSource;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;

/**
 * What every versioned document of the API shares, a collector's own layer as much as the fleet's
 * or a group's: the rollback body, a history entry, a history page and a diff answer.
 */
final class VersionedDocuments {

    private VersionedDocuments() {
    }

    /**
     * A rollback request's body.
     *
     * @param toVersion the version to publish again
     * @param message   why, empty when not given
     */
    record RollbackBody(ConfigVersion toVersion, String message) {

        /**
         * Reads {@code {to_version, message?}}; anything else is a 400 problem.
         *
         * @param req the request
         * @return the body
         */
        static RollbackBody read(ServerRequest req) {
            JsonObject body = Jsons.readObject(req);
            for (String key : body.keySet()) {
                if (!key.equals("to_version") && !key.equals("message")) {
                    throw new ApiException(Problem.badRequest("unknown field '" + key + "'; expected to_version, message"));
                }
            }
            java.util.OptionalLong toVersion = Jsons.integer(body.get("to_version"), 1, Integer.MAX_VALUE);
            if (toVersion.isEmpty()) {
                throw new ApiException(Problem.badRequest("'to_version' must be a version number (1, 2, 3 …)"));
            }
            String message = "";
            if (body.containsKey("message")) {
                if (!(body.get("message") instanceof JsonString m)) {
                    throw new ApiException(Problem.badRequest("'message' must be a string"));
                }
                message = ConfigHttpService.checkedMessage(m.getString(), "'message'");
            }
            return new RollbackBody(new ConfigVersion((int) toVersion.getAsLong()), message);
        }
    }

    /** One version in a history page. */
    static JsonObjectBuilder historyEntry(ConfigVersion version, EntityTag etag, Instant createdAt, String createdBy,
                                          String message, RevisionSource source) {
        return Jsons.JSON.createObjectBuilder()
                .add("version", version.value())
                .add("etag", etag.quoted())
                .add("created_at", HttpDates.json(createdAt))
                .add("created_by", createdBy)
                .add("message", message)
                .add("source", source.label());
    }

    /** Sends a history page, with {@code next} (and a {@code Link} header) when an older page exists. */
    static void sendPage(ServerRequest req, ServerResponse res, JsonObjectBuilder body, Optional<String> next) {
        next.ifPresentOrElse(n -> {
            body.add("next", n);
            NextPages.link(req, res, n);
        }, () -> body.addNull("next"));
        // A page changes with every publish: intermediaries revalidate it (docs/api.md, Caching).
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        Jsons.send(req, res, body.build());
    }

    /** Sends a unified diff, saying whether it is the minimal one. */
    static void sendDiff(ServerRequest req, ServerResponse res, UnifiedDiff.Result diff) {
        res.header(HeaderNames.CONTENT_TYPE, "text/x-diff; charset=utf-8");
        res.header(ConfigHttpService.DIFF_MINIMAL, Boolean.toString(diff.minimal()));
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        Compression.send(req, res, diff.text().getBytes(StandardCharsets.UTF_8));
    }
}
