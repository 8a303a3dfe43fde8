package io.jpasta.launcher;

import io.jpasta.launcher.Listeners.Forward;
import io.jpasta.netns.Nsd;
import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;
import io.jpasta.udp.SysUdpSocks;

import java.io.IOException;
import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The listening sockets of one protocol, on both sides, and how they are made: on the host with our own sockets
 * (one dual-stack socket for "any address", else one per family), inside the namespace by jpasta-nsd on the
 * namespace's loopback addresses (or the address given). Each listener has a number, its epoll index
 * ({@link Epoll#T_SPLICE_LISTEN} or {@link Epoll#T_UDP_LISTEN}); closed numbers are reused.
 *
 * <p>{@link #bound} keeps, per side, the ports where we listen, so that {@code auto} never forwards a port back to
 * a listener of our own.
 */
final class ListenerTable {
    static final int HOST = 0, NS = 1;
    static final int BACKLOG = 4096;
    private static final int SOCK_FLAGS = Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC;

    private final Nsd nsd;
    private final Epoll ep;
    /** The UDP engine's hand-off for UDP listeners; null for TCP. */
    private final Listeners.UdpPath udp;
    private final int sockType;
    private final boolean freebind;

    private int[] lfd = new int[16], where = new int[16], lport = new int[16], target = new int[16];
    private boolean[] auto = new boolean[16], v6 = new boolean[16];
    /** What each listener was bound for: a forward asked for again keeps its socket. */
    private Forward[] fwd = new Forward[16];
    private int count;
    /** errno of the last socket that could not be bound, for the message naming the port */
    private int lastError;
    private final long[][] bound = {new long[1024], new long[1024]};

    private final ByteBuffer sa = Sys.buffer(SockAddrs.SOCKADDR_MAX), ifname = Sys.buffer(32);
    private final long saAddr = Sys.address(sa), ifnameAddr = Sys.address(ifname);

    /**
     * @param udp      where the datagrams of UDP listeners go, or null for TCP listeners
     * @param freebind {@code --freebind}: bind addresses that are not (yet) local
     */
    ListenerTable(Nsd nsd, Epoll ep, Listeners.UdpPath udp, boolean freebind) {
        this.nsd = nsd;
        this.ep = ep;
        this.udp = udp;
        this.sockType = (udp == null ? Linux.SOCK_STREAM : Linux.SOCK_DGRAM) | SOCK_FLAGS;
        this.freebind = freebind;
    }

    /** @return the socket type of the listeners and of the namespace sockets made for them */
    int sockType() {
        return sockType;
    }

    /** @return true for a table of UDP listeners */
    boolean udp() {
        return udp != null;
    }

    /** @return one past the highest listener number in use */
    int count() {
        return count;
    }

    int fd(int i) {
        return lfd[i];
    }

    int side(int i) {
        return where[i];
    }

    int port(int i) {
        return lport[i];
    }

    int target(int i) {
        return target[i];
    }

    boolean isAuto(int i) {
        return auto[i];
    }

    boolean v6(int i) {
        return v6[i];
    }

    Forward forward(int i) {
        return fwd[i];
    }

    /** @return errno of the last socket that could not be bound or listen */
    int lastError() {
        return lastError;
    }

    /** @return the ports where {@code side} listens, as a bitmap of 65536 bits (live: callers may clear bits) */
    long[] bound(int side) {
        return bound[side];
    }

    /**
     * Binds {@code f} on {@code side}.
     *
     * @param isAuto true for a listener of {@code auto}
     * @return sockets bound (0 if the port is busy)
     * @throws IOException if a socket cannot be added to the epoll set, or nsd fails
     */
    int bind(int side, Forward f, boolean isAuto) throws IOException {
        return side == HOST ? bindHost(f, isAuto) : bindNs(f, isAuto);
    }

    private int bindHost(Forward f, boolean isAuto) throws IOException {
        if (f.bindAddr() != null) {
            boolean fam6 = f.bindAddr() instanceof Inet6Address;
            return add(HOST, listenHost(fam6, f.bindAddr().getAddress(), false, f), fam6, f, isAuto);
        }
        // any address: one dual-stack socket; if that fails because IPv6 is missing, each family alone. A port
        // in use on either family fails a forward of the command line, as in pasta (explicit, or a range of an
        // exclude-only spec); auto takes what it can get.
        int fd = listenHost(true, null, false, f);
        if (fd >= 0) {
            return add(HOST, fd, true, f, isAuto);
        }
        if (!isAuto && (fd == -Errno.EADDRINUSE || fd == -Errno.EACCES)) {
            return 0;
        }
        int n = add(HOST, listenHost(false, null, false, f), false, f, isAuto);
        return n + add(HOST, listenHost(true, null, true, f), true, f, isAuto);
    }

    /** Inside the namespace: on its loopback addresses unless an address is given. */
    private int bindNs(Forward f, boolean isAuto) throws IOException {
        if (f.bindAddr() != null) {
            boolean fam6 = f.bindAddr() instanceof Inet6Address;
            return add(NS, listenNs(fam6, f.bindAddr().getAddress(), f), fam6, f, isAuto);
        }
        int n = add(NS, listenNs(false, new byte[] {127, 0, 0, 1}, f), false, f, isAuto);
        byte[] lo6 = new byte[16];
        lo6[15] = 1;
        return n + add(NS, listenNs(true, lo6, f), true, f, isAuto);
    }

    /** @return a listening host socket, or -errno */
    private int listenHost(boolean fam6, byte[] addr, boolean v6only, Forward f) {
        int fd = Sys.socket(fam6 ? Linux.AF_INET6 : Linux.AF_INET, sockType, 0);
        if (fd < 0) {
            lastError = -fd;
            return fd;
        }
        Sys.setsockoptInt(fd, Linux.SOL_SOCKET, Linux.SO_REUSEADDR, 1);
        if (fam6) {
            Sys.setsockoptInt(fd, Linux.IPPROTO_IPV6, Linux.IPV6_V6ONLY, v6only ? 1 : 0);
        }
        if (freebind) {
            Sys.setsockoptInt(fd, fam6 ? Linux.SOL_IPV6 : Linux.IPPROTO_IP,
                    fam6 ? Linux.IPV6_FREEBIND : Linux.IP_FREEBIND, 1);
        }
        int rc = 0;
        if (f.bindIf() != null) {
            byte[] name = f.bindIf().getBytes(StandardCharsets.US_ASCII);
            ifname.clear();
            ifname.put(0, name).put(name.length, (byte) 0);
            rc = Sys.setsockopt(fd, Linux.SOL_SOCKET, Linux.SO_BINDTODEVICE, ifnameAddr, name.length + 1);
        }
        int len = SockAddrs.write(sa, fam6, addr, f.port());
        if (rc == 0) {
            rc = Sys.bind(fd, saAddr, len);
        }
        if (rc == 0 && udp == null) {
            rc = Sys.listen(fd, BACKLOG);
        }
        if (rc < 0) {
            Sys.close(fd);
            Log.debug("bind/listen port " + f.port() + (fam6 ? " (IPv6)" : " (IPv4)") + ": " + Errno.text(-rc));
            lastError = -rc;
            return rc;
        }
        return fd;
    }

    /** @return a listening socket inside the namespace, or -errno */
    private int listenNs(boolean fam6, byte[] addr, Forward f) throws IOException {
        int len = SockAddrs.write(sa, fam6, addr, f.port());
        byte[] bytes = new byte[len];
        sa.get(0, bytes);
        int flags = Nsd.SOCK_REUSEADDR | (fam6 ? Nsd.SOCK_V6ONLY : 0) | (freebind ? Nsd.SOCK_FREEBIND : 0);
        int[] out = new int[1];
        int rc = nsd.sockets(fam6 ? Linux.AF_INET6 : Linux.AF_INET, sockType, 0, 1, udp == null ? BACKLOG : 0, flags,
                bytes, out);
        if (rc < 0) {
            Log.debug("bind/listen port " + f.port() + " in namespace: " + Errno.text(-rc));
            lastError = -rc;
            return rc;
        }
        return out[0];
    }

    /** Adds listening socket {@code fd} to the table and the epoll set. @return 1, or 0 if {@code fd} is -errno */
    private int add(int side, int fd, boolean fam6, Forward f, boolean isAuto) throws IOException {
        if (fd < 0) {
            return 0;
        }
        if (udp != null) {
            SysUdpSocks.buffers(fd);
        }
        int i = 0;
        while (i < count && lfd[i] >= 0) {
            i++;
        }
        if (i == lfd.length) {
            grow(lfd.length * 2);
        }
        lfd[i] = fd;
        where[i] = side;
        lport[i] = f.port();
        target[i] = f.targetPort();
        auto[i] = isAuto;
        v6[i] = fam6;
        fwd[i] = f;
        count = Math.max(count, i + 1);
        bound[side][f.port() >>> 6] |= 1L << f.port();
        int rc = ep.add(fd, Linux.EPOLLIN, udp == null ? Epoll.T_SPLICE_LISTEN : Epoll.T_UDP_LISTEN, i);
        if (rc < 0) {
            close(i);
            throw Errno.io("epoll_ctl", rc);
        }
        return 1;
    }

    private void grow(int n) {
        lfd = Arrays.copyOf(lfd, n);
        where = Arrays.copyOf(where, n);
        lport = Arrays.copyOf(lport, n);
        target = Arrays.copyOf(target, n);
        auto = Arrays.copyOf(auto, n);
        v6 = Arrays.copyOf(v6, n);
        fwd = Arrays.copyOf(fwd, n);
    }

    /** Closes listener {@code i} (its port stays in {@link #bound} until {@link #rebound}). */
    void close(int i) {
        if (lfd[i] >= 0) {
            if (udp != null) {
                udp.closed(lfd[i]);
            }
            Sys.close(lfd[i]);
            lfd[i] = -1;
        }
    }

    /** Closes every listener. */
    void closeAll() {
        for (int i = 0; i < count; i++) {
            close(i);
        }
    }

    /** Closes the {@code auto} listeners of {@code side} on {@code port}, and forgets the port there. */
    void closeAuto(int side, int port) {
        for (int i = 0; i < count; i++) {
            if (auto[i] && where[i] == side && lport[i] == port && lfd[i] >= 0) {
                close(i);
            }
        }
        bound[side][port >>> 6] &= ~(1L << port);
    }

    /** Recomputes the ports where {@code side} listens from its open listeners. */
    void rebound(int side) {
        Arrays.fill(bound[side], 0);
        for (int i = 0; i < count; i++) {
            if (lfd[i] >= 0 && where[i] == side) {
                bound[side][lport[i] >>> 6] |= 1L << lport[i];
            }
        }
    }

    /** @return the ports of the open listeners of {@code side}, for tests and logs */
    List<Integer> ports(int side) {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (lfd[i] >= 0 && where[i] == side) {
                l.add(lport[i]);
            }
        }
        return l;
    }
}
