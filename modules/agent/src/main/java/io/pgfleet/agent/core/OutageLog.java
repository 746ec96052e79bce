package io.pgfleet.agent.core;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the log says of failed pulls and pushes while the server is away: the first failure of a
 * streak in full, repeats of the same kind counted and summed up at most once a
 * {@link #SUMMARY_EVERY minute} for both lanes together, a failure of another kind in full at once,
 * and the first success after a streak with how long it lasted. With short intervals an outage
 * otherwise writes some 30 lines a minute per agent into its host's journal, all with the same news.
 * Thread-safe: the pull and push lanes report here each from its own thread.
 */
final class OutageLog {

    /** How often, at most, repeated failures are summed up. */
    static final Duration SUMMARY_EVERY = AgentCore.ERROR_LOG_EVERY;

    /** The lanes whose requests fail: each has its streak. */
    enum Lane {
        PULL, PUSH
    }

    /** A lane's failures in a row: how many, since when, and of which kind the last one said was. */
    private static final class Streak {
        int failed;
        long startedNanos;
        Instant startedAt;
        String kind;
        String lastMessage;
    }

    /**
     * A status code in a message ({@code … answered 503: …}, or a problem document in words: {@code …
     * refused (401 unauthorized): …}): the code tells one failure from another.
     */
    private static final Pattern ANSWERED = Pattern.compile("(?:answered|refused) \\(?(\\d{3})");
    /**
     * The status of a problem document quoted in a message ({@code registration refused: {…"status":401,…}}):
     * the code tells one failure from another, where the document's {@code request_id}, new in every
     * answer, would make each a failure of another kind, said in full at every attempt.
     */
    private static final Pattern PROBLEM_STATUS = Pattern.compile("\"status\"\\s*:\\s*(\\d{3})");

    private final Consumer<String> log;
    private final LongSupplier nanoTime;
    private final Supplier<Instant> now;
    private final Streak pull = new Streak();
    private final Streak push = new Streak();
    /** When the last line about the outage was said (monotonic clock). */
    private long lastSaid;
    /** What the push lane last said of the samples waiting, for a summary the pull lane makes. */
    private String lastWaiting = "";

    OutageLog(Consumer<String> log, LongSupplier nanoTime, Supplier<Instant> now) {
        this.log = log;
        this.nanoTime = nanoTime;
        this.now = now;
    }

    /**
     * One more failure on a lane.
     *
     * @param lane     the lane that failed
     * @param e        what failed
     * @param fullLine the line saying it in full (what failed, why, when the next try is)
     * @param waiting  what a summary says of the samples waiting; empty from the pull lane, which
     *                 may not read the push lane's batches: the push lane's last word is said then
     */
    void failed(Lane lane, ServerException e, String fullLine, String waiting) {
        // Said outside the lock: the lanes call in holding locks of their own.
        sayOutside(failedLocked(lane, e, fullLine, waiting));
    }

    private synchronized String failedLocked(Lane lane, ServerException e, String fullLine, String waiting) {
        if (!waiting.isEmpty()) {
            lastWaiting = waiting;
        }
        Streak s = streak(lane);
        long t = nanoTime.getAsLong();
        String kind = kind(e);
        if (s.failed == 0) {
            s.startedNanos = t;
            s.startedAt = now.get().truncatedTo(ChronoUnit.SECONDS);
        }
        s.failed++;
        s.lastMessage = e.getMessage();
        if (!kind.equals(s.kind)) {
            // The first of a streak, or another failure than the one said last (connection refused,
            // then 401 or 503): news, said at once.
            s.kind = kind;
            lastSaid = t;
            return fullLine + "; more failures like it are counted and said once a minute";
        }
        if (t - lastSaid >= SUMMARY_EVERY.toNanos()) {
            lastSaid = t;
            return summary(t, s) + (lastWaiting.isEmpty() ? "" : "; " + lastWaiting);
        }
        return null;
    }

    private void sayOutside(String line) {
        if (line != null) {
            log.accept(line);
        }
    }

    /**
     * A lane's request succeeded: a streak it ends is said, with how long it lasted.
     *
     * @param lane  the lane that succeeded
     * @param after what the line adds (the samples waiting), or empty; asked only after a streak
     */
    void succeeded(Lane lane, Supplier<String> after) {
        sayOutside(succeededLocked(lane, after));
    }

    private synchronized String succeededLocked(Lane lane, Supplier<String> after) {
        Streak s = streak(lane);
        if (s.failed == 0) {
            return null;
        }
        Duration lasted = Duration.ofNanos(Math.max(0, nanoTime.getAsLong() - s.startedNanos));
        String extra = after.get();
        String line = (lane == Lane.PULL ? "configuration pulls" : "pushes") + " succeed again after " + words(lasted)
                + ": " + s.failed + " failed since " + s.startedAt + (extra.isEmpty() ? "" : "; " + extra);
        s.failed = 0;
        s.kind = null;
        s.lastMessage = null;
        if (lane == Lane.PUSH) {
            lastWaiting = "";
        }
        return line;
    }

    private String summary(long t, Streak last) {
        Instant since = null;
        long startedNanos = t;
        StringBuilder failed = new StringBuilder();
        for (Lane lane : Lane.values()) {
            Streak s = streak(lane);
            if (s.failed == 0) {
                continue;
            }
            if (since == null || s.startedNanos - startedNanos < 0) {
                startedNanos = s.startedNanos;
                since = s.startedAt;
            }
            if (!failed.isEmpty()) {
                failed.append(" and ");
            }
            failed.append(s.failed).append(lane == Lane.PULL ? (s.failed == 1 ? " pull" : " pulls")
                    : (s.failed == 1 ? " push" : " pushes"));
        }
        long minutes = Duration.ofNanos(Math.max(0, t - startedNanos)).toMinutes();
        return "the server has not been usable for " + minutes + " min: " + failed + " failed since " + since
                + " (the last: " + last.lastMessage + ")";
    }

    private Streak streak(Lane lane) {
        return lane == Lane.PULL ? pull : push;
    }

    /**
     * The kind of a failure, as far as the log goes: its {@link ServerException.Kind} and the status
     * code it was answered with, or else its words without their numbers (a deadline's seconds, a
     * port).
     */
    static String kind(ServerException e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        Matcher m = ANSWERED.matcher(message);
        if (m.find()) {
            return e.kind() + " " + m.group(1);
        }
        Matcher problem = PROBLEM_STATUS.matcher(message);
        if (problem.find()) {
            return e.kind() + " " + problem.group(1);
        }
        int cut = message.indexOf('(');
        return e.kind() + " " + (cut < 0 ? message : message.substring(0, cut)).replaceAll("\\d+", "#");
    }

    /** A duration in words: {@code 45 s}, {@code 4 min 12 s}, {@code 75 min}. */
    static String words(Duration d) {
        long s = d.toSeconds();
        if (s < 60) {
            return s + " s";
        }
        return s < 600 && s % 60 != 0 ? s / 60 + " min " + s % 60 + " s" : s / 60 + " min";
    }
}
