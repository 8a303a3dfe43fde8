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
 * @param v4       IPv4 is enabled
 * @param v6       IPv6 is enabled
 */
public record Conf(String tapName, IfConfig ifConfig, TapConf tap, boolean v4, boolean v6) {
    /** pasta's MTU on the tap unless {@code -m}: 65535 rounded down so a frame with headers fits in 64 KiB */
    public static final int DEFAULT_MTU = 65520;
    public static final String DEFAULT_TAP = "tap0";
    /** Our link-local address on the tap when the host's gateway gives us none */
    public static final Inet6Address OUR_LINK_LOCAL6 = HostState.LOCAL_GW6;

    /** The inputs {@link #of} needs from the command line, so that the derivation is testable without Options. */
    public record Input(boolean configNet, boolean ipv4Only, boolean ipv6Only, String nsIfname, int mtu,
                        long nsMac, long ourMac, Inet4Address addr4, int prefixLen4, Inet4Address gateway4,
                        Inet6Address addr6, Inet6Address gateway6, List<InetAddress> dns, List<String> search,
                        boolean dhcpDns, boolean dhcpSearch, String hostname, String fqdn,
                        boolean noDhcp, boolean noDhcpv6, boolean noNdp, boolean noRa, boolean noIcmp) {
    }

    /**
     * Derives the configuration.
     *
     * @param in     what the options say ({@code mtu} 0 and {@code prefixLen4} -1 mean "not given",
     *               {@code nsMac} {@link IfConfig#KEEP_MAC} keeps the kernel's random one)
     * @param host   the host's template interfaces
     * @param resolv the host's resolvers and search list, used where {@code -D}/{@code -S} do not say
     */
    public static Conf of(Input in, HostState host, Resolv resolv) {
        boolean v4 = !in.ipv6Only();
        boolean v6 = !in.ipv4Only();
        HostState.Template t4 = v4 ? host.v4() : null;
        HostState.Template t6 = v6 ? host.v6() : null;

        String tapName = in.nsIfname() != null ? in.nsIfname()
                : t4 != null ? t4.name() : t6 != null ? t6.name() : DEFAULT_TAP;
        int mtu = in.mtu() > 0 ? in.mtu() : DEFAULT_MTU;

        List<IfConfig.Addr> addrs = new ArrayList<>();
        List<IfConfig.Route> routes = new ArrayList<>();

        Inet4Address addr4 = null, gw4 = null;
        int prefix4 = 0;
        if (v4) {
            if (in.addr4() != null || in.gateway4() != null || t4 == null) {
                NetlinkAddr p = t4 != null ? t4.primary() : null;
                addr4 = in.addr4() != null ? in.addr4()
                        : p != null ? (Inet4Address) p.addr() : t4 == null ? HostState.LOCAL_ADDR4 : null;
                prefix4 = in.prefixLen4() >= 0 ? in.prefixLen4()
                        : p != null && p.addr().equals(addr4) ? p.prefixLen()
                        : t4 == null && in.addr4() == null ? HostState.LOCAL_PREFIX_LEN4 : classfulPrefix(addr4);
                gw4 = in.gateway4() != null ? in.gateway4()
                        : t4 != null && t4.gateway() instanceof Inet4Address g ? g
                        : t4 == null ? HostState.LOCAL_GW4 : null;
                if (addr4 != null) {
                    addrs.add(new IfConfig.Addr(addr4, prefix4));
                }
                if (gw4 != null) {
                    routes.add(IfConfig.Route.defaultVia(gw4));
                }
            } else {
                for (NetlinkAddr a : t4.addrs()) {
                    addrs.add(IfConfig.Addr.of(a));
                }
                for (NetlinkRoute r : t4.routes()) {
                    routes.add(IfConfig.Route.of(r));
                }
                NetlinkAddr p = t4.primary();
                if (p != null) {
                    addr4 = (Inet4Address) p.addr();
                    prefix4 = in.prefixLen4() >= 0 ? in.prefixLen4() : p.prefixLen();
                }
                gw4 = t4.gateway() instanceof Inet4Address g ? g : null;
            }
        }

        Inet6Address addr6 = null, gw6 = null;
        int prefix6 = 0;
        if (v6) {
            if (in.addr6() != null || in.gateway6() != null || t6 == null) {
                NetlinkAddr p = t6 != null ? t6.primary() : null;
                addr6 = in.addr6() != null ? in.addr6() : p != null ? (Inet6Address) p.addr() : null;
                prefix6 = p != null && p.addr().equals(addr6) ? p.prefixLen() : 64;
                gw6 = in.gateway6() != null ? in.gateway6()
                        : t6 != null && t6.gateway() instanceof Inet6Address g ? g : HostState.LOCAL_GW6;
                if (addr6 != null) {
                    addrs.add(new IfConfig.Addr(addr6, prefix6));
                }
                routes.add(IfConfig.Route.defaultVia(gw6));
            } else {
                for (NetlinkAddr a : t6.addrs()) {
                    addrs.add(IfConfig.Addr.of(a));
                }
                for (NetlinkRoute r : t6.routes()) {
                    routes.add(IfConfig.Route.of(r));
                }
                NetlinkAddr p = t6.primary();
                if (p != null) {
                    addr6 = (Inet6Address) p.addr();
                    prefix6 = p.prefixLen();
                }
                gw6 = t6.gateway() instanceof Inet6Address g ? g : null;
            }
        }

        IfConfig ifc = in.configNet()
                ? new IfConfig(tapName, mtu, in.nsMac(), addrs, routes, true, v6)
                : new IfConfig(tapName, IfConfig.KEEP_MTU, in.nsMac(), List.of(), List.of(), true, false);

        Inet6Address ourLl = gw6 != null && gw6.isLinkLocalAddress() ? gw6 : OUR_LINK_LOCAL6;
        List<Inet4Address> dns4 = new ArrayList<>();
        List<Inet6Address> dns6 = new ArrayList<>();
        for (InetAddress a : in.dns() != null ? in.dns() : resolv.nameservers()) {
            if (a instanceof Inet4Address a4) {
                dns4.add(a4);
            } else if (a instanceof Inet6Address a6) {
                dns6.add(a6);
            }
        }
        TapConf tap = new TapConf(in.ourMac(), MacAddr.NONE,
                addr4, prefix4, addr4 != null ? (gw4 != null ? gw4 : HostState.LOCAL_GW4) : null,
                addr6, prefix6, gw6, ourLl,
                mtu, dns4, dns6, in.search() != null ? in.search() : resolv.search(),
                in.dhcpDns(), in.dhcpSearch(), in.hostname(), in.fqdn(),
                in.noDhcp(), in.noDhcpv6(), in.noNdp(), in.noRa() || in.configNet(), in.noIcmp());
        return new Conf(tapName, ifc, tap, v4, v6);
    }

    /** @return the prefix length of {@code a}'s classful network (RFC 4632 §3.1: the pre-CIDR default) */
    static int classfulPrefix(Inet4Address a) {
        int first = a.getAddress()[0] & 0xff;
        return first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 32;
    }
}
