package io.jpasta.udp;

import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Memory;
import io.jpasta.netns.sys.Sys;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.fwd.AddrMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * {@link UdpSocks} on the real kernel through {@link Sys}. Sockets are registered in the loop's epoll set as
 * {@link Epoll#T_UDP} events carrying the flow index. The batch calls use one array of {@code struct mmsghdr} with
 * one iovec and one {@code struct sockaddr_in6} per slot of the engine's {@link Datagrams}, built once:
 *
 * <pre>
 * struct msghdr  { void *msg_name; socklen_t msg_namelen; struct iovec *msg_iov; size_t msg_iovlen;
 *                  void *msg_control; size_t msg_controllen; int msg_flags; };            // 56 bytes
 * struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; };                       // 64 bytes
 * struct iovec   { void *iov_base; size_t iov_len; };                                     // 16 bytes
 * struct sock_extended_err { u32 ee_errno; u8 ee_origin, ee_type, ee_code, ee_pad; u32 ee_info, ee_data; };
 * </pre>
 *
 * Loop thread only; nothing is allocated per call.
 */
public final class SysUdpSocks implements UdpSocks {
    static final int MSG_NAME = 0, MSG_NAMELEN = 8, MSG_IOV = 16, MSG_IOVLEN = 24, MSG_CONTROL = 32,
            MSG_CONTROLLEN = 40, MSG_FLAGS = 48, MMSG_LEN = 56, MMSGHDR_SIZE = 64, IOVEC_SIZE = 16;
    static final int SOCKADDR_IN_LEN = 16, SOCKADDR_IN6_LEN = 28, SA_SIZE = 32;
    static final int SA_FAMILY = 0, SA_PORT = 2, SIN_ADDR = 4, SIN6_ADDR = 8;
    /** struct cmsghdr: cmsg_len (size_t), cmsg_level, cmsg_type, then the data. */
    static final int CMSG_LEVEL = 8, CMSG_TYPE = 12, CMSG_DATA = 16;
    static final int EE_ORIGIN = 4, EE_TYPE = 5, EE_CODE = 6, EE_INFO = 8, EE_OFFENDER = 16;
    static final int CONTROL_SIZE = 256;
    /** Asked-for socket buffers: bulk transfers lose datagrams with the 208 KiB default (capped by rmem_max). */
    static final int SOCK_BUF = 4 << 20;
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final Epoll epoll;
    private final Arena arena = Arena.ofAuto();
    /** One sockaddr for single calls, one msghdr, iovec and control buffer for the error queue. */
    private final MemorySegment sa = arena.allocate(SA_SIZE, 8);
    private final MemorySegment errMsg = arena.allocate(MMSGHDR_SIZE, 8), errIov = arena.allocate(IOVEC_SIZE, 8),
            control = arena.allocate(CONTROL_SIZE, 8);
    /** Per family (0: IPv4, 1: IPv6): {@code -o} address, or null; interface name, NUL-terminated, or null. */
    private final AddrMap.Addr[] out = new AddrMap.Addr[2];
    private final MemorySegment[] outIf = new MemorySegment[2];

    /** The batch arrays of the {@link Datagrams} of the current call. */
    private MemorySegment mmsg, iov, names;

    /** @param map gives the {@code -o} address and {@code --outbound-if4/6} interface per family; null: none */
    public SysUdpSocks(Epoll epoll, AddrMap map) {
        this.epoll = epoll;
        for (int f = 0; f < 2 && map != null; f++) {
            out[f] = map.outbound(f == 1);
            String ifname = map.outboundIf(f == 1);
            if (ifname != null) {
                byte[] n = ifname.getBytes(StandardCharsets.US_ASCII);
                outIf[f] = arena.allocate(n.length + 1);
                MemorySegment.copy(n, 0, outIf[f], ValueLayout.JAVA_BYTE, 0, n.length);
            }
        }
        errMsg.set(ValueLayout.JAVA_LONG, MSG_IOV, errIov.address());
        errMsg.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1);
    }

    @Override
    public int open(int flow, boolean v6, int localPort, long dstHi, long dstLo, int dstPort) {
        int f = v6 ? 1 : 0;
        int fd = socket(v6);
        if (fd < 0) {
            return fd;
        }
        int rc = 0;
        if (outIf[f] != null) {
            rc = Sys.setsockopt(fd, Linux.SOL_SOCKET, Linux.SO_BINDTODEVICE, outIf[f].address(),
                    (int) outIf[f].byteSize());
        }
        if (rc == 0) {
            AddrMap.Addr a = out[f];
            long hi = a == null ? 0 : a.hi(), lo = a == null ? (v6 ? 0 : Inany.v4Lo(0)) : a.lo();
            if (Sys.bind(fd, sa.address(), sockaddr(v6, hi, lo, localPort)) < 0) {
                // the guest's port is taken on the host: any port, but still the -o address if there is one
                rc = a == null ? 0 : Sys.bind(fd, sa.address(), sockaddr(v6, hi, lo, 0));
            }
        }
        if (rc == 0) {
            rc = Sys.setsockoptInt(fd, v6 ? Linux.SOL_IPV6 : Linux.SOL_IP, v6 ? Linux.IPV6_RECVERR : Linux.IP_RECVERR,
                    1);
        }
        if (rc == 0) {
            rc = Sys.connect(fd, sa.address(), sockaddr(v6, dstHi, dstLo, dstPort));
        }
        return register(fd, rc, flow);
    }

    @Override
    public int openSpliced(int flow, int fd, boolean v6, int srcPort, int dstPort) {
        if (fd < 0) {
            fd = socket(v6);
            if (fd < 0) {
                return fd;
            }
        } else {
            buffers(fd);
        }
        long hi = v6 ? 0 : Inany.V4_HI, lo = v6 ? 1 : Inany.v4Lo(0x7f000001);
        // the source port the peer used, if it is free on the far side: the server sees the client's port
        Sys.bind(fd, sa.address(), sockaddr(v6, hi, lo, srcPort));
        int rc = Sys.connect(fd, sa.address(), sockaddr(v6, hi, lo, dstPort));
        return register(fd, rc, flow);
    }

    private static int socket(boolean v6) {
        int fd = Sys.socket(v6 ? Linux.AF_INET6 : Linux.AF_INET,
                Linux.SOCK_DGRAM | Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC, 0);
        if (fd >= 0) {
            buffers(fd);
        }
        return fd;
    }

    /**
     * Asks for {@link #SOCK_BUF} of receive and send buffer (the kernel caps it at net.core.rmem_max/wmem_max): a
     * burst that arrives while the loop is busy elsewhere is kept instead of dropped. For listeners too.
     */
    public static void buffers(int fd) {
        Sys.setsockoptInt(fd, Linux.SOL_SOCKET, Linux.SO_RCVBUF, SOCK_BUF);
        Sys.setsockoptInt(fd, Linux.SOL_SOCKET, Linux.SO_SNDBUF, SOCK_BUF);
    }

    private int register(int fd, int rc, int flow) {
        if (rc == 0) {
            rc = epoll.add(fd, Linux.EPOLLIN, Epoll.T_UDP, flow);
        }
        if (rc < 0) {
            Sys.close(fd);
            return rc;
        }
        return fd;
    }

    @Override
    public long send(int fd, MemorySegment buf, long off, int len) {
        return Sys.sendto(fd, buf.address() + off, len, Linux.MSG_NOSIGNAL, 0, 0);
    }

    @Override
    public long sendTo(int fd, boolean v6Socket, MemorySegment buf, long off, int len, long hi, long lo, int port) {
        return Sys.sendto(fd, buf.address() + off, len, Linux.MSG_NOSIGNAL, sa.address(),
                sockaddr(v6Socket, hi, lo, port));
    }

    /** Builds the batch arrays of the slots of {@code d}, once per {@link Datagrams}, and makes them current. */
    private void bind(Datagrams d) {
        if (d.mmsg == null) {
            int n = d.count();
            d.mmsg = arena.allocate((long) MMSGHDR_SIZE * n, 8);
            d.iov = arena.allocate((long) IOVEC_SIZE * n, 8);
            d.names = arena.allocate((long) SA_SIZE * n, 8);
            for (int i = 0; i < n; i++) {
                long m = (long) i * MMSGHDR_SIZE;
                d.iov.set(ValueLayout.JAVA_LONG, (long) i * IOVEC_SIZE, d.slots().address() + d.data(i));
                d.mmsg.set(ValueLayout.JAVA_LONG, m + MSG_NAME, d.names.address() + (long) i * SA_SIZE);
                d.mmsg.set(ValueLayout.JAVA_LONG, m + MSG_IOV, d.iov.address() + (long) i * IOVEC_SIZE);
                d.mmsg.set(ValueLayout.JAVA_LONG, m + MSG_IOVLEN, 1);
            }
        }
        mmsg = d.mmsg;
        iov = d.iov;
        names = d.names;
    }

    @Override
    public int recv(int fd, Datagrams d) {
        bind(d);
        int n = d.count();
        for (int i = 0; i < n; i++) {
            long m = (long) i * MMSGHDR_SIZE;
            mmsg.set(ValueLayout.JAVA_INT, m + MSG_NAMELEN, SA_SIZE);
            mmsg.set(ValueLayout.JAVA_INT, m + MSG_FLAGS, 0);
            iov.set(ValueLayout.JAVA_LONG, (long) i * IOVEC_SIZE + 8, d.capacity());
        }
        int r = Sys.recvmmsg(fd, mmsg.address(), n, Linux.MSG_DONTWAIT);
        for (int i = 0; i < r; i++) {
            long m = (long) i * MMSGHDR_SIZE;
            int len = mmsg.get(ValueLayout.JAVA_INT, m + MMSG_LEN);
            boolean trunc = (mmsg.get(ValueLayout.JAVA_INT, m + MSG_FLAGS) & Linux.MSG_TRUNC) != 0;
            long a = (long) i * SA_SIZE;
            int family = names.get(ValueLayout.JAVA_SHORT, a + SA_FAMILY);
            int port = Short.toUnsignedInt(names.get(BE16, a + SA_PORT));
            if (family == Linux.AF_INET6) {
                d.received(i, len, trunc, names.get(BE64, a + SIN6_ADDR), names.get(BE64, a + SIN6_ADDR + 8), port);
            } else {
                d.received(i, len, trunc, Inany.V4_HI, Inany.v4Lo(names.get(BE32, a + SIN_ADDR)), port);
            }
        }
        return r;
    }

    @Override
    public int sendBatch(int fd, Datagrams d, int from, int n, boolean v6Socket, long hi, long lo, int port) {
        bind(d);
        int alen = port == 0 ? 0 : sockaddr(v6Socket, hi, lo, port);
        for (int i = from; i < from + n; i++) {
            long m = (long) i * MMSGHDR_SIZE;
            if (alen > 0) {
                MemorySegment.copy(sa, 0, names, (long) i * SA_SIZE, SA_SIZE);
            }
            mmsg.set(ValueLayout.JAVA_INT, m + MSG_NAMELEN, alen);
            iov.set(ValueLayout.JAVA_LONG, (long) i * IOVEC_SIZE + 8, d.len(i));
        }
        return Sys.sendmmsg(fd, mmsg.address() + (long) from * MMSGHDR_SIZE, n, Linux.MSG_NOSIGNAL);
    }

    @Override
    public int recvError(int fd, SockError err, MemorySegment buf, long off, int cap) {
        errIov.set(ValueLayout.JAVA_LONG, 0, buf.address() + off);
        errIov.set(ValueLayout.JAVA_LONG, 8, cap);
        errMsg.set(ValueLayout.JAVA_LONG, MSG_NAME, 0);
        errMsg.set(ValueLayout.JAVA_INT, MSG_NAMELEN, 0);
        errMsg.set(ValueLayout.JAVA_LONG, MSG_CONTROL, control.address());
        errMsg.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CONTROL_SIZE);
        errMsg.set(ValueLayout.JAVA_INT, MSG_FLAGS, 0);
        long n = Sys.recvmsg(fd, errMsg.address(), Linux.MSG_ERRQUEUE | Linux.MSG_DONTWAIT);
        if (n < 0) {
            return (int) n;
        }
        long clen = errMsg.get(ValueLayout.JAVA_LONG, MSG_CONTROLLEN);
        err.set(0, 0, 0, 0, 0, 0);
        for (long c = 0; c + CMSG_DATA <= clen; ) {
            long len = control.get(ValueLayout.JAVA_LONG, c);
            int level = control.get(ValueLayout.JAVA_INT, c + CMSG_LEVEL);
            int type = control.get(ValueLayout.JAVA_INT, c + CMSG_TYPE);
            if (len < CMSG_DATA || c + len > clen) {
                break;
            }
            if ((level == Linux.SOL_IP && type == Linux.IP_RECVERR)
                    || (level == Linux.SOL_IPV6 && type == Linux.IPV6_RECVERR)) {
                long e = c + CMSG_DATA;
                if (len >= CMSG_DATA + EE_OFFENDER + SOCKADDR_IN_LEN) {
                    long o = e + EE_OFFENDER;
                    int family = control.get(ValueLayout.JAVA_SHORT, o + SA_FAMILY);
                    long hi = 0, lo = 0;
                    if (family == Linux.AF_INET) {
                        hi = Inany.V4_HI;
                        lo = Inany.v4Lo(control.get(BE32, o + SIN_ADDR));
                    } else if (family == Linux.AF_INET6 && len >= CMSG_DATA + EE_OFFENDER + SOCKADDR_IN6_LEN) {
                        hi = control.get(BE64, o + SIN6_ADDR);
                        lo = control.get(BE64, o + SIN6_ADDR + 8);
                    }
                    err.set(control.get(ValueLayout.JAVA_BYTE, e + EE_ORIGIN) & 0xff,
                            control.get(ValueLayout.JAVA_BYTE, e + EE_TYPE) & 0xff,
                            control.get(ValueLayout.JAVA_BYTE, e + EE_CODE) & 0xff,
                            control.get(ValueLayout.JAVA_INT, e + EE_INFO), hi, lo);
                }
            }
            c += (len + 7) & ~7L;
        }
        return (int) Math.min(n, cap);
    }

    @Override
    public MemorySegment slotMemory(long len) {
        return Memory.anonymous(len);
    }

    @Override
    public void close(int fd) {
        Sys.close(fd);
    }

    /** Writes {@link #sa} for the address (flow table form) and port. @return its length */
    private int sockaddr(boolean v6, long hi, long lo, int port) {
        sa.fill((byte) 0);
        sa.set(ValueLayout.JAVA_SHORT, SA_FAMILY, (short) (v6 ? Linux.AF_INET6 : Linux.AF_INET));
        sa.set(BE16, SA_PORT, (short) port);
        if (v6) {
            sa.set(BE64, SIN6_ADDR, hi);
            sa.set(BE64, SIN6_ADDR + 8, lo);
            return SOCKADDR_IN6_LEN;
        }
        sa.set(BE32, SIN_ADDR, Inany.v4(lo));
        return SOCKADDR_IN_LEN;
    }
}
