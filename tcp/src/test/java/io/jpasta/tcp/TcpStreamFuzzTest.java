package io.jpasta.tcp;

import io.jpasta.tap.TapHandler;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.flow.Pif;
import io.jpasta.tap.fuzz.Checksums;
import io.jpasta.tap.fuzz.Mutator;
import io.jpasta.tap.fwd.AddrMap;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzing of the TCP engine's byte streams, beside {@link TcpFuzzTest}'s mutated frames: a random interleaving of
 * well-formed segments of a few connections with random flags, sequence and acknowledgement numbers near the right
 * ones, windows, options and data, mutated capture frames, socket events (data, end of stream, errors, hang-ups, a
 * full or empty send buffer), connections from host listeners, and clock jumps that run the timers. A small flow
 * table (64) makes it fill up.
 *
 * <p>Properties after every step: nothing throws (the fake sockets also throw on a send after shutdown, on closing
 * with unread data and on discarding more than was received); a frame the engine or the classifier drops moves the
 * sum of the drop counters by exactly one, a handled one by zero; the flow table is consistent and holds exactly the
 * engine's connections; every frame sent to the guest has consistent lengths and right checksums; no byte is lost,
 * repeated or made up: a socket receives exactly the guest's stream from its start (the guest's data is a function
 * of its sequence number, so whatever the fuzzer reorders or overlaps the right byte is known), and the data of every
 * frame to the guest is the peer's stream at that sequence number.
 */
class TcpStreamFuzzTest {
    private static final int FLOWS = 64;
    private static final int[] WINDOWS = {0, 1, 2, 100, 536, 1460, 8192, 65535};
    private static final int[] FLAGS = {TapDsl.ACK, TapDsl.ACK, TapDsl.ACK | TapDsl.PSH, TapDsl.SYN,
        TapDsl.SYN | TapDsl.ACK, TapDsl.FIN | TapDsl.ACK, TapDsl.RST, TapDsl.RST | TapDsl.ACK, TapDsl.FIN, 0};

    private TapDsl tap = new TapDsl(1500, c -> AddrMap.defaults(c, true), FLOWS);
    private SplittableRandom rnd;
    /** Guest sequence numbers per guest port and family: where the guest's next byte goes. */
    private final int[] guestSeq = new int[8];
    /** The highest sequence number the engine sent per guest port and family, plus its length. */
    private final int[] engineNext = new int[8];
    /** Whether the guest believes the connection of a slot exists: no SYN yet, or it saw a RST. */
    private final boolean[] connected = new boolean[8];
    /** The guest's initial sequence number of each connection our well-formed SYNs opened, by socket. */
    private final Map<Integer, Integer> guestIsn = new HashMap<>();
    /** The latest socket the engine connected for each flow index, and how many of the fake's sockets were seen. */
    private final Map<Integer, FakeSocks.Sock> byFlow = new HashMap<>();
    private int seen;
    /** Bytes of each socket's written stream already checked. */
    private final Map<Integer, Integer> checked = new HashMap<>();
    /** Sockets of connections accepted on a "host listener", and their flows. */
    private final List<int[]> acceptedFlows = new ArrayList<>();

    @Test
    void randomSegmentsAndSocketEventsKeepTheEngineConsistent() {
        Mutator fz = new Mutator(Mutator.captures(), 0x7c9L);
        rnd = new SplittableRandom(0x5c9);
        int n = Mutator.inputs();
        long dropped = 0, t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            if (i % 50_000 == 0) {
                if (i > 0) {
                    System.out.println("fuzz tcp: " + tap.tcp.stats().format());
                }
                // a fresh engine now and then: the fakes keep every socket, and early states matter most
                tap = new TapDsl(1500, c -> AddrMap.defaults(c, true), FLOWS);
                acceptedFlows.clear();
                guestIsn.clear();
                checked.clear();
                byFlow.clear();
                seen = 0;
            }
            byte[] input = null;
            try {
                int op = rnd.nextInt(100);
                long before = tap.drops();
                int sent = tap.out.size();
                int r = 0;
                if (op < 45) {
                    TapDsl.Seg s = segment();
                    int opened = tap.socks.opened.size();
                    r = tap.frame(s);
                    if (tap.socks.opened.size() > opened && (s.flags & TapDsl.SYN) != 0) {
                        guestIsn.put(tap.socks.last().fd, s.seq); // its data follows guestByte
                    }
                } else if (op < 65) {
                    input = fz.next();
                    r = tap.raw(input);
                } else if (op < 85) {
                    sockEvent();
                } else if (op < 93) {
                    tap.advanceMs(rnd.nextInt(4) == 0 ? rnd.nextLong(8_000_000) : rnd.nextInt(3000));
                } else {
                    accept();
                }
                long moved = tap.drops() - before;
                if (r != 0) {
                    assertTrue(r == TapHandler.HANDLED || r == TapHandler.DROPPED, "result " + r);
                    assertEquals(r == TapHandler.DROPPED ? 1 : 0, moved, "drops moved by " + moved + ", result " + r);
                    dropped += r == TapHandler.DROPPED ? 1 : 0;
                }
                if (rnd.nextInt(3) != 0) {
                    tap.tcp.flush(tap.now);
                }
                if (rnd.nextInt(4) == 0) {
                    tap.flows.reap(); // the end of the loop's batch of events
                }
                checkFramesSent(sent);
                checkBytesToSockets();
                assertNull(tap.flows.inconsistency());
                assertEquals(tap.flows.count(FlowType.TCP), tap.tcp.connections(), "engine and table agree");
            } catch (Throwable t) {
                fail("step " + i + (input == null ? "" : ", input " + HexFormat.of().formatHex(input)), t);
            }
        }
        System.out.printf("fuzz tcp streams: %d steps in %.1f s, %d frames dropped%n", n,
                (System.nanoTime() - t0) / 1e9, dropped);
    }

    private void checkFramesSent(int from) {
        int k = 0;
        for (var it = tap.out.iterator(); it.hasNext(); k++) {
            byte[] f = it.next();
            if (k < from) {
                continue;
            }
            assertNull(Checksums.problem(f), () -> "frame to the guest " + HexFormat.of().formatHex(f));
            // the destination MAC is whichever source the last frame from the guest had: no TapDsl.parse here
            boolean v6 = (f[12] & 0xff) == 0x86;
            int l4 = v6 ? 54 : 14 + (f[14] & 0x0f) * 4;
            int ipEnd = v6 ? 54 + u16(f, 18) : 14 + u16(f, 16);
            int flags = f[l4 + 13] & 0xff, dataLen = ipEnd - l4 - ((f[l4 + 12] & 0xf0) >>> 2);
            int slot = slot(v6, u16(f, l4 + 2));
            int seq = be32(f, l4 + 4);
            if (dataLen > 0) {
                checkDataToGuest(f, v6, l4, seq, dataLen);
            }
            if (slot >= 0) {
                int end = seq + dataLen + ((flags & (TapDsl.SYN | TapDsl.FIN)) != 0 ? 1 : 0);
                if (end - engineNext[slot] > 0 || (flags & TapDsl.SYN) != 0) {
                    engineNext[slot] = end;
                }
                if ((flags & TapDsl.RST) != 0) {
                    connected[slot] = false;
                }
            }
        }
        if (tap.out.size() > 256) {
            tap.out.clear();
        }
    }

    /**
     * The guest's data is a function of the sequence number, so that any retransmission or overlap carries the same
     * bytes, and what reaches a socket can be checked byte by byte whatever the fuzzer did to the segments.
     */
    static byte guestByte(int seq) {
        return (byte) ((seq * 0x9e3779b1) >>> 24);
    }

    /** Property: a socket receives exactly the guest's stream from its start, nothing skipped, repeated or made up. */
    private void checkBytesToSockets() {
        for (var it = guestIsn.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, Integer> e = it.next();
            FakeSocks.Sock s = tap.socks.byFd.get(e.getKey());
            int from = checked.getOrDefault(s.fd, 0);
            if (s.closed) {
                it.remove(); // checked up to its last write at the end of the previous step
            }
            if (s.written.size() == from) {
                continue;
            }
            byte[] w = s.written.toByteArray();
            for (int p = from; p < w.length; p++) {
                if (w[p] != guestByte(e.getValue() + 1 + p)) {
                    fail("socket " + s.fd + " got a wrong byte at stream offset " + p + " of " + w.length);
                }
            }
            checked.put(s.fd, w.length);
        }
    }

    /**
     * Property: the data of a frame to the guest is the peer's stream at that sequence number (the engine's initial
     * sequence number is fixed at 5000 in the DSL), for the flow the frame's addresses name.
     */
    private void checkDataToGuest(byte[] f, boolean v6, int l4, int seq, int dataLen) {
        long gHi, gLo, rHi, rLo;
        if (v6) {
            rHi = be64(f, 22);
            rLo = be64(f, 30);
            gHi = be64(f, 38);
            gLo = be64(f, 46);
        } else {
            rHi = gHi = Inany.V4_HI;
            rLo = Inany.v4Lo(be32(f, 26));
            gLo = Inany.v4Lo(be32(f, 30));
        }
        int sidx = tap.flows.lookup(6, Pif.TAP, gHi, gLo, u16(f, l4 + 2), rHi, rLo, u16(f, l4));
        if (sidx == FlowTable.NONE) {
            return; // closed since, within the same step
        }
        FakeSocks.Sock s = sockOf(FlowTable.flowOf(sidx));
        if (s == null) {
            return;
        }
        int off = seq - 5001;
        int payload = l4 + ((f[l4 + 12] & 0xf0) >>> 2);
        assertTrue(off >= 0 && off + dataLen <= s.rx.length, "data to the guest at stream offset " + off + " + "
                + dataLen + ", the peer sent " + s.rx.length);
        for (int k = 0; k < dataLen; k++) {
            if (f[payload + k] != s.rx[off + k]) {
                fail("data to the guest differs from the peer's at stream offset " + (off + k));
            }
        }
    }

    private FakeSocks.Sock sockOf(int flow) {
        List<FakeSocks.Sock> o = tap.socks.opened;
        for (; seen < o.size(); seen++) {
            if (o.get(seen).flow >= 0) {
                byFlow.put(o.get(seen).flow, o.get(seen));
            }
        }
        for (int[] a : acceptedFlows) {
            if (a[1] == flow && !tap.socks.byFd.get(a[0]).closed) {
                return tap.socks.byFd.get(a[0]);
            }
        }
        FakeSocks.Sock s = byFlow.get(flow);
        return s == null || s.closed ? null : s;
    }

    private static int be32(byte[] f, int o) {
        return u16(f, o) << 16 | u16(f, o + 2);
    }

    private static long be64(byte[] f, int o) {
        return (long) be32(f, o) << 32 | (be32(f, o + 4) & 0xffff_ffffL);
    }

    private static int u16(byte[] f, int o) {
        return (f[o] & 0xff) << 8 | (f[o + 1] & 0xff);
    }

    private static int slot(boolean v6, int guestPort) {
        int p = guestPort - TapDsl.GUEST_PORT;
        return p >= 0 && p < 4 ? p + (v6 ? 4 : 0) : -1;
    }

    private TapDsl.Seg segment() {
        boolean v6 = rnd.nextInt(4) == 0;
        int port = rnd.nextInt(4);
        int slot = port + (v6 ? 4 : 0);
        TapDsl.Seg s = TapDsl.seg();
        if (v6) {
            s.v6();
        }
        s.sport(TapDsl.GUEST_PORT + port);
        if (rnd.nextInt(10) == 0) {
            s.dst(rnd.nextBoolean() ? (v6 ? "2001:db8:1::1" : TapDsl.GW4) : (v6 ? "::1" : "127.0.0.1"),
                    rnd.nextInt(4) == 0 ? rnd.nextInt(65536) : 8080);
        }
        int flags = flags(slot);
        int seq = switch (rnd.nextInt(6)) {
            case 0 -> rnd.nextInt();
            case 1 -> guestSeq[slot] + rnd.nextInt(-3000, 3000);
            default -> guestSeq[slot];
        };
        int ack = switch (rnd.nextInt(6)) {
            case 0 -> rnd.nextInt();
            case 1 -> engineNext[slot] + rnd.nextInt(-3000, 3000);
            default -> engineNext[slot];
        };
        s.flags(flags).seq(seq);
        if ((flags & TapDsl.ACK) != 0) {
            s.ack(ack);
        }
        s.win(rnd.nextInt(3) == 0 ? rnd.nextInt(65536) : WINDOWS[rnd.nextInt(WINDOWS.length)]);
        if ((flags & TapDsl.SYN) != 0) {
            s.mss(rnd.nextInt(5) == 0 ? rnd.nextInt(65536) : 1460);
            s.ws(rnd.nextInt(3) == 0 ? rnd.nextInt(20) - 1 : 7);
            if ((flags & TapDsl.ACK) == 0) {
                seq = rnd.nextInt();
                s.seq(seq);
            }
        }
        int len = (flags & TapDsl.SYN) == 0 && rnd.nextBoolean() ? rnd.nextInt(rnd.nextInt(8) == 0 ? 1441 : 100)
                : 0;
        if (len > 0) {
            byte[] d = new byte[len];
            for (int k = 0; k < len; k++) {
                d[k] = guestByte(seq + k);
            }
            s.data(d);
        }
        int end = seq + len + ((flags & (TapDsl.SYN | TapDsl.FIN)) != 0 ? 1 : 0);
        if ((flags & TapDsl.RST) == 0 && (end - guestSeq[slot] > 0 || (flags & TapDsl.SYN) != 0)) {
            guestSeq[slot] = end;
        }
        return s;
    }

    /** @return mostly what a well-behaved guest sends next (SYN when unconnected, else ACK with data), else anything */
    private int flags(int slot) {
        int r = rnd.nextInt(100);
        if (r < 3) {
            return rnd.nextInt(256);
        } else if (r < 6) {
            return FLAGS[rnd.nextInt(FLAGS.length)];
        } else if (r < 8) {
            return rnd.nextBoolean() ? TapDsl.RST : TapDsl.RST | TapDsl.ACK;
        } else if (r < 11 || (!connected[slot] && r < 60)) {
            connected[slot] = true;
            return TapDsl.SYN;
        } else if (r < 14) {
            return TapDsl.FIN | TapDsl.ACK;
        }
        return rnd.nextBoolean() ? TapDsl.ACK : TapDsl.ACK | TapDsl.PSH;
    }

    private void sockEvent() {
        List<FakeSocks.Sock> socks = tap.socks.opened;
        if (socks.isEmpty()) {
            return;
        }
        FakeSocks.Sock s = socks.get(socks.size() - 1 - rnd.nextInt(Math.min(socks.size(), 16)));
        for (int tries = 0; s.closed && tries < 4; tries++) {
            s = socks.get(socks.size() - 1 - rnd.nextInt(Math.min(socks.size(), 16)));
        }
        int flow = s.flow;
        for (int[] a : acceptedFlows) {
            if (a[0] == s.fd) {
                flow = a[1];
            }
        }
        if (flow < 0) {
            return;
        }
        switch (rnd.nextInt(8)) {
            case 0, 1, 2, 7 -> {
                if (!s.eof && s.queued() < 200_000) {
                    byte[] d = new byte[rnd.nextInt(4) == 0 ? rnd.nextInt(70_000) : rnd.nextInt(2000)];
                    rnd.nextBytes(d);
                    s.peerSends(d);
                }
            }
            case 3 -> s.eof = true;
            case 4 -> s.error = rnd.nextInt(4) != 0 ? 0
                    : rnd.nextBoolean() ? FakeSocks.ECONNREFUSED : FakeSocks.ECONNRESET;
            case 5 -> s.space = rnd.nextBoolean() ? 0 : rnd.nextInt(1 << 20);
            case 6 -> s.receiveError = rnd.nextInt(4) == 0 ? FakeSocks.ECONNRESET : 0;
            default -> {
            }
        }
        boolean connecting = (s.watched & TcpSocks.EPOLLOUT) != 0 && rnd.nextBoolean();
        int ev = connecting ? TcpSocks.EPOLLOUT : switch (rnd.nextInt(6)) {
            case 0, 1 -> TcpSocks.EPOLLIN;
            case 2 -> TcpSocks.EPOLLOUT;
            case 3 -> TcpSocks.EPOLLIN | TcpSocks.EPOLLRDHUP;
            case 4 -> TcpSocks.EPOLLERR | TcpSocks.EPOLLHUP | (rnd.nextBoolean() ? TcpSocks.EPOLLIN : 0);
            default -> rnd.nextInt(0x4000) & (TcpSocks.EPOLLIN | TcpSocks.EPOLLOUT | TcpSocks.EPOLLERR
                    | TcpSocks.EPOLLHUP | TcpSocks.EPOLLRDHUP);
        };
        tap.tcp.sockEvent(flow, ev, tap.now);
    }

    private void accept() {
        FakeSocks.Sock s = tap.socks.accept();
        boolean v6 = rnd.nextInt(4) == 0;
        long hi = v6 ? 0x2001_0db8_0002_0000L : Inany.V4_HI;
        long lo = v6 ? 0x10 + rnd.nextInt(4) : Inany.v4Lo(0xcb007109);
        int f = tap.tcp.accepted(s.fd, v6, hi, lo, 50000 + rnd.nextInt(4), TapDsl.GUEST_PORT + rnd.nextInt(4),
                tap.now);
        if (f >= 0) {
            acceptedFlows.add(new int[] {s.fd, f});
            if (acceptedFlows.size() > 64) {
                acceptedFlows.removeFirst();
            }
        } else {
            assertTrue(s.closed && s.reset, "a refused connection is closed with a RST");
        }
    }

    @Test
    void capturesOfTheFuzzerReachTheEngine() {
        long before = tap.tcp.stats().get(Tcp.SEGS_FROM_TAP);
        for (byte[] f : Mutator.captures()) {
            tap.raw(Arrays.copyOf(f, f.length));
        }
        assertTrue(tap.tcp.stats().get(Tcp.SEGS_FROM_TAP) - before > 10, "TCP frames among the seeds");
    }
}
