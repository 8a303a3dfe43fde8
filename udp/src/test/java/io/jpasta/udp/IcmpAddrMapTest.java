package io.jpasta.udp;

import io.jpasta.tap.TapConf;
import io.jpasta.tap.TapHandler;
import io.jpasta.tap.TapSink;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.fwd.AddrMap;
import io.jpasta.tap.fwd.IpLiteral;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.Arrays;

import static io.jpasta.udp.IcmpTest.GATEWAY4;
import static io.jpasta.udp.IcmpTest.GUEST4;
import static io.jpasta.udp.IcmpTest.GUEST_MAC;
import static io.jpasta.udp.IcmpTest.L4_V6;
import static io.jpasta.udp.IcmpTest.REMOTE4;
import static io.jpasta.udp.IcmpTest.SEC;
import static io.jpasta.udp.IcmpTest.assertChecksums4;
import static io.jpasta.udp.IcmpTest.bytes;
import static io.jpasta.udp.IcmpTest.echo4;
import static io.jpasta.udp.IcmpTest.i32;
import static io.jpasta.udp.IcmpTest.kernelReply4;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ICMP echo to a mapped address: the ping goes to the host's loopback, the reply comes from what the guest pinged. */
class IcmpAddrMapTest {
    static final TapConf CONF = TapConf.builder().addr4((Inet4Address) IpLiteral.parse("198.51.100.2"), 30)
            .gateway4((Inet4Address) IpLiteral.parse("198.51.100.1"))
            .addr6((Inet6Address) IpLiteral.parse("2001:db8:1::2"), 64)
            .gateway6((Inet6Address) IpLiteral.parse("2001:db8:1::1"))
            .ourLinkLocal6((Inet6Address) IpLiteral.parse("fe80::1")).mtu(65520).build();

    final FakePingSockets kernel = new FakePingSockets();
    final IcmpTest.Recorder tap = new IcmpTest.Recorder();

    Icmp icmp(AddrMap map) {
        return new Icmp(CONF, () -> new FlowTable(16, 42), kernel, map);
    }

    @Test
    void pingToTheGatewayGoesToHostLoopbackAndTheReplyComesFromTheGateway() {
        Icmp icmp = icmp(AddrMap.defaults(CONF, true));
        byte[] req = echo4(GUEST4, GATEWAY4, 0x4242, 1, 16);
        assertEquals(TapHandler.HANDLED, fromTap(icmp, req));
        FakePingSockets.Sock s = kernel.opened.getFirst();
        assertEquals(0x7f000001, (int) s.sent.getFirst().dstLo(), "sent to 127.0.0.1");
        s.inbound.add(kernelReply4(s.id, 1, 16));
        icmp.fromSock(s.watchedFlow, s.fd, GUEST_MAC, SEC, tap);
        byte[] f = tap.only();
        assertEquals(GATEWAY4, i32(f, 26), "the reply comes from the address the guest pinged");
        assertEquals(GUEST4, i32(f, 30));
        assertChecksums4(f);
    }

    @Test
    void noMapGwPingsTheGatewayItself() {
        Icmp icmp = icmp(AddrMap.defaults(CONF, false));
        byte[] req = echo4(GUEST4, GATEWAY4, 0x4242, 1, 16);
        fromTap(icmp, req);
        assertEquals(GATEWAY4, (int) kernel.opened.getFirst().sent.getFirst().dstLo());
    }

    @Test
    void otherDestinationsAreNotTranslated() {
        Icmp icmp = icmp(AddrMap.defaults(CONF, true));
        byte[] req = echo4(GUEST4, REMOTE4, 0x4242, 1, 16);
        fromTap(icmp, req);
        assertEquals(REMOTE4, (int) kernel.opened.getFirst().sent.getFirst().dstLo());
    }

    @Test
    void ipv6MapHostLoopbackAddressIsPingedOnHostLoopback() {
        Icmp icmp = icmp(AddrMap.builder(CONF).mapHostLoopback(IpLiteral.parse("2001:db8:2::10")).build());
        byte[] req = bytes("icmpv6-echo-request");         // to 2001:db8:2::10
        assertEquals(TapHandler.HANDLED, fromTap(icmp, req));
        FakePingSockets.Sock s = kernel.opened.getFirst();
        assertEquals(0, s.sent.getFirst().dstHi());
        assertEquals(1, s.sent.getFirst().dstLo(), "sent to ::1");
        byte[] expected = bytes("icmpv6-echo-reply");
        s.inbound.add(Arrays.copyOfRange(expected, L4_V6, expected.length));
        icmp.fromSock(s.watchedFlow, s.fd, GUEST_MAC, SEC, tap);
        assertArrayEquals(expected, tap.only(), "the reply is the one pasta sends for 2001:db8:2::10");
    }

    @Test
    void mapGuestAddrIsPingedOnTheHostsOwnAddress() {
        Icmp icmp = icmp(AddrMap.builder(CONF).mapGuestAddr(IpLiteral.parse("203.0.113.8")).build());
        byte[] req = echo4(GUEST4, 0xcb007108, 0x4242, 1, 16);
        fromTap(icmp, req);
        assertEquals(GUEST4, (int) kernel.opened.getFirst().sent.getFirst().dstLo(), "sent to 198.51.100.2");
    }

    @Test
    void mappedEchoTrafficAllocatesNothingPerFrame() {
        IcmpAllocationTest.Echoer echoer = new IcmpAllocationTest.Echoer();
        Icmp icmp = new Icmp(CONF, () -> new FlowTable(64, 7), echoer, AddrMap.defaults(CONF, true));
        MemorySegment[] frames = new MemorySegment[4];
        for (int i = 0; i < frames.length; i++) {
            byte[] b = echo4(GUEST4, i % 2 == 0 ? GATEWAY4 : REMOTE4, 100 + i, 1, 56);
            frames[i] = Arena.ofAuto().allocate(b.length);
            frames[i].copyFrom(MemorySegment.ofArray(b));
        }
        long[] sink = {0};
        TapSink out = (m, o, l) -> sink[0] += l;
        TapPath path = new TapPath(icmp, null, out);
        int n = 20_000;
        long allocated = IcmpAllocationTest.allocatedInSecondRound(n, i -> {
            MemorySegment f = frames[i % frames.length];
            path.frame(f, (int) f.byteSize(), i);
            icmp.fromSock(echoer.lastFlow, echoer.lastFd, GUEST_MAC, i, out);
        });
        assertTrue(allocated < 64 * 1024, allocated + " bytes allocated for " + n + " mapped requests and replies");
        assertEquals(2L * n, icmp.stats().replies(false));
        assertTrue(sink[0] > 0);
    }

    /** Delivers a frame from off-heap memory, as the tap reader does. */
    private static int fromTap(Icmp icmp, byte[] frame) {
        return new TapPath(icmp, null, (m, o, l) -> { }).frame(frame, 0);
    }
}
