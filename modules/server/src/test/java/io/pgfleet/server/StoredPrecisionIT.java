package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The instants the server's use cases read are stored alike by every route into PostgreSQL: an
 * instant bound as a timestamp (pgjdbc) and one sent as text (the layer adapter's arrays) read back
 * equal. A rollout compares a member's revision time, written as text, with its wave's start, bound
 * as a timestamp; a microsecond between them made every member its wave changed count as unchanged.
 */
class StoredPrecisionIT {

    /** Half a microsecond past: pgjdbc rounds it up, PostgreSQL's text input to the even microsecond. */
    private static final Instant TIE = Instant.parse("2026-12-02T04:56:14.117164500Z");

    @Test
    void anInstantOfTheUseCasesClockReadsBackTheSameWhicheverRouteStoredIt() throws Exception {
        Instant now = PgfleetServer.storedPrecision(Clock.fixed(TIE, ZoneOffset.UTC)).instant();
        TestDatabase db = TestPostgres.newDatabase();
        try (Connection c = db.connect();
             PreparedStatement s = c.prepareStatement(
                     "SELECT ?::timestamptz AS bound, (string_to_array(?, ','))::timestamptz[] AS texts")) {
            s.setObject(1, now.atOffset(ZoneOffset.UTC));
            s.setString(2, now.toString());
            try (ResultSet r = s.executeQuery()) {
                r.next();
                Instant bound = r.getObject(1, OffsetDateTime.class).toInstant();
                Instant text = ((java.sql.Timestamp[]) r.getArray(2).getArray())[0].toInstant();
                assertEquals(bound, text, "the same instant, stored by two routes");
                assertEquals(now, bound, "stored as it is");
            }
        }
    }
}
