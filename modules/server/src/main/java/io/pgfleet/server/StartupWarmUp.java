package io.pgfleet.server;

import io.pgfleet.application.port.in.WarmUpUseCase;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Runs the warm-up ({@link WarmUpUseCase}) once, on a daemon thread of its own at the lowest
 * priority, after the server is ready: readiness never waits for it. Paced to about half of one core.
 * Stopped at shutdown (the round in progress ends, no more start), and ended by the first real
 * publish, layer change or registration after the server began to serve, which compiles the same
 * code and should not share the CPU with it. It stores nothing; its one trace is a log line.
 *
 * <p>Made ({@link #prepare}) before the server serves and started ({@link #start()}) once it does:
 * work is counted from the first, so that a publish that arrives before the warm-up's first round
 * ends it too.
 */
final class StartupWarmUp implements AutoCloseable {

    /** The thread's name, for thread dumps (and for tests that check it is gone). */
    static final String THREAD_NAME = "pgfleet-warmup";

    /** Rounds run between two rests. */
    private static final int BATCH = 20;

    private final CompletableFuture<WarmUpUseCase.Warmed> done = new CompletableFuture<>();
    private final WarmUpUseCase warmUp;
    private final int rounds;
    private final Thread thread;

    private StartupWarmUp(WarmUpUseCase warmUp, int rounds, Runnable beforeFirstRound) {
        this.warmUp = warmUp;
        this.rounds = rounds;
        System.Logger log = System.getLogger("io.pgfleet.server.warmup");
        thread = new Thread(() -> {
            try {
                beforeFirstRound.run();
                WarmUpUseCase.Warmed w = paced(warmUp, rounds);
                log.log(System.Logger.Level.INFO, String.format(
                        "warm-up: %d round(s) of the publish path in %d ms of work (first round %.1f ms, last %.3f ms)%s",
                        w.rounds(), w.total().toMillis(), w.first().toNanos() / 1e6, w.last().toNanos() / 1e6,
                        switch (w.ending()) {
                            case COMPLETED -> "";
                            case INTERRUPTED -> ", stopped at shutdown";
                            case WORK_ARRIVED -> ", ended early: the server's own publishes run that code now";
                        }));
                done.complete(w);
            } catch (RuntimeException | Error e) {
                // Only speed is lost: the publish path compiles as publishes arrive, as without a warm-up.
                log.log(System.Logger.Level.WARNING, "warm-up failed: " + e, e);
                done.completeExceptionally(e);
            }
        }, THREAD_NAME);
        thread.setDaemon(true);
        // Requests come first where the platform honours thread priorities.
        thread.setPriority(Thread.MIN_PRIORITY);
    }

    /**
     * Makes the warm-up, not started yet, and counts real work from now on: called just before the
     * server serves.
     *
     * @param warmUp           the use case
     * @param rounds           how many rounds (0 turns the warm-up off)
     * @param beforeFirstRound run on the warm-up's thread before its first round (tests hold it there
     *                         to put real work before that round; otherwise nothing)
     * @return the warm-up, to be {@linkplain #start() started} once the server serves
     */
    static StartupWarmUp prepare(WarmUpUseCase warmUp, int rounds, Runnable beforeFirstRound) {
        warmUp.countWorkFromNow();
        return new StartupWarmUp(warmUp, rounds, beforeFirstRound);
    }

    /**
     * Starts the warm-up, or nothing when it has 0 rounds.
     *
     * @return this warm-up, running
     */
    StartupWarmUp start() {
        if (rounds > 0) {
            thread.start();
        } else {
            done.complete(warmUp.warmUp(0));
        }
        return this;
    }

    /**
     * Runs the rounds a batch at a time, resting after each batch as long as it took: the warm-up
     * takes at most about half of one core (plus the JIT's own threads), so that requests arriving
     * meanwhile, on a small machine, still find CPU. Java thread priorities alone do not do that
     * (Linux ignores them).
     */
    private static WarmUpUseCase.Warmed paced(WarmUpUseCase warmUp, int rounds) {
        int done = 0;
        Duration first = Duration.ZERO;
        Duration last = Duration.ZERO;
        Duration work = Duration.ZERO;
        WarmUpUseCase.Ending ending = WarmUpUseCase.Ending.COMPLETED;
        while (done < rounds) {
            WarmUpUseCase.Warmed batch = warmUp.warmUp(Math.min(BATCH, rounds - done));
            first = done == 0 ? batch.first() : first;
            done += batch.rounds();
            last = batch.rounds() > 0 ? batch.last() : last;
            work = work.plus(batch.total());
            if (batch.stopped() || done >= rounds) {
                ending = batch.ending();
                break;
            }
            try {
                Thread.sleep(batch.total());
            } catch (InterruptedException e) {
                ending = WarmUpUseCase.Ending.INTERRUPTED;
                break;
            }
        }
        return new WarmUpUseCase.Warmed(done, ending, first, last, work);
    }

    /** What the warm-up ran, once it has ended. */
    CompletionStage<WarmUpUseCase.Warmed> done() {
        return done.minimalCompletionStage();
    }

    /** Stops the warm-up after its current round and waits for that (a few milliseconds at most). */
    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
