package io.jpasta.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Which host interface becomes the template, on captured and on made-up host states. */
class HostStateTest {
    @BeforeAll
    static void load() {
        Sys.load();
    }

    private static InetAddress ip(String s) {
        return InetAddress.ofLiteral(s);
    }

    // ---- made-up host states: lo (1), eth0 (2), wlan0 (3)

    private static final NetlinkLink LO = new NetlinkLink(1, "lo", Netlink.ARPHRD_LOOPBACK,
            Netlink.IFF_UP | Netlink.IFF_LOOPBACK, 65536, 0);
    private static final NetlinkLink ETH0 = new NetlinkLink(2, "eth0", Netlink.ARPHRD_ETHER, Netlink.IFF_UP, 1500,
            0x020000000002L);
    private static final NetlinkLink WLAN0 = new NetlinkLink(3, "wlan0", Netlink.ARPHRD_ETHER, Netlink.IFF_UP, 1280,
            0x020000000003L);
    private static final List<NetlinkLink> LINKS = List.of(LO, ETH0, WLAN0);

    private static NetlinkAddr addr(int ifindex, String a, int len) {
        InetAddress x = ip(a);
        int scope = x.isLoopbackAddress() ? Netlink.RT_SCOPE_HOST
                : x.isLinkLocalAddress() ? Netlink.RT_SCOPE_LINK : Netlink.RT_SCOPE_UNIVERSE;
        return new NetlinkAddr(ifindex, x, len, scope, Netlink.IFA_F_PERMANENT);
    }

    private static NetlinkRoute route(String dst, int len, String gw, int oif, int metric) {
        return new NetlinkRoute(ip(dst), len, gw == null ? null : ip(gw), oif, metric, Netlink.RTPROT_BOOT,
                gw == null ? Netlink.RT_SCOPE_LINK : Netlink.RT_SCOPE_UNIVERSE, Netlink.RTN_UNICAST,
                Netlink.RT_TABLE_MAIN, 0, List.of());
    }

    private static final List<NetlinkAddr> LO_ADDRS = List.of(addr(1, "127.0.0.1", 8), addr(1, "::1", 128));

    private static List<NetlinkAddr> addrs(NetlinkAddr... more) {
        List<NetlinkAddr> all = new ArrayList<>(LO_ADDRS);
        all.addAll(List.of(more));
        return all;
    }

    @Test
    void defaultRouteWithLowestMetricPicksTheInterface() {
        HostState h = HostState.of(LINKS,
                addrs(addr(2, "198.51.100.2", 24), addr(3, "203.0.113.2", 24)),
                List.of(route("0.0.0.0", 0, "203.0.113.1", 3, 600), route("0.0.0.0", 0, "198.51.100.1", 2, 100),
                        route("198.51.100.0", 24, null, 2, 0), route("203.0.113.0", 24, null, 3, 0)),
                null, null, true, true);
        HostState.Template t = h.v4();
        assertEquals("eth0", t.name());
        assertEquals(2, t.ifindex());
        assertEquals(1500, t.mtu());
        assertEquals(0x020000000002L, t.mac());
        assertEquals(ip("198.51.100.1"), t.gateway());
        assertEquals(ip("198.51.100.2"), t.primary().addr());
        assertEquals(24, t.primary().prefixLen());
        assertEquals(2, t.routes().size(), "its default route and its prefix route, not wlan0's");
        assertFalse(h.has6(), "no IPv6 address anywhere but lo");
    }

    @Test
    void withoutDefaultRouteTheFirstInterfaceWithARouteIsPicked() {
        HostState h = HostState.of(LINKS,
                addrs(addr(2, "198.51.100.2", 24), addr(3, "203.0.113.2", 24)),
                List.of(route("203.0.113.0", 24, null, 3, 0), route("198.51.100.0", 24, null, 2, 0)),
                null, null, true, false);
        assertEquals("wlan0", h.v4().name());
        assertNull(h.v4().gateway());
        assertEquals(List.of(ip("203.0.113.2")), h.v4().addrs().stream().map(NetlinkAddr::addr).toList());
    }

    @Test
    void severalAddressesStayInKernelOrder() {
        HostState h = HostState.of(LINKS,
                addrs(addr(2, "198.51.100.2", 24), addr(2, "198.51.100.9", 24), addr(2, "169.254.7.7", 16),
                        addr(2, "203.0.113.5", 28)),
                List.of(route("0.0.0.0", 0, "198.51.100.1", 2, 0)), null, null, true, false);
        assertEquals(List.of(ip("198.51.100.2"), ip("198.51.100.9"), ip("203.0.113.5")),
                h.v4().addrs().stream().map(NetlinkAddr::addr).toList(), "link-local 169.254/16 left out");
    }

    @Test
    void ipv6OnlyHostLeavesIpv4Absent() {
        HostState h = HostState.of(LINKS,
                addrs(addr(2, "2001:db8:1::2", 64), addr(2, "fe80::2", 64)),
                List.of(route("2001:db8:1::", 64, null, 2, 256), route("fe80::", 64, null, 2, 256),
                        route("::", 0, "fe80::1", 2, 1024)),
                null, null, true, true);
        assertFalse(h.has4());
        assertNull(h.v4());
        HostState.Template t = h.v6();
        assertEquals("eth0", t.name());
        assertEquals(ip("fe80::1"), t.gateway());
        assertEquals(List.of(ip("2001:db8:1::2")), t.addrs().stream().map(NetlinkAddr::addr).toList());
        assertEquals(ip("fe80::2"), t.linkLocal().addr());
        assertEquals(3, t.routes().size());
    }

    @Test
    void noInterfacesAtAllMeansLocalModeForBoth() {
        HostState h = HostState.of(List.of(LO), LO_ADDRS, List.of(route("::1", 128, null, 1, 256)), null, null,
                true, true);
        assertFalse(h.has4());
        assertFalse(h.has6(), "the ::1 route of lo does not make lo a template");
        assertEquals(ip("169.254.2.1"), HostState.LOCAL_ADDR4);
        assertEquals(16, HostState.LOCAL_PREFIX_LEN4);
        assertEquals(ip("169.254.2.2"), HostState.LOCAL_GW4);
        assertEquals(ip("fe80::1"), HostState.LOCAL_GW6);
    }

    @Test
    void namedInterfaceWinsOverTheDefaultRoute() {
        List<NetlinkRoute> routes = List.of(route("0.0.0.0", 0, "198.51.100.1", 2, 0),
                route("0.0.0.0", 0, "203.0.113.1", 3, 500), route("203.0.113.0", 24, null, 3, 0));
        List<NetlinkAddr> a = addrs(addr(2, "198.51.100.2", 24), addr(3, "203.0.113.2", 24));
        HostState h = HostState.of(LINKS, a, routes, "wlan0", null, true, false);
        assertEquals("wlan0", h.v4().name());
        assertEquals(1280, h.v4().mtu());
        assertEquals(ip("203.0.113.1"), h.v4().gateway(), "the gateway of the named interface's default route");
        assertFalse(HostState.of(LINKS, a, routes, "nosuch0", null, true, false).has4());
        assertFalse(HostState.of(LINKS, a, routes, "lo", null, true, false).has4(), "loopback is never a template");
    }

    @Test
    void linkLocalOnlyInterfaceServesIpv6ButNotIpv4() {
        HostState h = HostState.of(LINKS, addrs(addr(2, "fe80::2", 64), addr(2, "169.254.3.3", 16)),
                List.of(route("fe80::", 64, null, 2, 256), route("169.254.0.0", 16, null, 2, 0)),
                null, null, true, true);
        assertFalse(h.has4(), "no global IPv4 address");
        assertTrue(h.has6());
        assertTrue(h.v6().addrs().isEmpty());
        assertEquals(ip("fe80::2"), h.v6().linkLocal().addr());
        assertNull(h.v6().gateway());
    }

    @Test
    void familiesNotAskedForAreAbsent() {
        HostState h = HostState.of(LINKS, addrs(addr(2, "198.51.100.2", 24), addr(2, "2001:db8:1::2", 64)),
                List.of(route("0.0.0.0", 0, "198.51.100.1", 2, 0), route("::", 0, "fe80::1", 2, 1024)),
                null, null, false, true);
        assertFalse(h.has4());
        assertTrue(h.has6());
    }

    @Test
    void multipathDefaultRoutePicksItsFirstNexthop() {
        NetlinkRoute mp = new NetlinkRoute(ip("0.0.0.0"), 0, null, 0, 0, Netlink.RTPROT_BOOT, 0,
                Netlink.RTN_UNICAST, Netlink.RT_TABLE_MAIN, 0, List.of(new NetlinkNexthop(3, ip("203.0.113.1"), 0, 1),
                new NetlinkNexthop(2, ip("198.51.100.1"), 0, 1)));
        HostState h = HostState.of(LINKS, addrs(addr(2, "198.51.100.2", 24), addr(3, "203.0.113.2", 24)),
                List.of(mp), null, null, true, false);
        assertEquals("wlan0", h.v4().name());
        assertEquals(ip("203.0.113.1"), h.v4().gateway());
    }

    // ---- the captured host (see src/test/resources/netlink/README.md)

    private static HostState captured(String if4, String if6) throws IOException {
        FakeKernel k = NetlinkTest.capturedHost();
        byte[] r4 = Fixtures.bytes("dump-routes4.bin"), r6 = Fixtures.bytes("dump-routes6.bin");
        try (Netlink nl = new Netlink(k)) {
            List<NetlinkRoute> routes = new ArrayList<>();
            k.dump(NetlinkWire.RTM_GETROUTE, r4);
            routes.addAll(nl.routes(0));
            k.dump(NetlinkWire.RTM_GETROUTE, r6);
            routes.addAll(nl.routes(0));
            return HostState.of(nl.links(), nl.addrs(0), routes, if4, if6, true, true);
        }
    }

    @Test
    void capturedHostPicksEth0WithItsSecondaryAndMultipathRoute() throws IOException {
        HostState h = captured(null, null);
        HostState.Template v4 = h.v4();
        assertEquals("eth0", v4.name());
        assertEquals(3, v4.ifindex());
        assertEquals(ip("198.51.100.1"), v4.gateway());
        assertEquals(List.of(ip("198.51.100.2"), ip("198.51.100.9")),
                v4.addrs().stream().map(NetlinkAddr::addr).toList());
        assertEquals(List.of("default via 198.51.100.1 oif 3 metric 100", "198.51.100.0/24 oif 3 metric 0",
                "203.0.113.64/26 oif 0 metric 0", "203.0.113.128/25 via 198.51.100.254 oif 3 metric 0"),
                v4.routes().stream().map(NetlinkTest::brief).toList());
        HostState.Template v6 = h.v6();
        assertEquals("eth0", v6.name());
        assertEquals(ip("fe80::1"), v6.gateway());
        assertEquals(List.of(ip("2001:db8:1::9"), ip("2001:db8:1::2")),
                v6.addrs().stream().map(NetlinkAddr::addr).toList());
        assertEquals(ip("fe80::ff:fe00:101"), v6.linkLocal().addr());
        assertEquals(5, v6.routes().size());
    }

    @Test
    void capturedHostWithOutboundInterfacesPerFamily() throws IOException {
        HostState h = captured("eth1", "eth1");
        assertEquals("eth1", h.v4().name());
        assertEquals(1400, h.v4().mtu());
        assertEquals(ip("203.0.113.1"), h.v4().gateway());
        assertEquals(List.of(ip("203.0.113.2")), h.v4().addrs().stream().map(NetlinkAddr::addr).toList());
        assertEquals("eth1", h.v6().name());
        assertNull(h.v6().gateway(), "eth1 has no IPv6 default route");
        assertEquals(List.of(ip("2001:db8:2::2")), h.v6().addrs().stream().map(NetlinkAddr::addr).toList());
    }
}
