package io.jpasta.launcher;

import io.jpasta.netns.HostState;
import io.jpasta.netns.HostWatch;
import io.jpasta.netns.IfConfig;
import io.jpasta.netns.IfDiff;
import io.jpasta.netns.Netlink;
import io.jpasta.netns.NetlinkAddr;
import io.jpasta.netns.NsNetConfig;
import io.jpasta.netns.Nsd;
import io.jpasta.netns.Resolv;
import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.fwd.AddrMap;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Follows the host live (issue 18; {@code --no-follow-host} turns it off): the host's addresses, routes and
 * resolvers as they change, without a restart.
 *
 * <p>Data flow: {@link HostWatch} notifications (netlink groups, inotify on resolv.conf) reach {@link #onEvent}
 * through the loop; each one only pokes the {@link Debounce}, which arms a one-shot timer. When the timer fires the
 * host's state and resolv.conf are read again (one dump of each, whatever the burst held) and, if they differ from
 * what was read before, the configuration is derived again by {@link Conf#of} from the same command-line
 * {@link Conf.Input} (so {@code -a}, {@code -n}, {@code -g}, {@code -m}, {@code -i}, {@code -D} keep their values,
 * and the tap keeps its name). Then:
 * <ul>
 * <li>with {@code --config-net}, the namespace's interface moves from the old {@link IfConfig} to the new one
 *     ({@code NsNetConfig.update}: only what we added is removed, the guest's own additions stay);</li>
 * <li>the engines' answers (DHCP, DHCPv6, NDP and router advertisements, the guest's address for inbound flows) and
 *     the address translations ({@code --map-host-loopback}, {@code --map-guest-addr}, {@code --dns-forward}
 *     targets, the gateway mapping) take the new values, and TCP flows whose host socket is bound to an address
 *     the host lost are reset toward the guest ({@link Target#engines}).</li>
 * </ul>
 * Each change is logged with {@code -d}. A failure to read or to apply is a warning: the next change tries again.
 *
 * <p>The tap's MTU is pasta's 65520 (or {@code -m}) whatever the host's interface has, at start as later: a change
 * of the host's MTU is logged and needs nothing applied, since the host's own sockets segment for its link.
 */
final class FollowHost {
    /** Event indices of {@link io.jpasta.netns.sys.Epoll#T_HOST}: the netlink socket, inotify, the timer */
    static final int EV_NETLINK = 0, EV_INOTIFY = 1, EV_TIMER = 2;

    /** Reads the host's state again. */
    interface Source {
        HostState host() throws IOException;

        Resolv resolv() throws IOException;
    }

    /** Where a change goes. */
    interface Target {
        /** {@code --config-net}: the namespace's interface goes from {@code before} to {@code after}. */
        void namespace(IfConfig before, IfConfig after) throws IOException;

        /**
         * The engines answer with {@code tap} and translate with {@code resolv}'s name servers; flows bound to an
         * address of {@code gone} on the host are reset toward the guest.
         */
        void engines(TapConf tap, Resolv resolv, Set<InetAddress> gone, long nowNs);
    }

    /** A one-shot timer the loop delivers as {@link #EV_TIMER}. */
    interface Timer {
        void arm(long afterNs);

        /** The timer fired: consume its expiry. */
        default void expired() {
        }
    }

    private final Conf.Input input;
    private final boolean configNet;
    private final Source source;
    private final Target target;
    private final Timer timer;
    private final Debounce debounce;
    private final HostWatch watch;
    private HostState host;
    private Resolv resolv;
    private Conf conf;
    private int notifications;
    private int reads;
    private int applied;

    /**
     * @param input     the command line's inputs, the tap's name pinned to the one it got at start
     * @param configNet whether the namespace's interface is ours to configure ({@code --config-net})
     * @param host      the state read at start, and {@code resolv} and {@code conf} derived from it
     * @param watch     the notifications, or null when the caller calls {@link #changed} itself (tests)
     */
    FollowHost(Conf.Input input, boolean configNet, HostState host, Resolv resolv, Conf conf, Source source,
               Target target, Timer timer, Debounce debounce, HostWatch watch) {
        this.input = input;
        this.configNet = configNet;
        this.host = host;
        this.resolv = resolv;
        this.conf = conf;
        this.source = source;
        this.target = target;
        this.timer = timer;
        this.debounce = debounce;
        this.watch = watch;
    }

    /** An event of {@link io.jpasta.netns.sys.Epoll#T_HOST} with index {@code index}. */
    void onEvent(int index, long nowNs) {
        switch (index) {
            case EV_NETLINK -> {
                if (watch.drainNetlink() != 0) {
                    changed(nowNs);
                }
            }
            case EV_INOTIFY -> {
                if (watch.drainInotify()) {
                    changed(nowNs);
                }
            }
            case EV_TIMER -> {
                timer.expired();
                timer(nowNs);
            }
            default -> {
            }
        }
    }

    /** Something may have changed on the host: act once the burst is over. */
    void changed(long nowNs) {
        notifications++;
        long deadline = debounce.poke(nowNs);
        timer.arm(Math.max(1, deadline - nowNs));
    }

    /** The timer fired: follow the host if the burst is over (else wait for its deadline). */
    void timer(long nowNs) {
        if (!debounce.pending()) {
            return;
        }
        if (!debounce.due(nowNs)) {
            timer.arm(Math.max(1, debounce.deadline() - nowNs));
            return;
        }
        debounce.done();
        follow(nowNs);
    }

    /** Reads the host again and applies what changed. */
    void follow(long nowNs) {
        HostState h;
        Resolv r;
        try {
            h = source.host();
            r = source.resolv();
        } catch (IOException e) {
            Log.warn("Following the host: " + e.getMessage());
            return;
        }
        reads++;
        if (Objects.equals(h.v4(), host.v4()) && Objects.equals(h.v6(), host.v6()) && r.equals(resolv)) {
            return;
        }
        Conf c = Conf.of(input, h, r);
        if (Log.debug) {
            logChange("IPv4", host.v4(), h.v4());
            logChange("IPv6", host.v6(), h.v6());
            if (!r.equals(resolv)) {
                StringBuilder sb = new StringBuilder("Host resolvers now");
                for (InetAddress a : r.nameservers()) {
                    sb.append(' ').append(Log.addr(a));
                }
                Log.debug(sb.append(r.nameservers().isEmpty() ? " none" : "").append(", search ")
                        .append(r.search().isEmpty() ? "none" : String.join(" ", r.search())).toString());
            }
        }
        // engines first: the resets of flows on a lost address reach the guest while it still has that address
        // (the kernel drops a segment to an address it no longer has, and the guest's socket would hang)
        Set<InetAddress> gone = gone(host, h);
        if (!gone.isEmpty()) {
            Log.debug("Host addresses gone: " + gone + ": resetting the flows bound to them");
        }
        target.engines(c.tap(), r, gone, nowNs);
        if (configNet && !c.ifConfig().equals(conf.ifConfig())) {
            IfDiff d = IfDiff.of(conf.ifConfig(), c.ifConfig());
            Log.debug("Namespace " + c.ifConfig().name() + ": " + d);
            try {
                target.namespace(conf.ifConfig(), c.ifConfig());
            } catch (IOException e) {
                Log.warn("Following the host: " + e.getMessage());
            }
        }
        host = h;
        resolv = r;
        conf = c;
        applied++;
    }

    private static void logChange(String family, HostState.Template before, HostState.Template after) {
        if (Objects.equals(before, after)) {
            return;
        }
        Log.debug("Host " + family + ": " + describe(before) + " -> " + describe(after));
    }

    private static String describe(HostState.Template t) {
        if (t == null) {
            return "none (local mode)";
        }
        StringBuilder sb = new StringBuilder(t.name()).append(" mtu ").append(t.mtu()).append(" addresses");
        for (NetlinkAddr a : t.addrs()) {
            sb.append(' ').append(Log.addr(a.addr())).append('/').append(a.prefixLen());
        }
        return sb.append(" gateway ").append(t.gateway() == null ? "none" : Log.addr(t.gateway())).toString();
    }

    /** @return the addresses the old templates had and the new ones lack */
    static Set<InetAddress> gone(HostState before, HostState after) {
        Set<InetAddress> out = new LinkedHashSet<>();
        for (HostState.Template t : new HostState.Template[] {before.v4(), before.v6()}) {
            if (t != null) {
                for (NetlinkAddr a : t.addrs()) {
                    out.add(a.addr());
                }
            }
        }
        for (HostState.Template t : new HostState.Template[] {after.v4(), after.v6()}) {
            if (t != null) {
                for (NetlinkAddr a : t.addrs()) {
                    out.remove(a.addr());
                }
            }
        }
        return out;
    }

    /** @return the configuration in use now */
    Conf conf() {
        return conf;
    }

    /** @return how many notifications arrived, how many times the host was read, how many changes were applied */
    String counts() {
        return "host: notifications " + notifications + " reads " + reads + " applied " + applied;
    }

    int applied() {
        return applied;
    }

    int reads() {
        return reads;
    }

    /**
     * Starts following the host for the loop: the watches, a netlink socket of our own to read the host again, a
     * timer; and reads the host once more after the quiet time, for what changed since {@code host} was read.
     *
     * @param nsd gives, with {@code --config-net}, a netlink socket in the namespace for the changes
     */
    static FollowHost start(Options opt, Loop loop, TapEngines tap, AddrMap addrMap, Conf conf, HostState host,
                            Resolv resolv, Nsd nsd) throws IOException {
        Netlink nsNl = opt.configNet() ? new Netlink(nsd.netlink(Linux.NETLINK_ROUTE)) : null;
        HostWatch watch = HostWatch.open(Resolv.RESOLV_CONF.toString());
        Netlink hostNl = Netlink.open();
        int timerFd = (int) Errno.check("timerfd_create", Sys.timerfdCreate());
        Source source = new Source() {
            @Override
            public HostState host() throws IOException {
                return HostState.read(hostNl, opt.iface(), !opt.ipv6Only(), !opt.ipv4Only());
            }

            @Override
            public Resolv resolv() throws IOException {
                return Resolv.read(Resolv.RESOLV_CONF);
            }
        };
        Target target = new Target() {
            @Override
            public void namespace(IfConfig before, IfConfig after) throws IOException {
                NsNetConfig.update(nsNl, before, after);
            }

            @Override
            public void engines(TapConf next, Resolv r, Set<InetAddress> gone, long nowNs) {
                addrMap.hostChanged(next, r.nameservers());
                Set<AddrMap.Addr> lost = new HashSet<>();
                for (InetAddress a : gone) {
                    lost.add(AddrMap.Addr.of(a));
                }
                tap.hostChanged(next, lost, nowNs);
                if (Log.debug) {
                    Log.debug(addrMap.describe());
                }
            }
        };
        FollowHost f = new FollowHost(Main.input(opt).nsIfname(conf.tapName()), nsNl != null, host, resolv, conf,
                source, target, timerfd(timerFd), new Debounce(Debounce.QUIET_NS, Debounce.MAX_NS), watch);
        loop.follow(f, watch.netlinkFd(), watch.inotifyFd(), timerFd);
        Log.debug("Following the host's addresses, routes and resolvers");
        f.changed(Sys.monotonicNs()); // what changed between the first read and the watches: read once more
        return f;
    }

    /** A {@link Timer} over a one-shot timerfd. */
    static Timer timerfd(int fd) {
        ByteBuffer word = Sys.buffer(8);
        long wordAddr = Sys.address(word);
        return new Timer() {
            @Override
            public void arm(long afterNs) {
                Sys.timerfdSet(fd, afterNs, 0);
            }

            @Override
            public void expired() {
                Sys.read(fd, wordAddr, 8);
            }
        };
    }
}
