package io.jpasta.tcp;

import static io.jpasta.tcp.TapDsl.ACK;
import static io.jpasta.tcp.TapDsl.FIN;
import static io.jpasta.tcp.TapDsl.PSH;
import static io.jpasta.tcp.TapDsl.RST;
import static io.jpasta.tcp.TapDsl.seg;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jpasta.tap.TapHandler;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.fuzz.Checksums;
import io.jpasta.tap.fuzz.Mutator;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The TCP engine behind the classifier on mutated segments (the DSL's handshakes and data, pasta's recorded
 * traffic), interleaved with socket events, peer data and the clock: no exception, every dropped frame counted
 * once, and the flow table agrees with the engine after every step (every TCP flow open in the engine and findable
 * by its tap side, none lost or leaked, the table's own invariants kept), every frame sent to the guest has consistent
 * lengths and right checksums; at the end, timers close every connection and the table empties.
 */
class TcpFuzzTest {
    @Test
    void mutatedSegmentsNeverThrowAndTheFlowTableStaysConsistent() {
        TapDsl tap = new TapDsl(1500, c -> io.jpasta.tap.fwd.AddrMap.defaults(c, true), 256);
        List<byte[]> seeds = new ArrayList<>();
        for (int sport = 40000; sport < 40004; sport++) {
            seeds.add(tap.bytes(seg().sport(sport).syn().seq(1000).mss(1460).ws(7)));
            seeds.add(tap.bytes(seg().sport(sport).flags(ACK).seq(1001).ack(5001)));
            seeds.add(tap.bytes(seg().sport(sport).flags(ACK | PSH).seq(1001).ack(5001).data(new byte[300])));
            seeds.add(tap.bytes(seg().sport(sport).flags(FIN | ACK).seq(1301).ack(5001)));
            seeds.add(tap.bytes(seg().sport(sport).flags(RST).seq(1301)));
            seeds.add(tap.bytes(seg().v6().sport(sport).syn().seq(1000).mss(1440)));
            seeds.add(tap.bytes(seg().v6().sport(sport).flags(ACK).seq(1001).ack(5001).data(new byte[100])));
        }
        for (byte[] f : Mutator.captures()) {
            if (f.length > 23 && ((f[12] == 8 && f[13] == 0 && f[23] == 6) || (f[12] == (byte) 0x86 && f[13] == (byte) 0xdd))) {
                seeds.add(f); // IPv4 TCP, and IPv6 (TCP among it)
            }
        }
        Mutator m = new Mutator(seeds, 0x7c9L);
        SplittableRandom rnd = new SplittableRandom(11);
        int n = Mutator.inputs();
        long drops = tap.drops();
        int handled = 0, busiest = 0;
        for (int i = 0; i < n; i++) {
            int action = rnd.nextInt(20);
            byte[] in = null;
            try {
                if (action < 16) {
                    in = m.next();
                    int r = tap.raw(in);
                    long now = tap.drops();
                    assertEquals(r == TapHandler.DROPPED ? 1 : 0, now - drops, "drops counted once");
                    drops = now;
                    handled += r == TapHandler.HANDLED ? 1 : 0;
                } else if (action < 18 && !tap.socks.opened.isEmpty()) {
                    FakeSocks.Sock s = tap.socks.opened.get(rnd.nextInt(tap.socks.opened.size()));
                    if (rnd.nextBoolean()) {
                        s.peerSends(new byte[rnd.nextInt(3000)]);
                    }
                    tap.tcp.sockEvent(s.flow, 1 << rnd.nextInt(14), tap.now);
                } else {
                    tap.advanceMs(rnd.nextInt(rnd.nextBoolean() ? 50 : 5000));
                }
                tap.flows.reap();
                consistent(tap);
                busiest = Math.max(busiest, tap.tcp.connections());
            } catch (RuntimeException | AssertionError e) {
                throw new AssertionError("step " + i + (in == null ? "" : ", input " + HexFormat.of().formatHex(in)), e);
            }
            tap.out.clear(); // checked in consistent()
            if (tap.socks.opened.size() > 2000) {
                tap.socks.opened.subList(0, 1000).clear();
            }
        }
        assertTrue(handled > n / 10, "the engine saw enough segments: " + handled);
        assertTrue(busiest > 10, "connections were opened: at most " + busiest + " at once");
        for (int k = 0; k < 100 && tap.tcp.connections() > 0; k++) {
            tap.advanceMs(3_600_000); // every connection ends by retransmission limit or inactivity
            tap.flows.reap();
        }
        assertEquals(0, tap.tcp.connections(), "connections left after their timeouts");
        assertEquals(0, tap.flows.count(FlowType.TCP), "flows leaked");
    }

    private static void consistent(TapDsl tap) {
        FlowTable t = tap.flows;
        assertNull(t.inconsistency(), "the table's own invariants");
        for (byte[] f : tap.out) {
            assertNull(Checksums.problem(f), () -> "frame to the guest " + HexFormat.of().formatHex(f));
        }
        assertEquals(t.count(FlowType.TCP), tap.tcp.connections(), "the table's TCP flows are the engine's");
        for (int f = t.next(-1); f != FlowTable.NONE; f = t.next(f)) {
            if (t.type(f) == FlowType.TCP) {
                assertTrue(tap.tcp.events(f) != 0, "flow " + f + " in the table, closed in the engine");
                int s = FlowTable.sidx(f, Tcp.TAPSIDE);
                assertTrue(t.isHashed(s), "flow " + f + " not findable by its tap side");
            }
        }
    }
}
