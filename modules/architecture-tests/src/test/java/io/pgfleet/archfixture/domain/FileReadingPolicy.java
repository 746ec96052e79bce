package io.pgfleet.archfixture.domain;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Violates: the domain is pure (reads files, which {@code java..} used to allow). */
public final class FileReadingPolicy {

    private FileReadingPolicy() {
    }

    /**
     * @param path a file
     * @return its text
     * @throws IOException always possible
     */
    public static String read(Path path) throws IOException {
        return Files.readString(path);
    }
}
