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

    @Test
    void theIdentityIsWrittenIntoAFileCreatedOwnerOnlyNeverIntoOneLeftBehindWithAWiderMode(@TempDir Path dir)
            throws Exception {
        AgentState state = new AgentState(dir);
        // A temporary file left by a crash, readable by everyone, with another name still pointing at it.
        Path left = dir.resolve(AgentState.IDENTITY_FILE + ".tmp");
        Files.writeString(left, "old\n");
        Files.setPosixFilePermissions(left, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Path otherName = dir.resolve("kept-open-elsewhere");
        Files.createLink(otherName, left);

        state.saveIdentity(new AgentState.Identity("c-1", "secret-refresh-token"));

        assertEquals("old\n", Files.readString(otherName), "the token never went into the world-readable file");
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve(AgentState.IDENTITY_FILE))));
        assertEquals(Optional.of(new AgentState.Identity("c-1", "secret-refresh-token")), state.identity());
    }

    @Test
    void anIdentityFileOthersCanReadIsMadeTheOwnersOnlyAndTheRemedyIsSaidOnce(@TempDir Path dir) throws Exception {
        AgentState state = new AgentState(dir);
        state.saveIdentity(new AgentState.Identity("c-1", "secret-refresh-token"));
        Path file = dir.resolve(AgentState.IDENTITY_FILE);
        // Copied back from a backup without its mode.
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));

        String said = state.tightenIdentity().orElseThrow();

        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertTrue(said.contains("was rw-r--r--") && said.contains("POST /api/v1/collectors/c-1/revoke")
                && said.contains("POST /api/v1/collectors/c-1/enrolment-token"), said);
        assertEquals(Optional.empty(), state.tightenIdentity(), "said once: the file is its owner's now");
        assertEquals(Optional.of(new AgentState.Identity("c-1", "secret-refresh-token")), state.identity(), "and the agent starts");
        assertEquals(Optional.empty(), new AgentState(dir.resolve("new-host")).tightenIdentity(), "no file, nothing to say");
    }

    @Test
    void undeliveredSamplesAreKeptOwnerOnlyAndReadBackInOrderWithTheirBatchIds() throws Exception {
        AgentState state = new AgentState(dir);
        assertEquals(io.pgfleet.agent.core.SampleSpool.Unsent.NOTHING, state.load(), "no file: nothing kept");
        java.time.Instant t = java.time.Instant.parse("2026-12-01T10:00:00.123Z");
        var a = new io.pgfleet.domain.fleet.Sample("pg_up", java.util.Map.of("db", "app \"x\"\n"), 1, t);
        var b = new io.pgfleet.domain.fleet.Sample("load1", java.util.Map.of(), 0.25, t.plusSeconds(1));
        var c = new io.pgfleet.domain.fleet.Sample("load1", java.util.Map.of("host", "h"), -3e-7, t.plusSeconds(2));
        var unsent = new io.pgfleet.agent.core.SampleSpool.Unsent(java.util.List.of(
                new io.pgfleet.agent.core.SampleSpool.Batch("b-1", java.util.List.of(a, b)),
                new io.pgfleet.agent.core.SampleSpool.Batch("b-2", java.util.List.of(c))), java.util.List.of(c, a));
        state.save(unsent);
        Path file = dir.resolve(AgentState.UNSENT);
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(unsent, state.load());
        state.clear();
        assertEquals(io.pgfleet.agent.core.SampleSpool.Unsent.NOTHING, state.load());
    }

    @Test
    void aDamagedSpoolIsRefusedWithWhereItIsDamaged() throws Exception {
        AgentState state = new AgentState(dir);
        Files.writeString(dir.resolve(AgentState.UNSENT),
                "{\"name\":\"a\",\"labels\":{},\"value\":1,\"ts\":\"2026-12-01T10:00:00Z\"}\n{\"name\":\"a\",\"lab");
        IllegalStateException e = assertThrows(IllegalStateException.class, state::load);
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }
}
