package io.pgfleet.domain.fleet;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CapabilityGapTest {

    @Test
    void aMessageQuotingWhatAnAgentReportedShowsWhatATerminalWouldActOnEscaped() {
        // A gap stored by an earlier release, which kept allow-lists raw, is read back through here.
        CapabilityGap g = new CapabilityGap(CapabilityGap.Capability.HOST, "postgres.host",
                "db is not a host this host allows [\u202eevil, \u001b[2J, a\u2028b] (allowed_hosts)");
        assertEquals("db is not a host this host allows [\\u202eevil, \\u001b[2J, a\\u2028b] (allowed_hosts)", g.message());
        assertEquals("postgres.host: " + g.message(), g.toString());
    }
}
