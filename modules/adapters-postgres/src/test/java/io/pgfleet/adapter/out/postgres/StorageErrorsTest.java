package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClientException;
import io.pgfleet.application.port.out.StorageBusyException;
import io.pgfleet.application.port.out.StorageRejectedException;
import io.pgfleet.application.port.out.StorageUnavailableException;
import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.access.User;
import io.pgfleet.domain.access.Username;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Database failures are told apart: a refused value is the request's fault, a lost connection is not. */
class StorageErrorsTest {

    @Test
    void aValueTheDatabaseCannotHoldIsRejectedAndNothingIsKept() {
        TestDatabase db = TestPostgres.newDatabase();
        try (PostgresStorage storage = PostgresStorage.open(new DatabaseSettings(db.url(), db.user(), db.password(), 2))) {
            CollectorId id = CollectorId.of("nul-detail");
            Instant now = Instant.parse("2026-11-30T10:00:00Z");
            Collector collector = new Collector(id, "nul-detail", "", Map.of(), now, false);
            AuditEntry audit = new AuditEntry(now, new Actor("admin", "127.0.0.1"), AuditAction.COLLECTOR_CREATED,
                    new AuditSubject.OfCollector(id), 0, "a\u0000b");
            StorageRejectedException e = assertThrows(StorageRejectedException.class,
                    () -> storage.collectors().saveNewCollector(collector, audit));
            assertTrue(e.getMessage().contains("22021"), e.getMessage());
            assertTrue(storage.collectors().loadCollector(id).isEmpty(), "the transaction was rolled back");
        }
    }

    @Test
    void aRowTheDatabaseRefusesIsNotQuotedInTheFailure() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        try (PostgresStorage storage = PostgresStorage.open(new DatabaseSettings(db.url(), db.user(), db.password(), 2));
             java.sql.Connection c = db.connect(); java.sql.Statement s = c.createStatement()) {
            // As PostgreSQL refuses a row a defect or a forged value would make: its detail quotes the row.
            s.execute("ALTER TABLE users ADD CONSTRAINT users_refused CHECK (username <> 'refused')");
            String hash = "$scrypt$leaked-" + java.util.UUID.randomUUID();
            Instant now = Instant.parse("2026-12-03T04:00:00Z");
            Username name = new Username("refused");
            StorageRejectedException e = assertThrows(StorageRejectedException.class, () -> storage.users().saveNewUser(
                    new User(name, Role.OPERATOR, true, hash, now), new AuditEntry(now, new Actor("admin", "127.0.0.1"),
                            AuditAction.USER_CREATED, new AuditSubject.OfUser(name), 0, "created")));
            // What a log of the failure holds: its message and its causes'.
            java.io.StringWriter trace = new java.io.StringWriter();
            e.printStackTrace(new java.io.PrintWriter(trace));
            assertTrue(trace.toString().contains("violates check constraint \"users_refused\""), trace.toString());
            assertFalse(trace.toString().contains(hash), "the refused row in the failure:\n" + trace);
        }
    }

    private static RuntimeException classify(SQLException cause) {
        return StorageErrors.classify("testing", new DbClientException("failed", cause));
    }

    /**
     * The pool's timeout as HikariCP makes it: its cause is the last failed attempt to connect,
     * none when every connection was merely in use.
     */
    private static SQLTransientConnectionException poolTimeout(SQLException lastConnectFailure) {
        SQLTransientConnectionException e = new SQLTransientConnectionException(
                "pgfleet - Connection is not available, request timed out after 5001ms.",
                lastConnectFailure == null ? null : lastConnectFailure.getSQLState(), lastConnectFailure);
        if (lastConnectFailure != null) {
            e.setNextException(lastConnectFailure);
        }
        return e;
    }

    @Test
    void aPoolWhoseConnectionsAreAllInUseIsBusyNotALostDatabase() {
        RuntimeException busy = classify(poolTimeout(null));
        assertInstanceOf(StorageBusyException.class, busy, "every connection in use: load, answered 429");
        RuntimeException away = classify(poolTimeout(new PSQLException("Connection refused",
                PSQLState.CONNECTION_UNABLE_TO_CONNECT)));
        assertInstanceOf(StorageUnavailableException.class, away);
        assertFalse(away instanceof StorageBusyException, "a pool that cannot connect is a lost database: 503");
    }

    @Test
    void onlyConnectionFailuresAreUnavailable() {
        assertInstanceOf(StorageUnavailableException.class, classify(new PSQLException("refused", PSQLState.CONNECTION_UNABLE_TO_CONNECT)));
        assertInstanceOf(StorageUnavailableException.class, classify(new PSQLException("gone", PSQLState.CONNECTION_FAILURE)));
        assertInstanceOf(StorageUnavailableException.class, classify(new SQLException("terminating connection", "57P01")));
        assertInstanceOf(StorageUnavailableException.class, classify(new SQLException("too many clients", "53300")));
        assertInstanceOf(StorageUnavailableException.class, classify(new SQLException("could not serialize", "40001")));
        assertInstanceOf(StorageUnavailableException.class,
                classify(new SQLException("canceling statement due to statement timeout", "57014")));
        assertInstanceOf(StorageUnavailableException.class, classify(new SQLException(
                "FATAL: terminating connection due to idle-in-transaction timeout", "25P03")));
        assertInstanceOf(StorageUnavailableException.class,
                classify(new SQLTransientConnectionException("pgfleet - Connection is not available, request timed out")));
        assertInstanceOf(StorageUnavailableException.class,
                StorageErrors.classify("testing", new DbClientException("no SQL cause at all")));

        assertInstanceOf(StorageRejectedException.class, classify(new SQLException("invalid byte sequence", "22021")));
        assertInstanceOf(StorageRejectedException.class, classify(new PSQLException("out of range", PSQLState.DATETIME_OVERFLOW)));
        assertInstanceOf(StorageRejectedException.class, classify(new SQLException("duplicate key", "23505")));

        RuntimeException defect = classify(new SQLException("syntax error", "42601"));
        assertInstanceOf(IllegalStateException.class, defect, "a statement pgfleet got wrong is neither the client's nor the network's fault");
    }

    @Test
    void aLostConnectionIsToldInPostgresqlsOwnWordsUnderTheDriversAndOtherFailuresAreNoLoss() {
        SQLException fatal = new SQLException("FATAL: terminating connection due to administrator command", "57P01");
        SQLException io = new SQLException("An I/O error occurred while sending to the backend.", "08006", fatal);
        assertEquals(java.util.Optional.of(fatal),
                StorageErrors.connectionLoss(new IllegalStateException("Failed to execute script V36", io)));
        SQLException reset = new SQLException("An I/O error occurred while sending to the backend.", "08006",
                new java.net.SocketException("Connection reset"));
        assertEquals(java.util.Optional.of(reset), StorageErrors.connectionLoss(new IllegalStateException("failed", reset)));
        assertTrue(StorageErrors.connectionLoss(new SQLException("the database system is shutting down", "57P03")).isPresent());
        assertTrue(StorageErrors.connectionLoss(new SQLException("syntax error", "42601")).isEmpty());
        assertTrue(StorageErrors.connectionLoss(new SQLException("password authentication failed", "28P01")).isEmpty());
        assertTrue(StorageErrors.connectionLoss(new IllegalStateException("no SQL cause")).isEmpty());
    }
}
