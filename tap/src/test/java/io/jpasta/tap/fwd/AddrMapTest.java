package io.jpasta.tap.fwd;

import io.jpasta.tap.TapConf;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddrMapTest {
    static final int TCP = 6, UDP = 17, ICMP = 1;

    static final TapConf CONF = TapConf.builder().addr4((Inet4Address) ip("198.51.100.2"), 30)
            .gateway4((Inet4Address) ip("198.51.100.1")).addr6((Inet6Address) ip("2001:db8:1::2"), 64)
            .gateway6((Inet6Address) ip("2001:db8:1::1")).ourLinkLocal6((Inet6Address) ip("fe80::1")).mtu(65520)
            .build();

    static InetAddress ip(String s) {
        return IpLiteral.parse(s);
    }

    static AddrMap.Addr a(String s) {
        return AddrMap.Addr.of(ip(s));
    }

    /** @return the address {@code m.fromTap} maps {@code dst:port} to, and checks what rule applied */
    static AddrMap.Addr from(AddrMap m, int proto, String dst, int port, int expectRule) {
        AddrMap.Addr d = a(dst);
        assertEquals(expectRule, m.fromTap(proto, d.hi(), d.lo(), port), "rule for " + dst + ":" + port);
        return new AddrMap.Addr(m.resultHi(), m.resultLo());
    }

    static AddrMap.Addr to(AddrMap m, String src, int expectRule) {
        AddrMap.Addr s = a(src);
        assertEquals(expectRule, m.toTap(s.hi(), s.lo()), "rule for " + src);
        return new AddrMap.Addr(m.resultHi(), m.resultLo());
    }

    @Test
    void gatewayReachesHostLoopbackByDefault() {
        AddrMap m = AddrMap.builder(CONF).build();
        assertEquals(a("127.0.0.1"), from(m, TCP, "198.51.100.1", 8080, AddrMap.HOST_LOOPBACK));
        assertEquals(a("::1"), from(m, TCP, "2001:db8:1::1", 8080, AddrMap.HOST_LOOPBACK));
        assertEquals(a("127.0.0.1"), from(m, ICMP, "198.51.100.1", 0, AddrMap.HOST_LOOPBACK));
    }

    @Test
    void otherAddressesAreKept() {
        AddrMap m = AddrMap.builder(CONF).build();
        assertEquals(a("198.51.100.200"), from(m, TCP, "198.51.100.200", 80, AddrMap.KEEP));
        assertEquals(a("2001:db8:2::10"), from(m, TCP, "2001:db8:2::10", 80, AddrMap.KEEP));
        assertEquals(a("198.51.100.2"), from(m, TCP, "198.51.100.2", 80, AddrMap.KEEP));
    }

    @Test
    void noMapGwKeepsTheGateway() {
        AddrMap m = AddrMap.defaults(CONF, false);
        assertEquals(a("198.51.100.1"), from(m, TCP, "198.51.100.1", 8080, AddrMap.KEEP));
        assertEquals(a("2001:db8:1::1"), from(m, TCP, "2001:db8:1::1", 8080, AddrMap.KEEP));
    }

    @Test
    void mapHostLoopbackReplacesTheGatewayOfItsFamilyOnly() {
        AddrMap m = AddrMap.builder(CONF).mapHostLoopback(ip("203.0.113.7")).build();
        assertEquals(a("127.0.0.1"), from(m, TCP, "203.0.113.7", 22, AddrMap.HOST_LOOPBACK));
        assertEquals(a("198.51.100.1"), from(m, TCP, "198.51.100.1", 22, AddrMap.KEEP));
        assertEquals(a("::1"), from(m, TCP, "2001:db8:1::1", 22, AddrMap.HOST_LOOPBACK));
    }

    @Test
    void explicitMapHostLoopbackWorksWithNoMapGw() {
        AddrMap m = AddrMap.builder(CONF).noMapGw(true).mapHostLoopback(ip("2001:db8:9::7")).build();
        assertEquals(a("::1"), from(m, TCP, "2001:db8:9::7", 22, AddrMap.HOST_LOOPBACK));
        assertEquals(a("198.51.100.1"), from(m, TCP, "198.51.100.1", 22, AddrMap.KEEP));
    }

    @Test
    void mapGuestAddrReachesTheHostsOwnAddress() {
        AddrMap m = AddrMap.builder(CONF).mapGuestAddr(ip("203.0.113.8")).mapGuestAddr(ip("2001:db8:9::8")).build();
        assertEquals(a("198.51.100.2"), from(m, TCP, "203.0.113.8", 5000, AddrMap.GUEST_ADDR));
        assertEquals(a("2001:db8:1::2"), from(m, TCP, "2001:db8:9::8", 5000, AddrMap.GUEST_ADDR));
    }

    @Test
    void dnsForwardGoesToDnsHostOnPorts53And853Only() {
        AddrMap m = AddrMap.builder(CONF).dnsForward(ip("203.0.113.53")).dnsHost(ip("198.51.100.200"))
                .resolvers(List.of(ip("198.51.100.99"))).build();
        assertEquals(a("198.51.100.200"), from(m, TCP, "203.0.113.53", 53, AddrMap.DNS));
        assertEquals(a("198.51.100.200"), from(m, TCP, "203.0.113.53", 853, AddrMap.DNS));
        assertEquals(a("198.51.100.200"), from(m, UDP, "203.0.113.53", 53, AddrMap.DNS));
        assertEquals(a("203.0.113.53"), from(m, TCP, "203.0.113.53", 80, AddrMap.KEEP));
        assertEquals(a("203.0.113.53"), from(m, ICMP, "203.0.113.53", 53, AddrMap.KEEP));
    }

    @Test
    void dnsHostDefaultsToTheFirstResolverOfTheFamily() {
        AddrMap m = AddrMap.builder(CONF).dnsForward(ip("203.0.113.53")).dnsForward(ip("2001:db8:9::53"))
                .resolvers(List.of(ip("2001:db8:2::10"), ip("198.51.100.200"), ip("198.51.100.201"))).build();
        assertEquals(a("198.51.100.200"), from(m, TCP, "203.0.113.53", 53, AddrMap.DNS));
        assertEquals(a("2001:db8:2::10"), from(m, TCP, "2001:db8:9::53", 53, AddrMap.DNS));
    }

    @Test
    void dnsHostOfOneFamilyLeavesTheOtherToTheResolvers() {
        AddrMap m = AddrMap.builder(CONF).dnsForward(ip("203.0.113.53")).dnsForward(ip("2001:db8:9::53"))
                .dnsHost(ip("198.51.100.200")).resolvers(List.of(ip("198.51.100.9"), ip("2001:db8:2::10"))).build();
        assertEquals(a("198.51.100.200"), from(m, TCP, "203.0.113.53", 53, AddrMap.DNS));
        assertEquals(a("2001:db8:2::10"), from(m, TCP, "2001:db8:9::53", 53, AddrMap.DNS));
    }

    @Test
    void dnsForwardWithoutAnyNameServerIsNotMapped() {
        AddrMap m = AddrMap.builder(CONF).dnsForward(ip("203.0.113.53")).build();
        assertEquals(a("203.0.113.53"), from(m, TCP, "203.0.113.53", 53, AddrMap.KEEP));
    }

    @Test
    void loopbackResolverIsReachedThroughTheGatewayWithoutDnsForward() {
        AddrMap m = AddrMap.builder(CONF).resolvers(List.of(ip("127.0.0.53"))).build();
        assertEquals(a("127.0.0.53"), from(m, TCP, "198.51.100.1", 53, AddrMap.DNS));
        assertEquals(a("127.0.0.1"), from(m, TCP, "198.51.100.1", 80, AddrMap.HOST_LOOPBACK));
    }

    @Test
    void dnsComesBeforeHostLoopback() {
        AddrMap m = AddrMap.builder(CONF).dnsForward(ip("198.51.100.1")).dnsHost(ip("198.51.100.200")).build();
        assertEquals(a("198.51.100.200"), from(m, TCP, "198.51.100.1", 53, AddrMap.DNS));
        assertEquals(a("127.0.0.1"), from(m, TCP, "198.51.100.1", 54, AddrMap.HOST_LOOPBACK));
    }

    @Test
    void hostLoopbackPeerAppearsAsTheMapHostLoopbackAddress() {
        assertEquals(a("198.51.100.1"), to(AddrMap.builder(CONF).build(), "127.0.0.1", AddrMap.HOST_LOOPBACK));
        assertEquals(a("2001:db8:1::1"), to(AddrMap.builder(CONF).build(), "::1", AddrMap.HOST_LOOPBACK));
        AddrMap m = AddrMap.builder(CONF).mapHostLoopback(ip("203.0.113.7")).build();
        assertEquals(a("203.0.113.7"), to(m, "127.0.0.1", AddrMap.HOST_LOOPBACK));
    }

    @Test
    void hostsOwnAddressAppearsAsTheMapGuestAddrAddressElseTheGateway() {
        AddrMap m = AddrMap.builder(CONF).mapGuestAddr(ip("203.0.113.8")).build();
        assertEquals(a("203.0.113.8"), to(m, "198.51.100.2", AddrMap.GUEST_ADDR));
        assertEquals(a("2001:db8:1::1"), to(m, "2001:db8:1::2", AddrMap.GATEWAY));
        AddrMap d = AddrMap.builder(CONF).mapHostLoopback(ip("203.0.113.7")).build();
        assertEquals(a("198.51.100.1"), to(d, "198.51.100.2", AddrMap.GATEWAY));
    }

    @Test
    void withoutHostLoopbackMappingLoopbackPeersStillAppearAsTheGateway() {
        AddrMap m = AddrMap.defaults(CONF, false);
        assertEquals(a("198.51.100.1"), to(m, "127.0.0.1", AddrMap.GATEWAY));
        assertEquals(a("198.51.100.1"), to(m, "127.0.0.2", AddrMap.GATEWAY));
        assertEquals(a("2001:db8:1::1"), to(m, "::1", AddrMap.GATEWAY));
    }

    @Test
    void otherPeersKeepTheirAddress() {
        AddrMap m = AddrMap.builder(CONF).mapGuestAddr(ip("203.0.113.8")).build();
        assertEquals(a("198.51.100.200"), to(m, "198.51.100.200", AddrMap.KEEP));
        assertEquals(a("2001:db8:2::10"), to(m, "2001:db8:2::10", AddrMap.KEEP));
    }

    @Test
    void outboundAddressesAndInterfacesPerFamily() {
        AddrMap m = AddrMap.builder(CONF).outbound(ip("203.0.113.9")).outboundIf(null, "up0").build();
        assertEquals(a("203.0.113.9"), m.outbound(false));
        assertNull(m.outbound(true));
        assertNull(m.outboundIf(false));
        assertEquals("up0", m.outboundIf(true));
    }

    @Test
    void lookupsAllocateNothing() {
        AddrMap m = AddrMap.builder(CONF).mapGuestAddr(ip("203.0.113.8")).dnsForward(ip("203.0.113.53"))
                .dnsHost(ip("198.51.100.200")).build();
        AddrMap.Addr[] dst = {a("198.51.100.1"), a("203.0.113.8"), a("203.0.113.53"), a("198.51.100.200"),
            a("2001:db8:1::1"), a("127.0.0.1"), a("198.51.100.2")};
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long sum = 0, before = 0;
        int n = 100_000;
        for (int round = 0; round < 2; round++) {       // the first round warms up
            if (round == 1) {
                before = mx.getThreadAllocatedBytes(tid);
            }
            for (int i = 0; i < n; i++) {
                AddrMap.Addr d = dst[i % dst.length];
                sum += m.fromTap(TCP, d.hi(), d.lo(), i % 2 == 0 ? 53 : 80) + m.resultLo();
                sum += m.toTap(d.hi(), d.lo()) + m.resultHi();
            }
        }
        long allocated = mx.getThreadAllocatedBytes(tid) - before;
        assertTrue(allocated < 16 * 1024, allocated + " bytes allocated for " + 2 * n + " lookups");
        assertTrue(sum != 0);
    }

    @Test
    void unspecifiedDestinationIsNeverMistakenForAnUnsetOption() {
        AddrMap m = AddrMap.defaults(CONF, false);
        assertEquals(a("::"), from(m, TCP, "::", 53, AddrMap.KEEP));
    }
}
