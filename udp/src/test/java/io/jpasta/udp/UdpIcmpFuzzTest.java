package io.jpasta.udp;

import io.jpasta.netns.sys.Linux;
import io.jpasta.tap.Checksums;
import io.jpasta.tap.Classifier;
import io.jpasta.tap.FrameFuzzer;
import io.jpasta.tap.L2Services;
import io.jpasta.tap.TapHandler;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.fwd.AddrMap;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

import static io.jpasta.udp.IcmpAddrMapTest.CONF;
import static io.jpasta.udp.IcmpTest.GATEWAY4;
import static io.jpasta.udp.IcmpTest.GUEST4;
import static io.jpasta.udp.IcmpTest.GUEST_MAC;
import static io.jpasta.udp.IcmpTest.REMOTE4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzing of the UDP and ICMP echo engines behind the classifier, sharing one small flow table (64) as in pasta,
 * with fake sockets and a fake clock: mutated frames, well-formed datagrams and echo requests to a few peers,
 * datagrams and ICMP errors arriving on the flows' sockets, echo replies (and garbage) from ping sockets, and clock
 * jumps that run the timers.
 *
 * <p>Properties after every step: nothing throws; a dropped frame moves the sum of the drop counters (classifier,
 * L2 services, UDP, ICMP) by exactly one, a handled one by zero; the flow table is consistent and holds exactly the
 * engines' flows; every frame sent to the guest has consistent lengths and right checksums.
 */
class UdpIcmpFuzzTest {
    /** Steps in the normal suite; {@code -Djpasta.fuzz.inputs} overrides. */
    private static final int INPUTS = 200_000;
    private static final long MS = 1_000_000L;

    private FakeUdpSocks kernel;
    private FakePingSockets ping;
    private FlowTable flows;
    private Udp udp;
    private Icmp icmp;
    private L2Services l2;
    private Classifier classifier;
    private final IcmpTest.Recorder tap = new IcmpTest.Recorder();
    private final MemorySegment buf = Arena.ofAuto().allocate(70_000, 64);
    private SplittableRandom rnd;
    private long now = 1_000 * MS;
    private int nsSockets = 900;

    private void fresh() {
        kernel = new FakeUdpSocks();
        ping = new FakePingSockets();
        flows = new FlowTable(64, 9);
        AddrMap map = AddrMap.defaults(CONF, true);
        udp = new Udp(CONF, () -> flows, kernel, tap, map, v6 -> nsSockets++, () -> GUEST_MAC);
        icmp = new Icmp(CONF, () -> flows, ping, map);
        l2 = new L2Services(CONF, new SplittableRandom(1), 0, 0);
        classifier = new Classifier(l2, tap).udp(udp).icmp(icmp);
    }

    private long drops() {
        return classifier.stats().dropsTotal() + l2.stats().dropsTotal() + udp.stats().dropsTotal()
                + icmp.stats().dropsTotal();
    }

    private int frame(byte[] f) {
        MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
        return classifier.frame(buf, 0, f.length, now);
    }

    @Test
    void randomDatagramsEchoesAndSocketEventsKeepTheEnginesConsistent() {
        FrameFuzzer fz = new FrameFuzzer(0x0d9, FrameFuzzer.seeds());
        rnd = fz.random();
        int n = FrameFuzzer.inputs(INPUTS);
        long dropped = 0, t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            if (i % 50_000 == 0) {
                if (i > 0) {
                    System.out.println("fuzz udp: " + udp.stats().format() + "\nfuzz udp: " + icmp.stats().counters()
                            .format());
                }
                fresh();
            }
            byte[] input = null;
            try {
                int op = rnd.nextInt(100);
                long before = drops();
                int sent = tap.sent.size();
                int r = 0;
                if (op < 40) {
                    input = fz.next();
                } else if (op < 60) {
                    input = datagram();
                } else if (op < 70) {
                    input = IcmpTest.echo4(GUEST4, rnd.nextInt(4) == 0 ? GATEWAY4 : REMOTE4, rnd.nextInt(4),
                            rnd.nextInt(65536), rnd.nextInt(4) == 0 ? rnd.nextInt(3000) : rnd.nextInt(64));
                } else if (op < 82) {
                    udpSocket();
                } else if (op < 90) {
                    pingSocket();
                } else {
                    now += rnd.nextInt(4) == 0 ? rnd.nextLong(400_000) * MS : rnd.nextInt(3000) * MS;
                    if (now - udp.nextDeadlineNs() >= 0) {
                        udp.timer(now);
                    }
                    if (now - icmp.nextDeadlineNs() >= 0) {
                        icmp.timer(now);
                    }
                }
                if (input != null) {
                    r = frame(input);
                    long moved = drops() - before;
                    assertTrue(r == TapHandler.HANDLED || r == TapHandler.DROPPED, "result " + r);
                    assertEquals(r == TapHandler.DROPPED ? 1 : 0, moved, "drops moved by " + moved + ", result " + r);
                    dropped += r == TapHandler.DROPPED ? 1 : 0;
                }
                if (rnd.nextInt(3) != 0) {
                    udp.flush();
                }
                if (rnd.nextInt(4) == 0) {
                    flows.reap();
                }
                for (int k = sent; k < tap.sent.size(); k++) {
                    byte[] f = tap.sent.get(k);
                    assertNull(Checksums.problem(f), () -> "frame to the guest " + HexFormat.of().formatHex(f));
                }
                if (tap.sent.size() > 256) {
                    tap.sent.clear();
                }
                assertNull(flows.inconsistency());
                assertEquals(flows.count(FlowType.UDP), udp.flowCount(), "UDP engine and table agree");
                assertEquals(flows.count(FlowType.PING4) + flows.count(FlowType.PING6), icmp.flowCount(),
                        "ICMP engine and table agree");
                if (input != null) {
                    fz.outcome(fz.moved(udp.stats()) * 31 + fz.moved(icmp.stats().counters()) * 17
                            + fz.moved(classifier.stats()) * 7 + r);
                }
            } catch (Throwable t) {
                String what = input != null ? FrameFuzzer.saveFailure("udp-" + i, input, t) : "step " + i + ": " + t;
                fail(what, t);
            }
        }
        fz.report("udp+icmp", n, dropped, t0);
    }

    /** @return a well-formed datagram from the guest to one of a few peers and ports (DNS on the gateway too) */
    private byte[] datagram() {
        StringBuilder d = new StringBuilder();
        int len = rnd.nextInt(8) == 0 ? rnd.nextInt(4000) : rnd.nextInt(100);
        for (int i = 0; i < len; i++) {
            d.append((char) ('a' + rnd.nextInt(26)));
        }
        int sport = 40000 + rnd.nextInt(6), dport = rnd.nextInt(5) == 0 ? 53 : 7000 + rnd.nextInt(3);
        if (rnd.nextInt(4) == 0) {
            return UdpTest.udp6(UdpTest.GUEST6_HI, UdpTest.GUEST6_LO, sport, UdpTest.REMOTE6_HI,
                    UdpTest.REMOTE6_LO + rnd.nextInt(2), dport, d.toString());
        }
        return UdpTest.udp4(GUEST4, sport, rnd.nextInt(5) == 0 ? GATEWAY4 : REMOTE4, dport, d.toString());
    }

    /** Something arrives on a flow's socket: datagrams, an ICMP error, or both, then the epoll event. */
    private void udpSocket() {
        List<FakeUdpSocks.Sock> open = kernel.opened;
        if (open.isEmpty()) {
            return;
        }
        FakeUdpSocks.Sock s = open.get(open.size() - 1 - rnd.nextInt(Math.min(open.size(), 12)));
        int events = Linux.EPOLLIN;
        for (int k = rnd.nextInt(4); k > 0; k--) {
            byte[] d = new byte[rnd.nextInt(8) == 0 ? rnd.nextInt(70_000) : rnd.nextInt(200)];
            rnd.nextBytes(d);
            long lo = s.dstLo + (rnd.nextInt(8) == 0 ? 1 : 0);
            s.inbound.add(new FakeUdpSocks.Datagram(d, s.dstHi, lo, rnd.nextInt(8) == 0 ? 9 : s.dstPort));
        }
        if (rnd.nextInt(5) == 0) {
            byte[] q = new byte[rnd.nextInt(100)];
            rnd.nextBytes(q);
            int origin = rnd.nextInt(5) == 0 ? rnd.nextInt(6)
                    : s.v6 ? Linux.SO_EE_ORIGIN_ICMP6 : Linux.SO_EE_ORIGIN_ICMP;
            s.errors.add(new FakeUdpSocks.Err(origin, rnd.nextInt(5) == 0 ? rnd.nextInt(256) : s.v6 ? 1 : 3,
                    rnd.nextInt(16), rnd.nextInt(5) == 0 ? rnd.nextInt() : 1400, s.dstHi, s.dstLo, q));
            events |= Linux.EPOLLERR;
        }
        udp.sockEvent(s.flow, s.fd, rnd.nextInt(6) == 0 ? Linux.EPOLLERR : events, now);
    }

    /** An echo reply, or anything else, arrives on a ping socket. */
    private void pingSocket() {
        List<FakePingSockets.Sock> open = ping.opened;
        if (open.isEmpty()) {
            return;
        }
        FakePingSockets.Sock s = open.get(open.size() - 1 - rnd.nextInt(Math.min(open.size(), 8)));
        byte[] msg;
        if (rnd.nextInt(3) == 0) {
            msg = new byte[rnd.nextInt(80)];
            rnd.nextBytes(msg);
        } else {
            msg = IcmpTest.kernelReply4(Math.max(s.id, 0), rnd.nextInt(65536), rnd.nextInt(100));
            if (s.v6) {
                msg[0] = (byte) 129;
            }
        }
        s.inbound.add(msg);
        icmp.fromSock(s.watchedFlow, s.fd, GUEST_MAC, now, tap);
    }
}
