package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /api/v1/openapi.json}: the API's OpenAPI 3.1 description, open to anyone so that a
 * newcomer or a client generator can read it. It is a resource file next to this class, kept
 * in step with the route table by a test that compares the two.
 */
final class OpenApiHttpService implements ApiService {

    /** Where the description lives, relative to this class. */
    static final String RESOURCE = "openapi.json";

    private final byte[] description;

    OpenApiHttpService() {
        this.description = load();
    }

    static byte[] load() {
        try (InputStream in = OpenApiHttpService.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the OpenAPI description " + RESOURCE + " is missing from the build");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void routes(ApiRoutes.Rules rules) {
        rules.get("/", RouteAccess.open("the API description is public: a client generator or a newcomer reads it without a token"),
                this::send);
    }

    private void send(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, Jsons.MEDIA_TYPE);
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        Compression.send(req, res, description);
    }
}
