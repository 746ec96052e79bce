package io.pgfleet.application.service;

import java.util.List;
import java.util.function.Consumer;

/**
 * What this instance learns of the effective revisions a transaction through it stores: after the
 * commit, each revision ({@link #accept}); a change that may reach many collectors also says,
 * before its commit, which revisions it is about to store ({@link #expect}), so that readers woken
 * by its announcements before it has handed every revision over wait for it rather than each
 * reading the database.
 */
interface Announcer extends Consumer<LayerComposer.Save> {

    /**
     * Registers the revisions a transaction is about to commit.
     *
     * @param saves what the transaction stores
     * @return the registration, to be told of the commit and closed once every revision was accepted
     */
    default Committing expect(List<LayerComposer.Save> saves) {
        return Committing.NONE;
    }

    /** A transaction's registered revisions: committed or not, then closed (whatever happened). */
    interface Committing extends AutoCloseable {

        /** Nothing registered. */
        Committing NONE = () -> { };

        /** The transaction committed. */
        void committed();

        /** The transaction is over and its revisions were accepted (or it failed); nothing to release by default. */
        @Override
        default void close() {
        }
    }
}
