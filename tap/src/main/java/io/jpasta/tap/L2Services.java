package io.jpasta.tap;

import io.jpasta.tap.wire.EthHeader;
import io.jpasta.tap.wire.Icmpv6Header;
import io.jpasta.tap.wire.Ipv4Header;
import io.jpasta.tap.wire.Ipv6Header;
import io.jpasta.tap.wire.MacAddr;
import io.jpasta.tap.wire.UdpHeader;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.util.random.RandomGenerator;

/**
 * First stop for every frame from the tap: checks the Ethernet and IP headers, answers ARP, NDP, DHCP and
 * DHCPv6 itself, and hands everything else back to the caller ({@link #NOT_MINE}) for the TCP, UDP and ICMP
 * paths.
 *
 * <p>Contract of {@link #handle}: a frame answered {@link #NOT_MINE} has a whole Ethernet header, and for IPv4 a
 * whole header whose total length fits and which is not a fragment, for IPv6 a whole fixed header and
 * extension chain with no Fragment header; the caller may parse it again without expecting failure there.
 * Everything else is {@link #HANDLED} (answered or deliberately ignored) or {@link #DROPPED} (counted in
 * {@link #stats()} with a reason). No input makes it throw, and it allocates nothing: the header views and the
 * one reply buffer are reused, replies go to the {@link TapSink} before {@code handle} returns.
 *
 * <p>The guest's MAC is learned from the source of every frame (frames with a group or zero source are dropped);
 * replies go to the MAC the request came from. Unsolicited router advertisements are sent by {@link #timer} to all nodes: three at
 * random intervals of up to 16 s once the guest has been seen, then one every 200 to 600 s (RFC 4861 §6.2.4,
 * §6.2.1 defaults for MinRtrAdvInterval and MaxRtrAdvInterval).
 */
public final class L2Services {
    /** Not an L2/L3 service frame: the caller dispatches it to TCP, UDP or ICMP. */
    public static final int NOT_MINE = 0;
    /** Consumed: answered, or well-formed but needing no answer. */
    public static final int HANDLED = 1;
    /** Refused and counted with a reason in {@link #stats()}. */
    public static final int DROPPED = 2;

    /** Size of the reply buffer: above any reply we build (DHCP is limited to 576 bytes by default). */
    static final int REPLY_SIZE = 4096;
    static final int DHCP_SERVER_PORT = 67, DHCP_CLIENT_PORT = 68, DHCPV6_CLIENT_PORT = 546,
            DHCPV6_SERVER_PORT = 547;
    /** Seconds between 1970-01-01 and 2000-01-01, the DUID-LLT epoch (RFC 8415 §11.2). */
    static final long DUID_EPOCH_OFFSET_S = 946_684_800L;

    static final long INITIAL_RA_MAX_NS = 16_000_000_000L;
    static final int MAX_INITIAL_RTR_ADVERTISEMENTS = 3;
    static final long MIN_RTR_ADV_INTERVAL_NS = 200_000_000_000L;
    static final long MAX_RTR_ADV_INTERVAL_NS = 600_000_000_000L;

    final TapConf conf;
    final L2Stats stats = new L2Stats();
    final MemorySegment reply;
    final long ourMac;
    long guestMac;
    boolean guestSeen;

    final boolean has4;
    final int addr4, gw4, mask4;
    final boolean has6;
    final long addr6Hi, addr6Lo, ll6Hi, ll6Lo;

    private final EthHeader eth = new EthHeader();
    private final Ipv4Header ip4 = new Ipv4Header();
    private final Ipv6Header ip6 = new Ipv6Header();
    private final UdpHeader udp = new UdpHeader();
    private final Icmpv6Header icmp6 = new Icmpv6Header();

    private final Arp arp;
    private final Ndp ndp;
    private final Dhcp dhcp;
    private final Dhcpv6 dhcpv6;

    private final RandomGenerator random;
    private long raDeadlineNs;
    private int raInitialSent;

    /**
     * @param conf addresses and switches
     * @param random source for router advertisement intervals
     * @param nowNs monotonic clock now, for the first advertisement deadline
     * @param realtimeNs wall clock now (ns since the epoch): the time in our DHCPv6 server DUID
     */
    public L2Services(TapConf conf, RandomGenerator random, long nowNs, long realtimeNs) {
        this.conf = conf;
        this.random = random;
        this.reply = Arena.ofAuto().allocate(REPLY_SIZE, 8);
        this.ourMac = conf.ourMac();
        this.guestMac = conf.guestMac();
        has4 = conf.addr4() != null;
        addr4 = has4 ? v4(conf.addr4()) : 0;
        gw4 = has4 ? v4(conf.gateway4()) : 0;
        mask4 = has4 && conf.prefixLen4() > 0 ? -1 << (32 - conf.prefixLen4()) : 0;
        has6 = conf.addr6() != null;
        ByteBuffer a6 = has6 ? ByteBuffer.wrap(conf.addr6().getAddress()) : ByteBuffer.allocate(16);
        addr6Hi = a6.getLong(0);
        addr6Lo = a6.getLong(8);
        ByteBuffer ll = conf.ourLinkLocal6() != null ? ByteBuffer.wrap(conf.ourLinkLocal6().getAddress())
                : ByteBuffer.allocate(16);
        ll6Hi = ll.getLong(0);
        ll6Lo = ll.getLong(8);
        arp = new Arp(this);
        ndp = new Ndp(this);
        dhcp = new Dhcp(this);
        dhcpv6 = new Dhcpv6(this, (int) (realtimeNs / 1_000_000_000L - DUID_EPOCH_OFFSET_S));
        raDeadlineNs = raEnabled() ? nowNs + randomBetween(1, INITIAL_RA_MAX_NS) : Long.MAX_VALUE;
    }

    private static int v4(Inet4Address a) {
        return ByteBuffer.wrap(a.getAddress()).getInt();
    }

    /** @return the IPv6 address as two longs, high half first; for tests and the launcher */
    static long[] v6(Inet6Address a) {
        ByteBuffer b = ByteBuffer.wrap(a.getAddress());
        return new long[] {b.getLong(0), b.getLong(8)};
    }

    private boolean raEnabled() {
        return has6 && !conf.noNdp() && !conf.noRa();
    }

    /**
     * Looks at one frame from the tap and answers it if it is for an L2/L3 service.
     *
     * @param frame memory holding the frame
     * @param off offset of the Ethernet header
     * @param len frame length
     * @param nowNs monotonic clock now
     * @param out where replies go
     * @return {@link #NOT_MINE}, {@link #HANDLED} or {@link #DROPPED}
     */
    public int handle(MemorySegment frame, long off, int len, long nowNs, TapSink out) {
        if (!EthHeader.fits(frame, off, len)) {
            return drop(L2Stats.FRAME, L2Stats.MALFORMED);
        }
        eth.wrap(frame, off);
        long src = eth.src();
        if (src == MacAddr.NONE || MacAddr.isGroup(src)) {
            // IEEE 802.3 §3.2.3: a source address is always individual; we could not answer it anyway.
            return drop(L2Stats.FRAME, L2Stats.MALFORMED);
        }
        guestMac = src;
        guestSeen = true;
        long l3 = eth.payload();
        int l3Len = len - EthHeader.LEN;
        switch (eth.type()) {
            case EthHeader.ETH_P_ARP -> {
                return arp.handle(frame, l3, l3Len, src, out);
            }
            case EthHeader.ETH_P_IP -> {
                return ipv4(frame, l3, l3Len, out);
            }
            case EthHeader.ETH_P_IPV6 -> {
                return ipv6(frame, l3, l3Len, src, out);
            }
            default -> {
                return drop(L2Stats.FRAME, L2Stats.UNSUPPORTED);
            }
        }
    }

    private int ipv4(MemorySegment frame, long l3, int l3Len, TapSink out) {
        if (!Ipv4Header.fits(frame, l3, l3Len)) {
            return drop(L2Stats.FRAME, L2Stats.MALFORMED);
        }
        ip4.wrap(frame, l3);
        if (!ip4.checksumOk()) {
            return drop(L2Stats.FRAME, L2Stats.BAD_CHECKSUM);
        }
        if (ip4.isFragment()) {
            return drop(L2Stats.FRAME, L2Stats.FRAGMENT);
        }
        if (ip4.proto() != Ipv4Header.IPPROTO_UDP || ip4.payloadLen() < UdpHeader.LEN
                || udp.wrap(frame, ip4.payload()).dstPort() != DHCP_SERVER_PORT) {
            return NOT_MINE;
        }
        return dhcp.handle(frame, ip4, udp, out);
    }

    private int ipv6(MemorySegment frame, long l3, int l3Len, long src, TapSink out) {
        if (!ip6.parse(frame, l3, l3Len)) {
            return drop(L2Stats.FRAME, L2Stats.MALFORMED);
        }
        if (ip6.isFragment()) {
            return drop(L2Stats.FRAME, L2Stats.FRAGMENT);
        }
        long up = ip6.upperOff();
        int upLen = ip6.upperLen();
        if (ip6.upperProto() == Ipv6Header.IPPROTO_ICMPV6 && Icmpv6Header.fits(frame, up, upLen)) {
            int type = icmp6.wrap(frame, up).type();
            if (type >= Icmpv6Header.MLD_LISTENER_QUERY && type <= Icmpv6Header.MLD2_LISTENER_REPORT) {
                return ndp.handle(frame, ip6, icmp6, src, out);
            }
            return NOT_MINE;
        }
        if (ip6.upperProto() == Ipv6Header.IPPROTO_UDP && upLen >= UdpHeader.LEN
                && udp.wrap(frame, up).dstPort() == DHCPV6_SERVER_PORT) {
            return dhcpv6.handle(frame, ip6, udp, src, out);
        }
        return NOT_MINE;
    }

    int drop(int service, int reason) {
        stats.drop(service, reason);
        return DROPPED;
    }

    /** @return when {@link #timer} next has work, or {@link Long#MAX_VALUE} if never */
    public long nextDeadlineNs(long nowNs) {
        return raDeadlineNs;
    }

    /** Sends an unsolicited router advertisement if one is due, and schedules the next one. */
    public void timer(long nowNs, TapSink out) {
        if (nowNs - raDeadlineNs < 0 || raDeadlineNs == Long.MAX_VALUE) {
            return;
        }
        if (!guestSeen) {
            raDeadlineNs = nowNs + randomBetween(1, INITIAL_RA_MAX_NS);
            return;
        }
        ndp.sendRa(0, 0, MacAddr.NONE, out);
        if (raInitialSent < MAX_INITIAL_RTR_ADVERTISEMENTS) {
            raInitialSent++;
        }
        raDeadlineNs = nowNs + (raInitialSent < MAX_INITIAL_RTR_ADVERTISEMENTS
                ? randomBetween(1, INITIAL_RA_MAX_NS)
                : randomBetween(MIN_RTR_ADV_INTERVAL_NS, MAX_RTR_ADV_INTERVAL_NS));
    }

    private long randomBetween(long lo, long hi) {
        return random.nextLong(lo, hi + 1);
    }

    /** @return counters per service, including drops by reason */
    public L2Stats stats() {
        return stats;
    }

    /** @return the guest's MAC as last learned, or {@link MacAddr#NONE} */
    public long guestMac() {
        return guestMac;
    }
}
