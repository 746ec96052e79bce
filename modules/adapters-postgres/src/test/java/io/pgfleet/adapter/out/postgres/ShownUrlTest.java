package io.pgfleet.adapter.out.postgres;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A database URL as a start failure shows it: no password in any of the places one can be written. */
class ShownUrlTest {

    @Test
    void parametersAreLeftOut() {
        assertEquals("jdbc:postgresql://db.example:5432/pgfleet",
                PostgresStorage.shownUrl("jdbc:postgresql://db.example:5432/pgfleet?user=p&password=s3cret"));
        assertEquals("jdbc:postgresql://db.example/pgfleet",
                PostgresStorage.shownUrl("jdbc:postgresql://db.example/pgfleet?sslmode=require&password=s3cret"));
    }

    @Test
    void thePasswordOfAUserPartIsHidden() {
        assertEquals("jdbc:postgresql://bob:***@db.example:5432/pgfleet",
                PostgresStorage.shownUrl("jdbc:postgresql://bob:s3cret@db.example:5432/pgfleet"));
        assertEquals("jdbc:postgresql://bob:***@db.example",
                PostgresStorage.shownUrl("jdbc:postgresql://bob:s3cret@db.example"));
        assertEquals("jdbc:postgresql://bob:***@db.example/pgfleet",
                PostgresStorage.shownUrl("jdbc:postgresql://bob:p@ss:w@rd@db.example/pgfleet?password=x"));
    }

    @Test
    void aUrlWithoutSecretsIsShownAsItIs() {
        assertEquals("jdbc:postgresql://db.example:5432/pgfleet",
                PostgresStorage.shownUrl("jdbc:postgresql://db.example:5432/pgfleet"));
        assertEquals("jdbc:postgresql://bob@db.example/pgfleet",
                PostgresStorage.shownUrl("jdbc:postgresql://bob@db.example/pgfleet"));
        assertEquals("jdbc:postgresql://h1:5432,h2:5433/pgfleet",
                PostgresStorage.shownUrl("jdbc:postgresql://h1:5432,h2:5433/pgfleet"));
        assertEquals("jdbc:postgresql:pgfleet", PostgresStorage.shownUrl("jdbc:postgresql:pgfleet"));
    }
}
