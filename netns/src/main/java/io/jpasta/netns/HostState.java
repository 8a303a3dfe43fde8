package io.jpasta.netns;

import static io.jpasta.netns.sys.Linux.AF_INET;
import static io.jpasta.netns.sys.Linux.AF_INET6;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's network state jpasta copies into the namespace: per IP version, the template interface and what it
 * has. Immutable; read once at start ({@link #read}), or built from dumps by the pure {@link #of} (tests).
 *
 * <p>Template interface of a family, as pasta picks it: the interface named by {@code -i} (or
 * {@code --outbound-if4/6}) when given; else the interface of the main-table default route with the lowest metric
 * (the first in the kernel's order on a tie); else the interface of the first route of that family. Loopback
 * interfaces are never picked. A family is absent when it was not asked for, when no interface is picked, or when
 * the picked interface cannot serve it: IPv4 needs a global address; IPv6 needs a global or a link-local one (pasta
 * talks to the namespace from the host's link-local address). The caller then uses pasta's local mode
 * ({@link #LOCAL_ADDR4}, {@link #LOCAL_GW6}).
 */
public final class HostState {
    /** Local mode, IPv4: the namespace's address 169.254.2.1/16 ... */
    public static final Inet4Address LOCAL_ADDR4 = (Inet4Address) NetlinkWire.address(new byte[] {(byte) 169,
            (byte) 254, 2, 1});
    public static final int LOCAL_PREFIX_LEN4 = 16;
    /** ... and its gateway (jpasta itself) 169.254.2.2 */
    public static final Inet4Address LOCAL_GW4 = (Inet4Address) NetlinkWire.address(new byte[] {(byte) 169,
            (byte) 254, 2, 2});
    /** Local mode, IPv6: jpasta's link-local address and the namespace's gateway, fe80::1 */
    public static final Inet6Address LOCAL_GW6 = (Inet6Address) NetlinkWire.address(new byte[] {(byte) 0xfe,
            (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});

    /**
     * The template interface of one family and what it holds for that family.
     *
     * @param ifindex   its index on the host
     * @param name      its name
     * @param mtu       its MTU
     * @param mac       its MAC ({@link NetlinkLink#NO_MAC} if it has none)
     * @param addrs     its addresses of the family that are neither link-local nor host-scoped (nor failed DAD),
     *                  in the kernel's order: the first is the primary one
     * @param linkLocal IPv6 only: its first link-local address (fe80::/10), or null
     * @param routes    every main-table unicast route of the family through it (oif or a next hop), in the kernel's
     *                  order, kernel prefix routes included
     * @param gateway   the gateway of its default route with the lowest metric, or null if it has none
     */
    public record Template(int ifindex, String name, int mtu, long mac, List<NetlinkAddr> addrs,
                           NetlinkAddr linkLocal, List<NetlinkRoute> routes, InetAddress gateway) {
        public Template {
            addrs = List.copyOf(addrs);
            routes = List.copyOf(routes);
        }

        /** @return the primary address (the first of {@link #addrs}), or null if there is none */
        public NetlinkAddr primary() {
            return addrs.isEmpty() ? null : addrs.getFirst();
        }
    }

    private final Template v4;
    private final Template v6;

    private HostState(Template v4, Template v6) {
        this.v4 = v4;
        this.v6 = v6;
    }

    /** @return the IPv4 template interface, or null if IPv4 is absent (local mode) */
    public Template v4() {
        return v4;
    }

    /** @return the IPv6 template interface, or null if IPv6 is absent (local mode) */
    public Template v6() {
        return v6;
    }

    public boolean has4() {
        return v4 != null;
    }

    public boolean has6() {
        return v6 != null;
    }

    /**
     * Reads the state through {@code nl} (three dumps) with one interface name for both families ({@code -i}).
     *
     * @param ifaceOrNull the {@code -i} interface, or null to pick by routes
     * @param v4          false to leave IPv4 absent ({@code -6})
     * @param v6          false to leave IPv6 absent ({@code -4})
     */
    public static HostState read(Netlink nl, String ifaceOrNull, boolean v4, boolean v6) throws IOException {
        return read(nl, ifaceOrNull, ifaceOrNull, v4, v6);
    }

    /** As {@link #read(Netlink, String, boolean, boolean)} with one name per family ({@code --outbound-if4/6}). */
    public static HostState read(Netlink nl, String if4OrNull, String if6OrNull, boolean v4, boolean v6)
            throws IOException {
        if (!v4 && !v6) {
            return new HostState(null, null);
        }
        return of(nl.links(), nl.addrs(0), nl.routes(0), if4OrNull, if6OrNull, v4, v6);
    }

    /**
     * Picks the template interfaces from dumps (pure: no kernel).
     *
     * @param links  every link
     * @param addrs  every address, both families, in the kernel's order
     * @param routes the main-table routes, both families, in the kernel's order
     * @param if4    the interface named for IPv4, or null to pick by routes; an unknown name leaves IPv4 absent (the
     *               caller reports bad names when it parses options)
     * @param if6    the same for IPv6
     */
    public static HostState of(List<NetlinkLink> links, List<NetlinkAddr> addrs, List<NetlinkRoute> routes,
                               String if4, String if6, boolean v4, boolean v6) {
        return new HostState(v4 ? template(AF_INET, links, addrs, routes, if4) : null,
                v6 ? template(AF_INET6, links, addrs, routes, if6) : null);
    }

    private static Template template(int family, List<NetlinkLink> links, List<NetlinkAddr> addrs,
                                     List<NetlinkRoute> allRoutes, String name) {
        List<NetlinkRoute> routes = new ArrayList<>();
        for (NetlinkRoute r : allRoutes) {
            if (NetlinkWire.family(r.dst()) == family && r.type() == Netlink.RTN_UNICAST
                    && r.table() == Netlink.RT_TABLE_MAIN) {
                routes.add(r);
            }
        }
        NetlinkLink link = name != null ? byName(links, name) : pick(links, routes);
        if (link == null || link.isLoopback()) {
            return null;
        }
        List<NetlinkAddr> global = new ArrayList<>();
        NetlinkAddr linkLocal = null;
        for (NetlinkAddr a : addrs) {
            if (a.ifindex() != link.index() || NetlinkWire.family(a.addr()) != family
                    || (a.flags() & Netlink.IFA_F_DADFAILED) != 0) {
                continue;
            }
            if (!a.isLinkLocal()) {
                global.add(a);
            } else if (family == AF_INET6 && a.addr().isLinkLocalAddress() && linkLocal == null) {
                linkLocal = a;
            }
        }
        if (global.isEmpty() && linkLocal == null) {
            return null;
        }
        List<NetlinkRoute> via = new ArrayList<>();
        NetlinkRoute def = null;
        for (NetlinkRoute r : routes) {
            if (r.via(link.index())) {
                via.add(r);
                if (r.isDefault() && r.gatewayVia(link.index()) != null
                        && (def == null || Integer.compareUnsigned(r.metric(), def.metric()) < 0)) {
                    def = r;
                }
            }
        }
        return new Template(link.index(), link.name(), link.mtu(), link.mac(), global, linkLocal, via,
                def == null ? null : def.gatewayVia(link.index()));
    }

    /** The interface of the lowest-metric default route, else of the first route, skipping loopback. */
    private static NetlinkLink pick(List<NetlinkLink> links, List<NetlinkRoute> routes) {
        NetlinkRoute best = null;
        NetlinkLink bestLink = null;
        for (NetlinkRoute r : routes) {
            NetlinkLink l = byIndex(links, r.firstOif());
            if (r.isDefault() && l != null && !l.isLoopback()
                    && (best == null || Integer.compareUnsigned(r.metric(), best.metric()) < 0)) {
                best = r;
                bestLink = l;
            }
        }
        if (bestLink != null) {
            return bestLink;
        }
        for (NetlinkRoute r : routes) {
            NetlinkLink l = byIndex(links, r.firstOif());
            if (l != null && !l.isLoopback()) {
                return l;
            }
        }
        return null;
    }

    private static NetlinkLink byName(List<NetlinkLink> links, String name) {
        for (NetlinkLink l : links) {
            if (l.name().equals(name)) {
                return l;
            }
        }
        return null;
    }

    private static NetlinkLink byIndex(List<NetlinkLink> links, int index) {
        for (NetlinkLink l : links) {
            if (l.index() == index) {
                return l;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "HostState[v4=" + v4 + ", v6=" + v6 + "]";
    }
}
