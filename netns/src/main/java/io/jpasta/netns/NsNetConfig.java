package io.jpasta.netns;

import io.jpasta.netns.sys.Errno;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Configures the namespace's interface as {@code --config-net} asks ({@link #apply}), through a netlink socket that
 * lives in the namespace (received from the namespace daemon).
 *
 * <p>Order, and why:
 * <ol>
 * <li>{@code lo} up.</li>
 * <li>MTU, MAC, and for IPv6 {@code addr_gen_mode none}: all before the link is up, so the kernel never makes a
 *     link-local address of its own that would sit tentative through duplicate address detection (DAD).</li>
 * <li>Link up.</li>
 * <li>The IPv6 link-local address fe80::/64 with the EUI-64 interface identifier of the MAC (RFC 4291 §2.5.1,
 *     appendix A) – the address the kernel would have made – with IFA_F_NODAD, so it is usable at once.</li>
 * <li>The addresses, IPv6 ones with IFA_F_NODAD. The kernel adds each address's prefix route.</li>
 * <li>The routes: those without a gateway first, so that gateway routes can rely on them; a gateway that no
 *     address prefix and no such route puts on the link gets RTNH_F_ONLINK (else the kernel refuses it with
 *     ENETUNREACH). EEXIST is accepted: the kernel's own prefix routes come back that way when they are copied
 *     from the host.</li>
 * </ol>
 * Any other refusal is an {@link IOException} naming the step ({@code RTM_NEWADDR 198.51.100.2/30: File exists}).
 */
public final class NsNetConfig {
    private NsNetConfig() {
    }

    /** Length of the prefix of the link-local address: fe80::/64 (RFC 4291 §2.5.6) */
    public static final int LINK_LOCAL_PREFIX_LEN = 64;

    /**
     * Applies {@code cfg} to the namespace {@code nsNl} talks to.
     *
     * @throws IOException naming the first step the kernel refused, or if an interface is missing
     */
    public static void apply(Netlink nsNl, IfConfig cfg) throws IOException {
        if (cfg.loUp()) {
            check("RTM_NEWLINK lo up", nsNl.setLinkUp(need(nsNl, "lo").index()));
        }
        NetlinkLink link = need(nsNl, cfg.name());
        int ifi = link.index();
        String dev = cfg.name();
        if (cfg.mtu() != IfConfig.KEEP_MTU) {
            check("RTM_NEWLINK " + dev + " mtu " + cfg.mtu(), nsNl.setMtu(ifi, cfg.mtu()));
        }
        long mac = link.mac();
        if (cfg.mac() != IfConfig.KEEP_MAC) {
            mac = cfg.mac();
            check("RTM_NEWLINK " + dev + " address " + NetlinkLink.macString(mac), nsNl.setMac(ifi, mac));
        }
        if (cfg.linkLocal6()) {
            if (mac == NetlinkLink.NO_MAC) {
                throw new IOException(dev + ": no MAC address to derive the IPv6 link-local address from");
            }
            check("RTM_NEWLINK " + dev + " addrgenmode none",
                    nsNl.setAddrGenMode(ifi, Netlink.IN6_ADDR_GEN_MODE_NONE));
        }
        check("RTM_NEWLINK " + dev + " up", nsNl.setLinkUp(ifi));
        if (cfg.linkLocal6()) {
            Inet6Address ll = linkLocal(mac);
            int rc = nsNl.addAddr(ifi, ll, LINK_LOCAL_PREFIX_LEN, Netlink.IFA_F_NODAD, Netlink.RT_SCOPE_LINK);
            if (rc != -Errno.EEXIST) { // already there: made by an earlier configuration, not tentative
                check("RTM_NEWADDR " + NetlinkWire.text(ll) + "/" + LINK_LOCAL_PREFIX_LEN, rc);
            }
        }
        for (IfConfig.Addr a : cfg.addrs()) {
            int flags = a.addr() instanceof Inet6Address ? Netlink.IFA_F_NODAD : 0;
            check("RTM_NEWADDR " + a, nsNl.addAddr(ifi, a.addr(), a.prefixLen(), flags, scope(a.addr())));
        }
        addRoutes(nsNl, ifi, cfg);
    }

    /** Adds the routes of {@code cfg}, those without a gateway first; EEXIST is accepted. */
    private static void addRoutes(Netlink nsNl, int ifi, IfConfig cfg) throws IOException {
        for (IfConfig.Route r : ordered(cfg.routes())) {
            int flags = r.gateway() != null && !onLink(r.gateway(), cfg) ? Netlink.RTNH_F_ONLINK : 0;
            int rc = nsNl.addRoute(ifi, r.dst(), r.prefixLen(), r.gateway(), r.metric(), flags);
            if (rc != -Errno.EEXIST) {
                check("RTM_NEWROUTE " + r + (flags != 0 ? " onlink" : ""), rc);
            }
        }
    }

    /**
     * Moves the namespace's interface from {@code before} (applied earlier by {@link #apply} or by this method) to
     * {@code after}, as the host's state changed: routes that went away are deleted, then addresses (the kernel
     * drops their prefix routes with them), then the MTU is set, new addresses are added (IPv6 without duplicate
     * address detection), and finally every route of {@code after} is added, EEXIST accepted, so that a route the
     * kernel dropped along with an address comes back. What is already gone (ESRCH, EADDRNOTAVAIL) is fine: the
     * guest may have removed it. Addresses and routes the guest added itself are not in {@code before} and stay.
     *
     * @throws IOException naming the first step the kernel refused otherwise
     */
    public static void update(Netlink nsNl, IfConfig before, IfConfig after) throws IOException {
        IfDiff d = IfDiff.of(before, after);
        int ifi = need(nsNl, after.name()).index();
        for (IfConfig.Route r : d.removeRoutes()) {
            int rc = nsNl.delRoute(ifi, r.dst(), r.prefixLen(), r.gateway(), r.metric());
            if (rc != -Errno.ESRCH) {
                check("RTM_DELROUTE " + r, rc);
            }
        }
        for (IfConfig.Addr a : d.removeAddrs()) {
            int rc = nsNl.delAddr(ifi, a.addr(), a.prefixLen());
            if (rc != -Errno.EADDRNOTAVAIL) {
                check("RTM_DELADDR " + a, rc);
            }
        }
        if (d.mtu() != IfConfig.KEEP_MTU) {
            check("RTM_NEWLINK " + after.name() + " mtu " + d.mtu(), nsNl.setMtu(ifi, d.mtu()));
        }
        for (IfConfig.Addr a : d.addAddrs()) {
            int flags = a.addr() instanceof Inet6Address ? Netlink.IFA_F_NODAD : 0;
            int rc = nsNl.addAddr(ifi, a.addr(), a.prefixLen(), flags, scope(a.addr()));
            if (rc != -Errno.EEXIST) {
                check("RTM_NEWADDR " + a, rc);
            }
        }
        addRoutes(nsNl, ifi, after);
    }

    /** @return fe80::/64 with the modified EUI-64 identifier of {@code mac}: U/L bit inverted, ff:fe in the middle */
    public static Inet6Address linkLocal(long mac) {
        byte[] m = NetlinkLink.macBytes(mac);
        byte[] a = new byte[16];
        a[0] = (byte) 0xfe;
        a[1] = (byte) 0x80;
        a[8] = (byte) (m[0] ^ 0x02);
        a[9] = m[1];
        a[10] = m[2];
        a[11] = (byte) 0xff;
        a[12] = (byte) 0xfe;
        a[13] = m[3];
        a[14] = m[4];
        a[15] = m[5];
        return (Inet6Address) NetlinkWire.address(a);
    }

    /** Routes without a gateway first, each group in the given order. */
    static List<IfConfig.Route> ordered(List<IfConfig.Route> routes) {
        List<IfConfig.Route> out = new ArrayList<>(routes.size());
        for (IfConfig.Route r : routes) {
            if (r.gateway() == null) {
                out.add(r);
            }
        }
        for (IfConfig.Route r : routes) {
            if (r.gateway() != null) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * @return true if the kernel will find {@code gw} on the link by itself: IPv6 link-local, inside the prefix of
     *         one of the addresses, or inside a route without a gateway
     */
    static boolean onLink(InetAddress gw, IfConfig cfg) {
        if (gw.isLinkLocalAddress() && gw instanceof Inet6Address) {
            return true;
        }
        for (IfConfig.Addr a : cfg.addrs()) {
            if (inPrefix(gw, a.addr(), a.prefixLen())) {
                return true;
            }
        }
        for (IfConfig.Route r : cfg.routes()) {
            if (r.gateway() == null && inPrefix(gw, r.dst(), r.prefixLen())) {
                return true;
            }
        }
        return false;
    }

    /** @return true if {@code a} and {@code net} are of one family and share their first {@code len} bits */
    static boolean inPrefix(InetAddress a, InetAddress net, int len) {
        byte[] x = a.getAddress(), y = net.getAddress();
        if (x.length != y.length) {
            return false;
        }
        for (int bit = 0; bit < len; bit += 8) {
            int mask = len - bit >= 8 ? 0xff : (0xff << (8 - (len - bit))) & 0xff;
            if (((x[bit / 8] ^ y[bit / 8]) & mask) != 0) {
                return false;
            }
        }
        return true;
    }

    /** The scope {@code ip address add} gives: host for 127/8, link for fe80::/10, else universe. */
    private static int scope(InetAddress a) {
        if (a instanceof Inet4Address && a.isLoopbackAddress()) {
            return Netlink.RT_SCOPE_HOST;
        }
        return a.isLinkLocalAddress() && a instanceof Inet6Address ? Netlink.RT_SCOPE_LINK : Netlink.RT_SCOPE_UNIVERSE;
    }

    private static NetlinkLink need(Netlink nl, String name) throws IOException {
        NetlinkLink l = nl.link(name);
        if (l == null) {
            throw Errno.io("RTM_GETLINK " + name, -Errno.ENODEV);
        }
        return l;
    }

    private static void check(String what, int rc) throws IOException {
        if (rc < 0) {
            throw Errno.io(what, rc);
        }
    }
}
