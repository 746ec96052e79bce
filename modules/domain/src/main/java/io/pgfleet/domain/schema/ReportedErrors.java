package io.pgfleet.domain.schema;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.function.Supplier;

/**
 * The errors of one validation: the first {@link Validation#MAX_REPORTED_ERRORS} by position are
 * kept, every one is counted. A message is built only for an error that is kept, so a document of
 * thousands of wrong keys costs a count per key beyond the bound, not a message (the unknown-key
 * message searches the section for the closest name) nor memory.
 */
final class ReportedErrors {

    /** The kept errors, the last by position on top: the one a better-placed error replaces. */
    private final PriorityQueue<ValidationError> kept = new PriorityQueue<>(Comparator.reverseOrder());
    private int total;

    void add(SourcePosition at, String key, String message) {
        add(at, key, () -> message);
    }

    void add(SourcePosition at, String key, Supplier<String> message) {
        total++;
        if (kept.size() < Validation.MAX_REPORTED_ERRORS) {
            kept.add(ValidationError.at(at, key, message.get()));
            return;
        }
        ValidationError last = kept.peek();
        if (at.line() < last.line() || at.line() == last.line() && at.column() < last.column()) {
            kept.poll();
            kept.add(ValidationError.at(at, key, message.get()));
        }
    }

    boolean isEmpty() {
        return total == 0;
    }

    Validation.Invalid invalid() {
        return new Validation.Invalid(new ArrayList<>(kept), total);
    }
}
