package io.pgfleet.domain.fleet;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostAllowancesTest {

    private static IllegalArgumentException refused(List<String> dirs, List<String> env, List<String> hosts) {
        return assertThrows(IllegalArgumentException.class, () -> new HostAllowances(dirs, env, hosts));
    }

    @Test
    void whatAnAgentAllowsByDefaultAndTypicalListsAreKept() {
        assertDoesNotThrow(() -> new HostAllowances(List.of("/etc/pgfleet/secrets", "/srv/pg secrets"),
                List.of("PGPASSWORD", "PGFLEET_*", "*", "_X1"),
                List.of("localhost", "127.0.0.1", "::1", "/var/run/postgresql", "db-1.example.com", "fe80::1%eth0")));
    }

    @Test
    void aHostThatNoConfigurationCouldNameIsRefusedAndShownEscaped() {
        IllegalArgumentException e = refused(List.of(), List.of(), List.of("\u202eevil"));
        assertTrue(e.getMessage().contains("allow_lists.hosts") && e.getMessage().contains("\\u202e"), e.getMessage());
        assertFalse(e.getMessage().contains("\u202e"), e.getMessage());
        e = refused(List.of(), List.of(), List.of("\u001b[2J"));
        assertTrue(e.getMessage().contains("\\u001b[2J"), e.getMessage());
        refused(List.of(), List.of(), List.of("db host"));
        refused(List.of(), List.of(), List.of("h".repeat(256)));
    }

    @Test
    void aVariableIsANameOrAPrefixEndingInAStar() {
        refused(List.of(), List.of("1PG"), List.of());
        refused(List.of(), List.of("PG*X"), List.of());
        refused(List.of(), List.of("PG\u2028PASSWORD"), List.of());
        refused(List.of(), List.of("PG-PASSWORD"), List.of());
    }

    @Test
    void aDirectoryIsAbsoluteAndHoldsNothingATerminalWouldActOn() {
        assertTrue(refused(List.of("secrets"), List.of(), List.of()).getMessage().contains("allow_lists.password_dirs"));
        refused(List.of("/etc/\u001b]0;pwned\u0007"), List.of(), List.of());
        refused(List.of("/etc/\u2066x"), List.of(), List.of());
        refused(List.of("/etc/a\u2029b"), List.of(), List.of());
    }

    @Test
    void listsStayBounded() {
        refused(List.of(), List.of(), java.util.Collections.nCopies(HostAllowances.MAX_ENTRIES + 1, "localhost"));
        refused(List.of("/" + "d".repeat(HostAllowances.MAX_LENGTH)), List.of(), List.of());
        refused(List.of(), List.of(""), List.of());
    }
}
