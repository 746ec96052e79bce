package io.pgfleet.adapter.out.postgres;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The stored sources text of an effective revision, read back as the list it was written from. */
class StoredSourcesTest {

    @Test
    void sourcesAreReadBackInOrderWhateverTheirNumber() {
        assertEquals(List.of(), LayerPersistenceAdapter.sources(""));
        assertEquals(List.of("collector@2"), LayerPersistenceAdapter.sources("collector@2"));
        assertEquals(List.of("fleet@3", "group/prod-eu@7", "collector@2"),
                LayerPersistenceAdapter.sources("fleet@3, group/prod-eu@7, collector@2"));
        // What is written: the sources joined by ", " (EffectiveRevision's order is kept).
        List<String> written = List.of("fleet@10", "group/a@1", "group/b-c@12", "collector@400");
        assertEquals(written, LayerPersistenceAdapter.sources(String.join(", ", written)));
    }
}
