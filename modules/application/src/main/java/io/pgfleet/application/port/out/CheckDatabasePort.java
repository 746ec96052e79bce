package io.pgfleet.application.port.out;

import java.util.Optional;

/**
 * Whether the database answers.
 */
public interface CheckDatabasePort {

    /**
     * Runs a trivial query.
     *
     * @return empty when it answered, else what went wrong
     */
    Optional<String> checkDatabase();
}
