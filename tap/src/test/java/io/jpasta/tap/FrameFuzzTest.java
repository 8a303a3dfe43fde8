package io.jpasta.tap;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static io.jpasta.tap.TapHandler.DROPPED;
import static io.jpasta.tap.TapHandler.HANDLED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzing of the classifier and the L2 services (ARP, NDP, DHCP, DHCPv6) with mutated frames from the fixtures and
 * the reference captures. The protocol engines are stand-ins here that check what the classifier hands them (the
 * tcp and udp modules fuzz their engines behind the classifier the same way). Properties, for every input: nothing
 * throws; a dropped frame moves the sum of all drop counters by exactly one, a handled one by zero; the TapFrame an
 * engine gets lies inside the frame, with the whole TCP or UDP header; every reply the services send has
 * consistent lengths and right checksums.
 */
class FrameFuzzTest {
    /** Inputs in the normal suite; {@code -Djpasta.fuzz.inputs} overrides. */
    private static final int INPUTS = 200_000;
    private static final long MS = 1_000_000L;

    private final Frames.Recorder out = new Frames.Recorder();
    private final L2Services l2 = L2ServicesTest.services(L2ServicesTest.conf(L2ServicesTest.LL_L4));
    private final Classifier c = new Classifier(l2, out).tcp(this::engine).udp(this::engine).icmp(this::engine);
    private final MemorySegment buf = Arena.ofAuto().allocate(70_000, 64);
    private int engineCalls;

    private int engine(TapFrame f, long now) {
        engineCalls++;
        long end = f.off() + f.len();
        assertTrue(f.l3() >= f.off() + 14 && f.l4() > f.l3() && f.l4() + f.l4Len() <= end,
                "l3 " + f.l3() + " l4 " + f.l4() + " l4Len " + f.l4Len() + " inside a frame of " + f.len());
        if (f.proto() == 6) {
            assertTrue(f.l4Len() >= 20, "a whole TCP header");
        } else if (f.proto() == 17) {
            assertTrue(f.l4Len() >= 8, "a whole UDP header");
        }
        return HANDLED;
    }

    private long drops() {
        return c.stats().dropsTotal() + l2.stats().dropsTotal();
    }

    private int frame(byte[] f, long now) {
        MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
        // the tap reader's buffers are larger than any frame: bytes past the frame's end must not be read as its own
        buf.asSlice(f.length, 64).fill((byte) 0x5a);
        return c.frame(buf, 0, f.length, now);
    }

    @Test
    void mutatedFramesNeverThrowAreCountedOnceWhenDroppedAndAnsweredWellFormed() {
        FrameFuzzer fz = new FrameFuzzer(0x7a9, FrameFuzzer.seeds());
        int n = FrameFuzzer.inputs(INPUTS);
        long now = 1_000 * MS, dropped = 0, t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            byte[] in = fz.next();
            try {
                long before = drops();
                int sentBefore = out.sent.size(), callsBefore = engineCalls;
                int r = frame(in, now);
                long moved = drops() - before;
                assertTrue(r == HANDLED || r == DROPPED, "result " + r);
                assertEquals(r == DROPPED ? 1 : 0, moved, "drop counters moved by " + moved + ", result " + r);
                for (int k = sentBefore; k < out.sent.size(); k++) {
                    byte[] reply = out.sent.get(k);
                    String p = Checksums.problem(reply);
                    assertEquals(null, p, "reply " + java.util.HexFormat.of().formatHex(reply));
                }
                dropped += r == DROPPED ? 1 : 0;
                fz.outcome(signature(fz, r, out.sent.size() - sentBefore, engineCalls - callsBefore));
                if (out.sent.size() > 1000) {
                    out.sent.clear();
                }
                if (fz.random().nextInt(64) == 0) {
                    now += fz.random().nextInt(5000) * MS;
                    if (now - l2.nextDeadlineNs(now) >= 0) {
                        l2.timer(now, out);
                    }
                }
            } catch (Throwable t) {
                fail(FrameFuzzer.saveFailure("tap-" + i, in, t), t);
            }
        }
        fz.report("tap", n, dropped, t0);
        assertTrue(dropped > n / 20 && dropped < n - n / 20, "inputs both handled and dropped: " + dropped);
    }

    /** @return a digest of which counters of the classifier and the services moved, and of the result */
    private long signature(FrameFuzzer fz, int r, int sent, int calls) {
        long h = r * 31L + Math.min(sent, 3) * 7L + Math.min(calls, 1);
        h = h * 1_000_003L + fz.moved(c.stats());
        for (int s = 0; s < L2Stats.SERVICES; s++) {
            h = h * 1_000_003L + fz.moved(l2.stats().of(s));
        }
        return h;
    }

    @Test
    void everySeedIsHandledOrDroppedOnce() {
        List<byte[]> seeds = FrameFuzzer.seeds();
        assertTrue(seeds.size() > 60, "fixtures and capture frames: " + seeds.size());
        for (byte[] s : seeds) {
            long before = drops();
            int r = frame(s, 0);
            assertEquals(r == DROPPED ? 1 : 0, drops() - before);
        }
    }
}
