package io.jpasta.tap;

import io.jpasta.tap.wire.Icmpv6Header;
import io.jpasta.tap.wire.MacAddr;
import io.jpasta.tap.wire.UdpHeader;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The services pasta answers on the tap itself: ARP, NDP (router and neighbour solicitations, unsolicited router
 * advertisements), DHCP and DHCPv6. The {@link Classifier} checks Ethernet, IP and UDP headers and hands each
 * service its frames; the service answers with {@link TapHandler#HANDLED} (answered or deliberately ignored) or
 * {@link TapHandler#DROPPED} (counted in {@link #stats()} with a reason). No input makes it throw, and it allocates
 * nothing: the header views and the one reply buffer are reused, replies go to the {@link TapSink} before the call
 * returns.
 *
 * <p>The guest's MAC is learned from the source of every valid frame ({@link #sawGuest}); replies go to the MAC the
 * request came from. Unsolicited router advertisements are sent by {@link #timer} to all nodes: three at random
 * intervals of up to 16 s once the guest has been seen, then one every 200 to 600 s (RFC 4861 §6.2.4, §6.2.1
 * defaults for MinRtrAdvInterval and MaxRtrAdvInterval).
 */
public final class L2Services {
    /** Size of the reply buffer: above any reply we build (DHCP is limited to 576 bytes by default). */
    static final int REPLY_SIZE = 4096;
    static final int DHCP_CLIENT_PORT = 68, DHCPV6_CLIENT_PORT = 546;
    /** Seconds between 1970-01-01 and 2000-01-01, the DUID-LLT epoch (RFC 8415 §11.2). */
    static final long DUID_EPOCH_OFFSET_S = 946_684_800L;

    static final long INITIAL_RA_MAX_NS = 16_000_000_000L;
    static final int MAX_INITIAL_RTR_ADVERTISEMENTS = 3;
    static final long MIN_RTR_ADV_INTERVAL_NS = 200_000_000_000L;
    static final long MAX_RTR_ADV_INTERVAL_NS = 600_000_000_000L;

    /** What the services answer with; replaced as a whole by {@link #hostChanged} */
    TapConf conf;
    final L2Stats stats = new L2Stats();
    final MemorySegment reply;
    final long ourMac;
    long guestMac;
    boolean guestSeen;

    // conf's addresses as numbers, derived by addresses()
    boolean has4;
    int addr4, gw4, mask4;
    boolean has6;
    long addr6Hi, addr6Lo, ll6Hi, ll6Lo;

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
        addresses();
        arp = new Arp(this);
        ndp = new Ndp(this);
        dhcp = new Dhcp(this);
        dhcpv6 = new Dhcpv6(this, (int) (realtimeNs / 1_000_000_000L - DUID_EPOCH_OFFSET_S));
        raDeadlineNs = raEnabled() ? nowNs + randomBetween(1, INITIAL_RA_MAX_NS) : Long.MAX_VALUE;
    }

    private void addresses() {
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
    }

    /**
     * The host changed (the launcher follows it): from now on every answer uses {@code next}, which differs from
     * the configuration in use only in what the host gives (addresses, gateways, resolvers). DHCP leases stay
     * infinite, as pasta's: a guest learns a new IPv4 address at its next DHCP exchange. When IPv6 changed and
     * router advertisements are on, an unsolicited one goes out at the next {@link #timer} and the initial
     * sequence of advertisements starts again, so that SLAAC guests learn the new prefix at once.
     */
    public void hostChanged(TapConf next, long nowNs) {
        boolean v6Changed = !Objects.equals(conf.addr6(), next.addr6())
                || !Objects.equals(conf.ourLinkLocal6(), next.ourLinkLocal6())
                || !conf.dns6().equals(next.dns6());
        conf = next;
        addresses();
        if (raEnabled() && v6Changed) {
            raInitialSent = 0;
            raDeadlineNs = nowNs;
        } else if (!raEnabled()) {
            raDeadlineNs = Long.MAX_VALUE;
        } else if (raDeadlineNs == Long.MAX_VALUE) {
            raDeadlineNs = nowNs + randomBetween(1, INITIAL_RA_MAX_NS);
        }
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

    /** The guest sent a valid frame from {@code mac}: replies and unsolicited advertisements go there. */
    void sawGuest(long mac) {
        guestMac = mac;
        guestSeen = true;
    }

    /** An ARP packet of {@code l3Len} bytes at {@link TapFrame#l3()}. */
    int arp(TapFrame f, int l3Len, TapSink out) {
        return arp.handle(f.seg(), f.l3(), l3Len, f.srcMac(), out);
    }

    /** A UDP datagram to port 67, its IPv4 and UDP headers checked. */
    int dhcp(TapFrame f, TapSink out) {
        return dhcp.handle(f.seg(), f.ip4(), udp.wrap(f.seg(), f.l4()), out);
    }

    /** A UDP datagram to port 547, its IPv6 and UDP headers checked. */
    int dhcpv6(TapFrame f, TapSink out) {
        return dhcpv6.handle(f.seg(), f.ip6(), udp.wrap(f.seg(), f.l4()), f.srcMac(), out);
    }

    /** An ICMPv6 NDP or MLD message (types 130 to 143), at least its first 4 bytes present. */
    int ndp(TapFrame f, TapSink out) {
        return ndp.handle(f.seg(), f.ip6(), icmp6.wrap(f.seg(), f.l4()), f.srcMac(), out);
    }

    int drop(int service, int reason) {
        stats.drop(service, reason);
        return TapHandler.DROPPED;
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
