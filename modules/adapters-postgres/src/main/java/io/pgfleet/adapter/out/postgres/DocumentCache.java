package io.pgfleet.adapter.out.postgres;

import io.pgfleet.domain.config.ConfigDocument;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration documents a layer change's member read last used, by content hash, so that
 * the read asks PostgreSQL for hashes only and fetches the text of a document it has not seen.
 *
 * <p>Always right: a hash names one text (SHA-256), whatever row, database or transaction it was
 * read from, and a document's text never changes for its hash; nothing is ever invalidated, only
 * evicted. Bounded by a number of documents and by their total characters, least recently used
 * first out; a document longer than the whole character bound is not kept. Safe for concurrent use.
 */
final class DocumentCache {

    /** How many documents are kept by default (a fleet has a few distinct ones per layer version). */
    static final int DEFAULT_MAX_DOCUMENTS = 4096;
    /** How many characters of text are kept by default (≈ 8 to 16 MiB of heap; a document is at most 256 KiB). */
    static final long DEFAULT_MAX_CHARS = 8L * 1024 * 1024;

    private final int maxDocuments;
    private final long maxChars;
    // Access order: the least recently used document is the first evicted.
    private final LinkedHashMap<String, ConfigDocument> documents = new LinkedHashMap<>(64, 0.75f, true);
    private long chars;
    private long fetched;

    /** A cache with the default bounds. */
    DocumentCache() {
        this(DEFAULT_MAX_DOCUMENTS, DEFAULT_MAX_CHARS);
    }

    /**
     * A cache with the given bounds.
     *
     * @param maxDocuments how many documents at most, at least 1
     * @param maxChars     how many characters of text at most, at least 1
     */
    DocumentCache(int maxDocuments, long maxChars) {
        if (maxDocuments < 1 || maxChars < 1) {
            throw new IllegalArgumentException("a document cache keeps at least one document and one character");
        }
        this.maxDocuments = maxDocuments;
        this.maxChars = maxChars;
    }

    /**
     * The document of a hash, if kept.
     *
     * @param hash the content hash, lower-case hex
     * @return the document
     */
    synchronized Optional<ConfigDocument> get(String hash) {
        return Optional.ofNullable(documents.get(hash));
    }

    /**
     * Keeps a document under its hash, evicting the least recently used beyond the bounds.
     *
     * @param hash     the content hash of the document, lower-case hex
     * @param document the document
     */
    synchronized void put(String hash, ConfigDocument document) {
        long length = document.text().length();
        if (length > maxChars) {
            return;
        }
        ConfigDocument previous = documents.put(hash, document);
        chars += length - (previous == null ? 0 : previous.text().length());
        Iterator<Map.Entry<String, ConfigDocument>> eldest = documents.entrySet().iterator();
        while (documents.size() > maxDocuments || chars > maxChars) {
            chars -= eldest.next().getValue().text().length();
            eldest.remove();
        }
    }

    /**
     * Counts documents a read had to fetch from the database (it had not kept them).
     *
     * @param count how many
     */
    synchronized void fetched(int count) {
        fetched += count;
    }

    /** @return how many documents reads have fetched from the database, since the cache was made */
    synchronized long fetched() {
        return fetched;
    }

    /** @return how many documents are kept */
    synchronized int size() {
        return documents.size();
    }

    /** @return how many characters of text are kept */
    synchronized long chars() {
        return chars;
    }
}
