package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.layer.EffectiveRevision;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerMember;
import io.pgfleet.domain.layer.LayerRevision;
import io.pgfleet.domain.layer.OwnLayer;
import io.pgfleet.domain.layer.StagedLayer;
import io.pgfleet.domain.rollout.MemberFailure;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * What a rollback says of a member it cannot take back: its own layer, published over the staged
 * version, does not compose with the version published again, and it keeps the revision it runs.
 */
class RollbackLeavesBehindTest {

    private static final CollectorId A5 = CollectorId.of("a5");
    private final LayerComposer composer = new LayerComposer(new LineParser());

    private static LayerRevision fleet(int version, String text, RevisionSource source) {
        ConfigDocument d = new ConfigDocument(text);
        return new LayerRevision(new LayerId.Fleet(), new ConfigVersion(version), d, d.hash(), Given.T0, "alice", "",
                source);
    }

    private static LayerMember a5() {
        ConfigDocument own = new ConfigDocument("[postgres]\npassword_env = \"PGPASSWORD\"\n");
        ConfigDocument served = new ConfigDocument("[postgres]\npassword_env = \"PGPASSWORD\"\n\n[collector]\npush_interval = 30\n");
        EffectiveRevision runs = new EffectiveRevision(A5, new ConfigVersion(9), served, served.hash(), "a".repeat(64),
                List.of("fleet@8", "collector@1"), Given.T0, 300);
        return new LayerMember(A5, Map.of(), Optional.of(new OwnLayer(new ConfigVersion(1), own, own.hash())),
                Optional.of(runs));
    }

    private MemberFailure leftBehind(Set<CollectorId> receivers) {
        LayerRevision staged = fleet(8, "[collector]\npush_interval = 30\n", new RevisionSource.Staged(7));
        LayerRevision back = fleet(9, "[postgres]\npassword_file = \"/tmp/x/pw\"\n", new RevisionSource.RolloutRollback(7));
        LayerComposer.World after = new LayerComposer.World(Optional.of(back), List.of(), Map.of(), List.of());
        LayerComposer.Refused refused = assertInstanceOf(LayerComposer.Refused.class,
                composer.session().recompute(List.of(a5()), after, Given.T0));
        return RolloutService.notRolledBack(a5(), refused, new StagedLayer(staged, receivers, 7), back);
    }

    @Test
    void aReceiverThatCannotGoBackIsNamedWithWhyAndTheRevisionItKeeps() {
        MemberFailure f = leftBehind(Set.of(A5));
        assertEquals(A5, f.collectorId());
        assertEquals("its own layer (collector@1) does not compose with fleet@9: "
                + "set either password_file or password_env, not both; it still runs fleet@8, "
                + "the staged version: it keeps effective revision 9 (fleet@8, collector@1)", f.error());
    }

    @Test
    void aMemberThatNeverReceivedTheStagedVersionKeepsWhatItHas() {
        String error = leftBehind(Set.of()).error();
        assertEquals("it keeps effective revision 9 (fleet@8, collector@1)", error.substring(error.indexOf("; ") + 2));
    }
}
