package io.pgfleet.adapter.out.postgres;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A member row's packed column, split back into the values the statement packed. */
class MemberRowTest {

    private static String packed(String... values) {
        return String.join(String.valueOf(LayerPersistenceAdapter.MemberRow.SEPARATOR), values);
    }

    @Test
    void aPackedRowIsSplitIntoItsTenValues() {
        LayerPersistenceAdapter.MemberRow m = LayerPersistenceAdapter.MemberRow.parse(packed("db-01",
                "{\"env\": \"prod, eu\"}", "4", "a".repeat(64), "7", "b".repeat(64), "", "fleet@3, collector@4",
                "1764662400123456", "300"));
        assertEquals(new LayerPersistenceAdapter.MemberRow("db-01", "{\"env\": \"prod, eu\"}", 4, "a".repeat(64), 7,
                "b".repeat(64), "", "fleet@3, collector@4", 1_764_662_400_123_456L, 300), m);
        assertEquals(Instant.parse("2025-12-02T08:00:00.123456Z"), m.effectiveCreatedAt());
    }

    @Test
    void aMemberWithoutRevisionsKeepsItsEmptyValues() {
        LayerPersistenceAdapter.MemberRow m = LayerPersistenceAdapter.MemberRow.parse(
                packed("db-02", "{}", "0", "", "0", "", "", "", "0", "0"));
        assertEquals(0, m.ownVersion());
        assertEquals("", m.sources());
        assertEquals(Instant.EPOCH, m.effectiveCreatedAt());
    }

    @Test
    void timesBeforeTheEpochKeepTheirMicroseconds() {
        LayerPersistenceAdapter.MemberRow m = LayerPersistenceAdapter.MemberRow.parse(
                packed("db-03", "{}", "1", "a", "1", "b", "", "collector@1", "-1", "0"));
        assertEquals(Instant.parse("1969-12-31T23:59:59.999999Z"), m.effectiveCreatedAt());
    }

    @Test
    void aRowWithTooFewOrTooManyValuesIsRefused() {
        assertThrows(IllegalStateException.class, () -> LayerPersistenceAdapter.MemberRow.parse(
                packed("db-04", "{}", "0", "", "0", "", "", "", "0")));
        assertThrows(IllegalStateException.class, () -> LayerPersistenceAdapter.MemberRow.parse(
                packed("db-04", "{}", "0", "", "0", "", "", "", "0", "0", "extra")));
    }
}
