package io.jpasta.udp;

import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;
import io.jpasta.tap.fwd.AddrMap;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * {@link PingSockets} on the real kernel through {@link Sys}, with sockets registered in the loop's epoll set as
 * {@link Epoll#T_ICMP} events carrying the flow index. One reused {@code sockaddr} buffer: owned by the loop
 * thread. Costs two small direct buffers at construction and nothing else until the first echo request.
 *
 * <p>As in current pasta, ping sockets take the {@code -o} source address and the {@code --outbound-if4/6}
 * interface of their family: the interface when opened (an unprivileged socket may be bound to a device once), the
 * address with the echo identifier. A failure is the socket's failure: the request is dropped and counted.
 */
public final class SysPingSockets implements PingSockets {
    /** {@code sizeof(struct sockaddr_in6)}: family, port, flowinfo, 16-byte address, scope id. */
    static final int SOCKADDR_IN6_LEN = 28;
    /** {@code sizeof(struct sockaddr_in)}: family, port, address, 8 bytes of zero. */
    static final int SOCKADDR_IN_LEN = 16;
    static final int SA_FAMILY = 0, SA_PORT = 2, SIN_ADDR = 4, SIN6_FLOWINFO = 4, SIN6_ADDR = 8, SIN6_SCOPE = 24;

    private final Epoll epoll;
    private final ByteBuffer sa = Sys.buffer(SOCKADDR_IN6_LEN);
    private final long saAddr = Sys.address(sa);
    private final ByteBuffer saLen = Sys.buffer(4);
    private final long saLenAddr = Sys.address(saLen);

    /** Per family (0: IPv4, 1: IPv6): source address halves to bind to, interface name (NUL-terminated); null: none */
    private final AddrMap.Addr[] out = new AddrMap.Addr[2];
    private final ByteBuffer[] outIf = new ByteBuffer[2];

    public SysPingSockets(Epoll epoll) {
        this.epoll = epoll;
    }

    /** @param map gives the {@code -o} address and {@code --outbound-if4/6} interface per family, if any */
    public SysPingSockets(Epoll epoll, AddrMap map) {
        this(epoll);
        for (int f = 0; f < 2; f++) {
            out[f] = map.outbound(f == 1);
            String ifname = map.outboundIf(f == 1);
            if (ifname != null) {
                byte[] n = ifname.getBytes(StandardCharsets.US_ASCII);
                outIf[f] = Sys.buffer(n.length + 1).put(0, n);
            }
        }
    }

    @Override
    public int open(boolean v6) {
        int fd = Sys.socket(v6 ? Linux.AF_INET6 : Linux.AF_INET,
                Linux.SOCK_DGRAM | Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC,
                v6 ? Linux.IPPROTO_ICMPV6 : Linux.IPPROTO_ICMP);
        ByteBuffer ifname = outIf[v6 ? 1 : 0];
        if (fd >= 0 && ifname != null) {
            int rc = Sys.setsockopt(fd, Linux.SOL_SOCKET, Linux.SO_BINDTODEVICE, Sys.address(ifname),
                    ifname.capacity());
            if (rc < 0) {
                Sys.close(fd);
                return rc;
            }
        }
        return fd;
    }

    @Override
    public int bind(int fd, boolean v6, int id) {
        AddrMap.Addr a = out[v6 ? 1 : 0];
        return Sys.bind(fd, saAddr, a == null ? sockaddr(v6, id, 0, 0) : sockaddr(v6, id, a.hi(), a.lo()));
    }

    @Override
    public int boundId(int fd, boolean v6) {
        clear();
        saLen.putInt(0, SOCKADDR_IN6_LEN);
        int rc = Sys.getsockname(fd, saAddr, saLenAddr);
        return rc < 0 ? rc : Short.toUnsignedInt(sa.order(ByteOrder.BIG_ENDIAN).getShort(SA_PORT));
    }

    @Override
    public long sendTo(int fd, boolean v6, MemorySegment buf, long off, int len, long dstHi, long dstLo) {
        int alen = sockaddr(v6, 0, dstHi, dstLo);
        return Sys.sendto(fd, buf.address() + off, len, Linux.MSG_NOSIGNAL, saAddr, alen);
    }

    @Override
    public long recv(int fd, MemorySegment buf, long off, int len) {
        return Sys.recvfrom(fd, buf.address() + off, len, Linux.MSG_DONTWAIT, 0, 0);
    }

    @Override
    public int watch(int fd, int flow) {
        return epoll.add(fd, Linux.EPOLLIN, Epoll.T_ICMP, flow);
    }

    @Override
    public void close(int fd) {
        Sys.close(fd);
    }

    /** Fills the sockaddr buffer. @return its length */
    private int sockaddr(boolean v6, int port, long hi, long lo) {
        clear();
        sa.order(ByteOrder.nativeOrder()).putShort(SA_FAMILY, (short) (v6 ? Linux.AF_INET6 : Linux.AF_INET));
        sa.order(ByteOrder.BIG_ENDIAN).putShort(SA_PORT, (short) port);
        if (v6) {
            sa.putLong(SIN6_ADDR, hi).putLong(SIN6_ADDR + 8, lo);
            return SOCKADDR_IN6_LEN;
        }
        sa.putInt(SIN_ADDR, (int) lo);
        return SOCKADDR_IN_LEN;
    }

    private void clear() {
        for (int i = 0; i < SOCKADDR_IN6_LEN; i += 4) {
            sa.putInt(i, 0);
        }
    }
}
