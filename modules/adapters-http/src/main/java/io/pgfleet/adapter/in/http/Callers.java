package io.pgfleet.adapter.in.http;

import io.pgfleet.domain.identity.Actor;
import io.helidon.webserver.http.ServerRequest;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Who is calling. An authentication filter in front of the API puts the authenticated
 * {@link Actor} into the request context; without one every caller is {@code anonymous}.
 */
final class Callers {

    static final String ANONYMOUS = "anonymous";

    private Callers() {
    }

    static Actor actor(ServerRequest req) {
        String address = address(req);
        return req.context().get(Actor.class)
                .map(a -> new Actor(a.name(), address))
                .orElseGet(() -> new Actor(ANONYMOUS, address));
    }

    static String address(ServerRequest req) {
        SocketAddress peer = req.remotePeer().address();
        if (peer instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return String.valueOf(peer);
    }
}
