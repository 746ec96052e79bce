package io.pgfleet.server;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Prints the request log on the console a burst at a time: records gather in memory and are written
 * with one {@code write} when the request log's writer has handed over its batch and flushes
 * ({@code RequestLog.Writer} does after every batch), when {@link #LIMIT} characters wait, or at
 * once for a record above {@code INFO}. The JDK's {@link ConsoleHandler} flushes after every record:
 * one system call per request line, a thousand of them for the thousand watchers one change
 * answers. Only whole lines are written, so lines of other loggers printed on the same console in
 * between stay whole.
 *
 * <p>Nothing waits here longer than the request log's writer holds its batch (it flushes right
 * after); the logging system's flush at exit ({@link ShutdownLogManager}) writes what is left.
 */
final class BurstConsoleHandler extends Handler {

    /** Characters that may wait (about 400 request lines) before they are written anyway. */
    static final int LIMIT = 64 * 1024;

    private final PrintStream out;
    private final Charset charset;
    private final StringBuilder pending = new StringBuilder(LIMIT + 1024);

    BurstConsoleHandler(OutputStream out, Charset charset) {
        this.out = out instanceof PrintStream p ? p : new PrintStream(out, false, charset);
        this.charset = charset;
    }

    /**
     * Gives {@code requests} (the request log's logger) a handler of this kind with the format and
     * level of {@code root}'s console handler, and stops its records going through that console
     * handler too. Does nothing when the root logger has no console handler with this server's
     * format (an operator's own logging setup is left as it is).
     *
     * @param root     the root logger, whose console handler {@link LogLineFormatter#installOnConsole} formatted
     * @param requests the request log's logger
     * @return whether the request log now prints through a handler of this kind
     */
    static boolean installFor(Logger root, Logger requests) {
        for (Handler handler : root.getHandlers()) {
            if (handler instanceof ConsoleHandler console && console.getFormatter() instanceof LogLineFormatter) {
                Charset charset = console.getEncoding() == null ? Charset.defaultCharset()
                        : Charset.forName(console.getEncoding());
                BurstConsoleHandler burst = new BurstConsoleHandler(System.err, charset);
                burst.setFormatter(console.getFormatter());
                burst.setLevel(console.getLevel());
                requests.addHandler(burst);
                requests.setUseParentHandlers(false);
                REQUESTS.set(requests);
                return true;
            }
        }
        return false;
    }

    /** Logger references are weak in java.util.logging: this keeps the request logger's set-up alive. */
    private static final java.util.concurrent.atomic.AtomicReference<Logger> REQUESTS =
            new java.util.concurrent.atomic.AtomicReference<>();

    @Override
    public void publish(LogRecord record) {
        if (!isLoggable(record)) {
            return;
        }
        String line;
        try {
            line = getFormatter().format(record);
        } catch (RuntimeException e) {
            reportError(null, e, java.util.logging.ErrorManager.FORMAT_FAILURE);
            return;
        }
        synchronized (pending) {
            pending.append(line);
            if (pending.length() >= LIMIT || record.getLevel().intValue() > Level.INFO.intValue()) {
                writePending();
            }
        }
    }

    @Override
    public void flush() {
        synchronized (pending) {
            writePending();
        }
    }

    @Override
    public void close() {
        // The console itself stays open: other handlers print on it.
        flush();
    }

    private void writePending() {
        if (pending.isEmpty()) {
            return;
        }
        byte[] bytes = pending.toString().getBytes(charset);
        pending.setLength(0);
        out.write(bytes, 0, bytes.length);
        out.flush();
    }
}
