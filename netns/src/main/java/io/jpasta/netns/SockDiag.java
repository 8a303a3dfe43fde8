package io.jpasta.netns;

import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Which TCP ports listen, or UDP ports are bound unconnected, in a network namespace, asked with
 * NETLINK_SOCK_DIAG (sock_diag(7), inet_diag) for sockets in state LISTEN (TCP) or CLOSE (UDP: a UDP socket is
 * "established" once connected, and a connected socket receives from its peer only, so it is no service to
 * forward to). This replaces reading /proc/net/tcp{,6} for {@code auto} port forwarding: the kernel
 * answers a LISTEN-only dump from its listening hash, while /proc/net/tcp walks the whole established hash, which
 * is sized by memory (about 10 ms per read on this 24 GiB machine with two sockets in it, on every start).
 *
 * <p>One instance per namespace: the socket talks to the namespace it was created in (the namespace's comes from
 * nsd). Reused buffers; a scan allocates nothing.
 */
public final class SockDiag implements AutoCloseable {
    /** NETLINK_SOCK_DIAG from linux/netlink.h; SOCK_DIAG_BY_FAMILY from linux/sock_diag.h */
    public static final int NETLINK_SOCK_DIAG = 4;
    private static final int SOCK_DIAG_BY_FAMILY = 20, NLMSG_ERROR = 2, NLMSG_DONE = 3;
    private static final int NLM_F_REQUEST = 0x1, NLM_F_DUMP = 0x300;
    /** The TCP states sock_diag reports (the kernel uses them for UDP too). */
    private static final int TCP_CLOSE = 7, TCP_LISTEN = 10;
    /** nlmsghdr (16) + struct inet_diag_req_v2 (56): family, protocol, ext, pad, states, inet_diag_sockid (48) */
    private static final int REQ_LEN = 16 + 56;
    /** offset of idiag_sport (big-endian) in a reply: nlmsghdr, then inet_diag_msg's 4 bytes before its sockid */
    private static final int SPORT = 16 + 4;

    private final int fd;
    private final int proto;
    private final ByteBuffer req = Sys.buffer(REQ_LEN);
    private final ByteBuffer buf = Sys.buffer(32 << 10);
    private final ByteBuffer bufBe = buf.duplicate().order(ByteOrder.BIG_ENDIAN);
    private final long reqAddr = Sys.address(req), bufAddr = Sys.address(buf);
    private int seq;

    /** @param fd a NETLINK_SOCK_DIAG socket, now owned by this object; asks about TCP */
    public SockDiag(int fd) {
        this(fd, Linux.IPPROTO_TCP);
    }

    /** @param proto IPPROTO_TCP (listening sockets) or IPPROTO_UDP (bound, unconnected sockets) */
    public SockDiag(int fd, int proto) {
        this.fd = fd;
        this.proto = proto;
    }

    /** @return a sock_diag socket in the current namespace for TCP, or null if the kernel refuses one */
    public static SockDiag open() {
        return open(Linux.IPPROTO_TCP);
    }

    /** @return a sock_diag socket in the current namespace for {@code proto}, or null if the kernel refuses one */
    public static SockDiag open(int proto) {
        int fd = Sys.socket(Linux.AF_NETLINK, Linux.SOCK_RAW | Linux.SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        return fd < 0 ? null : new SockDiag(fd, proto);
    }

    /**
     * Sets the bit of every port listening (TCP) or bound unconnected (UDP) in the namespace, IPv4 and IPv6, in
     * {@code ports}, a 65536-bit map.
     *
     * @return 0, or -errno when the dump failed (the map then holds what was read before)
     */
    public int listening(long[] ports) {
        for (int family : new int[] {Linux.AF_INET, Linux.AF_INET6}) {
            int rc = dump(family, ports);
            if (rc < 0) {
                return rc;
            }
        }
        return 0;
    }

    private int dump(int family, long[] ports) {
        for (int i = 0; i < REQ_LEN; i += 8) {
            req.putLong(i, 0);
        }
        req.putInt(0, REQ_LEN);
        req.putShort(4, (short) SOCK_DIAG_BY_FAMILY);
        req.putShort(6, (short) (NLM_F_REQUEST | NLM_F_DUMP));
        req.putInt(8, ++seq);
        req.put(16, (byte) family);
        req.put(17, (byte) proto);
        req.putInt(20, 1 << (proto == Linux.IPPROTO_UDP ? TCP_CLOSE : TCP_LISTEN));
        long w = Sys.sendto(fd, reqAddr, REQ_LEN, 0, 0, 0);
        if (w < 0) {
            return (int) w;
        }
        for (int rounds = 0; rounds < 10_000; rounds++) {
            long n = Sys.recvfrom(fd, bufAddr, buf.capacity(), 0, 0, 0);
            if (n < 0) {
                return (int) n;
            }
            for (int off = 0; off + 16 <= n; ) {
                int len = buf.getInt(off);
                int type = Short.toUnsignedInt(buf.getShort(off + 4));
                if (len < 16 || off + len > n) {
                    return -Errno.EPROTO;
                }
                if (buf.getInt(off + 8) == seq) {
                    if (type == NLMSG_DONE) {
                        return 0;
                    }
                    if (type == NLMSG_ERROR) {
                        int err = len >= 20 ? buf.getInt(off + 16) : -Errno.EPROTO;
                        return err < 0 ? err : 0;
                    }
                    if (type == SOCK_DIAG_BY_FAMILY && len >= SPORT + 2) {
                        int port = Short.toUnsignedInt(bufBe.getShort(off + SPORT));
                        ports[port >>> 6] |= 1L << port;
                    }
                }
                off += (len + 3) & ~3;
            }
        }
        return -Errno.EPROTO;
    }

    @Override
    public void close() {
        Sys.close(fd);
    }
}
