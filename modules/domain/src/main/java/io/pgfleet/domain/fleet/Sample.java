package io.pgfleet.domain.fleet;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One measurement.
 *
 * @param name   metric name, e.g. {@code pg_stat_database_xact_commit}
 * @param labels dimensions, e.g. {@code datname=postgres}
 * @param value  the value, finite
 * @param ts     when it was measured
 */
public record Sample(String name, Map<String, String> labels, double value, Instant ts) {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]{0,127}");
    /** The longest label value, in UTF-16 units ({@link String#length()}). */
    public static final int MAX_LABEL_VALUE = 256;

    /** Requires a metric-style name, finite value and short labels. */
    public Sample {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a metric name is letters, digits, '_' or ':' (at most 128), got '"
                    + io.pgfleet.domain.common.ShownText.quoted(name) + "'");
        }
        Objects.requireNonNull(ts, "ts");
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("sample values are finite numbers");
        }
        Objects.requireNonNull(labels, "labels");
        if (labels.size() > 16) {
            throw new IllegalArgumentException("a sample has at most 16 labels");
        }
        labels.forEach((k, v) -> {
            if (k == null || v == null || k.isEmpty() || k.length() > 64 || v.length() > MAX_LABEL_VALUE) {
                throw new IllegalArgumentException("label keys are 1-64 characters, values at most 256");
            }
        });
        labels = Map.copyOf(new TreeMap<>(labels));
    }
}
