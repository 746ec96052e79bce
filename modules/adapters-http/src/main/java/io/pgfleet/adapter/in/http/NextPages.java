package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The link from a page of a paged list to the following page.
 *
 * <p>The body's {@code next} is the API path of that page ({@code /api/v1/collectors?limit=…}),
 * which clients join with the base URL they use for every other path of the API (the CLI with its
 * server URL, which may carry a path prefix; the console with the API's base it derives from its
 * page's URL): it stays as it was. The {@code Link} header is read by generic
 * clients, which resolve it against the URL they asked (RFC 8288 §3.2, RFC 3986 §5): an absolute
 * path resolved so drops the path prefix of a reverse proxy that mounts the server under one
 * ({@code https://ops.example/pgfleet/api/v1/…} led to {@code https://ops.example/api/v1/…}). The
 * following page is always the same resource with another query, so the header carries a
 * path-relative reference to it: the last segment of the request's own path and the page's query
 * ({@code <./collectors?limit=…&after=…>}), which resolves to the request's own path wherever the
 * server is mounted. The request's segment, not the body's: a list also served with a trailing
 * slash ({@code /api/v1/rollouts/}) has an empty last segment, and {@code ./rollouts?…} would
 * resolve below it ({@code /api/v1/rollouts/rollouts?…}, another resource). A query-only reference
 * ({@code <?limit=…>}) would do under RFC 3986, but Java's {@code URI.resolve} still follows RFC 2396
 * there and drops the last segment; {@code ./segment?query} resolves alike under both.
 */
final class NextPages {

    private NextPages() {
    }

    /**
     * Sets the {@code Link: <./segment?query>; rel="next"} header for the following page.
     *
     * @param req  the request, whose path the following page shares
     * @param res  the answer
     * @param next the following page's API path with its query, as the body's {@code next} gives it
     */
    static void link(ServerRequest req, ServerResponse res, String next) {
        res.header(HeaderNames.LINK, "<" + reference(req.path().absolute().rawPath(), next) + ">; rel=\"next\"");
    }

    /**
     * The reference to a page of the same resource, relative to the request's URL.
     *
     * @param requestPath the request's path, as sent (percent-encoded)
     * @param next        the page's API path with its query
     * @return {@code ./}, the request path's last segment (empty after a trailing slash) and the page's query
     */
    static String reference(String requestPath, String next) {
        int query = next.indexOf('?');
        int segment = next.lastIndexOf('/', query < 0 ? next.length() : query);
        if (query < 0 || segment < 0 || segment == query - 1) {
            throw new IllegalArgumentException("a next page is an API path with a query: " + next);
        }
        // The request's own path relative to itself: "./" and its last segment (empty after a slash).
        return Locations.reference(requestPath, requestPath) + next.substring(query);
    }
}
