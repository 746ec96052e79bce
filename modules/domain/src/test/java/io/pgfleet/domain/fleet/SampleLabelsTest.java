package io.pgfleet.domain.fleet;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a sample pushed now may carry in its labels, and what a batch may name: each point once.
 * Samples stored before the label rule still load.
 */
class SampleLabelsTest {

    private static final Instant T = Instant.parse("2026-12-01T10:00:00Z");

    private static Sample sample(String name, Map<String, String> labels, Instant ts) {
        return new Sample(name, labels, 1, ts);
    }

    private static Optional<Sample.LabelRefusal> refusal(Map<String, String> labels) {
        return sample("m", labels, T).newLabelRefusal();
    }

    @Test
    void rejectsNewLabelKeysOutsidePrometheusLabelNamesNamingTheKeyAndTheRule() {
        for (String key : List.of("\u202e", "\u001b[2J", "a\nb", "\ufeffa", "\ue000", "<img src=x>", "a-b", "a.b",
                "1a", "__name__", "__", "é")) {
            assertEquals(Optional.of(new Sample.LabelRefusal(key, Sample.LABEL_KEY_RULE)), refusal(Map.of(key, "v")), key);
        }
    }

    @Test
    void acceptsEveryLabelKeyTheAgentSendsAndKeysOfSixtyFourCharacters() {
        for (String key : List.of("datname", "state", "mode", "path", "queryid", "query", "_x", "a_1", "A",
                "k".repeat(64))) {
            assertEquals(Optional.empty(), refusal(Map.of(key, "v")), key);
        }
    }

    @Test
    void rejectsNewLabelValuesHoldingControlBidiOrLineSeparatorCharactersNamingTheCharacter() {
        Map<String, String> found = Map.of("\u001b[2J", "U+001B ESCAPE at character 1", "a\nb", "U+000A",
                "a\tb", "U+0009", "x\u2028", "U+2028 LINE SEPARATOR at character 2", "\u0085", "U+0085",
                "ab\u202ec", "U+202E RIGHT-TO-LEFT OVERRIDE at character 3", "\u2066", "U+2066", "\u007f", "U+007F");
        found.forEach((value, named) -> {
            Optional<Sample.LabelRefusal> r = refusal(Map.of("ok", "fine", "db", value));
            assertTrue(r.isPresent(), value);
            assertEquals("db", r.get().key());
            assertTrue(r.get().rule().startsWith(Sample.LABEL_VALUE_RULE) && r.get().rule().contains(named), r.get().rule());
        });
    }

    @Test
    void acceptsNewLabelValuesThatCollectorLabelsAccept() {
        for (String value : List.of("", "postgres", "<script>x</script>", "/var/lib/postgresql", "SELECT $1 -- é ü 日本",
                "\uD83D\uDE00", "v".repeat(Sample.MAX_LABEL_VALUE))) {
            assertEquals(Optional.empty(), refusal(Map.of("k", value)), value);
        }
    }

    @Test
    void loadsAStoredSampleWhoseLabelsTheRuleRefusesNow() {
        Sample stored = sample("m", Map.of("\u202e", "a\u001bb"), T);
        assertEquals("a\u001bb", stored.labels().get("\u202e"));
        assertTrue(stored.newLabelRefusal().isPresent());
    }

    @Test
    void rejectsABatchNamingThePlaceOfTheFirstSampleWithARefusedLabel() {
        SampleBatch batch = new SampleBatch("batch-0001", List.of(sample("m", Map.of("k", "v"), T),
                sample("m", Map.of("k", "a\nb"), T), sample("m", Map.of("-", "v"), T)));
        Receipt.RefusedLabel refused = batch.firstRefusedLabel().orElseThrow();
        assertEquals(1, refused.index());
        assertEquals("k", refused.refusal().key());
    }

    @Test
    void rejectsABatchNamingOnePointTwiceNamingBothPlaces() {
        SampleBatch batch = new SampleBatch("batch-0001", List.of(
                sample("m_dup", Map.of("a", "1", "b", "2"), T),
                sample("m_dup", Map.of("a", "2"), T),
                new Sample("m_dup", Map.of("b", "2", "a", "1"), 2, T)));
        assertEquals(Optional.of(new Receipt.RepeatedPoint(0, 2)), batch.firstRepeatedPoint());
    }

    @Test
    void rejectsTwoSamplesOfOnePointThatDifferOnlyBelowTheMicrosecondStorageKeeps() {
        Instant within = Instant.parse("2026-12-02T02:00:00.000000100Z");
        SampleBatch batch = new SampleBatch("batch-0001", List.of(sample("m_dup", Map.of("a", "1"), within),
                sample("m_dup", Map.of("a", "1"), within.plusNanos(100))));
        assertEquals(Optional.of(new Receipt.RepeatedPoint(0, 1)), batch.firstRepeatedPoint());
        assertEquals(Instant.parse("2026-12-02T02:00:00Z"), batch.samples().get(0).ts(), "what storage will keep");
    }

    @Test
    void acceptsOneSeriesAtManyTimesAndManySeriesAtOneTime() {
        SampleBatch batch = new SampleBatch("batch-0001", List.of(sample("m", Map.of("a", "1"), T),
                sample("m", Map.of("a", "1"), T.plusNanos(1000)), sample("m", Map.of("a", "2"), T),
                sample("m", Map.of(), T), sample("n", Map.of("a", "1"), T)));
        assertEquals(Optional.empty(), batch.firstRepeatedPoint());
        assertEquals(Optional.empty(), batch.firstRefusedLabel());
    }
}
