package io.jpasta.netns;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * One interface address as an {@code RTM_NEWADDR} message describes it.
 *
 * @param ifindex   interface ({@code ifa_index})
 * @param addr      the local address: {@code IFA_LOCAL} if present (IPv4, where {@code IFA_ADDRESS} is the peer of a
 *                  point-to-point link), else {@code IFA_ADDRESS}; an {@link Inet6Address} for every AF_INET6 entry,
 *                  IPv4-mapped ones included
 * @param prefixLen {@code ifa_prefixlen}
 * @param scope     RT_SCOPE_* ({@code ifa_scope}), see {@link Netlink#RT_SCOPE_UNIVERSE}
 * @param flags     IFA_F_* ({@code IFA_FLAGS} if present, else {@code ifa_flags}), see {@link Netlink#IFA_F_NODAD}
 */
public record NetlinkAddr(int ifindex, InetAddress addr, int prefixLen, int scope, int flags) {
    public boolean isIpv4() {
        return addr instanceof Inet4Address;
    }

    /**
     * @return true for addresses that only make sense on their own link: IPv6 fe80::/10, IPv4 169.254.0.0/16 (RFC
     *         3927), and anything the kernel scoped to the link or the host
     */
    public boolean isLinkLocal() {
        return addr.isLinkLocalAddress() || scope == Netlink.RT_SCOPE_LINK || scope == Netlink.RT_SCOPE_HOST;
    }

    /** @return true while IPv6 duplicate address detection has not finished (the address cannot be bound) */
    public boolean isTentative() {
        return (flags & Netlink.IFA_F_TENTATIVE) != 0;
    }

    @Override
    public String toString() {
        return NetlinkWire.text(addr) + "/" + prefixLen + " if " + ifindex + " scope " + scope + " flags 0x"
                + Integer.toHexString(flags);
    }
}
