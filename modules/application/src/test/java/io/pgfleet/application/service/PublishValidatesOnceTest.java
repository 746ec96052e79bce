package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.layer.Composition;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerMember;
import io.pgfleet.domain.layer.LayerRevision;
import io.pgfleet.domain.layer.OwnLayer;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.ParseOutcome;
import io.pgfleet.domain.schema.Validation;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * A published document validated whole before its merge is not validated again when the merge
 * leaves its tree as it is (no other layer sets a key); when another layer does, the merged tree
 * is validated.
 */
class PublishValidatesOnceTest {

    private static final CollectorId ONE = CollectorId.of("one");

    private static LayerMember member(ConfigDocument own) {
        return new LayerMember(ONE, Map.of(), Optional.of(OwnLayer.of(new ConfigRevision(ONE, new ConfigVersion(1), own,
                own.hash(), Given.T0, "alice", "", new RevisionSource.Put()))), Optional.empty());
    }

    private static LayerComposer.World world(Optional<ConfigDocument> fleet) {
        return new LayerComposer.World(fleet.map(d -> new LayerRevision(new LayerId.Fleet(), new ConfigVersion(1), d,
                d.hash(), Given.T0, "alice", "", new RevisionSource.Put())), List.of(), Map.of(), List.of());
    }

    @Test
    void theValidationOfThePublishedDocumentIsUsedWhenNoOtherLayerChangesIt() {
        LayerComposer composer = new LayerComposer(new LineParser());
        ConfigDocument own = Given.document(5);
        ParseOutcome parsed = composer.parse(own);
        // A validation told apart from the document's own: that of another document.
        Validation handed = ConfigValidator.validate(composer.parse(Given.document(7)));
        assertNotEquals(handed, ConfigValidator.validate(parsed));

        LayerComposer.Session alone = composer.session();
        alone.parsedAlready(own, parsed);
        alone.validatedAlready(parsed, handed);
        Composition.Composed composed = assertInstanceOf(Composition.Composed.class,
                alone.compose(member(own), world(Optional.empty())));
        assertEquals(((Validation.Valid) handed).effective(), composed.effective(), "not validated again");

        LayerComposer.Session withFleet = composer.session();
        withFleet.parsedAlready(own, parsed);
        withFleet.validatedAlready(parsed, handed);
        ConfigDocument fleet = new ConfigDocument("[collector]\nconfig_pull_interval = 120\n");
        Composition.Composed merged = assertInstanceOf(Composition.Composed.class,
                withFleet.compose(member(own), world(Optional.of(fleet))));
        assertNotEquals(((Validation.Valid) handed).effective(), merged.effective(), "the merged tree is validated");
        assertEquals(List.of("fleet@1", "collector@1"), merged.sources());
    }
}
