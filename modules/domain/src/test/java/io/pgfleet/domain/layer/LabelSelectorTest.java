package io.pgfleet.domain.layer;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LabelSelectorTest {

    @Test
    void aNewSelectorHoldsOnlyLabelsACollectorCanCarryAndSaysWhyOtherwise() {
        for (String value : java.util.List.of("prod\u0001", "\u001b[31m", "\u202eprod\u009b", "a\u2028b", "v".repeat(201))) {
            LabelSelector s = new LabelSelector(Map.of("env", value));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabelSelector.checkNew(s), value);
            assertTrue(e.getMessage().contains("no collector could carry") && e.getMessage().contains("'env'"), e.getMessage());
            assertTrue(e.getMessage().chars().noneMatch(c -> io.pgfleet.domain.common.ShownText.actedOn((char) c)),
                    e.getMessage());
        }
        assertDoesNotThrow(() -> LabelSelector.checkNew(new LabelSelector(Map.of("env", "prod", "team/db", "eu-west_1.a/b:c@d"))));
        assertDoesNotThrow(() -> LabelSelector.checkNew(new LabelSelector(Map.of())));
        // A collector may carry an empty value, so a selector may ask for one.
        assertTrue(LabelSelector.checkNew(new LabelSelector(Map.of("env", ""))).matches(Map.of("env", "")));
    }

    @Test
    void aSelectorStoredByAnEarlierReleaseStillLoads() {
        LabelSelector stored = new LabelSelector(Map.of("env", "\u202eprod\u009b", "long", "v".repeat(256)));
        assertFalse(stored.matches(Map.of("env", "prod")));
        assertEquals(2, stored.labels().size());
    }

    @Test
    void aValueBeyondEveryRuleIsRefusedWithTheRuleForNewLabels() {
        // Only new input reaches this refusal (nothing stored is longer than 256), so it states the
        // rule a new label follows, 200 characters, not the wider bound stored labels load under.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LabelSelector(Map.of("env", "v".repeat(257))));
        assertTrue(e.getMessage().contains("'env'") && e.getMessage().contains("at most 200 characters"), e.getMessage());
        assertFalse(e.getMessage().contains("256"), e.getMessage());
    }

    @Test
    void aValueLongInUnitsButShortInCharactersIsRefusedForWhatItHolds() {
        // 129 characters beyond the Basic Multilingual Plane are 258 UTF-16 units: beyond the stored
        // bound, yet shorter than 200 characters, so "at most 200 characters, got 129" would contradict itself.
        String value = "\uD83D\uDE00".repeat(129);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LabelSelector(Map.of("env", value)));
        assertTrue(e.getMessage().contains("'env'") && e.getMessage().contains("must not contain"), e.getMessage());
        assertFalse(e.getMessage().contains("got 129"), e.getMessage());
    }

    @Test
    void aRefusedNameIsQuotedEscaped() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LabelSelector(Map.of("\u202eenv", "prod")));
        assertTrue(e.getMessage().contains("\\u202eenv"), e.getMessage());
    }

    @Test
    void aSelectorCannotAskForAValueWithACommaNorBeGivenOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("env=prod,eu"));
        assertTrue(e.getMessage().contains("a label value holds no comma"), e.getMessage());
        IllegalArgumentException group = assertThrows(IllegalArgumentException.class,
                () -> LabelSelector.checkNew(new LabelSelector(Map.of("env", "prod,eu"))));
        assertTrue(group.getMessage().contains("comma"), group.getMessage());
    }
}
