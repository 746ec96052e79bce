package io.pgfleet.domain.collector;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CollectorTest {

    private static Collector withLabels(Map<String, String> labels) {
        return new Collector(CollectorId.of("db-01"), "db-01", "", labels, Instant.EPOCH, false);
    }

    @Test
    void newLabelsCarryNoControlCharactersAndValuesOfAtMost200Characters() {
        assertEquals(Map.of("env", "prod"), Collector.checkNewLabels(Map.of("env", "prod")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Collector.checkNewLabels(Map.of("env", "prod\n\u001b[31mred")));
        assertTrue(e.getMessage().contains("must not contain U+000A"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Collector.checkNewLabels(Map.of("env", "p".repeat(201))));
        assertThrows(IllegalArgumentException.class, () -> Collector.checkNewLabels(Map.of("", "prod")));
        assertThrows(IllegalArgumentException.class, () -> Collector.checkNewLabels(Map.of("e\tnv", "prod")));
    }

    @Test
    void newLabelsAreNamedAsASelectorCanNameThemAndAreAtMost32() {
        assertEquals(Map.of("team/db.x_y-1", "a-b"), Collector.checkNewLabels(Map.of("team/db.x_y-1", "a-b")));
        for (String name : java.util.List.of("has space", "-env", "env=prod", "e,nv", "x".repeat(64), "\u001b[31m")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Collector.checkNewLabels(Map.of(name, "v")), name);
            assertTrue(e.getMessage().startsWith("label name '"), e.getMessage());
            assertTrue(e.getMessage().chars().noneMatch(Character::isISOControl), e.getMessage());
        }
        Map<String, String> many = new java.util.HashMap<>();
        for (int i = 0; i < 33; i++) {
            many.put("k" + i, "v");
        }
        assertThrows(IllegalArgumentException.class, () -> Collector.checkNewLabels(many));
        many.remove("k0");
        assertEquals(32, Collector.checkNewLabels(many).size());
    }

    @Test
    void newLabelValuesNamesAndHostnamesCarryNothingATerminalWouldActOn() {
        for (String text : java.util.List.of("\u202eevil", "h\u2066x", "a\u2028b", "prod\u009b", "x\u200f")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Collector.checkNewLabels(Map.of("env", text)), text);
            assertTrue(e.getMessage().contains("must not contain U+"), e.getMessage());
            IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                    () -> Collector.checkNewText("name", text), text);
            assertTrue(name.getMessage().contains("bidirectional") && name.getMessage().contains("U+"), name.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Collector.checkNewText("hostname", text), text);
        }
        assertThrows(IllegalArgumentException.class, () -> Collector.checkNewText("name", "n\nx"), "a line feed too");
        assertThrows(IllegalArgumentException.class, () -> Collector.checkNewText("name", "n".repeat(201)));
        assertEquals("db-01 (Zürich)", Collector.checkNewText("name", "db-01 (Zürich)"));
        // What an earlier release stored still loads.
        assertEquals("\u202eevil", new Collector(CollectorId.of("db-01"), "\u202eevil", "h\u2066x", Map.of("x", "\u202e"),
                Instant.EPOCH, false).name());
    }

    @Test
    void labelsAnEarlierReleaseCouldStoreStillLoad() {
        Collector c = withLabels(Map.of("env", "prod\nred", "long", "v".repeat(256)));
        assertEquals("prod\nred", c.labels().get("env"));
        assertThrows(IllegalArgumentException.class, () -> withLabels(Map.of("env", "v".repeat(257))));
        assertThrows(IllegalArgumentException.class, () -> withLabels(Map.of("env", "nul\u0000")));
        assertThrows(IllegalArgumentException.class, () -> withLabels(Map.of("", "prod")));
    }

    @Test
    void aNewLabelValueHoldsNoCommaSinceASelectorSeparatesLabelsWithOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Collector.checkNewLabels(Map.of("env", "prod,eu")));
        assertTrue(e.getMessage().contains("label value of 'env' must not contain a comma (at character 5)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Collector.checkNewLabels(Map.of("env", ",")));
        // One an earlier release stored still loads.
        assertEquals("prod,eu", withLabels(Map.of("env", "prod,eu")).labels().get("env"));
    }

    @Test
    void aNewLabelValueIsAsciiLettersDigitsAndAFewMarksSoThatTwoValuesThatLookAlikeAreAlike() {
        Map<String, String> fine = Map.of("a", "eu-west-1", "b", "db_01.example:5432", "c", "team/payments",
                "d", "ops@example", "e", "", "f", "v".repeat(200));
        assertEquals(fine, Collector.checkNewLabels(fine));
        // A Cyrillic 'о', a zero-width space, a no-break space, a word joiner, a fullwidth 'ｐ', a byte
        // order mark, a letter with an accent, a space, a plus (a space in a query): each named, with its place.
        for (String value : java.util.List.of("pr\u043Ed", "prod\u200B", "pr\u00A0od", "pr\u2060od", "\uFF50rod",
                "\uFEFFprod", "z\u00FCrich", "a b", "1+2", "a=b", "x\uD83D\uDE00")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Collector.checkNewLabels(Map.of("env", value)), value);
            assertTrue(e.getMessage().startsWith("label value of 'env' must not contain U+"), e.getMessage());
            assertTrue(e.getMessage().contains("ASCII letters, digits"), e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Collector.checkNewLabels(Map.of("env", "pr\u043Ed")))
                .getMessage().contains("U+043E CYRILLIC SMALL LETTER O (at character 3)"));
        // One an earlier release stored still loads.
        assertEquals("pr\u043Ed", withLabels(Map.of("env", "pr\u043Ed")).labels().get("env"));
    }

    @Test
    void lengthLimitsCountCharactersNotUtf16Units() {
        String rocket = "\uD83D\uDE80"; // one character, two UTF-16 units
        assertEquals(rocket.repeat(200), Collector.checkNewText("name", rocket.repeat(200)));
        assertThrows(IllegalArgumentException.class, () -> Collector.checkNewText("name", rocket.repeat(201)));
        assertEquals(rocket.repeat(200), new Collector(CollectorId.of("db-01"), rocket.repeat(200), rocket.repeat(200), Map.of(),
                Instant.EPOCH, false).name(), "and such a name loads");
        assertEquals(rocket.repeat(1000), new io.pgfleet.domain.layer.Group(new io.pgfleet.domain.layer.GroupId("g"),
                new io.pgfleet.domain.layer.LabelSelector(Map.of()), 0, rocket.repeat(1000)).description());
        assertThrows(IllegalArgumentException.class, () -> new io.pgfleet.domain.layer.Group(
                new io.pgfleet.domain.layer.GroupId("g"), new io.pgfleet.domain.layer.LabelSelector(Map.of()), 0,
                rocket.repeat(1001)));
    }
}
