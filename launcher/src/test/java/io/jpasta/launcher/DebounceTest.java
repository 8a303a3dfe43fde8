package io.jpasta.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DebounceTest {
    private static final long MS = 1_000_000L;
    private final Debounce d = new Debounce(100 * MS, 500 * MS);

    @Test
    void actionIsDueAQuietTimeAfterTheLastNotification() {
        assertEquals(1100 * MS, d.poke(1000 * MS));
        assertEquals(1150 * MS, d.poke(1050 * MS));
        assertFalse(d.due(1149 * MS));
        assertTrue(d.due(1150 * MS));
    }

    @Test
    void aBurstThatNeverPausesIsActedOnAtItsLimit() {
        long deadline = 0;
        for (long t = 0; t <= 2000 * MS; t += 10 * MS) {
            deadline = d.poke(t);
            if (d.due(t)) {
                break;
            }
        }
        assertEquals(500 * MS, deadline, "no later than 500 ms after the first notification");
        assertTrue(d.due(500 * MS));
    }

    @Test
    void afterDoneTheNextNotificationStartsANewBurst() {
        d.poke(0);
        assertTrue(d.due(100 * MS));
        d.done();
        assertFalse(d.pending());
        assertFalse(d.due(10_000 * MS));
        assertEquals(10_100 * MS, d.poke(10_000 * MS));
    }

    @Test
    void clockWrapIsHandled() {
        long near = Long.MAX_VALUE - 50 * MS;
        long deadline = d.poke(near);
        assertFalse(d.due(near + 99 * MS));
        assertTrue(d.due(near + 100 * MS));
        assertEquals(near + 100 * MS, deadline);
    }
}
