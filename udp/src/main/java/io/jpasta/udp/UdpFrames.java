package io.jpasta.udp;

import io.jpasta.tap.TapSink;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.wire.Be;
import io.jpasta.tap.wire.Checksum;
import io.jpasta.tap.wire.EthHeader;
import io.jpasta.tap.wire.IcmpHeader;
import io.jpasta.tap.wire.Icmpv6Header;
import io.jpasta.tap.wire.Ipv4Header;
import io.jpasta.tap.wire.Ipv6Header;
import io.jpasta.tap.wire.UdpHeader;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Frames toward the guest for the UDP engine: a datagram, its headers written in place in front of its data, and
 * ICMP/ICMPv6 errors quoting a datagram the guest sent. As pasta: IPv4 without identification, DF set, TTL 255, UDP
 * checksum left out (optional over IPv4, RFC 768; it spares a pass over 64 KiB datagrams); IPv6 hop limit 255 with
 * the checksum, which IPv6 requires (RFC 8200 §8.1). Frames are padded to the Ethernet minimum.
 */
final class UdpFrames {
    static final int TTL = 255;
    /** The most an ICMP error may take: 576 bytes for IPv4 (RFC 1812 §4.3.2.3), 1280 for IPv6 (RFC 4443 §2.4). */
    static final int ICMP4_MAX = 576, ICMP6_MAX = 1280;
    /** Where the quoted datagram's data starts in the error buffer: after Ethernet, IP, ICMP, quoted IP and UDP. */
    static final int QUOTE4 = EthHeader.LEN + Ipv4Header.MIN_LEN + IcmpHeader.LEN + Ipv4Header.MIN_LEN
            + UdpHeader.LEN;
    static final int QUOTE6 = EthHeader.LEN + Ipv6Header.LEN + Icmpv6Header.LEN + Ipv6Header.LEN + UdpHeader.LEN;
    /** ICMP types and codes we write for IPv4 (RFC 792) and IPv6 (RFC 4443). */
    static final int ICMP_DEST_UNREACH = 3, ICMP_FRAG_NEEDED = 4, ICMPV6_PKT_TOOBIG = 2;

    private final long ourMac;
    private final int mtu;
    private final TapSink tap;
    private final EthHeader eth = new EthHeader();
    private final Ipv4Header ip4 = new Ipv4Header(), qIp4 = new Ipv4Header();
    private final Ipv6Header ip6 = new Ipv6Header(), qIp6 = new Ipv6Header();
    private final UdpHeader udp = new UdpHeader();
    private final IcmpHeader icmp4 = new IcmpHeader();
    private final Icmpv6Header icmp6 = new Icmpv6Header();
    /** The buffer ICMP errors are built in; the quoted data is read into it at {@link #quoteAt}. */
    final MemorySegment err = Arena.ofAuto().allocate(ICMP6_MAX + EthHeader.LEN, 8);

    UdpFrames(long ourMac, int mtu, TapSink tap) {
        this.ourMac = ourMac;
        this.mtu = mtu;
        this.tap = tap;
    }

    /** @return where the quoted data goes in {@link #err}, and how much of it fits, for a flow of that family */
    static int quoteAt(boolean v6) {
        return v6 ? QUOTE6 : QUOTE4;
    }

    static int quoteCap(boolean v6) {
        return v6 ? ICMP6_MAX - (QUOTE6 - EthHeader.LEN) : ICMP4_MAX - (QUOTE4 - EthHeader.LEN);
    }

    /**
     * Sends {@code len} bytes of data at {@code data} in {@code m} as a UDP datagram to the guest, writing the headers
     * in the {@link Datagrams#DATA_AT} bytes in front of it.
     *
     * @return false if the datagram does not fit the tap's MTU (nothing sent)
     */
    boolean datagram(MemorySegment m, long data, int len, boolean v6, long srcHi, long srcLo, int sport,
                     long dstHi, long dstLo, int dport, long guestMac) {
        int ipLen = v6 ? Ipv6Header.LEN : Ipv4Header.MIN_LEN;
        int l4Len = UdpHeader.LEN + len;
        if (ipLen + l4Len > mtu) {
            return false;
        }
        long udpOff = data - UdpHeader.LEN, ipOff = udpOff - ipLen, ethOff = ipOff - EthHeader.LEN;
        eth.wrap(m, ethOff).dst(guestMac).src(ourMac).type(v6 ? EthHeader.ETH_P_IPV6 : EthHeader.ETH_P_IP);
        udp.wrap(m, udpOff).init(sport, dport, l4Len);
        if (v6) {
            ip6.wrap(m, ipOff).init(0, l4Len, Ipv6Header.IPPROTO_UDP, TTL, srcHi, srcLo, dstHi, dstLo);
            udp.fillChecksum(Checksum.pseudo6(m, ip6.srcOff(), Ipv6Header.IPPROTO_UDP, l4Len));
        } else {
            ip4.wrap(m, ipOff).init(ipLen + l4Len, 0, Ipv4Header.IP_DF, TTL, Ipv4Header.IPPROTO_UDP, Inany.v4(srcLo),
                    Inany.v4(dstLo)).fillChecksum();
        }
        send(m, ethOff, EthHeader.LEN + ipLen + l4Len);
        return true;
    }

    /**
     * Sends an ICMP or ICMPv6 error to the guest about a datagram it sent, quoting the datagram's IP and UDP headers
     * and the first {@code dataLen} bytes of its data, which the caller put in {@link #err} at {@link #quoteAt}.
     *
     * @param e the error as the socket's error queue gave it: type, code, and the next-hop MTU in {@code info} for
     *        "fragmentation needed" and "packet too big"
     * @param guestSide the flow's side facing the guest: the quoted datagram went from its endpoint (the guest) to
     *        its other address and port
     * @param fromHi the error's source: the destination the guest addressed, or the router that answered
     */
    void icmpError(SockError e, FlowTable flows, int guestSide, long fromHi, long fromLo, int dataLen,
                   long guestMac) {
        long guestHi = flows.eAddrHi(guestSide), guestLo = flows.eAddrLo(guestSide);
        long dstHi = flows.oAddrHi(guestSide), dstLo = flows.oAddrLo(guestSide);
        int guestPort = flows.ePort(guestSide), dstPort = flows.oPort(guestSide);
        boolean v6 = !Inany.isV4(guestHi, guestLo);
        int type = e.type, code = e.code, info = e.info;
        MemorySegment m = err;
        int ipLen = v6 ? Ipv6Header.LEN : Ipv4Header.MIN_LEN;
        long ipOff = EthHeader.LEN, icmpOff = ipOff + ipLen, qIp = icmpOff + IcmpHeader.LEN, qUdp = qIp + ipLen;
        int quotedLen = ipLen + UdpHeader.LEN + dataLen;
        int icmpLen = IcmpHeader.LEN + quotedLen;
        udp.wrap(m, qUdp).init(guestPort, dstPort, UdpHeader.LEN + dataLen);
        eth.wrap(m, 0).dst(guestMac).src(ourMac).type(v6 ? EthHeader.ETH_P_IPV6 : EthHeader.ETH_P_IP);
        Be.put8(m, icmpOff, type);
        Be.put8(m, icmpOff + 1, code);
        Be.put32(m, icmpOff + 4, 0);
        if (v6) {
            qIp6.wrap(m, qIp).init(0, UdpHeader.LEN + dataLen, Ipv6Header.IPPROTO_UDP, TTL, guestHi, guestLo, dstHi,
                    dstLo);
            if (type == ICMPV6_PKT_TOOBIG) {
                Be.put32(m, icmpOff + 4, info);
            }
            ip6.wrap(m, ipOff).init(0, icmpLen, Ipv6Header.IPPROTO_ICMPV6, TTL, fromHi, fromLo, guestHi, guestLo);
            icmp6.wrap(m, icmpOff).fillChecksum(Checksum.pseudo6(m, ip6.srcOff(), Ipv6Header.IPPROTO_ICMPV6,
                    icmpLen), icmpLen);
        } else {
            qIp4.wrap(m, qIp).init(quotedLen, 0, Ipv4Header.IP_DF, TTL, Ipv4Header.IPPROTO_UDP, Inany.v4(guestLo),
                    Inany.v4(dstLo)).fillChecksum();
            if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
                Be.put16(m, icmpOff + 6, info);
            }
            ip4.wrap(m, ipOff).init(ipLen + icmpLen, 0, 0, TTL, Ipv4Header.IPPROTO_ICMP, Inany.v4(fromLo),
                    Inany.v4(guestLo)).fillChecksum();
            icmp4.wrap(m, icmpOff).fillChecksum(icmpLen);
        }
        send(m, 0, EthHeader.LEN + ipLen + icmpLen);
    }

    private void send(MemorySegment m, long ethOff, int frameLen) {
        if (frameLen < EthHeader.MIN_FRAME) {
            Be.zero(m, ethOff + frameLen, EthHeader.MIN_FRAME - frameLen);
            frameLen = EthHeader.MIN_FRAME;
        }
        tap.send(m, ethOff, frameLen);
    }
}
