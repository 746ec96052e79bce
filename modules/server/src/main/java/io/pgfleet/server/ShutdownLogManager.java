package io.pgfleet.server;

import java.util.logging.LogManager;

/**
 * The JDK's {@link LogManager}, except that it keeps its handlers while the JVM exits. The JDK's
 * removes them in a shutdown hook of its own, which runs alongside the server's: whatever the
 * server logged while it stopped (a lease it could not give up, a PostgreSQL that would not stop)
 * was lost or not, by chance. At the exit the handlers are flushed instead; the console handlers
 * write a record above {@code INFO} at once, and the request log's writer flushes after each batch.
 *
 * <p>Chosen by {@link Main} ({@code java.util.logging.manager}) unless the operator named another.
 */
public final class ShutdownLogManager extends LogManager {

    /** Called by the JDK: the class named by {@code java.util.logging.manager} needs a public constructor. */
    public ShutdownLogManager() {
        super();
    }

    @Override
    public void reset() {
        if (jvmExiting()) {
            // The handlers stay for what the other shutdown hooks log; what they hold now is written.
            flushAll();
            return;
        }
        super.reset();
    }

    private void flushAll() {
        for (java.util.Enumeration<String> names = getLoggerNames(); names.hasMoreElements(); ) {
            java.util.logging.Logger logger = getLogger(names.nextElement());
            if (logger != null) {
                for (java.util.logging.Handler handler : logger.getHandlers()) {
                    handler.flush();
                }
            }
        }
    }

    private static boolean jvmExiting() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }
}
