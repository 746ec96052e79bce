package io.pgfleet.agent;

import io.pgfleet.agent.core.LastKnownGoodStore.Cached;
import io.pgfleet.agent.core.SampleSpool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One agent per state directory while it runs, when the directory is deleted and made again under
 * it. Another agent is another {@link StateDirectoryLock} in this JVM, which the lock refuses as it
 * refuses another process.
 */
class StateDirectoryLockTest {

    @TempDir
    Path dir;

    private static void deleteTree(Path root) throws Exception {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static String pid() {
        return Long.toString(ProcessHandle.current().pid());
    }

    @Test
    void aStateDirectoryMadeAgainIsLockedAgainBeforeAnythingIsWrittenSoASecondAgentIsStillRefused() throws Exception {
        Path stateDir = dir.resolve("state");
        List<String> said = new CopyOnWriteArrayList<>();
        List<String> lost = new CopyOnWriteArrayList<>();
        AgentState state = new AgentState(stateDir, said::add);
        state.hold(lost::add);
        try {
            state.saveIdentity(new AgentState.Identity("c-1", "r-1"));
            // An operator cleaning up, a tmpfs mounted anew: the lock stays on a file that is gone.
            deleteTree(stateDir);

            state.saveLastKnownGood(new Cached(4, "[collector]\n"));

            var refused = assertThrows(IllegalStateException.class, () -> StateDirectoryLock.take(stateDir));
            assertTrue(refused.getMessage().startsWith("another agent (pid " + pid() + ") runs with the state directory"),
                    refused.getMessage());
            assertEquals(1, said.size(), "the directory made again is said once, the lock with it: " + said);

            // The lock file alone deleted (or replaced): locked again at the next write, and said.
            Files.delete(stateDir.resolve(StateDirectoryLock.FILE));
            state.save(new SampleSpool.Unsent(List.of(), List.of()));
            assertThrows(IllegalStateException.class, () -> StateDirectoryLock.take(stateDir));
            assertTrue(said.getLast().startsWith("warning: the lock file " + stateDir.resolve(StateDirectoryLock.FILE)
                    + " was gone or replaced (the state directory deleted or made again while the agent ran); the agent"
                    + " locked it again"), said.getLast());
            assertEquals(List.of(), lost);
        } finally {
            state.release();
        }
        StateDirectoryLock.take(stateDir).orElseThrow(() -> new AssertionError("released at the stop")).close();
    }

    @Test
    void aMinuteWithoutWritesIsEnoughToLockADirectoryMadeAgainByOthers() throws Exception {
        Path stateDir = dir.resolve("state");
        List<String> said = new CopyOnWriteArrayList<>();
        AgentState state = new AgentState(stateDir, said::add);
        state.hold(m -> { });
        try {
            state.saveIdentity(new AgentState.Identity("c-1", "r-1"));
            deleteTree(stateDir);
            // Made again by someone else (a tmpfiles rule, a mount): empty, and nobody's lock in it.
            Files.createDirectories(stateDir);

            state.keepIdentity(false);

            assertThrows(IllegalStateException.class, () -> StateDirectoryLock.take(stateDir));
            assertEquals(Optional.of(new AgentState.Identity("c-1", "r-1")), new AgentState(stateDir).identity());
        } finally {
            state.release();
        }
    }

    @Test
    void anAgentWhoseDirectoryAnotherAgentTookWhileItRanWritesNothingMoreThereAndIsToldToStop() throws Exception {
        Path stateDir = dir.resolve("state");
        List<String> lost = new CopyOnWriteArrayList<>();
        AgentState first = new AgentState(stateDir, m -> { });
        first.hold(lost::add);
        first.saveIdentity(new AgentState.Identity("c-1", "r-1"));
        deleteTree(stateDir);
        // Another agent started on the directory before the first one wrote again: it registered anew.
        AgentState second = new AgentState(stateDir, m -> { });
        second.hold(m -> { });
        try {
            second.saveIdentity(new AgentState.Identity("c-2", "s-1"));

            var e = assertThrows(java.io.UncheckedIOException.class, () -> first.saveLastKnownGood(new Cached(4, "[collector]\n")));
            assertEquals("cannot write " + stateDir.resolve("last-known-good.toml"), e.getMessage());
            assertEquals("the state directory " + stateDir + " is another agent's (pid " + pid() + ") now",
                    e.getCause().getMessage());
            assertEquals(1, lost.size(), lost.toString());
            String why = lost.getFirst();
            assertTrue(why.startsWith("the state directory " + stateDir + " was deleted or made again while this agent"
                    + " ran, and another agent (pid " + pid() + ") started on it and holds it now: two agents there would"
                    + " be one collector with one refresh token between them. This agent (collector c-1) stops, and"
                    + " writes nothing more there."), why);
            assertTrue(why.contains("POST /api/v1/collectors/c-1/enrolment-token"), why);

            // Nothing of the first agent's goes there any more: not at a write, a delete, the check, nor the stop.
            assertThrows(java.io.UncheckedIOException.class, () -> first.saveIdentity(new AgentState.Identity("c-1", "r-2")));
            assertThrows(java.io.UncheckedIOException.class, () -> first.save(new SampleSpool.Unsent(List.of(),
                    List.of(new io.pgfleet.domain.fleet.Sample("pg_up", java.util.Map.of(), 1,
                            java.time.Instant.parse("2026-12-01T10:00:00Z"))))));
            second.save(new SampleSpool.Unsent(List.of(), List.of(new io.pgfleet.domain.fleet.Sample("pg_up",
                    java.util.Map.of(), 2, java.time.Instant.parse("2026-12-01T10:00:00Z")))));
            assertThrows(java.io.UncheckedIOException.class, first::clear);
            Files.delete(stateDir.resolve(AgentState.IDENTITY_FILE));
            first.keepIdentity(false);
            first.keepIdentity(true);
            assertFalse(Files.exists(stateDir.resolve(AgentState.IDENTITY_FILE)), "the first agent's identity is not put there");
            assertFalse(Files.exists(stateDir.resolve("last-known-good.toml")));
            assertEquals(1, second.load().unsent().samples(), "the second agent's samples are left alone");
            assertEquals(1, lost.size(), "told once: " + lost);
        } finally {
            first.release();
            second.release();
        }
    }
}
