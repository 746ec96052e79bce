package io.pgfleet.application.port.out;

/**
 * Every slot for parsing configuration documents is taken and enough documents already wait for
 * one: this document was not parsed. Parsing a large document costs up to seconds of one core and
 * does not yield, so the number parsed at once is bounded; callers answer "try again shortly".
 */
public final class DocumentParsingBusyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * The slots and the wait queue are full.
     *
     * @param message what was full
     */
    public DocumentParsingBusyException(String message) {
        super(message);
    }
}
