package io.pgfleet.application.port.in;

import java.util.Objects;

/**
 * The collector use cases: provisioning, agents registering, enrolment tokens, revocation, and
 * whether an id is a decommissioned collector's.
 *
 * @param provision pre-provisioning collectors
 * @param register agents registering
 * @param enrolment issuing one-time enrolment tokens
 * @param revoke revoking collectors
 * @param decommissioned whether an id is a decommissioned collector's, for refusals made before any use case
 */
public record CollectorUseCases(ProvisionCollectorUseCase provision, RegisterCollectorUseCase register,
                                IssueEnrolmentTokenUseCase enrolment, RevokeCollectorUseCase revoke,
                                DecommissionedQuery decommissioned) {

    /** Requires every use case. */
    public CollectorUseCases {
        Objects.requireNonNull(provision, "provision");
        Objects.requireNonNull(register, "register");
        Objects.requireNonNull(enrolment, "enrolment");
        Objects.requireNonNull(revoke, "revoke");
        Objects.requireNonNull(decommissioned, "decommissioned");
    }
}
