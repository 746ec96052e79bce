package io.pgfleet.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * The server's console log format: one line per record, {@code 2026-11-30T19:24:00.123Z INFO
 * io.pgfleet.http.requests: GET /api/v1/config/{id} 200 0.3 ms …}, a thrown exception's stack
 * trace on the lines after it.
 *
 * <p>Why not the JDK's {@link SimpleFormatter}: it prints every record on two lines (a journal
 * reading the server's output makes each record two entries, and {@code grep} finds the message
 * without its time), and it formats every record with {@link String#format}, which parses its
 * format string and builds a localised date each time. With one request log line per read, that
 * was a sixth of everything a read allocated (JFR, docs/benchmarks.md "Reads"), so more frequent
 * collections, whose concurrent work competes with the requests for the CPU.
 */
public final class LogLineFormatter extends Formatter {

    @Override
    public String format(LogRecord record) {
        StringBuilder line = new StringBuilder(160);
        // Milliseconds, as a reader compares them; the record's clock may carry nanoseconds.
        DateTimeFormatter.ISO_INSTANT.formatTo(record.getInstant().truncatedTo(ChronoUnit.MILLIS), line);
        line.append(' ').append(record.getLevel().getName()).append(' ')
                .append(record.getLoggerName() == null ? "-" : record.getLoggerName()).append(": ")
                .append(formatMessage(record)).append(System.lineSeparator());
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            try (PrintWriter out = new PrintWriter(trace)) {
                record.getThrown().printStackTrace(out);
            }
            line.append(trace);
        }
        return line.toString();
    }

    /**
     * Gives the console handlers of {@code logger} this format, unless the operator chose one: a
     * logging configuration file or class, or a {@code SimpleFormatter} format of their own, leave
     * every handler as configured.
     *
     * @param logger the logger whose handlers print to the console (the root logger)
     * @return whether a handler was given this format
     */
    static boolean installOnConsole(Logger logger) {
        if (System.getProperty("java.util.logging.config.file") != null
                || System.getProperty("java.util.logging.config.class") != null
                || System.getProperty("java.util.logging.SimpleFormatter.format") != null) {
            return false;
        }
        boolean installed = false;
        for (Handler handler : logger.getHandlers()) {
            if (handler instanceof ConsoleHandler && handler.getFormatter() instanceof SimpleFormatter) {
                handler.setFormatter(new LogLineFormatter());
                installed = true;
            }
        }
        return installed;
    }
}
