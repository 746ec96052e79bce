package io.pgfleet.agent.core;

import io.pgfleet.domain.fleet.Sample;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A test's core on {@link Fakes}, said in one expression: what the server publishes, how the fakes
 * behave, how many samples the buffer holds; then built or started. Every setting is the fakes'
 * own default unless named, so a test states only what it is about.
 */
final class CoreBuilder {

    private final Fakes f;
    private int bufferSamples = 1000;
    private AllowLists allow = AllowLists.defaults();

    CoreBuilder(Fakes f) {
        this.f = f;
    }

    /** The server's newest version is this document. */
    CoreBuilder published(int version, String document) {
        f.published = Optional.of(Map.entry(version, document));
        return this;
    }

    /** Each collection run produces this many samples (negative: every run fails). */
    CoreBuilder samplesPerRun(int samples) {
        f.samplesPerRun = samples;
        return this;
    }

    /** How the server answers each pushed batch: empty stores it. */
    CoreBuilder sinkAnswering(Function<List<Sample>, Optional<ServerException>> answer) {
        f.sinkAnswer = answer;
        return this;
    }

    /** The next {@code times} configuration pulls fail this way. */
    CoreBuilder failingFetches(int times, ServerException failure) {
        for (int i = 0; i < times; i++) {
            f.fetchFailures.add(failure);
        }
        return this;
    }

    /** The next configuration pull throws this error (once). */
    CoreBuilder fetchThrowing(Error error) {
        f.fetchErrors.add(error);
        return this;
    }

    /** Watches are answered at once with the newest version, whatever {@code after} says. */
    CoreBuilder serverIgnoringAfter() {
        f.honourAfter = false;
        return this;
    }

    /** The state directory refuses every write (a full or read-only disk). */
    CoreBuilder stateReadOnly() {
        f.stateWritable = false;
        return this;
    }

    /** The buffer holds at most this many samples. */
    CoreBuilder buffer(int samples) {
        this.bufferSamples = samples;
        return this;
    }

    /** The host's allow-lists. */
    CoreBuilder allowing(AllowLists lists) {
        this.allow = lists;
        return this;
    }

    /** The core, not started. */
    AgentCore build() {
        return f.core(bufferSamples, allow);
    }

    /** The core, started (its first pull is due at once; nothing has run yet). */
    AgentCore start() {
        AgentCore core = build();
        core.start();
        return core;
    }
}
