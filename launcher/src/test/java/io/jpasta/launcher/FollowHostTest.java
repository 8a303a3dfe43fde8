package io.jpasta.launcher;

import static io.jpasta.launcher.ConfTest.addr;
import static io.jpasta.launcher.ConfTest.ip;
import static io.jpasta.launcher.ConfTest.route;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jpasta.netns.HostState;
import io.jpasta.netns.IfConfig;
import io.jpasta.netns.Netlink;
import io.jpasta.netns.NetlinkLink;
import io.jpasta.netns.Resolv;
import io.jpasta.tap.TapConf;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The decisions of {@link FollowHost}: when it reads the host, what it applies, with a fake clock and host. */
class FollowHostTest {
    private static final long MS = 1_000_000L;
    private static final NetlinkLink LO = new NetlinkLink(1, "lo", Netlink.ARPHRD_LOOPBACK,
            Netlink.IFF_UP | Netlink.IFF_LOOPBACK, 65536, NetlinkLink.NO_MAC);
    private static final NetlinkLink UP0 = new NetlinkLink(2, "up0", Netlink.ARPHRD_ETHER, Netlink.IFF_UP, 1500,
            0x0200_0000_0002L);
    private static final Resolv RESOLV = new Resolv(List.of(ip("198.51.100.200")), List.of());

    private static HostState host(String addr4, String gw4) {
        return HostState.of(List.of(LO, UP0), List.of(addr(addr4, 30), addr("2001:db8:1::2", 64)),
                List.of(route("0.0.0.0", 0, gw4), route("::", 0, "2001:db8:1::1")), null, null, true, true);
    }

    /** What the fake host says now, and what reached the namespace and the engines. */
    private HostState now = host("198.51.100.2", "198.51.100.1");
    private Resolv resolvNow = RESOLV;
    private int hostReads;
    private final List<String> namespace = new ArrayList<>();
    private final List<TapConf> engines = new ArrayList<>();
    private final List<Set<InetAddress>> gone = new ArrayList<>();
    private final List<Long> armed = new ArrayList<>();

    private FollowHost follower(boolean configNet) {
        HostState start = now;
        Conf.Input in = Conf.input().configNet(configNet);
        Conf conf = Conf.of(in, start, RESOLV);
        in.nsIfname(conf.tapName());
        FollowHost.Source source = new FollowHost.Source() {
            @Override
            public HostState host() {
                hostReads++;
                return now;
            }

            @Override
            public Resolv resolv() {
                return resolvNow;
            }
        };
        FollowHost.Target target = new FollowHost.Target() {
            @Override
            public void namespace(IfConfig before, IfConfig after) {
                namespace.add(io.jpasta.netns.IfDiff.of(before, after).toString());
            }

            @Override
            public void engines(TapConf tap, Resolv r, Set<InetAddress> g, long nowNs) {
                engines.add(tap);
                gone.add(g);
            }
        };
        return new FollowHost(in, configNet, start, RESOLV, conf, source, target, armed::add,
                new Debounce(100 * MS, 500 * MS), null);
    }

    @Test
    void burstOfNotificationsIsReadAndAppliedOnceAfterItEnds() {
        FollowHost f = follower(true);
        now = host("198.51.100.6", "198.51.100.5");
        for (int i = 0; i < 1000; i++) {
            f.changed(i * 10_000L); // 1000 notifications within 10 ms
        }
        f.timer(50 * MS);
        assertEquals(0, hostReads, "not while the burst is still settling");
        f.timer(110 * MS);
        assertEquals(1, hostReads);
        assertEquals(1, f.applied());
        assertEquals(List.of("-route default via 198.51.100.1 -addr 198.51.100.2/30 +addr 198.51.100.6/30 "
                + "+route default via 198.51.100.5"), namespace);
        assertEquals(ip("198.51.100.6"), engines.getFirst().addr4());
        assertEquals(Set.of(ip("198.51.100.2")), gone.getFirst());
        f.timer(300 * MS);
        assertEquals(1, hostReads, "a timer without a new notification reads nothing");
    }

    @Test
    void earlyTimerIsArmedAgainForTheDeadline() {
        FollowHost f = follower(true);
        f.changed(0);
        f.changed(80 * MS);
        f.timer(100 * MS); // armed for 100 ms by the first notification
        assertEquals(80 * MS, armed.getLast(), "the rest of the quiet time after the last notification");
        assertEquals(0, hostReads);
    }

    @Test
    void notificationWithoutChangeAppliesNothing() {
        FollowHost f = follower(true);
        f.changed(0);
        f.timer(100 * MS);
        assertEquals(1, hostReads);
        assertEquals(0, f.applied());
        assertTrue(namespace.isEmpty());
        assertTrue(engines.isEmpty());
    }

    @Test
    void withoutConfigNetOnlyTheEnginesFollow() {
        FollowHost f = follower(false);
        now = host("198.51.100.6", "198.51.100.5");
        f.changed(0);
        f.timer(100 * MS);
        assertTrue(namespace.isEmpty(), "the namespace's interface is the guest's to configure");
        assertEquals(ip("198.51.100.5"), engines.getFirst().gateway4());
    }

    @Test
    void resolverChangeReachesTheEnginesAndKeepsTheInterface() {
        FollowHost f = follower(true);
        resolvNow = new Resolv(List.of(ip("198.51.100.201")), List.of());
        f.changed(0);
        f.timer(100 * MS);
        assertTrue(namespace.isEmpty());
        assertEquals(List.of(ip("198.51.100.201")), engines.getFirst().dns4());
        assertTrue(gone.getFirst().isEmpty());
    }

    @Test
    void hostLosingItsAddressGoesToLocalModeAndBack() {
        FollowHost f = follower(true);
        HostState start = now;
        now = HostState.of(List.of(LO, UP0), List.of(), List.of(), null, null, true, true);
        f.changed(0);
        f.timer(100 * MS);
        assertEquals(HostStateLocal.ADDR4, engines.getLast().addr4());
        now = start;
        f.changed(200 * MS);
        f.timer(300 * MS);
        assertEquals(ip("198.51.100.2"), engines.getLast().addr4());
        assertEquals(2, f.applied());
        assertEquals("up0", f.conf().tapName(), "the tap keeps its name");
    }

    @Test
    void failedReadIsRetriedOnTheNextNotification() {
        FollowHost f = new FollowHost(Conf.input(), false, now, RESOLV, Conf.of(Conf.input(), now, RESOLV),
                new FollowHost.Source() {
                    @Override
                    public HostState host() throws IOException {
                        hostReads++;
                        throw new IOException("RTM_GETLINK dump: interrupted by changes 3 times");
                    }

                    @Override
                    public Resolv resolv() {
                        return RESOLV;
                    }
                }, null, armed::add, new Debounce(100 * MS, 500 * MS), null);
        f.changed(0);
        f.timer(100 * MS);
        f.changed(200 * MS);
        f.timer(300 * MS);
        assertEquals(2, hostReads);
        assertEquals(0, f.applied());
    }

    /** Local mode's IPv4 address, as HostState names it. */
    private static final class HostStateLocal {
        static final InetAddress ADDR4 = HostState.LOCAL_ADDR4;
    }

    @Test
    void goneListsOnlyAddressesNoTemplateHasAnyMore() {
        assertEquals(Set.of(ip("198.51.100.2")),
                FollowHost.gone(host("198.51.100.2", "198.51.100.1"), host("198.51.100.6", "198.51.100.5")));
        assertTrue(FollowHost.gone(now, now).isEmpty());
        assertNull(null);
    }
}
