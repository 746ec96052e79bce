package io.pgfleet.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Long-poll watchers as plain HTTP/1.1 keep-alive connections served by one selector thread: the
 * cheapest client there is (no per-connection thread, no header objects, nothing decoded but the
 * status line, {@code X-Config-Version} and {@code Content-Length}), so that what a measurement
 * shows is the server's cost and not the client's. Each watcher records when its last complete
 * answer arrived.
 */
final class NioWatchers implements AutoCloseable {

    private final Selector selector;
    private final Conn[] conns;
    private final Thread loop;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;
    /** Time the selector thread spent handling ready connections (reads, parsing, re-sends); written by it only. */
    private volatile long busyNanos;
    /** Told of every {@code 200} answer when following. */
    interface OnAnswer {
        void answered(int index, int version, long at);
    }

    private volatile OnAnswer following;

    /**
     * From now on every {@code 200} answer is reported and its watcher at once watches for the next
     * version, as an agent does.
     */
    void follow(OnAnswer onAnswer) {
        this.following = onAnswer;
    }

    /** The first failure seen, for the report. */
    static volatile String firstFailure = "";

    /**
     * Opens one connection per watcher.
     *
     * @param port     the server's port on 127.0.0.1
     * @param watchers how many
     * @param path     the request target of watcher i, without the {@code after} value
     * @param headers  extra request header lines (each ending in CRLF), e.g. the bearer token
     */
    NioWatchers(int port, int watchers, IntFunction<String> path, String headers) throws IOException {
        this.selector = Selector.open();
        this.conns = new Conn[watchers];
        for (int i = 0; i < watchers; i++) {
            SocketChannel ch = SocketChannel.open();
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.connect(new InetSocketAddress("127.0.0.1", port));
            ch.configureBlocking(false);
            conns[i] = new Conn(this, i, ch, path.apply(i), headers);
            ch.register(selector, SelectionKey.OP_READ, conns[i]);
        }
        this.loop = Thread.ofPlatform().daemon().name("nio-watchers").start(this::run);
    }

    /** Sends every watcher's long poll for versions newer than {@code after.apply(i)}. */
    void arm(IntFunction<Integer> after) {
        List<Conn> all = List.of(conns);
        tasks.add(() -> {
            for (Conn c : all) {
                c.send(after.apply(c.index));
            }
        });
        selector.wakeup();
    }

    /**
     * Waits until every watcher has an answer with a version of at least {@code version}.
     *
     * @return the arrival times ({@link System#nanoTime()}) of those answers, or fewer when the
     *         timeout passed first
     */
    long[] await(IntFunction<Integer> version, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (Conn c : conns) {
                if (c.lastVersion < version.apply(c.index)) {
                    all = false;
                    break;
                }
            }
            if (all) {
                break;
            }
            Thread.sleep(5);
        }
        List<Long> arrived = new ArrayList<>();
        for (Conn c : conns) {
            if (c.lastVersion >= version.apply(c.index)) {
                arrived.add(c.answeredAt);
            }
        }
        return arrived.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * How long the one selector thread has been busy so far (from a {@code select} that found ready
     * connections to the end of their handling): the most the client can have delayed an answer's
     * arrival time, since an answer waits in the kernel only while the thread handles others.
     */
    long busyNanos() {
        return busyNanos;
    }

    /** The CPU time of the selector thread so far, in nanoseconds (-1 where the JVM does not measure it). */
    long cpuNanos() {
        return java.lang.management.ManagementFactory.getThreadMXBean().getThreadCpuTime(loop.threadId());
    }

    /** Answers other than 200 and 304 so far (each was asked again). */
    int refusals() {
        int n = 0;
        for (Conn c : conns) {
            n += c.refusals;
        }
        return n;
    }

    /** Watchers whose connection failed. */
    int failed() {
        int n = 0;
        for (Conn c : conns) {
            n += c.failed ? 1 : 0;
        }
        return n;
    }

    private void run() {
        ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
        while (running) {
            try {
                int ready = selector.select(100);
                long busyFrom = System.nanoTime();
                Runnable t;
                while ((t = tasks.poll()) != null) {
                    t.run();
                }
                var it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    Conn c = (Conn) k.attachment();
                    try {
                        buf.clear();
                        int n = c.ch.read(buf);
                        if (n < 0) {
                            if (firstFailure.isEmpty()) {
                                firstFailure = "closed by the server";
                            }
                            c.failed = true;
                            k.cancel();
                            continue;
                        }
                        buf.flip();
                        c.take(buf, System.nanoTime());
                    } catch (IOException e) {
                        if (firstFailure.isEmpty()) {
                            firstFailure = e.toString();
                        }
                        c.failed = true;
                        k.cancel();
                    }
                }
                if (ready > 0) {
                    busyNanos += System.nanoTime() - busyFrom;
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        running = false;
        selector.wakeup();
        try {
            loop.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Conn c : conns) {
            c.ch.close();
        }
        selector.close();
    }

    /** One keep-alive connection and the answer being read on it. */
    private static final class Conn {
        final NioWatchers owner;
        final int index;
        final SocketChannel ch;
        final String path;
        final String headers;
        /** The head of the answer being read, until its blank line, and its length so far. */
        byte[] head = new byte[1024];
        int headLength;
        long bodyLeft = -1;
        int status;
        int version;
        int after;
        volatile int lastVersion;
        volatile long answeredAt;
        volatile boolean failed;
        volatile int refusals;

        Conn(NioWatchers owner, int index, SocketChannel ch, String path, String headers) {
            this.owner = owner;
            this.index = index;
            this.ch = ch;
            this.path = path;
            this.headers = headers;
        }

        void send(int after) {
            this.after = after;
            byte[] req = ("GET " + path + after + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            ByteBuffer b = ByteBuffer.wrap(req);
            try {
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            } catch (IOException e) {
                failed = true;
            }
        }

        void take(ByteBuffer b, long now) {
            while (b.hasRemaining()) {
                if (bodyLeft < 0) {
                    // The head, byte by byte into a reused array, until its blank line: no strings made.
                    byte x = b.get();
                    if (headLength == head.length) {
                        head = java.util.Arrays.copyOf(head, head.length * 2);
                    }
                    head[headLength++] = x;
                    if (x == '\n' && headLength >= 4 && head[headLength - 2] == '\r' && head[headLength - 3] == '\n'
                            && head[headLength - 4] == '\r') {
                        parseHead();
                        headLength = 0;
                        if (bodyLeft == 0) {
                            answered(now);
                        }
                    }
                } else {
                    int n = (int) Math.min(bodyLeft, b.remaining());
                    b.position(b.position() + n);
                    bodyLeft -= n;
                    if (bodyLeft == 0) {
                        answered(now);
                    }
                }
            }
        }

        private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] CONFIG_VERSION = "x-config-version:".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] TRANSFER_ENCODING = "transfer-encoding:".getBytes(StandardCharsets.US_ASCII);

        /** Reads the status code and the two headers that matter from the head's bytes. */
        private void parseHead() {
            // "HTTP/1.1 200 OK": the code is the three digits after the first space.
            int sp = 0;
            while (head[sp] != ' ') {
                sp++;
            }
            status = (head[sp + 1] - '0') * 100 + (head[sp + 2] - '0') * 10 + (head[sp + 3] - '0');
            version = 0;
            bodyLeft = 0;
            int line = sp;
            while (head[line] != '\n') {
                line++;
            }
            line++;
            while (line < headLength - 2) {
                int eol = line;
                while (head[eol] != '\r') {
                    eol++;
                }
                if (startsWith(line, eol, CONTENT_LENGTH)) {
                    bodyLeft = number(line + CONTENT_LENGTH.length, eol);
                } else if (startsWith(line, eol, CONFIG_VERSION)) {
                    version = (int) number(line + CONFIG_VERSION.length, eol);
                } else if (startsWith(line, eol, TRANSFER_ENCODING)) {
                    throw new IllegalStateException("chunked answers are not expected from a configuration read");
                }
                line = eol + 2;
            }
        }

        /** Whether the header line [from, to) starts with {@code name} (lower case, with its colon), in any case. */
        private boolean startsWith(int from, int to, byte[] name) {
            if (to - from < name.length) {
                return false;
            }
            for (int i = 0; i < name.length; i++) {
                byte c = head[from + i];
                if (c >= 'A' && c <= 'Z') {
                    c += 'a' - 'A';
                }
                if (c != name[i]) {
                    return false;
                }
            }
            return true;
        }

        /** The decimal number in [from, to), spaces around it skipped. */
        private long number(int from, int to) {
            long n = 0;
            for (int i = from; i < to; i++) {
                byte c = head[i];
                if (c >= '0' && c <= '9') {
                    n = n * 10 + (c - '0');
                } else if (c != ' ' && c != '\t') {
                    throw new IllegalStateException("not a number in a header: " + new String(head, from, to - from,
                            StandardCharsets.US_ASCII));
                }
            }
            return n;
        }

        private void answered(long now) {
            bodyLeft = -1;
            if (status == 200) {
                answeredAt = now;
                lastVersion = version;
                OnAnswer f = owner.following;
                if (f != null) {
                    f.answered(index, version, now);
                    send(version);
                }
            } else if (status == 304) {
                // The hold ended without a change: watch again, as an agent does.
                send(after);
            } else {
                // Refused (e.g. 503 when the server could not get a database connection in time):
                // ask again, as an agent does, and count it.
                refusals++;
                if (firstFailure.isEmpty()) {
                    firstFailure = "status " + status;
                }
                send(after);
            }
        }
    }
}
