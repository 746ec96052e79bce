package io.pgfleet.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's state directory on a real file system. */
class AgentStateTest {

    @TempDir
    Path dir;

    @Test
    void anIdentityIsKeptAndReadBack() {
        AgentState state = new AgentState(dir);
        assertEquals(Optional.empty(), state.identity(), "no file: not registered yet");
        state.saveIdentity(new AgentState.Identity("8e16a3e9-339f-4de5-b7f7-03722af1cddd", "r1"));
        assertEquals(Optional.of(new AgentState.Identity("8e16a3e9-339f-4de5-b7f7-03722af1cddd", "r1")), state.identity());
        state.saveIdentity(new AgentState.Identity("db-01.prod", "r2"));
        assertEquals(Optional.of(new AgentState.Identity("db-01.prod", "r2")), state.identity(),
                "any id the server accepts, pre-provisioned ones included");
    }

    @Test
    void aDamagedIdentityFileStopsTheAgentInsteadOfMakingItASecondCollector() throws Exception {
        AgentState state = new AgentState(dir);
        Path file = dir.resolve("identity.properties");
        for (byte[] damage : new byte[][] {
                "# pgfleet agent identity; keep secret\ncollector_i".getBytes(),
                "collector_id=../../etc\nrefresh_token=x\n".getBytes(),
                {(byte) 0xc3, (byte) 0x28, (byte) 0xff, 0x00, 0x13}}) {
            Files.write(file, damage);
            IllegalStateException e = assertThrows(IllegalStateException.class, state::identity);
            assertTrue(e.getMessage().contains("is damaged") && e.getMessage().contains("enrolment_token_file"),
                    e.getMessage());
        }
    }
}
