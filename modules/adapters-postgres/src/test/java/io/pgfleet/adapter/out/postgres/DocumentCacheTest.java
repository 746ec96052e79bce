package io.pgfleet.adapter.out.postgres;

import io.pgfleet.domain.config.ConfigDocument;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The member read's document cache stays within its bounds, least recently used out first. */
class DocumentCacheTest {

    private static ConfigDocument doc(char c, int length) {
        return new ConfigDocument(String.valueOf(c).repeat(length));
    }

    @Test
    void keepsAtMostItsNumberOfDocumentsEvictingTheLeastRecentlyUsed() {
        DocumentCache cache = new DocumentCache(2, 1000);
        ConfigDocument a = doc('a', 10);
        cache.put("a", a);
        cache.put("b", doc('b', 10));
        assertSame(a, cache.get("a").orElseThrow(), "a is now the most recently used");
        cache.put("c", doc('c', 10));
        assertEquals(2, cache.size());
        assertTrue(cache.get("a").isPresent());
        assertFalse(cache.get("b").isPresent(), "the least recently used went");
        assertTrue(cache.get("c").isPresent());
        assertEquals(20, cache.chars());
    }

    @Test
    void keepsAtMostItsNumberOfCharacters() {
        DocumentCache cache = new DocumentCache(100, 50);
        cache.put("a", doc('a', 20));
        cache.put("b", doc('b', 20));
        cache.put("c", doc('c', 20));
        assertEquals(2, cache.size());
        assertEquals(40, cache.chars());
        assertFalse(cache.get("a").isPresent());
        cache.put("big", doc('x', 51));
        assertFalse(cache.get("big").isPresent(), "a document longer than the whole bound is not kept");
        assertEquals(40, cache.chars(), "and evicts nothing");
        cache.put("c", doc('c', 20));
        assertEquals(40, cache.chars(), "the same hash again is counted once");
    }

    @Test
    void hasDocumentedDefaultsAndRefusesEmptyBounds() {
        DocumentCache cache = new DocumentCache();
        for (int i = 0; i < DocumentCache.DEFAULT_MAX_DOCUMENTS + 10; i++) {
            cache.put(Integer.toString(i), doc('d', 1));
        }
        assertEquals(DocumentCache.DEFAULT_MAX_DOCUMENTS, cache.size());
        assertThrows(IllegalArgumentException.class, () -> new DocumentCache(0, 10));
        assertThrows(IllegalArgumentException.class, () -> new DocumentCache(10, 0));
    }
}
