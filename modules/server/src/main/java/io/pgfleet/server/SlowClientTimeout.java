package io.pgfleet.server;

import io.helidon.common.socket.SocketOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Helidon's socket options for accepted connections, plus a read timeout on each socket.
 *
 * <p>Helidon 4.1's idle check closes a connection only while it waits for a request line: a
 * client that sends a request line and then nothing, or its headers a byte at a time, would hold
 * its connection (and a slot of {@code max_connections}) for ever. Helidon does not apply its own
 * {@code read-timeout} to server sockets, so this sets {@code SO_TIMEOUT} itself: a read that
 * waits longer than the idle timeout ends the connection.
 */
final class SlowClientTimeout implements SocketOptions {

    private final SocketOptions delegate = SocketOptions.create();
    private final Duration timeout;

    SlowClientTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public void configureSocket(Socket socket) {
        delegate.configureSocket(socket);
        try {
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Map<SocketOption<?>, Object> socketOptions() {
        return delegate.socketOptions();
    }

    @Override
    public Duration connectTimeout() {
        return delegate.connectTimeout();
    }

    @Override
    public Duration readTimeout() {
        return timeout;
    }

    @Override
    public Optional<Integer> socketReceiveBufferSize() {
        return delegate.socketReceiveBufferSize();
    }

    @Override
    public Optional<Integer> socketSendBufferSize() {
        return delegate.socketSendBufferSize();
    }

    @Override
    public boolean socketReuseAddress() {
        return delegate.socketReuseAddress();
    }

    @Override
    public boolean socketKeepAlive() {
        return delegate.socketKeepAlive();
    }

    @Override
    public boolean tcpNoDelay() {
        return delegate.tcpNoDelay();
    }
}
