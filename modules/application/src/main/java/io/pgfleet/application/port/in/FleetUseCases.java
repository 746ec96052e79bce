package io.pgfleet.application.port.in;

/**
 * Names of the fleet use cases live in their own files; this type only groups their outcomes.
 */
public final class FleetUseCases {

    private FleetUseCases() {
    }

    /** The outcome of a status report or a push. */
    public sealed interface Receipt {
        /**
         * Stored.
         *
         * @param count how many samples were stored (0 for a status report)
         */
        record Stored(int count) implements Receipt {
        }

        /** The batch was stored before; nothing was stored again. */
        record Duplicate() implements Receipt {
        }

        /** No such collector. */
        record CollectorNotFound() implements Receipt {
        }
    }
}
