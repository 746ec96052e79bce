package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;

import java.nio.file.Path;

/** Servers for integration tests: in-process, on loopback, any free port, on a test database. */
final class TestServers {

    private TestServers() {
    }

    /**
     * Test settings, without the warm-up at start: the suite starts dozens of servers in one JVM, whose
     * code is compiled after the first tests anyway (WarmUpIT turns it on where it is the subject).
     */
    static ServerSettings settings(TestDatabase db) {
        return ServerSettings.forDatabase(db.url(), db.user(), db.password(), Path.of("target", "it-data"))
                .withWarmupRounds(0);
    }

    /**
     * Test settings on a port chosen now and kept: for tests that give an agent the server's address
     * before the server starts, or start it again on the same address.
     *
     * @param db      the database
     * @param dataDir the server's data directory
     * @return the settings
     * @throws java.io.IOException when no port can be found
     */
    static ServerSettings onFreePort(TestDatabase db, Path dataDir) throws java.io.IOException {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        return ServerSettings.forDatabase(db.url(), db.user(), db.password(), dataDir).withPort(port)
                .withWarmupRounds(0);
    }

    static PgfleetServer start(TestDatabase db) {
        return PgfleetServer.start(settings(db));
    }
}
