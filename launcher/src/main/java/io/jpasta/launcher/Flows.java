package io.jpasta.launcher;

import io.jpasta.netns.sys.Sys;
import io.jpasta.tap.flow.FlowTable;

import java.util.SplittableRandom;

/**
 * The one flow table all protocol handlers share (ICMP, TCP, UDP, spliced TCP), built on first use: at full
 * capacity it is about 13 MB of arrays, which a start that never sees a flow should not pay for.
 */
final class Flows {
    private Flows() {
    }

    private static FlowTable table;

    /**
     * Capacity of the table: {@link FlowTable#CAPACITY} as pasta, unless the system property {@code jpasta.flows}
     * asks for fewer (1 and up; {@code JPASTA_JAVA_OPTS=-Djpasta.flows=N} through the starter), so that tests can
     * drive exhaustion from outside with a handful of connections.
     */
    static final String CAPACITY_PROPERTY = "jpasta.flows";

    /** @return the shared flow table; loop thread only */
    static FlowTable table() {
        if (table == null) {
            int capacity = Integer.getInteger(CAPACITY_PROPERTY, FlowTable.CAPACITY);
            capacity = Math.clamp(capacity, 1, FlowTable.CAPACITY);
            table = new FlowTable(capacity, new SplittableRandom().nextLong());
            table.tick(Sys.monotonicNs());
        }
        return table;
    }

    /** Between two batches of epoll events: indices of flows freed meanwhile become reusable (FlowTable#reap). */
    static void reap() {
        if (table != null) {
            table.reap();
        }
    }

    /** Tells the table the loop's time for the batch of events it is about to handle. */
    static void tick(long nowNs) {
        if (table != null) {
            table.tick(nowNs);
        }
    }

    /** @return the shared flow table if something built it already, else null (for statistics) */
    static FlowTable built() {
        return table;
    }
}
