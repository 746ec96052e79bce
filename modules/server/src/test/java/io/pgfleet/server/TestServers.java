package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;

import java.nio.file.Path;

/** Servers for integration tests: in-process, on loopback, any free port, on a test database. */
final class TestServers {

    private TestServers() {
    }

    static ServerSettings settings(TestDatabase db) {
        return ServerSettings.forDatabase(db.url(), db.user(), db.password(), Path.of("target", "it-data"));
    }

    static PgfleetServer start(TestDatabase db) {
        return PgfleetServer.start(settings(db));
    }
}
