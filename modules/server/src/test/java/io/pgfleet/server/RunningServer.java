package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.function.UnaryOperator;

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
        server = PgfleetServer.start(customise.apply(TestServers.settings(database)));
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
}
