package io.pgfleet.domain.rollout;

import io.pgfleet.domain.fleet.ApplyStatus;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What the server knows of one wave member when the rollout is judged.
 */
public sealed interface MemberObservation {

    /** The collector was decommissioned since the rollout started: not waited for. */
    record Gone() implements MemberObservation {
    }

    /**
     * An active member.
     *
     * @param expectedRevision its current effective revision (the one containing the staged version)
     * @param expectedSha256   the {@code effective_sha256} of that revision
     * @param last             its agent's latest apply report, if any
     */
    record Present(int expectedRevision, String expectedSha256, Optional<LastReport> last) implements MemberObservation {
        /** Requires every part. */
        public Present {
            Objects.requireNonNull(expectedSha256, "expectedSha256");
            Objects.requireNonNull(last, "last");
        }

        /**
         * The latest report when it is about the expected revision: APPLIED with the expected
         * {@code effective_sha256}, or FAILED for that revision (a failed agent keeps running, and
         * reporting the hash of, what it ran before).
         *
         * @return the matching report
         */
        public Optional<LastReport> matching() {
            return last.filter(r -> r.version() == expectedRevision && (r.status() == ApplyStatus.FAILED
                    || r.effectiveSha256().equals(expectedSha256)));
        }
    }

    /**
     * An agent's latest apply report.
     *
     * @param version         the effective revision it tried
     * @param status          applied or failed
     * @param error           why it failed, empty when applied
     * @param effectiveSha256 the hash of what it runs now
     * @param at              when the server received it
     */
    record LastReport(int version, ApplyStatus status, String error, String effectiveSha256, Instant at) {
        /** Requires every part. */
        public LastReport {
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(error, "error");
            Objects.requireNonNull(effectiveSha256, "effectiveSha256");
            Objects.requireNonNull(at, "at");
        }
    }
}
