package io.pgfleet.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An answer within the CLI's size bound ({@link ServerApi#MAX_ANSWER_BYTES}) may still not fit in
 * the launcher's heap once read as JSON: a value takes tens of times its bytes as a tree. The CLI
 * process of the launcher (64 MiB) says so and exits 6, as for an answer over the bound, rather than
 * dying of an {@code OutOfMemoryError} with a stack trace.
 */
class CliAnswerMemoryIT {

    @TempDir
    Path tmp;

    @Test
    void anAnswerWithinTheBoundTooLargeForTheHeapAsJsonIsRefusedLikeOneOverIt() throws IOException {
        // 15 MiB of empty objects: under the 16 MiB bound, hundreds of MiB as a tree.
        int objects = 15 * 1024 * 1024 / 3;
        byte[] body = new byte[objects * 3 + 1];
        Arrays.fill(body, (byte) ',');
        body[0] = '[';
        for (int i = 0; i < objects; i++) {
            body[1 + i * 3] = '{';
            body[2 + i * 3] = '}';
        }
        body[body.length - 1] = ']';
        assertTrue(body.length < ServerApi.MAX_ANSWER_BYTES);
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/api/v1/auth/login", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(body);
            } catch (IOException hungUp) {
                // the CLI gave up reading
            }
        });
        stub.start();
        try {
            CliProcess cli = new CliProcess(tmp.resolve("home"), "http://127.0.0.1:" + stub.getAddress().getPort());
            CliProcess.Run run = cli.runWithInput("a-password-long-enough\n", "login", "--username", "admin",
                    "--password-stdin").expect(ExitCodes.UNAVAILABLE);
            assertTrue(run.err().contains("too large to read within the CLI's memory"), run.err());
            assertFalse(Files.exists(cli.configDir().resolve("session.json")), "nothing cached as a session");
        } finally {
            stub.stop(0);
        }
    }
}
