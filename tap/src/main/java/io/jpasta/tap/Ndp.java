package io.jpasta.tap;

import io.jpasta.tap.wire.Be;
import io.jpasta.tap.wire.EthHeader;
import io.jpasta.tap.wire.Icmpv6Header;
import io.jpasta.tap.wire.Ipv6Header;
import io.jpasta.tap.wire.MacAddr;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Neighbour Discovery (RFC 4861) toward the guest: we are its only neighbour and its router.
 *
 * <p>Neighbour solicitations for any target but the guest's own address get an advertisement with our MAC
 * (Router, Solicited and Override set), sent from our link-local address; duplicate address detection probes
 * (unspecified source) are left unanswered so the guest keeps its address. Router solicitations get a router
 * advertisement: the /64 of the guest's address with on-link and autonomous flags and infinite lifetimes
 * (SLAAC), our link-layer address, the MTU if configured, and RDNSS/DNSSL (RFC 8106) with
 * {@code --dhcp-dns}/{@code --dhcp-search}. The Managed flag is set while the DHCPv6 server is enabled.
 * Other ICMPv6 control messages from the guest (advertisements, redirects, MLD) are ignored.
 *
 * <p>Every message is checked as RFC 4861 §6.1 and §7.1.1 require (hop limit 255, code 0, checksum, option
 * lengths) and dropped with a counted reason otherwise. Unlike pasta, the prefix field carries only the 64
 * prefix bits, zeroes after them (§4.6.2).
 */
final class Ndp {
    static final int NS_LEN = 24, NA_LEN = 24, RS_LEN = 8, RA_LEN = 16;
    static final int TARGET = 8;
    static final int ND_OPT_SOURCE_LINKADDR = 1, ND_OPT_TARGET_LINKADDR = 2, ND_OPT_PREFIX_INFORMATION = 3,
            ND_OPT_MTU = 5, ND_OPT_RDNSS = 25, ND_OPT_DNSSL = 31;
    static final int NA_FLAG_ROUTER = 0x8000_0000, NA_FLAG_SOLICITED = 0x4000_0000, NA_FLAG_OVERRIDE = 0x2000_0000;
    static final int RA_FLAG_MANAGED = 0x80;
    /** Hop limit of every NDP message (RFC 4861 §6.1). */
    static final int ND_HOP_LIMIT = 255;
    /** Current hop limit advertised to the guest, as pasta does. */
    static final int RA_CUR_HOP_LIMIT = 255;
    /** Router lifetime: the largest RFC 8319 allows. */
    static final int RA_ROUTER_LIFETIME = 65535;
    static final int PREFIX_LEN = 64;
    static final int PREFIX_FLAGS_ONLINK_AUTO = 0xc0;
    static final int INFINITY = 0xffff_ffff;
    /** RDNSS/DNSSL lifetime: three maximum advertisement intervals (RFC 8106 §5.1), refreshed by every RA. */
    static final int DNS_LIFETIME_S = 1800;
    /** Resolvers carried in one RDNSS option; more are left out. */
    static final int MAX_RDNSS = 16;
    /** Largest option: the length field counts 8-byte units in one octet. */
    static final int MAX_OPTION = 255 * 8;
    static final long ALL_NODES_HI = 0xff02_0000_0000_0000L, ALL_NODES_LO = 1;

    private final L2Services l2;
    private final EthHeader eth = new EthHeader();
    private final Ipv6Header ip6 = new Ipv6Header();
    private final Icmpv6Header icmp = new Icmpv6Header();
    private final long[] dns6;
    private final byte[] searchWire;

    Ndp(L2Services l2) {
        this.l2 = l2;
        TapConf c = l2.conf;
        dns6 = new long[c.dhcpDns() ? Math.min(c.dns6().size(), MAX_RDNSS) * 2 : 0];
        for (int i = 0; i < dns6.length / 2; i++) {
            long[] a = L2Services.v6(c.dns6().get(i));
            dns6[2 * i] = a[0];
            dns6[2 * i + 1] = a[1];
        }
        searchWire = c.dhcpSearch() ? DnsName.encodeAll(c.search()) : new byte[0];
    }

    /** Handles an ICMPv6 message with type 130..143 whose IPv6 header has been parsed into {@code in}. */
    int handle(MemorySegment frame, Ipv6Header in, Icmpv6Header msg, long srcMac, TapSink out) {
        l2.stats.received(L2Stats.NDP);
        if (l2.conf.noNdp()) {
            return l2.drop(L2Stats.NDP, L2Stats.DISABLED);
        }
        int type = msg.type();
        if (type != Icmpv6Header.ND_NEIGHBOR_SOLICIT && type != Icmpv6Header.ND_ROUTER_SOLICIT) {
            l2.stats.ignored(L2Stats.NDP);
            return TapHandler.HANDLED;
        }
        long m = in.upperOff();
        int len = in.upperLen();
        int min = type == Icmpv6Header.ND_NEIGHBOR_SOLICIT ? NS_LEN : RS_LEN;
        if (len < min || in.hopLimit() != ND_HOP_LIMIT || msg.code() != 0) {
            return l2.drop(L2Stats.NDP, L2Stats.MALFORMED);
        }
        if (!msg.checksumOk(in.pseudo(), len)) {
            return l2.drop(L2Stats.NDP, L2Stats.BAD_CHECKSUM);
        }
        boolean dad = Ipv6Header.isUnspecified(in.srcHi(), in.srcLo());
        if (!optionsValid(frame, m + min, len - min, dad)) {
            return l2.drop(L2Stats.NDP, L2Stats.MALFORMED);
        }
        if (type == Icmpv6Header.ND_ROUTER_SOLICIT) {
            if (l2.conf.noRa()) {
                return l2.drop(L2Stats.NDP, L2Stats.DISABLED);
            }
            if (!l2.has6) {
                return l2.drop(L2Stats.NDP, L2Stats.NO_ADDRESS);
            }
            sendRa(dad ? 0 : in.srcHi(), dad ? 0 : in.srcLo(), dad ? MacAddr.NONE : srcMac, out);
            l2.stats.replied(L2Stats.NDP);
            return TapHandler.HANDLED;
        }
        long tHi = frame.get(Be.LONG, m + TARGET);
        long tLo = frame.get(Be.LONG, m + TARGET + 8);
        if (Ipv6Header.isMulticast(tHi)) {
            return l2.drop(L2Stats.NDP, L2Stats.MALFORMED);
        }
        if (dad || (l2.has6 && tHi == l2.addr6Hi && tLo == l2.addr6Lo)) {
            l2.stats.ignored(L2Stats.NDP);
            return TapHandler.HANDLED;
        }
        sendNa(in.srcHi(), in.srcLo(), srcMac, tHi, tLo, out);
        l2.stats.replied(L2Stats.NDP);
        return TapHandler.HANDLED;
    }

    /**
     * Options must have a non-zero length and lie inside the message (§6.1.1); a solicitation from the
     * unspecified address must not carry a source link-layer address option.
     */
    private static boolean optionsValid(MemorySegment frame, long p, int len, boolean unspecifiedSrc) {
        long end = p + len;
        while (p < end) {
            if (p + 2 > end) {
                return false;
            }
            int olen = Be.u8(frame, p + 1) * 8;
            if (olen == 0 || p + olen > end) {
                return false;
            }
            if (unspecifiedSrc && Be.u8(frame, p) == ND_OPT_SOURCE_LINKADDR) {
                return false;
            }
            p += olen;
        }
        return true;
    }

    private void sendNa(long dstHi, long dstLo, long dstMac, long tHi, long tLo, TapSink out) {
        MemorySegment r = l2.reply;
        int icmpLen = NA_LEN + 8;
        long l4 = EthHeader.LEN + Ipv6Header.LEN;
        eth.wrap(r, 0).dst(dstMac).src(l2.ourMac).type(EthHeader.ETH_P_IPV6);
        ip6.wrap(r, EthHeader.LEN).init(0, icmpLen, Ipv6Header.IPPROTO_ICMPV6, ND_HOP_LIMIT, l2.ll6Hi, l2.ll6Lo,
                dstHi, dstLo);
        icmp.wrap(r, l4).init(Icmpv6Header.ND_NEIGHBOR_ADVERT, 0);
        Be.put32(r, l4 + 4, NA_FLAG_ROUTER | NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE);
        Be.put64(r, l4 + TARGET, tHi);
        Be.put64(r, l4 + TARGET + 8, tLo);
        Be.put8(r, l4 + NA_LEN, ND_OPT_TARGET_LINKADDR);
        Be.put8(r, l4 + NA_LEN + 1, 1);
        MacAddr.write(r, l4 + NA_LEN + 2, l2.ourMac);
        icmp.fillChecksum(ip6.pseudo(), icmpLen);
        out.send(r, 0, (int) l4 + icmpLen);
    }

    /**
     * Builds and sends a router advertisement.
     *
     * @param dstHi destination, or 0 together with {@code dstLo} for all nodes (ff02::1)
     * @param dstMac destination MAC, ignored when sending to all nodes
     */
    void sendRa(long dstHi, long dstLo, long dstMac, TapSink out) {
        MemorySegment r = l2.reply;
        long l4 = EthHeader.LEN + Ipv6Header.LEN;
        boolean all = dstHi == 0 && dstLo == 0;
        if (all) {
            dstHi = ALL_NODES_HI;
            dstLo = ALL_NODES_LO;
            dstMac = MacAddr.ofIpv6Multicast(ALL_NODES_LO);
        }
        icmp.wrap(r, l4).init(Icmpv6Header.ND_ROUTER_ADVERT, 0);
        Be.put8(r, l4 + 4, RA_CUR_HOP_LIMIT);
        Be.put8(r, l4 + 5, l2.conf.noDhcpv6() ? 0 : RA_FLAG_MANAGED);
        Be.put16(r, l4 + 6, RA_ROUTER_LIFETIME);
        Be.put32(r, l4 + 8, 0);
        Be.put32(r, l4 + 12, 0);
        long p = l4 + RA_LEN;

        Be.put8(r, p, ND_OPT_PREFIX_INFORMATION);
        Be.put8(r, p + 1, 4);
        Be.put8(r, p + 2, PREFIX_LEN);
        Be.put8(r, p + 3, PREFIX_FLAGS_ONLINK_AUTO);
        Be.put32(r, p + 4, INFINITY);
        Be.put32(r, p + 8, INFINITY);
        Be.put32(r, p + 12, 0);
        Be.put64(r, p + 16, l2.addr6Hi);
        Be.put64(r, p + 24, 0);
        p += 32;

        Be.put8(r, p, ND_OPT_SOURCE_LINKADDR);
        Be.put8(r, p + 1, 1);
        MacAddr.write(r, p + 2, l2.ourMac);
        p += 8;

        if (l2.conf.mtu() != 0) {
            Be.put8(r, p, ND_OPT_MTU);
            Be.put8(r, p + 1, 1);
            Be.put16(r, p + 2, 0);
            Be.put32(r, p + 4, l2.conf.mtu());
            p += 8;
        }
        if (dns6.length > 0) {
            int olen = 8 + dns6.length * 8;
            Be.put8(r, p, ND_OPT_RDNSS);
            Be.put8(r, p + 1, olen / 8);
            Be.put16(r, p + 2, 0);
            Be.put32(r, p + 4, DNS_LIFETIME_S);
            for (int i = 0; i < dns6.length; i++) {
                Be.put64(r, p + 8 + i * 8L, dns6[i]);
            }
            p += olen;
        }
        if (searchWire.length > 0 && 8 + searchWire.length + 7 <= MAX_OPTION) {
            int olen = (8 + searchWire.length + 7) & ~7;
            Be.zero(r, p, olen);
            Be.put8(r, p, ND_OPT_DNSSL);
            Be.put8(r, p + 1, olen / 8);
            Be.put32(r, p + 4, DNS_LIFETIME_S);
            MemorySegment.copy(searchWire, 0, r, ValueLayout.JAVA_BYTE, p + 8, searchWire.length);
            p += olen;
        }
        int icmpLen = (int) (p - l4);
        eth.wrap(r, 0).dst(dstMac).src(l2.ourMac).type(EthHeader.ETH_P_IPV6);
        ip6.wrap(r, EthHeader.LEN).init(0, icmpLen, Ipv6Header.IPPROTO_ICMPV6, ND_HOP_LIMIT, l2.ll6Hi, l2.ll6Lo,
                dstHi, dstLo);
        icmp.fillChecksum(ip6.pseudo(), icmpLen);
        out.send(r, 0, (int) p);
    }
}
