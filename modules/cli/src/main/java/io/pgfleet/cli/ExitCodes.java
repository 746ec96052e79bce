package io.pgfleet.cli;

/**
 * What the CLI's exit status means; scripts branch on these, so they never change meaning.
 */
public final class ExitCodes {

    /** Done. */
    public static final int OK = 0;
    /**
     * The command line is wrong (unknown option, missing argument …), a file cannot be read, or the
     * output could not be written (a full disk, a closed pipe).
     */
    public static final int USAGE = 1;
    /**
     * The server refused the input: invalid configuration (422), malformed request (400), too large
     * (413); or the CLI did so itself before sending: a document over the server's limit or not UTF-8.
     */
    public static final int REFUSED = 2;
    /** A conflict: someone else changed it first (412), or it already exists (409). */
    public static final int CONFLICT = 3;
    /** No such collector, version, user … (404), or no more: a decommissioned collector (410). */
    public static final int NOT_FOUND = 4;
    /** Not logged in, wrong password, session expired, or not allowed (401, 403). */
    public static final int AUTH = 5;
    /** The server cannot be reached or is unavailable (connection refused, timeout, 503, other 5xx). */
    public static final int UNAVAILABLE = 6;
    /** Still rate-limited (429) after waiting once as the server asked. */
    public static final int RATE_LIMITED = 7;

    private ExitCodes() {
    }
}
