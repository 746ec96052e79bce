package io.pgfleet.adapter.in.http;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigSourcesHeaderTest {

    @Test
    void aFewSourcesAreListedAsTheyMerge() {
        assertEquals("fleet@3, group/prod-eu@7, collector@2",
                ConfigHttpService.sourcesHeader(List.of("fleet@3", "group/prod-eu@7", "collector@2")));
    }

    @Test
    void hundredsOfGroupsStayWithinAKilobyteAndSayHowManyMoreThereAre() {
        List<String> sources = new ArrayList<>(List.of("fleet@1"));
        for (int i = 0; i < 300; i++) {
            sources.add("group/group-number-" + i + "@1");
        }
        sources.add("collector@4");
        String header = ConfigHttpService.sourcesHeader(sources);
        assertTrue(header.length() <= ConfigHttpService.MAX_SOURCES_HEADER, header.length() + ": " + header);
        assertTrue(header.startsWith("fleet@1, group/group-number-0@1, "), header);
        int listed = header.split(", ").length - 1;
        assertTrue(header.endsWith(", +" + (sources.size() - listed) + " more"), header);
        assertTrue(listed > 30, "lists what fits: " + header);
    }

    @Test
    void oneSourceTooLongForTheHeaderIsCountedNotCut() {
        assertEquals("+1 more", ConfigHttpService.sourcesHeader(List.of("x".repeat(2000))));
    }
}
