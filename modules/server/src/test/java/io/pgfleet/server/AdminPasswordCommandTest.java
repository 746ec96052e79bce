package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code reset-admin-password --password-stdin} refuses a password too short before it reaches the
 * database, counting characters as the API does (Unicode code points), not UTF-16 units.
 */
class AdminPasswordCommandTest {

    @Test
    @Timeout(60)
    void sixEmojiAreSixCharactersAndRefusedBeforeTheDatabaseIsAsked() {
        String sixEmoji = "\uD83D\uDE00".repeat(6); // twelve UTF-16 units
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        // A database nobody listens at: a refusal that reached it would say so instead.
        int exit = AdminPasswordCommand.run(new String[] {"reset-admin-password", "--user", "admin", "--password-stdin"},
                Map.of("PGFLEET_DB_URL", "jdbc:postgresql://127.0.0.1:1/pgfleet", "PGFLEET_DB_USER", "pgfleet",
                        "PGFLEET_DB_PASSWORD", "unused-password"),
                new ByteArrayInputStream((sixEmoji + "\n").getBytes(StandardCharsets.UTF_8)),
                new PrintStream(OutputStream.nullOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(1, exit, err.toString(StandardCharsets.UTF_8));
        assertEquals("pgfleet reset-admin-password: the password has at least 12 characters; nothing was changed",
                err.toString(StandardCharsets.UTF_8).strip());
    }
}
