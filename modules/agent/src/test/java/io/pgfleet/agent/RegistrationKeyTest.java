package io.pgfleet.agent;

import io.pgfleet.agent.core.Enroller;
import io.pgfleet.agent.core.ServerException;
import io.pgfleet.agent.transport.ServerClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registration's idempotency key in the state directory: kept from the first attempt until the
 * identity is, across restarts, so that a registration whose answer was lost is not made twice.
 */
class RegistrationKeyTest {

    @TempDir
    Path dir;

    @Test
    void theKeyIsKeptAcrossARestartUntilItIsForgotten() throws Exception {
        String key = new AgentState(dir).registrationKey();
        assertTrue(key.matches("[A-Za-z0-9_-]{16,128}"), key);
        Path file = dir.resolve("registration.key");
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
        assertFalse(Files.exists(dir.resolve("registration.key.tmp")), "written atomically");

        AgentState restarted = new AgentState(dir);
        assertEquals(key, restarted.registrationKey(), "a restart reuses the key");
        assertEquals(key, restarted.registrationKey());

        restarted.forgetRegistrationKey();
        assertFalse(Files.exists(file));
        assertNotEquals(key, new AgentState(dir).registrationKey(), "the next series has a key of its own");
    }

    @Test
    void aDamagedKeyFileIsReplacedByANewKey() throws Exception {
        Files.writeString(dir.resolve("registration.key"), "not a key!\n");
        String key = new AgentState(dir).registrationKey();
        assertTrue(key.matches("[A-Za-z0-9_-]{16,128}"), key);
        assertEquals(key, Files.readString(dir.resolve("registration.key")).strip());
    }

    @Test
    void aRegistrationWhoseAnswerWasLostIsSentAgainAfterARestartWithTheSameKeyForgottenOnceTheIdentityIsKept()
            throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            server.loseRegistrationAnswers(1);
            ServerClient first = client(server, new AgentState(dir));
            assertThrows(ServerException.class, () -> register(first), "the answer never arrived");
            assertTrue(Files.exists(dir.resolve("registration.key")), "kept for the next attempt");

            // The agent stops and starts again before it ever saw the answer.
            AgentState restarted = new AgentState(dir);
            assertEquals(Optional.empty(), restarted.identity());
            assertEquals("c-1", register(client(server, restarted)));

            List<String> keys = server.registrationKeys();
            assertEquals(2, keys.size());
            assertTrue(keys.get(0).matches("[A-Za-z0-9_-]{16,128}"), keys.toString());
            assertEquals(keys.get(0), keys.get(1), "the retry names the registration it repeats");
            assertEquals("c-1", restarted.identity().orElseThrow().collectorId());
            assertFalse(Files.exists(dir.resolve("registration.key")), "forgotten once the identity is kept");
        }
    }

    @Test
    void theKeyStaysWhileTheIdentityCouldNotBeKept() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            AgentState state = new AgentState(dir);
            ServerClient c = new ServerClient(server.uri(), Optional.empty(), Optional.empty(), Optional.empty(), "", "",
                    (id, refresh) -> {
                        throw new java.io.UncheckedIOException(new java.io.IOException("No space left on device"));
                    }, state, m -> { });
            assertEquals("c-1", register(c));
            assertTrue(Files.exists(dir.resolve("registration.key")),
                    "a restart before the identity is on disk claims the same collector again");
        }
    }

    @Test
    void aKeyTheServerSaysWasUsedWithOtherSettingsIsForgottenSoTheNextAttemptRegistersAnew() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            AgentState state = new AgentState(dir);
            ServerClient c = client(server, state);
            server.refuseRegistrationKeys(true);
            ServerException e = assertThrows(ServerException.class, () -> register(c));
            assertEquals(ServerException.Kind.REJECTED, e.kind());
            assertTrue(e.getMessage().contains("decommission"), e.getMessage());
            assertFalse(Files.exists(dir.resolve("registration.key")));

            server.refuseRegistrationKeys(false);
            assertEquals("c-1", register(c));
            List<String> keys = server.registrationKeys();
            assertNotEquals(keys.get(0), keys.get(1), "a new key for a new registration");
        }
    }

    @Test
    void aKeyWhoseCollectorWasEnrolledElsewhereIsForgottenSoTheAgentStopsRetryingWithIt() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            AgentState state = new AgentState(dir);
            ServerClient c = client(server, state);
            server.outliveRegistrationKeys(true);
            ServerException e = assertThrows(ServerException.class, () -> register(c));
            assertEquals(ServerException.Kind.REJECTED, e.kind());
            assertTrue(e.getMessage().contains("enrolled on another host"), e.getMessage());
            assertFalse(Files.exists(dir.resolve("registration.key")), "a key refused for good is not kept");

            server.outliveRegistrationKeys(false);
            assertEquals("c-1", register(c));
            List<String> keys = server.registrationKeys();
            assertNotEquals(keys.get(0), keys.get(1), "the next attempt is a new registration");
        }
    }

    @Test
    void aStateDirectoryThatRefusesTheKeyDoesNotStopTheRegistration() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
            ServerClient.RegistrationKeys refusing = new ServerClient.RegistrationKeys() {
                @Override
                public String registrationKey() {
                    throw new java.io.UncheckedIOException(new java.io.IOException("No space left on device"));
                }

                @Override
                public void forgetRegistrationKey() {
                }
            };
            server.loseRegistrationAnswers(1);
            ServerClient c = new ServerClient(server.uri(), Optional.empty(), Optional.empty(), Optional.empty(), "", "",
                    (id, refresh) -> { }, refusing, warnings::add);
            assertThrows(ServerException.class, () -> register(c));
            assertEquals("c-1", register(c));
            List<String> keys = server.registrationKeys();
            assertEquals(keys.get(0), keys.get(1), "the retry in this process reuses the key kept in memory");
            assertTrue(warnings.stream().anyMatch(w -> w.contains("could not keep the registration key")), warnings.toString());
        }
    }

    private static ServerClient client(FakeFleetServer server, AgentState state) {
        return new ServerClient(server.uri(), Optional.empty(), Optional.empty(), Optional.empty(), "", "",
                (id, refresh) -> state.saveIdentity(new AgentState.Identity(id, refresh)), state, m -> { });
    }

    private static String register(ServerClient c) throws ServerException {
        return c.register(new Enroller.Credential.Secret("s"), "n", "h", Map.of());
    }
}
