package io.pgfleet.adapter.in.http;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Request bodies, read with a hard size limit whatever the client claims. */
final class Bodies {

    /** The largest request body the API accepts: 256 KiB. */
    static final int MAX_BYTES = 256 * 1024;

    /**
     * The largest body of a rollout's start, 1 MiB. Its document may be as large as any
     * configuration ({@link #MAX_BYTES}, as a plain {@code PUT} of the layer takes it), and JSON
     * writes it larger: two bytes for each line feed, quote and backslash, six for a character a
     * client escapes by its code (a backslash, u and four hex digits: three times a Cyrillic
     * letter's two bytes), besides the waves and the message. Under the API's bound a layer
     * version could be published but not rolled out. The document itself is then held to
     * {@link #MAX_BYTES}.
     */
    static final int MAX_ROLLOUT_BYTES = 1024 * 1024;

    private Bodies() {
    }

    static String readText(ServerRequest req) {
        return readText(req, MAX_BYTES);
    }

    /**
     * Reads a body of at most {@code limit} bytes as UTF-8 text.
     *
     * @param req   the request
     * @param limit the largest body this route takes
     * @return the text
     * @throws ApiException 413 when larger, 400 when it is not UTF-8 or holds a NUL
     */
    static String readText(ServerRequest req, int limit) {
        long declared = req.headers().contentLength().orElse(0);
        if (declared > limit) {
            throw ApiException.bodyTooLarge(limit, null);
        }
        if (declared < 0) {
            // Helidon would wait for a body it can never measure; the connection cannot be reused.
            throw ApiException.closingConnection(malformedLength("Content-Length must not be negative, got " + declared));
        }
        if (!req.content().hasEntity()) {
            return "";
        }
        // Never closed: Helidon's close reads one more chunk, also after a chunk-size line that
        // failed to decode, and would wait for the client until the idle timeout (UnreadBodies).
        // Read to its end (fewer bytes than asked), the stream has nothing left to close.
        InputStream in = req.content().inputStream();
        byte[] bytes;
        try {
            bytes = in.readNBytes(limit + 1);
        } catch (DataReader.InsufficientDataAvailableException e) {
            // The client closed its side before sending all it announced: its fault, not the server's.
            throw ApiException.closingConnection(malformedLength("the body ended before its Content-Length (" + declared + " bytes)"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            if (!req.headers().contains(HeaderNames.TRANSFER_ENCODING)) {
                throw e;
            }
            // Helidon's chunk decoder fails with whatever it tripped over (a NumberFormatException
            // quoting the raw size line, a dump of the bytes): the client gets what is wrong, not that.
            // Where the body ends is unknown now, so nothing after it on this connection is a request.
            throw ApiException.closingConnection(Problem.badRequest("the chunked body is malformed: each chunk must start with its "
                    + "size in hexadecimal digits alone (chunk extensions are not supported) and the body end with a "
                    + "zero-size chunk"));
        }
        if (bytes.length > limit) {
            throw ApiException.bodyTooLarge(limit, in);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ApiException(Problem.badRequest("the body is not valid UTF-8"));
        }
        int nul = text.indexOf('\u0000');
        if (nul >= 0) {
            // Neither TOML nor JSON allows it, and PostgreSQL text cannot store it.
            long line = text.substring(0, nul).chars().filter(c -> c == '\n').count() + 1;
            throw new ApiException(Problem.badRequest("the body contains a NUL character (line " + line + ")"));
        }
        return text;
    }

    /**
     * The body's media type as the {@code Content-Type} header names it, without parameters, in
     * lower case. Helidon parses the header when asked and throws on a malformed parameter (an
     * unterminated quote, a parameter without a name): that is the client's error, answered here
     * with a {@code 400} naming the header, not an internal error logged with a stack trace. Only
     * this parse is caught, so a genuine failure elsewhere still shows as one.
     *
     * @param req the request
     * @return the media type, or empty when the request names none
     * @throws ApiException 400 when the header cannot be parsed
     */
    static java.util.Optional<String> mediaType(ServerRequest req) {
        java.util.Optional<io.helidon.http.HttpMediaType> type;
        try {
            type = req.headers().contentType();
        } catch (RuntimeException e) {
            throw new ApiException(Problem.badRequest("the Content-Type header is malformed: "
                    + req.headers().first(io.helidon.http.HeaderNames.CONTENT_TYPE).orElse("")
                    + "; send a media type such as application/json, with parameters written name=value"));
        }
        return type.map(t -> t.mediaType().text().toLowerCase(java.util.Locale.ROOT));
    }

    private static Problem malformedLength(String detail) {
        return Problem.badRequest(detail);
    }

    static Problem tooLarge() {
        return tooLarge(MAX_BYTES);
    }

    static Problem tooLarge(int limit) {
        return new Problem(Status.REQUEST_ENTITY_TOO_LARGE_413, ProblemType.PAYLOAD_TOO_LARGE, "Request body too large",
                "request bodies are limited to " + limit + " bytes (" + limit / 1024 + " KiB)"
                        + (limit == MAX_BYTES ? "" : " here"));
    }

    static Problem unsupportedMediaType(String given, String... accepted) {
        return new Problem(Status.UNSUPPORTED_MEDIA_TYPE_415, ProblemType.UNSUPPORTED_MEDIA_TYPE, "Unsupported media type",
                "content type " + given + " is not accepted here; use " + String.join(" or ", accepted));
    }
}
