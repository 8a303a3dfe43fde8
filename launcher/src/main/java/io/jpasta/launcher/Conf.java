package io.jpasta.launcher;

import io.jpasta.netns.HostState;
import io.jpasta.netns.IfConfig;
import io.jpasta.netns.NetlinkAddr;
import io.jpasta.netns.NetlinkRoute;
import io.jpasta.netns.NsNetConfig;
import io.jpasta.netns.Resolv;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.wire.MacAddr;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The configuration pasta runs with, derived once from the options and the host's state and immutable afterwards.
 *
 * <p>Per family, the namespace gets what the host's template interface has (pasta's model: "the guest looks like
 * the host"): its addresses, its routes, its gateway. {@code -a}/{@code -n}/{@code -g} replace the address, prefix
 * and gateway (then only a default route via that gateway is set up). A family the host cannot serve (no template
 * interface) runs in local mode: 169.254.2.1/16 via 169.254.2.2 for IPv4, link-local only via fe80::1 for IPv6.
 * {@code -4}/{@code -6} switch the other family off.
 *
 * @param tapName  the tap's name in the namespace: {@code -I}, else the template interface's, else "tap0"
 * @param ifConfig what {@link NsNetConfig#apply} does in the namespace ({@code --config-net} or not)
 * @param tap      what the tap-side services answer with
 */
public record Conf(String tapName, IfConfig ifConfig, TapConf tap) {
    /** pasta's MTU on the tap unless {@code -m}: 65535 rounded down so a frame with headers fits in 64 KiB */
    public static final int DEFAULT_MTU = 65520;
    public static final String DEFAULT_TAP = "tap0";
    /** Our link-local address on the tap when the host's gateway gives us none */
    public static final Inet6Address OUR_LINK_LOCAL6 = HostState.LOCAL_GW6;
    /** Prefix length of an IPv6 address given with {@code -a} that the template interface does not have */
    static final int DEFAULT_PREFIX_LEN6 = 64;

    /** @return an empty {@link Input}: every option at pasta's default */
    public static Input input() {
        return new Input();
    }

    /**
     * The inputs {@link #of} needs from the command line, set one by one with named setters, so that the derivation
     * is testable without Options. Defaults are pasta's: nothing given, our MAC {@link MacAddr#PASTA_DEFAULT}, the
     * namespace's MAC kept, resolvers and search list from the host.
     */
    public static final class Input {
        private boolean configNet;
        private boolean ipv4Only;
        private boolean ipv6Only;
        private String nsIfname;
        private int mtu;
        private long nsMac = IfConfig.KEEP_MAC;
        private final Given v4 = new Given();
        private final Given v6 = new Given();
        private List<InetAddress> dns;
        private List<String> search;
        private boolean noRa;
        private final TapConf.Builder services = TapConf.builder();

        private Input() {
        }

        /** {@code --config-net}: addresses, routes and MTU go onto the tap. */
        public Input configNet(boolean on) {
            configNet = on;
            return this;
        }

        /** {@code -4}. */
        public Input ipv4Only(boolean on) {
            ipv4Only = on;
            return this;
        }

        /** {@code -6}. */
        public Input ipv6Only(boolean on) {
            ipv6Only = on;
            return this;
        }

        /** {@code -I}, or null for the template interface's name. */
        public Input nsIfname(String name) {
            nsIfname = name;
            return this;
        }

        /** {@code -m}, or 0 for {@link #DEFAULT_MTU}. */
        public Input mtu(int value) {
            mtu = value;
            return this;
        }

        /** {@code --ns-mac-addr} packed by {@code NetlinkLink.mac}, or {@link IfConfig#KEEP_MAC}. */
        public Input nsMac(long mac) {
            nsMac = mac;
            return this;
        }

        /** {@code -a} of IPv4, or null. */
        public Input addr4(Inet4Address addr) {
            v4.addr = addr;
            return this;
        }

        /** {@code -n} as a prefix length, or -1 when not given. */
        public Input prefixLen4(int prefixLen) {
            v4.prefixLen = prefixLen;
            return this;
        }

        /** {@code -g} of IPv4, or null. */
        public Input gateway4(Inet4Address gateway) {
            v4.gateway = gateway;
            return this;
        }

        /** {@code -a} of IPv6, or null. */
        public Input addr6(Inet6Address addr) {
            v6.addr = addr;
            return this;
        }

        /** {@code -g} of IPv6, or null. */
        public Input gateway6(Inet6Address gateway) {
            v6.gateway = gateway;
            return this;
        }

        /** {@code -D} in order; null for the host's resolvers, empty for none ({@code -D none}). */
        public Input dns(List<InetAddress> resolvers) {
            dns = resolvers;
            return this;
        }

        /** {@code -S}; null for the host's search list, empty for none ({@code -S none}). */
        public Input search(List<String> domains) {
            search = domains;
            return this;
        }

        /** {@code --no-ra} ({@code --config-net} implies it). */
        public Input noRa(boolean off) {
            noRa = off;
            return this;
        }

        /**
         * @return the builder of the {@link TapConf} itself, for what the L2 services take from the command line as
         *         it is: {@code -M}, {@code --dhcp-dns}, {@code --dhcp-search}, {@code -H}, {@code --fqdn},
         *         {@code --no-dhcp}, {@code --no-dhcpv6}, {@code --no-ndp}, {@code --no-icmp}. {@link Conf#of} sets
         *         the rest (addresses, gateways, MTU, resolvers, search list, {@code --no-ra}) each time it derives,
         *         over whatever a caller set of those here.
         */
        public TapConf.Builder services() {
            return services;
        }
    }

    /** What the options say of one family: {@code -a}, {@code -n} (IPv4 only) and {@code -g}. */
    private static final class Given {
        InetAddress addr;
        int prefixLen = -1;
        InetAddress gateway;
    }

    /** What one family ends up with; null address or gateway where it has none. */
    private record Derived(InetAddress addr, int prefixLen, InetAddress gateway) {
        static final Derived OFF = new Derived(null, 0, null);
    }

    /**
     * Derives the configuration.
     *
     * @param in     what the options say
     * @param host   the host's template interfaces
     * @param resolv the host's resolvers and search list, used where {@code -D}/{@code -S} do not say
     */
    public static Conf of(Input in, HostState host, Resolv resolv) {
        boolean v4 = !in.ipv6Only;
        boolean v6 = !in.ipv4Only;
        HostState.Template t4 = v4 ? host.v4() : null;
        HostState.Template t6 = v6 ? host.v6() : null;

        String tapName = in.nsIfname != null ? in.nsIfname
                : t4 != null ? t4.name() : t6 != null ? t6.name() : DEFAULT_TAP;
        int mtu = in.mtu > 0 ? in.mtu : DEFAULT_MTU;

        List<IfConfig.Addr> addrs = new ArrayList<>();
        List<IfConfig.Route> routes = new ArrayList<>();
        Derived d4 = v4 ? Family.V4.derive(t4, in.v4, addrs, routes) : Derived.OFF;
        Derived d6 = v6 ? Family.V6.derive(t6, in.v6, addrs, routes) : Derived.OFF;

        IfConfig ifc = in.configNet
                ? new IfConfig(tapName, mtu, in.nsMac, addrs, routes,
                        IfConfig.LO_UP | (v6 ? IfConfig.LINK_LOCAL6 : 0))
                : new IfConfig(tapName, IfConfig.KEEP_MTU, in.nsMac, List.of(), List.of(), IfConfig.LO_UP);

        Inet4Address addr4 = (Inet4Address) d4.addr();
        Inet6Address gw6 = (Inet6Address) d6.gateway();
        List<Inet4Address> dns4 = new ArrayList<>();
        List<Inet6Address> dns6 = new ArrayList<>();
        for (InetAddress a : in.dns != null ? in.dns : resolv.nameservers()) {
            if (a instanceof Inet4Address a4) {
                dns4.add(a4);
            } else if (a instanceof Inet6Address a6) {
                dns6.add(a6);
            }
        }
        TapConf tap = in.services.addr4(addr4, d4.prefixLen())
                .gateway4(addr4 == null ? null : d4.gateway() != null ? (Inet4Address) d4.gateway()
                        : HostState.LOCAL_GW4)
                .addr6((Inet6Address) d6.addr(), d6.prefixLen()).gateway6(gw6)
                .ourLinkLocal6(gw6 != null && gw6.isLinkLocalAddress() ? gw6 : OUR_LINK_LOCAL6)
                .mtu(mtu).dns4(dns4).dns6(dns6).search(in.search != null ? in.search : resolv.search())
                .noRa(in.noRa || in.configNet).build();
        return new Conf(tapName, ifc, tap);
    }

    /**
     * How the two IP versions differ in {@link #derive}: IPv4 has a local-mode address and a prefix length from
     * {@code -n} or the address class; IPv6 has no local-mode address (link-local only), prefix 64, and always a
     * default route (fe80::1 when the host gives no gateway).
     */
    private enum Family {
        V4 {
            @Override
            InetAddress localAddr() {
                return HostState.LOCAL_ADDR4;
            }

            @Override
            int prefixLen(InetAddress addr, boolean localMode) {
                return localMode ? HostState.LOCAL_PREFIX_LEN4 : classfulPrefix((Inet4Address) addr);
            }

            @Override
            InetAddress fallbackGateway(HostState.Template t) {
                return t == null ? HostState.LOCAL_GW4 : null;
            }
        },
        V6 {
            @Override
            InetAddress localAddr() {
                return null;
            }

            @Override
            int prefixLen(InetAddress addr, boolean localMode) {
                return DEFAULT_PREFIX_LEN6;
            }

            @Override
            InetAddress fallbackGateway(HostState.Template t) {
                return HostState.LOCAL_GW6;
            }
        };

        /** @return the namespace's address in local mode (no template interface), or null */
        abstract InetAddress localAddr();

        /** @return the prefix length of {@code addr} when neither an option nor the host says */
        abstract int prefixLen(InetAddress addr, boolean localMode);

        /** @return the gateway when neither {@code -g} nor the template's default route gives one, or null */
        abstract InetAddress fallbackGateway(HostState.Template t);

        /**
         * Works out one family and adds its addresses and routes for {@code --config-net}: the template's own when
         * the options name neither address nor gateway, else one address and a default route.
         *
         * @param t the family's template interface, null in local mode
         */
        Derived derive(HostState.Template t, Given given, List<IfConfig.Addr> addrs, List<IfConfig.Route> routes) {
            InetAddress templateGw = t != null && sameFamily(t.gateway()) ? t.gateway() : null;
            if (given.addr == null && given.gateway == null && t != null) {
                for (NetlinkAddr a : t.addrs()) {
                    addrs.add(IfConfig.Addr.of(a));
                }
                for (NetlinkRoute r : t.routes()) {
                    routes.add(IfConfig.Route.of(r));
                }
                NetlinkAddr p = t.primary();
                return p == null ? new Derived(null, 0, templateGw)
                        : new Derived(p.addr(), given.prefixLen >= 0 ? given.prefixLen : p.prefixLen(), templateGw);
            }
            NetlinkAddr p = t != null ? t.primary() : null;
            InetAddress addr = given.addr != null ? given.addr : p != null ? p.addr() : t == null ? localAddr() : null;
            int prefixLen = given.prefixLen >= 0 ? given.prefixLen
                    : p != null && p.addr().equals(addr) ? p.prefixLen()
                    : prefixLen(addr, t == null && given.addr == null);
            InetAddress gw = given.gateway != null ? given.gateway
                    : templateGw != null ? templateGw : fallbackGateway(t);
            if (addr != null) {
                addrs.add(new IfConfig.Addr(addr, prefixLen));
            }
            if (gw != null) {
                routes.add(IfConfig.Route.defaultVia(gw));
            }
            return new Derived(addr, prefixLen, gw);
        }

        private boolean sameFamily(InetAddress a) {
            return this == V4 ? a instanceof Inet4Address : a instanceof Inet6Address;
        }
    }

    /** @return the prefix length of {@code a}'s classful network (RFC 4632 §3.1: the pre-CIDR default) */
    static int classfulPrefix(Inet4Address a) {
        int first = a.getAddress()[0] & 0xff;
        return first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 32;
    }
}
