package io.jpasta.tap;

import io.jpasta.tap.wire.Be;
import io.jpasta.tap.wire.Checksum;
import io.jpasta.tap.wire.EthHeader;
import io.jpasta.tap.wire.Ipv4Header;
import io.jpasta.tap.wire.MacAddr;
import io.jpasta.tap.wire.UdpHeader;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * DHCP server for the one guest (RFC 2131, options RFC 2132): DISCOVER gets an OFFER and REQUEST an ACK with
 * the configured address, an infinite lease (a short one for a while after the host changed), mask, router, server
 * identifier (the gateway), MTU (26), host name (12), FQDN (81, RFC 4702), resolvers (6) and search list (119, RFC
 * 3397) as configured, and a classless static route (121, RFC 3442) when the gateway is outside the guest's subnet. A REQUEST for another address gets a
 * NAK; one naming another server is ignored; INFORM gets an ACK without address or lease (§4.3.5).
 *
 * <p>Replies are unicast to the offered address and the client's hardware address, or broadcast when the
 * client sets the BROADCAST flag (§4.1), from the gateway address, IPv4 DF, TTL 255. The BOOTP message is
 * padded to the 300-byte minimum and never exceeds the client's maximum message size (option 57, at least 576).
 * Unlike pasta, the UDP checksum is filled in.
 */
final class Dhcp {
    static final int OP = 0, HTYPE = 1, HLEN = 2, HOPS = 3, XID = 4, SECS = 8, FLAGS = 10, CIADDR = 12,
            YIADDR = 16, SIADDR = 20, GIADDR = 24, CHADDR = 28, SNAME = 44, FILE = 108, COOKIE = 236, OPTIONS = 240;
    static final int BOOTREQUEST = 1, BOOTREPLY = 2, HTYPE_ETHER = 1;
    static final int MAGIC_COOKIE = 0x63825363;
    static final int BROADCAST_FLAG = 0x8000;
    /** Smallest BOOTP message (RFC 951 / RFC 1542 §2.1): replies are padded to it. */
    static final int BOOTP_MIN_LEN = 300;
    /** Smallest maximum message size a client must accept (RFC 2131 §2), IP and UDP headers included. */
    static final int DHCP_MIN_MAX_SIZE = 576;
    static final int TTL = 255;

    static final int OPT_PAD = 0, OPT_SUBNET_MASK = 1, OPT_ROUTER = 3, OPT_DNS = 6, OPT_HOSTNAME = 12,
            OPT_MTU = 26, OPT_REQUESTED_IP = 50, OPT_LEASE_TIME = 51, OPT_OVERLOAD = 52, OPT_MSG_TYPE = 53,
            OPT_SERVER_ID = 54, OPT_MAX_SIZE = 57, OPT_FQDN = 81, OPT_SEARCH = 119, OPT_CLASSLESS_ROUTE = 121,
            OPT_END = 255;
    static final int DHCPDISCOVER = 1, DHCPOFFER = 2, DHCPREQUEST = 3, DHCPDECLINE = 4, DHCPACK = 5, DHCPNAK = 6,
            DHCPRELEASE = 7, DHCPINFORM = 8;
    /** FQDN flag E: the name is in DNS wire format (RFC 4702 §2.1). */
    static final int FQDN_FLAG_E = 0x04;
    /** RCODE1/RCODE2 a server sends (RFC 4702 §2.2). */
    static final int FQDN_RCODE = 255;
    static final int INFINITE_LEASE = 0xffff_ffff;

    private final L2Services l2;
    private final EthHeader eth = new EthHeader();
    private final Ipv4Header ip = new Ipv4Header();
    private final UdpHeader udp = new UdpHeader();
    private final int[] dns4;
    private final byte[] hostname;
    private final byte[] fqdnWire;
    private final byte[] searchWire;
    private final boolean gatewayOffLink;

    // Options of the request being handled: -1 when absent.
    private int msgType, requestedIp, serverId, maxSize;

    Dhcp(L2Services l2) {
        this.l2 = l2;
        TapConf c = l2.conf;
        dns4 = c.dhcpDns() ? c.dns4().stream().mapToInt(a -> ByteBuffer.wrap(a.getAddress())
                .getInt()).limit(63).toArray() : new int[0];
        byte[] h = c.hostname() == null ? new byte[0] : c.hostname().getBytes(StandardCharsets.US_ASCII);
        hostname = h.length > 255 ? new byte[0] : h;
        byte[] f = c.fqdn() == null ? null : DnsName.encode(c.fqdn());
        fqdnWire = f == null || f.length > 252 ? new byte[0] : f;
        searchWire = c.dhcpSearch() ? DnsName.encodeAll(c.search()) : new byte[0];
        gatewayOffLink = l2.has4 && ((l2.gw4 ^ l2.addr4) & l2.mask4) != 0;
    }

    /** Handles a UDP datagram to port 67 in a checked, unfragmented IPv4 packet. */
    int handle(MemorySegment frame, Ipv4Header in, UdpHeader inUdp, TapSink out) {
        l2.stats.received(L2Stats.DHCP);
        if (l2.conf.noDhcp()) {
            return l2.drop(L2Stats.DHCP, L2Stats.DISABLED);
        }
        if (!UdpHeader.fits(frame, in.payload(), in.payloadLen())) {
            return l2.drop(L2Stats.DHCP, L2Stats.MALFORMED);
        }
        if (!inUdp.checksumOk(Checksum.pseudo4(in.src(), in.dst(), Ipv4Header.IPPROTO_UDP, inUdp.length()), true)) {
            return l2.drop(L2Stats.DHCP, L2Stats.BAD_CHECKSUM);
        }
        long m = inUdp.payload();
        int len = inUdp.payloadLen();
        if (len < OPTIONS || Be.u8(frame, m + OP) != BOOTREQUEST || Be.u8(frame, m + HTYPE) != HTYPE_ETHER
                || Be.u8(frame, m + HLEN) != MacAddr.LEN || Be.i32(frame, m + COOKIE) != MAGIC_COOKIE
                || !parseOptions(frame, m + OPTIONS, len - OPTIONS)) {
            return l2.drop(L2Stats.DHCP, L2Stats.MALFORMED);
        }
        if (!l2.has4) {
            return l2.drop(L2Stats.DHCP, L2Stats.NO_ADDRESS);
        }
        int ciaddr = Be.i32(frame, m + CIADDR);
        int type;
        switch (msgType) {
            case DHCPDISCOVER -> type = DHCPOFFER;
            case DHCPREQUEST -> {
                if (serverId != -1 && serverId != l2.gw4) {
                    l2.stats.ignored(L2Stats.DHCP);
                    return TapHandler.HANDLED;
                }
                boolean wrong = requestedIp != -1 ? requestedIp != l2.addr4 : ciaddr != 0 && ciaddr != l2.addr4;
                type = wrong ? DHCPNAK : DHCPACK;
            }
            case DHCPINFORM -> type = DHCPACK;
            case DHCPDECLINE, DHCPRELEASE -> {
                l2.stats.ignored(L2Stats.DHCP);
                return TapHandler.HANDLED;
            }
            default -> {
                return l2.drop(L2Stats.DHCP, L2Stats.UNSUPPORTED);
            }
        }
        reply(frame, m, type, msgType == DHCPINFORM, ciaddr, out);
        l2.stats.replied(L2Stats.DHCP);
        return TapHandler.HANDLED;
    }

    /** Records the options we use; false if an option runs past the end or there is no message type. */
    private boolean parseOptions(MemorySegment f, long p, int len) {
        msgType = requestedIp = serverId = maxSize = -1;
        long end = p + len;
        while (p < end) {
            int code = Be.u8(f, p);
            if (code == OPT_END) {
                break;
            }
            if (code == OPT_PAD) {
                p++;
                continue;
            }
            if (p + 2 > end) {
                return false;
            }
            int olen = Be.u8(f, p + 1);
            long v = p + 2;
            if (v + olen > end) {
                return false;
            }
            switch (code) {
                case OPT_MSG_TYPE -> msgType = olen == 1 ? Be.u8(f, v) : -1;
                case OPT_REQUESTED_IP -> requestedIp = olen == 4 ? Be.i32(f, v) : -1;
                case OPT_SERVER_ID -> serverId = olen == 4 ? Be.i32(f, v) : -1;
                case OPT_MAX_SIZE -> maxSize = olen == 2 ? Be.u16(f, v) : -1;
                default -> {
                }
            }
            p = v + olen;
        }
        return msgType != -1;
    }

    private void reply(MemorySegment f, long m, int type, boolean inform, int ciaddr, TapSink out) {
        MemorySegment r = l2.reply;
        long ipOff = EthHeader.LEN;
        long udpOff = ipOff + Ipv4Header.MIN_LEN;
        long b = udpOff + UdpHeader.LEN;
        int limit = Math.max(maxSize, DHCP_MIN_MAX_SIZE) - Ipv4Header.MIN_LEN - UdpHeader.LEN;
        limit = Math.min(limit, L2Services.REPLY_SIZE - (int) b);
        Be.zero(r, b, OPTIONS);
        Be.put8(r, b + OP, BOOTREPLY);
        Be.put8(r, b + HTYPE, HTYPE_ETHER);
        Be.put8(r, b + HLEN, MacAddr.LEN);
        Be.put32(r, b + XID, Be.i32(f, m + XID));
        int flags = Be.u16(f, m + FLAGS);
        Be.put16(r, b + FLAGS, flags);
        Be.put32(r, b + CIADDR, type == DHCPACK ? ciaddr : 0);
        int yiaddr = type == DHCPNAK || inform ? 0 : l2.addr4;
        Be.put32(r, b + YIADDR, yiaddr);
        Be.put32(r, b + GIADDR, Be.i32(f, m + GIADDR));
        MemorySegment.copy(f, m + CHADDR, r, b + CHADDR, 16);
        Be.put32(r, b + COOKIE, MAGIC_COOKIE);

        long p = b + OPTIONS;
        long end = b + limit - 1;
        p = opt8(r, p, end, OPT_MSG_TYPE, type);
        if (type != DHCPNAK) {
            p = opt32(r, p, end, OPT_SUBNET_MASK, l2.mask4);
            p = opt32(r, p, end, OPT_ROUTER, l2.gw4);
            if (l2.conf.mtu() != 0) {
                p = opt16(r, p, end, OPT_MTU, l2.conf.mtu());
            }
            if (!inform) {
                p = opt32(r, p, end, OPT_LEASE_TIME, l2.leaseS);
            }
        }
        p = opt32(r, p, end, OPT_SERVER_ID, l2.gw4);
        if (type != DHCPNAK) {
            p = networkOptions(r, p, end);
        }
        Be.put8(r, p++, OPT_END);
        int bootpLen = (int) (p - b);
        if (bootpLen < BOOTP_MIN_LEN) {
            Be.zero(r, p, BOOTP_MIN_LEN - bootpLen);
            bootpLen = BOOTP_MIN_LEN;
        }
        boolean bcast = (flags & BROADCAST_FLAG) != 0 || type == DHCPNAK;
        int dst = bcast ? -1 : inform && ciaddr != 0 ? ciaddr : yiaddr;
        long dstMac = bcast ? MacAddr.BROADCAST : MacAddr.read(f, m + CHADDR);
        eth.wrap(r, 0).dst(dstMac).src(l2.ourMac).type(EthHeader.ETH_P_IP);
        ip.wrap(r, ipOff).init(Ipv4Header.MIN_LEN + UdpHeader.LEN + bootpLen, 0, Ipv4Header.IP_DF, TTL,
                Ipv4Header.IPPROTO_UDP, l2.gw4, dst).fillChecksum();
        udp.wrap(r, udpOff).init(Classifier.DHCP_SERVER_PORT, L2Services.DHCP_CLIENT_PORT, UdpHeader.LEN + bootpLen)
                .fillChecksum(ip.pseudo());
        out.send(r, 0, (int) b + bootpLen);
    }

    /**
     * Writes the options that describe the network beyond the address (routes, resolvers, names) from {@code p},
     * each only if it fits before {@code end}.
     *
     * @return where the next option goes
     */
    private long networkOptions(MemorySegment r, long p, long end) {
        if (gatewayOffLink && p + 2 + 5 + 5 <= end) {
            // A host route to the gateway through no router (on-link), then the default route through it.
            Be.put8(r, p, OPT_CLASSLESS_ROUTE);
            Be.put8(r, p + 1, 5 + 5 + 4);
            Be.put8(r, p + 2, 32);
            Be.put32(r, p + 3, l2.gw4);
            Be.put32(r, p + 7, 0);
            Be.put8(r, p + 11, 0);
            Be.put32(r, p + 12, l2.gw4);
            p += 16;
        }
        if (dns4.length > 0 && p + 2 + dns4.length * 4L <= end) {
            Be.put8(r, p, OPT_DNS);
            Be.put8(r, p + 1, dns4.length * 4);
            for (int i = 0; i < dns4.length; i++) {
                Be.put32(r, p + 2 + i * 4L, dns4[i]);
            }
            p += 2 + dns4.length * 4L;
        }
        p = optBytes(r, p, end, OPT_HOSTNAME, hostname);
        p = optBytes(r, p, end, OPT_SEARCH, searchWire);
        if (fqdnWire.length > 0 && p + 5 + fqdnWire.length <= end) {
            Be.put8(r, p, OPT_FQDN);
            Be.put8(r, p + 1, 3 + fqdnWire.length);
            Be.put8(r, p + 2, FQDN_FLAG_E);
            Be.put8(r, p + 3, FQDN_RCODE);
            Be.put8(r, p + 4, FQDN_RCODE);
            MemorySegment.copy(fqdnWire, 0, r, ValueLayout.JAVA_BYTE, p + 5, fqdnWire.length);
            p += 5 + fqdnWire.length;
        }
        return p;
    }

    private static long opt8(MemorySegment r, long p, long end, int code, int v) {
        return optInt(r, p, end, code, 1, v);
    }

    private static long opt16(MemorySegment r, long p, long end, int code, int v) {
        return optInt(r, p, end, code, 2, v);
    }

    private static long opt32(MemorySegment r, long p, long end, int code, int v) {
        return optInt(r, p, end, code, 4, v);
    }

    /** Writes option {@code code} holding {@code v} in {@code width} (1, 2 or 4) bytes, or nothing if no room. */
    private static long optInt(MemorySegment r, long p, long end, int code, int width, int v) {
        if (p + 2 + width > end) {
            return p;
        }
        Be.put8(r, p, code);
        Be.put8(r, p + 1, width);
        switch (width) {
            case 1 -> Be.put8(r, p + 2, v);
            case 2 -> Be.put16(r, p + 2, v);
            default -> Be.put32(r, p + 2, v);
        }
        return p + 2 + width;
    }

    /**
     * Writes {@code data} as option {@code code}, split into several instances of at most 255 bytes each when
     * longer (RFC 3396 concatenation), or not at all if it does not fit.
     */
    private static long optBytes(MemorySegment r, long p, long end, int code, byte[] data) {
        if (data.length == 0) {
            return p;
        }
        int chunks = (data.length + 254) / 255;
        if (p + 2L * chunks + data.length > end) {
            return p;
        }
        for (int i = 0; i < data.length; i += 255) {
            int n = Math.min(255, data.length - i);
            Be.put8(r, p, code);
            Be.put8(r, p + 1, n);
            MemorySegment.copy(data, i, r, ValueLayout.JAVA_BYTE, p + 2, n);
            p += 2 + n;
        }
        return p;
    }
}

