package io.pgfleet.domain.rollout;

import io.pgfleet.domain.fleet.ApplyStatus;

import java.time.Instant;
import java.util.List;
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
     * @param expectedRevision its current effective revision
     * @param expectedSha256   the {@code effective_sha256} of that revision
     * @param sources          the layer versions that revision merges ({@code fleet@3},
     *                         {@code group/prod@7}, {@code collector@2}); it runs a staged version
     *                         only when they name it
     * @param last             its agent's latest apply report, if any
     * @param revisionSince    when that revision's number (and so its document and hash) appeared:
     *                         a wave that changes a member's effective document gives it a new
     *                         revision as the wave begins; a revision older than the wave is one the
     *                         staged version left as it was (only its sources name it now)
     */
    record Present(int expectedRevision, String expectedSha256, List<String> sources, Optional<LastReport> last,
                   Instant revisionSince)
            implements MemberObservation {
        /** Requires every part. */
        public Present {
            Objects.requireNonNull(expectedSha256, "expectedSha256");
            Objects.requireNonNull(revisionSince, "revisionSince");
            sources = List.copyOf(sources);
            Objects.requireNonNull(last, "last");
        }

        /**
         * Whether its current effective revision contains a layer version. A member that left the
         * layer during its wave (its labels changed) has a revision without it, and whatever its
         * agent reports for that revision says nothing of the staged version.
         *
         * @param layerVersion e.g. {@code group/prod@7}
         * @return whether the sources name it
         */
        public boolean contains(String layerVersion) {
            return sources.contains(layerVersion);
        }

        /**
         * The latest report when it is about the expected revision: APPLIED with the expected
         * {@code effective_sha256}, or FAILED for that revision (a failed agent keeps running, and
         * reporting the hash of, what it ran before). Whether that revision contains the staged
         * version is {@link #contains}'s question.
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
