package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Finds the client address of each request and puts it into the request context: the socket's
 * peer, or, only when that peer is a configured trusted proxy, the nearest address in
 * {@code X-Forwarded-For} that is not itself a trusted proxy (walking from the right, as each
 * proxy appends the address it saw). Anyone else's {@code X-Forwarded-For} is ignored, so a client
 * cannot choose the address its failed logins are counted under.
 */
final class TrustedProxies implements Filter {

    /** The client address of a request, as resolved here. */
    record ClientAddress(String value) {
    }

    private static final HeaderName X_FORWARDED_FOR = HeaderNames.create("X-Forwarded-For");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    /** A proxy chain longer than this is not followed further. */
    private static final int MAX_HOPS = 16;

    private record Range(byte[] network, int prefix) {
        boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != network.length) {
                return false;
            }
            int bits = prefix;
            for (int i = 0; i < b.length && bits > 0; i++, bits -= 8) {
                int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
                if ((b[i] & mask) != (network[i] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    private final List<Range> trusted;

    TrustedProxies(List<String> ranges) {
        this.trusted = ranges.stream().map(TrustedProxies::parseRange).toList();
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        req.context().register(new ClientAddress(resolve(req.remotePeer().address(),
                req.headers().contains(X_FORWARDED_FOR) ? req.headers().get(X_FORWARDED_FOR).allValues() : List.of())));
        chain.proceed();
    }

    /** The client address for a socket peer and the X-Forwarded-For values received. */
    String resolve(SocketAddress peer, List<String> forwardedFor) {
        if (!(peer instanceof InetSocketAddress inet) || inet.getAddress() == null) {
            return String.valueOf(peer);
        }
        InetAddress hop = inet.getAddress();
        if (trusted.isEmpty() || !isTrusted(hop)) {
            return hop.getHostAddress();
        }
        List<String> entries = new ArrayList<>();
        for (String value : forwardedFor) {
            for (String part : value.split(",")) {
                if (!part.isBlank()) {
                    entries.add(part.trim());
                }
            }
        }
        for (int i = entries.size() - 1, hops = 0; i >= 0 && hops < MAX_HOPS; i--, hops++) {
            InetAddress next = literal(entries.get(i));
            if (next == null) {
                // Garbage from the far side of the proxy: the proxy's own address is all we know.
                return hop.getHostAddress();
            }
            hop = next;
            if (!isTrusted(hop)) {
                return hop.getHostAddress();
            }
        }
        return hop.getHostAddress();
    }

    private boolean isTrusted(InetAddress a) {
        return trusted.stream().anyMatch(r -> r.contains(a));
    }

    /** An address literal (never a DNS lookup), or null. */
    private static InetAddress literal(String text) {
        String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        if (t.length() > 45) {
            return null;
        }
        try {
            if (IPV4.matcher(t).matches()) {
                String[] parts = t.split("\\.");
                byte[] b = new byte[4];
                for (int i = 0; i < 4; i++) {
                    int v = Integer.parseInt(parts[i]);
                    if (v > 255) {
                        return null;
                    }
                    b[i] = (byte) v;
                }
                return InetAddress.getByAddress(b);
            }
            // In brackets the JDK accepts only an IPv6 literal and never falls back to a DNS lookup.
            return IPV6.matcher(t).matches() ? InetAddress.getByName("[" + t + "]") : null;
        } catch (UnknownHostException | NumberFormatException e) {
            return null;
        }
    }

    /** {@code 10.0.0.1}, {@code 10.0.0.0/8}, {@code ::1}, {@code fd00::/8}. */
    static Range parseRange(String text) {
        String[] parts = text.trim().split("/", 2);
        InetAddress a = literal(parts[0]);
        if (a == null) {
            throw new IllegalArgumentException("trusted proxy '" + text + "' is not an IP address or CIDR range");
        }
        int max = a.getAddress().length * 8;
        int prefix = max;
        if (parts.length == 2) {
            try {
                prefix = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException("trusted proxy '" + text + "' has a bad prefix length");
            }
        }
        return new Range(a.getAddress(), prefix);
    }
}
