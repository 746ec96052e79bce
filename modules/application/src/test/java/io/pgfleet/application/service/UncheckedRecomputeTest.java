package io.pgfleet.application.service;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A rollout's wave steps (and completing stored revisions) recompute members without a capability
 * check: by its type, that recomputation answers valid or refused, so no step has a "lacking" case
 * that could only throw.
 */
class UncheckedRecomputeTest {

    @Test
    void aRecomputationWithoutCapabilityCheckIsValidOrRefusedByItsType() throws Exception {
        assertEquals(LayerComposer.Validated.class, LayerComposer.Session.class
                .getDeclaredMethod("recompute", List.class, LayerComposer.World.class, Instant.class).getReturnType());
        assertEquals(Set.of(LayerComposer.Ok.class, LayerComposer.Refused.class),
                Set.of(LayerComposer.Validated.class.getPermittedSubclasses()));
    }
}
