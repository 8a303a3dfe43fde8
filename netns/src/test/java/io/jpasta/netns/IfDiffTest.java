package io.jpasta.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What changes on the namespace's interface when the host changes: {@link IfDiff} and {@link NsNetConfig#update}. */
class IfDiffTest {
    @BeforeAll
    static void load() {
        Sys.load();
    }

    private static InetAddress ip(String s) {
        return InetAddress.ofLiteral(s);
    }

    private static IfConfig cfg(int mtu, List<IfConfig.Addr> addrs, List<IfConfig.Route> routes) {
        return new IfConfig("up0", mtu, IfConfig.KEEP_MAC, addrs, routes, IfConfig.LO_UP | IfConfig.LINK_LOCAL6);
    }

    private static final IfConfig.Addr OLD4 = new IfConfig.Addr(ip("198.51.100.2"), 30);
    private static final IfConfig.Addr NEW4 = new IfConfig.Addr(ip("198.51.100.6"), 30);
    private static final IfConfig.Addr V6 = new IfConfig.Addr(ip("2001:db8:1::2"), 64);
    private static final IfConfig.Route OLD_DEF = IfConfig.Route.defaultVia(ip("198.51.100.1"));
    private static final IfConfig.Route NEW_DEF = IfConfig.Route.defaultVia(ip("198.51.100.5"));
    private static final IfConfig.Route DEF6 = IfConfig.Route.defaultVia(ip("2001:db8:1::1"));

    private static final IfConfig BEFORE = cfg(65520, List.of(OLD4, V6), List.of(OLD_DEF, DEF6));
    private static final IfConfig AFTER = cfg(65520, List.of(NEW4, V6), List.of(NEW_DEF, DEF6));

    @Test
    void renumberingRemovesOnlyWhatChangedAndAddsTheNewValues() {
        IfDiff d = IfDiff.of(BEFORE, AFTER);
        assertEquals(List.of(OLD4), d.removeAddrs());
        assertEquals(List.of(NEW4), d.addAddrs());
        assertEquals(List.of(OLD_DEF), d.removeRoutes());
        assertEquals(List.of(NEW_DEF), d.addRoutes());
        assertEquals(IfConfig.KEEP_MTU, d.mtu());
    }

    @Test
    void sameConfigurationIsNoChange() {
        assertTrue(IfDiff.of(BEFORE, cfg(65520, List.of(OLD4, V6), List.of(OLD_DEF, DEF6))).isEmpty());
    }

    @Test
    void mtuIsAChangeOfItsOwn() {
        IfDiff d = IfDiff.of(BEFORE, cfg(1400, BEFORE.addrs(), BEFORE.routes()));
        assertEquals(1400, d.mtu());
        assertEquals("mtu 1400", d.toString());
    }

    @Test
    void updateDeletesRoutesThenAddressesThenAddsAddressesAndEveryWantedRoute() throws IOException {
        FakeKernel k = new FakeKernel().link(new NetlinkLink(2, "up0", Netlink.ARPHRD_ETHER, Netlink.IFF_UP, 65520,
                NetlinkLink.parseMac("02:00:00:00:00:07")));
        // the kernel already dropped the old default route with its address, and keeps the IPv6 one
        k.answer = req -> switch (FakeKernel.describe(req)) {
            case String s when s.startsWith("RTM_DELROUTE") -> Errno.ESRCH;
            case String s when s.contains("2001:db8:1::1") -> Errno.EEXIST;
            default -> 0;
        };
        try (Netlink nl = new Netlink(k)) {
            NsNetConfig.update(nl, BEFORE, AFTER);
        }
        List<String> got = new ArrayList<>();
        for (byte[] r : k.requests) {
            got.add(FakeKernel.describe(r));
        }
        assertEquals(List.of(
                "RTM_GETLINK up0",
                "RTM_DELROUTE default via 198.51.100.1 oif 2 metric 0",
                "RTM_DELADDR if 2 198.51.100.2/30",
                "RTM_NEWADDR if 2 198.51.100.6/30 flags 0x0 scope 0",
                "RTM_NEWROUTE default via 198.51.100.5 oif 2 metric 0 scope 0 flags 0x0",
                "RTM_NEWROUTE default via 2001:db8:1::1 oif 2 metric 0 scope 0 flags 0x0"), got);
    }

    @Test
    void updateReportsARefusalByName() {
        FakeKernel k = new FakeKernel().link(new NetlinkLink(2, "up0", Netlink.ARPHRD_ETHER, Netlink.IFF_UP, 65520,
                NetlinkLink.parseMac("02:00:00:00:00:07")));
        k.answer = req -> FakeKernel.describe(req).startsWith("RTM_NEWADDR") ? Errno.EPERM : 0;
        try (Netlink nl = new Netlink(k)) {
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                    () -> NsNetConfig.update(nl, BEFORE, AFTER));
            assertTrue(e.getMessage().startsWith("RTM_NEWADDR 198.51.100.6/30"), e.getMessage());
        }
    }
}
