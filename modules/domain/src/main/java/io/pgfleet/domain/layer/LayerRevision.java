package io.pgfleet.domain.layer;

import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.ContentHash;
import io.pgfleet.domain.config.EntityTag;
import io.pgfleet.domain.config.RevisionSource;

import java.time.Instant;
import java.util.Objects;

/**
 * One immutable version of the fleet layer or of a group's layer: a partial configuration
 * document, versioned 1, 2, 3 … like a collector's own document.
 *
 * @param layer     the layer (never a collector's own layer: those are configuration revisions)
 * @param version   its number in the layer's history
 * @param document  the partial TOML text
 * @param hash      SHA-256 of the text
 * @param createdAt when it was published
 * @param createdBy who published it
 * @param message   the change message, empty when none was given
 * @param source    whether it was published directly or by a rollback
 */
public record LayerRevision(LayerId layer, ConfigVersion version, ConfigDocument document, ContentHash hash,
                            Instant createdAt, String createdBy, String message, RevisionSource source) {

    /** Requires every part, a shared layer and a hash that matches the document. */
    public LayerRevision {
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(document, "document");
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(createdBy, "createdBy");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(source, "source");
        if (layer instanceof LayerId.Own) {
            throw new IllegalArgumentException("a collector's own layer is stored as configuration revisions");
        }
        if (!hash.equals(document.hash())) {
            throw new IllegalArgumentException("the hash of layer version " + version + " does not match its document");
        }
    }

    /**
     * The strong entity tag of this version.
     *
     * @return the tag
     */
    public EntityTag entityTag() {
        return EntityTag.of(version, hash);
    }
}
