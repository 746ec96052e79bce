package io.pgfleet.domain.fleet;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of a collector's stored samples, in the order of {@link SamplePosition}.
 *
 * @param samples the samples
 * @param last    where the page's last sample stands, to read on after it; empty when the page holds none
 * @param more    whether samples followed the page's last one when it was read
 */
public record SamplePage(List<Sample> samples, Optional<SamplePosition> last, boolean more) {

    /** Requires a position exactly when there is a sample, and none to follow an empty page. */
    public SamplePage {
        samples = List.copyOf(samples);
        Objects.requireNonNull(last, "last");
        if (samples.isEmpty() != last.isEmpty()) {
            throw new IllegalArgumentException("a page names the position of its last sample, and only then");
        }
        if (samples.isEmpty() && more) {
            throw new IllegalArgumentException("an empty page is the end of its read");
        }
    }
}
