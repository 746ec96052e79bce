package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.domain.common.ShownText;
import jakarta.json.JsonObjectBuilder;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * An RFC 9457 problem detail: what went wrong, in words an operator can act on. Its title and
 * detail often quote the request (an id, a query value, a header): every character in them that a
 * terminal or an editor would act on rather than show (see {@link ShownText}) is written as
 * <code>&#92;uXXXX</code>, so that a problem printed by a client shows what was sent.
 *
 * @param status HTTP status
 * @param type   the problem type, one of those the API description lists
 * @param title  short summary of the problem type
 * @param detail what happened in this request
 * @param extra  additional members
 */
record Problem(Status status, ProblemType type, String title, String detail, Map<String, Object> extra) {

    static final String TYPE_BASE = "https://pgfleet.io/problems/";
    static final String MEDIA_TYPE = "application/problem+json";

    /**
     * The most characters of a detail. Details quote requests; a quoted value is cut where the
     * detail is written ({@link ShownText#quoted}), and this bounds whatever was not, so that no
     * answer repeats a request's field whole up to the body limit.
     */
    static final int MAX_DETAIL = 2000;

    /** Escapes the title and the detail, and cuts a detail longer than {@link #MAX_DETAIL}. */
    Problem {
        title = ShownText.escaped(title);
        detail = ShownText.cut(ShownText.escaped(detail), MAX_DETAIL, " characters in all; the rest is not shown)");
    }

    Problem(Status status, ProblemType type, String title, String detail) {
        this(status, type, title, detail, Map.of());
    }

    void send(ServerResponse res) {
        JsonObjectBuilder b = Jsons.JSON.createObjectBuilder()
                .add("type", type.uri())
                .add("title", title)
                .add("status", status.code())
                .add("detail", detail);
        extra.forEach((k, v) -> b.add(k, Jsons.value(v)));
        // So an operator can find this call in the logs of whichever instance answered it.
        RequestLog.current().ifPresent(id -> b.add("request_id", id));
        HttpMetrics.problemSent(type.slug());
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, MEDIA_TYPE);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(b.build().toString().getBytes(StandardCharsets.UTF_8));
    }

    static Problem badRequest(String detail) {
        return new Problem(Status.BAD_REQUEST_400, ProblemType.BAD_REQUEST, "The request is malformed", detail);
    }

    static Problem notFound(ProblemType type, String detail) {
        return new Problem(Status.NOT_FOUND_404, type, "Not found", detail);
    }
}
