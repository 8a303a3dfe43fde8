package io.jpasta.tcp;

import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.fwd.AddrMap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * {@link TcpSocks} on real host sockets, through {@link Sys}. Sockets are registered edge-triggered in the loop's
 * epoll set with type {@link Epoll#T_TCP} and the flow index.
 *
 * <p>Peeking at an offset uses SO_PEEK_OFF (TCP since Linux 6.9; set before every peek, so a rewind after a
 * retransmission needs nothing else). Native structs, x86_64: {@code struct msghdr} is 56 bytes (msg_name 0,
 * msg_namelen 8, msg_iov 16, msg_iovlen 24, msg_control 32, msg_controllen 40, msg_flags 48);
 * {@code struct iovec} 16 bytes (iov_base 0, iov_len 8); {@code struct sockaddr_in6} 28 bytes (family 0, port 2,
 * flowinfo 4, address 8, scope 24); {@code struct sockaddr_in} 16 bytes (family 0, port 2, address 4);
 * {@code struct linger} 8 bytes (l_onoff 0, l_linger 4).
 *
 * <p>Outbound sockets take the source address of {@code -o} and the interface of {@code --outbound-if4/6} of their
 * family, bound before connect (SO_BINDTODEVICE needs no capability since Linux 5.7 on a socket not bound to a device
 * yet). When either fails, connect reports the error and the engine answers the guest with a RST, rather than let the
 * connection leave from another address or interface than the user asked for.
 */
public final class SysTcpSocks implements TcpSocks {
    /** SO_PEEK_OFF and SO_LINGER from asm-generic/socket.h; SIOCOUTQ (TIOCOUTQ) from asm-generic/ioctls.h. */
    static final int SO_PEEK_OFF = 42, SO_LINGER = 13, SIOCOUTQ = 0x5411;
    /**
     * {@code struct msghdr} on x86_64 and aarch64 (LP64):
     * <pre>
     * void         *msg_name;        //  0
     * socklen_t     msg_namelen;     //  8 (4 bytes of padding follow)
     * struct iovec *msg_iov;         // 16
     * size_t        msg_iovlen;      // 24
     * void         *msg_control;     // 32
     * size_t        msg_controllen;  // 40
     * int           msg_flags;       // 48 (4 bytes of padding follow: 56 in all)
     * </pre>
     * and {@code struct iovec { void *iov_base; size_t iov_len; }}: 16 bytes.
     */
    private static final int MSG_NAME = 0, MSG_NAMELEN = 8, MSG_IOV = 16, MSG_IOVLEN = 24, MSG_CONTROL = 32,
            MSG_CONTROLLEN = 40, MSG_FLAGS = 48, MSGHDR_SIZE = 56, IOV_BASE = 0, IOV_LEN = 8, IOV_SIZE = 16;
    private static final int SOCKADDR_IN6_SIZE = 28, SOCKADDR_IN_SIZE = 16;

    private final Epoll epoll;
    private final ByteBuffer sa = Sys.buffer(SOCKADDR_IN6_SIZE);
    private final ByteBuffer saBe = sa.duplicate().order(ByteOrder.BIG_ENDIAN);
    private final long saAddr = Sys.address(sa);
    private final ByteBuffer msg = Sys.buffer(MSGHDR_SIZE);
    private final long msgAddr = Sys.address(msg);
    private final ByteBuffer iov = Sys.buffer(IOV_SIZE * Tcp.FRAMES);
    private final long iovAddr = Sys.address(iov);
    private final ByteBuffer word = Sys.buffer(8);
    private final long wordAddr = Sys.address(word);

    /** Per family (0: IPv4, 1: IPv6): struct sockaddr to bind outbound sockets to, interface name; null for none */
    private final ByteBuffer[] bindSa = new ByteBuffer[2], bindIf = new ByteBuffer[2];
    private final long[] bindSaAddr = new long[2], bindIfAddr = new long[2];

    /** Errors of the last operations, for the trace and stats. */
    public long connectFailures;
    /** Outbound sockets that could not take the {@code -o} address or {@code --outbound-if*} interface. */
    public long bindFailures;

    /**
     * The kernel's SO_PEEK_OFF of each socket as we last left it, indexed by descriptor ({@link #PEEK_UNKNOWN}: not
     * set by us since the descriptor was opened). The kernel moves the offset itself, forward by what a peek returns
     * and back by what a read consumes, so a peek that starts where the last one ended (the usual case) needs no
     * setsockopt: one system call less per peek. Only a rewind (retransmission) sets it again.
     */
    private int[] peekOff = new int[1024];
    static final int PEEK_UNKNOWN = -1;
    /**
     * SO_SNDBUF of each socket once read, by descriptor (0: not read yet). Every socket of ours has its send buffer
     * set ({@link #sendBuffer}), which stops the kernel's autotuning from changing it: one getsockopt per socket
     * instead of one per window computation (per burst of guest data).
     */
    private int[] sndbuf = new int[1024];
    /** Whether each descriptor is in the epoll set: accepted sockets come to us unregistered. */
    private boolean[] inEpoll = new boolean[1024];

    public SysTcpSocks(Epoll epoll) {
        this.epoll = epoll;
        msg.putLong(MSG_IOV, iovAddr);
        java.util.Arrays.fill(peekOff, PEEK_UNKNOWN);
    }

    /** @return where the kernel's peek offset of {@code fd} is, as far as we know, or {@link #PEEK_UNKNOWN} */
    private int peekOffset(int fd) {
        return fd < peekOff.length ? peekOff[fd] : PEEK_UNKNOWN;
    }

    private void peekOffset(int fd, int off) {
        fit(fd);
        peekOff[fd] = off;
    }

    /** Grows the per-descriptor arrays to hold {@code fd}: with the highest descriptor seen, so rarely. */
    private void fit(int fd) {
        if (fd >= peekOff.length) {
            int old = peekOff.length;
            peekOff = java.util.Arrays.copyOf(peekOff, Math.max(fd + 1, old * 2));
            java.util.Arrays.fill(peekOff, old, peekOff.length, PEEK_UNKNOWN);
            sndbuf = java.util.Arrays.copyOf(sndbuf, peekOff.length);
            inEpoll = java.util.Arrays.copyOf(inEpoll, peekOff.length);
        }
    }

    /** @param map gives the source address and interface of outbound sockets per family, if any */
    public SysTcpSocks(Epoll epoll, AddrMap map) {
        this(epoll);
        for (int v6 = 0; v6 < 2; v6++) {
            AddrMap.Addr a = map.outbound(v6 == 1);
            if (a != null) {
                ByteBuffer b = Sys.buffer(SOCKADDR_IN6_SIZE);
                ByteBuffer be = b.duplicate().order(ByteOrder.BIG_ENDIAN);
                if (v6 == 0) {
                    b.putShort(0, (short) Linux.AF_INET);
                    be.putInt(4, Inany.v4(a.lo()));
                } else {
                    b.putShort(0, (short) Linux.AF_INET6);
                    be.putLong(8, a.hi());
                    be.putLong(16, a.lo());
                }
                bindSa[v6] = b;
                bindSaAddr[v6] = Sys.address(b);
            }
            String ifname = map.outboundIf(v6 == 1);
            if (ifname != null) {
                byte[] n = ifname.getBytes(StandardCharsets.US_ASCII);
                ByteBuffer b = Sys.buffer(n.length + 1);
                b.put(0, n);
                bindIf[v6] = b;
                bindIfAddr[v6] = Sys.address(b);
            }
        }
    }

    /**
     * Binds a new outbound socket of family {@code v6} to the interface and source address asked for, if any.
     *
     * @return 0 or -errno
     */
    private int bindOutbound(int fd, int v6) {
        if (bindIf[v6] != null) {
            int rc = Sys.setsockopt(fd, Linux.SOL_SOCKET, Linux.SO_BINDTODEVICE, bindIfAddr[v6], bindIf[v6].capacity());
            if (rc < 0) {
                return rc;
            }
        }
        if (bindSa[v6] != null) {
            return Sys.bind(fd, bindSaAddr[v6], v6 == 0 ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_SIZE);
        }
        return 0;
    }

    @Override
    public int connect(int flow, long addrHi, long addrLo, int port) {
        boolean v4 = Inany.isV4(addrHi, addrLo);
        int fd = Sys.socket(v4 ? Linux.AF_INET : Linux.AF_INET6,
                Linux.SOCK_STREAM | Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return fd;
        }
        Sys.setsockoptInt(fd, Linux.SOL_TCP, Linux.TCP_NODELAY, 1);
        sendBuffer(fd);
        int rc = bindOutbound(fd, v4 ? 0 : 1);
        if (rc < 0) {
            bindFailures++;
            Sys.close(fd);
            return rc;
        }
        int len;
        for (int i = 0; i < SOCKADDR_IN6_SIZE; i += 4) {
            sa.putInt(i, 0);
        }
        if (v4) {
            sa.putShort(0, (short) Linux.AF_INET);
            saBe.putShort(2, (short) port);
            saBe.putInt(4, Inany.v4(addrLo));
            len = SOCKADDR_IN_SIZE;
        } else {
            sa.putShort(0, (short) Linux.AF_INET6);
            saBe.putShort(2, (short) port);
            saBe.putLong(8, addrHi);
            saBe.putLong(16, addrLo);
            len = SOCKADDR_IN6_SIZE;
        }
        rc = Sys.connect(fd, saAddr, len);
        if (rc < 0 && rc != -Errno.EINPROGRESS) {
            connectFailures++;
            Sys.close(fd);
            return rc;
        }
        rc = epoll.add(fd, Linux.EPOLLOUT | Linux.EPOLLRDHUP | Linux.EPOLLET, Epoll.T_TCP, flow);
        if (rc < 0) {
            Sys.close(fd);
            return rc;
        }
        fit(fd);
        inEpoll[fd] = true;
        return fd;
    }

    @Override
    public int localAddress(int fd, long[] out) {
        word.putInt(0, SOCKADDR_IN6_SIZE);
        int rc = Sys.getsockname(fd, saAddr, wordAddr);
        if (rc < 0) {
            return rc;
        }
        if (sa.getShort(0) == Linux.AF_INET) {
            out[0] = Inany.V4_HI;
            out[1] = Inany.v4Lo(saBe.getInt(4));
        } else {
            out[0] = saBe.getLong(8);
            out[1] = saBe.getLong(16);
        }
        return 0;
    }

    @Override
    public int error(int fd) {
        int e = Sys.getsockoptInt(fd, Linux.SOL_SOCKET, Linux.SO_ERROR);
        return e < 0 ? -e : e;
    }

    @Override
    public int watch(int fd, int flow, int events) {
        fit(fd);
        if (!inEpoll[fd]) {
            int rc = epoll.add(fd, events | Linux.EPOLLET, Epoll.T_TCP, flow);
            if (rc != -Errno.EEXIST) {
                inEpoll[fd] = rc == 0;
                return rc;
            }
            inEpoll[fd] = true; // registered by someone who did not tell us: modify
        }
        return epoll.modify(fd, events | Linux.EPOLLET, Epoll.T_TCP, flow);
    }

    @Override
    public long peek(int fd, int skip, MemorySegment buf, long firstOff, int stride, int chunk, int len) {
        if (peekOffset(fd) != skip) {
            int rc = Sys.setsockoptInt(fd, Linux.SOL_SOCKET, SO_PEEK_OFF, skip);
            if (rc < 0) {
                peekOffset(fd, PEEK_UNKNOWN);
                return rc;
            }
            peekOffset(fd, skip);
        }
        long base = buf.address() + firstOff;
        int n = 0;
        for (int left = len; left > 0 && n < Tcp.FRAMES; n++) {
            int l = Math.min(chunk, left);
            iov.putLong(n * IOV_SIZE + IOV_BASE, base + (long) n * stride);
            iov.putLong(n * IOV_SIZE + IOV_LEN, l);
            left -= l;
        }
        msg.putLong(MSG_NAME, 0);
        msg.putInt(MSG_NAMELEN, 0);
        msg.putLong(MSG_IOVLEN, n);
        msg.putLong(MSG_CONTROL, 0);
        msg.putLong(MSG_CONTROLLEN, 0);
        msg.putInt(MSG_FLAGS, 0);
        long got = Sys.recvmsg(fd, msgAddr, Linux.MSG_PEEK | Linux.MSG_DONTWAIT);
        if (got > 0) {
            peekOffset(fd, skip + (int) got);
        }
        return got;
    }

    @Override
    public long discard(int fd, int len) {
        // MSG_TRUNC on a TCP socket drops the bytes without copying them anywhere
        long got = Sys.recvfrom(fd, 0, len, Linux.MSG_TRUNC | Linux.MSG_DONTWAIT, 0, 0);
        int off = peekOffset(fd);
        if (got > 0 && off != PEEK_UNKNOWN) {
            peekOffset(fd, (int) Math.max(0, off - got)); // what the kernel does with it on a read
        }
        return got;
    }

    @Override
    public long send(int fd, MemorySegment buf, long off, int len) {
        return Sys.sendto(fd, buf.address() + off, len, Linux.MSG_NOSIGNAL | Linux.MSG_DONTWAIT, 0, 0);
    }

    /**
     * A large send buffer for a socket carrying the guest's data. The window we advertise is the socket's free send
     * space; with the kernel's autotuning starting at 16 KiB the guest was held to a few hundred Mbit/s on any path
     * with a real round trip (0.3-0.5 against 4.7-5.7 Gbit/s measured toward the remote sandbox host). The kernel
     * caps the value at net.core.wmem_max; pasta asks for that maximum on its sockets too.
     */
    static void sendBuffer(int fd) {
        Sys.setsockoptInt(fd, Linux.SOL_SOCKET, Linux.SO_SNDBUF, SNDBUF);
    }

    @Override
    public void adopt(int fd) {
        sendBuffer(fd);
    }

    /** Anonymous mapping: an arena allocation would zero all of it at once (9-14 ms on the first connection). */
    @Override
    public MemorySegment frameMemory(long len) {
        long addr = Sys.mapAnonymous(len);
        if (addr > 0) {
            return MemorySegment.ofAddress(addr).reinterpret(len);
        }
        return Arena.ofAuto().allocate(len, 64);
    }

    /** Asked-for send buffer: 4 MiB, the usual net.core.wmem_max and tcp_wmem maximum */
    static final int SNDBUF = 4 << 20;

    @Override
    public int sendSpace(int fd) {
        fit(fd);
        int sb = sndbuf[fd];
        if (sb <= 0) {
            sb = Sys.getsockoptInt(fd, Linux.SOL_SOCKET, Linux.SO_SNDBUF);
            if (sb < 0) {
                return sb;
            }
            sndbuf[fd] = sb;
        }
        int rc = Sys.ioctl(fd, SIOCOUTQ, wordAddr);
        if (rc < 0) {
            return rc;
        }
        return Math.max(0, sb - word.getInt(0));
    }

    /** The descriptor is closed: its number may come back for another socket, whose peek offset is unset. */
    private void forget(int fd) {
        if (fd >= 0 && fd < peekOff.length) {
            peekOff[fd] = PEEK_UNKNOWN;
            sndbuf[fd] = 0;
            inEpoll[fd] = false;
        }
    }

    @Override
    public int shutdownWrite(int fd) {
        return Sys.shutdown(fd, Linux.SHUT_WR);
    }

    @Override
    public void close(int fd) {
        forget(fd);
        Sys.close(fd);
    }

    @Override
    public void reset(int fd) {
        if (fd < 0) {
            return;
        }
        forget(fd);
        word.putInt(0, 1);
        word.putInt(4, 0);
        Sys.setsockopt(fd, Linux.SOL_SOCKET, SO_LINGER, wordAddr, 8);
        Sys.close(fd);
    }
}
