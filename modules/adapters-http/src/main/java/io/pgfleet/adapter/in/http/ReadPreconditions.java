package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.pgfleet.domain.config.EntityTag;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * The preconditions of a read of a versioned document ({@code GET} of a configuration, a layer, or
 * one of their versions) that come before its {@code If-None-Match}, in RFC 9110 §13.2.2's order:
 * {@code If-Match} first (strong comparison with the version read), and only without it
 * {@code If-Unmodified-Since} (the version's time, at the second of {@code Last-Modified}); either
 * failing is {@code 412}, whatever {@code If-None-Match} says. Before, a read evaluated
 * {@code If-None-Match} alone, so a stale {@code If-Match} next to a current {@code If-None-Match}
 * was a {@code 304}. {@code If-Modified-Since} is not evaluated ({@code If-None-Match} is the
 * validator these reads offer).
 */
final class ReadPreconditions {

    private ReadPreconditions() {
    }

    /**
     * The {@code 412} due to a read, if any.
     *
     * @param req          the request
     * @param tag          the entity tag of the version read
     * @param lastModified when that version was published
     * @param what         the document read, for the detail (e.g. {@code collector 'db-1' version 3})
     * @return the problem to answer, empty when the read goes on to {@code If-None-Match}
     * @throws ApiException 400 when {@code If-Match} is not a list of entity tags or
     *                      {@code If-Unmodified-Since} not one HTTP date
     */
    static Optional<Problem> failed(ServerRequest req, EntityTag tag, Instant lastModified, String what) {
        Optional<String> ifMatch = EntityTags.header(req, HeaderNames.IF_MATCH);
        if (ifMatch.isPresent()) {
            return EntityTags.ifMatch(ifMatch.get()).isMetByTag(Optional.of(tag)) ? Optional.empty()
                    : Optional.of(failure(what + " has the ETag " + tag.quoted() + ", which the request's If-Match does not name"));
        }
        List<String> lines = req.headers().all(HeaderNames.IF_UNMODIFIED_SINCE, List::of);
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        Instant since;
        try {
            if (lines.size() > 1) {
                throw new IllegalArgumentException("more than one line");
            }
            since = req.headers().ifUnmodifiedSince().orElseThrow().toInstant();
        } catch (RuntimeException e) {
            throw new ApiException(Problem.badRequest("the header If-Unmodified-Since is not one HTTP date (such as Thu, 01"
                    + " Jan 2026 00:00:00 GMT); send one, or leave it out"));
        }
        return lastModified.truncatedTo(ChronoUnit.SECONDS).isAfter(since)
                ? Optional.of(failure(what + " was published at " + HttpDates.header(lastModified)
                        + ", after the request's If-Unmodified-Since"))
                : Optional.empty();
    }

    private static Problem failure(String detail) {
        return new Problem(Status.PRECONDITION_FAILED_412, ProblemType.PRECONDITION_FAILED, "Precondition failed",
                detail + "; its current ETag and Last-Modified come with a GET without the condition");
    }
}
