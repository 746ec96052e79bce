package io.pgfleet.server;

import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerRevision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A layer version is stored by one statement that also creates (or locks) the layer and checks the
 * version follows the highest stored: versions stay gap-free, and one that does not follow stores
 * nothing.
 */
class LayerVersionStoreIT {

    @RegisterExtension
    static final OpenStorage DB = new OpenStorage();

    private static final Instant AT = Instant.now().truncatedTo(ChronoUnit.MICROS);

    private static LayerRevision version(LayerId layer, int n) {
        ConfigDocument doc = new ConfigDocument("[collector]\npush_interval = " + (10 + n) + "\n");
        return new LayerRevision(layer, new ConfigVersion(n), doc, doc.hash(), AT, "alice", "v" + n,
                new RevisionSource.Put());
    }

    private static void insert(LayerRevision r) {
        DB.storage().layers().transact(tx -> {
            tx.insertLayer(r);
            return LayerStorePort.Outcome.commit(r);
        });
    }

    @Test
    void versionsFollowOneAnotherAndTheLastIsCurrent() {
        LayerId layer = new LayerId.Group(new GroupId("store-follow"));
        insert(version(layer, 1));
        insert(version(layer, 2));
        assertEquals(2, DB.storage().layers().loadLatestLayer(layer).orElseThrow().version().value());
        LayerRevision first = DB.storage().layers().loadLayerVersion(layer, new ConfigVersion(1)).orElseThrow();
        assertEquals(version(layer, 1), first, "every part of the version is stored as given");
    }

    @Test
    void aVersionThatDoesNotFollowTheHighestStoresNothing() {
        LayerId layer = new LayerId.Group(new GroupId("store-gap"));
        assertThrows(RuntimeException.class, () -> insert(version(layer, 2)), "no version 1 yet");
        assertEquals(List.of(), DB.storage().layers().loadLayerHistory(layer, Integer.MAX_VALUE, 10));
        insert(version(layer, 1));
        assertThrows(RuntimeException.class, () -> insert(version(layer, 3)));
        assertThrows(RuntimeException.class, () -> insert(version(layer, 1)), "version 1 again");
        assertEquals(List.of(1), DB.storage().layers().loadLayerHistory(layer, Integer.MAX_VALUE, 10).stream()
                .map(r -> r.version().value()).toList());
        assertEquals(1, DB.storage().layers().loadLatestLayer(layer).orElseThrow().version().value());
    }
}
