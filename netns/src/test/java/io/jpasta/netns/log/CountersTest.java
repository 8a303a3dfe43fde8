package io.jpasta.netns.log;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CountersTest {
    @Test
    void formatsCountsThenNonZeroDrops() {
        Counters c = new Counters("udp", new String[] {"rx", "tx"}, new String[] {"malformed", "no flow"});
        c.count(0);
        c.add(1, 5);
        c.drop(1);
        c.drop(1);
        assertEquals("udp     rx 1 tx 5, drop no flow 2", c.format());
        assertEquals(2, c.dropsTotal());
        assertEquals("malformed", c.reasonName(0));
    }
}
