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
        assertEquals(io.pgfleet.agent.core.SampleSpool.Unsent.NOTHING, state.load().unsent(), "no file: nothing kept");
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
        assertEquals(unsent, state.load().unsent());
        state.clear();
        assertEquals(io.pgfleet.agent.core.SampleSpool.Unsent.NOTHING, state.load().unsent());
    }

    @Test
    void aSpoolLargerThanAskedForIsReadBackAsItsNewestSamplesWithTheOlderCounted() {
        AgentState state = new AgentState(dir);
        java.time.Instant t = java.time.Instant.parse("2026-12-01T10:00:00Z");
        java.util.function.IntFunction<io.pgfleet.domain.fleet.Sample> s =
                i -> new io.pgfleet.domain.fleet.Sample("load1", java.util.Map.of(), i, t.plusSeconds(i));
        state.save(new io.pgfleet.agent.core.SampleSpool.Unsent(java.util.List.of(
                new io.pgfleet.agent.core.SampleSpool.Batch("b-1", java.util.List.of(s.apply(1), s.apply(2))),
                new io.pgfleet.agent.core.SampleSpool.Batch("b-2", java.util.List.of(s.apply(3), s.apply(4)))),
                java.util.List.of(s.apply(5), s.apply(6))));

        var loaded = state.load(3);

        assertEquals(new io.pgfleet.agent.core.SampleSpool.Unsent(java.util.List.of(
                        new io.pgfleet.agent.core.SampleSpool.Batch("b-2", java.util.List.of(s.apply(4)))),
                        java.util.List.of(s.apply(5), s.apply(6))), loaded.unsent(),
                "the newest three, the one of a batch still under its id");
        assertEquals(3, loaded.older());
        assertEquals(0, state.load().older(), "without a bound: all of it");
        assertEquals(6, state.load().unsent().samples());
    }

    @Test
    void aDamagedLineOfTheSpoolCostsThatLineOnlyAndIsNamedInPlainWords() throws Exception {
        AgentState state = new AgentState(dir);
        String good = "{\"name\":\"a\",\"labels\":{\"db\":\"x\"},\"value\":%d,\"ts\":\"2026-12-01T10:00:00Z\"}";
        java.util.List<String> lines = new java.util.ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            lines.add(good.formatted(i));
        }
        lines.set(2, "{\"name\":\"a\",\"labels\":{\"db\":7},\"value\":3,\"ts\":\"2026-12-01T10:00:00Z\"}");
        lines.set(6, "{\"name\":\"a\",\"lab");
        lines.set(8, "{\"name\":\"a\",\"labels\":{},\"value\":\"9\",\"ts\":\"2026-12-01T10:00:00Z\"}");
        Files.writeString(dir.resolve(AgentState.UNSENT), String.join("\n", lines) + "\n");

        var loaded = state.load();

        assertEquals(java.util.List.of(1.0, 2.0, 4.0, 5.0, 6.0, 8.0, 10.0),
                loaded.unsent().buffered().stream().map(io.pgfleet.domain.fleet.Sample::value).toList(),
                "every good line is kept, in order");
        assertEquals(3, loaded.skipped());
        assertEquals(java.util.List.of("line 3: labels must be text", "line 7: not a JSON object",
                "line 9: value must be a number"), loaded.reasons());
    }

    @Test
    void aSpoolDamagedThroughoutIsCountedWithoutALineForEveryDamagedOne() throws Exception {
        AgentState state = new AgentState(dir);
        Files.writeString(dir.resolve(AgentState.UNSENT), "garbage\n".repeat(5000)
                + "{\"name\":\"a\",\"labels\":{},\"value\":1,\"ts\":\"2026-12-01T10:00:00Z\"}\n");
        var loaded = state.load();
        assertEquals(5000, loaded.skipped());
        assertEquals(io.pgfleet.agent.core.SampleSpool.Loaded.MAX_REASONS, loaded.reasons().size(), loaded.reasons().toString());
        assertEquals(1, loaded.unsent().samples());
    }

    @Test
    void anIdentityWithoutItsRefreshTokenIsDamageThatStopsTheAgent() throws Exception {
        AgentState state = new AgentState(dir);
        Path file = dir.resolve(AgentState.IDENTITY_FILE);
        for (String damage : java.util.List.of(
                "collector_id=c-1\n",
                "collector_id=c-1\nrefresh_token=\n",
                "# pgfleet agent identity; keep secret\ncollector_id=c-1\nrefresh_tok",
                // cut in the middle of the token: the agent always ends the file with a line break
                "# pgfleet agent identity; keep secret\ncollector_id=c-1\nrefresh_token=r-7f3c")) {
            Files.writeString(file, damage);
            IllegalStateException e = assertThrows(IllegalStateException.class, state::identity, damage);
            assertTrue(e.getMessage().contains("is damaged") && e.getMessage().contains("enrolment_token_file"),
                    e.getMessage());
        }
    }

    /** A damage done to a kept last-known-good: its document and version files. */
    private interface Damage {
        void to(Path doc, Path version) throws Exception;
    }

    private record Case(String what, String reason, Damage damage) {
    }

    @Test
    void everyLastKnownGoodThatCannotBeUsedSaysWhy() throws Exception {
        for (Case c : java.util.List.of(
                new Case("a version that is no number", "last-known-good.version holds no version number",
                        (doc, version) -> Files.writeString(version, "abc")),
                new Case("a version beyond any", "last-known-good.version holds no version number",
                        (doc, version) -> Files.writeString(version, "99999999999999999999")),
                new Case("random bytes", "last-known-good.toml is not a TOML document",
                        (doc, version) -> Files.write(doc, new byte[] {(byte) 0xc3, 0x28, (byte) 0xff, 0x00, 0x13})),
                new Case("binary that is valid UTF-8", "last-known-good.toml is not a TOML document",
                        (doc, version) -> Files.write(doc, new byte[] {0x00, 0x01, 0x02, 0x00})),
                new Case("a directory", "last-known-good.toml is not a file",
                        (doc, version) -> {
                            Files.delete(doc);
                            Files.createDirectory(doc);
                        }),
                new Case("the document alone", "last-known-good.version is missing",
                        (doc, version) -> Files.delete(version)),
                new Case("the version alone", "last-known-good.toml is missing",
                        (doc, version) -> Files.delete(doc)))) {
            Path fresh = dir.resolve(c.what().replace(' ', '-'));
            AgentState state = new AgentState(fresh);
            state.saveLastKnownGood(new io.pgfleet.agent.core.LastKnownGoodStore.Cached(7, "[collector]\npush_interval = 10\n"));
            c.damage().to(fresh.resolve("last-known-good.toml"), fresh.resolve("last-known-good.version"));
            var e = assertThrows(io.pgfleet.agent.core.LastKnownGoodStore.UnusableCopy.class, state::lastKnownGood, c.what());
            assertTrue(e.getMessage().contains(c.reason()), c.what() + ": " + e.getMessage());
        }
        AgentState none = new AgentState(dir.resolve("none"));
        assertEquals(Optional.empty(), none.lastKnownGood(), "nothing kept is nothing damaged");
    }

    @Test
    void aStateDirectoryThatCannotBeWrittenIsTakenAsItIsAndSaysWhatIsNotKept() throws Exception {
        AgentState before = new AgentState(dir);
        before.saveIdentity(new AgentState.Identity("c-1", "r-1"));
        before.saveLastKnownGood(new io.pgfleet.agent.core.LastKnownGoodStore.Cached(4, "[collector]\npush_interval = 10\n"));
        org.junit.jupiter.api.Assumptions.assumeTrue(chattr("+i", dir), "chattr +i is not possible here");
        try {
            AgentState state = new AgentState(dir);
            assertTrue(state.unwritable().isPresent());
            String said = state.warning().orElseThrow();
            assertTrue(said.contains("the state directory " + dir + " cannot be written (Operation not permitted)")
                    && said.contains("refresh token") && said.contains("last-known-good")
                    && said.contains("samples") && said.contains("chattr -i"), said);
            assertEquals(Optional.of(new AgentState.Identity("c-1", "r-1")), state.identity(), "what it holds is read");
            assertEquals(4, state.lastKnownGood().orElseThrow().version());
            assertThrows(java.io.UncheckedIOException.class, () -> state.saveIdentity(new AgentState.Identity("c-1", "r-2")),
                    "a write fails as on a full disk, where the agent already copes with it");
        } finally {
            chattr("-i", dir);
        }
        assertEquals(Optional.empty(), new AgentState(dir).warning(), "a writable directory says nothing");
    }

    @Test
    void aStateDirectoryThatCannotBeCreatedSaysSoWithTheReason() throws Exception {
        Path file = dir.resolve("not-a-directory");
        Files.writeString(file, "x");
        var e = assertThrows(java.io.UncheckedIOException.class, () -> new AgentState(file.resolve("state")));
        assertTrue(e.getMessage().startsWith("cannot create the state directory " + file.resolve("state") + " ("),
                e.getMessage());
    }

    private static String mode(Path p) throws Exception {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static void deleteTree(Path root) throws Exception {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A registered agent's state, collector c-1 with refresh token r-1, that says what it does into {@code said}. */
    private static AgentState registered(Path stateDir, java.util.List<String> said) {
        AgentState state = new AgentState(stateDir, said::add);
        state.saveIdentity(new AgentState.Identity("c-1", "r-1"));
        return state;
    }

    @Test
    void aStateDirectoryDeletedWhileTheAgentRunsIsMadeAgainWithTheIdentityItHoldsAtTheNextWrite() throws Exception {
        Path stateDir = dir.resolve("state");
        java.util.List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();
        AgentState state = new AgentState(stateDir, said::add);
        state.saveIdentity(new AgentState.Identity("c-1", "r-1"));
        state.saveLastKnownGood(new io.pgfleet.agent.core.LastKnownGoodStore.Cached(3, "[collector]\npush_interval = 10\n"));
        // Rotated while the agent runs: the directory made again must hold this one, not the one read at start.
        state.saveIdentity(new AgentState.Identity("c-1", "r-2"));
        deleteTree(stateDir);

        state.saveLastKnownGood(new io.pgfleet.agent.core.LastKnownGoodStore.Cached(4, "[collector]\npush_interval = 20\n"));

        assertEquals("rwx------", mode(stateDir), "made again as at the first start");
        AgentState restarted = new AgentState(stateDir);
        assertEquals(Optional.of(new AgentState.Identity("c-1", "r-2")), restarted.identity(),
                "a restart is the same collector, with its newest refresh token");
        assertEquals("rw-------", mode(stateDir.resolve(AgentState.IDENTITY_FILE)));
        assertEquals(new io.pgfleet.agent.core.LastKnownGoodStore.Cached(4, "[collector]\npush_interval = 20\n"),
                restarted.lastKnownGood().orElseThrow(), "the write that found it gone is done too");
        assertEquals(1, said.size(), said.toString());
        assertTrue(said.getFirst().startsWith("warning: the state directory " + stateDir + " was gone (deleted while the"
                + " agent ran); it is made again, mode 0700, with the identity of collector c-1 and the last-known-good"
                + " configuration (version 4)"), said.getFirst());
    }

    @Test
    void aStateDirectoryDeletedWhileTheAgentWritesNothingIsMadeAgainByTheCheckWithItsLastKnownGood() throws Exception {
        Path stateDir = dir.resolve("state");
        Files.createDirectories(stateDir);
        AgentState.writeAtomically(stateDir.resolve(AgentState.IDENTITY_FILE),
                "collector_id=c-1\nrefresh_token=r-1\n");
        new AgentState(stateDir).saveLastKnownGood(
                new io.pgfleet.agent.core.LastKnownGoodStore.Cached(7, "[collector]\npush_interval = 10\n"));
        java.util.List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();
        // As at a start: what is on disk is read, and that is what the agent holds.
        AgentState state = new AgentState(stateDir, said::add);
        state.identity();
        state.lastKnownGood();
        deleteTree(stateDir);

        state.keepIdentity(false);
        state.keepIdentity(false);

        AgentState restarted = new AgentState(stateDir);
        assertEquals(Optional.of(new AgentState.Identity("c-1", "r-1")), restarted.identity());
        assertEquals(7, restarted.lastKnownGood().orElseThrow().version());
        assertEquals(1, said.size(), "said once: " + said);

        Files.delete(stateDir.resolve(AgentState.IDENTITY_FILE));
        state.keepIdentity(true);
        assertEquals(Optional.of(new AgentState.Identity("c-1", "r-1")), new AgentState(stateDir).identity(),
                "an agent stopping with its identity file gone writes it");
        assertTrue(said.getLast().contains("the identity file " + stateDir.resolve(AgentState.IDENTITY_FILE)
                + " was gone"), said.getLast());
    }

    @Test
    void aStateDirectoryThatCannotBeMadeAgainSaysOnceWhatARestartWouldDoAndAgainAtTheStop() throws Exception {
        Path parent = dir.resolve("mount");
        Path stateDir = parent.resolve("state");
        java.util.List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();
        AgentState state = registered(stateDir, said);
        deleteTree(parent);
        // Where the directory was, something the agent cannot make a directory in (as a mount gone read-only).
        Files.writeString(parent, "not a directory");

        var e = assertThrows(java.io.UncheckedIOException.class, () -> state.saveLastKnownGood(
                new io.pgfleet.agent.core.LastKnownGoodStore.Cached(4, "[collector]\n")));
        assertEquals("cannot write " + stateDir.resolve("last-known-good.toml"), e.getMessage());
        assertEquals("Not a directory", e.getCause().getMessage(), "the reason, not a bare path");
        assertThrows(java.io.UncheckedIOException.class, () -> state.saveIdentity(new AgentState.Identity("c-1", "r-2")));
        state.keepIdentity(false);

        assertEquals(1, said.size(), "said once, not at every write: " + said);
        String line = said.getFirst();
        assertTrue(line.startsWith("warning: the identity of collector c-1 is no longer on disk (the state directory "
                + stateDir + " was gone and cannot be made again: "), line);
        assertTrue(line.contains("a restart would register this host as a new collector")
                && line.contains("Put the directory " + stateDir + " back")
                && line.contains("POST /api/v1/collectors/c-1/enrolment-token, then enrolment_token_file"), line);

        state.keepIdentity(true);
        assertEquals(2, said.size(), "and again at the stop: " + said);
        assertEquals(line, said.getLast());

        // Put back: the next check writes the identity the agent holds now.
        Files.delete(parent);
        Files.createDirectories(stateDir);
        state.keepIdentity(false);
        assertEquals(Optional.of(new AgentState.Identity("c-1", "r-2")), new AgentState(stateDir).identity());
    }

    @Test
    void aWriteIntoAStateDirectoryThatIsGoneSaysSoInPlainWords() throws Exception {
        Path parent = dir.resolve("mount");
        Path stateDir = parent.resolve("state");
        java.util.List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();
        AgentState state = registered(stateDir, said);
        deleteTree(stateDir);
        org.junit.jupiter.api.Assumptions.assumeTrue(chattr("+i", parent), "chattr +i is not possible here");
        try {
            var e = assertThrows(java.io.UncheckedIOException.class, () -> state.saveLastKnownGood(
                    new io.pgfleet.agent.core.LastKnownGoodStore.Cached(4, "[collector]\n")));
            assertEquals("the directory " + stateDir + " does not exist", e.getCause().getMessage());
            assertTrue(said.getFirst().contains("(the state directory " + stateDir + " was gone and cannot be made"
                    + " again: Operation not permitted)"), said.toString());
        } finally {
            chattr("-i", parent);
        }
    }

    @Test
    void aFullDiskIsNamedInWordsAndLeavesNoPartlyWrittenTemporaryFileBehind() throws Exception {
        Path small = dir.resolve("small");
        Files.createDirectories(small);
        org.junit.jupiter.api.Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs",
                small.toString()), "a small tmpfs cannot be mounted here");
        try {
            AgentState state = new AgentState(small);
            java.time.Instant t = java.time.Instant.parse("2026-12-01T10:00:00Z");
            java.util.List<io.pgfleet.domain.fleet.Sample> many = java.util.stream.IntStream.range(0, 1774)
                    .mapToObj(i -> new io.pgfleet.domain.fleet.Sample("pg_up", java.util.Map.of("db", "app"), i, t))
                    .toList();
            var e = assertThrows(java.io.UncheckedIOException.class, () -> state.save(
                    new io.pgfleet.agent.core.SampleSpool.Unsent(java.util.List.of(), many)));
            assertEquals("cannot write " + small.resolve(AgentState.UNSENT), e.getMessage());
            assertEquals("no space left on device", e.getCause().getMessage());
            try (var files = Files.list(small)) {
                assertEquals(java.util.List.of(), files.toList(), "the cut-short temporary file is deleted");
            }
            // So the space it held is free again: a small spool fits.
            var few = new io.pgfleet.agent.core.SampleSpool.Unsent(java.util.List.of(), many.subList(0, 3));
            state.save(few);
            assertEquals(few, state.load().unsent());
        } finally {
            run("umount", small.toString());
        }
    }

    /**
     * A full disk during a token refresh: the server has rotated the refresh token already, so the
     * one left on disk would lock the agent out at its next start. The room the agent keeps for its
     * identity takes it; once that is used too, the stop says plainly what the restart will meet.
     */
    @Test
    void aFullDiskStillTakesTheNewRefreshTokenIntoTheRoomKeptForItAndTheStopSaysWhenEvenThatIsGone() throws Exception {
        Path small = dir.resolve("small");
        Files.createDirectories(small);
        org.junit.jupiter.api.Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs",
                small.toString()), "a small tmpfs cannot be mounted here");
        java.util.List<String> said = new java.util.concurrent.CopyOnWriteArrayList<>();
        AgentState state = new AgentState(small, said::add);
        state.hold(m -> { });
        try {
            state.saveIdentity(new AgentState.Identity("c-1", "r-1"));
            assertTrue(Files.size(small.resolve(AgentState.RESERVE)) >= 16 * 1024, "room kept at start");
            Path filler = small.resolve("filler");
            fill(filler);

            state.saveIdentity(new AgentState.Identity("c-1", "r-2"));

            assertEquals(Optional.of(new AgentState.Identity("c-1", "r-2")), new AgentState(small).identity(),
                    "a restart is collector c-1 with its newest refresh token");
            assertEquals(1, said.size(), said.toString());
            assertTrue(said.getFirst().startsWith("warning: the file system of the state directory " + small
                    + " is full (no space left on device): the new refresh token of collector c-1 is written into the"
                    + " room the agent keeps for it (identity.reserve). Free space there"), said.getFirst());

            // No room left at all: the token is used from memory (the caller says so), and the stop says what comes.
            fill(small.resolve("filler-2"));
            assertThrows(java.io.UncheckedIOException.class, () -> state.saveIdentity(new AgentState.Identity("c-1", "r-3")));
            state.keepIdentity(true);
            assertEquals(2, said.size(), said.toString());
            assertTrue(said.getLast().startsWith("warning: the newest refresh token of collector c-1 is not on disk"
                    + " (cannot write " + small.resolve(AgentState.IDENTITY_FILE) + ": no space left on device):"
                    + " identity.properties holds the one before it, which the server has replaced. At the restart the"
                    + " server takes that one for a stolen token"), said.getLast());
            assertTrue(said.getLast().endsWith("POST /api/v1/collectors/c-1/enrolment-token, then enrolment_token_file)"),
                    said.getLast());

            // Room again: the stop writes it, says nothing, and the room is kept again.
            Files.delete(filler);
            Files.delete(small.resolve("filler-2"));
            state.keepIdentity(true);
            assertEquals(2, said.size(), said.toString());
            assertEquals(Optional.of(new AgentState.Identity("c-1", "r-3")), new AgentState(small).identity());
            assertTrue(Files.exists(small.resolve(AgentState.RESERVE)));
        } finally {
            state.release();
            run("umount", small.toString());
        }
    }

    /** Writes to {@code file} until the file system is full. */
    private static void fill(Path file) throws Exception {
        try (var out = Files.newOutputStream(file)) {
            byte[] block = new byte[1024];
            while (true) {
                out.write(block);
                out.flush();
            }
        } catch (java.io.IOException e) {
            assertTrue(String.valueOf(e.getMessage()).contains("No space left on device"), e.toString());
        }
    }

    private static boolean run(String... command) throws Exception {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static boolean chattr(String flag, Path dir) throws Exception {
        try {
            Process p = new ProcessBuilder("chattr", flag, dir.toString()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
