package io.pgfleet.adapter.out.postgres;

import io.pgfleet.application.port.out.StorageBusyException;
import io.pgfleet.application.port.out.StorageRejectedException;
import io.pgfleet.application.port.out.StorageUnavailableException;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.Optional;

/**
 * Sorts database failures by what the caller can do about them, from the SQLSTATE.
 * <ul>
 *   <li>busy (try again after a pause): the pool gave no connection in time although the database
 *       answers (every connection was in use), as opposed to a pool that could not connect;</li>
 *   <li>unavailable (try again later): no connection (class {@code 08}, also a connection given up
 *       because the database did not answer within the statement timeout), the server shutting down or
 *       not accepting connections ({@code 57P01}–{@code 57P05}), a statement cancelled
 *       ({@code 57014}: the statement timeout, or an operator), a session PostgreSQL ended because its
 *       transaction stayed idle too long ({@code 25P03}: the instance froze in the middle of it, and
 *       its connection is gone), out of resources ({@code 53}),
 *       a transaction to retry ({@code 40}: serialisation failure, deadlock), a pool that gave no
 *       connection in time because it could not connect, or a failure with no SQLSTATE at all;</li>
 *   <li>rejected (the request is wrong and will stay wrong): data exceptions ({@code 22}, e.g. a NUL
 *       character or a timestamp out of range) and integrity violations ({@code 23});</li>
 *   <li>anything else (a statement the server does not understand …) is a defect of pgfleet and
 *       surfaces as such.</li>
 * </ul>
 */
final class StorageErrors {

    /**
     * A statement cancelled: by the statement timeout (it ran, or waited for a lock held elsewhere,
     * too long) or by an operator ({@code pg_cancel_backend}). Nothing of it was done; another try may succeed.
     */
    static final String QUERY_CANCELED = "57014";
    /**
     * A session ended by PostgreSQL because its transaction stayed idle longer than
     * {@code idle_in_transaction_session_timeout}: this instance froze (a paused VM, a stalled host)
     * in the middle of it. Nothing of it was done; the connection is gone, and another try may succeed.
     */
    static final String IDLE_IN_TRANSACTION_TIMEOUT = "25P03";

    private StorageErrors() {
    }

    static RuntimeException classify(String what, RuntimeException failure) {
        Optional<SQLException> sql = sqlCause(failure);
        String state = sql.map(SQLException::getSQLState).orElse(null);
        String message = what + " failed: " + sql.map(Throwable::getMessage).orElse(failure.getMessage());
        if (sql.isPresent() && poolExhausted(sql.get())) {
            return new StorageBusyException(message, failure);
        }
        if (sql.isEmpty() || state == null || state.length() < 2
                || sql.get() instanceof SQLTransientConnectionException
                || sql.get() instanceof SQLNonTransientConnectionException) {
            return new StorageUnavailableException(message, failure);
        }
        String sqlClass = state.substring(0, 2);
        if (sqlClass.equals("08") || sqlClass.equals("53") || sqlClass.equals("40") || state.startsWith("57P")
                || state.equals(QUERY_CANCELED) || state.equals(IDLE_IN_TRANSACTION_TIMEOUT)) {
            return new StorageUnavailableException(message, failure);
        }
        if (sqlClass.equals("22") || sqlClass.equals("23")) {
            return new StorageRejectedException(what + " was refused by the database: "
                    + firstLine(sql.get().getMessage()) + " (SQLSTATE " + state + ")", failure);
        }
        return new IllegalStateException(message + " (SQLSTATE " + state + ")", failure);
    }

    /**
     * Whether the pool timed out waiting for a connection while the database itself answers. The
     * pool (HikariCP) gives up after its connection timeout with a {@link SQLTransientConnectionException}
     * whose cause is the last failed attempt to connect, cleared by every successful connection: no
     * cause means every connection was simply in use, which is load, not a lost database.
     */
    static boolean poolExhausted(SQLException sql) {
        return sql instanceof SQLTransientConnectionException && sql.getCause() == null
                && sql.getNextException() == null
                && sql.getMessage() != null && sql.getMessage().contains("Connection is not available");
    }

    /**
     * The driver's refusal to connect behind a failure, if that is what it is: SQLSTATE class 08
     * (no connection: refused, unknown host, closed at once), 28 (login or password refused) or
     * 3D000 (no such database). Used at start, where it is a setting to fix, not an outage.
     */
    static Optional<SQLException> connectionRefusal(Throwable failure) {
        return sqlCause(failure).filter(sql -> sql.getSQLState() != null
                && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("28")
                || sql.getSQLState().equals("3D000")));
    }

    /**
     * The loss of a connection behind a failure, if that is what it is: SQLSTATE class 08 (the
     * connection failed, or does not exist any more) or PostgreSQL ending the session ({@code 57P01}
     * an administrator's command, {@code 57P02} a crash of another backend, {@code 57P03} the server
     * shutting down or starting). Whether the connection had been made is for the caller to know: the
     * same states are a refusal when nothing connected.
     *
     * @return the innermost such exception, whose words are the closest to what happened (PostgreSQL's
     *         {@code FATAL: terminating connection due to administrator command} under the driver's
     *         {@code An I/O error occurred})
     */
    static Optional<SQLException> connectionLoss(Throwable failure) {
        Optional<SQLException> innermost = Optional.empty();
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 16; depth++) {
            if (t instanceof SQLException s && s.getSQLState() != null && (s.getSQLState().startsWith("08")
                    || s.getSQLState().equals("57P01") || s.getSQLState().equals("57P02")
                    || s.getSQLState().equals("57P03"))) {
                innermost = Optional.of(s);
            }
            t = t.getCause();
        }
        return innermost;
    }

    private static Optional<SQLException> sqlCause(Throwable failure) {
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 16; depth++) {
            if (t instanceof SQLException s) {
                return Optional.of(s);
            }
            t = t.getCause();
        }
        return Optional.empty();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
