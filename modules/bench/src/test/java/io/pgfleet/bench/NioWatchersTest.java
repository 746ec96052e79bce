package io.pgfleet.bench;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The benchmark's watchers read answers as an HTTP client would: the status, {@code X-Config-Version}
 * and {@code Content-Length} in any letter case, a body skipped whole even when it arrives in pieces,
 * and a {@code 304} asked again with the same version.
 */
class NioWatchersTest {

    @Test
    void answersAreReadWhateverTheirHeadersCaseAndHowTheyAreSplit() throws Exception {
        List<String> requests = new CopyOnWriteArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread serving = Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = server.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                    OutputStream out = s.getOutputStream();
                    // First watch: the hold ends without a change.
                    requests.add(readRequest(in));
                    out.write(("HTTP/1.1 304 Not Modified\r\nx-config-version: 3\r\ncontent-length: 0\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    // Asked again: version 4, its head and body in pieces.
                    requests.add(readRequest(in));
                    String body = "x".repeat(3000);
                    byte[] answer = ("HTTP/1.1 200 OK\r\nContent-Type: application/toml\r\nX-Config-Version:  4\r\n"
                            + "CONTENT-LENGTH: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
                    for (int i = 0; i < answer.length; i += 700) {
                        out.write(answer, i, Math.min(700, answer.length - i));
                        out.flush();
                        Thread.sleep(2);
                    }
                    requests.add(readRequest(in));
                } catch (Exception e) {
                    requests.add("failed: " + e);
                }
            });
            try (NioWatchers watchers = new NioWatchers(server.getLocalPort(), 1, i -> "/api/v1/config/db?wait=60&after=",
                    "Authorization: Bearer t\r\n")) {
                watchers.arm(i -> 3);
                long[] arrived = watchers.await(i -> 4, 30_000);
                assertEquals(1, arrived.length);
                assertEquals(0, watchers.refusals());
                assertEquals(0, watchers.failed());
                // The next round's watch goes out on the same connection, after the whole body.
                watchers.arm(i -> 4);
                serving.join(30_000);
            }
        }
        assertEquals(List.of("GET /api/v1/config/db?wait=60&after=3", "GET /api/v1/config/db?wait=60&after=3",
                "GET /api/v1/config/db?wait=60&after=4"), requests);
    }

    /** The request line of the next request, its headers read past. */
    private static String readRequest(BufferedReader in) throws Exception {
        String first = in.readLine();
        String line;
        while ((line = in.readLine()) != null && !line.isEmpty()) {
            // headers
        }
        return first.substring(0, first.lastIndexOf(' '));
    }
}
