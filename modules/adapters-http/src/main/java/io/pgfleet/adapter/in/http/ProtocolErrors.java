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
    /** Helidon's message for a chunked body whose end is malformed (a bad trailer field included). */
    private static final String TERMINATING_CHUNK = "Invalid terminating chunk";
    /** Helidon's message for a Content-Encoding no decoder is known for. */
    private static final String UNSUPPORTED_CODING = "Unsupported content encoding";
    /** Helidon's message for a Content-Encoding when it knows no decoder at all. */
    private static final String NO_CODINGS = "Content-Encoding header present when content encoding is disabled";

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
        if (message != null && message.indexOf('\n') >= 0) {
            // Helidon appends a hex dump of the bytes it read on lines of their own: the first line says what is wrong.
            message = message.substring(0, message.indexOf('\n')).strip();
        }
        if (message != null && message.startsWith(TERMINATING_CHUNK)) {
            message = "the chunked body is malformed: it must end with a zero-size chunk, then optional trailer fields, "
                    + "then an empty line";
        }
        String detail = message == null || message.isBlank() || !clientError
                ? (clientError ? "the request is not valid HTTP" : "the request failed unexpectedly; the server log has the details")
                : message.length() > MAX_DETAIL ? message.substring(0, MAX_DETAIL) + "…" : message;
        Problem problem = new Problem(status, clientError ? ProblemType.BAD_REQUEST : ProblemType.INTERNAL_ERROR,
                clientError ? "The request is malformed" : "Internal error", detail);
        boolean keepAlive = eventType.keepAlive();
        if (clientError && message != null && (message.startsWith(UNSUPPORTED_CODING) || message.startsWith(NO_CODINGS))) {
            // Helidon says 400; the request is well formed, its body in a coding this server cannot
            // read: 415 with the codings it can (RFC 9110 §15.5.16). The body is left unread, so the
            // connection cannot be read on.
            status = Status.UNSUPPORTED_MEDIA_TYPE_415;
            problem = new Problem(status, ProblemType.UNSUPPORTED_CONTENT_ENCODING, "Unsupported content encoding",
                    "the body's Content-Encoding is not supported; send it uncompressed (no Content-Encoding, or identity)");
            headers.set(HeaderNames.ACCEPT_ENCODING, "identity");
            keepAlive = false;
        }
        if (status.code() == Status.REQUEST_ENTITY_TOO_LARGE_413.code()) {
            // A body over the listener's limit (far over the API's): the same problem as a body just
            // over 256 KiB, which says what the limit is.
            problem = Bodies.tooLarge();
        }
        byte[] body = Json.createObjectBuilder()
                .add("type", problem.type().uri())
                .add("title", problem.title())
                .add("status", status.code())
                .add("detail", problem.detail())
                .build().toString().getBytes(StandardCharsets.UTF_8);
        headers.set(HeaderNames.CONTENT_TYPE, Problem.MEDIA_TYPE);
        headers.set(HeaderNames.CACHE_CONTROL, "no-store");
        return TransportResponse.builder()
                .status(status)
                .headers(headers)
                .keepAlive(keepAlive)
                .entity(body)
                .build();
    }
}
