package io.jpasta.udp;

import io.jpasta.netns.sys.Linux;
import io.jpasta.tap.TapHandler;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.fwd.AddrMap;
import io.jpasta.tap.fwd.IpLiteral;
import io.jpasta.tap.wire.Be;
import io.jpasta.tap.wire.Checksum;
import io.jpasta.tap.wire.MacAddr;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

import static io.jpasta.udp.IcmpAddrMapTest.CONF;
import static io.jpasta.udp.IcmpTest.GATEWAY4;
import static io.jpasta.udp.IcmpTest.GUEST4;
import static io.jpasta.udp.IcmpTest.GUEST_MAC;
import static io.jpasta.udp.IcmpTest.REMOTE4;
import static io.jpasta.udp.IcmpTest.SEC;
import static io.jpasta.udp.IcmpTest.i32;
import static io.jpasta.udp.IcmpTest.u16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Engine tests of {@link Udp}: frames through the classifier, a fake kernel, a fake clock. */
class UdpTest {
    static final long REMOTE6_HI = 0x2001_0db8_0002_0000L, REMOTE6_LO = 0x10;
    static final long GUEST6_HI = 0x2001_0db8_0001_0000L, GUEST6_LO = 2;

    final FakeUdpSocks kernel = new FakeUdpSocks();
    final IcmpTest.Recorder tap = new IcmpTest.Recorder();
    final FlowTable flows = new FlowTable(64, 9);
    int nsSockets = 900;

    Udp udp(AddrMap map) {
        return new Udp(CONF, () -> flows, kernel, tap, map, v6 -> nsSockets++, () -> GUEST_MAC);
    }

    Udp udp() {
        return udp(AddrMap.defaults(CONF, true));
    }

    private TapPath path;
    private Udp pathFor;

    int fromTap(Udp udp, byte[] frame, long now) {
        if (pathFor != udp) {
            path = new TapPath(null, udp, tap);
            pathFor = udp;
        }
        int r = path.frame(frame, now);
        udp.flush(); // the end of the loop's burst of tap frames
        return r;
    }

    static long v4(int a) {
        return Inany.v4Lo(a);
    }

    // --- from the guest ---

    @Test
    void guestDatagramOpensAFlowOnItsSourcePortConnectedToTheDestination() {
        Udp udp = udp();
        assertEquals(TapHandler.HANDLED, fromTap(udp, udp4(GUEST4, 40000, REMOTE4, 7000, "ping"), 0));
        FakeUdpSocks.Sock s = kernel.last();
        assertEquals(40000, s.localPort, "the remote sees the guest's source port");
        assertEquals(v4(REMOTE4), s.dstLo);
        assertEquals(7000, s.dstPort);
        assertEquals("ping", new String(s.sent.getFirst().data(), StandardCharsets.US_ASCII));
        assertEquals(TapHandler.HANDLED, fromTap(udp, udp4(GUEST4, 40000, REMOTE4, 7000, "again"), SEC));
        assertEquals(1, kernel.opened.size(), "one flow, one socket");
        assertEquals(2, s.sent.size());
    }

    @Test
    void aBurstOfSmallDatagramsGoesOutInOneBatchInOrder() {
        Udp udp = udp();
        TapPath p = new TapPath(null, udp, tap);
        for (int i = 0; i < 5; i++) {
            p.frame(udp4(GUEST4, 40000, REMOTE4, 7000, "d" + i), i);
        }
        assertTrue(kernel.opened.getFirst().sent.isEmpty(), "held until the end of the burst");
        p.frame(udp4(GUEST4, 40001, REMOTE4, 7000, "other"), 5);
        assertEquals(5, kernel.opened.getFirst().sent.size(), "another flow's datagram sends the first flow's");
        udp.flush();
        assertEquals("other", new String(kernel.last().sent.getFirst().data(), StandardCharsets.US_ASCII));
        for (int i = 0; i < 5; i++) {
            assertEquals("d" + i, new String(kernel.opened.getFirst().sent.get(i).data(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aTakenSourcePortGivesTheSocketAnyPort() {
        kernel.taken.add(40000);
        Udp udp = udp();
        fromTap(udp, udp4(GUEST4, 40000, REMOTE4, 7000, "x"), 0);
        assertTrue(kernel.last().localPort != 40000);
    }

    @Test
    void replyReachesTheGuestFromTheAddressItSentTo() {
        Udp udp = udp();
        fromTap(udp, udp4(GUEST4, 40000, REMOTE4, 7000, "q"), 0);
        FakeUdpSocks.Sock s = kernel.last();
        s.inbound.add(new FakeUdpSocks.Datagram(bytes("answer"), 0, v4(REMOTE4), 7000));
        udp.sockEvent(s.flow, s.fd, Linux.EPOLLIN, SEC);
        byte[] f = tap.only();
        assertEquals(REMOTE4, i32(f, 26), "source: the remote");
        assertEquals(GUEST4, i32(f, 30), "destination: the guest");
        assertEquals(7000, u16(f, 34));
        assertEquals(40000, u16(f, 36));
        assertEquals(8 + 6, u16(f, 38), "UDP length");
        assertEquals(0, u16(f, 40), "no UDP checksum over IPv4, as pasta");
        assertEquals(255, f[22] & 0xff, "TTL");
        assertTrue(Checksum.verify(MemorySegment.ofArray(f), 14, 20, 0), "IPv4 header checksum");
        assertEquals("answer", new String(f, 42, 6, StandardCharsets.US_ASCII));
        assertEquals(GUEST_MAC, MacAddr.read(MemorySegment.ofArray(f), 0));
    }

    @Test
    void ipv6ReplyCarriesAValidChecksum() {
        Udp udp = udp();
        fromTap(udp, udp6(GUEST6_HI, GUEST6_LO, 40000, REMOTE6_HI, REMOTE6_LO, 7000, "q6"), 0);
        FakeUdpSocks.Sock s = kernel.last();
        assertTrue(s.v6);
        s.inbound.add(new FakeUdpSocks.Datagram(bytes("a6"), REMOTE6_HI, REMOTE6_LO, 7000));
        udp.sockEvent(s.flow, s.fd, Linux.EPOLLIN, SEC);
        byte[] f = tap.only();
        MemorySegment m = MemorySegment.ofArray(f);
        assertEquals(17, f[20], "next header UDP");
        assertTrue(Checksum.verify(m, 54, 10, Checksum.pseudo6(m, 22, 17, 10)), "UDP checksum over IPv6");
    }

    @Test
    void dnsForwardGoesToTheResolverAndTheAnswerComesFromTheForwardAddress() {
        AddrMap map = AddrMap.builder(CONF).dnsForward(IpLiteral.parse("169.254.1.1"))
                .dnsHost(IpLiteral.parse("198.51.100.53")).build();
        Udp udp = udp(map);
        int fwd = 0xa9fe0101, resolver = 0xc6336435;
        fromTap(udp, udp4(GUEST4, 33333, fwd, 53, "query"), 0);
        FakeUdpSocks.Sock s = kernel.last();
        assertEquals(v4(resolver), s.dstLo, "sent to the resolver");
        s.inbound.add(new FakeUdpSocks.Datagram(bytes("answer"), 0, v4(resolver), 53));
        udp.sockEvent(s.flow, s.fd, Linux.EPOLLIN, SEC);
        assertEquals(fwd, i32(tap.only(), 26), "the answer appears to come from the --dns-forward address");
    }

    @Test
    void theGatewayReachesTheHostsLoopback() {
        Udp udp = udp();
        fromTap(udp, udp4(GUEST4, 40001, GATEWAY4, 7000, "x"), 0);
        assertEquals(v4(0x7f000001), kernel.last().dstLo);
    }

    @Test
    void multicastBroadcastAndPortZeroAreDroppedAndCounted() {
        Udp udp = udp();
        fromTap(udp, udp4(GUEST4, 5353, 0xe00000fb, 5353, "mdns"), 0);
        fromTap(udp, udp4(GUEST4, 40000, -1, 7000, "bcast"), 0);
        fromTap(udp, udp4(GUEST4, 40000, REMOTE4, 0, "port 0"), 0);
        assertEquals(3, udp.stats().drops(Udp.BAD_ADDRESS));
        assertTrue(kernel.opened.isEmpty());
    }

    @Test
    void socketFailureIsCountedAndLeavesNoFlow() {
        kernel.openResult = -24; // EMFILE
        Udp udp = udp();
        assertEquals(TapHandler.DROPPED, fromTap(udp, udp4(GUEST4, 40000, REMOTE4, 7000, "x"), 0));
        assertEquals(1, udp.stats().drops(Udp.SOCKET));
        assertEquals(0, flows.count());
    }

    @Test
    void fullFlowTableDropsCleanly() {
        Udp udp = udp();
        for (int p = 1; p <= 64; p++) {
            fromTap(udp, udp4(GUEST4, 10000 + p, REMOTE4, 7000, "x"), 0);
        }
        assertEquals(64, udp.flowCount());
        assertEquals(TapHandler.DROPPED, fromTap(udp, udp4(GUEST4, 20000, REMOTE4, 7000, "x"), 0));
        assertEquals(1, udp.stats().drops(Udp.TABLE_FULL));
    }

    // --- ICMP errors ---

    @Test
    void portUnreachableReachesTheGuestQuotingItsDatagram() {
        Udp udp = udp();
        fromTap(udp, udp4(GUEST4, 40000, REMOTE4, 7001, "hello"), 0);
        FakeUdpSocks.Sock s = kernel.last();
        s.errors.add(new FakeUdpSocks.Err(Linux.SO_EE_ORIGIN_ICMP, 3, 3, 0, 0, v4(REMOTE4), bytes("hello")));
        udp.sockEvent(s.flow, s.fd, Linux.EPOLLERR, SEC);
        byte[] f = tap.only();
        MemorySegment m = MemorySegment.ofArray(f);
        assertEquals(1, f[23], "ICMP");
        assertEquals(REMOTE4, i32(f, 26), "from the destination");
        assertEquals(GUEST4, i32(f, 30));
        assertEquals(3, f[34]);
        assertEquals(3, f[35], "port unreachable");
        int icmpLen = u16(f, 16) - 20;
        assertTrue(Checksum.verify(m, 34, icmpLen, 0), "ICMP checksum");
        assertEquals(GUEST4, i32(f, 42 + 12), "quoted source: the guest");
        assertEquals(REMOTE4, i32(f, 42 + 16), "quoted destination");
        assertTrue(Checksum.verify(m, 42, 20, 0), "quoted IPv4 header checksum");
        assertEquals(40000, u16(f, 62));
        assertEquals(7001, u16(f, 64));
        assertEquals("hello", new String(f, 70, 5, StandardCharsets.US_ASCII));
        assertEquals(1, udp.stats().get(Udp.ICMP_TO_TAP));
    }

    @Test
    void ipv6PortUnreachableHasAValidChecksum() {
        Udp udp = udp();
        fromTap(udp, udp6(GUEST6_HI, GUEST6_LO, 40000, REMOTE6_HI, REMOTE6_LO, 7001, "x"), 0);
        FakeUdpSocks.Sock s = kernel.last();
        s.errors.add(new FakeUdpSocks.Err(Linux.SO_EE_ORIGIN_ICMP6, 1, 4, 0, REMOTE6_HI, REMOTE6_LO, bytes("x")));
        udp.sockEvent(s.flow, s.fd, Linux.EPOLLERR, SEC);
        byte[] f = tap.only();
        MemorySegment m = MemorySegment.ofArray(f);
        assertEquals(58, f[20], "ICMPv6");
        assertEquals(1, f[54]);
        assertEquals(4, f[55]);
        int len = u16(f, 18);
        assertTrue(Checksum.verify(m, 54, len, Checksum.pseudo6(m, 22, 58, len)), "ICMPv6 checksum");
    }

    @Test
    void fragmentationNeededCarriesTheMtu() {
        Udp udp = udp();
        fromTap(udp, udp4(GUEST4, 40000, REMOTE4, 7001, "big"), 0);
        FakeUdpSocks.Sock s = kernel.last();
        s.errors.add(new FakeUdpSocks.Err(Linux.SO_EE_ORIGIN_ICMP, 3, 4, 1400, 0, v4(0xc6336401), bytes("big")));
        udp.sockEvent(s.flow, s.fd, Linux.EPOLLERR, SEC);
        byte[] f = tap.only();
        assertEquals(1400, u16(f, 40), "next-hop MTU");
        assertEquals(0xc6336401, i32(f, 26), "from the router that said it");
    }

    // --- expiry ---

    @Test
    void aFlowExpiresAfterThirtySecondsIdle() {
        Udp udp = udp();
        fromTap(udp, udp4(GUEST4, 40000, REMOTE4, 7000, "x"), 0);
        FakeUdpSocks.Sock s = kernel.last();
        assertEquals(Udp.IDLE_NS, udp.nextDeadlineNs());
        udp.timer(Udp.IDLE_NS - 1);
        assertFalse(s.closed);
        udp.timer(Udp.IDLE_NS);
        assertTrue(s.closed);
        assertEquals(0, flows.count());
        assertEquals(1, udp.stats().get(Udp.EXPIRED));
    }

    @Test
    void aStreamLastsOneHundredEightySeconds() {
        Udp udp = udp();
        for (int i = 0; i < 2; i++) {
            fromTap(udp, udp4(GUEST4, 40000, REMOTE4, 7000, "q"), i);
            FakeUdpSocks.Sock s = kernel.last();
            s.inbound.add(new FakeUdpSocks.Datagram(bytes("a"), 0, v4(REMOTE4), 7000));
            udp.sockEvent(s.flow, s.fd, Linux.EPOLLIN, i);
        }
        udp.timer(Udp.IDLE_NS + 10);
        assertFalse(kernel.last().closed, "both sides sent more than one datagram: a stream");
        udp.timer(Udp.STREAM_NS + 10);
        assertTrue(kernel.last().closed);
    }

    // --- listeners ---

    @Test
    void aRemotePeerOfAListenerReachesTheGuestWithItsAddressAndTheReplyGoesBackThroughTheListener() {
        Udp udp = udp();
        FakeUdpSocks.Sock l = kernel.listener(true);
        l.inbound.add(new FakeUdpSocks.Datagram(bytes("hi"), 0, v4(REMOTE4), 41000));
        udp.fromListener(l.fd, false, true, 5000, 6000, 0);
        byte[] f = tap.only();
        assertEquals(REMOTE4, i32(f, 26), "the peer's address, kept");
        assertEquals(GUEST4, i32(f, 30));
        assertEquals(41000, u16(f, 34));
        assertEquals(6000, u16(f, 36), "the target port");
        fromTap(udp, udp4(GUEST4, 6000, REMOTE4, 41000, "back"), SEC);
        FakeUdpSocks.Datagram back = l.sent.getFirst();
        assertEquals("back", new String(back.data(), StandardCharsets.US_ASCII));
        assertEquals(v4(REMOTE4), back.lo());
        assertEquals(41000, back.port());
        assertTrue(kernel.opened.isEmpty(), "no socket of its own: the listener carries the replies");
    }

    @Test
    void beforeTheGuestSentAnyFrameItsDatagramsGoToBroadcast() {
        Udp udp = new Udp(CONF, () -> flows, kernel, tap, AddrMap.defaults(CONF, true), v6 -> -1,
                () -> MacAddr.NONE);
        FakeUdpSocks.Sock l = kernel.listener(true);
        l.inbound.add(new FakeUdpSocks.Datagram(bytes("early"), 0, v4(REMOTE4), 41000));
        udp.fromListener(l.fd, false, true, 5000, 6000, 0);
        assertEquals(MacAddr.BROADCAST, MacAddr.read(MemorySegment.ofArray(tap.only()), 0),
                "a frame to 00:00:00:00:00:00 would be dropped by the guest");
    }

    @Test
    void aLoopbackPeerIsSplicedInBatchesAndRepliesReturnToIt() {
        Udp udp = udp();
        FakeUdpSocks.Sock l = kernel.listener(false);
        for (int i = 0; i < 3; i++) {
            l.inbound.add(new FakeUdpSocks.Datagram(bytes("d" + i), 0, v4(0x7f000001), 42000));
        }
        udp.fromListener(l.fd, false, false, 5000, 5000, 0);
        FakeUdpSocks.Sock far = kernel.last();
        assertTrue(far.spliced);
        assertEquals(900, far.fd, "a socket of the namespace, from the pool");
        assertEquals(42000, far.localPort, "bound to the peer's port");
        assertEquals(3, far.sent.size());
        assertTrue(tap.sent.isEmpty(), "never through the tap");
        far.inbound.add(new FakeUdpSocks.Datagram(bytes("r"), 0, v4(0x7f000001), 5000));
        udp.sockEvent(far.flow, far.fd, Linux.EPOLLIN, SEC);
        assertEquals(42000, l.sent.getFirst().port());
        assertEquals(4, udp.stats().get(Udp.RELAYED));
    }

    @Test
    void closingAListenerEndsItsFlows() {
        Udp udp = udp();
        FakeUdpSocks.Sock l = kernel.listener(false);
        l.inbound.add(new FakeUdpSocks.Datagram(bytes("d"), 0, v4(0x7f000001), 42000));
        udp.fromListener(l.fd, false, false, 5000, 5000, 0);
        udp.listenerClosed(l.fd);
        assertTrue(kernel.last().closed);
        assertEquals(0, flows.count());
    }

    @Test
    void aDatagramTooBigForTheTapIsDroppedAndCounted() {
        Udp udp = udp();
        fromTap(udp, udp4(GUEST4, 40000, REMOTE4, 7000, "q"), 0);
        FakeUdpSocks.Sock s = kernel.last();
        s.inbound.add(new FakeUdpSocks.Datagram(new byte[65507], 0, v4(REMOTE4), 7000));
        udp.sockEvent(s.flow, s.fd, Linux.EPOLLIN, SEC);
        assertTrue(tap.sent.isEmpty());
        assertEquals(1, udp.stats().drops(Udp.TOO_BIG));
    }

    // --- bad input ---

    @Test
    void randomAndMutatedFramesNeverThrowAndEveryDropIsCountedOnce() {
        Udp udp = udp();
        fromTap(udp, new byte[0], 0);
        SplittableRandom rnd = new SplittableRandom(12);
        byte[][] seeds = {udp4(GUEST4, 40000, REMOTE4, 7000, "seed"), udp6(GUEST6_HI, GUEST6_LO, 40001, REMOTE6_HI,
            REMOTE6_LO, 7000, "seed6"), udp4(GUEST4, 40002, GATEWAY4, 53, "dns")};
        for (int i = 0; i < 20_000; i++) {
            byte[] f = seeds[i % seeds.length].clone();
            for (int k = rnd.nextInt(1, 5); k > 0; k--) {
                f[rnd.nextInt(f.length)] = (byte) rnd.nextInt(256);
            }
            if (rnd.nextInt(4) == 0) {
                f = Arrays.copyOf(f, rnd.nextInt(f.length + 1));
            }
            if (rnd.nextInt(3) == 0) {
                fixChecksums(f);
            }
            long before = udp.stats().dropsTotal() + path.dropsBeforeEngines();
            int r = fromTap(udp, f, i * SEC / 100);
            long dropped = udp.stats().dropsTotal() + path.dropsBeforeEngines() - before;
            assertEquals(r == TapHandler.DROPPED ? 1 : 0, dropped, "frame " + i);
            udp.timer(i * SEC / 100);
        }
        assertTrue(udp.stats().get(Udp.FROM_TAP) > 1000, "mutations reach the engine");
    }

    @Test
    void steadyTrafficAllocatesNothingPerDatagram() {
        MemorySegment req = MemorySegment.ofArray(udp4(GUEST4, 40000, REMOTE4, 7000, "payload"));
        MemorySegment off = java.lang.foreign.Arena.ofAuto().allocate(req.byteSize());
        off.copyFrom(req);
        NullSocks nul = new NullSocks();
        Udp quiet = new Udp(CONF, () -> new FlowTable(64, 3), nul, (m, o, l) -> { }, AddrMap.defaults(CONF, true),
                v6 -> -1, () -> GUEST_MAC);
        TapPath qp = new TapPath(null, quiet, (m, o, l) -> { });
        long allocated = IcmpAllocationTest.allocatedInSecondRound(20_000, i -> {
            qp.frame(off, (int) off.byteSize(), i);
            quiet.flush();
            quiet.sockEvent(0, NullSocks.FD, Linux.EPOLLIN, i);
        });
        assertTrue(allocated < 64 * 1024, allocated + " bytes allocated for 20000 datagrams each way");
        assertTrue(quiet.stats().get(Udp.TO_TAP) >= 20_000);
    }

    /** A kernel that takes every send and has one datagram waiting on every receive; allocates nothing. */
    static final class NullSocks implements UdpSocks {
        static final int FD = 77;

        @Override
        public int open(int flow, boolean v6, int localPort, long dstHi, long dstLo, int dstPort) {
            return FD;
        }

        @Override
        public int openSpliced(int flow, int fd, boolean v6, int srcPort, int dstPort) {
            return FD;
        }

        @Override
        public long send(int fd, MemorySegment buf, long off, int len) {
            return len;
        }

        @Override
        public long sendTo(int fd, boolean v6Socket, MemorySegment buf, long off, int len, long hi, long lo,
                           int port) {
            return len;
        }

        @Override
        public int recv(int fd, Datagrams d) {
            d.received(0, 100, false, 0, v4(REMOTE4), 7000);
            return 1;
        }

        @Override
        public int sendBatch(int fd, Datagrams d, int from, int n, boolean v6Socket, long hi, long lo, int port) {
            return n;
        }

        @Override
        public int recvError(int fd, SockError err, MemorySegment buf, long off, int cap) {
            return -11;
        }

        @Override
        public MemorySegment slotMemory(long len) {
            return java.lang.foreign.Arena.ofAuto().allocate(len, 64);
        }

        @Override
        public void close(int fd) {
        }
    }

    // --- frames ---

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** A guest's UDP datagram over IPv4, checksums included. */
    static byte[] udp4(int src, int sport, int dst, int dport, String data) {
        byte[] d = bytes(data);
        byte[] f = new byte[14 + 20 + 8 + d.length];
        MemorySegment m = MemorySegment.ofArray(f);
        eth(m, 0x0800);
        Be.put8(m, 14, 0x45);
        Be.put16(m, 16, 28 + d.length);
        Be.put16(m, 20, 0x4000);
        Be.put8(m, 22, 64);
        Be.put8(m, 23, 17);
        Be.put32(m, 26, src);
        Be.put32(m, 30, dst);
        Be.put16(m, 34, sport);
        Be.put16(m, 36, dport);
        Be.put16(m, 38, 8 + d.length);
        System.arraycopy(d, 0, f, 42, d.length);
        fixChecksums(f);
        return f;
    }

    /** A guest's UDP datagram over IPv6, checksum included. */
    static byte[] udp6(long srcHi, long srcLo, int sport, long dstHi, long dstLo, int dport, String data) {
        byte[] d = bytes(data);
        byte[] f = new byte[14 + 40 + 8 + d.length];
        MemorySegment m = MemorySegment.ofArray(f);
        eth(m, 0x86dd);
        Be.put32(m, 14, 6 << 28);
        Be.put16(m, 18, 8 + d.length);
        Be.put8(m, 20, 17);
        Be.put8(m, 21, 64);
        Be.put64(m, 22, srcHi);
        Be.put64(m, 30, srcLo);
        Be.put64(m, 38, dstHi);
        Be.put64(m, 46, dstLo);
        Be.put16(m, 54, sport);
        Be.put16(m, 56, dport);
        Be.put16(m, 58, 8 + d.length);
        System.arraycopy(d, 0, f, 62, d.length);
        fixChecksums(f);
        return f;
    }

    private static void eth(MemorySegment m, int type) {
        Be.put16(m, 0, (int) (MacAddr.PASTA_DEFAULT >>> 32));
        Be.put32(m, 2, (int) MacAddr.PASTA_DEFAULT);
        Be.put16(m, 6, (int) (GUEST_MAC >>> 32));
        Be.put32(m, 8, (int) GUEST_MAC);
        Be.put16(m, 12, type);
    }

    /** Recomputes the IPv4 header checksum and the UDP checksum of a frame whose lengths fit. */
    static void fixChecksums(byte[] f) {
        MemorySegment m = MemorySegment.ofArray(f);
        if (f.length >= 34 && u16(f, 12) == 0x0800) {
            Be.put16(m, 24, 0);
            Be.put16(m, 24, Checksum.finish(Checksum.sum(m, 14, 20, 0)));
        } else if (f.length >= 62 && u16(f, 12) == 0x86dd && f[20] == 17) {
            int len = u16(f, 18);
            if (54 + len <= f.length && len >= 8) {
                Be.put16(m, 60, 0);
                Be.put16(m, 60, Checksum.finish(Checksum.sum(m, 54, len, Checksum.pseudo6(m, 22, 17, len))));
            }
        }
    }
}
