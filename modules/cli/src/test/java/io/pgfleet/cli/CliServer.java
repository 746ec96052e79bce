package io.pgfleet.cli;

import io.pgfleet.server.PgfleetServer;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CLI tests' fixture: a server on its own fresh database for the test class, and a CLI
 * session logged in to it as the first administrator.
 */
final class CliServer implements BeforeAllCallback, AfterAllCallback {

    private PgfleetServer server;
    private CliProcess cli;

    @Override
    public void beforeAll(ExtensionContext context) {
        try {
            Path dir = Files.createTempDirectory("pgfleet-cli-it");
            server = CliProcess.server(TestPostgres.newDatabase(), dir.resolve("data"), CliProcess.defaultTtl());
            cli = new CliProcess(dir.resolve("home").resolve("pgfleet"), CliProcess.url(server));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        cli.login();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (server != null) {
            server.close();
        }
    }

    /** @return the server's base URL */
    String url() {
        return CliProcess.url(server);
    }

    /** @return the administrator's CLI session */
    CliProcess cli() {
        return cli;
    }
}
