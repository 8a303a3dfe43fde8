package io.jpasta.netns;

import static io.jpasta.netns.sys.Linux.AF_INET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Read-only conversations with the kernel of the network namespace the tests run in: dumps and lookups only, never
 * a change.
 */
class NetlinkLiveTest {
    @Test
    void dumpsOfTheCurrentNamespaceFindLoopback() throws IOException {
        try (Netlink nl = Netlink.open()) {
            List<NetlinkLink> links = nl.links();
            NetlinkLink lo = links.stream().filter(NetlinkLink::isLoopback).findFirst().orElseThrow();
            assertEquals("lo", lo.name());
            assertTrue(lo.mtu() > 0);

            List<NetlinkAddr> addrs = nl.addrs(AF_INET);
            assertTrue(addrs.contains(new NetlinkAddr(lo.index(), InetAddress.ofLiteral("127.0.0.1"), 8,
                    Netlink.RT_SCOPE_HOST, addrs.stream().filter(a -> a.ifindex() == lo.index()).findFirst()
                    .orElseThrow().flags())), addrs.toString());
            assertTrue(nl.addrs(0).size() >= addrs.size());

            List<NetlinkRoute> routes = nl.routes(0); // whatever there is, all of the main table
            assertTrue(routes.stream().allMatch(r -> r.table() == Netlink.RT_TABLE_MAIN), routes.toString());

            assertEquals(lo.index(), nl.linkIndex("lo"));
            assertEquals(lo, nl.link("lo"));
            assertNull(nl.link("jpasta-none0"));
            assertEquals(-Errno.ENODEV, nl.linkIndex("jpasta-none0"));

            HostState h = HostState.read(nl, null, true, true); // must not throw, whatever the host looks like
            assertNotNull(h);
        }
    }

    /** As nsd hands it over: an fd opened elsewhere, perhaps non-blocking; Netlink makes it blocking. */
    @Test
    void socketOpenedElsewhereIsTakenOver() throws IOException {
        Sys.load();
        int fd = Sys.socket(Linux.AF_NETLINK, Linux.SOCK_RAW | Linux.SOCK_CLOEXEC | Linux.SOCK_NONBLOCK,
                Linux.NETLINK_ROUTE);
        assertTrue(fd >= 0, "socket: " + fd);
        try (Netlink nl = new Netlink(fd)) {
            assertEquals(0, Sys.fcntl(fd, Linux.F_GETFL, 0) & Linux.O_NONBLOCK);
            assertEquals("lo", nl.link("lo").name());
        }
    }

    @Test
    void manyConversationsOnOneSocketStayInStep() throws IOException {
        try (Netlink nl = Netlink.open()) {
            for (int i = 0; i < 200; i++) {
                assertEquals("lo", nl.link("lo").name());
                assertTrue(nl.links().size() >= 1);
            }
        }
    }
}
