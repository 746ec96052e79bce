package io.pgfleet.agent.core;

import io.pgfleet.agent.FakeFleetServer;
import io.pgfleet.agent.transport.ServerClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The core pushing through the real HTTP adapter to a server on loopback that enforces the real
 * server's limits (256 KiB a body, 5,000 samples a batch): after an outage long enough to fill the
 * buffer, every buffered sample is stored exactly once, no batch is ever refused, drops are counted.
 */
class PushOverHttpTest {

    /**
     * An agent core registered with {@code server} through the real HTTP adapter, its published
     * configuration collecting every 2 s and pushing every 5 s.
     *
     * @param samplesPerRun how many samples each collector run produces
     */
    private static Fakes pushingTo(FakeFleetServer server, int samplesPerRun) throws Exception {
        Fakes f = new Fakes();
        ServerClient client = new ServerClient(server.uri(), Optional.empty(), Optional.empty(), Optional.empty(),
                "", "", (id, refresh) -> { });
        client.register(new Enroller.Credential.Secret("s"), "n", "h", Map.of());
        f.realSink = Optional.of(client);
        f.published = Optional.of(Map.entry(1, """
                [collector]
                push_interval = 5
                [collectors.sysstat]
                enabled = true
                interval = 2
                """));
        f.samplesPerRun = samplesPerRun;
        return f;
    }

    /** The samples the server stored, the agent's own drop count left out. */
    private static List<String> storedSamples(FakeFleetServer server) {
        return server.storedBatches().values().stream().flatMap(List::stream)
                .filter(s -> !s.contains(AgentCore.DROPPED_METRIC)).toList();
    }

    /** An agent core that buffered through 3 minutes of its server being away, and what it produced. */
    private record Outage(FakeFleetServer server, Fakes f, AgentCore core, long produced) {
        /** The server back, the collectors producing nothing more, for this long. */
        void back(Duration during) {
            server.away(false);
            f.samplesPerRun = 0;
            f.scheduler.runFor(during);
        }
    }

    private static Outage threeMinutesAway(FakeFleetServer server, int samplesPerRun) throws Exception {
        Fakes f = pushingTo(server, samplesPerRun);
        server.away(true);
        AgentCore core = f.core(20_000);
        core.start();
        f.scheduler.runFor(Duration.ofMinutes(3));
        return new Outage(server, f, core, f.sampleSeq);
    }

    @Test
    void afterALongOutageEveryBufferedSampleArrivesOnceInBatchesTheServerAccepts() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            // 3 minutes away at 250 samples a second: the buffer of 20,000 overflows.
            Outage o = threeMinutesAway(server, 500);
            Fakes f = o.f();
            AgentCore core = o.core();
            long produced = o.produced();
            assertTrue(produced > 20_000, "the buffer overflowed: " + produced);
            o.back(Duration.ofMinutes(2));

            assertEquals(0, server.refusedPushes(), "no batch too large or too long for the server");
            assertTrue(server.largestPushBytes() <= 256 * 1024, "largest body " + server.largestPushBytes());
            List<String> stored = storedSamples(server);
            assertEquals(stored.size(), stored.stream().distinct().count(), "each sample stored exactly once");
            assertTrue(stored.size() >= 20_000, "the whole buffer arrived: " + stored.size());
            assertEquals(produced, stored.size() + core.dropped(), "every sample stored or counted as dropped");
            assertTrue(server.storedBatches().values().stream().flatMap(List::stream)
                    .anyMatch(s -> s.contains(AgentCore.DROPPED_METRIC) && s.contains("\"value\":" + core.dropped())),
                    "the drop count arrived as a sample");
            core.stop();
        }
    }

    @Test
    void anOverloadedServerIsAskedAgainAfterItsRetryAfterAndNoSampleIsDropped() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            Fakes f = pushingTo(server, 10);
            server.overloaded(30);
            AgentCore core = f.core(20_000);
            core.start();
            f.scheduler.runFor(Duration.ofMinutes(3));
            int asked = server.overloadedAnswers();
            // Retry-After 30 s over 3 minutes: at most 6 attempts, each pause at least 30 s
            // (the back-off alone, capped at 25 s for a 5 s push interval, would ask more often).
            assertTrue(asked >= 1 && asked <= 7, "pushes while overloaded: " + asked);
            server.overloaded(0);
            f.samplesPerRun = 0;
            f.scheduler.runFor(Duration.ofMinutes(2));

            long produced = f.sampleSeq;
            List<String> stored = storedSamples(server);
            assertEquals(0, core.dropped(), "a 429 is load: the batches are kept, not refused");
            assertEquals(produced, stored.size(), "every sample of the overload arrived");
            assertEquals(stored.size(), stored.stream().distinct().count(), "each once");
            core.stop();
        }
    }

    @Test
    void aBacklogLargerThanTheServersSampleBurstArrivesWholeAtTheSustainedRate() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            // 3 minutes away at 50 samples a second: 9,000 buffered, nothing dropped.
            Outage o = threeMinutesAway(server, 100);
            assertTrue(o.produced() > 8_000, "buffered: " + o.produced());
            // Back, holding the agent to 600 samples a minute with bursts of 5,000: the backlog
            // is more than the burst, the rest arrives at ten a second, after each Retry-After.
            server.limitSamples(new io.pgfleet.domain.fleet.SampleRate(600, 5000), o.f().scheduler::now);
            o.back(Duration.ofMinutes(15));

            List<String> stored = storedSamples(server);
            assertTrue(server.rateRefusals() > 0, "the burst was used up");
            assertEquals(0, o.core().dropped(), "a 429 for the sample rate keeps the batches");
            assertEquals(o.produced(), stored.size(), "every buffered sample arrived");
            assertEquals(stored.size(), stored.stream().distinct().count(), "each once");
            o.core().stop();
        }
    }

    @Test
    void aGatewaysHtml401And403NeitherLockTheAgentOutNorLoseABatchAndItRecoversByItself() throws Exception {
        try (FakeFleetServer server = new FakeFleetServer()) {
            Fakes f = pushingTo(server, 10);
            AgentCore core = f.core(20_000);
            core.start();
            f.scheduler.runFor(Duration.ofSeconds(30));
            // The access token expires while an auth gateway in front answers every refresh with its login page.
            server.expireAccessToken();
            server.inFront(Optional.of(new FakeFleetServer.InFront(List.of("/api/v1/auth/refresh"), 401, "text/html",
                    "<html><title>Sign in</title></html>")));
            f.scheduler.runFor(Duration.ofMinutes(2));
            assertFalse(core.lockedOut(), "a gateway's page is not the server refusing the identity: " + f.log);
            // Then a WAF rule refuses the pushes themselves.
            server.inFront(Optional.of(new FakeFleetServer.InFront(List.of("/api/v1/metrics/push"), 403, "text/html",
                    "<html>Forbidden by WAF</html>")));
            f.scheduler.runFor(Duration.ofMinutes(2));
            assertTrue(server.answeredInFront() > 2, "the gateway and the WAF answered: " + server.answeredInFront());
            assertTrue(f.logged("a proxy or gateway in the way?"), f.log.toString());

            // The path fixed: nobody touches the agent.
            server.inFront(Optional.empty());
            f.samplesPerRun = 0;
            f.scheduler.runFor(Duration.ofMinutes(2));
            assertFalse(core.lockedOut());
            assertEquals(0, core.dropped(), "no batch was taken for refused by the server");
            List<String> stored = storedSamples(server);
            assertEquals(f.sampleSeq, stored.size(), "every sample collected meanwhile arrived");
            assertEquals(stored.size(), stored.stream().distinct().count(), "each once");
            core.stop();
        }
    }

    @Test
    void aRedirectedPushKeepsItsSamplesAndSendsNothingToTheOtherHost() throws Exception {
        List<String> elsewhere = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer other = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        other.createContext("/", ex -> {
            elsewhere.add(ex.getRequestMethod() + " " + ex.getRequestURI() + " "
                    + ex.getRequestHeaders().getFirst("Authorization"));
            ex.sendResponseHeaders(202, -1);
            ex.close();
        });
        other.start();
        try (FakeFleetServer server = new FakeFleetServer()) {
            Fakes f = pushingTo(server, 10);
            // A proxy or a look-alike answering every push with a redirect to another host: the
            // agent must neither hand its bearer token over nor take the redirect for a refusal.
            server.redirectPushesTo(Optional.of(java.net.URI.create("http://127.0.0.1:" + other.getAddress().getPort())));
            AgentCore core = f.core(20_000);
            core.start();
            f.scheduler.runFor(Duration.ofMinutes(2));
            assertEquals(List.of(), elsewhere, "nothing is sent where the redirect points");
            assertEquals(0, server.storedBatches().size(), "nothing stored while pushes are redirected");
            assertEquals(0, core.dropped(), "a redirect is not the server refusing the samples: they are kept");
            assertTrue(f.logged("not followed"), f.log.toString());

            server.redirectPushesTo(Optional.empty());
            f.samplesPerRun = 0;
            f.scheduler.runFor(Duration.ofMinutes(2));
            List<String> stored = storedSamples(server);
            assertEquals(f.sampleSeq, stored.size(), "every sample collected meanwhile arrived once the redirect ended");
            assertEquals(stored.size(), stored.stream().distinct().count(), "each once");
            core.stop();
        } finally {
            other.stop(0);
        }
    }
}
