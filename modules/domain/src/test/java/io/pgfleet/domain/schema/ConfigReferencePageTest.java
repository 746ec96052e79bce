package io.pgfleet.domain.schema;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** docs/configuration.md is generated from the schema; this test fails when they drift apart. */
class ConfigReferencePageTest {

    private static final Path PAGE = Path.of("..", "..", "docs", "configuration.md");

    @Test
    void theReferencePageMatchesTheSchema() throws IOException {
        String generated = ConfigSchema.referenceMarkdown();
        Path fresh = Path.of("target", "configuration.md");
        Files.createDirectories(fresh.getParent());
        Files.writeString(fresh, generated);
        assertTrue(Files.exists(PAGE), "docs/configuration.md is missing; copy " + fresh.toAbsolutePath() + " there");
        assertEquals(generated, Files.readString(PAGE),
                "docs/configuration.md disagrees with ConfigSchema; copy " + fresh.toAbsolutePath() + " over it");
    }

    @Test
    void everyKeyOfTheSchemaIsOnThePage() {
        String page = ConfigSchema.referenceMarkdown();
        for (ConfigSchema.Section s : ConfigSchema.sections()) {
            assertTrue(page.contains("## `[" + s.path() + "]`"), s.path());
            for (ConfigSchema.Key k : s.keys()) {
                assertTrue(page.contains("| `" + k.name() + "` | " + k.type().describe()), s.path() + "." + k.name());
            }
        }
    }
}
