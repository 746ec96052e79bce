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

    static PgfleetServer start(TestDatabase db) {
        return PgfleetServer.start(settings(db));
    }
}
