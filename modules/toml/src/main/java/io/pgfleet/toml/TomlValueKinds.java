package io.pgfleet.toml;

import org.tomlj.TomlArray;
import org.tomlj.TomlTable;

/**
 * How a TOML value's type is named to the person who wrote it, in the messages of the server's
 * and the agent's settings files ({@code data_dir takes a string, not an integer}).
 */
public final class TomlValueKinds {

    private TomlValueKinds() {
    }

    /**
     * The kind of a value tomlj read.
     *
     * @param value a value of a TOML table
     * @return e.g. {@code an integer}, {@code a table}
     */
    public static String kind(Object value) {
        return switch (value) {
            case String s -> "a string";
            case Long l -> "an integer";
            case Double d -> "a number with a fraction";
            case Boolean b -> "true or false";
            case TomlTable t -> "a table";
            case TomlArray a -> "an array";
            default -> "a date or time";
        };
    }
}
