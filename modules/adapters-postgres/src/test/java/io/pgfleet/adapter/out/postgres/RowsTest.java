package io.pgfleet.adapter.out.postgres;

import org.junit.jupiter.api.Test;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.GregorianCalendar;
import java.util.TimeZone;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RowsTest {

    /**
     * A {@code timestamptz} as the JDBC driver hands it over: PostgreSQL's calendar fields at the
     * session's offset, counted by {@link GregorianCalendar} (Julian before 1582-10-15).
     */
    private static Timestamp fromDriver(String zone, int year, int month, int day, int hour, int minute, int second, int nanos) {
        GregorianCalendar cal = new GregorianCalendar(TimeZone.getTimeZone(zone));
        cal.clear();
        cal.set(year, month - 1, day, hour, minute, second);
        Timestamp t = new Timestamp(cal.getTimeInMillis());
        t.setNanos(nanos);
        return t;
    }

    @Test
    void instantsBeforeTheGregorianCutoverKeepTheirCalendarDate() {
        assertEquals(Instant.parse("0001-01-01T00:00:00Z"), Rows.instant(fromDriver("UTC", 1, 1, 1, 0, 0, 0, 0)));
        assertEquals(Instant.parse("1000-03-01T06:30:00Z"), Rows.instant(fromDriver("UTC", 1000, 3, 1, 6, 30, 0, 0)));
        assertEquals(Instant.parse("1582-10-04T23:59:59.123456Z"),
                Rows.instant(fromDriver("UTC", 1582, 10, 4, 23, 59, 59, 123_456_000)));
        // A session in another zone: the fields came with that offset, the instant is the same.
        assertEquals(Instant.parse("1000-03-01T06:30:00Z"), Rows.instant(fromDriver("GMT+05:30", 1000, 3, 1, 12, 0, 0, 0)));
        assertEquals(Instant.parse("0001-01-01T05:00:00Z"), Rows.instant(fromDriver("GMT-05:00", 1, 1, 1, 0, 0, 0, 0)));
    }

    @Test
    void laterInstantsAreConvertedDirectly() {
        assertEquals(Instant.parse("1582-10-15T00:00:00Z"), Rows.instant(fromDriver("UTC", 1582, 10, 15, 0, 0, 0, 0)));
        assertEquals(Instant.parse("2026-11-29T10:00:00.000001Z"), Rows.instant(fromDriver("UTC", 2026, 11, 29, 10, 0, 0, 1_000)));
        assertEquals(Instant.parse("9999-12-31T23:59:59Z"), Rows.instant(fromDriver("UTC", 9999, 12, 31, 23, 59, 59, 0)));
    }
}
