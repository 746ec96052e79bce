package io.pgfleet.adapter.in.http;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LocationsTest {

    private static final String MOUNTED = "https://ops.example/pgfleet";

    /** Resolves the reference as a client does, against the URL it asked behind a path prefix. */
    private static URI resolvedBehindAPrefix(String requestPath, String target) {
        return URI.create(MOUNTED + requestPath).resolve(Locations.reference(requestPath, target));
    }

    @Test
    void aPublishedVersionIsReferencedFromThePutsOwnPathAndResolvesUnderAPathPrefix() {
        assertEquals("./db-7/versions/3", Locations.reference("/api/v1/config/db-7", "/api/v1/config/db-7/versions/3"));
        assertEquals(URI.create(MOUNTED + "/api/v1/config/db-7/versions/3"),
                resolvedBehindAPrefix("/api/v1/config/db-7", "/api/v1/config/db-7/versions/3"));
    }

    @Test
    void everyCreatingRouteResolvesToItsResourceUnderAPathPrefix() {
        String[][] cases = {
            {"/api/v1/config/db-7/rollback", "/api/v1/config/db-7/versions/4"},
            {"/api/v1/collectors", "/api/v1/collectors/db-7"},
            {"/api/v1/collectors/register", "/api/v1/collectors/db-7"},
            {"/api/v1/groups", "/api/v1/groups/prod-eu"},
            {"/api/v1/groups/prod-eu/config", "/api/v1/groups/prod-eu/config/versions/2"},
            {"/api/v1/groups/prod-eu/config/rollback", "/api/v1/groups/prod-eu/config/versions/3"},
            {"/api/v1/fleet/config", "/api/v1/fleet/config/versions/9"},
            {"/api/v1/rollouts", "/api/v1/rollouts/12"},
            {"/api/v1/users", "/api/v1/users/alice"},
        };
        for (String[] c : cases) {
            assertEquals(URI.create(MOUNTED + c[1]), resolvedBehindAPrefix(c[0], c[1]), c[0]);
            assertEquals(URI.create("http://h:1" + c[1]), URI.create("http://h:1" + c[0]).resolve(Locations.reference(c[0], c[1])),
                    c[0] + " without a prefix");
        }
    }

    /** A route also served with a trailing slash: its last segment is empty, the reference climbs out of it. */
    @Test
    void aRequestWithATrailingSlashResolvesToTheSameResource() {
        assertEquals("../versions/4", Locations.reference("/api/v1/config/db-7/rollback/", "/api/v1/config/db-7/versions/4"));
        assertEquals(URI.create(MOUNTED + "/api/v1/groups/prod-eu"), resolvedBehindAPrefix("/api/v1/groups/", "/api/v1/groups/prod-eu"));
    }

    @Test
    void aFirstSegmentWithAColonIsNotReadAsAScheme() {
        String reference = Locations.reference("/api/v1/users", "/api/v1/users/a:b");
        assertEquals("./users/a:b", reference);
        assertEquals(URI.create(MOUNTED + "/api/v1/users/a:b"), resolvedBehindAPrefix("/api/v1/users", "/api/v1/users/a:b"));
    }

    @Test
    void pathsThatAreNotAbsoluteAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Locations.reference("api/v1/users", "/api/v1/users/a"));
        assertThrows(IllegalArgumentException.class, () -> Locations.reference("/api/v1/users", "users/a"));
    }
}
