package io.pgfleet.application.service;

import io.pgfleet.application.port.in.AuthenticateQuery.Authentication;
import io.pgfleet.domain.access.Principal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Remembers for a moment whether a token's subject is still active (user enabled, collector not
 * revoked), so that a burst of requests costs one lookup instead of one each. The instance that
 * disables a user or revokes a collector forgets it at once; other instances within {@link #TTL}.
 */
final class ActivePrincipals {

    /** How long an answer is reused. */
    static final Duration TTL = Duration.ofSeconds(2);
    private static final int MAX_ENTRIES = 50_000;

    private record Entry(Authentication answer, long expiresAt) {
    }

    private final ConcurrentHashMap<Principal, Entry> entries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Principal, CompletableFuture<Authentication>> inFlight = new ConcurrentHashMap<>();

    Authentication check(Principal principal, Function<Principal, Authentication> lookup) {
        long now = System.nanoTime();
        Entry e = entries.get(principal);
        if (e != null && now - e.expiresAt() < 0) {
            return e.answer();
        }
        CompletableFuture<Authentication> mine = new CompletableFuture<>();
        CompletableFuture<Authentication> running = inFlight.putIfAbsent(principal, mine);
        if (running != null) {
            try {
                return running.join();
            } catch (CompletionException failed) {
                // The lookup we waited for failed (e.g. the database is unreachable): so does this request.
                if (failed.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw failed;
            }
        }
        try {
            Authentication answer = lookup.apply(principal);
            if (entries.size() >= MAX_ENTRIES) {
                entries.clear();
            }
            entries.put(principal, new Entry(answer, now + TTL.toNanos()));
            mine.complete(answer);
            return answer;
        } catch (RuntimeException failed) {
            mine.completeExceptionally(failed);
            throw failed;
        } finally {
            inFlight.remove(principal, mine);
        }
    }

    /** Forgets everything known about a subject (a user name or collector id). */
    void forget(String subject) {
        entries.keySet().removeIf(p -> p.subject().equals(subject));
    }
}
