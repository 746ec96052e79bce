package io.pgfleet.server;

import io.pgfleet.application.port.in.BootstrapSecurityUseCase;

import java.util.Optional;

/**
 * The server did not start for a reason an operator can act on (the port is taken, another server
 * holds the data directory), said in one line with the remedy: the launcher prints the message, not
 * a stack trace, and exits with status 1.
 *
 * <p>It carries the secrets generated and stored during the failed start, if any: they are stored
 * only as hashes, so they must be shown now or never.
 */
public final class CannotStartException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient BootstrapSecurityUseCase.Generated generated;

    /**
     * A start that failed before generating anything.
     *
     * @param message what went wrong and the remedy, one line
     * @param cause   the underlying failure
     */
    public CannotStartException(String message, Throwable cause) {
        this(message, cause, new BootstrapSecurityUseCase.Generated(Optional.empty(), Optional.empty()));
    }

    /**
     * A start that failed after storing generated secrets.
     *
     * @param message   what went wrong and the remedy, one line
     * @param cause     the underlying failure
     * @param generated what was generated and stored before the failure
     */
    public CannotStartException(String message, Throwable cause, BootstrapSecurityUseCase.Generated generated) {
        super(message, cause);
        this.generated = java.util.Objects.requireNonNull(generated, "generated");
    }

    /**
     * The same failure, with the secrets generated before it.
     *
     * @param secrets what was generated and stored
     * @return a copy carrying them
     */
    CannotStartException withGenerated(BootstrapSecurityUseCase.Generated secrets) {
        return new CannotStartException(getMessage(), getCause(), secrets);
    }

    /**
     * The secrets generated and stored during the failed start, to be shown once.
     *
     * @return the secrets, both parts empty when none were generated
     */
    public BootstrapSecurityUseCase.Generated generated() {
        return generated;
    }
}
