package io.pgfleet.adapter.out.postgres;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DurabilityNotesTest {

    @Test
    void aDurableDatabaseGivesNoNote() {
        assertEquals(List.of(), PostgresStorage.durabilityNotes(
                Map.of("fsync", "on", "full_page_writes", "on", "synchronous_commit", "on")));
        assertEquals(List.of(), PostgresStorage.durabilityNotes(
                Map.of("fsync", "on", "full_page_writes", "on", "synchronous_commit", "local")));
    }

    @Test
    void fsyncOrFullPageWritesOffIsAWarningNamingTheSetting() {
        List<PostgresStorage.DurabilityNote> notes = PostgresStorage.durabilityNotes(
                Map.of("fsync", "off", "full_page_writes", "off", "synchronous_commit", "on"));
        assertEquals(2, notes.size(), notes.toString());
        assertTrue(notes.stream().allMatch(PostgresStorage.DurabilityNote::unsafe));
        assertTrue(notes.get(0).line().startsWith("the database runs with fsync = off"), notes.get(0).line());
        assertTrue(notes.get(1).line().startsWith("the database runs with full_page_writes = off"), notes.get(1).line());
    }

    @Test
    void synchronousCommitOffIsSaidAsMadeUpFor() {
        List<PostgresStorage.DurabilityNote> notes = PostgresStorage.durabilityNotes(
                Map.of("fsync", "on", "full_page_writes", "on", "synchronous_commit", "off"));
        assertEquals(1, notes.size());
        assertEquals(false, notes.getFirst().unsafe());
        assertTrue(notes.getFirst().line().contains("pgfleet's own sessions commit with synchronous_commit = on"));
    }
}
