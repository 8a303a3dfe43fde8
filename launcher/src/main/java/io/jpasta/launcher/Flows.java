package io.jpasta.launcher;

import io.jpasta.tap.flow.FlowTable;

import java.util.SplittableRandom;

/**
 * The one flow table all protocol handlers share (ICMP, TCP, UDP, spliced TCP), built on first use: at full capacity it is
 * about 13 MB of arrays, which a start that never sees a flow should not pay for.
 */
final class Flows {
    private Flows() {
    }

    private static FlowTable table;

    /** @return the shared flow table; loop thread only */
    static FlowTable table() {
        if (table == null) {
            table = new FlowTable(new SplittableRandom().nextLong());
        }
        return table;
    }

    /** @return the shared flow table if something built it already, else null (for statistics) */
    static FlowTable built() {
        return table;
    }
}
