package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The {@code Location} of a resource an answer created ({@code 201}).
 *
 * <p>Clients resolve {@code Location} against the URL they asked (RFC 9110 §10.2.2, RFC 3986 §5).
 * An absolute path resolved so drops the path prefix of a reverse proxy that mounts the server
 * under one ({@code https://ops.example/pgfleet/api/v1/config/db-7} led to
 * {@code https://ops.example/api/v1/config/db-7/versions/3}, outside the proxy). So the header
 * carries a path-relative reference from the request's own path to the new resource's
 * ({@code ./db-7/versions/3} for a {@code PUT} of {@code /api/v1/config/db-7},
 * {@code ../versions/4} for a rollback posted to {@code /api/v1/config/db-7/rollback/}), which
 * resolves to the new resource wherever the server is mounted, as the paged lists' {@code Link}
 * does ({@link NextPages}). The body keeps the API paths it always had.
 */
final class Locations {

    private Locations() {
    }

    /**
     * Sets {@code Location} to the resource at {@code apiPath}, relative to the request's URL.
     *
     * @param req     the request that created the resource
     * @param res     the answer
     * @param apiPath the resource's API path, percent-encoded ({@code /api/v1/…})
     */
    static void created(ServerRequest req, ServerResponse res, String apiPath) {
        res.header(HeaderNames.LOCATION, reference(req.path().absolute().rawPath(), apiPath));
    }

    /**
     * The reference from a request's path to another absolute path of the same server.
     *
     * @param requestPath the request's path, as sent (percent-encoded, absolute)
     * @param target      the target's absolute path
     * @return a path-relative reference: {@code ./…} or {@code ../…}
     */
    static String reference(String requestPath, String target) {
        if (!requestPath.startsWith("/") || !target.startsWith("/")) {
            throw new IllegalArgumentException("absolute paths expected: " + requestPath + ", " + target);
        }
        // The request's "directory": everything up to its last slash (RFC 3986 §5.2.3 merges there).
        String base = requestPath.substring(0, requestPath.lastIndexOf('/') + 1);
        int common = 0;
        for (int i = 0; i < Math.min(base.length(), target.length()); i++) {
            if (base.charAt(i) != target.charAt(i)) {
                break;
            }
            if (base.charAt(i) == '/') {
                common = i + 1;
            }
        }
        StringBuilder ref = new StringBuilder();
        for (int i = common; i < base.length(); i++) {
            if (base.charAt(i) == '/') {
                ref.append("../");
            }
        }
        // "./" keeps a first segment with a colon from reading as a scheme (RFC 3986 §4.2).
        return (ref.isEmpty() ? "./" : ref.toString()) + target.substring(common);
    }
}
