package io.jpasta.launcher;

import io.jpasta.netns.HostState;
import io.jpasta.netns.IfConfig;
import io.jpasta.netns.Netlink;
import io.jpasta.netns.NetlinkAddr;
import io.jpasta.netns.NetlinkLink;
import io.jpasta.netns.NetlinkRoute;
import io.jpasta.netns.Resolv;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Configuration derived from fixture host states: what the namespace and the tap services get. */
class ConfTest {
    private static final NetlinkLink LO = new NetlinkLink(1, "lo", Netlink.ARPHRD_LOOPBACK,
            Netlink.IFF_UP | Netlink.IFF_LOOPBACK, 65536, NetlinkLink.NO_MAC);
    private static final NetlinkLink UP0 = new NetlinkLink(2, "up0", Netlink.ARPHRD_ETHER, Netlink.IFF_UP, 1500,
            0x0200_0000_0002L);
    private static final Resolv NO_RESOLV = new Resolv(List.of(ip("198.51.100.53")), List.of("example.test"));

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static NetlinkAddr addr(String a, int len) {
        return new NetlinkAddr(2, ip(a), len, Netlink.RT_SCOPE_UNIVERSE, 0);
    }

    static NetlinkRoute route(String dst, int len, String gw) {
        return new NetlinkRoute(ip(dst), len, gw == null ? null : ip(gw), 2, 0, Netlink.RTPROT_BOOT,
                Netlink.RT_SCOPE_UNIVERSE, Netlink.RTN_UNICAST, Netlink.RT_TABLE_MAIN, 0, List.of());
    }

    static Conf.Input input(boolean configNet) {
        return Conf.input().configNet(configNet);
    }

    static HostState dualStack() {
        return HostState.of(List.of(LO, UP0),
                List.of(addr("198.51.100.2", 30), addr("2001:db8:1::2", 64)),
                List.of(route("0.0.0.0", 0, "198.51.100.1"), route("198.51.100.0", 30, null),
                        route("::", 0, "2001:db8:1::1"), route("2001:db8:1::", 64, null)),
                null, null, true, true);
    }

    @Test
    void configNetCopiesTemplateAddressesAndRoutesOntoTapNamedLikeIt() {
        Conf c = Conf.of(input(true), dualStack(), NO_RESOLV);
        assertEquals("up0", c.tapName());
        assertEquals(Conf.DEFAULT_MTU, c.ifConfig().mtu());
        assertEquals(List.of(new IfConfig.Addr(ip("198.51.100.2"), 30), new IfConfig.Addr(ip("2001:db8:1::2"), 64)),
                c.ifConfig().addrs());
        assertEquals(4, c.ifConfig().routes().size());
        assertTrue(c.ifConfig().routes().contains(IfConfig.Route.defaultVia(ip("198.51.100.1"))));
        assertTrue(c.ifConfig().loUp());
        assertTrue(c.ifConfig().linkLocal6());
        assertEquals(ip("198.51.100.1"), c.tap().gateway4());
        assertEquals(30, c.tap().prefixLen4());
        assertTrue(c.tap().noRa(), "--config-net implies --no-ra");
    }

    @Test
    void servicesSetOnTheInputReachEveryDerivedTapConfAndDerivingAgainTakesTheNewHost() {
        Conf.Input in = input(false);
        in.services().hostname("box").fqdn("box.example.test").dhcpDns(true).noDhcpv6(true).noIcmp(true);
        HostState renumbered = HostState.of(List.of(LO, UP0), List.of(addr("198.51.100.6", 30)),
                List.of(route("0.0.0.0", 0, "198.51.100.5")), null, null, true, true);
        Conf first = Conf.of(in, dualStack(), NO_RESOLV);
        Conf again = Conf.of(in, renumbered, NO_RESOLV);
        for (Conf c : List.of(first, again)) {
            assertEquals("box", c.tap().hostname());
            assertEquals("box.example.test", c.tap().fqdn());
            assertTrue(c.tap().dhcpDns() && c.tap().noDhcpv6() && c.tap().noIcmp() && c.tap().noNdp());
            assertFalse(c.tap().noDhcp() || c.tap().noRa());
        }
        assertEquals(ip("198.51.100.2"), first.tap().addr4());
        assertEquals(ip("198.51.100.6"), again.tap().addr4());
        assertEquals(ip("198.51.100.5"), again.tap().gateway4());
        assertEquals(null, again.tap().addr6(), "the host has no IPv6 any more");
    }

    @Test
    void withoutConfigNetOnlyLoAndMacAreTouched() {
        Conf c = Conf.of(input(false), dualStack(), NO_RESOLV);
        assertEquals(IfConfig.KEEP_MTU, c.ifConfig().mtu());
        assertTrue(c.ifConfig().addrs().isEmpty());
        assertTrue(c.ifConfig().routes().isEmpty());
        assertTrue(c.ifConfig().loUp());
        assertFalse(c.tap().noRa());
        assertEquals(ip("198.51.100.2"), c.tap().addr4(), "DHCP still hands out the host's address");
    }

    @Test
    void noInterfacesMeansLocalModeForBothFamilies() {
        HostState none = HostState.of(List.of(LO), List.of(), List.of(), null, null, true, true);
        Conf c = Conf.of(input(true), none, NO_RESOLV);
        assertEquals("tap0", c.tapName());
        assertTrue(c.ifConfig().addrs().contains(new IfConfig.Addr(HostState.LOCAL_ADDR4, 16)));
        assertTrue(c.ifConfig().routes().contains(IfConfig.Route.defaultVia(HostState.LOCAL_GW4)));
        assertTrue(c.ifConfig().routes().contains(IfConfig.Route.defaultVia(HostState.LOCAL_GW6)));
        assertNull(c.tap().addr6());
    }

    @Test
    void ipv6OnlyHostGetsLocalModeIpv4AndCopiedIpv6() {
        HostState v6only = HostState.of(List.of(LO, UP0), List.of(addr("2001:db8:1::2", 64)),
                List.of(route("::", 0, "2001:db8:1::1"), route("2001:db8:1::", 64, null)), null, null, true, true);
        Conf c = Conf.of(input(true), v6only, NO_RESOLV);
        assertEquals("up0", c.tapName());
        assertEquals(HostState.LOCAL_ADDR4, c.tap().addr4());
        assertEquals(ip("2001:db8:1::2"), c.tap().addr6());
    }

    @Test
    void addressAndGatewayOptionsReplaceTheTemplateWithOneDefaultRoute() {
        Conf.Input in = input(true).nsIfname("jp0").mtu(9000).addr4((Inet4Address) ip("203.0.113.7")).prefixLen4(24)
                .gateway4((Inet4Address) ip("203.0.113.1"));
        Conf c = Conf.of(in, dualStack(), NO_RESOLV);
        assertEquals("jp0", c.tapName());
        assertEquals(9000, c.ifConfig().mtu());
        assertTrue(c.ifConfig().addrs().contains(new IfConfig.Addr(ip("203.0.113.7"), 24)));
        assertFalse(c.ifConfig().addrs().contains(new IfConfig.Addr(ip("198.51.100.2"), 30)));
        assertTrue(c.ifConfig().routes().contains(IfConfig.Route.defaultVia(ip("203.0.113.1"))));
        assertEquals(24, c.tap().prefixLen4());
    }

    @Test
    void ipv4OnlySwitchesIpv6Off() {
        Conf c = Conf.of(input(true).ipv4Only(true), dualStack(), NO_RESOLV);
        assertNull(c.tap().addr6());
        assertFalse(c.ifConfig().linkLocal6());
        for (IfConfig.Addr a : c.ifConfig().addrs()) {
            assertFalse(a.addr() instanceof Inet6Address, a.toString());
        }
    }

    @Test
    void givenAddressesWithoutPrefixTakeTheClassfulIpv4PrefixAndIpv6Slash64() {
        Conf c = Conf.of(input(true).addr4((Inet4Address) ip("172.16.1.1")).addr6((Inet6Address) ip("2001:db8:9::7")),
                dualStack(), NO_RESOLV);
        assertEquals(16, c.tap().prefixLen4());
        assertEquals(64, c.tap().prefixLen6());
        assertEquals(ip("198.51.100.1"), c.tap().gateway4(), "the host's gateway stays");
        assertTrue(c.ifConfig().addrs().contains(new IfConfig.Addr(ip("2001:db8:9::7"), 64)));
        assertEquals(2, c.ifConfig().routes().size(), "one default route per family, nothing copied");
        Conf same = Conf.of(input(true).addr6((Inet6Address) ip("2001:db8:1::2")).prefixLen4(20), dualStack(),
                NO_RESOLV);
        assertEquals(64, same.tap().prefixLen6(), "the host's own address keeps the host's prefix length");
        assertEquals(20, same.tap().prefixLen4(), "-n applies to the copied IPv4 address");
    }

    @Test
    void templateWithoutDefaultRouteGivesIpv4NoGatewayRouteButIpv6OurLinkLocalOne() {
        HostState noDefault = HostState.of(List.of(LO, UP0),
                List.of(addr("198.51.100.2", 30), addr("2001:db8:1::2", 64)),
                List.of(route("198.51.100.0", 30, null), route("2001:db8:1::", 64, null)), null, null, true, true);
        Conf c = Conf.of(input(true).gateway6((Inet6Address) ip("fe80::9")).addr4((Inet4Address) ip("203.0.113.7")),
                noDefault, NO_RESOLV);
        assertFalse(c.ifConfig().routes().stream().anyMatch(r -> r.dst() instanceof Inet4Address));
        assertEquals(HostState.LOCAL_GW4, c.tap().gateway4(), "DHCP needs a router: ours in local mode");
        assertEquals(ip("fe80::9"), c.tap().ourLinkLocal6(), "a link-local gateway is our address on the tap");
        Conf copied = Conf.of(input(true), noDefault, NO_RESOLV);
        assertNull(copied.tap().gateway6());
        assertEquals(Conf.OUR_LINK_LOCAL6, copied.tap().ourLinkLocal6());
        Conf v6Given = Conf.of(input(true).addr6((Inet6Address) ip("2001:db8:9::7")), noDefault, NO_RESOLV);
        assertTrue(v6Given.ifConfig().routes().contains(IfConfig.Route.defaultVia(HostState.LOCAL_GW6)));
    }

    @Test
    void resolversComeFromResolvConfUnlessGiven() {
        Conf c = Conf.of(input(true), dualStack(), NO_RESOLV);
        assertEquals(List.of(ip("198.51.100.53")), c.tap().dns4());
        assertEquals(List.of("example.test"), c.tap().search());
    }

    @Test
    void classfulPrefixFollowsRfc4632() {
        assertEquals(8, Conf.classfulPrefix((Inet4Address) ip("127.1.2.3")));
        assertEquals(16, Conf.classfulPrefix((Inet4Address) ip("169.254.1.1")));
        assertEquals(24, Conf.classfulPrefix((Inet4Address) ip("198.51.100.7")));
    }
}
