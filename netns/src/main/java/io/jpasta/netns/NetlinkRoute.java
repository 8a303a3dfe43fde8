package io.jpasta.netns;

import java.net.InetAddress;
import java.util.List;

/**
 * One route as an {@code RTM_NEWROUTE} message describes it.
 *
 * @param dst      {@code RTA_DST}, or the unspecified address of the family (0.0.0.0, ::) when absent (default
 *                 route); never null
 * @param dstLen   {@code rtm_dst_len}: 0 for a default route
 * @param gateway  {@code RTA_GATEWAY}, or null for a directly connected destination (and for multipath routes,
 *                 whose gateways are in {@code nexthops})
 * @param oif      {@code RTA_OIF}, 0 when absent (multipath routes)
 * @param metric   {@code RTA_PRIORITY}, 0 when absent
 * @param protocol RTPROT_* ({@code rtm_protocol}), see {@link Netlink#RTPROT_KERNEL}
 * @param scope    RT_SCOPE_* ({@code rtm_scope})
 * @param type     RTN_* ({@code rtm_type}), see {@link Netlink#RTN_UNICAST}
 * @param table    {@code RTA_TABLE} if present, else {@code rtm_table}
 * @param flags    {@code rtm_flags} (RTNH_F_ONLINK, RTNH_F_LINKDOWN, ...)
 * @param nexthops the next hops of {@code RTA_MULTIPATH}, empty for a single-path route
 */
public record NetlinkRoute(InetAddress dst, int dstLen, InetAddress gateway, int oif, int metric, int protocol,
                           int scope, int type, int table, int flags, List<NetlinkNexthop> nexthops) {
    public NetlinkRoute {
        nexthops = List.copyOf(nexthops);
    }

    public boolean isIpv4() {
        return dst instanceof java.net.Inet4Address;
    }

    public boolean isDefault() {
        return dstLen == 0;
    }

    /** @return true if traffic for this route may leave through {@code ifindex} (its oif or one of its next hops) */
    public boolean via(int ifindex) {
        if (oif == ifindex) {
            return true;
        }
        for (NetlinkNexthop nh : nexthops) {
            if (nh.ifindex() == ifindex) {
                return true;
            }
        }
        return false;
    }

    /** @return the gateway used toward {@code ifindex}: {@link #gateway} or that of the matching next hop, or null */
    public InetAddress gatewayVia(int ifindex) {
        if (oif == ifindex && gateway != null) {
            return gateway;
        }
        for (NetlinkNexthop nh : nexthops) {
            if (nh.ifindex() == ifindex && nh.gateway() != null) {
                return nh.gateway();
            }
        }
        return null;
    }

    /** @return the interface of the route: {@link #oif}, else the first next hop's, else 0 */
    public int firstOif() {
        if (oif != 0 || nexthops.isEmpty()) {
            return oif;
        }
        return nexthops.getFirst().ifindex();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(isDefault() ? "default" : NetlinkWire.text(dst) + "/" + dstLen);
        if (gateway != null) {
            sb.append(" via ").append(NetlinkWire.text(gateway));
        }
        sb.append(" oif ").append(oif).append(" metric ").append(metric).append(" proto ").append(protocol)
                .append(" scope ").append(scope).append(" type ").append(type).append(" table ").append(table);
        for (NetlinkNexthop nh : nexthops) {
            sb.append(" nexthop ").append(nh);
        }
        return sb.toString();
    }
}
