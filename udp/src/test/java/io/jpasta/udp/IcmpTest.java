package io.jpasta.udp;

import io.jpasta.netns.log.Log;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.TapHandler;
import io.jpasta.tap.TapSink;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.wire.Be;
import io.jpasta.tap.wire.Checksum;
import io.jpasta.tap.wire.EthHeader;
import io.jpasta.tap.wire.Ipv4Header;
import io.jpasta.tap.wire.MacAddr;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Engine tests of {@link Icmp}: fixtures from the reference captures of pasta, a fake kernel, a fake clock. */
class IcmpTest {
    static final long GUEST_MAC = 0x7aca_430d_a3ceL;
    static final int GUEST4 = 0xc633_6402;      // 198.51.100.2
    static final int REMOTE4 = 0xc633_64c8;     // 198.51.100.200
    static final int GATEWAY4 = 0xc633_6401;    // 198.51.100.1
    static final long SEC = 1_000_000_000L;
    /** Where the ICMP message starts in the IPv4 and IPv6 fixtures (no options, no extension headers). */
    static final int L4_V4 = 34, L4_V6 = 54;

    final FakePingSockets kernel = new FakePingSockets();
    final List<String> log = new ArrayList<>();
    final Recorder tap = new Recorder();

    Icmp icmp(boolean noIcmp, int capacity) {
        return new Icmp(conf(noIcmp), () -> new FlowTable(capacity, 42), kernel, null);
    }

    Icmp icmp() {
        return icmp(false, 16);
    }

    static TapConf conf(boolean noIcmp) {
        return TapConf.builder().mtu(65520).noIcmp(noIcmp).build();
    }

    // --- requests ---

    @Test
    void echoRequestIsSentThroughPingSocketBoundToTheGuestsId() {
        Icmp icmp = icmp();
        byte[] req = bytes("icmp-echo-request");
        assertEquals(TapHandler.HANDLED, fromTap(icmp, req, 0));
        assertEquals(1, kernel.opened.size());
        FakePingSockets.Sock s = kernel.opened.getFirst();
        assertFalse(s.v6);
        assertEquals(0xed47, s.id);
        assertEquals(1, s.sent.size());
        assertArrayEquals(Arrays.copyOfRange(req, L4_V4, req.length), s.sent.getFirst().msg());
        assertEquals(REMOTE4, (int) s.sent.getFirst().dstLo());
        assertEquals(1, icmp.stats().requests(false));
        assertEquals(0, icmp.stats().dropsTotal());
    }

    @Test
    void echo6RequestIsSentThroughPingSocketToTheDestination() {
        Icmp icmp = icmp();
        byte[] req = bytes("icmpv6-echo-request");
        assertEquals(TapHandler.HANDLED, fromTap(icmp, req, 0));
        FakePingSockets.Sock s = kernel.opened.getFirst();
        assertTrue(s.v6);
        assertEquals(0xed48, s.id);
        assertArrayEquals(Arrays.copyOfRange(req, L4_V6, req.length), s.sent.getFirst().msg());
        assertEquals(0x2001_0db8_0002_0000L, s.sent.getFirst().dstHi());
        assertEquals(0x10L, s.sent.getFirst().dstLo());
        assertEquals(1, icmp.stats().requests(true));
    }

    @Test
    void sameIdAndDestinationReuseOneSocket() {
        Icmp icmp = icmp();
        fromTap(icmp, echo4(GUEST4, REMOTE4, 7, 1, 56), 0);
        fromTap(icmp, echo4(GUEST4, REMOTE4, 7, 2, 56), SEC);
        assertEquals(1, kernel.opened.size());
        assertEquals(2, kernel.opened.getFirst().sent.size());
        assertEquals(1, icmp.flowCount());
    }

    // --- replies ---

    @Test
    void replyFromSocketIsTheCapturedReplyFrame() {
        Icmp icmp = icmp();
        fromTap(icmp, bytes("icmp-echo-request"), 0);
        FakePingSockets.Sock s = kernel.opened.getFirst();
        byte[] expected = bytes("icmp-echo-reply");
        s.inbound.add(Arrays.copyOfRange(expected, L4_V4, expected.length));
        icmp.fromSock(s.watchedFlow, s.fd, GUEST_MAC, SEC, tap);
        assertEquals(hex(expected), hex(tap.only()));
        assertEquals(1, icmp.stats().replies(false));
    }

    @Test
    void reply6FromSocketIsTheCapturedReplyFrame() {
        Icmp icmp = icmp();
        fromTap(icmp, bytes("icmpv6-echo-request"), 0);
        FakePingSockets.Sock s = kernel.opened.getFirst();
        byte[] expected = bytes("icmpv6-echo-reply");
        byte[] msg = Arrays.copyOfRange(expected, L4_V6, expected.length);
        msg[2] = msg[3] = 0;        // the checksum is ours to compute, whatever the socket delivered
        s.inbound.add(msg);
        icmp.fromSock(s.watchedFlow, s.fd, GUEST_MAC, SEC, tap);
        assertEquals(hex(expected), hex(tap.only()));
        assertEquals(1, icmp.stats().replies(true));
    }

    @Test
    void allQueuedRepliesAreWrittenInOrder() {
        Icmp icmp = icmp();
        fromTap(icmp, echo4(GUEST4, GATEWAY4, 9, 1, 0), 0);
        FakePingSockets.Sock s = kernel.opened.getFirst();
        for (int seq = 1; seq <= 3; seq++) {
            s.inbound.add(kernelReply4(9, seq, 0));
        }
        icmp.fromSock(s.watchedFlow, s.fd, GUEST_MAC, SEC, tap);
        assertEquals(3, tap.sent.size());
        for (int i = 0; i < 3; i++) {
            byte[] f = tap.sent.get(i);
            assertEquals(EthHeader.MIN_FRAME, f.length, "42-byte reply padded to the Ethernet minimum");
            assertEquals(i + 1, u16(f, L4_V4 + 6));
            assertEquals(GATEWAY4, i32(f, 26), "source is the address the guest pinged");
            assertEquals(GUEST4, i32(f, 30));
            assertChecksums4(f);
        }
    }

    @Test
    void takenIdGetsKernelIdAndRepliesCarryTheGuestsIdBack() {
        Icmp icmp = icmp();
        fromTap(icmp, echo4(GUEST4, REMOTE4, 0x1234, 1, 16), 0);
        fromTap(icmp, echo4(GUEST4, GATEWAY4, 0x1234, 1, 16), 0);
        assertEquals(2, kernel.opened.size(), "one socket per (id, destination)");
        FakePingSockets.Sock first = kernel.opened.get(0), second = kernel.opened.get(1);
        assertEquals(0x1234, first.id);
        assertTrue(second.id != 0x1234 && second.id > 0, "second socket gets an identifier from the kernel");
        assertEquals(1, icmp.stats().idRemapped());

        second.inbound.add(kernelReply4(second.id, 1, 16));
        icmp.fromSock(second.watchedFlow, second.fd, GUEST_MAC, SEC, tap);
        byte[] f = tap.only();
        assertEquals(0x1234, u16(f, L4_V4 + 4));
        assertEquals(GATEWAY4, i32(f, 26));
        assertChecksums4(f);
    }

    @Test
    void idHeldByAnotherProcessFallsBackToKernelId() {
        kernel.takenByOther(true, 0xed48);
        Icmp icmp = icmp();
        assertEquals(TapHandler.HANDLED, fromTap(icmp, bytes("icmpv6-echo-request"), 0));
        FakePingSockets.Sock s = kernel.opened.getFirst();
        assertTrue(s.id != 0xed48);
        byte[] expected = bytes("icmpv6-echo-reply");
        byte[] msg = Arrays.copyOfRange(expected, L4_V6, expected.length);
        msg[4] = (byte) (s.id >> 8);
        msg[5] = (byte) s.id;
        s.inbound.add(msg);
        icmp.fromSock(s.watchedFlow, s.fd, GUEST_MAC, SEC, tap);
        assertEquals(hex(expected), hex(tap.only()));
    }

    @Test
    void replyOfWrongTypeFromSocketIsCountedNotWritten() {
        Icmp icmp = icmp();
        fromTap(icmp, echo4(GUEST4, REMOTE4, 5, 1, 8), 0);
        FakePingSockets.Sock s = kernel.opened.getFirst();
        byte[] msg = kernelReply4(5, 1, 8);
        msg[0] = 3;     // destination unreachable
        s.inbound.add(msg);
        s.inbound.add(new byte[4]);
        icmp.fromSock(s.watchedFlow, s.fd, GUEST_MAC, SEC, tap);
        assertTrue(tap.sent.isEmpty());
        assertEquals(1, icmp.stats().drops(IcmpStats.UNSUPPORTED));
        assertEquals(1, icmp.stats().drops(IcmpStats.MALFORMED));
    }

    @Test
    void eventForAClosedSocketIsIgnored() {
        Icmp icmp = icmp();
        fromTap(icmp, echo4(GUEST4, REMOTE4, 5, 1, 8), 0);
        FakePingSockets.Sock s = kernel.opened.getFirst();
        icmp.timer(Icmp.IDLE_TIMEOUT_NS);
        icmp.fromSock(s.watchedFlow, s.fd, GUEST_MAC, Icmp.IDLE_TIMEOUT_NS, tap);
        icmp.fromSock(12, 777, GUEST_MAC, Icmp.IDLE_TIMEOUT_NS, tap);
        assertTrue(tap.sent.isEmpty());
        assertEquals(0, icmp.stats().dropsTotal());
    }

    // --- expiry ---

    @Test
    void idleFlowExpiresAfterSixtySeconds() {
        FlowTable flows = new FlowTable(16, 1);
        Icmp icmp = new Icmp(conf(false), () -> flows, kernel, null);
        long t0 = 5 * SEC;
        assertEquals(Long.MAX_VALUE, icmp.nextDeadlineNs());
        fromTap(icmp, echo4(GUEST4, REMOTE4, 3, 1, 8), t0);
        assertEquals(t0 + Icmp.IDLE_TIMEOUT_NS, icmp.nextDeadlineNs());
        FakePingSockets.Sock s = kernel.opened.getFirst();

        icmp.timer(t0 + Icmp.IDLE_TIMEOUT_NS - 1);
        assertFalse(s.closed);
        icmp.timer(t0 + Icmp.IDLE_TIMEOUT_NS);
        assertTrue(s.closed);
        assertEquals(0, flows.count());
        assertEquals(0, icmp.flowCount());
        assertEquals(1, icmp.stats().flowsExpired());
        assertEquals(Long.MAX_VALUE, icmp.nextDeadlineNs());

        fromTap(icmp, echo4(GUEST4, REMOTE4, 3, 2, 8), t0 + 61 * SEC);
        assertEquals(2, kernel.opened.size(), "a new request after expiry opens a new socket");
    }

    @Test
    void activityPostponesExpiry() {
        Icmp icmp = icmp();
        fromTap(icmp, echo4(GUEST4, REMOTE4, 3, 1, 8), 0);
        fromTap(icmp, echo4(GUEST4, GATEWAY4, 4, 1, 8), 0);
        FakePingSockets.Sock a = kernel.opened.get(0), b = kernel.opened.get(1);
        fromTap(icmp, echo4(GUEST4, REMOTE4, 3, 2, 8), 30 * SEC);
        b.inbound.add(kernelReply4(4, 1, 8));
        icmp.fromSock(b.watchedFlow, b.fd, GUEST_MAC, 50 * SEC, tap);

        icmp.timer(60 * SEC);
        assertFalse(a.closed);
        assertFalse(b.closed);
        assertEquals(90 * SEC, icmp.nextDeadlineNs());
        icmp.timer(90 * SEC);
        assertTrue(a.closed);
        assertFalse(b.closed);
        assertEquals(110 * SEC, icmp.nextDeadlineNs());
        icmp.timer(110 * SEC);
        assertTrue(b.closed);
        assertEquals(0, icmp.flowCount());
    }

    // --- refusals ---

    @Test
    void noIcmpDropsEchoRequestsWithoutSockets() {
        Icmp icmp = icmp(true, 16);
        assertEquals(TapHandler.DROPPED, fromTap(icmp, bytes("icmp-echo-request"), 0));
        assertEquals(TapHandler.DROPPED, fromTap(icmp, bytes("icmpv6-echo-request"), 0));
        assertEquals(2, icmp.stats().drops(IcmpStats.DISABLED));
        assertTrue(kernel.opened.isEmpty());
    }

    @Test
    void fullFlowTableIsACountedDrop() {
        Icmp icmp = icmp(false, 1);
        assertEquals(TapHandler.HANDLED, fromTap(icmp, echo4(GUEST4, REMOTE4, 1, 1, 8), 0));
        assertEquals(TapHandler.DROPPED, fromTap(icmp, echo4(GUEST4, GATEWAY4, 1, 1, 8), 0));
        assertEquals(1, icmp.stats().drops(IcmpStats.TABLE_FULL));
        assertEquals(1, kernel.opened.size());
    }

    @Test
    void pingSocketsNotPermittedIsCountedAndLoggedOnce() {
        kernel.openResult = -13;    // EACCES: our group is outside net.ipv4.ping_group_range
        FlowTable flows = new FlowTable(16, 1);
        Icmp icmp = new Icmp(conf(false), () -> flows, kernel, null);
        Log.configure(true, false, false);
        Log.sink(log::add);
        try {
            assertEquals(TapHandler.DROPPED, fromTap(icmp, bytes("icmp-echo-request"), 0));
            assertEquals(TapHandler.DROPPED, fromTap(icmp, bytes("icmp-echo-request"), SEC));
        } finally {
            Log.sink(null);
            Log.configure(false, false, false);
        }
        assertEquals(2, icmp.stats().drops(IcmpStats.NOT_PERMITTED));
        assertEquals(0, flows.count(), "no flow left behind");
        assertEquals(1, log.size());
        assertTrue(log.getFirst().contains("ping_group_range"), log.getFirst());
    }

    @Test
    void sendErrorIsCounted() {
        kernel.sendResult = -101;   // ENETUNREACH
        Icmp icmp = icmp();
        assertEquals(TapHandler.DROPPED, fromTap(icmp, bytes("icmp-echo-request"), 0));
        assertEquals(1, icmp.stats().drops(IcmpStats.SEND));
    }

    @Test
    void truncatedEchoIsCountedMalformed() {
        Icmp icmp = icmp();
        byte[] f = echo4(GUEST4, REMOTE4, 1, 1, 0);
        // IP total length covering only 4 bytes of ICMP
        Be.put16(MemorySegment.ofArray(f), 14 + 2, 24);
        fixIp4Checksum(f);
        assertEquals(TapHandler.DROPPED, fromTap(icmp, Arrays.copyOf(f, 14 + 24), 0));
        assertEquals(1, icmp.stats().drops(IcmpStats.MALFORMED));
        assertTrue(kernel.opened.isEmpty());
    }

    @Test
    void badIcmpChecksumIsCounted() {
        Icmp icmp = icmp();
        byte[] f = bytes("icmp-echo-request");
        f[f.length - 1] ^= 1;
        assertEquals(TapHandler.DROPPED, fromTap(icmp, f, 0));
        byte[] g = bytes("icmpv6-echo-request");
        g[g.length - 1] ^= 1;
        assertEquals(TapHandler.DROPPED, fromTap(icmp, g, 0));
        assertEquals(2, icmp.stats().drops(IcmpStats.BAD_CHECKSUM));
    }

    @Test
    void echoRepliesAndErrorsFromTheGuestAreNotForwarded() {
        Icmp icmp = icmp();
        assertEquals(TapHandler.DROPPED, fromTap(icmp, bytes("icmp-echo-reply"), 0));
        assertEquals(TapHandler.DROPPED, fromTap(icmp, bytes("icmpv6-echo-reply"), 0));
        assertEquals(2, icmp.stats().drops(IcmpStats.UNSUPPORTED));
        assertTrue(kernel.opened.isEmpty());
    }

    @Test
    void multicastAndBroadcastDestinationsAreRefused() {
        Icmp icmp = icmp();
        assertEquals(TapHandler.DROPPED, fromTap(icmp, echo4(GUEST4, -1, 1, 1, 8), 0));
        assertEquals(TapHandler.DROPPED, fromTap(icmp, echo4(GUEST4, 0xe000_0001, 1, 1, 8), 0));
        assertEquals(2, icmp.stats().drops(IcmpStats.UNSUPPORTED));
        assertTrue(kernel.opened.isEmpty());
    }

    @Test
    void otherProtocolsAndNdpNeverReachTheEngine() {
        Icmp icmp = icmp();
        byte[] udp = echo4(GUEST4, REMOTE4, 1, 1, 8);
        udp[14 + 9] = 17;
        fixIp4Checksum(udp);
        fromTap(icmp, udp, 0);
        byte[] ns = bytes("icmpv6-echo-request");
        ns[L4_V6] = (byte) 135;     // neighbour solicitation: the L2 services own it
        fromTap(icmp, ns, 0);
        byte[] arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        fromTap(icmp, arp, 0);
        assertEquals(0, icmp.stats().dropsTotal() + icmp.stats().requests(false) + icmp.stats().requests(true));
    }

    @Test
    void randomAndMutatedFramesNeverThrowAndEveryDropIsCounted() {
        Icmp icmp = icmp(false, 8);
        SplittableRandom rnd = new SplittableRandom(4);
        fromTap(icmp, new byte[0], 0); // builds the classifier in front of this engine
        byte[][] seeds = {bytes("icmp-echo-request"), bytes("icmpv6-echo-request"), echo4(GUEST4, GATEWAY4, 2, 2, 0)};
        for (int i = 0; i < 20_000; i++) {
            byte[] f = seeds[i % seeds.length].clone();
            int flips = rnd.nextInt(1, 6);
            for (int k = 0; k < flips; k++) {
                f[rnd.nextInt(f.length)] = (byte) rnd.nextInt(256);
            }
            if (rnd.nextInt(4) == 0) {
                f = Arrays.copyOf(f, rnd.nextInt(f.length + 1));
            }
            if (rnd.nextInt(8) == 0) {
                f = new byte[rnd.nextInt(200)];
                rnd.nextBytes(f);
            }
            long dropsBefore = icmp.stats().dropsTotal() + path.dropsBeforeEngines();
            long sentBefore = icmp.stats().requests(false) + icmp.stats().requests(true);
            int r = fromTap(icmp, f, i * SEC / 10);
            long drops = icmp.stats().dropsTotal() + path.dropsBeforeEngines() - dropsBefore;
            long sent = icmp.stats().requests(false) + icmp.stats().requests(true) - sentBefore;
            switch (r) {
                case TapHandler.HANDLED -> assertTrue(drops == 0 && sent <= 1, "ignored or sent");
                case TapHandler.DROPPED -> assertTrue(drops == 1 && sent == 0);
                default -> throw new AssertionError("result " + r);
            }
            icmp.timer(i * SEC / 10);
        }
    }

    // --- helpers ---

    /** The classifier in front of the engine under test (rebuilt when a test makes another engine). */
    private TapPath path;
    private Icmp pathFor;

    /** Delivers a frame through the classifier, as the loop does. */
    int fromTap(Icmp icmp, byte[] frame, long nowNs) {
        if (pathFor != icmp) {
            path = new TapPath(icmp, null, tap);
            pathFor = icmp;
        }
        return path.frame(frame, nowNs);
    }

    static byte[] bytes(String name) {
        try (InputStream in = IcmpTest.class.getResourceAsStream("/frames/" + name + ".bin")) {
            return Objects.requireNonNull(in, name).readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A guest's echo request, built byte by byte (RFC 791, RFC 792), checksums included. */
    static byte[] echo4(int src, int dst, int id, int seq, int dataLen) {
        byte[] f = new byte[14 + 20 + 8 + dataLen];
        MemorySegment m = MemorySegment.ofArray(f);
        Be.put16(m, 0, (int) (MacAddr.PASTA_DEFAULT >>> 32));
        Be.put32(m, 2, (int) MacAddr.PASTA_DEFAULT);
        Be.put16(m, 6, (int) (GUEST_MAC >>> 32));
        Be.put32(m, 8, (int) GUEST_MAC);
        Be.put16(m, 12, EthHeader.ETH_P_IP);
        Be.put8(m, 14, 0x45);
        Be.put16(m, 16, 20 + 8 + dataLen);
        Be.put16(m, 20, Ipv4Header.IP_DF);
        Be.put8(m, 22, 64);
        Be.put8(m, 23, 1);
        Be.put32(m, 26, src);
        Be.put32(m, 30, dst);
        fixIp4Checksum(f);
        Be.put8(m, 34, 8);
        Be.put16(m, 38, id);
        Be.put16(m, 40, seq);
        for (int i = 0; i < dataLen; i++) {
            f[42 + i] = (byte) i;
        }
        Be.put16(m, 36, Checksum.finish(Checksum.sum(m, 34, 8 + dataLen, 0)));
        return f;
    }

    /** What an IPv4 ping socket delivers: the echo reply message, identifier as the socket's. */
    static byte[] kernelReply4(int sockId, int seq, int dataLen) {
        byte[] msg = Arrays.copyOfRange(echo4(REMOTE4, GUEST4, sockId, seq, dataLen), 34, 42 + dataLen);
        MemorySegment m = MemorySegment.ofArray(msg);
        Be.put8(m, 0, 0);
        Be.put16(m, 2, 0);
        Be.put16(m, 2, Checksum.finish(Checksum.sum(m, 0, msg.length, 0)));
        return msg;
    }

    static void fixIp4Checksum(byte[] f) {
        MemorySegment m = MemorySegment.ofArray(f);
        Be.put16(m, 24, 0);
        Be.put16(m, 24, Checksum.finish(Checksum.sum(m, 14, 20, 0)));
    }

    static void assertChecksums4(byte[] f) {
        MemorySegment m = MemorySegment.ofArray(f);
        assertTrue(Checksum.verify(m, 14, 20, 0), "IPv4 header checksum");
        int tot = u16(f, 16);
        assertTrue(Checksum.verify(m, 34, tot - 20, 0), "ICMP checksum");
        assertEquals(MacAddr.PASTA_DEFAULT, MacAddr.read(m, 6));
        assertEquals(GUEST_MAC, MacAddr.read(m, 0));
        assertEquals(0, f[34], "echo reply");
        assertEquals(255, f[22] & 0xff, "TTL");
    }

    static int u16(byte[] f, int off) {
        return (f[off] & 0xff) << 8 | (f[off + 1] & 0xff);
    }

    static int i32(byte[] f, int off) {
        return u16(f, off) << 16 | u16(f, off + 2);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** Keeps copies of the frames written to the tap. */
    static final class Recorder implements TapSink {
        final List<byte[]> sent = new ArrayList<>();

        @Override
        public void send(MemorySegment frame, long offset, int length) {
            sent.add(frame.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
        }

        byte[] only() {
            assertEquals(1, sent.size(), "frames written to the tap");
            return sent.getFirst();
        }
    }
}
