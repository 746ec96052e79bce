package io.pgfleet.adapter.in.http;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NextPagesTest {

    @Test
    void theReferenceIsTheLastSegmentAndTheQueryAndResolvesUnderAPathPrefix() {
        String next = "/api/v1/config/web-1/versions?limit=50&before=7";
        assertEquals("./versions?limit=50&before=7", NextPages.reference("/api/v1/config/web-1/versions", next));
        URI mounted = URI.create("https://ops.example/pgfleet/api/v1/config/web-1/versions?limit=50");
        assertEquals(URI.create("https://ops.example/pgfleet" + next),
                mounted.resolve(NextPages.reference("/api/v1/config/web-1/versions", next)));
    }

    @Test
    void aSegmentWithAColonIsNotReadAsAScheme() {
        String reference = NextPages.reference("/api/v1/a:b", "/api/v1/a:b?limit=1");
        assertEquals("./a:b?limit=1", reference);
        assertEquals(URI.create("http://h/p/api/v1/a:b?limit=1"), URI.create("http://h/p/api/v1/a:b").resolve(reference));
    }

    @Test
    void aNextPageWithoutAQueryOrSegmentIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> NextPages.reference("/api/v1/collectors", "/api/v1/collectors"));
        assertThrows(IllegalArgumentException.class, () -> NextPages.reference("/api/v1/", "/api/v1/?limit=1"));
    }

    /**
     * A list the server also serves with a trailing slash ({@code /api/v1/rollouts/}) links its next
     * page under that same path: the body's last segment would resolve below it, to another resource.
     */
    @Test
    void aListAskedWithATrailingSlashLinksItsNextPageUnderItsOwnPath() {
        String next = "/api/v1/rollouts?limit=1&before=9";
        String reference = NextPages.reference("/pgfleet/api/v1/rollouts/", next);
        assertEquals(URI.create("https://ops.example/pgfleet/api/v1/rollouts/?limit=1&before=9"),
                URI.create("https://ops.example/pgfleet/api/v1/rollouts/?limit=1").resolve(reference));
    }
}
