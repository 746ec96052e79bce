package io.pgfleet.application.service;

import io.pgfleet.application.port.in.AuthenticateQuery.Authentication;
import io.pgfleet.application.port.out.AccessTokenPort.TokenCheck;
import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Remembers for a moment whether a token's subject is still active (user enabled, collector not
 * revoked) and its session not ended, so that a burst of requests costs one lookup instead of one each. The instance that
 * disables a user or revokes a collector forgets it at once; other instances when they hear of the
 * change ({@link ConfigChangeFeedPort.Listener#principalChanged}), or within {@link #TTL} for a
 * request's first check when that announcement is lost.
 *
 * <p>Forgetting a subject also ends its held watches on this instance ({@link HeldWatchesOfCallers}):
 * each checks its caller again at once instead of at the end of its hold.
 */
final class ActivePrincipals implements ConfigChangeFeedPort.Listener {

    /** How long an answer is reused. */
    static final Duration TTL = Duration.ofSeconds(2);
    private static final int MAX_ENTRIES = 50_000;

    private record Entry(Authentication answer, long expiresAt) {
    }

    // Keyed by principal and session: a session ended while another of the same subject goes on.
    private final ConcurrentHashMap<TokenCheck.Valid, Entry> entries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<TokenCheck.Valid, CompletableFuture<Authentication>> lookups = new ConcurrentHashMap<>();
    private final HeldWatchesOfCallers watches;

    /** With held watches that nothing else registers (tests of the cache alone). */
    ActivePrincipals() {
        this(new HeldWatchesOfCallers());
    }

    /** @param watches the held watches to end when a subject is forgotten */
    ActivePrincipals(HeldWatchesOfCallers watches) {
        this.watches = watches;
    }

    Authentication check(TokenCheck.Valid principal, Function<TokenCheck.Valid, Authentication> lookup) {
        long now = System.nanoTime();
        Entry e = entries.get(principal);
        if (e != null && now - e.expiresAt() < 0) {
            return e.answer();
        }
        // A burst that finds no fresh answer (every watcher of a change coming back at once) shares
        // one lookup: a lookup under way began no earlier than this request, so its answer is as fresh.
        CompletableFuture<Authentication> mine = new CompletableFuture<>();
        CompletableFuture<Authentication> running = lookups.putIfAbsent(principal, mine);
        if (running != null) {
            return join(running);
        }
        try {
            Authentication answer = lookup.apply(principal);
            if (entries.size() >= MAX_ENTRIES) {
                entries.clear();
            }
            entries.put(principal, new Entry(answer, now + TTL.toNanos()));
            mine.complete(answer);
            return answer;
        } catch (RuntimeException | Error x) {
            mine.completeExceptionally(x);
            throw x;
        } finally {
            lookups.remove(principal, mine);
        }
    }

    /**
     * The answer this instance last learned for a principal, however old, unless it forgot the
     * principal since (a revocation, a disabled user, a decommission made here); otherwise a
     * {@link #check}. For a request that already passed a check and waited: it asks the database
     * only about principals changed on this instance meanwhile.
     */
    Authentication recheck(TokenCheck.Valid principal, Function<TokenCheck.Valid, Authentication> lookup) {
        Entry e = entries.get(principal);
        return e != null ? e.answer() : check(principal, lookup);
    }

    private static Authentication join(CompletableFuture<Authentication> running) {
        try {
            return running.join();
        } catch (CompletionException x) {
            // The shared lookup's failure (e.g. the database is unreachable) is this request's too.
            if (x.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (x.getCause() instanceof Error err) {
                throw err;
            }
            throw x;
        }
    }

    /**
     * Forgets everything known about a subject (a user name or collector id), and ends its held
     * watches on this instance: each checks its caller again at once, with nothing cached to answer it.
     */
    void forget(String subject) {
        entries.keySet().removeIf(p -> p.principal().subject().equals(subject));
        // Requests from now on do not join a lookup that began before the change.
        lookups.keySet().removeIf(p -> p.principal().subject().equals(subject));
        // After the answers are gone, so an ended watch's second check cannot find the old one.
        watches.changed(subject);
    }

    /**
     * Forgets what is known about one session of a subject (logged out, its refresh token reused),
     * and ends the watches held with its tokens on this instance; the subject's other sessions, and
     * their watches, go on.
     */
    void forgetSession(String subject, String session) {
        java.util.function.Predicate<TokenCheck.Valid> of = p -> p.principal().subject().equals(subject)
                && p.session().filter(session::equals).isPresent();
        entries.keySet().removeIf(of);
        lookups.keySet().removeIf(of);
        watches.sessionEnded(subject, session);
    }

    /** Another instance (or this one) ended a session in the database. */
    @Override
    public void sessionEnded(String subject, String session) {
        forgetSession(subject, session);
    }

    /** Another instance (or this one) changed a subject in the database. */
    @Override
    public void principalChanged(String subject) {
        forget(subject);
    }

    /**
     * Changes of subjects may have been missed: every cached answer is asked of the database again
     * (a held watch's second check included). No held watch is ended: nothing says whose changed,
     * and ending all would bring every watcher back at once.
     */
    @Override
    public void resync() {
        entries.clear();
        lookups.clear();
    }

    /** Configuration announcements say nothing of who may call. */
    @Override
    public void published(CollectorId collectorId, ConfigVersion version) {
    }

    /** What the log calls it (a change-feed listener that fails or recovers is named): words, not a class and hash code. */
    @Override
    public String toString() {
        return "cache of who may call";
    }
}
