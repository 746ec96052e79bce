package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one integration fixture: a server in-process on loopback (any free port) on a fresh,
 * migrated database of its own, started before the test class and stopped after it.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RunningServer SERVER = new RunningServer();
 * }</pre>
 *
 * A class's own {@code @BeforeAll} runs after the server is up, so it can build on it.
 */
final class RunningServer implements BeforeAllCallback, AfterAllCallback {

    private final UnaryOperator<ServerSettings> customise;
    private TestDatabase database;
    private ServerSettings settings;
    private PgfleetServer server;
    private ApiClient admin;

    /** The test settings as they are. */
    RunningServer() {
        this(UnaryOperator.identity());
    }

    /**
     * Test settings changed before the start (limits, token lifetimes, TLS …).
     *
     * @param customise what to change
     */
    RunningServer(UnaryOperator<ServerSettings> customise) {
        this.customise = customise;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        database = TestPostgres.newDatabase();
        settings = customise.apply(TestServers.settings(database));
        server = PgfleetServer.start(settings);
    }

    /**
     * Stops the server; its port stays free for {@link #startAgain()}. Clients meanwhile find nothing
     * listening there (connection refused), as behind a load balancer that restarts.
     */
    void stop() {
        int port = server.port();
        server.close();
        settings = settings.withPort(port);
    }

    /** Starts the server again, on the port and database it had, after {@link #stop()}. */
    void startAgain() {
        server = PgfleetServer.start(settings);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null) {
            server.close();
        }
    }

    /** @return the running server */
    PgfleetServer server() {
        return server;
    }

    /** @return the port it listens on */
    int port() {
        return server.port();
    }

    /** @return its database, for tests that check what was (not) stored */
    TestDatabase database() {
        return database;
    }

    /** @return a client logged in as the first administrator (the same one for the whole class) */
    synchronized ApiClient admin() {
        if (admin == null) {
            admin = ApiClient.asAdmin(server.port());
        }
        return admin;
    }

    /** @return a new client without a token */
    ApiClient anonymous() {
        return new ApiClient(server.port());
    }

    /**
     * A user the administrator creates, logged in.
     *
     * @param name its name
     * @param role its role ({@code viewer}, {@code operator}, {@code admin})
     * @return its client
     */
    ApiClient newUser(String name, String role) {
        HttpResponse<String> created = admin().postJson("/api/v1/users", "{\"username\":\"" + name
                + "\",\"password\":\"a-long-password\",\"role\":\"" + role + "\"}");
        assertEquals(201, created.statusCode(), created.body());
        ApiClient user = anonymous();
        assertEquals(200, user.login(name, "a-long-password").statusCode());
        return user;
    }

    /**
     * When a collector was decommissioned, as the API writes an instant.
     *
     * @param id the collector
     * @return the instant's text
     * @throws SQLException when the database cannot be read
     */
    String decommissionedAt(String id) throws SQLException {
        try (Connection c = database.connect(); Statement s = c.createStatement();
             java.sql.ResultSet r = s.executeQuery("SELECT decommissioned_at FROM collectors WHERE id = '" + id + "'")) {
            assertTrue(r.next());
            return r.getObject(1, java.time.OffsetDateTime.class).toInstant()
                    .truncatedTo(java.time.temporal.ChronoUnit.MICROS).toString();
        }
    }
}
