package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.List;

/**
 * Refuses a request that sends a header the API reads as one value on more than one field line.
 *
 * <p>Helidon hands a route the first of several lines: with {@code Authorization} twice the first
 * token counted, with {@code Content-Type: text/plain} then {@code application/json} the body was
 * read as TOML, with {@code X-Change-Message} twice the first message went into the history and the
 * audit trail. A proxy, a log or a filter in front that reads the last line sees another request
 * than the one this server carried out. Which one counts is not the server's to guess, as for a
 * query parameter given twice ({@link QueryParams}): {@code 400} naming the header, nothing
 * carried out. Headers that are lists by definition ({@code If-Match}, {@code If-None-Match},
 * {@code Accept-Encoding}, {@code Connection}, {@code X-Forwarded-For}) are read whole and are not
 * concerned; framing headers are {@link RequestFraming}'s.
 */
final class SingleValuedHeaders implements Filter {

    /** The headers a route reads one value of. */
    static final List<HeaderName> SINGLE = List.of(HeaderNames.AUTHORIZATION, HeaderNames.CONTENT_TYPE,
            ConfigHttpService.CHANGE_MESSAGE, CollectorsHttpService.REGISTRATION_SECRET,
            CollectorsHttpService.ENROLMENT_TOKEN, CollectorsHttpService.COLLECTOR_ID, CollectorsHttpService.IDEMPOTENCY_KEY);

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        for (HeaderName name : SINGLE) {
            if (req.headers().contains(name)) {
                int lines = req.headers().get(name).allValues().size();
                if (lines > 1) {
                    Problem.badRequest("the header " + name.defaultCase() + " is sent on " + lines
                            + " field lines; send it once: which one counts would depend on who reads the request")
                            .send(res);
                    return;
                }
            }
        }
        chain.proceed();
    }
}
