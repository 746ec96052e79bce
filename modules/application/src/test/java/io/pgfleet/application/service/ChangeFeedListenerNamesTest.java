package io.pgfleet.application.service;

import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The change feed names a listener in the log when it fails and when it recovers (and the
 * {@code PgfleetListenListenerFailing} alert sends the operator there): each listener an instance
 * subscribes is named in words an operator can act on, not by its class and hash code
 * ({@code ActivePrincipals@1a2b3c}).
 */
class ChangeFeedListenerNamesTest {

    @Test
    void everyListenerAnInstanceSubscribesIsNamedInWords() {
        EffectiveRevisionCache effective = new EffectiveRevisionCache(null);
        WatchService watch = new WatchService((io.pgfleet.application.port.in.GetConfigQuery) null);
        // The three subscriptions UseCaseFactory makes, built as it builds them.
        Map<ConfigChangeFeedPort.Listener, String> subscribed = Map.of(
                new OrderedListeners(List.of(effective, watch)), "in-memory view of effective revisions, then held watches",
                new ActivePrincipals(), "cache of who may call",
                new OwnVersionReconciler(null, null), "reconciler of own versions published by a previous release");
        subscribed.forEach((listener, name) -> {
            String said = String.valueOf(listener);
            assertEquals(name, said);
            assertFalse(said.matches("(?s).*(@\\p{XDigit}{4,}|io\\.pgfleet|OrderedListeners|ActivePrincipals).*"), said);
        });
    }
}
