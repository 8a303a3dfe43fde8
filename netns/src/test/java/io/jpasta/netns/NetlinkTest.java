package io.jpasta.netns;

import static io.jpasta.netns.sys.Linux.AF_INET;
import static io.jpasta.netns.sys.Linux.AF_INET6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Conversations of {@link Netlink} with a scripted kernel: real captured dumps, errors, garbage. */
class NetlinkTest {
    @BeforeAll
    static void load() {
        Sys.load(); // Errno texts
    }

    private static InetAddress ip(String s) {
        return InetAddress.ofLiteral(s);
    }

    static FakeKernel capturedHost() {
        return new FakeKernel().dump(NetlinkWire.RTM_GETLINK, Fixtures.bytes("dump-links.bin"))
                .dump(NetlinkWire.RTM_GETADDR, Fixtures.bytes("dump-addrs.bin"));
    }

    @Test
    void linkDumpGivesEveryLinkWithNameMtuAndMac() throws IOException {
        try (Netlink nl = new Netlink(capturedHost())) {
            List<NetlinkLink> links = nl.links();
            assertEquals(List.of("lo", "peer0", "eth0", "peer1", "eth1"),
                    links.stream().map(NetlinkLink::name).toList());
            NetlinkLink lo = links.get(0);
            assertEquals(1, lo.index());
            assertTrue(lo.isLoopback() && lo.isUp());
            assertEquals(Netlink.ARPHRD_LOOPBACK, lo.type());
            assertEquals(65536, lo.mtu());
            NetlinkLink eth1 = links.get(4);
            assertEquals(5, eth1.index());
            assertEquals(1400, eth1.mtu());
            assertEquals("02:00:00:00:01:02", NetlinkLink.macString(eth1.mac()));
            assertEquals(Netlink.ARPHRD_ETHER, eth1.type());
            assertFalse(eth1.isLoopback());
        }
    }

    @Test
    void addressDumpKeepsKernelOrderAndFlags() throws IOException {
        try (Netlink nl = new Netlink(capturedHost())) {
            List<NetlinkAddr> all = nl.addrs(0);
            List<String> v4 = all.stream().filter(NetlinkAddr::isIpv4).map(a -> a.ifindex() + " " + a.addr()
                    .getHostAddress() + "/" + a.prefixLen()).toList();
            assertEquals(List.of("1 127.0.0.1/8", "3 198.51.100.2/24", "3 198.51.100.9/24", "5 203.0.113.2/28"), v4);
            NetlinkAddr secondary = all.get(2);
            assertEquals(Netlink.IFA_F_SECONDARY, secondary.flags() & Netlink.IFA_F_SECONDARY);
            List<NetlinkAddr> eth0v6 = all.stream().filter(a -> a.ifindex() == 3 && !a.isIpv4()).toList();
            // IPv6: within a scope the kernel lists the newest address first
            assertEquals(List.of(ip("2001:db8:1::9"), ip("2001:db8:1::2"), ip("fe80::ff:fe00:101")),
                    eth0v6.stream().map(NetlinkAddr::addr).toList());
            assertEquals(Netlink.IFA_F_NODAD, eth0v6.get(0).flags() & Netlink.IFA_F_NODAD);
            assertTrue(eth0v6.get(2).isLinkLocal());
            assertTrue(eth0v6.get(2).isTentative());
            assertEquals(Netlink.RT_SCOPE_LINK, eth0v6.get(2).scope());
            assertEquals(List.of(ip("127.0.0.1"), ip("198.51.100.2"), ip("198.51.100.9"), ip("203.0.113.2")),
                    nl.addrs(AF_INET).stream().map(NetlinkAddr::addr).toList());
        }
    }

    @Test
    void ipv4RouteDumpKeepsMainTableWithMetricsAndNexthops() throws IOException {
        FakeKernel k = new FakeKernel().dump(NetlinkWire.RTM_GETROUTE, Fixtures.bytes("dump-routes4.bin"));
        try (Netlink nl = new Netlink(k)) {
            List<NetlinkRoute> routes = nl.routes(AF_INET);
            assertEquals(List.of("default via 198.51.100.1 oif 3 metric 100",
                    "default via 203.0.113.1 oif 5 metric 200", "198.51.100.0/24 oif 3 metric 0",
                    "203.0.113.0/28 oif 5 metric 0", "203.0.113.64/26 oif 0 metric 0",
                    "203.0.113.128/25 via 198.51.100.254 oif 3 metric 0"),
                    routes.stream().map(NetlinkTest::brief).toList());
            NetlinkRoute kernel = routes.get(2);
            assertEquals(Netlink.RTPROT_KERNEL, kernel.protocol());
            assertEquals(Netlink.RT_SCOPE_LINK, kernel.scope());
            NetlinkRoute multipath = routes.get(4);
            assertEquals(List.of(new NetlinkNexthop(3, ip("198.51.100.1"), 0, 1),
                    new NetlinkNexthop(5, ip("203.0.113.1"), 0, 2)), multipath.nexthops());
            assertTrue(multipath.via(5));
            assertEquals(ip("203.0.113.1"), multipath.gatewayVia(5));
            assertEquals(3, multipath.firstOif());
            assertTrue(routes.stream().allMatch(r -> r.table() == Netlink.RT_TABLE_MAIN && r.isIpv4()));
        }
    }

    @Test
    void ipv6RouteDumpKeepsMainTableWithMultipath() throws IOException {
        FakeKernel k = new FakeKernel().dump(NetlinkWire.RTM_GETROUTE, Fixtures.bytes("dump-routes6.bin"));
        try (Netlink nl = new Netlink(k)) {
            List<NetlinkRoute> routes = nl.routes(AF_INET6);
            assertEquals(List.of("2001:db8:1::/64 oif 3 metric 256", "2001:db8:2::/64 oif 5 metric 256",
                    "2001:db8:5::/48 via 2001:db8:1::1 oif 3 metric 1024", "2001:db8:6::/48 oif 0 metric 1024",
                    "fe80::/64 oif 3 metric 256", "fe80::/64 oif 2 metric 256", "fe80::/64 oif 5 metric 256",
                    "fe80::/64 oif 4 metric 256", "default via fe80::1 oif 3 metric 1024"),
                    routes.stream().map(NetlinkTest::brief).toList());
            assertEquals(List.of(new NetlinkNexthop(3, ip("fe80::1"), 0, 1),
                    new NetlinkNexthop(5, ip("fe80::2"), 0, 1)),
                    routes.get(3).nexthops());
        }
    }

    static String brief(NetlinkRoute r) {
        return (r.isDefault() ? "default" : NetlinkWire.text(r.dst()) + "/" + r.dstLen())
                + (r.gateway() == null ? "" : " via " + NetlinkWire.text(r.gateway())) + " oif " + r.oif()
                + " metric " + r.metric();
    }

    @Test
    void linkLookupAnswersNullForNoSuchDevice() throws IOException {
        FakeKernel k = new FakeKernel().link(new NetlinkLink(7, "tap0", 1, 0x1002, 1500, 0x020000000007L));
        try (Netlink nl = new Netlink(k)) {
            assertEquals(7, nl.link("tap0").index());
            assertEquals(0x020000000007L, nl.link("tap0").mac());
            assertNull(nl.link("nosuch0"));
            assertEquals(-Errno.ENODEV, nl.linkIndex("nosuch0"));
            assertEquals(7, nl.linkIndex("tap0"));
        }
    }

    @Test
    void changesReturnTheKernelsErrno() throws IOException {
        FakeKernel k = new FakeKernel();
        k.answer = req -> Errno.EPERM;
        try (Netlink nl = new Netlink(k)) {
            assertEquals(-Errno.EPERM, nl.setMtu(2, 1500));
            k.answer = req -> 0;
            assertEquals(0, nl.setLinkUp(2));
        }
    }

    @Test
    void everyRequestHasAFreshSequenceNumber() throws IOException {
        FakeKernel k = new FakeKernel();
        try (Netlink nl = new Netlink(k)) {
            nl.setLinkUp(1);
            nl.setLinkUp(1);
            nl.setMtu(1, 1280);
        }
        assertEquals(List.of(1, 2, 3), k.requests.stream().map(NetlinkTest::seq).toList());
        assertTrue(k.closed);
    }

    private static int seq(byte[] msg) {
        return ByteBuffer.wrap(msg).order(ByteOrder.nativeOrder()).getInt(NetlinkWire.NLMSG_SEQ);
    }

    @Test
    void repliesToAnEarlierRequestAreSkipped() throws IOException {
        FakeKernel k = new FakeKernel() {
            @Override
            public long send(ByteBuffer buf, int len) {
                long n = super.send(buf, len);
                replies.addFirst(ack(seq(requests.getLast()) - 1, -Errno.EEXIST)); // a stale answer first
                return n;
            }
        };
        try (Netlink nl = new Netlink(k)) {
            assertEquals(0, nl.setLinkUp(1));
        }
    }

    @Test
    void dumpErrorIsAnExceptionNamingTheDump() {
        FakeKernel k = new FakeKernel(); // no fixture: answers EOPNOTSUPP
        try (Netlink nl = new Netlink(k)) {
            IOException e = assertThrows(IOException.class, nl::links);
            assertTrue(e.getMessage().startsWith("RTM_GETLINK dump: "), e.getMessage());
            assertEquals(Errno.EOPNOTSUPP, ((Errno.SysException) e).errno());
        }
    }

    @Test
    void noReplyIsAnExceptionNotAHang() {
        FakeKernel k = new FakeKernel() {
            @Override
            public long send(ByteBuffer buf, int len) {
                requests.add(Fixtures.toBytes(buf, len));
                return len; // and never answer
            }
        };
        try (Netlink nl = new Netlink(k)) {
            assertThrows(IOException.class, () -> nl.setLinkUp(1));
        }
    }

    @Test
    void interruptedDumpIsRetriedThenRefused() throws IOException {
        byte[] clean = Fixtures.bytes("dump-links.bin");
        byte[] intr = clean.clone();
        ByteBuffer.wrap(intr).order(ByteOrder.nativeOrder()).putShort(NetlinkWire.NLMSG_FLAGS,
                (short) (NetlinkWire.NLM_F_MULTI | NetlinkWire.NLM_F_DUMP_INTR));
        int[] calls = {0};
        FakeKernel k = new FakeKernel() {
            @Override
            public long send(ByteBuffer buf, int len) {
                dumps.put(NetlinkWire.RTM_GETLINK, calls[0]++ == 0 ? intr : clean);
                return super.send(buf, len);
            }
        };
        try (Netlink nl = new Netlink(k)) {
            assertEquals(5, nl.links().size()); // second attempt, and no duplicates from the first
            assertEquals(2, calls[0]);
        }
        FakeKernel always = new FakeKernel().dump(NetlinkWire.RTM_GETLINK, intr);
        try (Netlink nl = new Netlink(always)) {
            assertThrows(IOException.class, nl::links);
            assertEquals(Netlink.DUMP_ATTEMPTS, always.requests.size());
        }
    }

    @Test
    void datagramLargerThanTheBufferIsRefused() {
        FakeKernel k = new FakeKernel() {
            @Override
            public long recv(ByteBuffer buf) {
                super.recv(buf);
                return Netlink.BUFFER_SIZE + 1L;
            }
        };
        try (Netlink nl = new Netlink(k)) {
            assertThrows(IOException.class, () -> nl.setLinkUp(1));
        }
    }

    /** Every cut of a real dump is an exception: a broken message, or a missing NLMSG_DONE. */
    @Test
    void truncatedDumpsAreRejected() {
        for (String f : List.of("dump-links.bin", "dump-addrs.bin", "dump-routes4.bin", "dump-routes6.bin")) {
            byte[] whole = Fixtures.bytes(f);
            int type = f.contains("links") ? NetlinkWire.RTM_GETLINK : f.contains("addrs") ? NetlinkWire.RTM_GETADDR
                    : NetlinkWire.RTM_GETROUTE;
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                for (int cut = 0; cut < whole.length; cut++) {
                    byte[] part = Arrays.copyOf(whole, cut);
                    try (Netlink nl = new Netlink(new FakeKernel().dump(type, part))) {
                        assertThrows(IOException.class, () -> dumpOf(nl, type), f + " cut at " + cut);
                    }
                }
            });
        }
    }

    private static List<?> dumpOf(Netlink nl, int type) throws IOException {
        return switch (type) {
            case NetlinkWire.RTM_GETLINK -> nl.links();
            case NetlinkWire.RTM_GETADDR -> nl.addrs(0);
            default -> nl.routes(0);
        };
    }

    @Test
    void impossibleLengthsAreRejected() {
        byte[] good = Fixtures.bytes("dump-routes4.bin");
        // nlmsg_len 0 (would loop forever if trusted), 15 (less than a header), beyond the datagram
        for (int len : new int[] {0, 15, good.length + 4, -1}) {
            byte[] bad = good.clone();
            ByteBuffer.wrap(bad).order(ByteOrder.nativeOrder()).putInt(0, len);
            assertRejected(NetlinkWire.RTM_GETROUTE, bad);
        }
        // first attribute of the first message: rta_len 0, 3, and past the end of its message
        int firstAttr = NetlinkWire.NLMSG_HDRLEN + NetlinkWire.RTMSG_LEN;
        for (int alen : new int[] {0, 3, 0x7fff}) {
            byte[] bad = good.clone();
            ByteBuffer.wrap(bad).order(ByteOrder.nativeOrder()).putShort(firstAttr, (short) alen);
            assertRejected(NetlinkWire.RTM_GETROUTE, bad);
        }
        // a message shorter than its fixed header
        byte[] shortMsg = good.clone();
        ByteBuffer.wrap(shortMsg).order(ByteOrder.nativeOrder()).putInt(0, NetlinkWire.NLMSG_HDRLEN + 4);
        assertRejected(NetlinkWire.RTM_GETROUTE, shortMsg);
    }

    private static void assertRejected(int type, byte[] reply) {
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            try (Netlink nl = new Netlink(new FakeKernel().dump(type, reply))) {
                assertThrows(IOException.class, () -> dumpOf(nl, type));
            }
        });
    }

    /** Random corruption: parsing ends (with records or an exception) and never hangs or throws anything else. */
    @Test
    void corruptedDumpsEndInBoundedTime() {
        Random rnd = new Random(4242);
        for (String f : List.of("dump-links.bin", "dump-addrs.bin", "dump-routes4.bin", "dump-routes6.bin")) {
            byte[] whole = Fixtures.bytes(f);
            int type = f.contains("links") ? NetlinkWire.RTM_GETLINK : f.contains("addrs") ? NetlinkWire.RTM_GETADDR
                    : NetlinkWire.RTM_GETROUTE;
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                for (int i = 0; i < 500; i++) {
                    byte[] bad = whole.clone();
                    for (int j = 0; j < 1 + rnd.nextInt(8); j++) {
                        bad[rnd.nextInt(bad.length)] = (byte) rnd.nextInt(256);
                    }
                    try (Netlink nl = new Netlink(new FakeKernel().dump(type, bad))) {
                        dumpOf(nl, type);
                    } catch (IOException expected) {
                        // rejected: fine
                    }
                }
            });
        }
    }
}
