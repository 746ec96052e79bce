package io.pgfleet.adapter.out.security;

import io.pgfleet.application.port.out.PasswordHasherPort;
import io.pgfleet.application.port.out.PasswordHashingBusyException;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * PBKDF2-HMAC-SHA256 with a 16-byte random salt per password and 600,000 iterations (OWASP's
 * recommendation), encoded as {@code pbkdf2-sha256$iterations$salt$hash}. The iteration count
 * travels with each hash, so it can be raised without invalidating stored passwords.
 *
 * <p>The derivation runs on a small pool of platform threads with a bounded queue, never on the
 * caller's (virtual) thread: hashing does not yield, so a burst of logins run on the virtual
 * threads' carriers would stall every other request (health checks included). When the queue is
 * full the caller gets {@link PasswordHashingBusyException} at once.
 */
public final class Pbkdf2PasswordHasher implements PasswordHasherPort {

    /** The iteration count for new hashes. */
    public static final int DEFAULT_ITERATIONS = 600_000;
    private static final String PREFIX = "pbkdf2-sha256";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Threads hashing at once by default: half the processors, at least one. */
    public static final int DEFAULT_THREADS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    /** Hash requests waiting for a thread by default. */
    public static final int DEFAULT_QUEUE = 16;
    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int iterations;
    private final ThreadPoolExecutor pool;
    /**
     * One thread and a short queue for logins from where their user logged in before
     * ({@link #verifyKnown}): a flood from many addresses fills {@link #pool}, never this.
     */
    private final ThreadPoolExecutor known;

    /** Hashes with {@link #DEFAULT_ITERATIONS}, {@link #DEFAULT_THREADS} and {@link #DEFAULT_QUEUE}. */
    public Pbkdf2PasswordHasher() {
        this(DEFAULT_ITERATIONS, DEFAULT_THREADS, DEFAULT_QUEUE);
    }

    /**
     * Hashes with a given iteration count on a bounded pool.
     *
     * @param iterations at least 100,000
     * @param threads    hashing threads, 1..64
     * @param queue      waiting hash requests, 1..10,000
     */
    public Pbkdf2PasswordHasher(int iterations, int threads, int queue) {
        if (iterations < 100_000) {
            throw new IllegalArgumentException("PBKDF2 needs at least 100,000 iterations");
        }
        if (threads < 1 || threads > 64 || queue < 1 || queue > 10_000) {
            throw new IllegalArgumentException("hash threads must be 1..64 and the hash queue 1..10000");
        }
        this.iterations = iterations;
        int pool = POOLS.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queue),
                r -> {
                    Thread t = new Thread(r, "pgfleet-hash-" + pool + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        this.pool.allowCoreThreadTimeOut(true);
        this.known = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(KNOWN_QUEUE),
                r -> {
                    Thread t = new Thread(r, "pgfleet-hash-" + pool + "-known");
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        this.known.allowCoreThreadTimeOut(true);
    }

    /** Logins from known places waiting for the reserved thread. */
    private static final int KNOWN_QUEUE = 4;

    @Override
    public String hash(String password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return PREFIX + "$" + iterations + "$" + b64.encodeToString(salt) + "$"
                + b64.encodeToString(onPool(pool, password, salt, iterations));
    }

    @Override
    public boolean verifyKnown(String password, String encoded) {
        return verifyOn(known, password, encoded);
    }

    @Override
    public boolean verify(String password, String encoded) {
        return verifyOn(pool, password, encoded);
    }

    private boolean verifyOn(ThreadPoolExecutor on, String password, String encoded) {
        String[] parts = encoded.split("\\$");
        if (parts.length != 4 || !parts[0].equals(PREFIX)) {
            return false;
        }
        try {
            int n = Integer.parseInt(parts[1]);
            byte[] salt = Base64.getDecoder().decode(parts[2]);
            byte[] expected = Base64.getDecoder().decode(parts[3]);
            return MessageDigest.isEqual(expected, onPool(on, password, salt, n));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Runs the derivation on the pool; the caller (a virtual thread) parks meanwhile, freeing its carrier. */
    private static byte[] onPool(ThreadPoolExecutor on, String password, byte[] salt, int n) {
        Future<byte[]> result;
        try {
            result = on.submit(() -> derive(password, salt, n));
        } catch (RejectedExecutionException e) {
            throw new PasswordHashingBusyException("every password hashing slot is busy");
        }
        try {
            return result.get();
        } catch (InterruptedException e) {
            result.cancel(true);
            Thread.currentThread().interrupt();
            throw new PasswordHashingBusyException("interrupted while waiting for password hashing");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("password hashing failed", e.getCause());
        }
    }

    private static byte[] derive(String password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 256);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is part of every Java platform", e);
        } finally {
            spec.clearPassword();
        }
    }
}
