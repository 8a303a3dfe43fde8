package io.jpasta.tap;

import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.wire.Be;
import io.jpasta.tap.wire.Ipv4Header;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.jpasta.tap.TapHandler.DROPPED;
import static io.jpasta.tap.TapHandler.HANDLED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The frame classifier: every frame parsed once, dispatched to one handler, or dropped once with a reason. */
class ClassifierTest {
    private final Frames.Recorder out = new Frames.Recorder();
    private final L2Services l2 = L2ServicesTest.services(L2ServicesTest.conf(L2ServicesTest.LL_L4));
    /** What each engine saw, as "proto l3 l4 l4Len src:port>dst:port". */
    private final List<String> seen = new ArrayList<>();
    private final Classifier c = new Classifier(l2, out).tcp(this::record).udp(this::record).icmp(this::record);

    private int record(TapFrame f, long now) {
        assertTrue(f.l4() + f.l4Len() <= f.off() + f.len(), "transport inside the frame");
        seen.add(f.proto() + " " + f.l3() + " " + f.l4() + " " + f.l4Len() + " " + addr(f.srcHi(), f.srcLo()) + ":"
                + f.srcPort() + ">" + addr(f.dstHi(), f.dstLo()) + ":" + f.dstPort());
        return HANDLED;
    }

    private static String addr(long hi, long lo) {
        return io.jpasta.netns.log.Log.addr(hi, lo);
    }

    private int frame(byte[] b) {
        return c.frame(Frames.offHeap(b), 0, b.length, 0);
    }

    @Test
    void udpGoesToTheUdpEngineWithOffsetsAndPortsWorkedOut() {
        assertEquals(HANDLED, frame(Frames.bytes("udp-request")));
        assertEquals(List.of("17 14 34 11 198.51.100.2:40032>198.51.100.200:7000"), seen);
    }

    @Test
    void tcpOverIpv6GoesToTheTcpEngine() {
        assertEquals(HANDLED, frame(Frames.bytes("tcp6-syn")));
        assertEquals(List.of("6 14 54 40 2001:db8:1::2:57646>2001:db8:2::10:9402"), seen);
    }

    @Test
    void ipv6ExtensionHeadersAreWalkedToTheTransportHeader() {
        byte[] syn = Frames.bytes("tcp6-syn");
        // hop-by-hop (8 bytes) and destination options (16 bytes) between the fixed header and TCP
        byte[] b = new byte[syn.length + 24];
        System.arraycopy(syn, 0, b, 0, 54);
        System.arraycopy(syn, 54, b, 78, syn.length - 54);
        b[20] = 0;                  // next header: hop-by-hop
        b[54] = 60;                 // then destination options
        b[55] = 0;                  // 8 bytes
        b[62] = 6;                  // then TCP
        b[63] = 1;                  // 16 bytes
        Be.put16(MemorySegment.ofArray(b), 18, 40 + 24);
        assertEquals(HANDLED, frame(b));
        assertEquals(List.of("6 14 78 40 2001:db8:1::2:57646>2001:db8:2::10:9402"), seen);
    }

    @Test
    void fragmentsAreDroppedNotReassembled() {
        byte[] v4 = Frames.bytes("udp-request");
        v4[20] |= 0x20;             // more fragments
        fix4(v4);
        assertEquals(DROPPED, frame(v4));
        byte[] v6 = Frames.bytes("tcp6-syn");
        byte[] b = new byte[v6.length + 8];
        System.arraycopy(v6, 0, b, 0, 54);
        System.arraycopy(v6, 54, b, 62, v6.length - 54);
        b[20] = 44;                 // fragment header
        b[54] = 6;
        Be.put16(MemorySegment.ofArray(b), 18, 40 + 8);
        assertEquals(DROPPED, frame(b));
        assertEquals(2, c.stats().drops(Classifier.FRAGMENT));
        assertTrue(seen.isEmpty());
    }

    @Test
    void badIpv4HeadersAreCountedByReason() {
        byte[] sum = Frames.bytes("udp-request");
        sum[24] ^= 1;               // header checksum
        assertEquals(DROPPED, frame(sum));
        assertEquals(1, c.stats().drops(Classifier.BAD_CHECKSUM));
        byte[] ihl = Frames.bytes("udp-request");
        ihl[14] = 0x44;             // IHL 4: shorter than a header
        assertEquals(DROPPED, frame(ihl));
        byte[] total = Frames.bytes("udp-request");
        Be.put16(MemorySegment.ofArray(total), 16, 200);    // longer than the frame
        fix4(total);
        assertEquals(DROPPED, frame(total));
        byte[] udpLen = Frames.bytes("udp-request");
        Be.put16(MemorySegment.ofArray(udpLen), 38, 60);    // UDP length beyond the IP payload
        assertEquals(DROPPED, frame(udpLen));
        assertEquals(3, c.stats().drops(Classifier.MALFORMED));
        assertTrue(seen.isEmpty());
    }

    @Test
    void unknownEtherTypesProtocolsAndGroupSourcesAreDropped() {
        byte[] type = Frames.bytes("udp-request");
        type[12] = (byte) 0x88;     // 0x88cc, LLDP
        type[13] = (byte) 0xcc;
        assertEquals(DROPPED, frame(type));
        byte[] proto = Frames.bytes("udp-request");
        proto[23] = (byte) 132;     // SCTP
        fix4(proto);
        assertEquals(DROPPED, frame(proto));
        assertEquals(2, c.stats().drops(Classifier.UNSUPPORTED));
        byte[] group = Frames.bytes("udp-request");
        group[6] |= 1;              // multicast source MAC
        assertEquals(DROPPED, frame(group));
        assertEquals(1, c.stats().drops(Classifier.BAD_SOURCE));
    }

    @Test
    void withoutAnEngineTheProtocolIsDroppedAsDisabled() {
        Classifier bare = new Classifier(l2, out);
        byte[] b = Frames.bytes("tcp6-syn");
        assertEquals(DROPPED, bare.frame(Frames.offHeap(b), 0, b.length, 0));
        assertEquals(1, bare.stats().drops(Classifier.DISABLED));
    }

    /** Every prefix of every fixture: each frame either reaches one place or is dropped and counted exactly once. */
    @Test
    void everyTruncationIsHandledOrCountedOnce() {
        String[] names = {"arp-request", "dhcp-discover", "dhcpv6-solicit", "ns-ll", "rs", "mld-report", "tcp-syn",
            "tcp6-syn", "tcp-ack", "udp-request", "icmp-echo-request", "icmpv6-echo-request"};
        for (String n : names) {
            byte[] whole = Frames.bytes(n);
            for (int len = 0; len <= whole.length; len++) {
                byte[] b = Arrays.copyOf(whole, len);
                long before = drops();
                int engines = seen.size();
                int r = frame(b);
                long dropped = drops() - before;
                if (r == DROPPED) {
                    assertEquals(1, dropped, n + " cut at " + len + ": one drop, counted once");
                } else {
                    assertEquals(0, dropped, n + " cut at " + len);
                    assertTrue(seen.size() <= engines + 1, n + " cut at " + len + ": at most one engine");
                }
            }
        }
    }

    @Test
    void theGuestMacIsLearnedFromValidFrames() {
        frame(Frames.bytes("udp-request"));
        assertEquals(0x161c35da1b8eL, l2.guestMac());
    }

    @Test
    void addressesAreInTheFlowTablesForm() {
        frame(Frames.bytes("udp-request"));
        assertTrue(seen.getFirst().contains(addr(Inany.V4_HI, Inany.v4Lo(0xc63364c8))));
    }

    private long drops() {
        return c.stats().dropsTotal() + l2.stats().dropsTotal();
    }

    private static void fix4(byte[] b) {
        MemorySegment s = Frames.offHeap(b);
        new Ipv4Header().wrap(s, 14).fillChecksum();
        s.asByteBuffer().get(0, b);
    }
}
