package io.pgfleet.server;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.PostgresStorage;
import io.pgfleet.application.port.in.PurgeExpiredDataUseCase;
import io.pgfleet.application.service.RetentionSettings;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * A migrated database of its own for a test class and the PostgreSQL adapter opened on it (closed
 * after the class), for tests of storage behaviour without an HTTP server:
 * {@code @RegisterExtension static final OpenStorage DB = new OpenStorage();}.
 */
final class OpenStorage implements BeforeAllCallback, AfterAllCallback {

    private TestDatabase database;
    private PostgresStorage storage;

    @Override
    public void beforeAll(ExtensionContext context) {
        database = TestPostgres.newDatabase();
        storage = PostgresStorage.open(new DatabaseSettings(database.url(), database.user(), database.password(), 4));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        storage.close();
    }

    TestDatabase database() {
        return database;
    }

    PostgresStorage storage() {
        return storage;
    }

    /** The application's purge on this storage, with the test's retention policy and clock. */
    PurgeExpiredDataUseCase purge(RetentionSettings policy, Clock clock) {
        return PgfleetServer.useCases(storage, TestServers.settings(database).withRetention(policy), clock)
                .operations().purge();
    }

    /** Runs statements on a database, in order. */
    static void execute(TestDatabase db, String... sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    /** The first column of a query's rows, as text. */
    static List<String> column(TestDatabase db, String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }
}
