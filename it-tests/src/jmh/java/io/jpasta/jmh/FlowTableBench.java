package io.jpasta.jmh;

import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.flow.Pif;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * Flow lookup: {@link FlowTable#lookup} in a default-capacity table holding {@value #FLOWS} TCP flows, both sides
 * hashed (tap side: guest 198.51.100.2 to many remote addresses and ports; host side: the socket's view).
 * {@code hit} looks up the tap side of each flow in turn, {@code miss} keys that differ from a flow only in the
 * guest's port (a new connection), so both walk realistic probe runs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FlowTableBench {
    static final int FLOWS = 10_000;
    static final int MASK = 16_383; // keys cycle through a power-of-two array; FLOWS of its slots are distinct
    static final int TCP = 6;

    private FlowTable table;
    private final long[] remoteLo = new long[MASK + 1];
    private final int[] guestPort = new int[MASK + 1], remotePort = new int[MASK + 1];
    private final long guestLo = Inany.v4Lo(0xc6_33_64_02);
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        table = new FlowTable(0x5eed_cafe_f00dL);
        long hostLo = Inany.v4Lo(0xcb_00_71_01);
        for (int i = 0; i < FLOWS; i++) {
            int flow = table.alloc(FlowType.TCP);
            long remote = Inany.v4Lo(0xcb_00_71_00 | (i % 200 + 2));
            int gPort = 32_768 + i, rPort = 80 + i % 7;
            table.side(flow, 0, Pif.TAP, Inany.V4_HI, guestLo, gPort, Inany.V4_HI, remote, rPort);
            table.side(flow, 1, Pif.HOST, Inany.V4_HI, remote, rPort, Inany.V4_HI, hostLo, 50_000 + i % 15_000);
            if (!table.hash(flow, 0) || !table.hash(flow, 1)) {
                throw new IllegalStateException("duplicate key for flow " + i);
            }
        }
        for (int k = 0; k <= MASK; k++) {
            int i = k % FLOWS;
            remoteLo[k] = Inany.v4Lo(0xcb_00_71_00 | (i % 200 + 2));
            guestPort[k] = 32_768 + i;
            remotePort[k] = 80 + i % 7;
        }
        for (int k = 0; k <= MASK; k++) {
            if (hit(k) < 0 || miss(k) != FlowTable.NONE) {
                throw new IllegalStateException("fixture key " + k + " does not take the intended path");
            }
        }
    }

    @Benchmark
    public int hit() {
        return hit(next++ & MASK);
    }

    @Benchmark
    public int miss() {
        return miss(next++ & MASK);
    }

    private int hit(int k) {
        return table.lookup(TCP, Pif.TAP, Inany.V4_HI, guestLo, guestPort[k], Inany.V4_HI, remoteLo[k], remotePort[k]);
    }

    private int miss(int k) {
        return table.lookup(TCP, Pif.TAP, Inany.V4_HI, guestLo, guestPort[k] + FLOWS, Inany.V4_HI, remoteLo[k],
                remotePort[k]);
    }
}
