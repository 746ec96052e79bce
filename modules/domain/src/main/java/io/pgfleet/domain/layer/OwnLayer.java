package io.pgfleet.domain.layer;

import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.ContentHash;

import java.util.Objects;

/**
 * What merging needs of a collector's own layer: its latest version and document. Who published
 * it, when and why are not part of it: a change of the shared layers never needs them, and a
 * change of thousands of collectors then reads less of each.
 *
 * @param version  the own layer's latest version
 * @param document its document
 * @param hash     SHA-256 of the document
 */
public record OwnLayer(ConfigVersion version, ConfigDocument document, ContentHash hash) {

    /** Requires every part and a hash that matches the document. */
    public OwnLayer {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(document, "document");
        Objects.requireNonNull(hash, "hash");
        if (!hash.equals(document.hash())) {
            throw new IllegalArgumentException("the hash of own version " + version + " does not match its document");
        }
    }

    /**
     * The own layer a revision makes.
     *
     * @param revision the own layer's latest revision
     * @return its version and document
     */
    public static OwnLayer of(ConfigRevision revision) {
        return new OwnLayer(revision.version(), revision.document(), revision.hash());
    }
}
