package io.jpasta.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The conversation {@link NsNetConfig#apply} has with the namespace's kernel, request by request. */
class NsNetConfigTest {
    @BeforeAll
    static void load() {
        Sys.load();
    }

    private static InetAddress ip(String s) {
        return InetAddress.ofLiteral(s);
    }

    /** A fresh namespace: lo down, and the tap nsd made (down, with a MAC of the tap driver's choice). */
    private static FakeKernel freshNamespace() {
        return new FakeKernel()
                .link(new NetlinkLink(1, "lo", Netlink.ARPHRD_LOOPBACK, Netlink.IFF_LOOPBACK, 65536, 0))
                .link(new NetlinkLink(2, "tap0", Netlink.ARPHRD_ETHER, Netlink.IFF_BROADCAST, 1500,
                        NetlinkLink.parseMac("c6:fe:b3:b6:1e:25")));
    }

    private static List<String> conversation(FakeKernel k) throws IOException {
        List<String> out = new ArrayList<>();
        for (byte[] r : k.requests) {
            out.add(FakeKernel.describe(r));
        }
        return out;
    }

    private static final IfConfig FULL = new IfConfig("tap0", 65520, NetlinkLink.parseMac("02:00:00:00:00:07"),
            List.of(new IfConfig.Addr(ip("198.51.100.2"), 30), new IfConfig.Addr(ip("2001:db8:1::2"), 64)),
            List.of(IfConfig.Route.defaultVia(ip("198.51.100.1")),
                    new IfConfig.Route(ip("203.0.113.0"), 24, ip("198.51.100.77"), 5),
                    new IfConfig.Route(ip("198.51.100.0"), 30, null, 0),
                    IfConfig.Route.defaultVia(ip("fe80::1")),
                    new IfConfig.Route(ip("2001:db8:1::"), 64, null, 256)),
            IfConfig.LO_UP | IfConfig.LINK_LOCAL6);

    @Test
    void applyConfiguresLinkThenAddressesThenRoutes() throws IOException {
        FakeKernel k = freshNamespace();
        try (Netlink nl = new Netlink(k)) {
            NsNetConfig.apply(nl, FULL);
        }
        assertEquals(List.of(
                "RTM_GETLINK lo",
                "RTM_NEWLINK if 1 flags 0x1/0x1",
                "RTM_GETLINK tap0",
                "RTM_NEWLINK if 2 mtu 65520",
                "RTM_NEWLINK if 2 address 02:00:00:00:00:07",
                "RTM_NEWLINK if 2 addrgenmode 1",
                "RTM_NEWLINK if 2 flags 0x1/0x1",
                // EUI-64 of the MAC just set: 02 ^ 02 = 00, then 00:00 ff:fe 00:00:07
                "RTM_NEWADDR if 2 fe80::ff:fe00:7/64 flags 0x2 scope 253",
                "RTM_NEWADDR if 2 198.51.100.2/30 flags 0x0 scope 0",
                "RTM_NEWADDR if 2 2001:db8:1::2/64 flags 0x2 scope 0",
                // routes without gateway first; 198.51.100.77 is outside 198.51.100.0/30 and any direct route
                "RTM_NEWROUTE 198.51.100.0/30 oif 2 metric 0 scope 253 flags 0x0",
                "RTM_NEWROUTE 2001:db8:1::/64 oif 2 metric 256 scope 253 flags 0x0",
                "RTM_NEWROUTE default via 198.51.100.1 oif 2 metric 0 scope 0 flags 0x0",
                "RTM_NEWROUTE 203.0.113.0/24 via 198.51.100.77 oif 2 metric 5 scope 0 flags 0x4",
                "RTM_NEWROUTE default via fe80::1 oif 2 metric 0 scope 0 flags 0x0"), conversation(k));
    }

    @Test
    void applyRequestsAreTheFixtureBytes() throws IOException {
        FakeKernel k = freshNamespace();
        try (Netlink nl = new Netlink(k)) {
            NsNetConfig.apply(nl, FULL);
        }
        // the same requests as the hand-checked fixtures, apart from the sequence number
        assertEquals(Fixtures.hex(withSeq(Fixtures.hex("link-mtu.hex"), 4)), Fixtures.hex(k.requests.get(3)));
        assertEquals(Fixtures.hex(withSeq(Fixtures.hex("link-mac.hex"), 5)), Fixtures.hex(k.requests.get(4)));
        assertEquals(Fixtures.hex(withSeq(Fixtures.hex("link-addrgenmode.hex"), 6)), Fixtures.hex(k.requests.get(5)));
        assertEquals(Fixtures.hex(withSeq(Fixtures.hex("link-up.hex"), 7)), Fixtures.hex(k.requests.get(6)));
        assertEquals(Fixtures.hex(withSeq(Fixtures.hex("newaddr-v4.hex"), 9)), Fixtures.hex(k.requests.get(8)));
        assertEquals(Fixtures.hex(withSeq(Fixtures.hex("newaddr-v6-nodad.hex"), 10)), Fixtures.hex(k.requests.get(9)));
        assertEquals(Fixtures.hex(withSeq(Fixtures.hex("newroute-v4-direct.hex"), 11)),
                Fixtures.hex(k.requests.get(10)));
        assertEquals(Fixtures.hex(withSeq(Fixtures.hex("newroute-v4-default.hex"), 13)),
                Fixtures.hex(k.requests.get(12)));
        assertEquals(Fixtures.hex(withSeq(Fixtures.hex("newroute-v4-onlink.hex"), 14)),
                Fixtures.hex(k.requests.get(13)));
        assertEquals(Fixtures.hex(withSeq(Fixtures.hex("newroute-v6-default.hex"), 15)),
                Fixtures.hex(k.requests.get(14)));
    }

    private static byte[] withSeq(byte[] req, int seq) {
        ByteBuffer.wrap(req).order(ByteOrder.nativeOrder()).putInt(NetlinkWire.NLMSG_SEQ, seq);
        return req;
    }

    @Test
    void keptMacGivesTheKernelsOwnLinkLocalAddress() throws IOException {
        FakeKernel k = freshNamespace();
        IfConfig cfg = new IfConfig("tap0", IfConfig.KEEP_MTU, IfConfig.KEEP_MAC, List.of(), List.of(), IfConfig.LINK_LOCAL6);
        try (Netlink nl = new Netlink(k)) {
            NsNetConfig.apply(nl, cfg);
        }
        // the address system pasta's namespace ends up with for this MAC, once DAD is over
        assertEquals(List.of("RTM_GETLINK tap0", "RTM_NEWLINK if 2 addrgenmode 1", "RTM_NEWLINK if 2 flags 0x1/0x1",
                "RTM_NEWADDR if 2 fe80::c4fe:b3ff:feb6:1e25/64 flags 0x2 scope 253"), conversation(k));
    }

    @Test
    void ipv4OnlyLeavesIpv6Alone() throws IOException {
        FakeKernel k = freshNamespace();
        IfConfig cfg = new IfConfig("tap0", 65520, IfConfig.KEEP_MAC,
                List.of(new IfConfig.Addr(HostState.LOCAL_ADDR4, HostState.LOCAL_PREFIX_LEN4)),
                List.of(IfConfig.Route.defaultVia(HostState.LOCAL_GW4)), IfConfig.LO_UP);
        try (Netlink nl = new Netlink(k)) {
            NsNetConfig.apply(nl, cfg);
        }
        List<String> c = conversation(k);
        assertFalse(c.stream().anyMatch(s -> s.contains("addrgenmode") || s.contains("fe80")), c.toString());
        assertEquals("RTM_NEWROUTE default via 169.254.2.2 oif 2 metric 0 scope 0 flags 0x0", c.getLast());
    }

    @Test
    void existingRoutesAreAcceptedAsTheKernelsPrefixRoutes() throws IOException {
        FakeKernel k = freshNamespace();
        k.answer = req -> FakeKernel.type(req) == NetlinkWire.RTM_NEWROUTE ? Errno.EEXIST : 0;
        try (Netlink nl = new Netlink(k)) {
            NsNetConfig.apply(nl, FULL); // no exception
        }
        assertEquals(15, k.requests.size(), "and every route was still tried");
    }

    @Test
    void refusedAddressNamesItInTheException() throws IOException {
        FakeKernel k = freshNamespace();
        k.answer = req -> FakeKernel.type(req) == NetlinkWire.RTM_NEWADDR
                && FakeKernel.describe(req).contains("198.51.100.2") ? Errno.EEXIST : 0;
        try (Netlink nl = new Netlink(k)) {
            IOException e = assertThrows(IOException.class, () -> NsNetConfig.apply(nl, FULL));
            assertEquals("RTM_NEWADDR 198.51.100.2/30: " + Errno.text(Errno.EEXIST), e.getMessage());
            assertEquals(Errno.EEXIST, ((Errno.SysException) e).errno());
        }
        assertEquals(9, k.requests.size(), "nothing after the refused step");
    }

    @Test
    void refusedRouteNamesItInTheException() throws IOException {
        FakeKernel k = freshNamespace();
        k.answer = req -> FakeKernel.describe(req).contains("via 198.51.100.1 ") ? Errno.ENETUNREACH : 0;
        try (Netlink nl = new Netlink(k)) {
            IOException e = assertThrows(IOException.class, () -> NsNetConfig.apply(nl, FULL));
            assertTrue(e.getMessage().startsWith("RTM_NEWROUTE default via 198.51.100.1: "), e.getMessage());
        }
    }

    @Test
    void missingTapIsAnException() {
        FakeKernel k = new FakeKernel().link(new NetlinkLink(1, "lo", Netlink.ARPHRD_LOOPBACK, 0, 65536, 0));
        try (Netlink nl = new Netlink(k)) {
            IOException e = assertThrows(IOException.class, () -> NsNetConfig.apply(nl, FULL));
            assertTrue(e.getMessage().startsWith("RTM_GETLINK tap0: "), e.getMessage());
        }
    }

    @Test
    void gatewaysOnTheLinkNeedNoOnlinkFlag() {
        IfConfig cfg = new IfConfig("tap0", 0, IfConfig.KEEP_MAC,
                List.of(new IfConfig.Addr(ip("198.51.100.2"), 24)),
                List.of(new IfConfig.Route(ip("203.0.113.1"), 32, null, 0)), 0);
        assertTrue(NsNetConfig.onLink(ip("198.51.100.254"), cfg), "inside the address's /24");
        assertTrue(NsNetConfig.onLink(ip("203.0.113.1"), cfg), "a host route without gateway");
        assertTrue(NsNetConfig.onLink(ip("fe80::1"), cfg), "IPv6 link-local");
        assertFalse(NsNetConfig.onLink(ip("203.0.113.9"), cfg));
        assertFalse(NsNetConfig.onLink(ip("2001:db8::1"), cfg));
    }

    @Test
    void prefixMatchHonoursPartialBytes() {
        assertTrue(NsNetConfig.inPrefix(ip("198.51.100.3"), ip("198.51.100.0"), 30));
        assertFalse(NsNetConfig.inPrefix(ip("198.51.100.4"), ip("198.51.100.0"), 30));
        assertTrue(NsNetConfig.inPrefix(ip("203.0.113.77"), ip("0.0.0.0"), 0));
        assertTrue(NsNetConfig.inPrefix(ip("2001:db8:1::ffff"), ip("2001:db8:1::"), 64));
        assertFalse(NsNetConfig.inPrefix(ip("2001:db8:2::1"), ip("2001:db8:1::"), 47));
        assertFalse(NsNetConfig.inPrefix(ip("198.51.100.1"), ip("::"), 0), "families never match");
    }

    @Test
    void linkLocalIsModifiedEui64() {
        assertEquals(ip("fe80::c4fe:b3ff:feb6:1e25"), NsNetConfig.linkLocal(NetlinkLink.parseMac("c6:fe:b3:b6:1e:25")));
        assertEquals(ip("fe80::ff:fe00:101"), NsNetConfig.linkLocal(NetlinkLink.parseMac("02:00:00:00:01:01")));
    }

    @Test
    void configRejectsImpossibleValues() {
        assertThrows(IllegalArgumentException.class, () -> new IfConfig.Addr(ip("198.51.100.2"), 33));
        assertThrows(IllegalArgumentException.class, () -> new IfConfig.Route(ip("::"), 0, ip("198.51.100.1"), 0));
        assertThrows(IllegalArgumentException.class,
                () -> new IfConfig("much-too-long-name", 0, IfConfig.KEEP_MAC, List.of(), List.of(), 0));
    }

    @Test
    void hostRoutesConvertToConfigRoutes() {
        NetlinkRoute mp = new NetlinkRoute(ip("203.0.113.64"), 26, null, 0, 7, Netlink.RTPROT_BOOT, 0,
                Netlink.RTN_UNICAST, Netlink.RT_TABLE_MAIN, 0,
                List.of(new NetlinkNexthop(3, ip("198.51.100.1"), 0, 1)));
        assertEquals(new IfConfig.Route(ip("203.0.113.64"), 26, ip("198.51.100.1"), 7), IfConfig.Route.of(mp));
        assertEquals("203.0.113.64/26 via 198.51.100.1 metric 7", IfConfig.Route.of(mp).toString());
        assertEquals("default via fe80::1", IfConfig.Route.defaultVia(ip("fe80::1")).toString());
    }
}
