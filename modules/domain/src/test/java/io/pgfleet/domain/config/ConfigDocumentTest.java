package io.pgfleet.domain.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConfigDocumentTest {

    @Test
    void aDocumentIsHashedOnceHoweverManyRevisionsHoldIt() {
        ConfigDocument shared = new ConfigDocument("[postgres]\nport = 5432\n");
        // Every revision holding the document checks its hash: the same instance is not hashed again.
        assertSame(shared.hash(), shared.hash());
        assertEquals(ContentHash.of("[postgres]\nport = 5432\n"), shared.hash());
    }

    @Test
    void documentsAreEqualByTextAndRefuseEmptyAndOversizedTexts() {
        assertEquals(new ConfigDocument("a = 1\n"), new ConfigDocument("a = 1\n"));
        assertEquals(new ConfigDocument("a = 1\n").hashCode(), new ConfigDocument("a = 1\n").hashCode());
        assertNotEquals(new ConfigDocument("a = 1\n"), new ConfigDocument("a = 2\n"));
        assertThrows(IllegalArgumentException.class, () -> new ConfigDocument(" \n"));
        assertThrows(IllegalArgumentException.class, () -> new ConfigDocument("#".repeat(ConfigDocument.MAX_BYTES + 1)));
        // 87,382 three-byte characters are 262,146 bytes: refused, although fewer characters than MAX_BYTES.
        assertThrows(IllegalArgumentException.class, () -> new ConfigDocument("€".repeat(87_382)));
        assertEquals(ConfigDocument.MAX_BYTES, new ConfigDocument("#".repeat(ConfigDocument.MAX_BYTES)).text().length());
    }
}
