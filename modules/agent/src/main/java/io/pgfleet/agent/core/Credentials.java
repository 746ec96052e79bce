package io.pgfleet.agent.core;

import java.util.Optional;

/**
 * What the host gives the agent to enrol with, read afresh each time (an operator may put a new
 * enrolment token in place while the agent runs).
 */
public interface Credentials {

    /**
     * A one-time enrolment token, if the host has one.
     *
     * @return the token
     */
    Optional<String> enrolmentToken();

    /**
     * The fleet's registration secret, if the host has it.
     *
     * @return the secret
     */
    Optional<String> registrationSecret();

    /**
     * Where an operator puts an enrolment token for this agent, in words for the log.
     *
     * @return e.g. "/etc/pgfleet/enrolment-token (enrolment_token_file)"
     */
    String tokenLocation();
}
