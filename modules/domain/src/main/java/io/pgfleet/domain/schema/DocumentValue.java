package io.pgfleet.domain.schema;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A parsed configuration document as a tree of typed values with their positions, independent of
 * the parser that produced it.
 */
public sealed interface DocumentValue {

    /**
     * Where the value's key is in the document.
     *
     * @return the position
     */
    SourcePosition position();

    /**
     * The value's type in words, for error messages.
     *
     * @return e.g. "a string"
     */
    String typeName();

    /**
     * A table of keys.
     *
     * @param entries  the keys in document order
     * @param position where the table starts
     */
    record Table(Map<String, DocumentValue> entries, SourcePosition position) implements DocumentValue {
        /** Copies the entries, keeping their order. */
        public Table {
            entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
            Objects.requireNonNull(position, "position");
        }

        @Override
        public String typeName() {
            return "a table";
        }
    }

    /**
     * An array.
     *
     * @param items    its elements
     * @param position where it is
     */
    record Array(List<DocumentValue> items, SourcePosition position) implements DocumentValue {
        /** Copies the items. */
        public Array {
            items = List.copyOf(items);
            Objects.requireNonNull(position, "position");
        }

        @Override
        public String typeName() {
            return "an array";
        }
    }

    /**
     * A string.
     *
     * @param value    the text
     * @param position where it is
     */
    record Text(String value, SourcePosition position) implements DocumentValue {
        /** Requires both. */
        public Text {
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(position, "position");
        }

        @Override
        public String typeName() {
            return "a string";
        }
    }

    /**
     * An integer.
     *
     * @param value    the number
     * @param position where it is
     */
    record Whole(long value, SourcePosition position) implements DocumentValue {
        /** Requires the position. */
        public Whole {
            Objects.requireNonNull(position, "position");
        }

        @Override
        public String typeName() {
            return "an integer";
        }
    }

    /**
     * A boolean.
     *
     * @param value    true or false
     * @param position where it is
     */
    record Bool(boolean value, SourcePosition position) implements DocumentValue {
        /** Requires the position. */
        public Bool {
            Objects.requireNonNull(position, "position");
        }

        @Override
        public String typeName() {
            return "a boolean";
        }
    }

    /**
     * Anything the schema never accepts (floats, dates, times).
     *
     * @param typeName the type in words
     * @param position where it is
     */
    record Other(String typeName, SourcePosition position) implements DocumentValue {
        /** Requires both. */
        public Other {
            Objects.requireNonNull(typeName, "typeName");
            Objects.requireNonNull(position, "position");
        }
    }
}
