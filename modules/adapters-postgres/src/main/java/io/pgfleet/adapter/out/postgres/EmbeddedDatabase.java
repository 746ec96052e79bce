package io.pgfleet.adapter.out.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real PostgreSQL server started from binaries packaged in the jar, with its data kept in a
 * directory of its own so that a restart keeps everything.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * Starts PostgreSQL on a free loopback port with its data under {@code dataDirectory/postgres}.
     *
     * @param dataDirectory the server's data directory (created when missing)
     * @return the running database
     * @throws UncheckedIOException when PostgreSQL cannot start
     */
    public static EmbeddedDatabase start(Path dataDirectory) {
        return start(dataDirectory, 0);
    }

    /**
     * Starts PostgreSQL on a given loopback port (0 for any free one) with its data under
     * {@code dataDirectory/postgres}.
     *
     * @param dataDirectory the server's data directory (created when missing)
     * @param port          the port, 0 for any free port
     * @return the running database
     * @throws UncheckedIOException when PostgreSQL cannot start
     */
    public static EmbeddedDatabase start(Path dataDirectory, int port) {
        Path pgData = dataDirectory.resolve("postgres");
        try {
            Files.createDirectories(pgData);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(pgData)
                    .setCleanDataDirectory(false)
                    .setPGStartupWait(Duration.ofSeconds(30));
            if (port > 0) {
                builder.setPort(port);
            }
            EmbeddedPostgres pg = builder.start();
            return new EmbeddedDatabase(pg);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + pgData
                    + "; set PGFLEET_DB_URL to use an existing PostgreSQL server instead", e);
        }
    }

    /**
     * How to reach it.
     *
     * @param poolSize the connection pool size to use
     * @return the settings for the pool
     */
    public DatabaseSettings settings(int poolSize) {
        return new DatabaseSettings(postgres.getJdbcUrl("postgres", "postgres"), "postgres", "", poolSize);
    }

    /**
     * The TCP port it listens on.
     *
     * @return the port
     */
    public int port() {
        return postgres.getPort();
    }

    /** Stops PostgreSQL; the data stays. */
    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException("stopping the embedded PostgreSQL failed", e);
        }
    }
}
