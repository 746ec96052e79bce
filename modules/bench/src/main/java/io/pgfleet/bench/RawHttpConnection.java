package io.pgfleet.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One keep-alive HTTP/1.1 connection on a blocking socket, for the benchmarks' load generators: the
 * same request a client sends (request line, {@code Host}, {@code Authorization}, {@code Content-Type},
 * {@code Content-Length}, the body) and the whole answer read (status line, headers, the body by
 * {@code Content-Length} or chunks), without the JDK client's per-request machinery (its selector
 * thread, futures, header maps and body publishers/subscribers), which cost more CPU per publish than
 * the server itself on a 2-core machine (docs/benchmarks.md). Reconnects when the server closes.
 */
final class RawHttpConnection implements AutoCloseable {

    private final int port;
    private final String fixedHeaders;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    /**
     * @param port         the server's port on 127.0.0.1
     * @param extraHeaders header lines sent with every request, each ending in CRLF (e.g. Authorization)
     */
    RawHttpConnection(int port, String extraHeaders) {
        this.port = port;
        this.fixedHeaders = "Host: 127.0.0.1:" + port + "\r\n" + extraHeaders;
    }

    /**
     * Sends a request and reads its whole answer.
     *
     * @return the status code
     * @throws IOException when the server cannot be reached or answers something that is not HTTP/1.1
     */
    int send(String method, String path, String contentType, String body) throws IOException {
        byte[] content = body.getBytes(StandardCharsets.UTF_8);
        byte[] head = (method + " " + path + " HTTP/1.1\r\n" + fixedHeaders + "Content-Type: " + contentType
                + "\r\nContent-Length: " + content.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        boolean fresh = socket == null;
        if (fresh) {
            connect();
        }
        try {
            return exchange(head, content);
        } catch (IOException e) {
            close();
            if (fresh) {
                throw e;
            }
            // The server closed an idle keep-alive connection: once more on a new one.
            connect();
            return exchange(head, content);
        }
    }

    private int exchange(byte[] head, byte[] content) throws IOException {
        byte[] request = new byte[head.length + content.length];
        System.arraycopy(head, 0, request, 0, head.length);
        System.arraycopy(content, 0, request, head.length, content.length);
        out.write(request);
        out.flush();
        String status = line();
        if (!status.startsWith("HTTP/1.1 ") || status.length() < 12) {
            throw new IOException("not an HTTP/1.1 answer: " + status);
        }
        int code = Integer.parseInt(status.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        boolean closing = false;
        for (String h = line(); !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> closing = value.equalsIgnoreCase("close");
                default -> {
                }
            }
        }
        if (chunked) {
            for (long size = Long.parseLong(line().split(";")[0].trim(), 16); size > 0;
                 size = Long.parseLong(line().split(";")[0].trim(), 16)) {
                skip(size);
                line();
            }
            for (String t = line(); !t.isEmpty(); t = line()) {
                // trailers
            }
        } else if (length > 0) {
            skip(length);
        }
        if (closing) {
            close();
        }
        return code;
    }

    private void connect() throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(60_000);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        out = socket.getOutputStream();
    }

    private final ByteArrayOutputStream lineBuffer = new ByteArrayOutputStream(256);

    private String line() throws IOException {
        lineBuffer.reset();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("the server closed the connection");
            }
            if (c != '\r') {
                lineBuffer.write(c);
            }
        }
        return lineBuffer.toString(StandardCharsets.ISO_8859_1);
    }

    private void skip(long n) throws IOException {
        while (n > 0) {
            long skipped = in.skip(n);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new EOFException("the server closed the connection mid-answer");
                }
                skipped = 1;
            }
            n -= skipped;
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        socket = null;
    }
}
