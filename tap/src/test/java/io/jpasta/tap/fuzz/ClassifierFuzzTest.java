package io.jpasta.tap.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jpasta.tap.Classifier;
import io.jpasta.tap.Frames;
import io.jpasta.tap.L2Services;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.TapFrame;
import io.jpasta.tap.TapHandler;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The classifier and the L2 services (ARP, NDP/RA, DHCP, DHCPv6) on mutated frames of pasta's own captures: no
 * exception escapes, every frame is handled or dropped, and each dropped frame is counted exactly once under a
 * reason; a frame handed to an engine has offsets inside the frame; every reply the services send has consistent
 * lengths and right checksums ({@link Checksums}).
 */
class ClassifierFuzzTest {
    @Test
    void mutatedCapturesAreHandledOrCountedOnceAndNeverThrow() throws Exception {
        TapConf conf = TapConf.builder().guestMac(0x02_00_00_00_00_01L)
                .addr4((Inet4Address) InetAddress.getByName("198.51.100.2"), 30)
                .gateway4((Inet4Address) InetAddress.getByName("198.51.100.1"))
                .addr6((Inet6Address) InetAddress.getByName("2001:db8:1::2"), 64)
                .gateway6((Inet6Address) InetAddress.getByName("2001:db8:1::1"))
                .ourLinkLocal6((Inet6Address) InetAddress.getByName("fe80::1"))
                .dns4(List.of((Inet4Address) InetAddress.getByName("198.51.100.200"))).mtu(65520).build();
        L2Services l2 = new L2Services(conf, new Random(1), 0, 0);
        Frames.Recorder out = new Frames.Recorder();
        TapHandler engine = (TapFrame f, long now) -> {
            assertTrue(f.l4() >= 0 && f.l4() + f.l4Len() <= f.seg().byteSize(), "L4 inside the frame");
            return TapHandler.HANDLED;
        };
        Classifier c = new Classifier(l2, out).tcp(engine).udp(engine).icmp(engine);
        Mutator m = new Mutator(Mutator.captures(), 0x5eedL);
        MemorySegment buf = Arena.ofAuto().allocate(Mutator.MAX, 64);
        long drops = 0;
        int n = Mutator.inputs();
        for (int i = 0; i < n; i++) {
            byte[] in = m.next();
            MemorySegment.copy(in, 0, buf, ValueLayout.JAVA_BYTE, 0, in.length);
            int r;
            int sent = out.sent.size();
            try {
                r = c.frame(buf, 0, in.length, 1_000_000_000L + i * 1000L);
                for (int k = sent; k < out.sent.size(); k++) {
                    byte[] reply = out.sent.get(k);
                    assertNull(Checksums.problem(reply), () -> "reply " + HexFormat.of().formatHex(reply));
                }
            } catch (RuntimeException | AssertionError e) {
                throw new AssertionError("input " + i + ": " + HexFormat.of().formatHex(in), e);
            }
            long now = dropped(c, l2);
            assertEquals(r == TapHandler.DROPPED ? 1 : 0, now - drops, () -> "drops counted for input: "
                    + HexFormat.of().formatHex(in));
            drops = now;
            if (out.sent.size() > 1000) {
                out.sent.clear();
            }
        }
        assertTrue(drops > n / 10 && drops < n, "the mutations reach both outcomes: " + drops + " of " + n);
    }

    private static long dropped(Classifier c, L2Services l2) {
        return c.stats().dropsTotal() + l2.stats().dropsTotal();
    }
}
