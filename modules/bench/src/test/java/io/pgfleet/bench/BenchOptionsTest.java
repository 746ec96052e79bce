package io.pgfleet.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How a benchmark's options are read: JVM options given to a server reach it as written. */
class BenchOptionsTest {

    /** A benchmark's JVM option, as ReadBenchmark, WatchBenchmark and LayersBenchmark declare it. */
    static final class Options {
        List<String> serverOpts = List.of();

        @Option(names = "--server-opts")
        void serverOpts(String jvmOptions) {
            serverOpts = BenchOptions.words(jvmOptions);
        }
    }

    @Test
    void aJvmArgumentFileIsHandedToTheServerNotReadAsBenchmarkOptions(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server.jvm.options");
        Files.writeString(file, "-Xmx512m\n-XX:+UseZGC\n");
        Options options = BenchOptions.parse(new Options(), "--server-opts", "@" + file);
        assertEquals(List.of("@" + file), options.serverOpts);
    }
}
