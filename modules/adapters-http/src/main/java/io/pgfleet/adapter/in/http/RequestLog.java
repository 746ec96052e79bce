package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.pgfleet.domain.access.Principal;

import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * One log line per request (method, route template, status, duration, principal, request id), and a
 * request id an operator can follow across instances: taken from the caller's {@code X-Request-Id}
 * when it is a plain token of at most 64 characters, made up otherwise, echoed in the response's
 * {@code X-Request-Id} and in every problem body as {@code request_id}. The line is JSON when the
 * environment sets {@code PGFLEET_LOG_FORMAT=json}, text otherwise.
 *
 * <p>A request does not wait for the log: its line is handed to one writer thread
 * ({@link Writer}), which passes it to the logger's handlers. Handlers write under a lock and
 * flush every record (the console handler does), so on the request's own thread they made every
 * request of the instance queue on that lock and its {@code write}, and a stalled log reader
 * (a full pipe) stalled every request. At most {@link Writer#CAPACITY} lines wait; beyond that,
 * lines are dropped and counted, and the writer logs how many.
 *
 * <p>A burst of requests ending together (one change answering all the watchers of a
 * configuration) is written once the burst is over: the writer, unless a full batch already
 * waits, lets the lines gather while they keep coming ({@link Writer#SETTLE_STEP} at a time, at
 * most {@link Writer#SETTLE_MAX}), so that its formatting and writes do not take the CPU from the
 * answers still to be sent. When it is behind (a full batch waits) it writes without pausing.
 * After each batch it flushes the logger's handlers, so a handler that holds lines until then (the
 * server's console handler for this log) writes the batch with one system call.
 *
 * <p>At a graceful stop (a shutdown hook) the writer stops waiting for bursts to end and writes
 * what waits, for at most {@link Writer#DRAIN_MAX}.
 */
final class RequestLog {

    static final HeaderName REQUEST_ID = HeaderNames.create("X-Request-Id");
    /** Only ids that cannot forge a log line or a header are kept from the caller. */
    private static final Pattern ACCEPTED = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final System.Logger LOG = System.getLogger("io.pgfleet.http.requests");
    private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

    private final boolean json;

    RequestLog(boolean json) {
        this.json = json;
    }

    /** The log format the environment asks for. */
    static RequestLog fromEnvironment() {
        return new RequestLog("json".equalsIgnoreCase(System.getenv().getOrDefault("PGFLEET_LOG_FORMAT", "")));
    }

    /** The id of the request being handled on this thread, for problem bodies. */
    static Optional<String> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /** One request's line: a JSON object, or words for a person reading the log. */
    String line(String method, String route, int status, long micros, String principal, String id) {
        return json
                ? Jsons.JSON.createObjectBuilder().add("event", "request").add("method", method).add("route", route)
                        .add("status", status).add("duration_ms", micros / 1000.0).add("principal", principal)
                        .add("request_id", id).build().toString()
                : method + " " + route + " " + status + " " + (micros / 1000.0) + " ms principal=" + principal
                        + " request_id=" + id;
    }

    Filter filter() {
        return (FilterChain chain, RoutingRequest req, RoutingResponse res) -> {
            long start = System.nanoTime();
            String id = req.headers().first(REQUEST_ID).filter(v -> ACCEPTED.matcher(v).matches())
                    .orElseGet(RequestLog::newId);
            CURRENT.set(id);
            res.header(REQUEST_ID, id);
            res.whenSent(() -> {
                CURRENT.remove();
                String route = req.context().get(ApiRoutes.DeclaredRoute.class).map(ApiRoutes.DeclaredRoute::template)
                        .orElse(HttpMetrics.OTHER);
                String method = req.prologue().method().text();
                method = HttpMetrics.METHODS.contains(method) ? method : HttpMetrics.OTHER;
                String principal = req.context().get(Principal.class).map(Principal::subject).orElse("-");
                long micros = (System.nanoTime() - start) / 1000;
                int status = res.status().code();
                if (LOG.isLoggable(System.Logger.Level.INFO)) {
                    SharedWriter.WRITER.offer(line(method, route, status, micros, principal, id));
                }
            });
            chain.proceed();
        };
    }

    /** The writer of every request line of this JVM, started at the first line. */
    private static final class SharedWriter {
        static final Writer WRITER = new Writer(LOG, Writer.CAPACITY);

        static {
            Writer.drainAtExit(WRITER);
        }
    }

    /**
     * Passes lines to a logger on a thread of its own, in the order they were offered. Bounded:
     * when {@code capacity} lines are waiting, further lines are dropped and counted, and the count
     * is logged (at WARNING) once the writer catches up.
     */
    static final class Writer {

        /** Lines that may wait for the log's handlers (about 150 bytes each). */
        static final int CAPACITY = 16_384;
        private static final int BATCH = 256;

        /** How long the writer waits for a burst's lines to stop coming before it writes them, step by step. */
        static final java.time.Duration SETTLE_STEP = java.time.Duration.ofMillis(5);
        /** The longest a line waits for its burst to end: a request's log line is at most this late. */
        static final java.time.Duration SETTLE_MAX = java.time.Duration.ofMillis(250);

        private final System.Logger log;
        /**
         * The same logger as {@link #log}, through java.util.logging, when that is the platform's
         * logging backend (the default): a record logged through it names its source class and method
         * itself, where {@link System.Logger} leaves the record to find them by walking the thread's
         * stack once per line (measured: a third of the writer's time). Empty with another backend.
         */
        private final java.util.Optional<java.util.logging.Logger> jul;
        private final int capacity;
        private final java.util.concurrent.BlockingQueue<String> pending;
        private final java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong();

        private final long settleStepNanos;
        private final long settleMaxNanos;
        /** The longest a stop waits for the lines still queued to be written. */
        static final java.time.Duration DRAIN_MAX = java.time.Duration.ofSeconds(2);
        private final Thread thread;
        private volatile boolean stopping;
        /** Lines accepted so far, and lines handed to the handlers and flushed so far (written by the writer only). */
        private final java.util.concurrent.atomic.LongAdder accepted = new java.util.concurrent.atomic.LongAdder();
        private volatile long written;

        Writer(System.Logger log, int capacity) {
            this(log, capacity, SETTLE_STEP, SETTLE_MAX);
        }

        Writer(System.Logger log, int capacity, java.time.Duration settleStep, java.time.Duration settleMax) {
            this.settleStepNanos = settleStep.toNanos();
            this.settleMaxNanos = settleMax.toNanos();
            this.log = log;
            this.jul = System.LoggerFinder.getLoggerFinder().getClass().getName()
                    .equals("sun.util.logging.internal.LoggingProviderImpl")
                    ? java.util.Optional.of(java.util.logging.Logger.getLogger(log.getName()))
                    : java.util.Optional.empty();
            this.capacity = capacity;
            this.pending = new java.util.concurrent.ArrayBlockingQueue<>(capacity);
            this.thread = Thread.ofPlatform().daemon().name("pgfleet-request-log").start(this::run);
        }

        /** Writes every line of this JVM's request log still waiting when the JVM stops. */
        static void drainAtExit(Writer writer) {
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("pgfleet-request-log-drain").unstarted(
                    () -> writer.drain(DRAIN_MAX)));
        }

        /**
         * Stops waiting for bursts to end and waits until every line offered so far has been handed
         * to the handlers and flushed, or {@code max} passed.
         *
         * @param max the longest to wait
         * @return whether everything was written
         */
        boolean drain(java.time.Duration max) {
            stopping = true;
            java.util.concurrent.locks.LockSupport.unpark(thread);
            long end = System.nanoTime() + max.toNanos();
            long target = accepted.sum();
            while (written < target) {
                if (System.nanoTime() >= end) {
                    return false;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            return true;
        }

        /**
         * Hands a line over without waiting.
         *
         * @param line the line
         * @return false when it was dropped because {@code capacity} lines are waiting
         */
        boolean offer(String line) {
            if (pending.offer(line)) {
                accepted.increment();
                return true;
            }
            dropped.incrementAndGet();
            return false;
        }

        private void run() {
            java.util.List<String> batch = new java.util.ArrayList<>(BATCH);
            while (true) {
                try {
                    batch.add(pending.take());
                    if (pending.size() < BATCH && !stopping) {
                        // Not behind: these lines may open a burst; write them once the burst is over.
                        settle();
                    }
                } catch (InterruptedException e) {
                    return;
                }
                pending.drainTo(batch, BATCH - 1);
                for (String line : batch) {
                    write(System.Logger.Level.INFO, line);
                }
                int lines = batch.size();
                batch.clear();
                long lost = dropped.getAndSet(0);
                if (lost > 0) {
                    write(System.Logger.Level.WARNING, lost + " request log line(s) dropped: the log's handlers did not keep up"
                            + " (at most " + capacity + " lines wait)");
                }
                flushHandlers();
                written += lines;
            }
        }

        /**
         * Waits while lines keep coming (a step at a time, at most {@link #settleMaxNanos}), without
         * being woken by each of them: the requests only add to the queue meanwhile.
         */
        private void settle() throws InterruptedException {
            long end = System.nanoTime() + settleMaxNanos;
            int seen = pending.size();
            while (System.nanoTime() < end && seen < capacity / 2 && !stopping) {
                // Parked rather than asleep, so that a stop (drain) ends the wait at once.
                long stepEnd = System.nanoTime() + settleStepNanos;
                for (long left = settleStepNanos; left > 0 && !stopping; left = stepEnd - System.nanoTime()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(left);
                    if (Thread.interrupted()) {
                        throw new InterruptedException();
                    }
                }
                int now = pending.size();
                if (now == seen) {
                    return;
                }
                seen = now;
            }
        }

        /**
         * Flushes the handlers this logger's records reach, once per batch: a handler that holds the
         * batch's lines (the server's console handler for this log) writes them together now.
         */
        private void flushHandlers() {
            if (jul.isEmpty()) {
                return;
            }
            for (java.util.logging.Logger l = jul.get(); l != null; l = l.getUseParentHandlers() ? l.getParent() : null) {
                for (java.util.logging.Handler handler : l.getHandlers()) {
                    try {
                        handler.flush();
                    } catch (RuntimeException e) {
                        // A failing handler loses its own lines, not the writer.
                    }
                }
            }
        }

        private void write(System.Logger.Level level, String line) {
            try {
                if (jul.isPresent()) {
                    // The source a System.Logger record would have found on the stack: this method.
                    jul.get().logp(level == System.Logger.Level.INFO ? java.util.logging.Level.INFO
                            : java.util.logging.Level.WARNING, Writer.class.getName(), "write", line);
                } else {
                    log.log(level, line);
                }
            } catch (RuntimeException e) {
                // A failing handler loses this line, not the writer.
            }
        }
    }

    /**
     * A new request id in the form of a random (version 4) UUID. It names a request in logs, it is no
     * secret: drawn from the thread's own generator rather than the shared secure one, whose lock
     * every request would otherwise take.
     */
    static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long msb = (r.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }
}
