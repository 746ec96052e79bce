package io.pgfleet.adapter.in.http;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NextPagesTest {

    @Test
    void theReferenceIsTheLastSegmentAndTheQueryAndResolvesUnderAPathPrefix() {
        String next = "/api/v1/config/web-1/versions?limit=50&before=7";
        assertEquals("./versions?limit=50&before=7", NextPages.reference(next));
        URI mounted = URI.create("https://ops.example/pgfleet/api/v1/config/web-1/versions?limit=50");
        assertEquals(URI.create("https://ops.example/pgfleet" + next), mounted.resolve(NextPages.reference(next)));
    }

    @Test
    void aSegmentWithAColonIsNotReadAsAScheme() {
        String reference = NextPages.reference("/api/v1/a:b?limit=1");
        assertEquals("./a:b?limit=1", reference);
        assertEquals(URI.create("http://h/p/api/v1/a:b?limit=1"), URI.create("http://h/p/api/v1/a:b").resolve(reference));
    }

    @Test
    void aNextPageWithoutAQueryOrSegmentIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> NextPages.reference("/api/v1/collectors"));
        assertThrows(IllegalArgumentException.class, () -> NextPages.reference("/api/v1/?limit=1"));
    }
}
