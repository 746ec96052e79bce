package io.pgfleet.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
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

    /**
     * Runs a query answering one number, for assertions on what was (not) stored.
     *
     * @param sql    e.g. {@code SELECT count(*) FROM collectors WHERE name = ?}
     * @param params the query's parameters, in order
     * @return the first column of the first row
     * @throws SQLException when the database cannot be reached or the query is wrong
     */
    public long count(String sql, Object... params) throws SQLException {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("no row: " + sql);
                }
                return rs.getLong(1);
            }
        }
    }
}
