package io.pgfleet.application.port.in;

import java.util.Optional;

/**
 * What a server needs before it can authenticate anyone: a signing key, a first administrator and
 * a registration secret. Safe to run on every start of every instance.
 */
public interface BootstrapSecurityUseCase {

    /** The first administrator's name. */
    String ADMIN = "admin";

    /**
     * Secrets generated during this start, to be shown once.
     *
     * @param adminPassword      the generated password of the first administrator
     * @param registrationSecret the generated registration secret
     * @param adminPasswordIgnored whether an administrator password was given but not used, because
     *                             users existed already (it is used on the first start only)
     */
    record Generated(Optional<String> adminPassword, Optional<String> registrationSecret, boolean adminPasswordIgnored) {
        /** Requires both parts. */
        public Generated {
            java.util.Objects.requireNonNull(adminPassword, "adminPassword");
            java.util.Objects.requireNonNull(registrationSecret, "registrationSecret");
        }

        /**
         * What was generated, no given password having been ignored.
         *
         * @param adminPassword      the generated password of the first administrator
         * @param registrationSecret the generated registration secret
         */
        public Generated(Optional<String> adminPassword, Optional<String> registrationSecret) {
            this(adminPassword, registrationSecret, false);
        }

        /** Never shows the secrets themselves, so a logged report leaks nothing. */
        @Override
        public String toString() {
            return "Generated[adminPassword=" + adminPassword.map(p -> "***").orElse("none")
                    + ", registrationSecret=" + registrationSecret.map(p -> "***").orElse("none")
                    + ", adminPasswordIgnored=" + adminPasswordIgnored + "]";
        }
    }

    /**
     * Ensures the signing key, the first administrator and the registration secret.
     *
     * @param adminPassword      the first administrator's password, used only when no user exists yet;
     *                           generated when empty
     * @param registrationSecret the registration secret; generated when empty and none is set yet
     * @return what was generated now
     */
    Generated bootstrap(Optional<String> adminPassword, Optional<String> registrationSecret);
}
