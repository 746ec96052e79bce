package io.pgfleet.domain.collector;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CollectorIdTest {

    @ParameterizedTest
    @ValueSource(strings = {"db-01", "a", "DB_01.prod", "0f8e2c1a-3b5d-4e7f-9a1b-2c3d4e5f6a7b", "9", "Z.._--",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})
    void acceptsWellFormedIds(String id) {
        assertEquals(id, CollectorId.of(id).value());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-db", ".hidden", "_db", "db 01", "db/01", "../etc", "é", "dbé", "db\n", "db:01", "db@01",
            "\u0661\u0662", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})
    void rejectsMalformedIds(String id) {
        assertFalse(CollectorId.isValid(id));
        assertThrows(IllegalArgumentException.class, () -> CollectorId.of(id));
    }

    @org.junit.jupiter.api.Test
    void rejectsNothingAtAll() {
        assertFalse(CollectorId.isValid(null));
        assertThrows(IllegalArgumentException.class, () -> new CollectorId(null));
    }
}
