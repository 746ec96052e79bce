package io.pgfleet.agent.core;

/**
 * Where the agent's configuration comes from.
 */
public interface ConfigSource {

    /**
     * A request for the configuration.
     *
     * @param etag         the entity tag the agent has, empty for none
     * @param watchSeconds how long the server may hold the request, 0 for a plain pull
     * @param after        the newest version this agent knows (applied or failed), 0 for none; sent
     *                     whenever it is not 0, so that the server answers a version older than it at
     *                     once (the server's history is behind the agent's) and only after checking it
     */
    record Request(String etag, int watchSeconds, int after) {
        /** Requires sane numbers. */
        public Request {
            if (watchSeconds < 0 || after < 0) {
                throw new IllegalArgumentException("watch seconds and versions are not negative");
            }
        }
    }

    /** The answer. */
    sealed interface Fetch {
        /**
         * A configuration.
         *
         * @param version  its version
         * @param etag     its entity tag
         * @param document its TOML
         */
        record Fetched(int version, String etag, String document) implements Fetch {
        }

        /**
         * Nothing newer than what the agent has (a watch that ended, or a 304), with the revision the
         * server has now when it says so ({@code X-Config-Version}, {@code ETag}).
         *
         * @param version the server's latest version, 0 when it did not say
         * @param etag    its entity tag, empty when the server did not say
         */
        record NotModified(int version, String etag) implements Fetch {
            /** The server did not say what it has. */
            public NotModified() {
                this(0, "");
            }
        }

        /** The collector has no configuration yet. */
        record NoConfiguration() implements Fetch {
        }

        /**
         * No answer: the watch was ended by {@link #abortWatch()} before the server answered. Neither
         * an answer nor a failure: nothing is learnt about the server's versions, nothing went wrong.
         */
        record Aborted() implements Fetch {
        }
    }

    /**
     * Asks.
     *
     * @param request what to ask
     * @return the answer
     * @throws ServerException when the server cannot answer
     */
    Fetch fetch(Request request) throws ServerException;

    /**
     * Ends the watch in progress at once, from another thread (SIGHUP): its {@link #fetch} returns
     * {@link Fetch.Aborted} without waiting for the server, and the thread that called it is not
     * interrupted. Only a watch ({@code watchSeconds > 0}) is ended, never a plain pull nor anything
     * else a source does for it (a token refresh): a watch changes nothing on the server, so ending
     * it loses nothing. The abort holds until a fetch returns: a watch that starts meanwhile (after
     * a token refresh, or in a fetch called just after the abort) is not sent but returns
     * {@link Fetch.Aborted} at once, so an abort cannot slip between a caller's decision to watch
     * and the request. Returns at once.
     */
    void abortWatch();
}
