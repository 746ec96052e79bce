package io.pgfleet.application.port.out;

/**
 * Every password hashing slot is taken: the check was not done. Hashing is deliberately slow
 * and runs on a small bounded pool, so a flood of logins queues there instead of starving the
 * rest of the server; callers answer "try again shortly".
 */
public final class PasswordHashingBusyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * The pool is full.
     *
     * @param message what was full
     */
    public PasswordHashingBusyException(String message) {
        super(message);
    }
}
