package io.pgfleet.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The drain of a server's output: it reads blocks, and still echoes every whole line that carries the
 * layer-change account or the end of the warm-up, in order, also when a read ends in the middle of
 * such a line, and nothing else.
 */
class ProcTest {

    @Test
    void echoesTheLayerChangeAndWarmUpLinesWholeWhereverTheReadsEnd() {
        String output = """
                10:00:00.001 INFO io.pgfleet.http.requests GET /api/v1/config/c-1 200 2 ms
                10:00:00.002 INFO io.pgfleet.server layer change: group/prod 1000 members read in 22 ms
                10:00:00.003 INFO io.pgfleet.http.requests GET /api/v1/config/c-2 200 1 ms
                10:00:00.0035 INFO io.pgfleet.server.warmup: warm-up: 40 round(s), ended early
                10:00:00.004 INFO io.pgfleet.server layer change: fleet 10000 members read in 301 ms
                10:00:00.005 INFO io.pgfleet.server unfinished line layer change: without its end""";
        for (int chunk : new int[] {1, 7, 64, 1 << 16}) {
            ByteArrayOutputStream echoed = new ByteArrayOutputStream();
            Proc.drain(new ChunkedReader(output, chunk), new PrintStream(echoed, true, StandardCharsets.UTF_8));
            assertEquals("""
                    10:00:00.002 INFO io.pgfleet.server layer change: group/prod 1000 members read in 22 ms
                    10:00:00.0035 INFO io.pgfleet.server.warmup: warm-up: 40 round(s), ended early
                    10:00:00.004 INFO io.pgfleet.server layer change: fleet 10000 members read in 301 ms
                    """, echoed.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n"),
                    "reads of " + chunk + " characters");
        }
    }

    /** A reader that hands out at most {@code chunk} characters a read, as a pipe may. */
    private static final class ChunkedReader extends Reader {
        private final String text;
        private final int chunk;
        private int at;

        ChunkedReader(String text, int chunk) {
            this.text = text;
            this.chunk = chunk;
        }

        @Override
        public int read(char[] buffer, int offset, int length) {
            if (at == text.length()) {
                return -1;
            }
            int n = Math.min(Math.min(length, chunk), text.length() - at);
            text.getChars(at, at + n, buffer, offset);
            at += n;
            return n;
        }

        @Override
        public void close() {
        }
    }
}
