package io.pgfleet.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * A migrated database of its own for one test class.
 *
 * @param url      JDBC URL
 * @param user     user name
 * @param password password, empty for the embedded server
 */
public record TestDatabase(String url, String user, String password) {

    /**
     * A new plain JDBC connection, for assertions that read tables directly.
     *
     * @return an open connection; the caller closes it
     * @throws SQLException when the database cannot be reached
     */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }
}
