package io.pgfleet.agent.core;

import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.schema.CollectorKind;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent core on in-memory ports and fake time: no process, no socket, no sleep. */
class AgentCoreTest {

    private static final String SYSSTAT_EVERY_2S = """
            [collector]
            push_interval = 5
            [collectors.sysstat]
            enabled = true
            interval = 2
            [collectors.pg_locks]
            enabled = true
            interval = 10
            """;

    private final Fakes f = new Fakes();

    @Test
    void theFirstPullIsAnsweredAtOnceAndTheNextOnesAreWatchesAfterTheNewestVersionKnown() {
        AgentCore core = f.started(3, SYSSTAT_EVERY_2S);
        assertEquals(new ConfigSource.Request("", 0, 0), f.requests.get(0), "the first request is answered at once");
        assertEquals(3, core.appliedVersion());
        assertEquals(new ConfigSource.Request("\"v3\"", AgentCore.WATCH_SECONDS, 3), f.requests.get(1));
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertTrue(f.requests.size() <= 5, "held watches only: " + f.requests.size());
        assertEquals(List.of(ApplyStatus.APPLIED), f.reports.stream().map(StatusReporter.Report::status).toList());
    }

    @Test
    void withoutAnyConfigurationTheAgentCollectsTheDefaultsAndWatchesFromVersionZero() {
        f.with().start();
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertTrue(f.logged("no configuration published for this collector yet; collecting with the defaults"), f.log.toString());
        assertTrue(f.requests.stream().skip(1).allMatch(r -> r.watchSeconds() == AgentCore.WATCH_SECONDS && r.after() == 0),
                f.requests.toString());
        assertTrue(f.requests.size() <= 4, "an idle agent makes a few requests a minute: " + f.requests.size());
        assertTrue(f.collected.contains(CollectorKind.SYSSTAT), "the defaults run");
    }

    @Test
    void aVersionThatTurnsWatchingOnWatchesAtOnceInsteadOfWaitingTheOldPollInterval() {
        AgentCore core = f.started(1, "[collector]\nwatch = false\nconfig_pull_interval = 300\n");
        f.published = Optional.of(Map.entry(2, "[collector]\nwatch = true\nconfig_pull_interval = 300\n"));
        for (int s = 0; s < 400 && core.appliedVersion() < 2; s++) {
            f.scheduler.runFor(Duration.ofSeconds(1));
        }
        assertEquals(2, core.appliedVersion(), "polled within the old interval");
        f.published = Optional.of(Map.entry(3, "[collector]\nwatch = true\nconfig_pull_interval = 300\n"
                + "[collectors.sysstat]\ninterval = 7\n"));
        f.scheduler.runFor(Duration.ofSeconds(90));
        assertEquals(3, core.appliedVersion(), "the next change arrives through a watch, not 300 s later: " + f.requests);
    }

    @Test
    void aNewVersionIsAppliedWithoutAGapAndReplacesTheOldOneEntirely() {
        AgentCore core = f.started(1, SYSSTAT_EVERY_2S);
        assertTrue(core.current().schedule(CollectorKind.PG_LOCKS).enabled());

        // Version 2 drops the pg_locks section: it is back at its default (off), not kept from version 1.
        f.published = Optional.of(Map.entry(2, """
                [collectors.sysstat]
                enabled = true
                interval = 2
                """));
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertEquals(2, core.appliedVersion());
        assertFalse(core.current().schedule(CollectorKind.PG_LOCKS).enabled(), "replace, not merge");
        assertTrue(f.logged("pg_locks stopped"), f.log.toString());
        int locks = count(CollectorKind.PG_LOCKS);
        int sysstat = count(CollectorKind.SYSSTAT);
        f.scheduler.runFor(Duration.ofSeconds(20));
        assertEquals(locks, count(CollectorKind.PG_LOCKS), "a stopped collector does not run");
        assertTrue(count(CollectorKind.SYSSTAT) >= sysstat + 9, "sysstat kept its 2 s rhythm through the change");
    }

    @Test
    void aFailedVersionIsReportedOnceAndNeverRetriedAndTheWatchMovesPastIt() {
        AgentCore core = f.started(1, SYSSTAT_EVERY_2S);
        f.published = Optional.of(Map.entry(2, "[collectors.nonsense]\nenabled = true\n"));
        f.scheduler.runFor(Duration.ofMinutes(2));
        assertEquals(1, core.appliedVersion());
        assertEquals(2, core.failedVersion());
        assertEquals(List.of(ApplyStatus.APPLIED, ApplyStatus.FAILED),
                f.reports.stream().map(StatusReporter.Report::status).toList(), "FAILED once, never retried");
        assertTrue(f.requests.stream().skip(3).allMatch(r -> r.after() == 2), "after = max(applied, failed): " + f.requests);
        assertTrue(f.requests.size() <= 10, "no loop on the failed version: " + f.requests.size());
    }

    @Test
    void aVersionTooLargeForTheHeapFailsOnceWithTheRemedyAndIsNeitherFetchedNorParsedAgain() {
        AgentCore core = f.started(1, SYSSTAT_EVERY_2S);
        String tooLarge = SYSSTAT_EVERY_2S + "[collectors.disk_usage]\npaths = [\"/\", \"/srv\"]\n";
        f.parseRunsOutOfMemory = tooLarge::equals;
        f.published = Optional.of(Map.entry(2, tooLarge));
        int before = f.requests.size();
        f.scheduler.runFor(Duration.ofMinutes(10));

        assertEquals(1, core.appliedVersion(), "version 1 runs on");
        assertEquals(2, core.failedVersion());
        assertEquals(List.of(ApplyStatus.APPLIED, ApplyStatus.FAILED),
                f.reports.stream().map(StatusReporter.Report::status).toList(), "FAILED once, never retried");
        String error = f.reports.get(1).error();
        assertTrue(error.startsWith("the agent ran out of memory applying version 2 (java.lang.OutOfMemoryError: Java heap"
                + " space, heap of at most "), error);
        assertTrue(error.endsWith("raise its heap (-Xmx in /usr/lib/pgfleet-agent/lib/jvm.options, or"
                + " PGFLEET_AGENT_JAVA_OPTS) or shrink the document"), error);
        assertEquals(1, f.parses.get(tooLarge), "parsed once");
        // The watch moves past the failed version: held, not answered with it again and again.
        int held = (int) (Duration.ofMinutes(10).toSeconds() / AgentCore.WATCH_SECONDS);
        assertTrue(f.requests.size() - before <= held + 2, "no loop on the failed version: " + (f.requests.size() - before)
                + " pulls in 10 minutes, watches of " + AgentCore.WATCH_SECONDS + " s");
        assertTrue(f.requests.stream().skip(before + 1).allMatch(r -> r.after() == 2), f.requests.toString());
        assertTrue(f.logged("could not apply configuration version 2: the agent ran out of memory"), f.log.toString());
        assertTrue(f.scheduler.uncaught.isEmpty(), f.scheduler.uncaught.toString());

        // A later version that fits is applied as usual.
        f.parseRunsOutOfMemory = d -> false;
        f.published = Optional.of(Map.entry(3, SYSSTAT_EVERY_2S.replace("interval = 2", "interval = 3")));
        f.scheduler.runFor(Duration.ofMinutes(6));
        assertEquals(3, core.appliedVersion());
    }

    @Test
    void aVersionStoredBeforeTheListBoundsIsRefusedByTheAgentWithThePlainReason() {
        AgentCore core = f.started(1, SYSSTAT_EVERY_2S);
        StringBuilder paths = new StringBuilder("[collectors.disk_usage]\npaths = [");
        for (int i = 0; i < 300; i++) {
            paths.append(i == 0 ? "" : ", ").append("\"/srv/").append(i).append('"');
        }
        f.published = Optional.of(Map.entry(2, paths.append("]\n").toString()));
        f.scheduler.runFor(Duration.ofMinutes(2));
        assertEquals(1, core.appliedVersion());
        assertEquals(List.of(ApplyStatus.APPLIED, ApplyStatus.FAILED),
                f.reports.stream().map(StatusReporter.Report::status).toList());
        assertEquals("the document is invalid: line 2, column 1, collectors.disk_usage.paths: lists 300 entries; at most 256"
                + " are accepted (what an agent can parse and collect within its memory)", f.reports.get(1).error());
    }

    @Test
    void anErrorAfterEveryAnsweredPullBacksOffLongerAndLongerInsteadOfLooping() {
        // Every status report runs out of memory, and the server answers every pull at once (as it
        // does a version the agent has not applied): the answer is fetched, then handling it fails.
        // The pulls that follow back off as after any failure, more and more.
        f.reportAnswer = r -> {
            throw new OutOfMemoryError("Java heap space");
        };
        f.with().published(1, SYSSTAT_EVERY_2S).serverIgnoringAfter().start();
        f.scheduler.runFor(Duration.ofMinutes(5));

        List<Instant> at = f.requestTimes;
        assertTrue(at.size() >= 5, "it keeps trying: " + at);
        assertTrue(at.size() <= 25, "backed off, not a pull every second: " + at.size() + " pulls in 5 minutes");
        Duration firstMinute = Duration.between(at.get(0), at.get(Math.min(4, at.size() - 1)));
        Duration lastGaps = Duration.between(at.get(at.size() - 5), at.get(at.size() - 1));
        assertTrue(lastGaps.compareTo(firstMinute) > 0, "the pauses grow: " + at);
        assertTrue(f.scheduler.uncaught.isEmpty(), f.scheduler.uncaught.toString());
    }

    @Test
    void aStatusReportTheServerRefusesIsDroppedWithOneLogLineNotSentAgainAfterEveryPull() {
        AgentCore core = f.started(1, SYSSTAT_EVERY_2S);
        // As a server restored from an older backup answers a report of a revision it does not have.
        f.reportAnswer = r -> Optional.of(new ServerException(ServerException.Kind.REJECTED,
                "status report answered 409: unknown-revision", null));
        f.published = Optional.of(Map.entry(2, SYSSTAT_EVERY_2S.replace("interval = 2", "interval = 3")));
        f.scheduler.runFor(Duration.ofMinutes(10));
        assertEquals(2, core.appliedVersion());
        assertEquals(1, f.reportAttempts.stream().filter(r -> r.version() == 2).count(),
                "refused once, not sent again: " + f.reportAttempts.size() + " attempts in all");
        assertEquals(1, f.log.stream().filter(l -> l.contains("refused the apply status report of version 2")).count(),
                f.log.toString());
        assertFalse(f.logged("will retry"), f.log.toString());
    }

    @Test
    void aStatusReportThatCouldNotBeDeliveredIsSentAgainAfterTheNextPull() {
        AgentCore core = f.started(1, SYSSTAT_EVERY_2S);
        java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger(1);
        f.reportAnswer = r -> refusals.getAndDecrement() > 0
                ? Optional.of(new ServerException(ServerException.Kind.UNAVAILABLE, "status report answered 503", null))
                : Optional.empty();
        f.published = Optional.of(Map.entry(2, SYSSTAT_EVERY_2S.replace("interval = 2", "interval = 3")));
        f.scheduler.runFor(Duration.ofMinutes(3));
        assertEquals(2, core.appliedVersion());
        assertEquals(List.of(2), f.reports.stream().map(StatusReporter.Report::version).filter(v -> v == 2).toList(),
                "delivered once the server takes it: " + f.reportAttempts.size() + " attempts in all");
    }

    @Test
    void everySkippedVersionIsLoggedWithItsReasonAndAServerIgnoringAfterCannotMakeABusyLoop() {
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).serverIgnoringAfter().start();
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertTrue(f.logged("skipped configuration version 1: version 1 is not newer than the running version 1"),
                f.log.toString());
        assertTrue(f.requests.size() <= 14, "paced at about one request every 5 s: " + f.requests.size());
        assertTrue(f.scheduler.pullDelays().stream().skip(2)
                .allMatch(d -> d.compareTo(Duration.ofMillis(4500)) >= 0 && d.compareTo(Duration.ofMillis(5500)) <= 0),
                f.scheduler.pullDelays().toString());
    }

    @Test
    void failuresBackOffExponentiallyWithFullJitterNeverBelowAQuarterSecond() {
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S)
                .failingFetches(8, new ServerException(ServerException.Kind.UNAVAILABLE, "connection refused", null)).start();
        f.scheduler.runFor(Duration.ofMinutes(10));
        List<Duration> pauses = f.scheduler.pullDelays().subList(1, 9);
        for (int n = 1; n <= pauses.size(); n++) {
            Duration ceiling = Duration.ofSeconds(1L << (n - 1));
            Duration cap = ceiling.compareTo(Duration.ofSeconds(300)) < 0 ? ceiling : Duration.ofSeconds(300);
            Duration d = pauses.get(n - 1);
            assertTrue(d.compareTo(Duration.ofMillis(250)) >= 0 && d.compareTo(cap) <= 0, "failure " + n + ": " + d);
        }
        assertTrue(pauses.stream().distinct().count() > 3, "jittered, not a fixed ladder: " + pauses);
        assertEquals(1, core.appliedVersion(), "and it recovers");
        assertTrue(f.logged("server unreachable (connection refused); next attempt in"), f.log.toString());
    }

    /** Short intervals: a push every 2 s, a pull every 10 s, no watch. */
    private static final String SHORT_INTERVALS = """
            [collector]
            push_interval = 2
            config_pull_interval = 10
            watch = false
            [collectors.sysstat]
            enabled = true
            interval = 2
            """;

    @Test
    void anOutageIsLoggedOnceInFullThenSummedUpOnceAMinuteAndItsEndSaysHowLongItLasted() {
        f.with().published(1, SHORT_INTERVALS).buffer(20_000).start();
        f.scheduler.runFor(Duration.ofMinutes(1));
        int linesBefore = f.log.size();
        int requestsBefore = f.requests.size();

        f.serverAway = true;
        f.scheduler.runFor(Duration.ofMinutes(10));
        List<String> outage = List.copyOf(f.log.subList(linesBefore, f.log.size()));
        // Some 60 pulls and 200 pushes failed: the first of each said in full, the rest once a minute.
        assertEquals(1, outage.stream().filter(l -> l.startsWith("server unreachable (cannot reach the server: connection refused);"
                + " next attempt in ")).count(), String.join("\n", outage));
        assertEquals(1, outage.stream().filter(l -> l.startsWith("push failed (cannot reach the server: connection refused); ")
                && l.contains(" samples waiting, 0 dropped so far; retrying in ")).count(), String.join("\n", outage));
        java.util.regex.Pattern summary = java.util.regex.Pattern.compile("the server has not been usable for (\\d+) min: "
                + "(\\d+) pulls and (\\d+) pushes failed since 2026-01-01T00:01:0\\dZ \\(the last: cannot reach the server:"
                + " connection refused\\); \\d+ samples waiting in the buffer of 20000 \\(buffer_samples\\), 0 dropped so far");
        List<java.util.regex.Matcher> summaries = outage.stream().map(summary::matcher).filter(java.util.regex.Matcher::matches)
                .toList();
        assertTrue(summaries.size() >= 9 && summaries.size() <= 10, "at most one a minute: " + String.join("\n", outage));
        assertEquals(2 + summaries.size(), outage.size(), "nothing else said: " + String.join("\n", outage));
        for (int i = 0; i < summaries.size(); i++) {
            assertTrue(Integer.parseInt(summaries.get(i).group(1)) >= i + 1 && Integer.parseInt(summaries.get(i).group(1)) <= 10,
                    "the time since the outage began: " + summaries.get(i).group());
            if (i > 0) {
                assertTrue(Integer.parseInt(summaries.get(i).group(2)) > Integer.parseInt(summaries.get(i - 1).group(2)));
                assertTrue(Integer.parseInt(summaries.get(i).group(3)) > Integer.parseInt(summaries.get(i - 1).group(3)));
            }
        }

        // Another failure: said in full at once, on each lane.
        f.awayAs = new ServerException(ServerException.Kind.UNAVAILABLE, "sample push answered 503: the database is away", null);
        int linesAtChange = f.log.size();
        f.scheduler.runFor(Duration.ofSeconds(12));
        List<String> changed = List.copyOf(f.log.subList(linesAtChange, f.log.size()));
        assertEquals(1, changed.stream().filter(l -> l.startsWith("server unreachable (sample push answered 503: the database is away);"))
                .count(), String.join("\n", changed));
        assertEquals(1, changed.stream().filter(l -> l.startsWith("push failed (sample push answered 503: the database is away);"))
                .count(), String.join("\n", changed));

        int pullsFailed = f.requests.size() - requestsBefore;
        int pushesFailed = f.pushAttempts;
        int linesAtReturn = f.log.size();
        f.serverAway = false;
        f.scheduler.runFor(Duration.ofSeconds(30));
        List<String> back = List.copyOf(f.log.subList(linesAtReturn, f.log.size()));
        assertEquals(List.of("configuration pulls succeed again after 10 min", "pushes succeed again after 10 min"),
                back.stream().filter(l -> l.contains("succeed again")).map(l -> l.replaceFirst("(after 10 min).*", "$1")).toList(),
                String.join("\n", back));
        String pullsBack = back.stream().filter(l -> l.startsWith("configuration pulls")).findFirst().orElseThrow();
        String pushesBack = back.stream().filter(l -> l.startsWith("pushes")).findFirst().orElseThrow();
        assertTrue(pullsBack.contains(": " + pullsFailed + " failed since 2026-01-01T00:01:0"), pullsBack);
        assertTrue(pushesBack.contains(": " + pushesFailed + " failed since 2026-01-01T00:01:0"), pushesBack);

        // A short outage later is a streak of its own: said in full again, and its end too.
        f.awayAs = new ServerException(ServerException.Kind.UNAVAILABLE, "cannot reach the server: connection refused", null);
        f.serverAway = true;
        f.scheduler.runFor(Duration.ofSeconds(3));
        f.serverAway = false;
        int linesAfter = f.log.size();
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertTrue(f.log.subList(linesBefore, linesAfter).stream().filter(l -> l.startsWith("push failed (cannot reach")).count() == 2,
                f.log.toString());
        assertTrue(f.log.subList(linesAfter, f.log.size()).stream().anyMatch(l -> l.startsWith("pushes succeed again after ")),
                f.log.toString());
    }

    /** Every collector off: the agent collects nothing, so it holds nothing to push. */
    private static final String NOTHING_ENABLED = """
            [collector]
            config_pull_interval = 20
            push_interval = 5
            watch = false
            [collectors.pg_stats]
            enabled = false
            [collectors.pg_connections]
            enabled = false
            [collectors.pg_locks]
            enabled = false
            [collectors.sysstat]
            enabled = false
            [collectors.disk_usage]
            enabled = false
            [collectors.pg_stat_statements]
            enabled = false
            """;

    @Test
    void anAgentWithEveryCollectorOffIsHeardFromWithinItsLongestSilenceByAnEmptyPush() {
        AgentCore core = f.started(1, NOTHING_ENABLED);
        assertEquals(1, core.appliedVersion());
        Duration silence = core.current().longestSilence();
        assertEquals(Duration.ofSeconds(20), silence, "the pull interval, the longest of its intervals");
        f.scheduler.runFor(Duration.ofMinutes(5));

        assertTrue(f.pushedSizes.size() >= 12, "an empty push every 20 s or so: " + f.pushedSizes);
        assertTrue(f.pushedSizes.stream().allMatch(n -> n == 0), "nothing collected, nothing in them: " + f.pushedSizes);
        List<Instant> contacts = java.util.stream.Stream.concat(f.reportTimes.stream(), f.pushTimes.stream())
                .sorted().toList();
        for (int i = 1; i < contacts.size(); i++) {
            Duration gap = Duration.between(contacts.get(i - 1), contacts.get(i));
            assertTrue(gap.compareTo(silence.plus(core.current().pushInterval())) <= 0,
                    "heard from within its longest silence and one push interval, well inside the three the server"
                            + " waits before it calls it stale: " + contacts);
        }
        assertTrue(Duration.between(contacts.getLast(), f.scheduler.now()).compareTo(silence.multipliedBy(3)) < 0);
        assertEquals(List.of(), f.log.stream().filter(l -> l.startsWith("push") || l.contains("empty push")).toList(),
                "nothing to say about them");
        assertTrue(f.logged("applied configuration version 1 at start: no collector enabled; push every 5 s"),
                f.log.toString());
    }

    @Test
    void anEmptyPushTheServerRefusesIsSaidOnceAndTriedAgainOnlyAfterAnotherSilence() {
        // A server or a proxy before it that takes no batch without samples (400).
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        AgentCore core = f.with().published(1, NOTHING_ENABLED).sinkAnswering(s -> {
            if (!s.isEmpty()) {
                return Optional.empty();
            }
            refused.incrementAndGet();
            return Optional.of(new ServerException(ServerException.Kind.REJECTED, "push answered 400: no samples", null));
        }).start();
        f.scheduler.runFor(Duration.ofMinutes(5));

        Duration silence = core.current().longestSilence();
        long silences = Duration.ofMinutes(5).dividedBy(silence);
        assertTrue(refused.get() >= silences - 2 && refused.get() <= silences + 1,
                "one empty push a silence (" + silence + "), not one a push interval: " + refused.get());
        assertEquals(1, f.log.stream().filter(l -> l.contains("the server refused an empty push")).count(), f.log.toString());
        assertEquals(1, core.appliedVersion());
    }

    @Test
    void anAgentThatHoldsSamplesSendsNoEmptyPush() {
        f.started(1, SYSSTAT_EVERY_2S);
        f.scheduler.runFor(Duration.ofMinutes(5));
        assertTrue(f.pushedSizes.size() >= 50, f.pushedSizes.toString());
        assertTrue(f.pushedSizes.stream().allMatch(n -> n > 0), f.pushedSizes.toString());
    }

    @Test
    void aBatchTooLargeForTheServerIsSplitAndEverySampleIsStoredOnce() {
        // This server takes at most 300 samples a request and answers 413 above.
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(500).buffer(100_000)
                .sinkAnswering(s -> s.size() > 300
                        ? Optional.of(new ServerException(ServerException.Kind.TOO_LARGE, "push answered 413", null))
                        : Optional.empty())
                .start();
        f.scheduler.runFor(Duration.ofSeconds(21));
        core.stop();
        assertTrue(f.pushedSizes.stream().allMatch(n -> n <= 300), f.pushedSizes.toString());
        assertTrue(f.logged("too large; sending it as two of"), f.log.toString());
        List<Sample> stored = f.storedSamples().stream().filter(s -> !s.name().equals(AgentCore.DROPPED_METRIC)).toList();
        assertEquals(f.sampleSeq, stored.size(), "every sample stored");
        assertEquals(stored.size(), stored.stream().distinct().count(), "and only once");
        assertEquals(0, core.dropped());
    }

    @Test
    void batchesStayBelowTheServersCountAndByteLimits() {
        List<Long> bytes = new java.util.ArrayList<>();
        f.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(4000).buffer(100_000).sinkAnswering(s -> {
            bytes.add(s.stream().mapToLong(AgentCore::jsonBytes).sum());
            return Optional.empty();
        }).start();
        f.scheduler.runFor(Duration.ofSeconds(11));
        assertTrue(f.pushedSizes.stream().allMatch(n -> n <= AgentCore.MAX_BATCH_SAMPLES), f.pushedSizes.toString());
        assertTrue(bytes.stream().allMatch(b -> b <= AgentCore.MAX_BATCH_BYTES), bytes.toString());
        assertTrue(AgentCore.MAX_BATCH_SAMPLES < io.pgfleet.domain.fleet.SampleBatch.MAX_SAMPLES);
    }

    @Test
    void aBatchTheServerRefusesIsNeverResentAndItsSamplesAreCountedAsDropped() {
        List<List<Sample>> refused = new java.util.ArrayList<>();
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).sinkAnswering(s -> {
            if (refused.isEmpty()) {
                refused.add(s);
                return Optional.of(new ServerException(ServerException.Kind.REJECTED, "push answered 400", null));
            }
            return Optional.empty();
        }).start();
        f.scheduler.runFor(Duration.ofSeconds(16));
        assertEquals(1, refused.size(), "sent once, never again");
        long lost = refused.get(0).size();
        assertEquals(lost, core.dropped());
        Sample counter = f.storedSamples().stream().filter(s -> s.name().equals(AgentCore.DROPPED_METRIC))
                .reduce((a, b) -> b).orElseThrow();
        assertEquals(lost, (long) counter.value(), "the drop count is pushed as a sample");
        assertTrue(f.logged("samples dropped since the last report"), f.log.toString());
    }

    @Test
    void whenTheServerIsAwayLongEnoughToFillTheBufferEveryBufferedSampleIsStoredOnceAndDropsAreCounted() {
        boolean[] away = {true};
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(10).buffer(100)
                .sinkAnswering(s -> away[0]
                        ? Optional.of(new ServerException(ServerException.Kind.UNAVAILABLE, "cannot reach the server", null))
                        : Optional.empty())
                .start();
        f.scheduler.runFor(Duration.ofMinutes(2));
        long produced = f.sampleSeq;
        assertTrue(produced > 300, "the buffer of 100 overflowed: " + produced);
        away[0] = false;
        // Collection goes on while the server comes back; stop the collectors' output to count exactly.
        f.samplesPerRun = 0;
        f.scheduler.runFor(Duration.ofMinutes(2));
        List<Sample> stored = f.storedSamples().stream().filter(s -> !s.name().equals(AgentCore.DROPPED_METRIC)).toList();
        assertEquals(stored.size(), stored.stream().distinct().count(), "stored exactly once");
        assertEquals(produced, stored.size() + core.dropped(), "every sample is stored or counted as dropped");
        assertTrue(stored.size() >= 100, "at least the whole buffer arrived: " + stored.size());
        double reported = f.storedSamples().stream().filter(s -> s.name().equals(AgentCore.DROPPED_METRIC))
                .mapToDouble(Sample::value).max().orElseThrow();
        assertEquals(core.dropped(), (long) reported, "the drops are reported as a sample");
        assertTrue(f.logged("because the buffer of 100 was full"), f.log.toString());
        assertEquals(0, core.waitingSamples());
    }

    @Test
    void samplesNotDeliveredWhenTheAgentStopsAreSentAfterItStartsAgainEachOnce() {
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(10).buffer(20_000).start();
        f.scheduler.runFor(Duration.ofMinutes(2));
        f.serverAway = true;
        f.scheduler.runFor(Duration.ofMinutes(10));
        core.stop();
        long produced = f.sampleSeq;
        assertTrue(f.spooled.samples() >= 2_500, "the outage's samples are kept on disk: " + f.spooled.samples());
        assertTrue(f.logged("samples not delivered are kept on disk"), String.join("\n", f.log));

        // Started again (an upgrade, a reboot) and the server is back: what was kept goes first.
        f.serverAway = false;
        f.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(0).buffer(20_000).start();
        f.scheduler.runFor(Duration.ofMinutes(2));
        assertTrue(f.logged("samples the last run could not deliver are sent first"), String.join("\n", f.log));
        List<Long> stored = f.storedSamples().stream().filter(x -> !x.name().equals(AgentCore.DROPPED_METRIC))
                .map(x -> Long.parseLong(x.labels().get("n"))).toList();
        assertEquals(stored.size(), new java.util.HashSet<>(stored).size(), "each sample stored once");
        assertEquals(java.util.stream.LongStream.range(0, produced).boxed().toList(), stored.stream().sorted().toList(),
                "every sample produced before the stop is stored");
        assertEquals(SampleSpool.Unsent.NOTHING, f.spooled, "delivered: nothing is kept any more");
    }

    @Test
    void aCrashDuringAnOutageLosesAtMostTheLastMinuteOfSamples() {
        f.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(10).buffer(20_000).start();
        f.scheduler.runFor(Duration.ofMinutes(2));
        f.serverAway = true;
        f.scheduler.runFor(Duration.ofMinutes(10).plusSeconds(30));
        long produced = f.sampleSeq;
        int writes = f.spoolWrites;
        assertTrue(writes >= 10 && writes <= 12, "kept on disk at the first failure, then about once a minute: " + writes);

        // kill -9: the core is gone without stopping; a new process starts on the same state directory.
        Fakes restarted = new Fakes();
        restarted.spooled = f.spooled;
        restarted.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(0).buffer(20_000).start();
        restarted.scheduler.runFor(Duration.ofMinutes(2));
        List<Long> stored = java.util.stream.Stream.concat(f.storedSamples().stream(), restarted.storedSamples().stream())
                .filter(x -> !x.name().equals(AgentCore.DROPPED_METRIC))
                .map(x -> Long.parseLong(x.labels().get("n"))).toList();
        assertEquals(stored.size(), new java.util.HashSet<>(stored).size(), "each sample stored once");
        List<Long> missing = java.util.stream.LongStream.range(0, produced).filter(n -> !stored.contains(n)).boxed().toList();
        // 10 samples every 2 s: a minute is 300 samples.
        assertTrue(missing.size() <= 310, "at most the minute since the last write is lost, not the outage's "
                + "3,000 samples: " + missing.size() + " missing");
        assertTrue(missing.stream().allMatch(n -> n >= produced - 310), "only the newest are missing: " + missing);
    }

    /**
     * The wall clock stepped back during an outage (NTP correcting a clock that ran ahead, a VM
     * resumed from an old snapshot): the samples are still written to disk about once a minute, not
     * only once the clock has caught up with the last write, an hour later.
     */
    @Test
    void aWallClockSteppedBackDuringAnOutageDoesNotStopKeepingSamplesOnDisk() {
        f.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(10).buffer(20_000).start();
        f.scheduler.runFor(Duration.ofMinutes(2));
        f.serverAway = true;
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertEquals(1, f.spoolWrites, "kept on disk at the first failure");
        f.scheduler.stepWallClock(Duration.ofHours(-1));
        f.scheduler.runFor(Duration.ofMinutes(10));
        long produced = f.sampleSeq;
        assertTrue(f.spoolWrites >= 10, "about once a minute after the step too: " + f.spoolWrites);

        // kill -9, and a new process on the same state directory.
        Fakes restarted = new Fakes();
        restarted.spooled = f.spooled;
        restarted.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(0).buffer(20_000).start();
        restarted.scheduler.runFor(Duration.ofMinutes(2));
        java.util.Set<Long> stored = java.util.stream.Stream.concat(f.storedSamples().stream(),
                        restarted.storedSamples().stream())
                .filter(x -> !x.name().equals(AgentCore.DROPPED_METRIC))
                .map(x -> Long.parseLong(x.labels().get("n"))).collect(java.util.stream.Collectors.toSet());
        long missing = java.util.stream.LongStream.range(0, produced).filter(n -> !stored.contains(n)).count();
        // 10 samples every 2 s: the minute since the last write and the push back-off before the next
        // write (at most 25 s here) are 425; the 10 minutes since the step would be 3,000.
        assertTrue(missing <= 425, "at most the last minute and a back-off are lost, not the samples since the step: "
                + missing);
    }

    /**
     * The wall clock stepped hours forward during an outage, then back (a VM resumed with a wrong
     * clock, corrected by NTP later): collection keeps its rhythm, what waits is kept on disk about
     * once a minute throughout, and once the server is back every sample is stored exactly once.
     */
    @Test
    void aWallClockSteppedHoursForwardThenBackDuringAnOutageKeepsTheRhythmAndLosesNothing() {
        f.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(10).buffer(20_000).start();
        f.scheduler.runFor(Duration.ofMinutes(1));
        f.serverAway = true;
        f.scheduler.runFor(Duration.ofSeconds(30));
        int runs = count(CollectorKind.SYSSTAT);
        f.scheduler.stepWallClock(Duration.ofHours(3));
        f.scheduler.runFor(Duration.ofMinutes(3));
        int writesAhead = f.spoolWrites;
        f.scheduler.stepWallClock(Duration.ofHours(-3));
        f.scheduler.runFor(Duration.ofMinutes(3));
        assertTrue(count(CollectorKind.SYSSTAT) - runs >= 175, "sysstat kept its 2 s rhythm through both steps: "
                + (count(CollectorKind.SYSSTAT) - runs) + " runs in 6 minutes");
        // Once a minute, at the first failed push after it (pushes back off up to 25 s here): at least
        // two writes in each 3 minutes, and no extra write for either step.
        assertTrue(writesAhead >= 3 && f.spoolWrites - writesAhead >= 2 && f.spoolWrites <= 8,
                "kept on disk about once a minute on either side of the steps: " + writesAhead + ", " + f.spoolWrites);

        f.serverAway = false;
        f.scheduler.runFor(Duration.ofMinutes(2));
        List<Long> stored = f.storedSamples().stream().filter(x -> !x.name().equals(AgentCore.DROPPED_METRIC))
                .map(x -> Long.parseLong(x.labels().get("n"))).toList();
        assertEquals(stored.size(), new java.util.HashSet<>(stored).size(), "each sample stored once");
        assertEquals(f.sampleSeq, new java.util.HashSet<>(stored).size(), "none lost");
    }

    @Test
    void aStateDirectoryThatCannotKeepSamplesLeavesThemInMemoryAndSaysSo() {
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(10).stateReadOnly().start();
        f.scheduler.runFor(Duration.ofMinutes(1));
        f.serverAway = true;
        f.scheduler.runFor(Duration.ofMinutes(3));
        assertTrue(f.logged("cannot keep the"), String.join("\n", f.log));
        f.serverAway = false;
        f.samplesPerRun = 0;
        f.scheduler.runFor(Duration.ofMinutes(2));
        assertEquals(0, core.waitingSamples(), "delivered from memory all the same");
    }

    @Test
    void anHourWithoutTheServerKeepsCollectingWithinTheBufferAndAfterwardsDeliversTheNewestOnceInOrderAndTheVersionPublishedMeanwhile() {
        // The documented defaults: a buffer of 20,000 samples. 10 samples every 2 s and every 10 s make
        // 21,600 an hour, so an hour away overflows it.
        int bufferSamples = 20_000;
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(10).buffer(bufferSamples).start();
        f.scheduler.runFor(Duration.ofMinutes(1));
        long beforeOutage = f.sampleSeq;
        Duration pullCap = Duration.ofSeconds(60).compareTo(core.current().pullInterval()) < 0
                ? Duration.ofSeconds(60) : core.current().pullInterval();

        f.serverAway = true;
        int requestsBefore = f.requests.size();
        int pullDelaysBefore = f.scheduler.pullDelays().size();
        int sysstatBefore = count(CollectorKind.SYSSTAT);
        for (int minute = 1; minute <= 60; minute++) {
            if (minute == 30) {
                // Published while the agent cannot hear it.
                f.published = Optional.of(Map.entry(2, SYSSTAT_EVERY_2S + "[collectors.pg_connections]\nenabled = true\n"));
            }
            f.scheduler.runFor(Duration.ofMinutes(1));
            assertTrue(core.bufferedSamples() <= bufferSamples, "minute " + minute + ": " + core.bufferedSamples());
            assertTrue(core.waitingSamples() <= bufferSamples + AgentCore.MAX_BATCH_SAMPLES,
                    "the buffer and the one batch kept for its retry: " + core.waitingSamples());
        }
        long producedInOutage = f.sampleSeq - beforeOutage;
        assertTrue(count(CollectorKind.SYSSTAT) - sysstatBefore >= 1795, "collection went on every 2 s for the hour");
        assertTrue(producedInOutage > bufferSamples, "the buffer overflowed: " + producedInOutage);
        assertEquals(1, core.appliedVersion(), "version 1 ran through the hour");

        // The back-off stays capped: no pause above min(pull interval, 60 s), so a few requests a minute at most.
        List<Duration> pauses = f.scheduler.pullDelays().subList(pullDelaysBefore, f.scheduler.pullDelays().size());
        assertTrue(pauses.stream().allMatch(d -> d.compareTo(pullCap) <= 0), "capped at " + pullCap + ": " + pauses);
        int pulls = f.requests.size() - requestsBefore;
        assertTrue(pulls >= 60 && pulls <= 300, "pulls in the hour away: " + pulls);
        assertTrue(f.pushAttempts >= 60 && f.pushAttempts <= 800, "push attempts in the hour away: " + f.pushAttempts);
        assertTrue(f.logged("samples dropped since the last report"), "the drops are logged while they happen");
        assertTrue(core.droppedBufferFull() > 0);

        f.serverAway = false;
        f.scheduler.runFor(pullCap.plusSeconds(5));
        assertEquals(2, core.appliedVersion(), "the version published during the outage runs within a minute of the return: "
                + f.reports);
        f.scheduler.runFor(Duration.ofSeconds(30));
        // Stop the collectors' output to count exactly; what was waiting is pushed by now.
        f.samplesPerRun = 0;
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertEquals(0, core.waitingSamples());

        List<Long> stored = f.storedSamples().stream().filter(x -> !x.name().equals(AgentCore.DROPPED_METRIC))
                .map(x -> Long.parseLong(x.labels().get("n"))).toList();
        assertEquals(stored.size(), new java.util.HashSet<>(stored).size(), "each sample stored once");
        for (int i = 1; i < stored.size(); i++) {
            assertTrue(stored.get(i) > stored.get(i - 1), "in the order produced, at " + i);
        }
        long produced = f.sampleSeq;
        assertEquals(produced, stored.size() + core.dropped(), "every sample stored or counted as dropped");
        assertEquals(core.dropped(), core.droppedBufferFull(), "only the full buffer dropped samples");
        // What was dropped is one run of the oldest buffered samples: the batch taken out for the first
        // retry is kept whole, then everything from the newest 20,000 on is delivered.
        List<Long> missing = java.util.stream.LongStream.range(0, produced).filter(n -> !stored.contains(n)).boxed().toList();
        assertEquals(core.dropped(), missing.size());
        assertEquals(missing.get(missing.size() - 1) - missing.get(0) + 1, missing.size(), "one contiguous run: " + missing.get(0)
                + ".." + missing.get(missing.size() - 1));
        assertTrue(missing.get(0) >= beforeOutage, "nothing from before the outage is lost");
        assertTrue(missing.get(0) - beforeOutage <= AgentCore.MAX_BATCH_SAMPLES, "the batch kept for its retry arrived");
        double reported = f.storedSamples().stream().filter(x -> x.name().equals(AgentCore.DROPPED_METRIC))
                .mapToDouble(Sample::value).max().orElseThrow();
        assertEquals(core.dropped(), (long) reported, "the drop count reached the server");
        assertTrue(f.pushedSizes.stream().allMatch(n -> n <= AgentCore.MAX_BATCH_SAMPLES), "the backlog went in batches");
    }

    @Test
    void aRefusedIdentityStopsAllRequestsUntilAnEnrolmentTokenReBindsTheSameId() {
        AgentCore core = f.started(1, SYSSTAT_EVERY_2S);
        f.fetchFailures.add(new ServerException(ServerException.Kind.IDENTITY_REFUSED, "token refresh refused", null));
        f.published = Optional.of(Map.entry(2, SYSSTAT_EVERY_2S));
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertTrue(core.lockedOut());
        assertTrue(f.logged("POST /api/v1/collectors/c-1/enrolment-token, then put the token in /etc/pgfleet/enrolment-token"),
                f.log.toString());
        int asked = f.requests.size();
        int pushes = f.pushedSizes.size();
        f.scheduler.runFor(Duration.ofMinutes(10));
        assertEquals(asked, f.requests.size(), "nothing is sent while locked out");
        assertEquals(pushes, f.pushedSizes.size());
        assertEquals(0, f.registrations, "never registers itself anew");

        f.enrolmentToken = Optional.of("one-time");
        f.scheduler.runFor(Duration.ofSeconds(61));
        assertEquals(1, f.registrations);
        assertEquals(Optional.of("c-1"), f.collectorId);
        assertFalse(core.lockedOut());
        assertEquals(2, core.appliedVersion(), "back to work under its id");
        assertTrue(f.pushedSizes.size() > pushes, "and the samples kept meanwhile are pushed");
    }

    @Test
    void anEnrolmentTokenThatDidNotReachTheServerIsNotUsedUpAndIsTriedAgainUntilItDoes() {
        AgentCore core = f.started(1, SYSSTAT_EVERY_2S);
        f.fetchFailures.add(new ServerException(ServerException.Kind.IDENTITY_REFUSED, "token refresh refused", null));
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertTrue(core.lockedOut());

        // The operator's new token meets an outage, or a proxy's page the agent takes as one: the
        // server never saw it, so it is not "not accepted".
        f.serverAway = true;
        f.enrolmentToken = Optional.of("one-time");
        f.scheduler.runFor(Duration.ofMinutes(3));
        assertEquals(0, f.registrations);
        assertTrue(core.lockedOut());
        assertFalse(f.logged("the enrolment token was not accepted"), f.log.toString());
        assertTrue(f.logged("the enrolment token did not reach the server (cannot reach the server: connection refused);"
                + " it is kept and tried again"), f.log.toString());

        f.serverAway = false;
        f.scheduler.runFor(Duration.ofMinutes(2));
        assertEquals(1, f.registrations, "the same token, once it reached the server");
        assertFalse(core.lockedOut());
        assertEquals(Optional.of("c-1"), f.collectorId);
    }

    @Test
    void aDecommissionedCollectorIsSaidPlainlyWithoutTheReEnrolmentAdviceAndNothingIsAskedAgain() {
        AgentCore core = f.started(1, SYSSTAT_EVERY_2S);
        f.fetchFailures.add(new ServerException(ServerException.Kind.DECOMMISSIONED,
                "collector 'c-1' was decommissioned at 2026-11-30T09:12:44.512Z; register the host under a new id", null));
        f.published = Optional.of(Map.entry(2, SYSSTAT_EVERY_2S));
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertTrue(core.lockedOut());
        assertTrue(f.logged("collector c-1 was decommissioned; the server says: collector 'c-1' was decommissioned at"
                + " 2026-11-30T09:12:44.512Z"), f.log.toString());
        assertTrue(f.logged("register it under a new id: stop the agent, delete identity.properties"), f.log.toString());
        assertFalse(f.logged("/api/v1/collectors/c-1/enrolment-token"), "no advice that cannot be followed: " + f.log);
        int asked = f.requests.size();
        int pushes = f.pushedSizes.size();

        // Even a token (for another collector: none can be issued for this id) is not presented.
        f.enrolmentToken = Optional.of("one-time");
        f.scheduler.runFor(Duration.ofMinutes(10));
        assertEquals(asked, f.requests.size(), "nothing is asked of the server any more");
        assertEquals(pushes, f.pushedSizes.size());
        assertEquals(0, f.registrations);
        assertTrue(core.lockedOut());
    }

    /**
     * A decommission between a pull and the report of what it applied: the report's refusal is the
     * first word of it, and is said as the decommission it is, not as a report to retry.
     */
    @Test
    void aStatusReportRefusedForADecommissionLocksTheAgentOutWithoutAWillRetry() {
        f.reportAnswer = r -> Optional.of(new ServerException(ServerException.Kind.DECOMMISSIONED,
                "collector 'c-1' was decommissioned at 2026-11-30T09:12:44.512Z; register the host under a new id", null));
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).start();
        f.scheduler.runFor(Duration.ofSeconds(30));

        assertTrue(core.lockedOut());
        assertTrue(f.logged("collector c-1 was decommissioned; the server says: collector 'c-1' was decommissioned at"),
                f.log.toString());
        assertFalse(f.logged("will retry"), f.log.toString());
        int asked = f.requests.size();
        int reports = f.reportAttempts.size();
        f.scheduler.runFor(Duration.ofMinutes(5));
        assertEquals(asked, f.requests.size(), "nothing is asked of the server any more");
        assertEquals(reports, f.reportAttempts.size(), "and no report is sent again");
    }

    @Test
    void aSighupDuringAHeldWatchEndsItAndPullsAtOnceWithoutCountingAFailure() throws Exception {
        f.watchesBlock = true;
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).start();
        // The pull lane on a thread of its own, blocked in the watch as behind a server holding it.
        Thread lane = Thread.ofPlatform().name("pull-lane").daemon().start(() -> f.scheduler.runFor(Duration.ofMinutes(1)));
        try {
            ConfigSource.Request held = f.blockedWatches.poll(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(new ConfigSource.Request("\"v1\"", AgentCore.WATCH_SECONDS, 1), held);
            java.time.Instant heldAt = f.scheduler.now();

            core.pullNow();

            ConfigSource.Request next = f.blockedWatches.poll(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(held, next, "the next watch began without waiting for the held one to end: " + f.log);
            assertEquals(heldAt, f.scheduler.now(), "at once");
            assertEquals(1, f.aborts.get());
        } finally {
            // A watch still blocked (the test failed) must not hold the lane's thread.
            f.unblockWatches();
            lane.join();
        }
        assertEquals(List.of(false, false, false), f.fetchedInterrupted.subList(0, 3), "no thread was interrupted");
        assertFalse(f.selfMetrics.contains("pull error"), f.selfMetrics.toString());
        assertFalse(f.logged("failed") || f.logged("unreachable") || f.logged("refused"), f.log.toString());
        assertEquals(Duration.ZERO, f.scheduler.pullDelays().get(2), "no back-off: " + f.scheduler.pullDelays());
        assertEquals(1, core.appliedVersion());
    }

    @Test
    void aSighupDuringAHeldWatchReEnrolsAtOnceWithTheTokenPutInPlaceMeanwhile() throws Exception {
        f.watchesBlock = true;
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).sinkAnswering(s -> Optional.of(
                new ServerException(ServerException.Kind.IDENTITY_REFUSED, "token refresh refused", null))).start();
        Thread lane = Thread.ofPlatform().name("pull-lane").daemon().start(() -> f.scheduler.runFor(Duration.ofMinutes(2)));
        try {
            assertTrue(f.blockedWatches.poll(30, java.util.concurrent.TimeUnit.SECONDS) != null, "the watch is held");
            // While the watch is held, the push lane learns that the collector was revoked.
            f.scheduler.advance(Duration.ofSeconds(10), Scheduler.Lane.PULL);
            assertTrue(core.lockedOut(), f.log.toString());
            f.sinkAnswer = s -> Optional.empty();
            f.enrolmentToken = Optional.of("one-time");

            core.pullNow();

            ConfigSource.Request next = f.blockedWatches.poll(30, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(next != null, "watching again without waiting for the held watch to end: " + f.log);
            assertEquals(1, f.registrations);
            assertFalse(core.lockedOut());
            assertTrue(f.logged("re-enrolled: collector c-1 is this agent's again"), f.log.toString());
        } finally {
            // A watch still blocked (the test failed) must not hold the lane's thread.
            f.unblockWatches();
            lane.join();
        }
        assertEquals(1, core.appliedVersion());
    }

    @Test
    void manySighupsDuringOneWatchEndItOnceAndBringOnePullAfterIt() {
        AgentCore core = f.started(1, SYSSTAT_EVERY_2S);
        int asked = f.requests.size();
        f.duringNextWatch = Optional.of(() -> {
            for (int i = 0; i < 5; i++) {
                core.pullNow();
            }
        });
        f.scheduler.runFor(Duration.ofSeconds(1));
        assertEquals(1, f.aborts.get(), "one watch to end");
        assertEquals(asked + 2, f.requests.size(), "the ended watch and one pull after it: "
                + f.requests.subList(asked, f.requests.size()));
        assertEquals(5, f.log.stream().filter(l -> l.startsWith("SIGHUP: pulling")).count(), f.log.toString());
        assertFalse(f.selfMetrics.contains("pull error"), f.selfMetrics.toString());
    }

    @Test
    void aSighupBetweenPullsPullsAtOnceAndALockedOutAgentTakesItsNewTokenThen() {
        AgentCore core = f.started(1, SYSSTAT_EVERY_2S);
        f.fetchFailures.add(new ServerException(ServerException.Kind.IDENTITY_REFUSED, "token refresh refused", null));
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertTrue(core.lockedOut());
        f.enrolmentToken = Optional.of("one-time");

        core.pullNow();

        f.scheduler.runFor(Duration.ofSeconds(1));
        assertEquals(1, f.registrations, "not after the 60 s of the lock-out's own look");
        assertFalse(core.lockedOut());
        assertEquals(0, f.aborts.get(), "no watch was under way to end");
    }

    @Test
    void aCollectorTheDatabaseCannotServeFailsTheVersionWithTheReasonAndTheFactsTravelWithTheReport() {
        f.database = Optional.of(new io.pgfleet.domain.fleet.HostFacts.PostgresFacts("localhost", 5432, 140_022,
                List.of(), List.of("postgres"), false, Map.of("postgres", List.of("plpgsql"))));
        AgentCore core = f.started(1, "[collector]\npush_interval = 5\n");
        assertEquals(1, core.appliedVersion());
        assertEquals(f.database, f.reports.getLast().postgres(), "what the database offers goes with the report");

        f.published = Optional.of(Map.entry(2, "[collectors.pg_stat_statements]\nenabled = true\n"));
        f.scheduler.runFor(Duration.ofSeconds(30));

        assertEquals(1, core.appliedVersion(), "version 1 keeps running");
        assertEquals(2, core.failedVersion());
        assertTrue(f.logged("version 2 needs what the database lacked when last read"), f.log.toString());
        StatusReporter.Report r = f.reports.getLast();
        assertEquals(ApplyStatus.FAILED, r.status());
        assertTrue(r.error().contains("extension pg_stat_statements in database postgres")
                && r.error().contains("shared_preload_libraries"), r.error());
        assertFalse(f.collected.contains(CollectorKind.PG_STAT_STATEMENTS));

        // Once the database has it, a newer version runs the collector.
        f.database = Optional.of(new io.pgfleet.domain.fleet.HostFacts.PostgresFacts("localhost", 5432, 140_022,
                List.of("pg_stat_statements"), List.of("postgres"), false, Map.of("postgres", List.of("pg_stat_statements"))));
        // The facts read for version 2 still lack it: version 3 is decided on facts read again for it.
        f.published = Optional.of(Map.entry(3, "[collectors.pg_stat_statements]\nenabled = true\ninterval = 1\n"));
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertEquals(3, core.appliedVersion(), f.log.toString());
        assertTrue(f.collected.contains(CollectorKind.PG_STAT_STATEMENTS));
    }

    @Test
    void anAppliedVersionClaimsNoFactsReadBeforeItAndTheReportGoesAgainWithTheFactsReadAfter() {
        HostFactsPg withExtension = HostFactsPg.of(List.of("pg_stat_statements"), List.of("pg_stat_statements"));
        f.database = Optional.of(withExtension.facts());
        AgentCore core = f.started(1, "[collectors.pg_stat_statements]\nenabled = true\n");
        assertEquals(1, core.appliedVersion());
        assertEquals(f.database, f.reports.getLast().postgres(), "read after the apply, sent with the report again");

        // The extension is dropped; the facts read before do not know it. The next version is applied
        // without waiting for the database (the facts lane does not run yet), and claims nothing.
        f.database = Optional.of(HostFactsPg.of(List.of(), List.of("plpgsql")).facts());
        int before = f.reports.size();
        f.published = Optional.of(Map.entry(2, "[collectors.pg_stat_statements]\nenabled = true\n"
                + "[collector]\npush_interval = 7\n"));
        f.scheduler.advance(Duration.ofSeconds(30), Scheduler.Lane.FACTS);
        assertEquals(2, core.appliedVersion(), "applied while its facts are not read yet");
        assertEquals(Duration.ofSeconds(7), core.current().pushInterval());
        StatusReporter.Report applied = f.reports.get(before);
        assertEquals(ApplyStatus.APPLIED, applied.status());
        assertEquals(Optional.empty(), applied.postgres(), "no capability claimed on facts read before this version");

        f.scheduler.runFor(Duration.ofSeconds(1));
        StatusReporter.Report again = f.reports.getLast();
        assertEquals(2, again.version());
        assertEquals(ApplyStatus.APPLIED, again.status());
        assertEquals(f.database, again.postgres(), "the fresh facts go to the server, which sees what is lacking");
        assertTrue(f.logged("the monitored database does not offer what version 2 needs"), f.log.toString());
    }

    /** Facts of a PostgreSQL 14 on localhost:5432 with one database, postgres. */
    private record HostFactsPg(io.pgfleet.domain.fleet.HostFacts.PostgresFacts facts) {
        static HostFactsPg of(List<String> preload, List<String> extensions) {
            return new HostFactsPg(new io.pgfleet.domain.fleet.HostFacts.PostgresFacts("localhost", 5432, 140_022,
                    preload, List.of("postgres"), false, Map.of("postgres", extensions)));
        }
    }

    @Test
    void anUnreachableDatabaseSaysNothingAndRefusesNothing() {
        AgentCore core = f.started(1, "[collectors.pg_stat_statements]\nenabled = true\n");
        assertEquals(1, core.appliedVersion());
        assertEquals(Optional.empty(), f.reports.get(0).postgres());
    }

    @Test
    void aVersionThatCutsTheAgentOffTheDatabaseItReachesIsRefusedAndNotRetried() {
        AgentCore core = f.started(1, "[postgres]\nport = 5432\n");
        assertEquals(1, core.appliedVersion());
        f.unreachablePorts.put(1, "Connection to localhost:1 refused");
        f.published = Optional.of(Map.entry(2, "[postgres]\nport = 1\n"));
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertEquals(1, core.appliedVersion(), "still running the version that reaches the database");
        assertEquals(2, core.failedVersion());
        StatusReporter.Report r = f.reports.getLast();
        assertEquals(ApplyStatus.FAILED, r.status());
        assertTrue(r.error().contains("cannot reach PostgreSQL") && r.error().contains("localhost:1 refused")
                && r.error().contains("running version 1"), r.error());
        int reports = f.reports.size();
        f.scheduler.runFor(Duration.ofMinutes(5));
        assertEquals(reports, f.reports.size(), "version 2 is not tried again");
        assertEquals(1, core.appliedVersion());
    }

    @Test
    void aVersionIsAppliedWhenNeitherItsDatabaseNorTheRunningOnesAnswers() {
        AgentCore core = f.started(1, "[postgres]\nport = 5432\n");
        // The database is down (a restart, maintenance): the new target is no worse than the old one.
        f.unreachablePorts.put(5432, "Connection to localhost:5432 refused");
        f.unreachablePorts.put(5433, "Connection to localhost:5433 refused");
        f.published = Optional.of(Map.entry(2, "[postgres]\nport = 5433\n"));
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertEquals(2, core.appliedVersion());
        assertEquals(ApplyStatus.APPLIED, f.reports.getLast().status());
    }

    /** Polls every 10 s (no watch held in fake time), with this push interval and database port. */
    private static String polling(int pushInterval, int port) {
        return "[collector]\nwatch = false\nconfig_pull_interval = 10\npush_interval = " + pushInterval
                + "\n[postgres]\nport = " + port + "\n";
    }

    /** The versions and statuses reported from the {@code from}th report on, in order. */
    private List<String> reportedSince(int from) {
        return f.reports.subList(from, f.reports.size()).stream().map(r -> r.version() + " " + r.status()).toList();
    }

    @Test
    void aVersionForAnotherDatabaseIsHeldWhileItsCheckWaitsAndAVersionForTheRunningOneIsAppliedMeanwhile() {
        AgentCore core = f.started(1, polling(5, 5432));
        assertEquals(1, core.appliedVersion());
        int reports = f.reports.size();
        // Port 5433 logs the agent in and answers nothing: its check waits for the driver's 30 s.
        f.unreachablePorts.put(5433, "An I/O error occurred while sending to the backend: Read timed out");
        List<Integer> appliedDuringCheck = new java.util.ArrayList<>();
        List<String> reportedDuringCheck = new java.util.ArrayList<>();
        f.duringEachReachCheck = target -> {
            if (target.port() != 5433) {
                return;
            }
            f.duringEachReachCheck = t -> {
            };
            appliedDuringCheck.add(core.appliedVersion());
            // Only push_interval changes, on the running database.
            f.published = Optional.of(Map.entry(3, polling(7, 5432)));
            f.scheduler.advance(Duration.ofSeconds(30), Scheduler.Lane.FACTS);
            appliedDuringCheck.add(core.appliedVersion());
            reportedDuringCheck.addAll(reportedSince(reports));
        };
        f.published = Optional.of(Map.entry(2, polling(5, 5433)));
        f.scheduler.runFor(Duration.ofSeconds(12));

        assertEquals(List.of(1, 3), appliedDuringCheck, "version 2 held, version 3 applied while the check waited: "
                + f.log);
        assertEquals(List.of("3 APPLIED"), reportedDuringCheck);
        assertTrue(f.logged("version 2 points the PostgreSQL collectors at another database (localhost:5433 as postgres);"
                + " checking that the agent can reach it before deciding, version 1 runs meanwhile"), f.log.toString());
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertEquals(3, core.appliedVersion());
        assertEquals(Duration.ofSeconds(7), core.current().pushInterval());
        assertEquals(0, core.failedVersion(), "version 2 was superseded by version 3, not decided");
        assertTrue(reportedSince(reports).stream().allMatch(r -> r.startsWith("3 ")), reportedSince(reports).toString());
        assertFalse(f.logged("could not apply configuration version 2"), f.log.toString());
    }

    @Test
    void aVersionHeldForItsCheckIsFailedWhenItsDatabaseCannotBeReachedAndThePullsGoOnMeanwhile() {
        AgentCore core = f.started(1, polling(5, 5432));
        int reports = f.reports.size();
        f.unreachablePorts.put(5433, "An I/O error occurred while sending to the backend: Read timed out");
        int[] pullsDuringCheck = {-1};
        f.duringEachReachCheck = target -> {
            if (target.port() != 5433) {
                return;
            }
            int before = f.requests.size();
            f.scheduler.advance(Duration.ofSeconds(30), Scheduler.Lane.FACTS);
            pullsDuringCheck[0] = f.requests.size() - before;
            assertEquals(List.of(), reportedSince(reports), "nothing said of version 2 while it is held");
        };
        f.published = Optional.of(Map.entry(2, polling(5, 5433)));
        f.scheduler.runFor(Duration.ofMinutes(1));

        assertTrue(pullsDuringCheck[0] >= 2, "the pulls went on while the check waited: " + pullsDuringCheck[0]);
        assertEquals(1, core.appliedVersion(), "still running the version that reaches the database");
        assertEquals(2, core.failedVersion());
        assertEquals(List.of("2 FAILED"), reportedSince(reports));
        StatusReporter.Report r = f.reports.getLast();
        assertTrue(r.error().contains("cannot reach PostgreSQL") && r.error().contains("localhost:5433")
                && r.error().contains("Read timed out") && r.error().contains("running version 1"), r.error());
        long checks = f.reachAsked.stream().filter(t -> t.port() == 5433).count();
        f.scheduler.runFor(Duration.ofMinutes(5));
        assertEquals(checks, f.reachAsked.stream().filter(t -> t.port() == 5433).count(), "version 2 is not tried again");
        assertEquals(List.of("2 FAILED"), reportedSince(reports));
    }

    @Test
    void aVersionHeldForItsCheckIsDecidedOnTheFactsReadForItOnceItsDatabaseAnswers() {
        AgentCore core = f.started(1, polling(5, 5432));
        int reports = f.reports.size();
        // The new database answers, and lacks what version 2 needs: facts read for version 2, so it fails at once.
        f.database = Optional.of(HostFactsPg.of(List.of(), List.of("plpgsql")).facts());
        f.duringEachReachCheck = target -> f.scheduler.advance(Duration.ofSeconds(3), Scheduler.Lane.FACTS);
        f.published = Optional.of(Map.entry(2, polling(5, 5433) + "[collectors.pg_stat_statements]\nenabled = true\n"));
        f.scheduler.runFor(Duration.ofMinutes(1));

        assertEquals(1, core.appliedVersion());
        assertEquals(2, core.failedVersion());
        assertEquals(List.of("2 FAILED"), reportedSince(reports));
        assertTrue(f.reports.getLast().error().contains("this host lacks what the configuration needs"),
                f.reports.getLast().error());
        assertFalse(f.logged("version 2 needs what the database lacked when last read"), "read for it: " + f.log);

        // A version that does not need it is held for its check too, then applied.
        f.published = Optional.of(Map.entry(3, polling(5, 5433)));
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertEquals(3, core.appliedVersion(), f.log.toString());
        assertEquals(5433, core.current().postgres().port());
        assertEquals("3 APPLIED", reportedSince(reports).get(1));
    }

    @Test
    void onlyTheNewestVersionWaitingForACheckIsCheckedWhenTheCheckInProgressEnds() {
        AgentCore core = f.started(1, polling(5, 5432));
        f.duringEachReachCheck = target -> {
            if (target.port() != 5433) {
                return;
            }
            f.duringEachReachCheck = t -> {
            };
            f.published = Optional.of(Map.entry(3, polling(5, 5434)));
            f.scheduler.advance(Duration.ofSeconds(12), Scheduler.Lane.FACTS);
            f.published = Optional.of(Map.entry(4, polling(5, 5435)));
            f.scheduler.advance(Duration.ofSeconds(18), Scheduler.Lane.FACTS);
        };
        f.published = Optional.of(Map.entry(2, polling(5, 5433)));
        f.scheduler.runFor(Duration.ofMinutes(1));

        assertEquals(4, core.appliedVersion(), f.log.toString());
        assertEquals(List.of(5433, 5435), f.reachAsked.stream().map(t -> t.port()).toList(),
                "version 3, superseded while it waited, is never checked");
        assertTrue(f.reports.stream().noneMatch(r -> r.version() == 2 || r.version() == 3), f.reports.toString());
    }

    @Test
    void aHeldVersionWhoseCheckASighupsReadTookThePlaceOfIsCheckedAfterIt() {
        AgentCore core = f.started(1, polling(5, 5432));
        f.duringEachReachCheck = target -> {
            if (target.port() != 5433) {
                return;
            }
            f.duringEachReachCheck = t -> {
            };
            f.published = Optional.of(Map.entry(3, polling(5, 5434)));
            f.scheduler.advance(Duration.ofSeconds(12), Scheduler.Lane.FACTS);
            // Version 3 is held and its check asked for; a read of the running database takes its place.
            core.pullNow();
            f.scheduler.advance(Duration.ofSeconds(1), Scheduler.Lane.FACTS);
        };
        f.published = Optional.of(Map.entry(2, polling(5, 5433)));
        f.scheduler.runFor(Duration.ofMinutes(1));

        assertEquals(3, core.appliedVersion(), f.log.toString());
        assertEquals(List.of(5433, 5434), f.reachAsked.stream().map(t -> t.port()).toList());
        assertEquals(1, f.log.stream().filter(l -> l.startsWith("version 3 points the PostgreSQL collectors")).count(),
                f.log.toString());
    }

    @Test
    void aReadOfTheRunningDatabaseThatAHeldVersionsCheckTookThePlaceOfIsStillMadeAndItsFactsReachTheServer() {
        f.database = Optional.of(HostFactsPg.of(List.of(), List.of("plpgsql")).facts());
        AgentCore core = f.started(1, polling(5, 5432));
        assertEquals(f.database, f.reports.getLast().postgres());
        f.unreachablePorts.put(5433, "Connection to localhost:5433 refused");
        f.duringEachProbe = target -> {
            // A SIGHUP's read the running database takes its time to answer. Meanwhile version 2 (the
            // same database) is applied and asks for a read of it, which waits its turn; then version
            // 3, pointing the collectors elsewhere, is held and its check asked for.
            f.duringEachProbe = t -> {
            };
            f.published = Optional.of(Map.entry(2, polling(7, 5432)));
            f.scheduler.advance(Duration.ofSeconds(20), Scheduler.Lane.FACTS);
            assertEquals(2, core.appliedVersion(), f.log.toString());
            f.published = Optional.of(Map.entry(3, polling(5, 5433)));
            f.scheduler.advance(Duration.ofSeconds(20), Scheduler.Lane.FACTS);
        };
        int probes = f.probed.size();
        core.pullNow();
        f.scheduler.runFor(Duration.ofMinutes(1));

        assertEquals(2, core.appliedVersion());
        assertEquals(3, core.failedVersion(), f.log.toString());
        StatusReporter.Report last = f.reports.getLast();
        assertEquals(3, last.version());
        assertEquals(ApplyStatus.FAILED, last.status());
        assertEquals(f.database, last.postgres(), "the running database's facts, read for version 2, reach the server");
        assertEquals(List.of(5432, 5432), f.probed.subList(probes, f.probed.size()).stream().map(t -> t.port()).toList(),
                "the SIGHUP's read, then once more for version 2 after version 3's check: " + f.log);
        f.scheduler.runFor(Duration.ofMinutes(5));
        assertEquals(probes + 2, f.probed.size(), "nothing more is read until asked");
    }

    @Test
    void whileTheFactsLaneWaitsOnlyTheNewestHeldVersionsCheckAndOneReadOfTheRunningDatabaseFollow() {
        f.database = Optional.of(HostFactsPg.of(List.of(), List.of("plpgsql")).facts());
        AgentCore core = f.started(1, polling(5, 5432));
        f.unreachablePorts.put(5439, "Connection to localhost:5439 refused");
        f.duringEachProbe = target -> {
            // The SIGHUP's read waits for a database that does not answer, while versions alternate
            // between the running database and others.
            f.duringEachProbe = t -> {
            };
            for (int v = 2; v <= 9; v++) {
                f.published = Optional.of(Map.entry(v, v % 2 == 0 ? polling(v, 5432) : polling(5, 5430 + v)));
                f.scheduler.advance(Duration.ofSeconds(20), Scheduler.Lane.FACTS);
            }
        };
        int probes = f.probed.size();
        core.pullNow();
        f.scheduler.runFor(Duration.ofMinutes(5));

        assertEquals(8, core.appliedVersion(), f.log.toString());
        assertEquals(9, core.failedVersion(), "its database cannot be reached, while version 8's can");
        assertEquals(List.of(5439, 5432), f.reachAsked.stream().map(t -> t.port()).toList(),
                "only the newest held version is checked (and, as its database cannot be reached, the running one): "
                        + f.log);
        assertEquals(List.of(5432, 5432), f.probed.subList(probes, f.probed.size()).stream().map(t -> t.port()).toList(),
                "the SIGHUP's read, then one read for the running version 8");
        assertEquals(f.database, f.reports.getLast().postgres());
    }

    @Test
    void aHeldVersionRefusedOnTheFactsOfItsOwnDatabaseLeavesTheRunningDatabasesFactsInTheReports() {
        f.database = Optional.of(HostFactsPg.of(List.of("pg_stat_statements"), List.of("pg_stat_statements")).facts());
        AgentCore core = f.started(1, polling(5, 5432));
        assertEquals(f.database, f.reports.getLast().postgres());
        io.pgfleet.domain.fleet.HostFacts.PostgresFacts other = new io.pgfleet.domain.fleet.HostFacts.PostgresFacts(
                "localhost", 5433, 140_022, List.of(), List.of("postgres"), false, Map.of("postgres", List.of("plpgsql")));
        f.databaseOnPort.put(5433, other);
        f.published = Optional.of(Map.entry(2, polling(5, 5433) + "[collectors.pg_stat_statements]\nenabled = true\n"));
        f.scheduler.runFor(Duration.ofMinutes(1));

        assertEquals(1, core.appliedVersion());
        assertEquals(2, core.failedVersion(), f.log.toString());
        StatusReporter.Report r = f.reports.getLast();
        assertEquals(ApplyStatus.FAILED, r.status());
        assertTrue(r.error().contains("this host lacks what the configuration needs"), r.error());
        assertEquals(f.database, r.postgres(), "the database version 1 monitors, not the one version 2 pointed at, nor none");
    }

    @Test
    void theDatabaseIsNotProbedOutsideTheAllowLists() {
        AgentCore core = f.started(1, "[postgres]\nhost = \"attacker.example\"\n");
        assertEquals(1, core.failedVersion());
        assertTrue(f.probed.isEmpty(), "no connection to a host the allow-lists refuse: " + f.probed);
    }

    @Test
    void aConfigurationOutsideTheHostsAllowListsFailsWithoutTouchingTheFileAndNamesTheKeyToSet() {
        AgentCore core = f.started(1, """
                [postgres]
                password_file = "/var/lib/pgfleet-agent/state/identity.properties"
                """);
        assertEquals(1, core.failedVersion());
        StatusReporter.Report r = f.reports.get(0);
        assertEquals(ApplyStatus.FAILED, r.status());
        assertTrue(r.error().contains("allowed_password_dirs") && !r.error().contains("exist"), r.error());
        assertTrue(f.filesAsked.isEmpty(), "the file was not even looked at: " + f.filesAsked);
        assertEquals(AllowLists.defaults(), r.allowLists(), "the allow-lists travel with the report");

        f.published = Optional.of(Map.entry(2, "[postgres]\nhost = \"attacker.example\"\n"));
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertTrue(f.reports.get(1).error().contains("allowed_hosts"), f.reports.get(1).error());
        f.published = Optional.of(Map.entry(3, "[postgres]\npassword_env = \"AWS_SECRET_ACCESS_KEY\"\n"));
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertTrue(f.reports.get(2).error().contains("allowed_password_env"), f.reports.get(2).error());
        f.readableFiles.add("/etc/pgfleet/secrets/pgpass");
        f.published = Optional.of(Map.entry(4, "[postgres]\npassword_file = \"/etc/pgfleet/secrets/pgpass\"\n"
                + "password_env = \"\"\n"));
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertEquals(4, core.appliedVersion(), f.reports.toString());
    }

    @Test
    void aFirstVersionThatFailsSaysTheDefaultsRunNotAVersion0ThatNeverExisted() {
        AgentCore core = f.started(1, """
                [postgres]
                password_file = "/var/lib/pgfleet-agent/state/identity.properties"
                """);
        assertEquals(1, core.failedVersion());
        assertTrue(f.logged("; still running the defaults (no configuration applied yet), and version 1 will not be"
                + " retried"), f.log.toString());
        assertFalse(f.logged("version 0"), f.log.toString());
    }

    @Test
    void aStateDirectoryThatCannotBeWrittenDoesNotHideTheAppliedVersionFromTheServer() {
        AgentCore core = f.with().stateReadOnly().published(1, SYSSTAT_EVERY_2S).start();
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertEquals(1, core.appliedVersion());
        assertEquals(List.of(ApplyStatus.APPLIED), f.reports.stream().map(StatusReporter.Report::status).toList(),
                "the server hears that version 1 runs, once");
        assertTrue(f.logged("could not keep version 1 as the last-known-good configuration"), f.log.toString());
        assertTrue(f.requests.size() <= 5, "and the watch goes on as usual, no retry of the apply: " + f.requests.size());
    }

    @Test
    void aSymbolicLinkInAnAllowedDirectoryThatLeadsOutOfItFailsAndNothingIsRead() {
        f.links.put("/etc/pgfleet/secrets/pw", "/etc/shadow");
        f.readableFiles.add("/etc/shadow");
        AgentCore core = f.with().published(1, "[postgres]\nport = 45999\npassword_file = \"/etc/pgfleet/secrets/pw\"\n")
                .start();
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertEquals(1, core.failedVersion());
        String error = f.reports.get(0).error();
        assertTrue(error.contains("allowed_password_dirs") && error.contains("symbolic links") && !error.contains("exist"),
                error);
        assertTrue(f.targets.stream().noneMatch(t -> t.passwordFile().equals("/etc/pgfleet/secrets/pw")),
                "no connection with it: " + f.targets);
    }

    @Test
    void anErrorInAPullOrAPushDoesNotEndItsLane() {
        boolean[] pushError = {true};
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).fetchThrowing(new OutOfMemoryError("Java heap space"))
                .sinkAnswering(s -> {
                    if (pushError[0]) {
                        pushError[0] = false;
                        throw new OutOfMemoryError("Java heap space");
                    }
                    return Optional.empty();
                }).start();
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertEquals(1, core.appliedVersion(), "the pull lane went on after the error");
        assertTrue(f.logged("configuration pull failed: java.lang.OutOfMemoryError"), f.log.toString());
        assertFalse(f.stored.isEmpty(), "and so did the push lane");
        assertTrue(f.scheduler.uncaught.isEmpty(), f.scheduler.uncaught.toString());
    }

    @Test
    void aWallClockSteppedBackDuringACollectionDoesNotHoldTheCollectorForTheStep() {
        f.with().published(1, SYSSTAT_EVERY_2S).start();
        f.scheduler.runFor(Duration.ofSeconds(10));
        int before = count(CollectorKind.SYSSTAT);
        f.duringNextCollection = Optional.of(() -> f.scheduler.stepWallClock(Duration.ofHours(-1)));
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertTrue(count(CollectorKind.SYSSTAT) >= before + 25,
                "sysstat kept its 2 s rhythm: " + (count(CollectorKind.SYSSTAT) - before) + " runs in a minute");
    }

    /**
     * A PostgreSQL that accepts connections and then does not answer (a postmaster stopped, its
     * storage hung, a network that drops the rest) keeps each of its collectors' runs waiting for the
     * driver's 30 s socket timeout. The host's own collectors keep their rhythm meanwhile: load and
     * memory are what an operator looks at when the database stalls, and they are not held behind it.
     */
    @Test
    void aDatabaseThatDoesNotAnswerDoesNotHoldTheHostCollectors() {
        f.with().published(1, SYSSTAT_EVERY_2S).start();
        f.scheduler.runFor(Duration.ofSeconds(10));
        f.duringEachCollection = kind -> {
            if (kind.needsDatabase()) {
                f.scheduler.advance(Duration.ofSeconds(30), Scheduler.Lane.COLLECT);
            }
        };
        int before = count(CollectorKind.SYSSTAT);
        int pgBefore = count(CollectorKind.PG_CONNECTIONS);
        f.scheduler.runFor(Duration.ofMinutes(10));
        assertTrue(count(CollectorKind.PG_CONNECTIONS) > pgBefore, "the database's collectors still tried");
        assertTrue(count(CollectorKind.SYSSTAT) - before >= 290,
                "sysstat kept its 2 s rhythm while the database stalled: " + (count(CollectorKind.SYSSTAT) - before)
                        + " runs in 10 minutes");
    }

    /**
     * The wall clock stepped back, then forward, while a collection ran for 300 ms (NTP correcting
     * it, an operator's {@code date -s}): the duration the agent's own metrics get is the 300 ms,
     * not zero or an hour.
     */
    @Test
    void aWallClockSteppedDuringACollectionLeavesItsMeasuredDurationAsLongAsTheRun() {
        f.with().published(1, SYSSTAT_EVERY_2S).start();
        f.scheduler.runFor(Duration.ofSeconds(10));
        for (Duration step : List.of(Duration.ofHours(-1), Duration.ofHours(1))) {
            int runs = f.collectionDurations.size();
            f.duringNextCollection = Optional.of(() -> {
                f.scheduler.advance(Duration.ofMillis(150), Scheduler.Lane.COLLECT);
                f.scheduler.stepWallClock(step);
                f.scheduler.advance(Duration.ofMillis(150), Scheduler.Lane.COLLECT);
            });
            f.scheduler.runFor(Duration.ofSeconds(2));
            assertEquals(Duration.ofMillis(300), f.collectionDurations.get(runs),
                    "a wall clock stepped by " + step + " during the run: " + f.collectionDurations.subList(runs,
                            f.collectionDurations.size()));
        }
    }

    /**
     * A server answering every watch at once with nothing new, while the wall clock is stepped an
     * hour forward during each: the agent still pauses between watches rather than taking each for a
     * held one and asking again at once.
     */
    @Test
    void aWallClockSteppedForwardDuringWatchesAnsweredAtOnceDoesNotMakeABusyLoop() {
        f.with().published(1, SYSSTAT_EVERY_2S).serverIgnoringAfter().start();
        f.scheduler.runFor(Duration.ofSeconds(1));
        int[] fetches = {0};
        f.duringEachFetch = () -> {
            // Only the first 30: a busy loop on fake time would otherwise never let the minute end.
            if (++fetches[0] <= 30) {
                f.scheduler.stepWallClock(Duration.ofHours(1));
            }
        };
        int before = f.requests.size();
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertTrue(f.requests.size() - before <= 14, "paced at about one request every 5 s: "
                + (f.requests.size() - before) + " in a minute");
    }

    @Test
    void manyCoresRunSideBySideInOneJvmWithFakeCollectors() {
        List<Fakes> fleet = new java.util.ArrayList<>();
        List<AgentCore> cores = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Fakes host = new Fakes();
            fleet.add(host);
            cores.add(host.with().published(1 + i % 3, SYSSTAT_EVERY_2S).build());
        }
        cores.forEach(AgentCore::start);
        fleet.forEach(host -> host.scheduler.runFor(Duration.ofSeconds(30)));
        for (int i = 0; i < cores.size(); i++) {
            assertEquals(1 + i % 3, cores.get(i).appliedVersion());
            assertTrue(fleet.get(i).storedSamples().size() > 10, "host " + i + " pushed its samples");
        }
        cores.forEach(AgentCore::stop);
    }

    @Test
    void aCollectorThatKeepsFailingIsLoggedOnceAMinute() {
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(-1).start();
        java.time.Instant start = f.scheduler.now();
        f.scheduler.runFor(Duration.ofSeconds(119));
        long elapsed = Duration.between(start, f.scheduler.now()).toSeconds();
        long lines = f.log.stream().filter(l -> l.startsWith("sysstat could not collect")).count();
        assertTrue(count(CollectorKind.SYSSTAT) >= elapsed / 2 - 1, "it kept trying every 2 s");
        assertEquals(1 + elapsed / 60, lines, elapsed + " s: " + f.log);
        core.stop();
    }

    @Test
    void aCollectorThatCollectsAgainAfterFailingSaysSoOnceWithHowLongAndHowManyRunsFailed() {
        // The monitored database stopped, or its password changed: the log's last words about the
        // collector were its failure, and nothing told the operator that fixing it had worked.
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(-1).start();
        f.scheduler.runFor(Duration.ofSeconds(90));
        f.samplesPerRun = 3;
        f.scheduler.runFor(Duration.ofSeconds(30));
        List<String> again = f.log.stream().filter(l -> l.startsWith("sysstat collects again")).toList();
        assertEquals(1, again.size(), f.log.toString());
        assertTrue(again.getFirst().matches("sysstat collects again after 1 min \\d+ s: [4-5]\\d runs failed since 2026-01-01T00:00:00Z"),
                again.getFirst());
        // A later failure starts a new streak, said at once, not held back by the last one's minute.
        f.samplesPerRun = -1;
        f.scheduler.runFor(Duration.ofSeconds(3));
        assertEquals(3, f.log.stream().filter(l -> l.startsWith("sysstat could not collect")).count(), f.log.toString());
        core.stop();
    }

    @Test
    void aCollectorWhoseFailureChangesKindSaysTheNewOneAtOnceAndRepeatsOfItOnceAMinute() {
        // The database came back, and pg_hba.conf now refuses the agent: said at once, not a minute
        // after the last "connection refused", which would still be the log's last word meanwhile.
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(-1).start();
        f.scheduler.runFor(Duration.ofSeconds(10));
        java.time.Instant changed = f.scheduler.now();
        f.collectFailure = "FATAL: pg_hba.conf rejects connection for host \"127.0.0.1\", user \"pgfleet\"";
        f.scheduler.runFor(Duration.ofSeconds(150));
        String refused = "sysstat could not collect: connection refused";
        String hba = "sysstat could not collect: " + f.collectFailure;
        List<String> lines = f.log.stream().filter(l -> l.startsWith("sysstat could not collect")).toList();
        assertEquals(List.of(refused, hba, hba, hba), lines.subList(0, 4), f.log.toString());
        // The new kind within a run (2 s) of the change, not a minute after the last line; its
        // repeats once a minute.
        java.time.Instant firstHba = f.logAt.get(hba);
        assertTrue(!firstHba.isBefore(changed) && !firstHba.isAfter(changed.plusSeconds(2)), changed + " " + firstHba);
        long elapsed = Duration.between(firstHba, f.scheduler.now()).toSeconds();
        assertEquals(1 + elapsed / 60, lines.stream().filter(hba::equals).count(), elapsed + " s: " + f.log);
        core.stop();
    }

    @Test
    void aRunThatReadsOnlyPartOfItsSourcesKeepsWhatItReadAndCountsAndSaysTheFailure() {
        f.partly = true;
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).samplesPerRun(2).start();
        f.scheduler.runFor(Duration.ofSeconds(119));
        List<io.pgfleet.domain.fleet.Sample> stored = f.storedSamples().stream()
                .filter(x -> x.name().equals("s_sysstat")).toList();
        assertTrue(stored.size() >= 2 * 55, "what each run read is delivered: " + stored.size());
        assertTrue(f.selfMetrics.contains("collect sysstat failed") && !f.selfMetrics.contains("collect sysstat ok"),
                f.selfMetrics.toString());
        long lines = f.log.stream().filter(l -> l.equals("sysstat could not collect: collectors.disk_usage.paths:"
                + " /mnt/gone does not exist")).count();
        assertTrue(lines >= 2 && lines <= 3, "said once a minute, not at each of some 60 runs: " + f.log);
        core.stop();
    }

    private int count(CollectorKind kind) {
        return (int) f.collected.stream().filter(k -> k == kind).count();
    }

    @Test
    void theCoreTellsItsOwnMetricsHowEachPullApplyCollectionAndPushEnded() {
        AgentCore core = f.started(1, SYSSTAT_EVERY_2S);
        // The version is applied while its pull is handled; the pull is counted when it is done.
        assertEquals(List.of("apply APPLIED", "pull new_version"), f.selfMetrics.stream()
                .filter(e -> e.startsWith("pull") || e.startsWith("apply")).limit(2).toList());

        f.published = Optional.of(Map.entry(2, "[collectors.nonsense]\nenabled = true\n"));
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertTrue(f.selfMetrics.containsAll(List.of("apply FAILED", "pull unchanged", "collect sysstat ok",
                "collect pg_locks ok")), f.selfMetrics.toString());
        assertTrue(f.selfMetrics.stream().anyMatch(e -> e.matches("push ok [0-9]+")), f.selfMetrics.toString());

        f.selfMetrics.clear();
        f.fetchFailures.add(new ServerException(ServerException.Kind.UNAVAILABLE, "connection refused", null));
        f.sinkAnswer = s -> Optional.of(new ServerException(ServerException.Kind.REJECTED, "push answered 422", null));
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertTrue(f.selfMetrics.containsAll(List.of("pull error")), f.selfMetrics.toString());
        assertTrue(f.selfMetrics.stream().anyMatch(e -> e.matches("push refused [0-9]+")), f.selfMetrics.toString());
        assertTrue(core.droppedRefused() > 0);

        f.samplesPerRun = -1;
        f.fetchFailures.add(new ServerException(ServerException.Kind.IDENTITY_REFUSED, "token refresh refused", null));
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertTrue(f.selfMetrics.containsAll(List.of("collect sysstat failed", "pull refused")), f.selfMetrics.toString());
        assertTrue(core.lockedOut());
    }

    @Test
    void aTruncatedLastKnownGoodAtStartUpIsIgnoredAndTheSameVersionFromTheServerIsAppliedLater(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String document = "[collector]\npush_interval = 10\n\n[collectors.sysstat]\nenabled = true\ninterval = 2\n";
        io.pgfleet.agent.AgentState state = new io.pgfleet.agent.AgentState(dir);
        state.saveLastKnownGood(new LastKnownGoodStore.Cached(3, document));
        // The host lost power while its disk wrote back the file (or someone edited it): half a document.
        java.nio.file.Path file = dir.resolve("last-known-good.toml");
        java.nio.file.Files.writeString(file, document.substring(0, document.indexOf("true") + 2));
        f.realStore = Optional.of(state);
        f.serverAway = true;
        AgentCore core = f.with().published(3, document).start();
        f.scheduler.runFor(Duration.ofSeconds(1));
        assertEquals(0, core.failedVersion(), "the damaged copy says nothing about version 3 itself: " + f.log);
        assertEquals(1, f.log.stream().filter(l -> l.contains("the last-known-good configuration (version 3) cannot be"
                + " used")).count(), "said once, not at every failed pull: " + f.log);

        f.serverAway = false;
        f.scheduler.runFor(Duration.ofMinutes(2));
        assertEquals(3, core.appliedVersion(), "version 3 as the server sends it runs: " + f.log);
        assertTrue(f.reports.stream().noneMatch(r -> r.status() == ApplyStatus.FAILED), f.reports.toString());
        assertEquals(document, state.lastKnownGood().orElseThrow().document(), "and the copy is whole again");
        core.stop();
    }

    @Test
    void aDiskPathTooLongForALabelFailsTheVersionInsteadOfEveryCollectionAfterIt() {
        // Existing on the host ("/./././…/tmp"), but no sample can carry it as its path label: applied,
        // the collector would fail at every run, for every path. The schema refuses it (the server
        // before accepting it, the agent from an older server).
        String path = "/" + "./".repeat(150) + "tmp";
        AgentCore core = f.started(1, "[collectors.disk_usage]\nenabled = true\npaths = [\"/\", \"" + path + "\"]\n");
        assertEquals(0, core.appliedVersion());
        assertEquals(1, core.failedVersion());
        StatusReporter.Report r = f.reports.getLast();
        assertEquals(ApplyStatus.FAILED, r.status());
        assertTrue(r.error().contains("collectors.disk_usage.paths") && r.error().contains("at most 256 characters"), r.error());
    }

    private static String pushEvery(int seconds) {
        return "[collector]\npush_interval = " + seconds + "\n";
    }

    @Test
    void aServerRestoredBehindTheAgentIsFollowedDownToWhatItServesAndItsLaterVersionsAreTaken() {
        f.asTodaysServer = true;
        AgentCore core = f.started(5, pushEvery(50));
        // Restored from a backup taken at version 3.
        f.published = Optional.of(Map.entry(3, pushEvery(30)));
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertEquals(3, core.appliedVersion(), f.log.toString());
        assertEquals(Duration.ofSeconds(30), core.current().pushInterval());
        assertTrue(f.logged("the server's latest configuration is version 3, older than version 5 this agent has"), f.log.toString());
        StatusReporter.Report last = f.reports.getLast();
        assertEquals(3, last.version(), "reported, so the fleet view shows it in sync");
        assertEquals(ApplyStatus.APPLIED, last.status());
        assertEquals(core.current().sha256(), last.effectiveSha256());

        f.published = Optional.of(Map.entry(4, pushEvery(40)));
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertEquals(4, core.appliedVersion(), "the next version of the restored history is newer again");
        assertTrue(f.requests.size() <= 12, "held watches, no loop: " + f.requests);
    }

    @Test
    void aNumberTheAgentHasThatNowNamesAnotherDocumentIsApplied() {
        f.asTodaysServer = true;
        AgentCore core = f.started(5, pushEvery(50));
        // Restored at version 3, then versions 4 and 5 published anew: the number the agent runs, another document.
        f.published = Optional.of(Map.entry(5, pushEvery(20)));
        f.scheduler.runFor(Duration.ofMinutes(2));
        assertEquals(5, core.appliedVersion());
        assertEquals(Duration.ofSeconds(20), core.current().pushInterval(), f.log.toString());
        assertEquals(Fakes.tag(5, pushEvery(20)), f.requests.getLast().etag(), "and it watches with the new tag");
        assertEquals(List.of(ApplyStatus.APPLIED, ApplyStatus.APPLIED),
                f.reports.stream().map(StatusReporter.Report::status).toList());
        assertTrue(f.requests.size() <= 10, "held watches, no loop: " + f.requests);
    }

    @Test
    void aVersionThatFailedBeforeTheRestoreIsNotSkippedWhenTheRestoredServerPublishesItsNumberAnew() {
        f.asTodaysServer = true;
        AgentCore core = f.started(1, pushEvery(10));
        f.published = Optional.of(Map.entry(2, "[collectors.nonsense]\nenabled = true\n"));
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertEquals(2, core.failedVersion());

        f.published = Optional.of(Map.entry(2, pushEvery(20)));
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertEquals(2, core.appliedVersion(), f.log.toString());
        assertEquals(0, core.failedVersion());
        assertEquals(Duration.ofSeconds(20), core.current().pushInterval());
    }

    @Test
    void aRestoredServerWhoseLatestIsTheVersionRunningEndsTheWatchAfterAVersionItNoLongerHas() {
        f.asTodaysServer = true;
        AgentCore core = f.started(1, pushEvery(10));
        f.published = Optional.of(Map.entry(2, "[collectors.nonsense]\nenabled = true\n"));
        f.scheduler.runFor(Duration.ofSeconds(30));
        assertEquals(2, core.failedVersion());
        // Restored at version 1: the agent asks after 2 with the tag of the version 1 it runs.
        f.published = Optional.of(Map.entry(1, pushEvery(10)));
        f.scheduler.runFor(Duration.ofMinutes(2));
        assertEquals(1, core.appliedVersion());
        assertEquals(0, core.failedVersion(), f.log.toString());
        assertTrue(f.requests.stream().skip(f.requests.size() - 3).allMatch(r -> r.after() == 1), f.requests.toString());
        assertTrue(f.requests.size() <= 12, "held watches, no 5 s pauses: " + f.requests);
    }

    @Test
    void aHugeVersionFromTheServerDoesNotKeepTheAgentFromLaterVersions() {
        f.asTodaysServer = true;
        AgentCore core = f.started(Integer.MAX_VALUE, pushEvery(50));
        assertEquals(Integer.MAX_VALUE, core.appliedVersion());
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertTrue(f.requests.stream().allMatch(r -> r.after() >= 0), f.requests.toString());

        f.published = Optional.of(Map.entry(2, pushEvery(20)));
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertEquals(2, core.appliedVersion(), f.log.toString());
        f.published = Optional.of(Map.entry(3, pushEvery(30)));
        f.scheduler.runFor(Duration.ofMinutes(1));
        assertEquals(3, core.appliedVersion());
    }

    /**
     * An agent (re)started while the server is away, running its last-known-good copy of version 5
     * (push every 50 s), with the server serving {@code version} once it returns.
     */
    private AgentCore startedOnLastKnownGoodFive(io.pgfleet.agent.AgentState state, int version, String document) {
        state.saveLastKnownGood(new LastKnownGoodStore.Cached(5, pushEvery(50)));
        f.realStore = Optional.of(state);
        f.asTodaysServer = true;
        f.serverAway = true;
        AgentCore core = f.with().published(version, document).start();
        f.scheduler.runFor(Duration.ofSeconds(1));
        return core;
    }

    @Test
    void aLastKnownGoodNewerThanTheRestoredServerGivesWayToWhatTheServerServesAndIsReplacedByIt(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        io.pgfleet.agent.AgentState state = new io.pgfleet.agent.AgentState(dir);
        AgentCore core = startedOnLastKnownGoodFive(state, 3, pushEvery(30));
        assertEquals(5, core.appliedVersion(), "the last-known-good runs while the server is away");

        f.serverAway = false;
        f.scheduler.runFor(Duration.ofMinutes(2));
        assertEquals(3, core.appliedVersion(), f.log.toString());
        assertEquals(new LastKnownGoodStore.Cached(3, pushEvery(30)), state.lastKnownGood().orElseThrow());
        core.stop();
    }

    @Test
    void aLastKnownGoodTheReturningServerStillServesIsReportedAsRunningAndNotLoggedAsASkippedVersion(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        // The agent restarted while the server was away (its report of version 5 may never have
        // reached the server), then the server came back serving that same version 5.
        io.pgfleet.agent.AgentState state = new io.pgfleet.agent.AgentState(dir);
        AgentCore core = startedOnLastKnownGoodFive(state, 5, pushEvery(50));
        assertEquals(5, core.appliedVersion(), "the last-known-good runs while the server is away");

        f.serverAway = false;
        f.scheduler.runFor(Duration.ofMinutes(2));
        assertEquals(5, core.appliedVersion());
        assertFalse(f.logged("skipped configuration version 5"), "nothing was skipped: the server serves what runs: " + f.log);
        assertTrue(f.logged("the server answers again: version 5, run from the last-known-good copy since the start,"
                + " is its latest"), f.log.toString());
        assertEquals(List.of(5), f.reports.stream().map(StatusReporter.Report::version).toList(),
                "the server is told once what runs: " + f.reports);
        assertEquals(ApplyStatus.APPLIED, f.reports.getLast().status());
        core.stop();
    }

    @Test
    void aLastKnownGoodUnderTheSameNumberAsTheServersButAnotherDocumentIsReplacedByTheServers(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        io.pgfleet.agent.AgentState state = new io.pgfleet.agent.AgentState(dir);
        AgentCore core = startedOnLastKnownGoodFive(state, 5, pushEvery(20));
        f.serverAway = false;
        f.scheduler.runFor(Duration.ofMinutes(2));
        assertEquals(Duration.ofSeconds(20), core.current().pushInterval(), f.log.toString());
        assertEquals(new LastKnownGoodStore.Cached(5, pushEvery(20)), state.lastKnownGood().orElseThrow());
        assertEquals(ApplyStatus.APPLIED, f.reports.getLast().status());
        core.stop();
    }

    @Test
    void aRegisteredAgentWhoseLastKnownGoodCannotBeUsedSaysWhyAndCollectsWithTheDefaultsWhileTheServerIsAway(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        io.pgfleet.agent.AgentState state = new io.pgfleet.agent.AgentState(dir);
        state.saveLastKnownGood(new LastKnownGoodStore.Cached(3, SYSSTAT_EVERY_2S));
        // Edited by hand, or a disk that lost a block: no version number any more.
        java.nio.file.Files.writeString(dir.resolve("last-known-good.version"), "abc\n");
        f.realStore = Optional.of(state);
        f.serverAway = true;
        AgentCore core = f.with().published(3, SYSSTAT_EVERY_2S).start();
        f.scheduler.runFor(Duration.ofSeconds(40));

        assertEquals(1, f.log.stream().filter(l -> l.contains("the last-known-good configuration cannot be used:"
                + " last-known-good.version holds no version number")).count(), "said once, with the reason: " + f.log);
        assertEquals(1, f.log.stream().filter(l -> l.contains("the server cannot be reached (cannot reach the server:"
                + " connection refused) and no last-known-good configuration can be used: collecting with the defaults"
                + " until it answers")).count(), f.log.toString());
        assertTrue(f.collected.contains(CollectorKind.SYSSTAT), "collection goes on: " + f.log);
        assertTrue(core.waitingSamples() > 0, "into the buffer");
        long collectedAway = f.sampleSeq;

        f.serverAway = false;
        f.scheduler.runFor(Duration.ofMinutes(3));
        assertEquals(3, core.appliedVersion(), "the server's version replaces the defaults: " + f.log);
        List<Long> stored = f.storedSamples().stream().filter(x -> !x.name().equals(AgentCore.DROPPED_METRIC))
                .map(x -> Long.parseLong(x.labels().get("n"))).toList();
        assertTrue(stored.containsAll(java.util.stream.LongStream.range(0, collectedAway).boxed().toList()),
                "what was collected during the outage is delivered: " + stored.size() + " of " + collectedAway);
        core.stop();
    }

    @Test
    void aRegisteredAgentWithoutAnyLastKnownGoodCollectsWithTheDefaultsWhileTheServerIsAway() {
        f.serverAway = true;
        AgentCore core = f.with().start();
        f.scheduler.runFor(Duration.ofSeconds(40));
        assertTrue(f.logged("and no last-known-good configuration can be used: collecting with the defaults"), f.log.toString());
        assertFalse(f.logged("the last-known-good configuration cannot be used"), "nothing kept is nothing damaged: " + f.log);
        assertTrue(f.collected.contains(CollectorKind.SYSSTAT), f.log.toString());
        assertEquals(0, core.appliedVersion());
    }

    @Test
    void anAgentEnrolledWithATokenSaysItsFileLabelsAreNotUsed() {
        f.collectorId = Optional.empty();
        f.enrolmentToken = Optional.of("one-time");
        f.fileLabels = Map.of("region", "eu", "env", "prod");
        f.with().start();
        f.scheduler.runFor(Duration.ofSeconds(5));
        assertTrue(f.logged("registered as collector c-new"), f.log.toString());
        assertTrue(f.logged("enrolled with a token: collector c-new keeps the name and labels it was given on the server;"
                + " this file's labels {env=prod, region=eu} are not used"), f.log.toString());
    }

    @Test
    void anAgentRegisteredWithTheSecretDoesNotSayItsLabelsAreUnused() {
        f.collectorId = Optional.empty();
        f.fileLabels = Map.of("env", "prod");
        f.with().start();
        f.scheduler.runFor(Duration.ofSeconds(5));
        assertTrue(f.logged("registered as collector c-new"), f.log.toString());
        assertFalse(f.logged("are not used"), f.log.toString());
    }

    @Test
    void aUsedEnrolmentTokenIsSaidInWordsWithWhatToDoAndIsNotPresentedAgainUntilANewOneIsInPlace() {
        // A host whose state directory was lost, started again with the token it enrolled with.
        f.collectorId = Optional.empty();
        f.enrolmentToken = Optional.of("used-one");
        f.refusedCredentials = c -> c.equals(new Enroller.Credential.Token("used-one"));
        AgentCore core = f.with().start();
        f.scheduler.runFor(Duration.ofMinutes(10));
        assertEquals(1, f.registrationAttempts, "the refused token was presented once, not at every back-off: "
                + f.log);
        assertEquals(1, f.log.stream().filter(l -> l.contains("registration refused")).count(), f.log.toString());
        assertTrue(f.logged("registration refused (401 unauthorized): the registration secret or enrolment token is not"
                + " accepted: the enrolment token in /etc/pgfleet/enrolment-token (enrolment_token_file) was used"
                + " already"), f.log.toString());
        assertTrue(f.logged("pgfleet collectors enrol ID"), f.log.toString());
        assertTrue(f.collected.contains(CollectorKind.SYSSTAT), "it collects with the defaults meanwhile");

        // The operator writes a new token into the file: taken at the next look, within a minute.
        f.enrolmentToken = Optional.of("new-one");
        f.scheduler.runFor(Duration.ofSeconds(61));
        assertEquals(2, f.registrationAttempts);
        assertEquals(Optional.of("c-new"), f.collectorId);
        assertTrue(f.logged("registered as collector c-new"), f.log.toString());
        assertFalse(core.lockedOut());
    }

    @Test
    void aWrongRegistrationSecretSaysToWriteTheServersSecretAndASighupTriesItAgain() {
        f.collectorId = Optional.empty();
        f.registrationSecret = Optional.of("wrong");
        f.refusedCredentials = c -> c.equals(new Enroller.Credential.Secret("wrong"));
        AgentCore core = f.with().start();
        f.scheduler.runFor(Duration.ofMinutes(5));
        assertEquals(1, f.registrationAttempts, f.log.toString());
        assertTrue(f.logged("registration refused (401 unauthorized): the registration secret or enrolment token is not"
                + " accepted: the registration secret in the file named by registration_secret_file is not the"
                + " server's. Write the server's registration secret (PGFLEET_REGISTRATION_SECRET on the server)"
                + " into that file"), f.log.toString());
        assertFalse(f.logged("enrolment token in"), "no token was presented: " + f.log);

        // The secret is corrected on the server's side: the file is the same, a SIGHUP tries again.
        f.refusedCredentials = c -> false;
        core.pullNow();
        f.scheduler.runFor(Duration.ofSeconds(5));
        assertEquals(2, f.registrationAttempts);
        assertEquals(Optional.of("c-new"), f.collectorId);
    }

    @Test
    void aRefusedRegistrationSecretIsPresentedAgainAfterAQuarterOfAnHourForTheServerMayHaveBeenCorrected() {
        // A fleet's secret changed by mistake on the server and set back: the hosts that registered in
        // between heal by themselves, at a pace that keeps the audit trail and the login limit quiet.
        f.collectorId = Optional.empty();
        f.registrationSecret = Optional.of("old");
        f.refusedCredentials = c -> true;
        f.with().start();
        f.scheduler.runFor(Duration.ofMinutes(14));
        assertEquals(1, f.registrationAttempts, f.log.toString());
        f.refusedCredentials = c -> false;
        f.scheduler.runFor(Duration.ofMinutes(2));
        assertEquals(2, f.registrationAttempts, f.log.toString());
        assertEquals(Optional.of("c-new"), f.collectorId);
    }

    @Test
    void aFirstStartThatCannotRegisterYetCollectsWithTheDefaultsAndDeliversOnceRegistered() {
        f.collectorId = Optional.empty();
        f.serverAway = true;
        AgentCore core = f.with().start();
        f.scheduler.runFor(Duration.ofSeconds(40));
        assertEquals(0, f.registrations);
        assertTrue(f.logged("collecting with the defaults until it answers"), f.log.toString());
        assertTrue(f.collected.contains(CollectorKind.SYSSTAT), f.log.toString());
        assertEquals(0, f.pushAttempts, "nothing is pushed before it is registered");
        long collectedAway = f.sampleSeq;
        assertTrue(collectedAway > 0 && core.waitingSamples() > 0);

        f.serverAway = false;
        f.scheduler.runFor(Duration.ofMinutes(3));
        assertEquals(Optional.of("c-new"), f.collectorId);
        List<Long> stored = f.storedSamples().stream().filter(x -> !x.name().equals(AgentCore.DROPPED_METRIC))
                .map(x -> Long.parseLong(x.labels().get("n"))).toList();
        assertTrue(stored.containsAll(java.util.stream.LongStream.range(0, collectedAway).boxed().toList()),
                "the samples of the wait are delivered under the new id: " + stored.size() + " of " + collectedAway);
    }

    @Test
    void anAgentLockedOutWhenItStartsTriesTheEnrolmentTokenAlreadyInPlaceAtOnce() {
        // Restarted by an operator who put a fresh token in place for the revoked collector.
        f.enrolmentToken = Optional.of("fresh-one-time");
        f.fetchFailures.add(new ServerException(ServerException.Kind.IDENTITY_REFUSED, "token refresh refused", null));
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).start();
        f.scheduler.runFor(Duration.ofSeconds(5));
        assertEquals(1, f.registrations, "the token is tried at start, not a minute later: " + f.log);
        assertFalse(core.lockedOut());
        assertEquals(Optional.of("c-1"), f.collectorId, "the same collector");
        assertEquals(1, core.appliedVersion(), f.log.toString());
        assertTrue(f.logged("re-enrolled: collector c-1"), f.log.toString());
    }

    @Test
    void aLockedOutAgentWithoutANewTokenKeepsCollectingAfterARestartAndAsksNothing() {
        f.fetchFailures.add(new ServerException(ServerException.Kind.IDENTITY_REFUSED, "token refresh refused", null));
        AgentCore core = f.with().published(1, SYSSTAT_EVERY_2S).start();
        f.scheduler.runFor(Duration.ofSeconds(50));
        assertTrue(core.lockedOut());
        assertEquals(1, f.requests.size(), "nothing more is asked: " + f.requests);
        assertTrue(f.logged("the server refuses this agent's identity and no last-known-good configuration can be used:"
                + " collecting with the defaults"), f.log.toString());
        assertTrue(f.collected.contains(CollectorKind.SYSSTAT), f.log.toString());
    }

    @Test
    void keptSamplesWithDamagedLinesAreSentAndTheSkippedLinesCountedInPlainWordsOnce() {
        Sample kept = new Sample("node_load1", Map.of(), 0.5, java.time.Instant.parse("2026-12-01T10:00:00Z"));
        f.spoolLoad = () -> new SampleSpool.Loaded(new SampleSpool.Unsent(List.of(), List.of(kept)), 1200,
                List.of("line 2: labels must be text", "line 7: not a JSON object", "line 9: ts is missing"));
        f.with().start();
        f.scheduler.runFor(Duration.ofMinutes(2));
        List<String> said = f.log.stream().filter(l -> l.contains("of the samples kept by the last run")).toList();
        assertEquals(1, said.size(), f.log.toString());
        assertTrue(said.getFirst().startsWith("1200 lines of the samples kept by the last run could not be read and are"
                + " skipped (line 2: labels must be text; line 7: not a JSON object; line 9: ts is missing; …); 1 sample"
                + " was read"), said.getFirst());
        assertTrue(f.storedSamples().contains(kept), "the good one is delivered");
    }
}
