package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryLayerStore;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.application.port.in.CheckCapabilitiesQuery;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.capability.MemberFacts;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.fleet.CapabilityGap;
import io.pgfleet.domain.fleet.HostFacts;
import io.pgfleet.domain.layer.Group;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LabelSelector;
import io.pgfleet.domain.layer.LayerChangeResult;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerPublishResult;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Changes checked against what members' agents reported they can run. */
class CapabilityChangeServiceTest {

    private static final LayerId FLEET = new LayerId.Fleet();
    private static final String STATEMENTS = "[collectors.pg_stat_statements]\nenabled = true\n";

    private final Clock clock = Clock.fixed(Given.T0, ZoneOffset.UTC);
    private final InMemoryLayerStore store = new InMemoryLayerStore()
            .withCollector("has", Map.of("env", "prod"))
            .withCollector("lacks", Map.of("env", "prod"))
            .withCollector("old", Map.of("env", "staging"))
            .withCollector("silent", Map.of("env", "prod"))
            .withFacts("has", facts(2, List.of("plpgsql", "pg_stat_statements")))
            .withFacts("lacks", facts(2, List.of("plpgsql")))
            .withFacts("old", facts(1, List.of("plpgsql", "pg_stat_statements")));
    private final LayerComposer composer = new LayerComposer(new LineParser());
    private final LayerChangeService layers = new LayerChangeService(store, store, composer,
            id -> { }, s -> { }, clock);
    private final PublishConfigService own = new PublishConfigService(new LayeredOwnAppender(store, composer, s -> { }),
            new DocumentValidator(new LineParser()), clock);

    private static MemberFacts facts(int schema, List<String> extensions) {
        return new MemberFacts(new HostFacts(schema, "Linux", Optional.of(new HostFacts.PostgresFacts("localhost", 5432,
                160_000, List.of("pg_stat_statements"), List.of("postgres"), false, Map.of("postgres", extensions)))),
                Optional.empty(), "1.0");
    }

    private LayerPublishResult publish(LayerId layer, String toml, CapabilityMode mode) {
        return layers.publish(layer, new ConfigDocument(toml), new Precondition.None(), Given.alice(), "", mode);
    }

    @Test
    void aFleetPublishIsRefusedNamingTheLackingMembersAndListingTheUnknown() {
        LayerPublishResult r = publish(FLEET, STATEMENTS, CapabilityMode.CHECK);

        LayerPublishResult.LacksCapabilities refused = assertInstanceOf(LayerPublishResult.LacksCapabilities.class, r);
        assertEquals(List.of("lacks", "old"), refused.refusal().members().stream().map(m -> m.collectorId().value()).toList());
        assertEquals(CapabilityGap.Capability.EXTENSION, refused.refusal().members().get(0).gaps().get(0).capability());
        assertEquals(CapabilityGap.Capability.AGENT_SCHEMA, refused.refusal().members().get(1).gaps().get(0).capability());
        assertEquals(List.of(CollectorId.of("silent")), refused.refusal().unknown());
        assertEquals(2, refused.refusal().total());
        assertTrue(store.versionsOf(FLEET).isEmpty(), "nothing stored");
        assertTrue(store.loadEffective(CollectorId.of("has")).isEmpty());
        assertTrue(store.audit().isEmpty());
    }

    @Test
    void forceAcceptsAndMarksTheLackingMembersOnly() {
        assertInstanceOf(LayerPublishResult.Published.class, publish(FLEET, STATEMENTS, CapabilityMode.FORCE));

        assertEquals(CapabilityGap.Capability.EXTENSION, store.gaps("lacks").get(0).capability());
        assertTrue(store.audit().get(0).detail().endsWith("[forced: 2 collectors lack capabilities: lacks, old]"),
                store.audit().get(0).detail());
        assertEquals(List.of(), store.gaps("has"));
        assertEquals(List.of(), store.gaps("silent"), "unknown members are not marked");

        // A later change of their effective documents that they can run clears the mark.
        assertInstanceOf(LayerPublishResult.Published.class, publish(FLEET, "[collector]\npush_interval = 9\n",
                CapabilityMode.CHECK));
        assertEquals(List.of(), store.gaps("lacks"));
    }

    @Test
    void aGroupPublishNamesOnlyTheLackingMemberOfTheGroup() {
        layers.create(new Group(new GroupId("prod"), new LabelSelector(Map.of("env", "prod")), 1, ""), Given.alice());
        LayerPublishResult r = publish(new LayerId.Group(new GroupId("prod")), STATEMENTS, CapabilityMode.CHECK);

        LayerPublishResult.LacksCapabilities refused = assertInstanceOf(LayerPublishResult.LacksCapabilities.class, r);
        assertEquals(List.of("lacks"), refused.refusal().members().stream().map(m -> m.collectorId().value()).toList());
    }

    @Test
    void aChangeThatDoesNotTouchAMembersDocumentDoesNotCheckIt() {
        assertInstanceOf(LayerPublishResult.Published.class, publish(FLEET, STATEMENTS, CapabilityMode.FORCE));
        // The fleet layer changes nothing for "lacks" (its document stays the same): not refused for it.
        assertInstanceOf(LayerPublishResult.Published.class, publish(FLEET, "# same\n" + STATEMENTS, CapabilityMode.CHECK));
    }

    @Test
    void anOwnPublishAndALabelChangeAreCheckedToo() {
        PublishResult ownResult = own.publish(new PublishConfigCommand(CollectorId.of("lacks"), new ConfigDocument(STATEMENTS),
                new Precondition.None(), Given.alice(), ""));
        assertInstanceOf(PublishResult.LacksCapabilities.class, ownResult);
        assertInstanceOf(PublishResult.Published.class, own.publish(new PublishConfigCommand(CollectorId.of("has"),
                new ConfigDocument(STATEMENTS), new Precondition.None(), Given.alice(), "")));

        layers.create(new Group(new GroupId("stmts"), new LabelSelector(Map.of("stmts", "on")), 1, ""), Given.alice());
        publish(new LayerId.Group(new GroupId("stmts")), STATEMENTS, CapabilityMode.CHECK);
        assertInstanceOf(LayerChangeResult.LacksCapabilities.class,
                layers.changeLabels(CollectorId.of("lacks"), Map.of("stmts", "on"), Given.alice()));
        assertInstanceOf(LayerChangeResult.Done.class,
                layers.changeLabels(CollectorId.of("lacks"), Map.of("stmts", "on"), Given.alice(), CapabilityMode.FORCE));
    }

    @Test
    void theCheckForAStagedVersionStoresNothing() {
        CheckCapabilitiesQuery.Verdict v = layers.check(FLEET, new ConfigDocument(STATEMENTS));
        CheckCapabilitiesQuery.Verdict.Lacks lacks = assertInstanceOf(CheckCapabilitiesQuery.Verdict.Lacks.class, v);
        assertEquals(2, lacks.refusal().total());
        assertTrue(store.versionsOf(FLEET).isEmpty());
        CheckCapabilitiesQuery.Verdict.Fits fits = assertInstanceOf(CheckCapabilitiesQuery.Verdict.Fits.class,
                layers.check(FLEET, new ConfigDocument("[collector]\npush_interval = 5\n")));
        assertEquals(1, fits.unknownTotal());
    }

    @Test
    void theCheckRefusesWhatThePublishWouldRefuseForHiddenCharacters() {
        CheckCapabilitiesQuery.Verdict v = layers.check(FLEET,
                new ConfigDocument("# keep \u202e\n[collector]\npush_interval = 5\n"));
        CheckCapabilitiesQuery.Verdict.NotCheckable not = assertInstanceOf(CheckCapabilitiesQuery.Verdict.NotCheckable.class, v);
        assertTrue(not.reason().contains("U+202E"), not.reason());
    }
}
