package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.ServerRequestHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.List;
import java.util.Locale;

/**
 * Refuses, before any route reads a body, a request whose body framing is ambiguous or in a
 * transfer coding other than {@code chunked}.
 *
 * <p>Helidon takes a body as chunked when {@code Transfer-Encoding} is exactly {@code chunked},
 * whatever {@code Content-Length} says, and as empty for any other transfer coding (also for
 * {@code Chunked}, though coding names are case-insensitive, or {@code chunked,}): the rest of
 * the body would then be read as the next request. A proxy in front that frames the same bytes by
 * {@code Content-Length} (or the other way round) would see other requests than this server does:
 * request smuggling. RFC 9112 §6.1 says a request with both headers "ought to be handled as an
 * error" and the connection closed; §6.1 also has a server answer {@code 501} to a transfer coding
 * it does not understand. Either way the end of the body is not known, so the connection is closed
 * after the answer, never read on.
 *
 * <p>{@code Content-Length} is the other half. Helidon frames a body by the first of several
 * {@code Content-Length} field lines and reads whatever follows as the next request, and it takes
 * {@code +5} for five; a proxy that frames by the last line, or refuses the sign, would forward
 * other requests than this server serves. RFC 9112 §6.3 makes a {@code Content-Length} that is not
 * one decimal number an unrecoverable error: {@code 400}, then the connection closed. A value sent
 * twice is refused even when both lines agree (§8.6 allows either): a client has no reason to.
 */
final class RequestFraming implements Filter {

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        ServerRequestHeaders headers = req.headers();
        if (headers.contains(HeaderNames.CONTENT_LENGTH)) {
            List<String> lengths = headers.get(HeaderNames.CONTENT_LENGTH).allValues();
            if (lengths.size() != 1) {
                refuse(res, Problem.badRequest("the request has " + lengths.size() + " Content-Length field lines; send one"));
                return;
            }
            if (!digits(lengths.getFirst().strip())) {
                refuse(res, Problem.badRequest("Content-Length must be a number in plain digits, got '"
                        + shown(lengths.getFirst().strip()) + "'"));
                return;
            }
        }
        if (headers.contains(HeaderNames.TRANSFER_ENCODING)) {
            if (headers.contains(HeaderNames.CONTENT_LENGTH)) {
                refuse(res, Problem.badRequest("the request has both Transfer-Encoding and Content-Length; send one of them"));
                return;
            }
            // Exactly the one value Helidon decodes: coding names are case-insensitive (RFC 9112 §7),
            // but Helidon takes "Chunked" or "chunked," for no body at all and serves the chunks as
            // the next request, where a proxy in front decodes them as this request's body.
            List<String> lines = headers.get(HeaderNames.TRANSFER_ENCODING).allValues();
            if (!lines.equals(List.of("chunked"))
                    || !headers.contains(HeaderValues.TRANSFER_ENCODING_CHUNKED)) {
                String codings = String.join(", ", lines);
                String lowerCase = codings.strip().toLowerCase(Locale.ROOT).equals("chunked")
                        ? " (written chunked, in lower case: the only spelling this server decodes)" : " alone";
                refuse(res, new Problem(Status.NOT_IMPLEMENTED_501, ProblemType.UNSUPPORTED_TRANSFER_ENCODING,
                        "Transfer coding not implemented", "Transfer-Encoding \"" + shown(codings) + "\""
                        + " is not implemented; send the body with Content-Length or Transfer-Encoding: chunked" + lowerCase));
                return;
            }
        }
        chain.proceed();
    }

    /** RFC 9110 §8.6: {@code Content-Length = 1*DIGIT}, no sign, no spaces within. */
    private static boolean digits(String value) {
        return !value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** A header value quoted back, at most this long (headers may be kilobytes). */
    private static final int MAX_SHOWN = 100;

    private static String shown(String value) {
        return value.length() > MAX_SHOWN ? value.substring(0, MAX_SHOWN) + "…" : value;
    }

    private static void refuse(RoutingResponse res, Problem problem) {
        // The body's end is unknown: whatever follows on this connection is no request of its own.
        // The header alone tells the client; Helidon keeps reading a connection after a request it
        // took as bodiless, so the exception (which its error handling passes through) closes it.
        res.header(HeaderNames.CONNECTION, "close");
        problem.send(res);
        throw new CloseConnectionException("request body framing refused: " + problem.detail());
    }
}
