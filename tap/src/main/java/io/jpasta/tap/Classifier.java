package io.jpasta.tap;

import io.jpasta.netns.log.Counters;
import io.jpasta.netns.log.Log;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.wire.Be;
import io.jpasta.tap.wire.EthHeader;
import io.jpasta.tap.wire.Icmpv6Header;
import io.jpasta.tap.wire.Ipv4Header;
import io.jpasta.tap.wire.Ipv6Header;
import io.jpasta.tap.wire.MacAddr;
import io.jpasta.tap.wire.TcpHeader;
import io.jpasta.tap.wire.UdpHeader;

import java.lang.foreign.MemorySegment;

/**
 * Every frame from the tap passes here once: the Ethernet header, the IPv4 header (length, checksum, fragments) or
 * the IPv6 header and its extension chain, and the TCP or UDP header are checked and located in one {@link TapFrame},
 * then the frame goes to exactly one place, chosen by EtherType and protocol:
 *
 * <pre>
 *   ARP                                  L2 services (ARP)
 *   IPv4 UDP to port 67                  L2 services (DHCP)
 *   IPv6 UDP to port 547                 L2 services (DHCPv6)
 *   ICMPv6 types 130-143 (MLD, NDP)      L2 services (NDP)
 *   ICMP, other ICMPv6                   the ICMP handler (echo through ping sockets)
 *   TCP                                  the TCP handler
 *   other UDP                            the UDP handler
 * </pre>
 *
 * A frame that fails a check, or has no handler (an unknown EtherType or protocol, {@code --no-tcp}), is counted
 * once under its reason in {@link #stats()} and dropped; a handler's own refusals are counted by the handler. The
 * classifier also tells the L2 services the guest's MAC, learnt from the source of every valid frame. Nothing is
 * allocated per frame, and no input makes it throw. Loop thread only.
 */
public final class Classifier {
    /** Counted events. */
    static final int RX = 0, ARP = 1, IPV4 = 2, IPV6 = 3;
    /** Drop reasons. */
    public static final int MALFORMED = 0, BAD_SOURCE = 1, BAD_CHECKSUM = 2, FRAGMENT = 3, UNSUPPORTED = 4,
            DISABLED = 5;

    private static final String[] COUNT_NAMES = {"rx", "arp", "ipv4", "ipv6"};
    private static final String[] REASON_NAMES = {"malformed", "bad source", "bad checksum", "fragment",
        "unsupported", "disabled"};
    static final int DHCP_SERVER_PORT = 67, DHCPV6_SERVER_PORT = 547;

    private final Counters stats = new Counters("frame", COUNT_NAMES, REASON_NAMES);
    private final L2Services l2;
    private final TapSink out;
    private final TapFrame f = new TapFrame();
    private final EthHeader eth = new EthHeader();
    private final TcpHeader tcpH = new TcpHeader();
    private final UdpHeader udpH = new UdpHeader();
    private TapHandler tcp, udp, icmp;

    /**
     * @param l2 the ARP, NDP, DHCP and DHCPv6 services
     * @param out where the L2 services' replies go
     */
    public Classifier(L2Services l2, TapSink out) {
        this.l2 = l2;
        this.out = out;
    }

    /** Sets the TCP engine; without one ({@code --no-tcp}) TCP frames are dropped as disabled. */
    public Classifier tcp(TapHandler h) {
        tcp = h;
        return this;
    }

    /** Sets the UDP engine; without one ({@code --no-udp}) UDP frames other than DHCP are dropped as disabled. */
    public Classifier udp(TapHandler h) {
        udp = h;
        return this;
    }

    /** Sets the ICMP echo engine; without one, ICMP other than NDP/MLD is dropped as disabled. */
    public Classifier icmp(TapHandler h) {
        icmp = h;
        return this;
    }

    /**
     * Parses one frame and hands it to its handler.
     *
     * @param seg memory holding the frame
     * @param off offset of the Ethernet header
     * @param len frame length
     * @param nowNs monotonic clock now
     * @return {@link TapHandler#HANDLED} or {@link TapHandler#DROPPED}
     */
    public int frame(MemorySegment seg, long off, int len, long nowNs) {
        stats.count(RX);
        if (!EthHeader.fits(seg, off, len)) {
            return drop(MALFORMED);
        }
        eth.wrap(seg, off);
        long src = eth.src();
        if (src == MacAddr.NONE || MacAddr.isGroup(src)) {
            // IEEE 802.3 §3.2.3: a source address is always individual; nothing could be answered anyway
            return drop(BAD_SOURCE);
        }
        l2.sawGuest(src);
        f.seg = seg;
        f.off = off;
        f.len = len;
        f.srcMac = src;
        f.l3 = eth.payload();
        f.srcPort = f.dstPort = 0;
        int l3Len = len - EthHeader.LEN;
        switch (eth.type()) {
            case EthHeader.ETH_P_ARP -> {
                stats.count(ARP);
                return l2.arp(f, l3Len, out);
            }
            case EthHeader.ETH_P_IP -> {
                stats.count(IPV4);
                return ipv4(l3Len, nowNs);
            }
            case EthHeader.ETH_P_IPV6 -> {
                stats.count(IPV6);
                return ipv6(l3Len, nowNs);
            }
            default -> {
                return drop(UNSUPPORTED);
            }
        }
    }

    private int ipv4(int l3Len, long nowNs) {
        if (!Ipv4Header.fits(f.seg, f.l3, l3Len)) {
            return drop(MALFORMED);
        }
        Ipv4Header ip = f.ip4.wrap(f.seg, f.l3);
        if (!ip.checksumOk()) {
            return drop(BAD_CHECKSUM);
        }
        if (ip.isFragment()) {
            return drop(FRAGMENT);
        }
        f.v6 = false;
        f.proto = ip.proto();
        f.l4 = ip.payload();
        f.l4Len = ip.payloadLen();
        f.srcHi = f.dstHi = Inany.V4_HI;
        f.srcLo = Inany.v4Lo(ip.src());
        f.dstLo = Inany.v4Lo(ip.dst());
        return switch (f.proto) {
            case Ipv4Header.IPPROTO_TCP -> toTcp(nowNs);
            case Ipv4Header.IPPROTO_UDP -> toUdp(DHCP_SERVER_PORT, nowNs);
            case Ipv4Header.IPPROTO_ICMP -> to(icmp, nowNs);
            default -> drop(UNSUPPORTED);
        };
    }

    private int ipv6(int l3Len, long nowNs) {
        Ipv6Header ip = f.ip6;
        if (!ip.parse(f.seg, f.l3, l3Len)) {
            return drop(MALFORMED);
        }
        if (ip.isFragment()) {
            return drop(FRAGMENT);
        }
        f.v6 = true;
        f.proto = ip.upperProto();
        f.l4 = ip.upperOff();
        f.l4Len = ip.upperLen();
        f.srcHi = ip.srcHi();
        f.srcLo = ip.srcLo();
        f.dstHi = ip.dstHi();
        f.dstLo = ip.dstLo();
        return switch (f.proto) {
            case Ipv6Header.IPPROTO_TCP -> toTcp(nowNs);
            case Ipv6Header.IPPROTO_UDP -> toUdp(DHCPV6_SERVER_PORT, nowNs);
            case Ipv6Header.IPPROTO_ICMPV6 -> icmpv6(nowNs);
            default -> drop(UNSUPPORTED);
        };
    }

    private int icmpv6(long nowNs) {
        if (!Icmpv6Header.fits(f.seg, f.l4, f.l4Len)) {
            return drop(MALFORMED);
        }
        int type = Be.u8(f.seg, f.l4);
        if (type >= Icmpv6Header.MLD_LISTENER_QUERY && type <= Icmpv6Header.MLD2_LISTENER_REPORT) {
            return l2.ndp(f, out);
        }
        return to(icmp, nowNs);
    }

    private int toTcp(long nowNs) {
        if (!TcpHeader.fits(f.seg, f.l4, f.l4Len)) {
            return drop(MALFORMED);
        }
        tcpH.wrap(f.seg, f.l4);
        f.srcPort = tcpH.srcPort();
        f.dstPort = tcpH.dstPort();
        return to(tcp, nowNs);
    }

    private int toUdp(int dhcpPort, long nowNs) {
        if (!UdpHeader.fits(f.seg, f.l4, f.l4Len)) {
            return drop(MALFORMED);
        }
        udpH.wrap(f.seg, f.l4);
        f.srcPort = udpH.srcPort();
        f.dstPort = udpH.dstPort();
        if (f.dstPort == dhcpPort) {
            return f.v6 ? l2.dhcpv6(f, out) : l2.dhcp(f, out);
        }
        return to(udp, nowNs);
    }

    private int to(TapHandler h, long nowNs) {
        if (h == null) {
            return drop(DISABLED);
        }
        return h.fromTap(f, nowNs);
    }

    private int drop(int reason) {
        stats.drop(reason);
        if (Log.trace) {
            Log.trace("tap: frame dropped: " + REASON_NAMES[reason]);
        }
        return TapHandler.DROPPED;
    }

    /** @return frames seen, and the frames refused before any handler, by reason */
    public Counters stats() {
        return stats;
    }
}
