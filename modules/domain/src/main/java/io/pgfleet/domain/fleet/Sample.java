package io.pgfleet.domain.fleet;

import io.pgfleet.domain.common.ShownText;

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

    /**
     * What the label key of a new sample may be: a label name of Prometheus's data model, 1-64
     * letters, digits and '_', not starting with a digit (nor with {@code __}, see
     * {@link #newLabelRefusal}). Every key the agent sends ({@code datname}, {@code state},
     * {@code mode}, {@code path}, {@code queryid}, {@code query}) is one.
     */
    public static final Pattern LABEL_KEY = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]{0,63}");

    /** The rule for a new label key, as a refusal states it. */
    public static final String LABEL_KEY_RULE = "a label key is 1-64 letters, digits or '_', not starting with a digit"
            + " nor with '__' (Prometheus's label names; '__' is reserved)";

    /** The rule for a new label value, as a refusal states it. */
    public static final String LABEL_VALUE_RULE = "a label value holds no control characters (line feeds and tabs"
            + " included), bidirectional formatting characters or line or paragraph separators";

    /**
     * Why a label of a sample cannot be stored anew.
     *
     * @param key  the label's key, as sent
     * @param rule the rule it breaks, and where for a value
     */
    public record LabelRefusal(String key, String rule) {

        /** Requires both. */
        public LabelRefusal {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(rule, "rule");
        }
    }

    /**
     * Whether a text is a metric name a sample may have: letters, digits, '_' or ':', not starting
     * with a digit, at most 128 characters.
     *
     * @param name the candidate
     * @return true when a sample may be named so
     */
    public static boolean isName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** Requires a metric-style name, finite value and short labels. */
    public Sample {
        if (!isName(name)) {
            throw new IllegalArgumentException("a metric name is letters, digits, '_' or ':' (at most 128), got '"
                    + ShownText.quoted(name) + "'");
        }
        Objects.requireNonNull(ts, "ts");
        // Storage keeps microseconds: a sample is what will be stored, so that two samples told apart
        // here (a batch naming one point twice, say) are not one point once stored.
        ts = ts.truncatedTo(java.time.temporal.ChronoUnit.MICROS);
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

    /**
     * The first label, by key, that a sample pushed now may not carry: a key not {@link #LABEL_KEY}
     * or starting with {@code __}, or a value holding a character that one line of text must not
     * hold ({@link ShownText#breaksALine}, the rule for collectors' labels). A key of anything would
     * not be a label Prometheus-style tools can name, and those characters would be acted on by the
     * terminals, logs and charts that show the label. The constructor does not hold samples to this:
     * samples stored before the rule must still be read back.
     *
     * @return the refusal, or empty when every label may be stored
     */
    public java.util.Optional<LabelRefusal> newLabelRefusal() {
        for (Map.Entry<String, String> label : new TreeMap<>(labels).entrySet()) {
            String key = label.getKey();
            if (!LABEL_KEY.matcher(key).matches() || key.startsWith("__")) {
                return java.util.Optional.of(new LabelRefusal(key, LABEL_KEY_RULE));
            }
            java.util.Optional<String> refused = ShownText.firstBreakingALine(label.getValue());
            if (refused.isPresent()) {
                return java.util.Optional.of(new LabelRefusal(key, LABEL_VALUE_RULE + " (" + refused.get() + ")"));
            }
        }
        return java.util.Optional.empty();
    }
}
