package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryConfigStore;
import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.domain.collector.CollectorId;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.pgfleet.application.service.EffectiveStore.revision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A watch whose {@code after} is ahead of the revision the instance remembers: the database decides
 * whether the caller saw a revision committed elsewhere (held as usual) or the database's history is
 * behind the caller's, restored from an older backup (answered at once with the older revision).
 */
class WatchAheadTest {

    private static final CollectorId ID = EffectiveStore.ID;
    private static final Duration LONG = Duration.ofMinutes(5);

    private final EffectiveStore db = new EffectiveStore();
    private final EffectiveRevisionCache cache = new EffectiveRevisionCache(db);
    private final InMemoryConfigStore collectors = new InMemoryConfigStore().with(Given.collector("db-01"));
    private final EffectiveConfigService reads = new EffectiveConfigService(collectors, collectors, cache);
    private final WatchService watch = new WatchService(reads);

    private static int version(ConfigLookup lookup) {
        return ((ConfigLookup.Found) lookup).revision().version().value();
    }

    @Test
    void aCallerAheadOfTheDatabaseIsAnsweredAtOnceWithTheDatabasesOlderRevision() throws Exception {
        db.latest = revision(2);
        assertEquals(2, version(reads.latest(ID)));

        ConfigLookup answer = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> watch.awaitNewer(ID, 5, LONG));

        assertEquals(2, version(answer), "the revision the database has, not a hold until revision 6");
        assertEquals("a = 2", ((ConfigLookup.Found) answer).revision().document().text());
    }

    @Test
    void aCallerAheadOfThisInstanceButNotOfTheDatabaseIsHeldAndNeverAnsweredTheOlderRevision() throws Exception {
        db.latest = revision(2);
        assertEquals(2, version(reads.latest(ID)));
        // Committed by another instance; its announcement has not reached this one.
        db.latest = revision(3);
        int before = db.reads.get();

        ConfigLookup atDeadline = watch.awaitNewer(ID, 3, Duration.ofMillis(100));

        assertEquals(3, version(atDeadline), "held to its deadline, then the caller's own revision: never revision 2");
        assertEquals(before + 1, db.reads.get(), "one read of the database decided it");
        assertEquals(3, version(reads.latest(ID)), "and this instance knows revision 3 from then on");
        assertEquals(before + 1, db.reads.get());
    }

    @Test
    void aCallerAheadCostsOneReadOfTheDatabaseAndACallerNotAheadNone() throws Exception {
        db.latest = revision(2);
        reads.latest(ID);
        int before = db.reads.get();
        for (int i = 0; i < 3; i++) {
            assertEquals(2, version(assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> watch.awaitNewer(ID, Integer.MAX_VALUE, LONG))));
        }
        assertEquals(before + 3, db.reads.get(), "one read each, as a plain read that misses memory");
        assertEquals(2, version(watch.awaitNewer(ID, 1, LONG)));
        assertEquals(2, version(watch.awaitNewer(ID, 2, Duration.ZERO)));
        assertEquals(before + 3, db.reads.get(), "not ahead: answered from memory");
    }
}
