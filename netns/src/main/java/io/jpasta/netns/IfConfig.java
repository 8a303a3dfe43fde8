package io.jpasta.netns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;

/**
 * What the namespace's interface gets from {@link NsNetConfig#apply}: pasta's {@code --config-net}.
 *
 * @param name           the interface (the tap), looked up by name in the namespace
 * @param mtu            its MTU, or {@link #KEEP_MTU}
 * @param mac            its MAC as {@link NetlinkLink#mac(byte[])} packs it ({@code --ns-mac-addr}), or
 *                       {@link #KEEP_MAC} to keep the one the tap driver made up
 * @param addrs          addresses to add, in order (the first of a family becomes its primary address)
 * @param routes         routes to add through the interface; EEXIST is accepted, as the kernel makes the prefix
 *                       route of each address itself
 * @param flags          {@link #LO_UP} and {@link #LINK_LOCAL6}, or 0
 */
public record IfConfig(String name, int mtu, long mac, List<Addr> addrs, List<Route> routes, int flags) {
    public static final int KEEP_MTU = 0;
    public static final long KEEP_MAC = NetlinkLink.NO_MAC;
    /** Bring {@code lo} up too. */
    public static final int LO_UP = 1;
    /**
     * IPv6 is in use: give the interface its EUI-64 link-local address without duplicate address detection, so that
     * it is usable at once (else the kernel's tentative one takes a second).
     */
    public static final int LINK_LOCAL6 = 2;

    public IfConfig {
        if (name == null || name.isEmpty() || name.length() >= NetlinkWire.IFNAMSIZ) {
            throw new IllegalArgumentException("bad interface name: " + name);
        }
        if (mtu < 0) {
            throw new IllegalArgumentException("bad MTU: " + mtu);
        }
        addrs = List.copyOf(addrs);
        routes = List.copyOf(routes);
    }

    /** @return true if {@code lo} goes up too ({@link #LO_UP}) */
    public boolean loUp() {
        return (flags & LO_UP) != 0;
    }

    /** @return true if the interface gets its link-local IPv6 address without DAD ({@link #LINK_LOCAL6}) */
    public boolean linkLocal6() {
        return (flags & LINK_LOCAL6) != 0;
    }

    /** One address with its prefix length. */
    public record Addr(InetAddress addr, int prefixLen) {
        public Addr {
            checkPrefix(addr, prefixLen);
        }

        /** @return the address of a host dump entry (address and prefix length only) */
        public static Addr of(NetlinkAddr a) {
            return new Addr(a.addr(), a.prefixLen());
        }

        @Override
        public String toString() {
            return NetlinkWire.text(addr) + "/" + prefixLen;
        }
    }

    /**
     * One route through the interface.
     *
     * @param dst       destination network (any address of the family for a default route)
     * @param prefixLen its prefix length, 0 for a default route
     * @param gateway   next hop, or null for a destination directly on the link
     * @param metric    route priority, or 0 for the kernel's default (IPv4 0, IPv6 1024)
     */
    public record Route(InetAddress dst, int prefixLen, InetAddress gateway, int metric) {
        public Route {
            checkPrefix(dst, prefixLen);
            if (gateway != null && (gateway instanceof Inet4Address) != (dst instanceof Inet4Address)) {
                throw new IllegalArgumentException("gateway " + gateway + " for a route of another family");
            }
        }

        /** @return the default route through {@code gateway}, metric left to the kernel */
        public static Route defaultVia(InetAddress gateway) {
            return new Route(NetlinkWire.any(NetlinkWire.family(gateway)), 0, gateway, 0);
        }

        /**
         * @return the route of a host dump entry: its destination, gateway and metric (for a multipath route, the
         *         gateway of its first next hop)
         */
        public static Route of(NetlinkRoute r) {
            InetAddress gw = r.gateway();
            if (gw == null && !r.nexthops().isEmpty()) {
                gw = r.nexthops().getFirst().gateway();
            }
            return new Route(r.dst(), r.dstLen(), gw, r.metric());
        }

        public boolean isDefault() {
            return prefixLen == 0;
        }

        @Override
        public String toString() {
            String s = isDefault() ? "default" : NetlinkWire.text(dst) + "/" + prefixLen;
            if (gateway != null) {
                s += " via " + NetlinkWire.text(gateway);
            }
            return metric != 0 ? s + " metric " + Integer.toUnsignedString(metric) : s;
        }
    }

    private static void checkPrefix(InetAddress a, int prefixLen) {
        int max = a instanceof Inet4Address ? 32 : 128;
        if (prefixLen < 0 || prefixLen > max) {
            throw new IllegalArgumentException("prefix length " + prefixLen + " for " + a);
        }
    }
}
