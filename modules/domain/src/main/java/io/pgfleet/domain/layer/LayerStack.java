package io.pgfleet.domain.layer;

import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.ConfigSchema;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.DocumentValue;
import io.pgfleet.domain.schema.Validation;
import io.pgfleet.domain.schema.ValidationError;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Merges a collector's layers into its effective configuration: the schema defaults, then the
 * fleet layer, then each matching group by ascending priority (ties by id), then the collector's
 * own layer. Tables merge key by key, a later layer's value replaces an earlier one, arrays are
 * replaced whole.
 *
 * <p>The effective document is the own layer's text, byte for byte, while no other layer sets a
 * value, so that collectors without fleet or group layers see exactly what was published for them.
 * Otherwise it is rendered canonically from the merged values: sections and keys in the schema's
 * order ({@code [collector]}, {@code [postgres]}, then {@code [collectors.<name>]}), one
 * {@code key = value} per line, a blank line between sections, strings in basic quotes; the
 * layers' comments and layout are not kept, and keys no layer sets are left out (they take their
 * defaults).
 */
public final class LayerStack {

    /** The document of a collector whose layers, once set, no longer set any value. */
    static final String NO_VALUES = "# No layer sets a value: every key takes its default.\n";

    private LayerStack() {
    }

    /**
     * The groups that apply to a collector, in apply order.
     *
     * @param groups every group
     * @param labels the collector's labels
     * @return the matching groups by ascending priority, ties by id
     */
    public static List<Group> applicable(Collection<Group> groups, Map<String, String> labels) {
        return groups.stream().filter(g -> g.selector().matches(labels)).sorted(Group.APPLY_ORDER).toList();
    }

    /**
     * Merges layers and validates the result.
     *
     * @param layers        the existing layers in apply order (fleet, groups, own)
     * @param hadDocument   whether the collector already had an effective document (then an
     *                      empty merge is a document of defaults rather than none)
     * @return the composition, or every error of the merged document, each naming its layer
     */
    public static Composition compose(List<LayerContent> layers, boolean hadDocument) {
        return compose(layers, hadDocument, ConfigValidator::validate);
    }

    /**
     * {@link #compose(List, boolean)} with the merged tree validated by {@code validator}, which
     * must answer as {@link ConfigValidator#validate(DocumentValue.Table)} does (a caller that
     * validated the same tree before hands that validation back instead of repeating it).
     *
     * @param layers      the layers, lowest first
     * @param hadDocument whether the collector already had an effective document
     * @param validator   validates the merged tree
     * @return the composition
     */
    public static Composition compose(List<LayerContent> layers, boolean hadDocument,
                                      java.util.function.Function<DocumentValue.Table, Validation> validator) {
        Map<String, String> sourceOf = new HashMap<>();
        DocumentValue.Table merged = new DocumentValue.Table(Map.of(), io.pgfleet.domain.schema.SourcePosition.start());
        for (LayerContent layer : layers) {
            merged = merge(merged, layer.root(), "", layer.source(), sourceOf);
        }
        Validation validation = validator.apply(merged);
        if (validation instanceof Validation.Invalid invalid) {
            String last = layers.isEmpty() ? "defaults" : layers.get(layers.size() - 1).source();
            List<LayerError> errors = new ArrayList<>();
            for (ValidationError e : invalid.errors()) {
                errors.add(new LayerError(sourceOfKey(e.key(), sourceOf).orElse(last), e));
            }
            return new Composition.Invalid(errors);
        }
        List<String> sources = layers.stream().map(LayerContent::source).toList();
        boolean othersContribute = layers.stream()
                .anyMatch(l -> !(l.layer() instanceof LayerId.Own) && l.contributes());
        Optional<LayerContent> own = layers.stream().filter(l -> l.layer() instanceof LayerId.Own).findFirst();
        Optional<ConfigDocument> document;
        if (!othersContribute && own.isPresent()) {
            document = Optional.of(own.get().text());
        } else if (othersContribute) {
            document = Optional.of(new ConfigDocument(render(merged)));
        } else {
            document = hadDocument ? Optional.of(new ConfigDocument(NO_VALUES)) : Optional.empty();
        }
        return new Composition.Composed(document, sources, provenance(merged, sourceOf),
                ((Validation.Valid) validation).effective());
    }

    private static DocumentValue.Table merge(DocumentValue.Table lower, DocumentValue.Table upper, String prefix,
                                             String source, Map<String, String> sourceOf) {
        Map<String, DocumentValue> out = new LinkedHashMap<>(lower.entries());
        upper.entries().forEach((name, value) -> {
            String path = prefix.isEmpty() ? name : prefix + "." + name;
            DocumentValue below = out.get(name);
            if (value instanceof DocumentValue.Table t && below instanceof DocumentValue.Table b) {
                out.put(name, merge(b, t, path, source, sourceOf));
            } else {
                // A later value replaces the earlier one whole: scalars, arrays, and a table over a non-table.
                // Sources are recorded only under names a lower layer set, so with nothing below there is
                // nothing to forget (and the whole map is not scanned for every key of a first layer).
                if (below != null) {
                    String under = path + ".";
                    sourceOf.keySet().removeIf(k -> k.equals(path) || k.startsWith(under));
                }
                out.put(name, value);
                markSources(value, path, source, sourceOf);
            }
        });
        return new DocumentValue.Table(out, upper.position());
    }

    private static void markSources(DocumentValue value, String path, String source, Map<String, String> sourceOf) {
        sourceOf.put(path, source);
        if (value instanceof DocumentValue.Table t) {
            t.entries().forEach((k, v) -> markSources(v, path + "." + k, source, sourceOf));
        }
    }

    private static Optional<String> sourceOfKey(String key, Map<String, String> sourceOf) {
        for (String k = key; !k.isEmpty(); k = k.contains(".") ? k.substring(0, k.lastIndexOf('.')) : "") {
            String s = sourceOf.get(k);
            if (s != null) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    private static Optional<DocumentValue.Table> table(DocumentValue.Table root, String path) {
        DocumentValue.Table t = root;
        for (String part : path.split("\\.")) {
            if (!(t.entries().get(part) instanceof DocumentValue.Table next)) {
                return Optional.empty();
            }
            t = next;
        }
        return Optional.of(t);
    }

    private static Map<String, KeySource> provenance(DocumentValue.Table merged, Map<String, String> sourceOf) {
        Map<String, KeySource> keys = new LinkedHashMap<>();
        for (ConfigSchema.Section section : ConfigSchema.sections()) {
            Optional<DocumentValue.Table> t = table(merged, section.path());
            for (ConfigSchema.Key key : section.keys()) {
                String dotted = section.path() + "." + key.name();
                Optional<DocumentValue> v = t.map(x -> x.entries().get(key.name()));
                keys.put(dotted, v.isPresent()
                        ? new KeySource(key.type().convert(v.get()), sourceOf.getOrDefault(dotted, KeySource.DEFAULT))
                        : new KeySource(key.defaultValue(), KeySource.DEFAULT));
            }
        }
        return keys;
    }

    /**
     * The canonical text of a merged, valid document (see the class description).
     *
     * @param merged the merged document
     * @return the TOML text
     */
    static String render(DocumentValue.Table merged) {
        StringBuilder out = new StringBuilder();
        for (ConfigSchema.Section section : ConfigSchema.sections()) {
            Optional<DocumentValue.Table> t = table(merged, section.path());
            if (t.isEmpty()) {
                continue;
            }
            StringBuilder lines = new StringBuilder();
            for (ConfigSchema.Key key : section.keys()) {
                DocumentValue v = t.get().entries().get(key.name());
                if (v != null) {
                    lines.append(key.name()).append(" = ").append(value(v)).append('\n');
                }
            }
            if (!lines.isEmpty()) {
                if (!out.isEmpty()) {
                    out.append('\n');
                }
                out.append('[').append(section.path()).append("]\n").append(lines);
            }
        }
        return out.isEmpty() ? NO_VALUES : out.toString();
    }

    private static String value(DocumentValue v) {
        return switch (v) {
            case DocumentValue.Text t -> quoted(t.value());
            case DocumentValue.Whole w -> Long.toString(w.value());
            case DocumentValue.Bool b -> Boolean.toString(b.value());
            case DocumentValue.Array a -> "[" + String.join(", ", a.items().stream().map(LayerStack::value).toList()) + "]";
            case DocumentValue.Table t -> throw new IllegalStateException("a valid document has no table as a value");
            case DocumentValue.Other o -> throw new IllegalStateException("a valid document has no " + o.typeName());
        };
    }

    private static String quoted(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append(String.format("\\u%04X", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
