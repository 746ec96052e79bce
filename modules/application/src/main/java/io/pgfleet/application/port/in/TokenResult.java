package io.pgfleet.application.port.in;

/**
 * The outcome of a login or refresh.
 */
public sealed interface TokenResult {

    /**
     * Tokens were issued.
     *
     * @param tokens the new pair
     */
    record Issued(TokenPair tokens) implements TokenResult {
    }

    /**
     * Refused; the reason is for the log, callers get a uniform answer.
     *
     * @param reason why
     */
    record Refused(String reason) implements TokenResult {
    }
}
