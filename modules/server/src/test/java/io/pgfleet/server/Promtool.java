package io.pgfleet.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Prometheus' own checker, {@code promtool} (Debian/Ubuntu package {@code prometheus}). {@code .ci/run}
 * installs it and sets {@code PGFLEET_REQUIRE_PROMTOOL=1}, so in CI a missing promtool fails the
 * suite instead of passing it unchecked.
 */
final class Promtool {

    /** The result of one run. */
    record Run(int exit, String output) {
    }

    private Promtool() {
    }

    static Optional<Path> find() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, "promtool");
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        if ("1".equals(System.getenv("PGFLEET_REQUIRE_PROMTOOL"))) {
            fail("promtool is required (PGFLEET_REQUIRE_PROMTOOL=1) but not on the PATH; install the 'prometheus' package");
        }
        System.err.println("promtool not found: the Prometheus checks run only where it is installed (.ci/run installs it)");
        return Optional.empty();
    }

    static Run run(Path promtool, Optional<String> stdin, String... args) {
        List<String> command = new ArrayList<>();
        command.add(promtool.toString());
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (stdin.isPresent()) {
                p.getOutputStream().write(stdin.get().getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("promtool did not finish");
            }
            return new Run(p.exitValue(), out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
