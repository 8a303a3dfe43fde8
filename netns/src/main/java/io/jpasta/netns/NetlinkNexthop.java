package io.jpasta.netns;

import java.net.InetAddress;

/**
 * One next hop of a multipath route ({@code struct rtnexthop} inside {@code RTA_MULTIPATH}).
 *
 * @param ifindex {@code rtnh_ifindex}
 * @param gateway {@code RTA_GATEWAY} nested in the next hop, or null
 * @param flags   RTNH_F_* ({@code rtnh_flags}), see {@link Netlink#RTNH_F_ONLINK}
 * @param weight  {@code rtnh_hops + 1}, as {@code ip route} shows it
 */
public record NetlinkNexthop(int ifindex, InetAddress gateway, int flags, int weight) {
}
