package io.jpasta.netns;

import static io.jpasta.netns.NetlinkWire.NLMSG_DONE;
import static io.jpasta.netns.NetlinkWire.NLMSG_ERROR;
import static io.jpasta.netns.NetlinkWire.NLMSG_FLAGS;
import static io.jpasta.netns.NetlinkWire.NLMSG_HDRLEN;
import static io.jpasta.netns.NetlinkWire.NLMSG_NOOP;
import static io.jpasta.netns.NetlinkWire.NLMSG_OVERRUN;
import static io.jpasta.netns.NetlinkWire.NLMSG_SEQ;
import static io.jpasta.netns.NetlinkWire.NLMSG_TYPE;
import static io.jpasta.netns.NetlinkWire.NLM_F_DUMP_INTR;
import static io.jpasta.netns.NetlinkWire.RTM_GETADDR;
import static io.jpasta.netns.NetlinkWire.RTM_GETLINK;
import static io.jpasta.netns.NetlinkWire.RTM_GETROUTE;
import static io.jpasta.netns.NetlinkWire.RTM_NEWADDR;
import static io.jpasta.netns.NetlinkWire.RTM_NEWLINK;
import static io.jpasta.netns.NetlinkWire.RTM_NEWROUTE;
import static io.jpasta.netns.NetlinkWire.s32;
import static io.jpasta.netns.NetlinkWire.u16;

import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One NETLINK_ROUTE socket (rtnetlink(7)) and the conversations jpasta has over it: dumps of links, addresses and
 * routes, and the few changes that configure a namespace's interface.
 *
 * <p>Every request carries a fresh sequence number and NLM_F_ACK; replies with another sequence number (left over
 * from an earlier request) are skipped. A request ends at its NLMSG_ERROR (0 is the acknowledgement, otherwise
 * {@code -errno}); a dump (NLM_F_DUMP) ends at NLMSG_DONE. Requests are built and replies received in one reusable
 * 64 KiB direct buffer ({@link Sys#buffer}); a reply datagram that does not fit is an error, never silently cut.
 * This runs on every start before the namespace is ready, so it stays off what costs there: no MemorySegment access
 * (its access forms are spun at first use), no lambdas, no string building unless something fails.
 *
 * <p>Results: an {@link IOException} when the conversation itself fails (socket error, receive timeout, malformed
 * reply); the changes return {@code 0} or the kernel's {@code -errno}, so that callers can accept EEXIST where it is
 * harmless and name the operation in {@link Errno#io} otherwise.
 *
 * <p>Bounds: each receive waits at most {@link #RECV_TIMEOUT_S} seconds; a conversation reads at most
 * {@link #MAX_DATAGRAMS} datagrams; a dump interrupted by concurrent changes (NLM_F_DUMP_INTR) is retried at most
 * {@link #DUMP_ATTEMPTS} times. Not thread-safe: one thread talks over one Netlink at a time.
 */
public final class Netlink implements AutoCloseable {
    // <linux/if.h>
    public static final int IFF_UP = 0x1, IFF_BROADCAST = 0x2, IFF_LOOPBACK = 0x8, IFF_POINTOPOINT = 0x10,
            IFF_RUNNING = 0x40, IFF_NOARP = 0x80, IFF_MULTICAST = 0x1000, IFF_LOWER_UP = 0x10000;
    // <linux/if_arp.h>
    public static final int ARPHRD_ETHER = 1, ARPHRD_LOOPBACK = 772, ARPHRD_NONE = 0xfffe;
    // <linux/if_addr.h>
    public static final int IFA_F_SECONDARY = 0x1, IFA_F_NODAD = 0x2, IFA_F_OPTIMISTIC = 0x4, IFA_F_DADFAILED = 0x8,
            IFA_F_DEPRECATED = 0x20, IFA_F_TENTATIVE = 0x40, IFA_F_PERMANENT = 0x80, IFA_F_NOPREFIXROUTE = 0x200;
    // <linux/rtnetlink.h>
    public static final int RT_SCOPE_UNIVERSE = 0, RT_SCOPE_SITE = 200, RT_SCOPE_LINK = 253, RT_SCOPE_HOST = 254,
            RT_SCOPE_NOWHERE = 255;
    public static final int RT_TABLE_MAIN = 254, RT_TABLE_LOCAL = 255;
    public static final int RTPROT_UNSPEC = 0, RTPROT_REDIRECT = 1, RTPROT_KERNEL = 2, RTPROT_BOOT = 3,
            RTPROT_STATIC = 4, RTPROT_RA = 9, RTPROT_DHCP = 16;
    public static final int RTN_UNICAST = 1, RTN_LOCAL = 2, RTN_BROADCAST = 3, RTN_MULTICAST = 5, RTN_BLACKHOLE = 6,
            RTN_UNREACHABLE = 7, RTN_PROHIBIT = 8;
    public static final int RTNH_F_DEAD = 0x1, RTNH_F_ONLINK = 0x4, RTNH_F_LINKDOWN = 0x10;
    /** {@code rtm_flags}: a cached clone, not a configured route */
    public static final int RTM_F_CLONED = 0x200;
    // <linux/if_link.h>: IFLA_INET6_ADDR_GEN_MODE values
    public static final int IN6_ADDR_GEN_MODE_EUI64 = 0, IN6_ADDR_GEN_MODE_NONE = 1,
            IN6_ADDR_GEN_MODE_STABLE_PRIVACY = 2, IN6_ADDR_GEN_MODE_RANDOM = 3;

    public static final int BUFFER_SIZE = 64 * 1024;
    public static final int RECV_TIMEOUT_S = 5;
    public static final int MAX_DATAGRAMS = 100_000;
    public static final int DUMP_ATTEMPTS = 3;

    /** SO_RCVTIMEO on x86_64 ({@code SO_RCVTIMEO_OLD}, a 16-byte struct timeval) */
    private static final int SO_RCVTIMEO = 20;
    /** struct sockaddr_nl (12): u16 nl_family, u16 pad, u32 nl_pid, u32 nl_groups */
    private static final int SOCKADDR_NL_LEN = 12, NL_PID = 4;
    /** a conversation in progress: no final NLMSG_ERROR or NLMSG_DONE seen yet */
    private static final int MORE = 1;

    /** Where requests go and replies come from: the kernel through a socket, or a scripted kernel in tests. */
    interface Channel {
        /** @return bytes sent, or -errno */
        long send(ByteBuffer buf, int len);

        /**
         * Receives one datagram into {@code buf}, from offset 0 (position and limit are left alone).
         *
         * @return its full length (more than {@code buf.capacity()} if it was cut), or -errno
         */
        long recv(ByteBuffer buf);

        void close();
    }

    private final ByteBuffer buf = Sys.buffer(BUFFER_SIZE);
    private final Channel channel;
    private int seq;
    private boolean interrupted;
    /**
     * Where the conversation in progress puts the answers of its reply type (RTM_NEWLINK, RTM_NEWADDR,
     * RTM_NEWROUTE), and for addresses and routes the family it keeps (0 for both).
     */
    private List<NetlinkLink> linksOut;
    private List<NetlinkAddr> addrsOut;
    private List<NetlinkRoute> routesOut;
    private int familyOut;

    /**
     * Takes ownership of {@code fd}, a NETLINK_ROUTE socket opened here or received from the namespace daemon (it
     * talks to the namespace it was created in). The socket is made blocking, with a receive timeout, and
     * {@link #close()} closes it.
     *
     * @throws IOException if the socket cannot be set up; {@code fd} then stays the caller's to close
     */
    public Netlink(int fd) throws IOException {
        this(new SocketChannel(fd));
    }

    Netlink(Channel channel) {
        this.channel = channel;
    }

    /** @return a Netlink over a new NETLINK_ROUTE socket in the current thread's network namespace */
    public static Netlink open() throws IOException {
        Sys.load();
        int fd = (int) Errno.check("socket(AF_NETLINK, NETLINK_ROUTE)",
                Sys.socket(Linux.AF_NETLINK, Linux.SOCK_RAW | Linux.SOCK_CLOEXEC, Linux.NETLINK_ROUTE));
        try {
            return new Netlink(fd);
        } catch (IOException | RuntimeException e) {
            Sys.close(fd);
            throw e;
        }
    }

    @Override
    public void close() {
        channel.close();
    }

    // ------------------------------------------------------------------------------------------------------ dumps

    /** @return every link, in ifindex order as the kernel dumps them */
    public List<NetlinkLink> links() throws IOException {
        List<NetlinkLink> out = new ArrayList<>();
        linksOut = out;
        dump("RTM_GETLINK dump", RTM_GETLINK, 0, RTM_NEWLINK, out);
        return out;
    }

    /**
     * @param family AF_INET, AF_INET6, or AF_UNSPEC for both
     * @return every address of {@code family}, in the kernel's order
     */
    public List<NetlinkAddr> addrs(int family) throws IOException {
        List<NetlinkAddr> out = new ArrayList<>();
        addrsOut = out;
        familyOut = family;
        dump("RTM_GETADDR dump", RTM_GETADDR, family, RTM_NEWADDR, out);
        return out;
    }

    /**
     * @param family AF_INET, AF_INET6, or AF_UNSPEC for both
     * @return the routes of the main table (no cached clones), of every type, in the kernel's order
     */
    public List<NetlinkRoute> routes(int family) throws IOException {
        List<NetlinkRoute> out = new ArrayList<>();
        routesOut = out;
        familyOut = family;
        dump("RTM_GETROUTE dump", RTM_GETROUTE, family, RTM_NEWROUTE, out);
        return out;
    }

    /** Runs a dump whose answers {@link #collect} puts in {@code out}, retrying it if it was interrupted. */
    private void dump(String what, int type, int family, int replyType, List<?> out) throws IOException {
        for (int attempt = 1; ; attempt++) {
            out.clear();
            interrupted = false;
            int rc = converse(NetlinkWire.dumpRequest(buf, nextSeq(), type, family), replyType);
            if (rc < 0) {
                throw Errno.io(what, rc);
            }
            if (!interrupted) {
                return;
            }
            if (attempt == DUMP_ATTEMPTS) {
                throw new IOException(what + ": interrupted by changes " + DUMP_ATTEMPTS + " times");
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------ links

    /**
     * @return the link called {@code name}, or null if there is none (ENODEV)
     * @throws IOException if the kernel refuses otherwise, or the conversation fails
     */
    public NetlinkLink link(String name) throws IOException {
        List<NetlinkLink> found = new ArrayList<>(1);
        linksOut = found;
        int rc = converse(NetlinkWire.getLinkRequest(buf, nextSeq(), name), RTM_NEWLINK);
        if (rc == -Errno.ENODEV) {
            return null;
        }
        if (rc < 0) {
            throw Errno.io("RTM_GETLINK " + name, rc);
        }
        if (found.isEmpty()) {
            throw new IOException("RTM_GETLINK " + name + ": acknowledged without a link");
        }
        return found.getLast();
    }

    /** @return the ifindex of {@code name}, or {@code -ENODEV} if there is no such link */
    public int linkIndex(String name) throws IOException {
        NetlinkLink l = link(name);
        return l == null ? -Errno.ENODEV : l.index();
    }

    /** Sets IFF_UP on {@code ifindex}. @return 0 or -errno */
    public int setLinkUp(int ifindex) throws IOException {
        return converse(NetlinkWire.linkUpRequest(buf, nextSeq(), ifindex), -1);
    }

    /** @return 0 or -errno */
    public int setMtu(int ifindex, int mtu) throws IOException {
        return converse(NetlinkWire.linkMtuRequest(buf, nextSeq(), ifindex, mtu), -1);
    }

    /** @param mac as {@link NetlinkLink#mac(byte[])} packs it. @return 0 or -errno */
    public int setMac(int ifindex, long mac) throws IOException {
        return converse(NetlinkWire.linkMacRequest(buf, nextSeq(), ifindex, mac), -1);
    }

    /**
     * Sets how the kernel makes IPv6 addresses for the link ({@code IFLA_INET6_ADDR_GEN_MODE}); with
     * {@link #IN6_ADDR_GEN_MODE_NONE} set before the link goes up, it makes no link-local address at all.
     *
     * @return 0 or -errno
     */
    public int setAddrGenMode(int ifindex, int mode) throws IOException {
        return converse(NetlinkWire.linkAddrGenModeRequest(buf, nextSeq(), ifindex, mode), -1);
    }

    // ---------------------------------------------------------------------------------------- addresses, routes

    /**
     * Adds an address (RTM_NEWADDR, CREATE|EXCL).
     *
     * @param flags IFA_F_*: {@link #IFA_F_NODAD} makes an IPv6 address usable at once
     * @param scope RT_SCOPE_*; the kernel derives it itself for IPv6, and takes it as given for IPv4
     * @return 0, or -errno (-EEXIST if the address is already there)
     */
    public int addAddr(int ifindex, InetAddress addr, int prefixLen, int flags, int scope) throws IOException {
        return converse(NetlinkWire.newAddrRequest(buf, nextSeq(), ifindex, addr, prefixLen, flags, scope), -1);
    }

    /**
     * Adds a unicast route to the main table (RTM_NEWROUTE, CREATE|EXCL), protocol {@link #RTPROT_BOOT} as
     * {@code ip route add} makes it.
     *
     * @param dst      destination, any address of the family when {@code dstLen} is 0 (default route)
     * @param gateway  or null for a destination directly on the link (then scope link)
     * @param metric   RTA_PRIORITY, or 0 for the kernel's default
     * @param rtmFlags {@link #RTNH_F_ONLINK} to accept a gateway no address or route puts on the link, or 0
     * @return 0, or -errno (-EEXIST if the same route exists, -ENETUNREACH for a gateway not on the link)
     */
    public int addRoute(int oif, InetAddress dst, int dstLen, InetAddress gateway, int metric, int rtmFlags)
            throws IOException {
        int scope = gateway == null ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
        return converse(NetlinkWire.newRouteRequest(buf, nextSeq(), dst, dstLen, gateway, oif, metric, RTPROT_BOOT,
                scope, rtmFlags), -1);
    }

    /**
     * Deletes an address (RTM_DELADDR).
     *
     * @return 0, or -errno (-EADDRNOTAVAIL if the interface has no such address)
     */
    public int delAddr(int ifindex, InetAddress addr, int prefixLen) throws IOException {
        return converse(NetlinkWire.delAddrRequest(buf, nextSeq(), ifindex, addr, prefixLen), -1);
    }

    /**
     * Deletes a main-table route through {@code oif} (RTM_DELROUTE), matched by destination, gateway and metric.
     *
     * @param metric RTA_PRIORITY, or 0 to match any
     * @return 0, or -errno (-ESRCH if there is no such route)
     */
    public int delRoute(int oif, InetAddress dst, int dstLen, InetAddress gateway, int metric) throws IOException {
        return converse(NetlinkWire.delRouteRequest(buf, nextSeq(), dst, dstLen, gateway, oif, metric), -1);
    }

    // ------------------------------------------------------------------------------------------------ conversation

    private int nextSeq() {
        seq = seq == Integer.MAX_VALUE ? 1 : seq + 1;
        return seq;
    }

    /**
     * Sends the request of {@code len} bytes at the start of the buffer and reads replies until the kernel closes
     * the conversation.
     *
     * @param replyType the message type that carries answers (passed to {@link #collect}), or -1 if none is expected
     * @return 0 or the kernel's -errno, from NLMSG_ERROR or NLMSG_DONE
     */
    private int converse(int len, int replyType) throws IOException {
        int mySeq = s32(buf, NLMSG_SEQ);
        long sent = channel.send(buf, len);
        if (sent < 0) {
            throw Errno.io("netlink send", sent);
        }
        if (sent != len) {
            throw new IOException("netlink send: " + sent + " of " + len + " bytes");
        }
        for (int n = 0; n < MAX_DATAGRAMS; n++) {
            long got = channel.recv(buf);
            if (got < 0) {
                throw Errno.io("netlink receive", got);
            }
            if (got > BUFFER_SIZE) {
                throw new IOException("netlink receive: datagram of " + got + " bytes, buffer " + BUFFER_SIZE);
            }
            int rc = walk(buf, (int) got, mySeq, replyType);
            if (rc != MORE) {
                return rc;
            }
        }
        throw new IOException("netlink: no end of reply after " + MAX_DATAGRAMS + " datagrams");
    }

    /** @return {@link #MORE}, or the final result of the conversation: 0 or -errno */
    private int walk(ByteBuffer m, int end, int mySeq, int replyType) throws IOException {
        for (int off = 0; off < end; ) {
            int len = NetlinkWire.messageLength(m, off, end);
            if (s32(m, off + NLMSG_SEQ) == mySeq) {
                int type = u16(m, off + NLMSG_TYPE);
                switch (type) {
                    case NLMSG_ERROR, NLMSG_DONE -> {
                        return finalCode(m, off, len, type);
                    }
                    case NLMSG_NOOP -> {
                    }
                    case NLMSG_OVERRUN -> throw new IOException("netlink: NLMSG_OVERRUN, replies were lost");
                    default -> {
                        if (type != replyType) {
                            throw NetlinkWire.malformed("unexpected message type " + type);
                        }
                        if ((u16(m, off + NLMSG_FLAGS) & NLM_F_DUMP_INTR) != 0) {
                            interrupted = true;
                        }
                        collect(m, off, len, replyType);
                    }
                }
            }
            off = NetlinkWire.nextMessage(off, len, end);
        }
        return MORE;
    }

    /** Parses one answer and keeps it in the list of its type if it is one the conversation asked for. */
    private void collect(ByteBuffer m, int off, int len, int type) throws IOException {
        switch (type) {
            case RTM_NEWLINK -> linksOut.add(NetlinkWire.parseLink(m, off, len));
            case RTM_NEWADDR -> {
                NetlinkAddr a = NetlinkWire.parseAddr(m, off, len);
                if (a != null && (familyOut == 0 || NetlinkWire.family(a.addr()) == familyOut)) {
                    addrsOut.add(a);
                }
            }
            case RTM_NEWROUTE -> {
                NetlinkRoute r = NetlinkWire.parseRoute(m, off, len);
                if (r != null && r.table() == RT_TABLE_MAIN && (r.flags() & RTM_F_CLONED) == 0
                        && (familyOut == 0 || NetlinkWire.family(r.dst()) == familyOut)) {
                    routesOut.add(r);
                }
            }
            default -> throw new IllegalStateException("no answers of type " + type + " expected");
        }
    }

    /** The int after the header of NLMSG_ERROR (0 = ack, else -errno) or NLMSG_DONE (0, or -errno if cut short). */
    private static int finalCode(ByteBuffer m, int off, int len, int type) throws IOException {
        if (len < NLMSG_HDRLEN + 4) {
            if (type == NLMSG_DONE) {
                return 0; // very old kernels sent an empty NLMSG_DONE
            }
            throw NetlinkWire.malformed("NLMSG_ERROR without an error code");
        }
        int code = s32(m, off + NLMSG_HDRLEN);
        if (code > 0 || code < -4095) {
            throw NetlinkWire.malformed("error code " + code);
        }
        return code;
    }

    /** The real socket: sendto/recvfrom through {@link Sys}, kernel (port 0) as the only accepted sender. */
    private static final class SocketChannel implements Channel {
        private final int fd;
        /** sockaddr_nl of the sender, then its socklen_t */
        private final ByteBuffer from = Sys.buffer(SOCKADDR_NL_LEN + 4);
        private final long fromAddr = Sys.address(from);

        SocketChannel(int fd) throws IOException {
            Sys.load();
            this.fd = fd;
            int fl = (int) Errno.check("fcntl(F_GETFL) netlink", Sys.fcntl(fd, Linux.F_GETFL, 0));
            if ((fl & Linux.O_NONBLOCK) != 0) {
                Errno.check("fcntl(F_SETFL) netlink", Sys.fcntl(fd, Linux.F_SETFL, fl & ~Linux.O_NONBLOCK));
            }
            ByteBuffer tv = Sys.buffer(16); // struct timeval: long tv_sec, long tv_usec
            tv.putLong(0, RECV_TIMEOUT_S);
            Errno.check("setsockopt(SO_RCVTIMEO) netlink",
                    Sys.setsockopt(fd, Linux.SOL_SOCKET, SO_RCVTIMEO, Sys.address(tv), 16));
        }

        /** @return the native address of {@code buf}, which must be direct */
        private static long address(ByteBuffer buf) {
            long a = Sys.address(buf);
            if (a == 0) {
                throw new IllegalArgumentException("netlink needs a direct buffer");
            }
            return a;
        }

        @Override
        public long send(ByteBuffer buf, int len) {
            return Sys.sendto(fd, address(buf), len, 0, 0, 0); // unconnected and no address: to the kernel
        }

        @Override
        public long recv(ByteBuffer buf) {
            long at = address(buf);
            for (int skipped = 0; skipped < MAX_DATAGRAMS; skipped++) {
                from.putInt(SOCKADDR_NL_LEN, SOCKADDR_NL_LEN);
                long n = Sys.recvfrom(fd, at, buf.capacity(), Linux.MSG_TRUNC, fromAddr, fromAddr + SOCKADDR_NL_LEN);
                if (n < 0 || from.getInt(NL_PID) == 0) {
                    return n;
                }
                // not from the kernel: ignore, as the kernel's answers are all we asked for
            }
            return -Errno.EAGAIN;
        }

        @Override
        public void close() {
            Sys.close(fd);
        }
    }
}
