package io.jpasta.tcp;

import io.jpasta.tap.Classifier;
import io.jpasta.tap.L2Services;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.TapSink;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.fwd.AddrMap;
import io.jpasta.tap.wire.Be;
import io.jpasta.tap.wire.Checksum;
import io.jpasta.tap.wire.EthHeader;
import io.jpasta.tap.wire.Ipv4Header;
import io.jpasta.tap.wire.Ipv6Header;
import io.jpasta.tap.wire.MacAddr;
import io.jpasta.tap.wire.TcpHeader;
import io.jpasta.tap.wire.TcpOptions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The engine-test DSL: a fake tap with a fake clock in front of a {@link Tcp} engine over {@link FakeSocks}.
 * {@code tap.send(seg().syn().seq(1000).mss(1460))} delivers a guest segment (one burst: frame then flush);
 * {@code tap.expect(tcp().flags(SYN | ACK).ack(1001))} takes the next frame the engine sent and checks it.
 */
final class TapDsl implements TapSink {
    /** Parses the DSL's frames and hands the TCP ones to the engine, as the launcher wires it. */
    private final Classifier classifier;
    private final L2Services l2;
    static final int FIN = TcpHeader.FIN, SYN = TcpHeader.SYN, RST = TcpHeader.RST, PSH = TcpHeader.PSH,
            ACK = TcpHeader.ACK_FLAG;
    static final long GUEST_MAC = 0x02_00_00_00_00_01L;
    static final String GUEST4 = "198.51.100.2", REMOTE4 = "203.0.113.5", GW4 = "198.51.100.1";
    static final String GUEST6 = "2001:db8:1::2", REMOTE6 = "2001:db8:2::10";
    static final int GUEST_PORT = 40000, REMOTE_PORT = 80;

    final FakeSocks socks = new FakeSocks();
    final FlowTable flows;
    final Tcp tcp;
    final ArrayDeque<byte[]> out = new ArrayDeque<>();
    long now = 1_000_000_000L;
    private final MemorySegment buf = Arena.ofAuto().allocate(70000, 64);

    TapDsl() {
        this(1500);
    }

    TapDsl(int mtu) {
        this(mtu, c -> AddrMap.defaults(c, true));
    }

    /** @param map the address translations, built over the DSL's tap configuration */
    TapDsl(int mtu, Function<TapConf, AddrMap> map) {
        this(mtu, map, 64);
    }

    /** @param flowCapacity size of the engine's flow table */
    TapDsl(int mtu, Function<TapConf, AddrMap> map, int flowCapacity) {
        flows = new FlowTable(flowCapacity, 42);
        TapConf conf = TapConf.builder().guestMac(GUEST_MAC).addr4((Inet4Address) ip(GUEST4), 30)
                .gateway4((Inet4Address) ip(GW4)).addr6((Inet6Address) ip(GUEST6), 64)
                .gateway6((Inet6Address) ip("2001:db8:1::1")).ourLinkLocal6((Inet6Address) ip("fe80::1")).mtu(mtu)
                .build();
        tcp = new Tcp(conf, flows, socks, this, map.apply(conf), 7);
        l2 = new L2Services(conf, new Random(1), 0, 0);
        classifier = new Classifier(l2, this).tcp(tcp);
        tcp.fixedIsn = true;
        tcp.isnForTest = 5000;
    }

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Override
    public void send(MemorySegment frame, long offset, int length) {
        out.add(frame.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Guest segments

    static Seg seg() {
        return new Seg();
    }

    /** A segment from the guest; defaults: IPv4, guest port 40000 to 203.0.113.5:80, ACK only, window 65535. */
    static final class Seg {
        boolean v6;
        String src = GUEST4, dst = REMOTE4;
        int sport = GUEST_PORT, dport = REMOTE_PORT, seq, ack, flags, win = 65535, mss = -1, ws = -1;
        byte[] data = new byte[0];

        Seg v6() {
            v6 = true;
            src = GUEST6;
            dst = REMOTE6;
            return this;
        }

        Seg dst(String a, int port) {
            dst = a;
            dport = port;
            return this;
        }

        Seg sport(int p) {
            sport = p;
            return this;
        }

        Seg syn() {
            flags |= SYN;
            return this;
        }

        Seg fin() {
            flags |= FIN;
            return this;
        }

        Seg rst() {
            flags |= RST;
            return this;
        }

        Seg flags(int f) {
            flags = f;
            return this;
        }

        Seg seq(int s) {
            seq = s;
            return this;
        }

        Seg ack(int a) {
            ack = a;
            flags |= ACK;
            return this;
        }

        Seg win(int w) {
            win = w;
            return this;
        }

        Seg mss(int m) {
            mss = m;
            return this;
        }

        Seg ws(int w) {
            ws = w;
            return this;
        }

        Seg data(byte[] d) {
            data = d;
            return this;
        }
    }

    private int build(Seg s) {
        int optLen = 0;
        long tcpOff = EthHeader.LEN + (s.v6 ? Ipv6Header.LEN : Ipv4Header.MIN_LEN);
        if ((s.flags & SYN) != 0) {
            optLen = TcpOptions.writeSyn(buf, tcpOff + 20, s.mss < 0 ? TcpOptions.NONE : s.mss, true, false, 0, 0,
                    s.ws < 0 ? TcpOptions.NONE : s.ws);
        }
        int l4Len = 20 + optLen + s.data.length;
        MemorySegment.copy(s.data, 0, buf, ValueLayout.JAVA_BYTE, tcpOff + 20 + optLen, s.data.length);
        new EthHeader().wrap(buf, 0).dst(MacAddr.PASTA_DEFAULT).src(GUEST_MAC)
                .type(s.v6 ? EthHeader.ETH_P_IPV6 : EthHeader.ETH_P_IP);
        long pseudo;
        byte[] a = ip(s.src).getAddress(), b = ip(s.dst).getAddress();
        if (s.v6) {
            Ipv6Header h = new Ipv6Header().wrap(buf, EthHeader.LEN);
            h.init(0, l4Len, 6, 64, Be.i32(MemorySegment.ofArray(a), 0) == 0 ? 0 : longAt(a, 0), longAt(a, 8),
                    longAt(b, 0), longAt(b, 8));
            pseudo = Checksum.pseudo6(buf, h.srcOff(), 6, l4Len);
        } else {
            int src = intAt(a), dst = intAt(b);
            new Ipv4Header().wrap(buf, EthHeader.LEN).init(20 + l4Len, 1, Ipv4Header.IP_DF, 64, 6, src, dst)
                    .fillChecksum();
            pseudo = Checksum.pseudo4(src, dst, 6, l4Len);
        }
        new TcpHeader().wrap(buf, tcpOff).init(s.sport, s.dport, s.seq, s.ack, 20 + optLen, s.flags, s.win)
                .fillChecksum(pseudo, l4Len);
        return (int) tcpOff + l4Len;
    }

    private static long longAt(byte[] a, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (a[off + i] & 0xff);
        }
        return v;
    }

    private static int intAt(byte[] a) {
        return (a[0] & 0xff) << 24 | (a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | (a[3] & 0xff);
    }

    /** Delivers one segment as a burst of its own (frame, then end of burst). @return the handler result */
    int send(Seg s) {
        int r = frame(s);
        tcp.flush(now);
        return r;
    }

    /** @return the frame {@code s} describes, as bytes (a seed for the fuzzer) */
    byte[] bytes(Seg s) {
        int len = build(s);
        return buf.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Delivers raw frame bytes as a burst of their own. @return the classifier's result */
    int raw(byte[] frame) {
        MemorySegment.copy(frame, 0, buf, ValueLayout.JAVA_BYTE, 0, frame.length);
        int r = classifier.frame(buf, 0, frame.length, now);
        tcp.flush(now);
        return r;
    }

    /** @return drops counted so far by the classifier and the engine */
    long drops() {
        return classifier.stats().dropsTotal() + l2.stats().dropsTotal() + tcp.stats().dropsTotal();
    }

    /** Delivers segments in one burst: one flush at the end. */
    void burst(Seg... segs) {
        for (Seg s : segs) {
            frame(s);
        }
        tcp.flush(now);
    }

    /** Delivers a segment as one frame of the current burst (no flush). @return the classifier's result */
    int frame(Seg s) {
        int len = build(s);
        return classifier.frame(buf, 0, len, now);
    }

    /** The socket of the latest connection became ready. */
    void sockEvent(int events) {
        tcp.sockEvent(flow(), events, now);
    }

    int flow() {
        FakeSocks.Sock s = socks.last();
        return s.flow;
    }

    /** Moves the fake clock and runs the timers if due. */
    void advanceMs(long ms) {
        now += ms * 1_000_000L;
        if (now - tcp.nextDeadlineNs() >= 0) {
            tcp.timer(now);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Expected frames

    static Match tcp() {
        return new Match();
    }

    /** What a frame toward the guest must hold; unset fields are not checked. Checksums are always checked. */
    static final class Match {
        Integer flags, seq, ack, win, len, mss, ws;
        byte[] data;

        Match flags(int f) {
            flags = f;
            return this;
        }

        Match seq(int s) {
            seq = s;
            return this;
        }

        Match ack(int a) {
            ack = a;
            return this;
        }

        Match win(int w) {
            win = w;
            return this;
        }

        Match len(int l) {
            len = l;
            return this;
        }

        Match mss(int m) {
            mss = m;
            return this;
        }

        Match ws(int w) {
            ws = w;
            return this;
        }

        Match data(byte[] d) {
            data = d;
            len = d.length;
            return this;
        }
    }

    /** Parsed frame toward the guest. */
    record Got(int flags, int seq, int ack, int win, byte[] data, int mss, int ws, boolean v6, int sport,
               int dport) {
    }

    /** Takes the next frame sent to the guest and checks it against {@code m}. */
    Got expect(Match m) {
        byte[] f = out.poll();
        if (f == null) {
            fail("no frame sent to the guest");
        }
        Got g = parse(f);
        if (m.flags != null) {
            assertEquals(flagNames(m.flags), flagNames(g.flags), "flags");
        }
        if (m.seq != null) {
            assertEquals(Integer.toUnsignedString(m.seq), Integer.toUnsignedString(g.seq), "seq");
        }
        if (m.ack != null) {
            assertEquals(Integer.toUnsignedString(m.ack), Integer.toUnsignedString(g.ack), "ack");
        }
        if (m.win != null) {
            assertEquals(m.win, g.win, "window field");
        }
        if (m.len != null) {
            assertEquals(m.len, g.data.length, "data length");
        }
        if (m.data != null) {
            assertArrayEquals(m.data, g.data, "data");
        }
        if (m.mss != null) {
            assertEquals(m.mss, g.mss, "MSS option");
        }
        if (m.ws != null) {
            assertEquals(m.ws, g.ws, "window scale option");
        }
        return g;
    }

    void expectNothing() {
        if (!out.isEmpty()) {
            Got g = parse(out.peek());
            fail("unexpected frame to the guest: " + flagNames(g.flags) + " seq " + Integer.toUnsignedString(g.seq)
                    + " len " + g.data.length);
        }
    }

    static Got parse(byte[] f) {
        MemorySegment m = MemorySegment.ofArray(f.clone());
        EthHeader e = new EthHeader().wrap(m, 0);
        assertEquals(GUEST_MAC, e.dst(), "destination MAC");
        assertEquals(MacAddr.PASTA_DEFAULT, e.src(), "source MAC");
        long l4;
        int l4Len;
        long pseudo;
        boolean v6 = e.type() == EthHeader.ETH_P_IPV6;
        if (v6) {
            Ipv6Header h = new Ipv6Header();
            assertTrue(h.parse(m, 14, f.length - 14));
            l4 = h.upperOff();
            l4Len = h.upperLen();
            pseudo = h.pseudo();
        } else {
            Ipv4Header h = new Ipv4Header();
            assertTrue(Ipv4Header.fits(m, 14, f.length - 14), "IPv4 header fits");
            h.wrap(m, 14);
            assertTrue(h.checksumOk(), "IPv4 checksum");
            l4 = h.payload();
            l4Len = h.payloadLen();
            pseudo = h.pseudo();
        }
        TcpHeader t = new TcpHeader().wrap(m, l4);
        assertTrue(t.checksumOk(pseudo, l4Len), "TCP checksum");
        TcpOptions o = new TcpOptions().parse(m, t.options(), t.optionsLen());
        int dlen = l4Len - t.headerLen();
        byte[] data = new byte[dlen];
        MemorySegment.copy(m, ValueLayout.JAVA_BYTE, t.payload(), data, 0, dlen);
        return new Got(t.flags(), t.seq(), t.ack(), t.window(), data, o.mss(), o.wscale(), v6, t.srcPort(),
                t.dstPort());
    }

    static String flagNames(int f) {
        StringBuilder sb = new StringBuilder();
        String[] n = {"FIN", "SYN", "RST", "PSH", "ACK"};
        for (int i = 0; i < n.length; i++) {
            if ((f & (1 << i)) != 0) {
                sb.append(sb.isEmpty() ? "" : "|").append(n[i]);
            }
        }
        return sb.toString();
    }

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    /**
     * Opens a connection from the guest and completes the handshake. Guest ISN {@code gIsn}, guest MSS
     * {@code mss}, no window scaling; our ISN is 5000.
     */
    void establish(int gIsn, int mss, int win) {
        send(seg().syn().seq(gIsn).mss(mss).win(win));
        sockEvent(TcpSocks.EPOLLOUT);
        expect(tcp().flags(SYN | ACK).seq(5000).ack(gIsn + 1));
        send(seg().seq(gIsn + 1).ack(5001).win(win));
        expectNothing();
    }
}
