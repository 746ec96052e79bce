package io.pgfleet.adapter.in.http;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import jakarta.json.Json;

import java.nio.charset.StandardCharsets;

/**
 * Requests Helidon refuses before any route sees them (an unencoded character in the query, a
 * malformed path or header, a URI or header block too large): answered as problems like every
 * other refusal, instead of Helidon's plain text.
 */
final class ProtocolErrors implements DirectHandler {

    /** Helidon's messages quote the request; a detail quotes at most this much of it. */
    private static final int MAX_DETAIL = 300;

    static DirectHandlers handlers() {
        ProtocolErrors handler = new ProtocolErrors();
        DirectHandlers.Builder b = DirectHandlers.builder();
        for (EventType type : EventType.values()) {
            b.addHandler(type, handler);
        }
        return b.build();
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status status,
                                    ServerResponseHeaders headers, String message) {
        boolean clientError = status.code() >= 400 && status.code() < 500;
        String detail = message == null || message.isBlank() || !clientError
                ? (clientError ? "the request is not valid HTTP" : "the request failed unexpectedly; the server log has the details")
                : message.length() > MAX_DETAIL ? message.substring(0, MAX_DETAIL) + "…" : message;
        Problem problem = new Problem(status, clientError ? "bad-request" : "internal-error",
                clientError ? "The request is malformed" : "Internal error", detail);
        if (status.code() == Status.REQUEST_ENTITY_TOO_LARGE_413.code()) {
            // A body over the listener's limit (far over the API's): the same problem as a body just
            // over 256 KiB, which says what the limit is.
            problem = Bodies.tooLarge();
        }
        byte[] body = Json.createObjectBuilder()
                .add("type", Problem.TYPE_BASE + problem.slug())
                .add("title", problem.title())
                .add("status", status.code())
                .add("detail", problem.detail())
                .build().toString().getBytes(StandardCharsets.UTF_8);
        headers.set(HeaderNames.CONTENT_TYPE, Problem.MEDIA_TYPE);
        headers.set(HeaderNames.CACHE_CONTROL, "no-store");
        return TransportResponse.builder()
                .status(status)
                .headers(headers)
                .keepAlive(eventType.keepAlive())
                .entity(body)
                .build();
    }
}
