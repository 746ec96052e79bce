package io.pgfleet.application.port.in;

import java.util.Objects;

/**
 * The collector use cases: provisioning, agents registering, enrolment tokens, revocation.
 *
 * @param provision pre-provisioning collectors
 * @param register agents registering
 * @param enrolment issuing one-time enrolment tokens
 * @param revoke revoking collectors
 */
public record CollectorUseCases(ProvisionCollectorUseCase provision, RegisterCollectorUseCase register,
                                IssueEnrolmentTokenUseCase enrolment, RevokeCollectorUseCase revoke) {

    /** Requires every use case. */
    public CollectorUseCases {
        Objects.requireNonNull(provision, "provision");
        Objects.requireNonNull(register, "register");
        Objects.requireNonNull(enrolment, "enrolment");
        Objects.requireNonNull(revoke, "revoke");
    }
}
