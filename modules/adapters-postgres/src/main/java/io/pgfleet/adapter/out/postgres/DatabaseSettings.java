package io.pgfleet.adapter.out.postgres;

import java.util.Objects;

/**
 * Where the database is and how many connections the server may hold.
 *
 * @param url      JDBC URL ({@code jdbc:postgresql://host:port/db})
 * @param user     user name
 * @param password password, empty for none
 * @param poolSize the maximum number of pooled connections
 */
public record DatabaseSettings(String url, String user, String password, int poolSize) {

    /** Requires a PostgreSQL JDBC URL and a positive pool size. */
    public DatabaseSettings {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("the database URL must start with jdbc:postgresql:, got " + url);
        }
        if (poolSize < 1 || poolSize > 1000) {
            throw new IllegalArgumentException("the pool size must be between 1 and 1000");
        }
    }

    @Override
    public String toString() {
        return "DatabaseSettings[url=" + url + ", user=" + user + ", poolSize=" + poolSize + "]";
    }
}
