package io.pgfleet.domain.fleet;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HostFactsTest {

    private static HostFacts.PostgresFacts pg(List<String> preload, List<String> databases) {
        return new HostFacts.PostgresFacts("localhost", 5432, 160004, preload, databases, false, Map.of());
    }

    @Test
    void namesAndTheOsTextHoldNoLineOrParagraphSeparatorsSinceOperatorsReadThemInGaps() {
        assertThrows(IllegalArgumentException.class, () -> pg(List.of("pg_stat\u2028statements"), List.of("postgres")));
        assertThrows(IllegalArgumentException.class, () -> pg(List.of(), List.of("app\u2029")));
        assertThrows(IllegalArgumentException.class, () -> new HostFacts(1, "Linux\u2028amd64", Optional.empty()));
        assertFalse(HostFacts.IDENTIFIER.matcher("a\u2028b").matches(), "agents leave such a name out");
        assertDoesNotThrow(() -> new HostFacts(1, "Linux 6.1 amd64", Optional.of(pg(List.of("pg_stat_statements"),
                List.of("postgres", "données")))));
    }
}
