package io.jpasta.tap;

import io.jpasta.tap.wire.Be;
import io.jpasta.tap.wire.EthHeader;
import io.jpasta.tap.wire.Ipv6Header;
import io.jpasta.tap.wire.MacAddr;
import io.jpasta.tap.wire.UdpHeader;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * DHCPv6 server for the one guest (RFC 8415): SOLICIT gets an ADVERTISE (or, with Rapid Commit, a REPLY),
 * REQUEST, RENEW and REBIND a REPLY, all carrying the configured address in the client's IA_NA with infinite
 * lifetimes; CONFIRM gets a REPLY with status Success or NotOnLink; INFORMATION-REQUEST a REPLY with
 * configuration only. Resolvers (23) and search list (24) go out with {@code --dhcp-dns}/{@code --dhcp-search},
 * the FQDN (39, RFC 4704) when configured. Our server DUID is a DUID-LLT of our MAC and the start time.
 *
 * <p>Messages that name another server (§16) or break the per-type option rules are ignored or dropped and
 * counted. Replies go from our link-local address to the client's source address; the flow label is derived
 * from the transaction ID as pasta does, so that the reply is byte-identical to pasta's.
 */
final class Dhcpv6 {
    static final int SOLICIT = 1, ADVERTISE = 2, REQUEST = 3, CONFIRM = 4, RENEW = 5, REBIND = 6, REPLY = 7,
            RELEASE = 8, DECLINE = 9, INFORMATION_REQUEST = 11;
    static final int OPTION_CLIENTID = 1, OPTION_SERVERID = 2, OPTION_IA_NA = 3, OPTION_IAADDR = 5,
            OPTION_STATUS_CODE = 13, OPTION_RAPID_COMMIT = 14, OPTION_DNS_SERVERS = 23, OPTION_DOMAIN_LIST = 24,
            OPTION_CLIENT_FQDN = 39;
    static final int STATUS_SUCCESS = 0, STATUS_NOT_ON_LINK = 4;
    static final int DUID_LLT = 1, HTYPE_ETHER = 1, DUID_LEN = 14;
    static final int HEADER_LEN = 4, IA_NA_FIXED = 12, IAADDR_LEN = 24;
    static final int INFINITY = 0xffff_ffff;
    static final int HOP_LIMIT = 255;
    /** Largest client identifier we echo (RFC 8415 §11.1: a DUID is at most 128 bytes plus its type). */
    static final int MAX_DUID = 130;
    static final int MAX_DNS = 16;

    private final L2Services l2;
    private final EthHeader eth = new EthHeader();
    private final Ipv6Header ip6 = new Ipv6Header();
    private final UdpHeader udp = new UdpHeader();
    private final byte[] serverDuid = new byte[DUID_LEN];
    private final MemorySegment serverDuidSeg = MemorySegment.ofArray(serverDuid);
    private final long[] dns6;
    private final byte[] searchWire;
    private final byte[] fqdnWire;

    // Options of the message being handled: offsets of the option data, -1 when absent.
    private long clientId, serverId, iaNa;
    private int clientIdLen, serverIdLen, iaNaLen;
    private boolean rapidCommit;

    /** @param duidTime seconds since 2000-01-01 UTC, modulo 2^32, for our DUID-LLT */
    Dhcpv6(L2Services l2, int duidTime) {
        this.l2 = l2;
        MemorySegment d = MemorySegment.ofArray(serverDuid);
        Be.put16(d, 0, DUID_LLT);
        Be.put16(d, 2, HTYPE_ETHER);
        Be.put32(d, 4, duidTime);
        MacAddr.write(d, 8, l2.ourMac);
        TapConf c = l2.conf;
        dns6 = new long[c.dhcpDns() ? Math.min(c.dns6().size(), MAX_DNS) * 2 : 0];
        for (int i = 0; i < dns6.length / 2; i++) {
            long[] a = L2Services.v6(c.dns6().get(i));
            dns6[2 * i] = a[0];
            dns6[2 * i + 1] = a[1];
        }
        byte[] s = c.dhcpSearch() ? DnsName.encodeAll(c.search()) : new byte[0];
        searchWire = s.length > 1024 ? new byte[0] : s;
        byte[] f = c.fqdn() == null ? null : DnsName.encode(c.fqdn());
        fqdnWire = f == null ? new byte[0] : f;
    }

    /** Handles a UDP datagram to port 547 in a checked, unfragmented IPv6 packet. */
    int handle(MemorySegment frame, Ipv6Header in, UdpHeader inUdp, long srcMac, TapSink out) {
        l2.stats.received(L2Stats.DHCPV6);
        if (l2.conf.noDhcpv6()) {
            return l2.drop(L2Stats.DHCPV6, L2Stats.DISABLED);
        }
        if (!UdpHeader.fits(frame, in.upperOff(), in.upperLen())) {
            return l2.drop(L2Stats.DHCPV6, L2Stats.MALFORMED);
        }
        if (!inUdp.checksumOk(io.jpasta.tap.wire.Checksum.pseudo6(frame, in.srcOff(), Ipv6Header.IPPROTO_UDP,
                inUdp.length()), false)) {
            return l2.drop(L2Stats.DHCPV6, L2Stats.BAD_CHECKSUM);
        }
        long m = inUdp.payload();
        int len = inUdp.payloadLen();
        if (len < HEADER_LEN || !parseOptions(frame, m + HEADER_LEN, len - HEADER_LEN)) {
            return l2.drop(L2Stats.DHCPV6, L2Stats.MALFORMED);
        }
        int type = Be.u8(frame, m);
        boolean ours = serverId != -1 && serverIdLen == DUID_LEN
                && MemorySegment.mismatch(frame, serverId, serverId + DUID_LEN, serverDuidSeg, 0, DUID_LEN) == -1;
        // RFC 8415 §16: which messages must, may or must not carry a server identifier.
        switch (type) {
            case SOLICIT, CONFIRM, REBIND -> {
                if (clientId == -1 || serverId != -1) {
                    return l2.drop(L2Stats.DHCPV6, L2Stats.MALFORMED);
                }
            }
            case REQUEST, RENEW -> {
                if (clientId == -1 || serverId == -1) {
                    return l2.drop(L2Stats.DHCPV6, L2Stats.MALFORMED);
                }
                if (!ours) {
                    l2.stats.ignored(L2Stats.DHCPV6);
                    return TapHandler.HANDLED;
                }
            }
            case INFORMATION_REQUEST -> {
                if (serverId != -1 && !ours) {
                    l2.stats.ignored(L2Stats.DHCPV6);
                    return TapHandler.HANDLED;
                }
            }
            case RELEASE, DECLINE -> {
                l2.stats.ignored(L2Stats.DHCPV6);
                return TapHandler.HANDLED;
            }
            default -> {
                return l2.drop(L2Stats.DHCPV6, L2Stats.UNSUPPORTED);
            }
        }
        if (!l2.has6 && type != INFORMATION_REQUEST) {
            return l2.drop(L2Stats.DHCPV6, L2Stats.NO_ADDRESS);
        }
        reply(frame, in, m, type, srcMac, out);
        l2.stats.replied(L2Stats.DHCPV6);
        return TapHandler.HANDLED;
    }

    /** Records the options we use; false if an option runs past the end. */
    private boolean parseOptions(MemorySegment f, long p, int len) {
        clientId = serverId = iaNa = -1;
        clientIdLen = serverIdLen = iaNaLen = 0;
        rapidCommit = false;
        long end = p + len;
        while (p < end) {
            if (p + 4 > end) {
                return false;
            }
            int code = Be.u16(f, p);
            int olen = Be.u16(f, p + 2);
            long v = p + 4;
            if (v + olen > end) {
                return false;
            }
            switch (code) {
                case OPTION_CLIENTID -> {
                    if (olen == 0 || olen > MAX_DUID) {
                        return false;
                    }
                    clientId = v;
                    clientIdLen = olen;
                }
                case OPTION_SERVERID -> {
                    serverId = v;
                    serverIdLen = olen;
                }
                case OPTION_IA_NA -> {
                    if (olen < IA_NA_FIXED) {
                        return false;
                    }
                    if (iaNa == -1) {
                        iaNa = v;
                        iaNaLen = olen;
                    }
                }
                case OPTION_RAPID_COMMIT -> rapidCommit = true;
                default -> {
                }
            }
            p = v + olen;
        }
        return true;
    }

    /** @return true if every address in the client's IA_NA is in the guest's /64 (RFC 8415 §18.3.3) */
    private boolean onLink(MemorySegment f) {
        if (iaNa == -1) {
            return false;
        }
        long p = iaNa + IA_NA_FIXED;
        long end = iaNa + iaNaLen;
        boolean any = false;
        while (p + 4 <= end) {
            int code = Be.u16(f, p);
            int olen = Be.u16(f, p + 2);
            if (p + 4 + olen > end) {
                return false;
            }
            if (code == OPTION_IAADDR && olen >= IAADDR_LEN) {
                if (f.get(Be.LONG, p + 4) != l2.addr6Hi) {
                    return false;
                }
                any = true;
            }
            p += 4 + olen;
        }
        return any;
    }

    private void reply(MemorySegment f, Ipv6Header in, long m, int type, long srcMac, TapSink out) {
        MemorySegment r = l2.reply;
        long ipOff = EthHeader.LEN;
        long udpOff = ipOff + Ipv6Header.LEN;
        long b = udpOff + UdpHeader.LEN;
        boolean rapid = type == SOLICIT && rapidCommit;
        Be.put8(r, b, type == SOLICIT && !rapid ? ADVERTISE : REPLY);
        MemorySegment.copy(f, m + 1, r, b + 1, 3);
        long p = b + HEADER_LEN;

        p = optHeader(r, p, OPTION_SERVERID, DUID_LEN);
        MemorySegment.copy(serverDuid, 0, r, ValueLayout.JAVA_BYTE, p, DUID_LEN);
        p += DUID_LEN;

        if (type == CONFIRM) {
            p = optHeader(r, p, OPTION_STATUS_CODE, 2);
            Be.put16(r, p, onLink(f) ? STATUS_SUCCESS : STATUS_NOT_ON_LINK);
            p += 2;
        } else if (type != INFORMATION_REQUEST && iaNa != -1) {
            p = optHeader(r, p, OPTION_IA_NA, IA_NA_FIXED + 4 + IAADDR_LEN);
            Be.put32(r, p, Be.i32(f, iaNa));
            Be.put32(r, p + 4, INFINITY);
            Be.put32(r, p + 8, INFINITY);
            p = optHeader(r, p + IA_NA_FIXED, OPTION_IAADDR, IAADDR_LEN);
            Be.put64(r, p, l2.addr6Hi);
            Be.put64(r, p + 8, l2.addr6Lo);
            Be.put32(r, p + 16, INFINITY);
            Be.put32(r, p + 20, INFINITY);
            p += IAADDR_LEN;
        }
        if (clientId != -1) {
            p = optHeader(r, p, OPTION_CLIENTID, clientIdLen);
            MemorySegment.copy(f, clientId, r, p, clientIdLen);
            p += clientIdLen;
        }
        if (rapid) {
            p = optHeader(r, p, OPTION_RAPID_COMMIT, 0);
        }
        if (dns6.length > 0) {
            p = optHeader(r, p, OPTION_DNS_SERVERS, dns6.length * 8);
            for (int i = 0; i < dns6.length; i++) {
                Be.put64(r, p + i * 8L, dns6[i]);
            }
            p += dns6.length * 8L;
        }
        if (searchWire.length > 0) {
            p = optHeader(r, p, OPTION_DOMAIN_LIST, searchWire.length);
            MemorySegment.copy(searchWire, 0, r, ValueLayout.JAVA_BYTE, p, searchWire.length);
            p += searchWire.length;
        }
        if (fqdnWire.length > 0) {
            p = optHeader(r, p, OPTION_CLIENT_FQDN, 1 + fqdnWire.length);
            Be.put8(r, p, 0);
            MemorySegment.copy(fqdnWire, 0, r, ValueLayout.JAVA_BYTE, p + 1, fqdnWire.length);
            p += 1 + fqdnWire.length;
        }
        int udpLen = (int) (p - udpOff);
        // pasta's flow label: the three transaction ID bytes read in reverse order, truncated to 20 bits.
        int flow = (Be.u8(f, m + 3) << 16 | Be.u8(f, m + 2) << 8 | Be.u8(f, m + 1)) & 0xfffff;
        eth.wrap(r, 0).dst(srcMac).src(l2.ourMac).type(EthHeader.ETH_P_IPV6);
        ip6.wrap(r, ipOff).init(flow, udpLen, Ipv6Header.IPPROTO_UDP, HOP_LIMIT, l2.ll6Hi, l2.ll6Lo, in.srcHi(),
                in.srcLo());
        udp.wrap(r, udpOff).init(Classifier.DHCPV6_SERVER_PORT, L2Services.DHCPV6_CLIENT_PORT, udpLen)
                .fillChecksum(ip6.pseudo());
        out.send(r, 0, (int) p);
    }

    private static long optHeader(MemorySegment r, long p, int code, int len) {
        Be.put16(r, p, code);
        Be.put16(r, p + 2, len);
        return p + 4;
    }
}
