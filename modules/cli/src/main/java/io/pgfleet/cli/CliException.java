package io.pgfleet.cli;

import java.util.List;
import java.util.Optional;

/**
 * A command's expected failure: a one-line message (plus optional detail lines, such as every
 * validation error) and the exit code that says what kind of failure it is. Never a stack trace.
 *
 * <p>A failure that waiting can mend — the server not answering, or answering that it is away for
 * now ({@code 502}, {@code 503}, {@code 504}) — also says so in a few words of its own
 * ({@link #transientCause()}), which a command that follows the server ({@code config watch}) retries
 * on instead of ending.
 */
final class CliException extends RuntimeException {

    private final int exitCode;
    private final List<String> details;
    private final String transientCause;

    CliException(int exitCode, String message) {
        this(exitCode, message, List.of());
    }

    CliException(int exitCode, String message, List<String> details) {
        this(exitCode, message, details, null);
    }

    private CliException(int exitCode, String message, List<String> details, String transientCause) {
        super(message, null, false, false);
        this.exitCode = exitCode;
        this.details = List.copyOf(details);
        this.transientCause = transientCause;
    }

    /**
     * A failure that may pass: the server cannot be reached or says it is away for now.
     *
     * @param exitCode its exit code
     * @param message  its message
     * @param details  its detail lines
     * @param cause    what happened, in a few words ({@code connection refused}, {@code 503 …})
     * @return the failure
     */
    static CliException passing(int exitCode, String message, List<String> details, String cause) {
        return new CliException(exitCode, message, details, cause);
    }

    int exitCode() {
        return exitCode;
    }

    List<String> details() {
        return details;
    }

    /** What happened, in a few words, when waiting may mend it; empty when retrying cannot. */
    Optional<String> transientCause() {
        return Optional.ofNullable(transientCause);
    }
}
