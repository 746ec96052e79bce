package io.pgfleet.cli;

import java.util.List;

/**
 * A command's expected failure: a one-line message (plus optional detail lines, such as every
 * validation error) and the exit code that says what kind of failure it is. Never a stack trace.
 */
final class CliException extends RuntimeException {

    private final int exitCode;
    private final List<String> details;

    CliException(int exitCode, String message) {
        this(exitCode, message, List.of());
    }

    CliException(int exitCode, String message, List<String> details) {
        super(message, null, false, false);
        this.exitCode = exitCode;
        this.details = List.copyOf(details);
    }

    int exitCode() {
        return exitCode;
    }

    List<String> details() {
        return details;
    }
}
