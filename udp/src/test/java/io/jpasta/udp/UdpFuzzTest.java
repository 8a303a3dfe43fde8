package io.jpasta.udp;

import static io.jpasta.udp.IcmpAddrMapTest.CONF;
import static io.jpasta.udp.IcmpTest.GUEST_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jpasta.netns.sys.Linux;
import io.jpasta.tap.TapHandler;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.fuzz.Checksums;
import io.jpasta.tap.fuzz.Mutator;
import io.jpasta.tap.fwd.AddrMap;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The UDP and ICMP echo engines behind the classifier on mutated datagrams and echo requests (built ones and pasta's
 * recorded traffic), interleaved with the clock and with what arrives on the flows' sockets (datagrams, some from
 * another peer or larger than a frame, ICMP errors, echo replies and garbage on ping sockets): no exception, every
 * dropped frame counted once, the flow table keeps its invariants and agrees with both engines after every step,
 * every frame to the guest has consistent lengths and right checksums, and every flow expires in the end.
 */
class UdpFuzzTest {
    private static final int GUEST = 0xc6336402, REMOTE = 0xc63364c8;

    @Test
    void mutatedDatagramsAndEchoesNeverThrowAndEveryFlowExpires() {
        FlowTable flows = new FlowTable(512, 5);
        IcmpTest.Recorder out = new IcmpTest.Recorder();
        int[] nsSockets = {900};
        AddrMap map = AddrMap.defaults(CONF, true);
        FakeUdpSocks kernel = new FakeUdpSocks();
        FakePingSockets ping = new FakePingSockets();
        Udp udp = new Udp(CONF, () -> flows, kernel, out, map, v6 -> nsSockets[0]++, () -> GUEST_MAC);
        Icmp icmp = new Icmp(CONF, () -> flows, ping, map);
        TapPath path = new TapPath(icmp, udp, out);
        List<byte[]> seeds = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            seeds.add(UdpTest.udp4(GUEST, 40000 + p, REMOTE, 53, "query " + p));
            seeds.add(UdpTest.udp6(UdpTest.GUEST6_HI, UdpTest.GUEST6_LO, 40000 + p, UdpTest.REMOTE6_HI,
                    UdpTest.REMOTE6_LO, 5000, "x".repeat(100 * p)));
            seeds.add(IcmpTest.echo4(GUEST, REMOTE, 7 + p, p, 56));
        }
        for (String f : new String[] {"icmp-echo-request", "icmpv6-echo-request"}) {
            seeds.add(IcmpTest.bytes(f));
        }
        for (byte[] f : Mutator.captures()) {
            if (f.length > 23 && f[12] == 8 && f[13] == 0 && (f[23] == 17 || f[23] == 1)) {
                seeds.add(f);
            }
        }
        Mutator m = new Mutator(seeds, 0x0dd5L);
        SplittableRandom rnd = new SplittableRandom(3);
        long now = 1_000_000_000L, drops = dropped(path, udp, icmp);
        int handled = 0, busiest = 0, n = Mutator.inputs();
        for (int i = 0; i < n; i++) {
            byte[] in = null;
            try {
                int action = rnd.nextInt(20);
                int sent = out.sent.size();
                if (action < 15) {
                    in = m.next();
                    int r = path.frame(in, now);
                    udp.flush();
                    long d = dropped(path, udp, icmp);
                    assertEquals(r == TapHandler.DROPPED ? 1 : 0, d - drops, "drops counted once");
                    drops = d;
                    handled += r == TapHandler.HANDLED ? 1 : 0;
                } else if (action < 17) {
                    fromUdpSocket(kernel, udp, rnd, now);
                    drops = dropped(path, udp, icmp); // what the sockets brought is counted too, not per frame
                } else if (action < 18) {
                    fromPingSocket(ping, icmp, rnd, now, out);
                    drops = dropped(path, udp, icmp);
                } else {
                    now += rnd.nextLong(rnd.nextBoolean() ? 100_000_000L : 40_000_000_000L);
                    udp.timer(now);
                    icmp.timer(now);
                }
                flows.reap();
                assertNull(flows.inconsistency(), "the table's own invariants");
                for (int k = sent; k < out.sent.size(); k++) {
                    byte[] f = out.sent.get(k);
                    assertNull(Checksums.problem(f), () -> "frame to the guest " + HexFormat.of().formatHex(f));
                }
                assertEquals(flows.count(FlowType.UDP), udp.flowCount(), "UDP flows in the table and the engine");
                assertEquals(flows.count(FlowType.PING4) + flows.count(FlowType.PING6), icmp.flowCount(),
                        "echo flows in the table and the engine");
                busiest = Math.max(busiest, flows.count());
            } catch (RuntimeException | AssertionError e) {
                throw new AssertionError("step " + i + (in == null ? "" : ", input " + HexFormat.of().formatHex(in)), e);
            }
            if (out.sent.size() > 1000) {
                out.sent.clear();
            }
        }
        assertTrue(handled > n / 10, "the engines saw enough frames: " + handled);
        assertTrue(busiest > 10, "flows were opened: at most " + busiest + " at once");
        for (int k = 0; k < 10; k++) {
            now += 200_000_000_000L;
            udp.timer(now);
            icmp.timer(now);
            flows.reap();
        }
        assertEquals(0, flows.count(), "every flow expired");
    }

    /** Datagrams (some from another peer, some larger than any frame) and ICMP errors reach a flow's socket. */
    private static void fromUdpSocket(FakeUdpSocks kernel, Udp udp, SplittableRandom rnd, long now) {
        List<FakeUdpSocks.Sock> open = kernel.opened;
        if (open.isEmpty()) {
            return;
        }
        FakeUdpSocks.Sock s = open.get(open.size() - 1 - rnd.nextInt(Math.min(open.size(), 12)));
        for (int k = rnd.nextInt(4); k > 0; k--) {
            byte[] d = new byte[rnd.nextInt(8) == 0 ? rnd.nextInt(70_000) : rnd.nextInt(200)];
            rnd.nextBytes(d);
            s.inbound.add(new FakeUdpSocks.Datagram(d, s.dstHi, s.dstLo + (rnd.nextInt(8) == 0 ? 1 : 0),
                    rnd.nextInt(8) == 0 ? 9 : s.dstPort));
        }
        int events = Linux.EPOLLIN;
        if (rnd.nextInt(5) == 0) {
            byte[] q = new byte[rnd.nextInt(100)];
            rnd.nextBytes(q);
            int origin = rnd.nextInt(5) == 0 ? rnd.nextInt(6)
                    : s.v6 ? Linux.SO_EE_ORIGIN_ICMP6 : Linux.SO_EE_ORIGIN_ICMP;
            s.errors.add(new FakeUdpSocks.Err(origin, rnd.nextInt(5) == 0 ? rnd.nextInt(256) : s.v6 ? 1 : 3,
                    rnd.nextInt(16), rnd.nextInt(5) == 0 ? rnd.nextInt() : 1400, s.dstHi, s.dstLo, q));
            events |= Linux.EPOLLERR;
        }
        udp.sockEvent(s.flow, s.fd, events, now);
    }

    /** An echo reply, or anything else, arrives on a ping socket. */
    private static void fromPingSocket(FakePingSockets ping, Icmp icmp, SplittableRandom rnd, long now,
                                       IcmpTest.Recorder out) {
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
                msg[0] = (byte) 129; // ICMPV6_ECHO_REPLY
            }
        }
        s.inbound.add(msg);
        icmp.fromSock(s.watchedFlow, s.fd, GUEST_MAC, now, out);
    }

    private static long dropped(TapPath path, Udp udp, Icmp icmp) {
        return path.dropsBeforeEngines() + udp.stats().dropsTotal() + icmp.stats().dropsTotal();
    }
}
