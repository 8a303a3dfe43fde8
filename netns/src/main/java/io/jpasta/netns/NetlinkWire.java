package io.jpasta.netns;

import static io.jpasta.netns.sys.Linux.AF_INET;
import static io.jpasta.netns.sys.Linux.AF_INET6;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The rtnetlink wire format (rtnetlink(7), {@code <linux/netlink.h>}, {@code <linux/rtnetlink.h>}): requests built
 * into a {@link ByteBuffer}, replies parsed out of one. Pure: no I/O, so every request and every parser is tested on
 * byte fixtures (heap buffers); {@link Netlink} hands the kernel a direct one.
 *
 * <p>Buffers are used with absolute int offsets only: their position and limit are never read or moved, and their
 * byte order must be {@link java.nio.ByteOrder#nativeOrder()} (as {@code Sys.buffer} makes them). ByteBuffer rather
 * than MemorySegment because this runs on every start before the namespace is ready: ByteBuffer's accessors are in
 * the JDK's archived classes, MemorySegment's access forms are spun at first use (tens of milliseconds).
 *
 * <p>Headers and attribute values are in native byte order (little-endian on x86_64, the only target); addresses
 * are in network order, as the kernel keeps them. Every message is {@code nlmsghdr} (16 bytes) + a fixed family
 * header ({@code ifinfomsg} 16, {@code ifaddrmsg} 8, {@code rtmsg} 12) + attributes ({@code rtattr}: u16 length
 * including its 4-byte header, u16 type, value, padding to 4 bytes).
 *
 * <p>Parsers check every length against the bytes actually present before reading, and reject a message that does
 * not fit with an {@link IOException}; they never loop without advancing.
 */
final class NetlinkWire {
    private NetlinkWire() {
    }

    // struct nlmsghdr (16 bytes): u32 nlmsg_len, u16 nlmsg_type, u16 nlmsg_flags, u32 nlmsg_seq, u32 nlmsg_pid
    static final int NLMSG_HDRLEN = 16, NLMSG_LEN = 0, NLMSG_TYPE = 4, NLMSG_FLAGS = 6, NLMSG_SEQ = 8, NLMSG_PID = 12;
    static final int NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3, NLMSG_OVERRUN = 4;
    static final int NLM_F_REQUEST = 0x1, NLM_F_MULTI = 0x2, NLM_F_ACK = 0x4, NLM_F_DUMP_INTR = 0x10,
            NLM_F_DUMP = 0x300, NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;

    static final int RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18, RTM_NEWADDR = 20, RTM_DELADDR = 21,
            RTM_GETADDR = 22, RTM_NEWROUTE = 24, RTM_DELROUTE = 25, RTM_GETROUTE = 26;

    // struct ifinfomsg (16): u8 ifi_family, u8 pad, u16 ifi_type, s32 ifi_index, u32 ifi_flags, u32 ifi_change
    static final int IFINFOMSG_LEN = 16, IFI_TYPE = 2, IFI_INDEX = 4, IFI_FLAGS = 8;
    // struct ifaddrmsg (8): u8 ifa_family, u8 ifa_prefixlen, u8 ifa_flags, u8 ifa_scope, u32 ifa_index
    static final int IFADDRMSG_LEN = 8, IFA_FAMILY = 0, IFA_PREFIXLEN = 1, IFA_FLAGS_BYTE = 2, IFA_SCOPE = 3,
            IFA_INDEX = 4;
    // struct rtmsg (12): u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 rtm_flags
    static final int RTMSG_LEN = 12, RTM_FAMILY = 0, RTM_DST_LEN = 1, RTM_TABLE = 4, RTM_PROTOCOL = 5,
            RTM_SCOPE = 6, RTM_TYPE = 7, RTM_FLAGS = 8;
    // struct rtnexthop (8): u16 rtnh_len, u8 rtnh_flags, u8 rtnh_hops, s32 rtnh_ifindex
    static final int RTNEXTHOP_LEN = 8, RTNH_FLAGS = 2, RTNH_HOPS = 3, RTNH_IFINDEX = 4;

    static final int RTA_HDRLEN = 4, NLA_F_NESTED = 0x8000, NLA_TYPE_MASK = 0x3fff;
    static final int IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_AF_SPEC = 26, IFLA_EXT_MASK = 29;
    static final int IFLA_INET6_ADDR_GEN_MODE = 8;
    /** IFLA_EXT_MASK bit: leave the statistics out of link dumps (they are most of each message) */
    static final int RTEXT_FILTER_SKIP_STATS = 1 << 3;
    static final int IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_FLAGS = 8;
    static final int RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PRIORITY = 6, RTA_MULTIPATH = 9, RTA_TABLE = 15;
    static final int IFNAMSIZ = 16;

    static int align(int n) {
        return (n + 3) & ~3;
    }

    static int u8(ByteBuffer m, int off) {
        return m.get(off) & 0xff;
    }

    static int u16(ByteBuffer m, int off) {
        return m.getShort(off) & 0xffff;
    }

    static int s32(ByteBuffer m, int off) {
        return m.getInt(off);
    }

    static IOException malformed(String what) {
        return new IOException("malformed netlink message: " + what);
    }

    // ---------------------------------------------------------------------------------------------------- requests

    /**
     * A request written from offset 0 of a buffer. Every byte up to {@link #finish()} is written explicitly
     * (padding included), so a reused buffer needs no clearing. Overflowing the buffer throws
     * IndexOutOfBoundsException (requests are a few dozen bytes; the buffer is 64 KiB).
     */
    static final class Request {
        private final ByteBuffer buf;
        private int pos;

        Request(ByteBuffer buf, int type, int flags, int seq) {
            this.buf = buf;
            buf.putInt(NLMSG_LEN, 0);
            buf.putShort(NLMSG_TYPE, (short) type);
            buf.putShort(NLMSG_FLAGS, (short) flags);
            buf.putInt(NLMSG_SEQ, seq);
            buf.putInt(NLMSG_PID, 0); // the kernel fills in our port id
            pos = NLMSG_HDRLEN;
        }

        Request u8(int v) {
            buf.put(pos, (byte) v);
            pos += 1;
            return this;
        }

        Request u16(int v) {
            buf.putShort(pos, (short) v);
            pos += 2;
            return this;
        }

        Request u32(int v) {
            buf.putInt(pos, v);
            pos += 4;
            return this;
        }

        Request attr(int type, byte[] value) {
            u16(RTA_HDRLEN + value.length).u16(type);
            buf.put(pos, value, 0, value.length);
            pos += value.length;
            return pad();
        }

        Request attrU32(int type, int value) {
            return u16(RTA_HDRLEN + 4).u16(type).u32(value);
        }

        Request attrU8(int type, int value) {
            return u16(RTA_HDRLEN + 1).u16(type).u8(value).pad();
        }

        /** A NUL-terminated string attribute (IFLA_IFNAME). */
        Request attrString(int type, String value) {
            byte[] s = value.getBytes(StandardCharsets.UTF_8);
            byte[] z = new byte[s.length + 1];
            System.arraycopy(s, 0, z, 0, s.length);
            return attr(type, z);
        }

        /** @return where the nested attribute starts, for {@link #endNest} */
        int nest(int type) {
            int at = pos;
            u16(0).u16(type | NLA_F_NESTED);
            return at;
        }

        Request endNest(int at) {
            buf.putShort(at, (short) (pos - at));
            return this;
        }

        private Request pad() {
            while ((pos & 3) != 0) {
                buf.put(pos++, (byte) 0);
            }
            return this;
        }

        /** @return the length of the request, now also in its {@code nlmsg_len} */
        int finish() {
            buf.putInt(NLMSG_LEN, pos);
            return pos;
        }
    }

    /**
     * A dump of every link ({@code RTM_GETLINK}), address or route ({@code RTM_GETADDR}, {@code RTM_GETROUTE}) of
     * {@code family} (AF_UNSPEC for all; links ignore it). Link dumps ask the kernel to leave statistics out.
     *
     * @return the request length
     */
    static int dumpRequest(ByteBuffer buf, int seq, int type, int family) {
        Request r = new Request(buf, type, NLM_F_REQUEST | NLM_F_DUMP, seq);
        switch (type) {
            case RTM_GETLINK -> r.u8(family).u8(0).u16(0).u32(0).u32(0).u32(0)
                    .attrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
            case RTM_GETADDR -> r.u8(family).u8(0).u8(0).u8(0).u32(0);
            case RTM_GETROUTE -> r.u8(family).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0);
            default -> throw new IllegalArgumentException("not a dump type: " + type);
        }
        return r.finish();
    }

    /** {@code RTM_GETLINK} of one link by name; the kernel answers one RTM_NEWLINK, or ENODEV. */
    static int getLinkRequest(ByteBuffer buf, int seq, String name) {
        Request r = new Request(buf, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
        r.u8(0).u8(0).u16(0).u32(0).u32(0).u32(0);
        r.attrString(IFLA_IFNAME, name).attrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        return r.finish();
    }

    /** The start of every link change: {@code RTM_NEWLINK} without CREATE on an existing ifindex. */
    private static Request setLink(ByteBuffer buf, int seq, int ifindex, int flags, int change) {
        Request r = new Request(buf, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
        return r.u8(0).u8(0).u16(0).u32(ifindex).u32(flags).u32(change);
    }

    /** Sets IFF_UP (and only that flag: {@code ifi_change} masks the others). */
    static int linkUpRequest(ByteBuffer buf, int seq, int ifindex) {
        return setLink(buf, seq, ifindex, Netlink.IFF_UP, Netlink.IFF_UP).finish();
    }

    static int linkMtuRequest(ByteBuffer buf, int seq, int ifindex, int mtu) {
        return setLink(buf, seq, ifindex, 0, 0).attrU32(IFLA_MTU, mtu).finish();
    }

    static int linkMacRequest(ByteBuffer buf, int seq, int ifindex, long mac) {
        return setLink(buf, seq, ifindex, 0, 0).attr(IFLA_ADDRESS, NetlinkLink.macBytes(mac)).finish();
    }

    /** {@code IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE u8 } }} */
    static int linkAddrGenModeRequest(ByteBuffer buf, int seq, int ifindex, int mode) {
        Request r = setLink(buf, seq, ifindex, 0, 0);
        int spec = r.nest(IFLA_AF_SPEC);
        int inet6 = r.nest(AF_INET6);
        r.attrU8(IFLA_INET6_ADDR_GEN_MODE, mode);
        return r.endNest(inet6).endNest(spec).finish();
    }

    /**
     * {@code RTM_NEWADDR} with CREATE|EXCL. The address goes in both IFA_LOCAL and IFA_ADDRESS, as for any
     * address without a peer; flags above 8 bits go in IFA_FLAGS as well. No broadcast address (pasta sets none).
     */
    static int newAddrRequest(ByteBuffer buf, int seq, int ifindex, InetAddress addr, int prefixLen, int flags,
                              int scope) {
        return addrRequest(new Request(buf, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq),
                ifindex, addr, prefixLen, flags, scope);
    }

    /** {@code RTM_DELADDR} of one address: the kernel matches it by interface, local address and prefix length. */
    static int delAddrRequest(ByteBuffer buf, int seq, int ifindex, InetAddress addr, int prefixLen) {
        return addrRequest(new Request(buf, RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, seq), ifindex, addr, prefixLen,
                0, 0);
    }

    private static int addrRequest(Request r, int ifindex, InetAddress addr, int prefixLen, int flags, int scope) {
        r.u8(family(addr)).u8(prefixLen).u8(flags & 0xff).u8(scope).u32(ifindex);
        byte[] a = addr.getAddress();
        r.attr(IFA_LOCAL, a).attr(IFA_ADDRESS, a);
        if ((flags & ~0xff) != 0) {
            r.attrU32(IFA_FLAGS, flags);
        }
        return r.finish();
    }

    /**
     * {@code RTM_NEWROUTE} with CREATE|EXCL in the main table, unicast.
     *
     * @param dst     destination; ignored (no RTA_DST) when {@code dstLen} is 0
     * @param gateway RTA_GATEWAY, or null for a directly connected destination
     * @param metric  RTA_PRIORITY, or 0 to leave it to the kernel (0 for IPv4, 1024 for IPv6)
     * @param rtmFlags {@code rtm_flags}: {@link Netlink#RTNH_F_ONLINK} or 0
     */
    static int newRouteRequest(ByteBuffer buf, int seq, InetAddress dst, int dstLen, InetAddress gateway, int oif,
                               int metric, int protocol, int scope, int rtmFlags) {
        return routeRequest(new Request(buf, RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
                seq), dst, dstLen, gateway, oif, metric, protocol, scope, rtmFlags);
    }

    /**
     * {@code RTM_DELROUTE} of a main-table route through {@code oif}; the kernel deletes the first route that
     * matches every attribute given (protocol and scope 0 match any, as {@code ip route del} sends them).
     */
    static int delRouteRequest(ByteBuffer buf, int seq, InetAddress dst, int dstLen, InetAddress gateway, int oif,
                               int metric) {
        return routeRequest(new Request(buf, RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK, seq), dst, dstLen, gateway,
                oif, metric, 0, Netlink.RT_SCOPE_NOWHERE, 0);
    }

    private static int routeRequest(Request r, InetAddress dst, int dstLen, InetAddress gateway, int oif, int metric,
                                    int protocol, int scope, int rtmFlags) {
        r.u8(family(dst)).u8(dstLen).u8(0).u8(0).u8(Netlink.RT_TABLE_MAIN).u8(protocol).u8(scope)
                .u8(Netlink.RTN_UNICAST).u32(rtmFlags);
        if (dstLen > 0) {
            r.attr(RTA_DST, dst.getAddress());
        }
        if (gateway != null) {
            r.attr(RTA_GATEWAY, gateway.getAddress());
        }
        r.attrU32(RTA_OIF, oif);
        if (metric != 0) {
            r.attrU32(RTA_PRIORITY, metric);
        }
        return r.finish();
    }

    static int family(InetAddress a) {
        return a instanceof Inet4Address ? AF_INET : AF_INET6;
    }

    // ----------------------------------------------------------------------------------------------------- replies

    /**
     * @param off start of a message inside {@code [0, end)}
     * @return its {@code nlmsg_len}, checked to hold at least a header and to end by {@code end}
     */
    static int messageLength(ByteBuffer m, int off, int end) throws IOException {
        if (end - off < NLMSG_HDRLEN) {
            throw malformed((end - off) + " trailing bytes, less than a header");
        }
        int len = s32(m, off + NLMSG_LEN);
        if (len < NLMSG_HDRLEN || len > end - off) {
            throw malformed("nlmsg_len " + Integer.toUnsignedString(len) + " with " + (end - off) + " bytes left");
        }
        return len;
    }

    /** @return the offset of the next message: after the padding of this one, but never past {@code end} */
    static int nextMessage(int off, int len, int end) {
        return Math.min(off + align(len), end);
    }

    /**
     * @param a start of an attribute inside {@code [a, end)}
     * @return its {@code rta_len}, checked to hold at least its header and to end by {@code end}
     */
    private static int attrLength(ByteBuffer m, int a, int end) throws IOException {
        if (end - a < RTA_HDRLEN) {
            throw malformed((end - a) + " trailing bytes, less than an attribute header");
        }
        int len = u16(m, a);
        if (len < RTA_HDRLEN || len > end - a) {
            throw malformed("rta_len " + len + " with " + (end - a) + " bytes left");
        }
        return len;
    }

    private static int attrType(ByteBuffer m, int a) {
        return u16(m, a + 2) & NLA_TYPE_MASK;
    }

    private static int nextAttr(int a, int len, int end) {
        return Math.min(a + align(len), end);
    }

    private static int attrU32(ByteBuffer m, int a, int len, String what) throws IOException {
        if (len - RTA_HDRLEN < 4) {
            throw malformed(what + " shorter than 4 bytes");
        }
        return s32(m, a + RTA_HDRLEN);
    }

    private static InetAddress attrAddr(ByteBuffer m, int a, int len, int family, String what)
            throws IOException {
        int n = len - RTA_HDRLEN;
        if (n != (family == AF_INET ? 4 : 16)) {
            throw malformed(what + " of " + n + " bytes for family " + family);
        }
        byte[] b = new byte[n];
        m.get(a + RTA_HDRLEN, b, 0, n);
        return address(b);
    }

    /** @return the address held in 4 or 16 bytes; never a name lookup, and an Inet6Address for any 16 bytes */
    static InetAddress address(byte[] b) {
        try {
            return b.length == 4 ? InetAddress.getByAddress(b) : Inet6Address.getByAddress(null, b, -1);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("address of " + b.length + " bytes", e);
        }
    }

    /** @return {@code a} as people write it: dotted quad, or IPv6 compressed as RFC 5952 §4 says */
    static String text(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) {
            return a.getHostAddress();
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestAt = -1, bestLen = 1; // a single zero group is not shortened (§4.2.2)
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestAt = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestAt) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    /** @return the unspecified address (0.0.0.0 or ::) of {@code family} */
    static InetAddress any(int family) {
        return address(new byte[family == AF_INET ? 4 : 16]);
    }

    private static void needFixed(int len, int fixed, String what) throws IOException {
        if (len < NLMSG_HDRLEN + fixed) {
            throw malformed(what + " of " + len + " bytes, shorter than its fixed header");
        }
    }

    /** Parses one {@code RTM_NEWLINK} message of {@code len} bytes at {@code off}. */
    static NetlinkLink parseLink(ByteBuffer m, int off, int len) throws IOException {
        needFixed(len, IFINFOMSG_LEN, "RTM_NEWLINK");
        int h = off + NLMSG_HDRLEN;
        int type = u16(m, h + IFI_TYPE);
        int index = s32(m, h + IFI_INDEX);
        int flags = s32(m, h + IFI_FLAGS);
        String name = null;
        int mtu = 0;
        long mac = NetlinkLink.NO_MAC;
        int end = off + len;
        for (int a = h + IFINFOMSG_LEN; a < end; ) {
            int alen = attrLength(m, a, end);
            switch (attrType(m, a)) {
                case IFLA_IFNAME -> name = cString(m, a + RTA_HDRLEN, alen - RTA_HDRLEN);
                case IFLA_MTU -> mtu = attrU32(m, a, alen, "IFLA_MTU");
                case IFLA_ADDRESS -> {
                    if (alen - RTA_HDRLEN == 6) {
                        byte[] b = new byte[6];
                        m.get(a + RTA_HDRLEN, b, 0, 6);
                        mac = NetlinkLink.mac(b);
                    }
                }
                default -> {
                }
            }
            a = nextAttr(a, alen, end);
        }
        if (name == null) {
            throw malformed("RTM_NEWLINK for ifindex " + index + " without IFLA_IFNAME");
        }
        return new NetlinkLink(index, name, type, flags, mtu, mac);
    }

    private static String cString(ByteBuffer m, int p, int n) throws IOException {
        int len = 0;
        while (len < n && m.get(p + len) != 0) {
            len++;
        }
        if (len == n || len == 0 || len >= IFNAMSIZ) {
            throw malformed("interface name not NUL-terminated, empty or too long");
        }
        byte[] b = new byte[len];
        m.get(p, b, 0, len);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Parses one {@code RTM_NEWADDR} message; null for families other than IPv4 and IPv6. */
    static NetlinkAddr parseAddr(ByteBuffer m, int off, int len) throws IOException {
        needFixed(len, IFADDRMSG_LEN, "RTM_NEWADDR");
        int h = off + NLMSG_HDRLEN;
        int family = u8(m, h + IFA_FAMILY);
        if (family != AF_INET && family != AF_INET6) {
            return null;
        }
        int prefixLen = u8(m, h + IFA_PREFIXLEN);
        int flags = u8(m, h + IFA_FLAGS_BYTE);
        int scope = u8(m, h + IFA_SCOPE);
        int index = s32(m, h + IFA_INDEX);
        InetAddress local = null, address = null;
        int end = off + len;
        for (int a = h + IFADDRMSG_LEN; a < end; ) {
            int alen = attrLength(m, a, end);
            switch (attrType(m, a)) {
                case IFA_LOCAL -> local = attrAddr(m, a, alen, family, "IFA_LOCAL");
                case IFA_ADDRESS -> address = attrAddr(m, a, alen, family, "IFA_ADDRESS");
                case IFA_FLAGS -> flags = attrU32(m, a, alen, "IFA_FLAGS");
                default -> {
                }
            }
            a = nextAttr(a, alen, end);
        }
        InetAddress addr = local != null ? local : address;
        if (addr == null) {
            throw malformed("RTM_NEWADDR on ifindex " + index + " without an address");
        }
        if (prefixLen > (family == AF_INET ? 32 : 128)) {
            throw malformed("prefix length " + prefixLen);
        }
        return new NetlinkAddr(index, addr, prefixLen, scope, flags);
    }

    /** Parses one {@code RTM_NEWROUTE} message; null for families other than IPv4 and IPv6. */
    static NetlinkRoute parseRoute(ByteBuffer m, int off, int len) throws IOException {
        needFixed(len, RTMSG_LEN, "RTM_NEWROUTE");
        int h = off + NLMSG_HDRLEN;
        int family = u8(m, h + RTM_FAMILY);
        if (family != AF_INET && family != AF_INET6) {
            return null;
        }
        int dstLen = u8(m, h + RTM_DST_LEN);
        if (dstLen > (family == AF_INET ? 32 : 128)) {
            throw malformed("rtm_dst_len " + dstLen);
        }
        int table = u8(m, h + RTM_TABLE);
        int protocol = u8(m, h + RTM_PROTOCOL);
        int scope = u8(m, h + RTM_SCOPE);
        int type = u8(m, h + RTM_TYPE);
        int flags = s32(m, h + RTM_FLAGS);
        InetAddress dst = null, gateway = null;
        int oif = 0, metric = 0;
        List<NetlinkNexthop> nexthops = List.of();
        int end = off + len;
        for (int a = h + RTMSG_LEN; a < end; ) {
            int alen = attrLength(m, a, end);
            switch (attrType(m, a)) {
                case RTA_DST -> dst = attrAddr(m, a, alen, family, "RTA_DST");
                case RTA_GATEWAY -> gateway = attrAddr(m, a, alen, family, "RTA_GATEWAY");
                case RTA_OIF -> oif = attrU32(m, a, alen, "RTA_OIF");
                case RTA_PRIORITY -> metric = attrU32(m, a, alen, "RTA_PRIORITY");
                case RTA_TABLE -> table = attrU32(m, a, alen, "RTA_TABLE");
                case RTA_MULTIPATH -> nexthops = parseNexthops(m, a + RTA_HDRLEN, a + alen, family);
                default -> {
                }
            }
            a = nextAttr(a, alen, end);
        }
        return new NetlinkRoute(dst != null ? dst : any(family), dstLen, gateway, oif, metric, protocol, scope, type,
                table, flags, nexthops);
    }

    /** The {@code struct rtnexthop} entries in {@code [p, end)}, each followed by its own attributes. */
    private static List<NetlinkNexthop> parseNexthops(ByteBuffer m, int p, int end, int family)
            throws IOException {
        List<NetlinkNexthop> out = new ArrayList<>();
        while (p < end) {
            if (end - p < RTNEXTHOP_LEN) {
                throw malformed("RTA_MULTIPATH with " + (end - p) + " trailing bytes");
            }
            int len = u16(m, p);
            if (len < RTNEXTHOP_LEN || len > end - p) {
                throw malformed("rtnh_len " + len + " with " + (end - p) + " bytes left");
            }
            InetAddress gateway = null;
            for (int a = p + RTNEXTHOP_LEN; a < p + len; ) {
                int alen = attrLength(m, a, p + len);
                if (attrType(m, a) == RTA_GATEWAY) {
                    gateway = attrAddr(m, a, alen, family, "RTA_GATEWAY in RTA_MULTIPATH");
                }
                a = nextAttr(a, alen, p + len);
            }
            out.add(new NetlinkNexthop(s32(m, p + RTNH_IFINDEX), gateway, u8(m, p + RTNH_FLAGS),
                    u8(m, p + RTNH_HOPS) + 1));
            p = Math.min(p + align(len), end);
        }
        return out;
    }
}
