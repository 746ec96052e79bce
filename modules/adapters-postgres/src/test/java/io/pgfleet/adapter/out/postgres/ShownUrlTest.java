package io.pgfleet.adapter.out.postgres;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A database URL as a start failure shows it: no password in any of the places one can be written. */
class ShownUrlTest {

    @Test
    void parametersAreLeftOut() {
        assertEquals("jdbc:postgresql://db.example:5432/pgfleet",
                DatabaseSettings.shown("jdbc:postgresql://db.example:5432/pgfleet?user=p&password=s3cret"));
        assertEquals("jdbc:postgresql://db.example/pgfleet",
                DatabaseSettings.shown("jdbc:postgresql://db.example/pgfleet?sslmode=require&password=s3cret"));
    }

    @Test
    void thePasswordOfAUserPartIsHidden() {
        assertEquals("jdbc:postgresql://bob:***@db.example:5432/pgfleet",
                DatabaseSettings.shown("jdbc:postgresql://bob:s3cret@db.example:5432/pgfleet"));
        assertEquals("jdbc:postgresql://bob:***@db.example",
                DatabaseSettings.shown("jdbc:postgresql://bob:s3cret@db.example"));
        assertEquals("jdbc:postgresql://bob:***@db.example/pgfleet",
                DatabaseSettings.shown("jdbc:postgresql://bob:p@ss:w@rd@db.example/pgfleet?password=x"));
    }

    @Test
    void aUrlRefusedOrPrintedDoesNotShowItsPassword() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DatabaseSettings("postgres://pgfleet:s3cret@db.example/pgfleet", "u", "p", 1));
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
        assertTrue(e.getMessage().contains("postgres://pgfleet:***@db.example/pgfleet"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new DatabaseSettings("jdbc:postgresql://db.example:5432x/pgfleet?password=s3cret", "u", "p", 1));
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
        assertTrue(e.getMessage().contains("jdbc:postgresql://db.example:5432x/pgfleet cannot be read"), e.getMessage());
        String printed = new DatabaseSettings("jdbc:postgresql://db.example/pgfleet?password=s3cret", "u", "p", 1).toString();
        assertFalse(printed.contains("s3cret"), printed);
    }

    @Test
    void aUrlWithoutSecretsIsShownAsItIs() {
        assertEquals("jdbc:postgresql://db.example:5432/pgfleet",
                DatabaseSettings.shown("jdbc:postgresql://db.example:5432/pgfleet"));
        assertEquals("jdbc:postgresql://bob@db.example/pgfleet",
                DatabaseSettings.shown("jdbc:postgresql://bob@db.example/pgfleet"));
        assertEquals("jdbc:postgresql://h1:5432,h2:5433/pgfleet",
                DatabaseSettings.shown("jdbc:postgresql://h1:5432,h2:5433/pgfleet"));
        assertEquals("jdbc:postgresql:pgfleet", DatabaseSettings.shown("jdbc:postgresql:pgfleet"));
    }
}
