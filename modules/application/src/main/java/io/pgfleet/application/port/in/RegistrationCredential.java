package io.pgfleet.application.port.in;

/**
 * What an agent proves when it registers.
 */
public sealed interface RegistrationCredential {

    /**
     * The fleet-wide registration secret: registers a new collector.
     *
     * @param secret the secret
     */
    record Secret(String secret) implements RegistrationCredential {
        @Override
        public String toString() {
            return "Secret[***]";
        }
    }

    /**
     * A one-time enrolment token: claims the pre-provisioned collector it was issued for.
     *
     * @param token the token
     */
    record EnrolmentToken(String token) implements RegistrationCredential {
        @Override
        public String toString() {
            return "EnrolmentToken[***]";
        }
    }
}
