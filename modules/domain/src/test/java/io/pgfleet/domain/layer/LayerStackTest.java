package io.pgfleet.domain.layer;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.schema.DocumentValue;
import io.pgfleet.domain.schema.SourcePosition;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerStackTest {

    private static final CollectorId DB1 = CollectorId.of("db-01");
    private static final LayerId FLEET = new LayerId.Fleet();
    private static final LayerId PROD = new LayerId.Group(new GroupId("prod"));
    private static final LayerId OWN = new LayerId.Own(DB1);

    /** Builds a table from alternating names and values, each value at line {@code line}. */
    private static DocumentValue.Table table(int line, Object... kv) {
        Map<String, DocumentValue> entries = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            entries.put((String) kv[i], value(line, kv[i + 1]));
        }
        return new DocumentValue.Table(entries, new SourcePosition(line, 1));
    }

    private static DocumentValue value(int line, Object v) {
        SourcePosition at = new SourcePosition(line, 1);
        return switch (v) {
            case DocumentValue d -> d;
            case Long l -> new DocumentValue.Whole(l, at);
            case Integer i -> new DocumentValue.Whole(i, at);
            case Boolean b -> new DocumentValue.Bool(b, at);
            case String s -> new DocumentValue.Text(s, at);
            case List<?> l -> new DocumentValue.Array(l.stream().map(x -> value(line, x)).toList(), at);
            default -> throw new IllegalArgumentException(String.valueOf(v));
        };
    }

    private static LayerContent layer(LayerId id, int version, String text, DocumentValue.Table root) {
        return new LayerContent(id, version, new ConfigDocument(text), root);
    }

    @Test
    void laterLayersWinKeyByKeyAndEveryKeyNamesItsSource() {
        LayerContent fleet = layer(FLEET, 3, "fleet", table(1,
                "collector", table(1, "push_interval", 30, "watch", false),
                "postgres", table(4, "databases", List.of("a", "b"), "port", 5433)));
        LayerContent group = layer(PROD, 7, "group", table(1,
                "collector", table(1, "push_interval", 20),
                "postgres", table(3, "databases", List.of("c"))));
        LayerContent own = layer(OWN, 2, "own", table(1, "collector", table(2, "push_interval", 10)));

        Composition.Composed c = assertInstanceOf(Composition.Composed.class,
                LayerStack.compose(List.of(fleet, group, own), false));

        assertEquals(List.of("fleet@3", "group/prod@7", "collector@2"), c.sources());
        assertEquals(new KeySource(10L, "collector@2"), c.keys().get("collector.push_interval"));
        assertEquals(new KeySource(false, "fleet@3"), c.keys().get("collector.watch"));
        // Arrays are replaced whole, not appended to.
        assertEquals(new KeySource(List.of("c"), "group/prod@7"), c.keys().get("postgres.databases"));
        assertEquals(new KeySource(5433L, "fleet@3"), c.keys().get("postgres.port"));
        assertEquals(new KeySource(300L, KeySource.DEFAULT), c.keys().get("collector.config_pull_interval"));
        assertEquals(10, c.effective().pushInterval().toSeconds());
        assertEquals("""
                [collector]
                push_interval = 10
                watch = false

                [postgres]
                port = 5433
                databases = ["c"]
                """, c.document().orElseThrow().text());
    }

    @Test
    void withoutOtherContributingLayersTheOwnTextIsKeptByteForByte() {
        String text = "# mine\n[collector]\npush_interval = 10 # fast\n";
        LayerContent own = layer(OWN, 4, text, table(1, "collector", table(2, "push_interval", 10)));
        // A fleet layer of comments only sets nothing.
        LayerContent emptyFleet = layer(FLEET, 1, "# nothing yet\n", table(1));

        Composition.Composed c = assertInstanceOf(Composition.Composed.class,
                LayerStack.compose(List.of(emptyFleet, own), false));

        assertEquals(text, c.document().orElseThrow().text());
        assertEquals(List.of("fleet@1", "collector@4"), c.sources());
    }

    @Test
    void aKeyRemovedFromAnUpperLayerFallsBackToTheLowerOne() {
        LayerContent fleet = layer(FLEET, 1, "f", table(1, "collector", table(1, "push_interval", 30)));
        LayerContent groupBefore = layer(PROD, 1, "g", table(1, "collector", table(1, "push_interval", 20)));
        LayerContent groupAfter = layer(PROD, 2, "g2", table(1, "postgres", table(1, "port", 6432)));

        Composition.Composed before = (Composition.Composed) LayerStack.compose(List.of(fleet, groupBefore), false);
        Composition.Composed after = (Composition.Composed) LayerStack.compose(List.of(fleet, groupAfter), false);

        assertEquals(new KeySource(20L, "group/prod@1"), before.keys().get("collector.push_interval"));
        assertEquals(new KeySource(30L, "fleet@1"), after.keys().get("collector.push_interval"));
    }

    @Test
    void aMergedDocumentThatBreaksTheSchemaNamesTheLayerAndPositionOfEachError() {
        LayerContent fleet = layer(FLEET, 2, "f", table(1, "postgres", table(5, "password_file", "/etc/pw")));
        LayerContent own = layer(OWN, 1, "o", table(1, "postgres", table(3, "password_env", "PGPASSWORD")));

        Composition.Invalid invalid = assertInstanceOf(Composition.Invalid.class,
                LayerStack.compose(List.of(fleet, own), false));

        LayerError e = invalid.errors().get(0);
        assertEquals("collector@1", e.layer());
        assertEquals("postgres.password_env", e.error().key());
        assertEquals(3, e.error().line());
    }

    @Test
    void aTableOverAValueReplacesItAndTheOtherWayRound() {
        // Each layer alone is invalid here, but the merge itself must not fail: the validator reports it.
        LayerContent fleet = layer(FLEET, 1, "f", table(1, "collector", 5));
        LayerContent own = layer(OWN, 1, "o", table(2, "collector", table(2, "watch", true)));

        Composition.Composed c = assertInstanceOf(Composition.Composed.class,
                LayerStack.compose(List.of(fleet, own), false));

        assertEquals(new KeySource(true, "collector@1"), c.keys().get("collector.watch"));
    }

    @Test
    void theCanonicalTextEscapesStringsAndKeepsSchemaOrder() {
        LayerContent fleet = layer(FLEET, 1, "f", table(1,
                "collectors", table(1, "disk_usage", table(1, "paths", List.of("/data \"x\""), "enabled", false),
                        "pg_locks", table(2, "enabled", true)),
                "postgres", table(3, "password_file", "/etc/pw\\x")));

        Composition.Composed c = (Composition.Composed) LayerStack.compose(List.of(fleet), false);

        assertEquals("""
                [postgres]
                password_file = "/etc/pw\\\\x"

                [collectors.pg_locks]
                enabled = true

                [collectors.disk_usage]
                enabled = false
                paths = ["/data \\"x\\""]
                """, c.document().orElseThrow().text());
    }

    @Test
    void noLayerAtAllIsNoDocumentButLayersThatStopSettingValuesLeaveADocumentOfDefaults() {
        assertTrue(((Composition.Composed) LayerStack.compose(List.of(), false)).document().isEmpty());
        assertEquals(LayerStack.NO_VALUES,
                ((Composition.Composed) LayerStack.compose(List.of(), true)).document().orElseThrow().text());
    }

    @Test
    void groupsApplyByAscendingPriorityThenIdAndOnlyWhenEveryLabelMatches() {
        Group late = new Group(new GroupId("b-late"), LabelSelector.parse("env=prod"), 10, "");
        Group tie = new Group(new GroupId("a-tie"), LabelSelector.parse("env=prod"), 10, "");
        Group early = new Group(new GroupId("z-early"), LabelSelector.parse("env=prod,region=eu"), 1, "");
        Group other = new Group(new GroupId("staging"), LabelSelector.parse("env=staging"), 0, "");

        assertEquals(List.of(early, tie, late),
                LayerStack.applicable(List.of(late, tie, early, other), Map.of("env", "prod", "region", "eu")));
        assertEquals(List.of(tie, late), LayerStack.applicable(List.of(late, tie, early, other), Map.of("env", "prod")));
    }

    @Test
    void theEffectiveRevisionRisesOnlyWhenTheDocumentChanges() {
        LayerContent own = layer(OWN, 5, "[collector]\nwatch = true\n", table(1, "collector", table(2, "watch", true)));
        Composition.Composed c = (Composition.Composed) LayerStack.compose(List.of(own), false);
        Instant t = Instant.parse("2026-11-30T00:00:00Z");
        EffectiveRevision current = new EffectiveRevision(DB1, new ConfigVersion(5), own.text(), own.text().hash(),
                c.effective().sha256(), List.of("collector@5"), t, 300);

        assertEquals(Optional.empty(), EffectiveRevision.after(DB1, Optional.of(current), c, t));

        LayerContent emptyFleet = layer(FLEET, 1, "# soon\n", table(1));
        Composition.Composed withFleet = (Composition.Composed) LayerStack.compose(List.of(emptyFleet, own), true);
        EffectiveRevision sourcesOnly = EffectiveRevision.after(DB1, Optional.of(current), withFleet, t).orElseThrow();
        assertEquals(5, sourcesOnly.revision().value());
        assertEquals(List.of("fleet@1", "collector@5"), sourcesOnly.sources());

        LayerContent fleet = layer(FLEET, 2, "f", table(1, "collector", table(1, "push_interval", 5)));
        Composition.Composed changed = (Composition.Composed) LayerStack.compose(List.of(fleet, own), true);
        EffectiveRevision next = EffectiveRevision.after(DB1, Optional.of(current), changed, t).orElseThrow();
        assertEquals(6, next.revision().value());
        assertFalse(next.document().text().equals(own.text().text()));
    }

    @Test
    void theExampleOfTheReferencePageIsWhatTheMergeRenders() throws Exception {
        LayerContent fleet = layer(FLEET, 1, "f", table(1, "collector", table(1, "push_interval", 60),
                "collectors", table(4, "pg_locks", table(4, "enabled", true))));
        LayerContent prod = layer(PROD, 1, "g", table(1, "collector", table(1, "push_interval", 15)));
        LayerContent own = layer(OWN, 1, "o", table(1, "postgres", table(1, "port", 6432)));

        Composition.Composed c = (Composition.Composed) LayerStack.compose(List.of(fleet, prod, own), false);

        String page = java.nio.file.Files.readString(java.nio.file.Path.of("..", "..", "docs", "configuration.md"));
        assertTrue(page.contains("```toml\n" + c.document().orElseThrow().text() + "```"), c.document().orElseThrow().text());
        assertEquals(new KeySource(15L, "group/prod@1"), c.keys().get("collector.push_interval"));
        assertEquals(new KeySource(true, "fleet@1"), c.keys().get("collectors.pg_locks.enabled"));
    }

    @Test
    void selectorsParseAndRefuseMalformedParts() {
        assertEquals(Map.of("env", "prod", "region", "eu"), LabelSelector.parse("env=prod, region=eu").labels());
        assertTrue(LabelSelector.parse("").matches(Map.of("any", "thing")));
        assertThrowsIae(() -> LabelSelector.parse("env"));
        assertThrowsIae(() -> LabelSelector.parse("env=a,env=b"));
        assertThrowsIae(() -> LabelSelector.parse("=x"));
    }

    private static void assertThrowsIae(Runnable r) {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, r::run);
    }
}
