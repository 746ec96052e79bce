package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryLayerStore;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.application.port.in.ExplainEffectiveQuery.ExplainResult;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.application.port.out.LoadLayersPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.EntityTag;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
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
import java.util.OptionalInt;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Layer changes against an in-memory store that keeps the adapter's transactional promises. */
class LayerChangeServiceTest {

    private static final CollectorId DB1 = CollectorId.of("db-01");
    private static final CollectorId DB2 = CollectorId.of("db-02");
    private static final LayerId FLEET = new LayerId.Fleet();
    private static final GroupId PROD = new GroupId("prod");

    private final Clock clock = Clock.fixed(Given.T0, ZoneOffset.UTC);
    private final InMemoryLayerStore store = new InMemoryLayerStore()
            .withCollector("db-01", Map.of("env", "prod"))
            .withCollector("db-02", Map.of("env", "staging"));
    private final LayerComposer composer = new LayerComposer(new LineParser());
    private final EffectiveRevisionCache cache = new EffectiveRevisionCache(store);
    private final LayerChangeService layers = new LayerChangeService(store, store, composer,
            id -> { }, s -> cache.stored(s.revision()), clock);
    private final PublishConfigService own = new PublishConfigService(new LayeredOwnAppender(store, composer,
            s -> cache.stored(s.revision())), new DocumentValidator(new LineParser()), clock);

    private LayerPublishResult publish(LayerId layer, String toml) {
        return layers.publish(layer, new ConfigDocument(toml), new Precondition.None(), Given.alice(), "");
    }

    private String effective(CollectorId id) {
        return store.loadEffective(id).orElseThrow().document().text();
    }

    @Test
    void aFleetPublishReachesEveryCollectorAndAnIdenticalOneChangesNothing() {
        assertInstanceOf(LayerPublishResult.Published.class, publish(FLEET, "[collector]\npush_interval = 15\n"));
        assertEquals("[collector]\npush_interval = 15\n", effective(DB1));
        assertEquals("[collector]\npush_interval = 15\n", effective(DB2));
        assertEquals(List.of("db-01:1", "db-02:1"), store.announced());

        assertInstanceOf(LayerPublishResult.Unchanged.class, publish(FLEET, "[collector]\npush_interval = 15\n"));
        // A new fleet version that means the same for db-01 leaves its revision alone.
        publish(FLEET, "# comment\n[collector]\npush_interval = 15\n");
        assertEquals(1, store.loadEffective(DB1).orElseThrow().revision().value());
        assertEquals(List.of("fleet@2"), store.loadEffective(DB1).orElseThrow().sources());
        assertEquals(2, store.audit().size(), "one audit entry per stored version");
    }

    @Test
    void explainingIsNotWorkThatEndsTheWarmUp() {
        own.publish(new PublishConfigCommand(DB1, new ConfigDocument("[postgres]\nport = 6432\n"), new Precondition.None(),
                Given.alice(), ""));
        long work = composer.sessionsOfWork();
        assertTrue(work > 0, "a publish is work");
        assertInstanceOf(ExplainResult.Explained.class, layers.explain(DB1));
        assertEquals(work, composer.sessionsOfWork(), "a read of one collector's explanation is not");
    }

    @Test
    void collectorsWithEqualOwnDocumentsShareAMergeButEachNamesItsOwnVersion() {
        String doc = "[postgres]\nport = 6432\n";
        own.publish(new PublishConfigCommand(DB1, new ConfigDocument(doc), new Precondition.None(), Given.alice(), ""));
        own.publish(new PublishConfigCommand(DB2, new ConfigDocument("[postgres]\nport = 1\n"), new Precondition.None(),
                Given.alice(), ""));
        own.publish(new PublishConfigCommand(DB2, new ConfigDocument(doc), new Precondition.None(), Given.alice(), ""));

        publish(FLEET, "[collector]\npush_interval = 15\n");

        assertEquals(effective(DB1), effective(DB2), "the same layers' texts give the same document");
        assertEquals(List.of("fleet@1", "collector@1"), store.loadEffective(DB1).orElseThrow().sources());
        assertEquals(List.of("fleet@1", "collector@2"), store.loadEffective(DB2).orElseThrow().sources());
        assertEquals("collector@2", ((ExplainResult.Explained) layers.explain(DB2)).explanation().composition()
                instanceof io.pgfleet.domain.layer.Composition.Composed c ? c.keys().get("postgres.port").source() : "invalid");
        assertEquals(store.loadEffective(DB1).orElseThrow().effectiveSha256(),
                store.loadEffective(DB2).orElseThrow().effectiveSha256());
    }

    @Test
    void aLayerVersionThatOnlySetsADefaultExplicitlyIsNoNewRevision() {
        publish(FLEET, "[collector]\npush_interval = 15\n");
        int before = store.loadEffective(DB1).orElseThrow().revision().value();
        String announced = store.announced().toString();
        // The same values, one of them now spelled out at its default: nothing for an agent to apply.
        publish(FLEET, "[collector]\npush_interval = 15\nconfig_pull_interval = 300\n");
        assertEquals(before, store.loadEffective(DB1).orElseThrow().revision().value());
        assertEquals(List.of("fleet@2"), store.loadEffective(DB1).orElseThrow().sources());
        assertEquals(announced, store.announced().toString(), "no new revision is announced");
    }

    @Test
    void aRefusedChangeStoresNothingAndNamesEveryInvalidMember() {
        own.publish(new PublishConfigCommand(DB1, new ConfigDocument("[postgres]\npassword_env = \"PGPASSWORD\"\n"),
                new Precondition.None(), Given.alice(), ""));
        int audited = store.audit().size();

        LayerPublishResult r = publish(FLEET, "[postgres]\npassword_file = \"/etc/pw\"\n");

        LayerPublishResult.MembersInvalid invalid = assertInstanceOf(LayerPublishResult.MembersInvalid.class, r);
        assertEquals(1, invalid.total());
        assertEquals(DB1, invalid.members().get(0).collectorId());
        assertEquals("collector@1", invalid.members().get(0).errors().get(0).layer());
        assertTrue(store.versionsOf(FLEET).isEmpty());
        assertEquals(audited, store.audit().size());
        assertEquals(1, store.loadEffective(DB1).orElseThrow().revision().value());
    }

    @Test
    void aFleetLargerThanAPageIsValidatedWholeAndStoredWhole() {
        InMemoryLayerStore big = new InMemoryLayerStore();
        int n = 2 * LayerComposer.PAGE + 1;
        for (int i = 0; i < n; i++) {
            big.withCollector(String.format("big-%05d", i), Map.of("env", "prod"));
        }
        LayerChangeService bigLayers = new LayerChangeService(big, big, composer, id -> { }, s -> { }, clock);
        PublishConfigService bigOwn = new PublishConfigService(new LayeredOwnAppender(big, composer, s -> { }),
                new DocumentValidator(new LineParser()), clock);
        // One member on the first page and one on the last cannot take the new layer.
        for (int i : new int[] {3, n - 1}) {
            bigOwn.publish(new PublishConfigCommand(CollectorId.of(String.format("big-%05d", i)),
                    new ConfigDocument("[postgres]\npassword_env = \"PGPASSWORD\"\n"), new Precondition.None(), Given.alice(), ""));
        }
        LayerPublishResult.MembersInvalid refused = assertInstanceOf(LayerPublishResult.MembersInvalid.class,
                bigLayers.publish(FLEET, new ConfigDocument("[postgres]\npassword_file = \"/etc/pw\"\n"),
                        new Precondition.None(), Given.alice(), ""));
        assertEquals(2, refused.total());
        assertEquals(List.of(String.format("big-%05d", 3), String.format("big-%05d", n - 1)),
                refused.members().stream().map(m -> m.collectorId().value()).toList());
        assertTrue(big.versionsOf(FLEET).isEmpty());

        assertInstanceOf(LayerPublishResult.Published.class, bigLayers.publish(FLEET,
                new ConfigDocument("[collector]\npush_interval = 15\n"), new Precondition.None(), Given.alice(), ""));
        for (int i = 0; i < n; i++) {
            assertTrue(big.loadEffective(CollectorId.of(String.format("big-%05d", i))).orElseThrow().document().text()
                    .contains("push_interval = 15"), "big-" + i);
        }
    }

    @Test
    void watchersWokenByTheChangesAnnouncementsBeforeItHandsItsRevisionsOverReadNothingFromTheDatabase()
            throws Exception {
        AtomicInteger reads = new AtomicInteger();
        EffectiveRevisionCache here = new EffectiveRevisionCache(new CountingReads(store, reads));
        List<CompletableFuture<Integer>> answers = new ArrayList<>();
        // The database delivers a change's announcements to the listener as soon as it commits, before
        // the change returns and hands its revisions to this instance: every watcher woken then misses.
        LayerStorePort announcingAtCommit = new LayerStorePort() {
            @Override
            public <T> T transact(java.util.function.Function<Transaction, Outcome<T>> work) {
                int before = store.announced().size();
                T value = store.transact(work);
                List<Thread> woken = new ArrayList<>();
                for (String announcement : store.announced().subList(before, store.announced().size())) {
                    CollectorId id = CollectorId.of(announcement.substring(0, announcement.indexOf(':')));
                    here.published(id, new ConfigVersion(Integer.parseInt(announcement.substring(announcement.indexOf(':') + 1))));
                    CompletableFuture<Integer> answer = new CompletableFuture<>();
                    answers.add(answer);
                    woken.add(Thread.ofPlatform().start(() -> answer.complete(here.load(id).orElseThrow().revision().value())));
                }
                // Each woken watcher has read (from the database) or waits, before the change goes on.
                woken.forEach(LayerChangeServiceTest::awaitBlockedOrDone);
                return value;
            }
        };
        LayerChangeService changes = new LayerChangeService(announcingAtCommit, store, composer, id -> { },
                new CommittedChanges(here, new io.pgfleet.application.port.out.ConfigChangeFeedPort.Listener() {
                    @Override
                    public void published(CollectorId id, ConfigVersion version) {
                    }

                    @Override
                    public void resync() {
                    }
                }), clock);

        assertInstanceOf(LayerPublishResult.Published.class, changes.publish(FLEET,
                new ConfigDocument("[collector]\npush_interval = 15\n"), new Precondition.None(), Given.alice(), ""));
        assertEquals(2, answers.size());
        for (CompletableFuture<Integer> answer : answers) {
            assertEquals(1, answer.get(1, TimeUnit.MINUTES), "the committed revision");
        }
        assertEquals(0, reads.get(), "the woken watchers waited for the change rather than reading the database");
    }

    private static void awaitBlockedOrDone(Thread t) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (t.isAlive() && t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING
                && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }

    /** The store's reads of effective revisions, counted. */
    private record CountingReads(InMemoryLayerStore store, AtomicInteger reads) implements LoadLayersPort {
        @Override
        public Optional<io.pgfleet.domain.layer.EffectiveRevision> loadEffective(CollectorId id) {
            reads.incrementAndGet();
            return store.loadEffective(id);
        }

        @Override
        public Optional<io.pgfleet.domain.layer.LayerRevision> loadLatestLayer(LayerId layer) {
            return store.loadLatestLayer(layer);
        }

        @Override
        public Optional<io.pgfleet.domain.layer.LayerRevision> loadLayerVersion(LayerId layer, ConfigVersion version) {
            return store.loadLayerVersion(layer, version);
        }

        @Override
        public List<io.pgfleet.domain.layer.LayerRevision> loadLayerHistory(LayerId layer, int beforeVersion, int limit) {
            return store.loadLayerHistory(layer, beforeVersion, limit);
        }

        @Override
        public List<Group> loadGroups() {
            return store.loadGroups();
        }

        @Override
        public Optional<Group> loadGroup(GroupId id) {
            return store.loadGroup(id);
        }

        @Override
        public Optional<java.time.Instant> loadGroupDeletedAt(GroupId id) {
            return store.loadGroupDeletedAt(id);
        }

        @Override
        public List<CollectorId> loadMembers(LabelSelector selector, String after, int limit) {
            return store.loadMembers(selector, after, limit);
        }
    }

    @Test
    void aLayerInvalidByItselfIsRefusedWithItsOwnLineNumbers() {
        LayerPublishResult.Invalid r = assertInstanceOf(LayerPublishResult.Invalid.class,
                publish(FLEET, "[collector]\n\npush_interval = 0\n"));
        assertEquals("fleet@1", r.layer());
        assertEquals(3, r.errors().get(0).line());
    }

    @Test
    void labelsDecideGroupsAndALabelChangeMovesTheCollector() {
        layers.create(new Group(PROD, LabelSelector.parse("env=prod"), 0, ""), Given.alice());
        publish(new LayerId.Group(PROD), "[collectors.pg_locks]\nenabled = true\n");
        assertTrue(effective(DB1).contains("pg_locks"));
        assertTrue(store.loadEffective(DB2).isEmpty(), "db-02 is in no group and has no layer");

        assertInstanceOf(LayerChangeResult.Done.class, layers.changeLabels(DB2, Map.of("env", "prod"), Given.alice()));
        assertTrue(effective(DB2).contains("pg_locks"));
        assertEquals(List.of(DB1, DB2), layers.members(PROD, "", 10).orElseThrow());

        assertInstanceOf(LayerChangeResult.Done.class, layers.changeLabels(DB1, Map.of(), Given.alice()));
        assertEquals(2, store.loadEffective(DB1).orElseThrow().revision().value());
        assertTrue(effective(DB1).startsWith("#"), "no layer sets a value any more: a document of defaults");
    }

    @Test
    void theOwnLayerAcceptsTheEffectiveTagTheEditorRead() {
        own.publish(new PublishConfigCommand(DB1, Given.document(60), new Precondition.None(), Given.alice(), ""));
        publish(FLEET, "[collectors.pg_locks]\nenabled = true\n");
        ConfigLookup.Found read = (ConfigLookup.Found) new EffectiveConfigService(new io.pgfleet.application.fake.InMemoryConfigStore(), null, cache)
                .latest(DB1);
        EntityTag effectiveTag = read.revision().entityTag();

        PublishResult r = own.publish(new PublishConfigCommand(DB1, Given.document(30),
                new Precondition.MatchesOneOf(List.of(effectiveTag)), Given.alice(), ""));

        assertInstanceOf(PublishResult.Published.class, r);
        assertEquals(new ConfigVersion(3), store.loadEffective(DB1).orElseThrow().revision());
        assertInstanceOf(PublishResult.VersionConflict.class, own.publish(new PublishConfigCommand(DB1,
                Given.document(20), new Precondition.MatchesOneOf(List.of(effectiveTag)), Given.alice(), "")));
    }

    @Test
    void groupIdsAreNotReusedAndDeletingAGroupTakesItsValuesAway() {
        layers.create(new Group(PROD, LabelSelector.parse("env=prod"), 0, ""), Given.alice());
        publish(new LayerId.Group(PROD), "[collectors.pg_locks]\nenabled = true\n");
        assertInstanceOf(LayerChangeResult.Done.class, layers.delete(PROD, Given.alice()));
        assertTrue(!effective(DB1).contains("pg_locks"));
        assertInstanceOf(LayerChangeResult.AlreadyExists.class,
                layers.create(new Group(PROD, LabelSelector.parse("env=prod"), 0, ""), Given.alice()));
        assertInstanceOf(LayerPublishResult.GroupNotFound.class, publish(new LayerId.Group(PROD), "[collector]\nwatch = true\n"));
        assertInstanceOf(LayerChangeResult.NotFound.class,
                layers.update(PROD, Optional.empty(), OptionalInt.of(3), Optional.empty(), Given.alice()));
    }

    @Test
    void aChangeToWhatIsAlreadyThereIsDoneWithNothingAuditedOrStored() {
        layers.create(new Group(PROD, LabelSelector.parse("env=prod"), 5, "the production databases"), Given.alice());
        publish(new LayerId.Group(PROD), "[collectors.pg_locks]\nenabled = true\n");
        int audited = store.audit().size();
        ConfigVersion revision = store.loadEffective(DB1).orElseThrow().revision();

        assertEquals(new LayerChangeResult.Done(0), layers.update(PROD, Optional.of(LabelSelector.parse("env=prod")),
                OptionalInt.of(5), Optional.of("the production databases"), Given.alice()));
        assertEquals(new LayerChangeResult.Done(0), layers.update(PROD, Optional.empty(), OptionalInt.empty(),
                Optional.empty(), Given.alice()));
        assertEquals(new LayerChangeResult.Done(0), layers.changeLabels(DB1, Map.of("env", "prod"), Given.alice()));

        assertEquals(audited, store.audit().size(), "no audit entry for a change that changes nothing");
        assertEquals(revision, store.loadEffective(DB1).orElseThrow().revision());
        assertInstanceOf(LayerChangeResult.Done.class, layers.update(PROD, Optional.empty(), OptionalInt.of(6),
                Optional.empty(), Given.alice()));
        assertEquals(audited + 1, store.audit().size(), "a real change is audited");
    }

    @Test
    void aLabelStoredByAnEarlierReleaseStaysWhenAnotherLabelOfItsCollectorChanges() {
        // An earlier release let these be stored: a space, a comma and a Cyrillic o (U+043E).
        store.withCollector("db-03", Map.of("env", "prod eu", "site", "a,b", "tier", "pr\u043Ed", "team", "a"));
        CollectorId db3 = CollectorId.of("db-03");

        assertInstanceOf(LayerChangeResult.Done.class, layers.changeLabels(db3,
                Map.of("env", "prod eu", "site", "a,b", "tier", "pr\u043Ed", "team", "b"), Given.alice()));
        assertEquals(List.of(db3), store.loadMembers(new LabelSelector(Map.of("team", "b", "env", "prod eu")), "", 10),
                "the new value is stored and the earlier one stays as it was");

        // A changed or new value follows today's rule, the stored one's kind included.
        IllegalArgumentException changed = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> layers.changeLabels(db3, Map.of("env", "prod us", "team", "b"), Given.alice()));
        assertTrue(changed.getMessage().contains("'env'"), changed.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> layers.changeLabels(db3, Map.of("env", "prod eu", "region", "eu west"), Given.alice()));
    }

    @Test
    void aCollectorStoredWithMoreLabelsThanTheLimitMayShedSomeButNotGainOne() {
        Map<String, String> forty = new java.util.TreeMap<>();
        for (int i = 0; i < 40; i++) {
            forty.put("l" + i, "v");
        }
        store.withCollector("db-04", forty);
        CollectorId db4 = CollectorId.of("db-04");
        Map<String, String> more = new java.util.TreeMap<>(forty);
        more.put("l40", "v");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> layers.changeLabels(db4, more, Given.alice()));

        Map<String, String> fewer = new java.util.TreeMap<>(forty);
        fewer.remove("l0");
        assertInstanceOf(LayerChangeResult.Done.class, layers.changeLabels(db4, fewer, Given.alice()));
        assertEquals(List.of(), store.loadMembers(new LabelSelector(Map.of("l0", "v")), "", 10));
    }

    @Test
    void aSelectorStoredByAnEarlierReleaseCanBeSentBackWithANewPriority() {
        LabelSelector old = new LabelSelector(Map.of("env", "prod eu"));
        store.transact(tx -> {
            tx.saveGroup(new Group(PROD, old, 5, ""), Given.T0);
            return LayerStorePort.Outcome.commit(0);
        });

        assertInstanceOf(LayerChangeResult.Done.class,
                layers.update(PROD, Optional.of(old), OptionalInt.of(6), Optional.empty(), Given.alice()));
        assertEquals(6, store.loadGroup(PROD).orElseThrow().priority());
        assertInstanceOf(LayerChangeResult.Done.class, layers.update(PROD,
                Optional.of(new LabelSelector(Map.of("env", "prod eu", "region", "eu"))), OptionalInt.empty(),
                Optional.empty(), Given.alice()));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> layers.update(PROD,
                Optional.of(new LabelSelector(Map.of("env", "prod us"))), OptionalInt.empty(), Optional.empty(),
                Given.alice()));
    }
}
