package io.jpasta.launcher;

import io.jpasta.netns.Nsd;
import io.jpasta.netns.SockDiag;
import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;
import io.jpasta.splice.SocketPool;
import io.jpasta.splice.Splice;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.flow.Pif;
import io.jpasta.udp.SysUdpSocks;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Port forwarding listeners: {@code -t}/{@code -u} listeners on the host (our own sockets), {@code -T}/{@code -U}
 * listeners inside the namespace on its loopback addresses (sockets made by jpasta-nsd), and the {@code auto} mode
 * that follows, every second, the ports listening (TCP) or bound unconnected (UDP) on the other side. One instance
 * per protocol: TCP listeners accept and splice (below); UDP listeners hand their datagrams to the UDP engine
 * ({@link UdpPath}), which keeps flows per peer.
 *
 * <p>A connection accepted on a {@code -t} listener from a loopback address, and every connection accepted on a
 * {@code -T} listener, is spliced ({@link Splice}) to the loopback address of the other side at the target port:
 * for {@code -t} with a socket from the pool of namespace sockets ({@link SocketPool}), for {@code -T} with a host
 * socket made on the spot. Non-loopback clients of {@code -t} go to {@link TapPath} when one is plugged in (the tap
 * path of the TCP module), and are spliced as well until then.
 *
 * <p>Epoll registrations: {@link Epoll#T_SPLICE_LISTEN} with the listener's number as index,
 * {@link Epoll#T_AUTO_SCAN} for the one-second timer of {@code auto}.
 */
public final class Listeners {
    /**
     * One forwarded port.
     *
     * @param bindAddr   address to bind the listener to, null for any (dual-stack on the host, the namespace's
     *                   127.0.0.1 and ::1 for {@code -T})
     * @param bindIf     interface to bind to (SO_BINDTODEVICE), or null
     * @param port       listening port
     * @param targetPort port connected on the other side
     * @param explicit   true for ports named in the spec: if none of a spec's explicit ports can be bound, pasta
     *                   fails; ports from {@code all} or exclude-only specs are best effort
     * @param spec       the option as the user gave it ({@code "-t 22"}), for the error message
     */
    public record Forward(InetAddress bindAddr, String bindIf, int port, int targetPort, boolean explicit,
                          String spec) {
    }

    /**
     * A range of ports {@code auto} follows: each port of it is forwarded while something listens on it on the
     * other side.
     *
     * @param first    first port
     * @param last     last port
     * @param bindAddr as for {@link Forward}
     * @param bindIf   as for {@link Forward}
     * @param to       target port of {@code first}; port p goes to {@code to + p - first}
     */
    public record Scan(int first, int last, InetAddress bindAddr, String bindIf, int to) {
        Forward forward(int port) {
            return new Forward(bindAddr, bindIf, port, to + port - first, false, "auto");
        }
    }

    /** The forwards of one direction, and the ranges where {@code auto} follows the other side's listening ports. */
    public record Ports(List<Forward> forwards, List<Scan> scans) {
        public static final Ports NONE = new Ports(List.of(), List.of());

        /** @return true if {@code auto} follows some ports */
        public boolean auto() {
            return !scans.isEmpty();
        }
    }

    /** Where UDP listeners' datagrams go: the UDP engine. */
    public interface UdpPath {
        /**
         * Datagrams are waiting on a listener.
         *
         * @param inNs   true for a listener inside the namespace ({@code -U})
         * @param v6     true for an IPv6 (possibly dual-stack) socket
         * @param port   the listener's port
         * @param target the port the datagrams go to on the other side
         */
        void datagrams(int fd, boolean inNs, boolean v6, int port, int target);

        /** The listener with socket {@code fd} is closed: its flows end. */
        void closed(int fd);
    }

    /** Hand-off of a non-loopback client to the tap path. */
    public interface TapPath {
        /**
         * @param fd         the accepted socket, now owned by the tap path when this returns true
         * @param peer       the peer's struct sockaddr (sockaddr_in or sockaddr_in6), valid during the call
         * @param targetPort the port in the namespace
         * @return true if taken, false to splice it instead
         */
        boolean accepted(int fd, ByteBuffer peer, int targetPort);
    }

    static final int BACKLOG = 4096;
    /** Connections accepted per listener event before giving other events a turn (level-triggered: we return). */
    static final int ACCEPT_BATCH = 64;
    static final long SCAN_INTERVAL_NS = 1_000_000_000L;
    private static final int HOST = 0, NS = 1;
    private static final int SOCKADDR_IN_LEN = 16, SOCKADDR_IN6_LEN = 28, SOCKADDR_MAX = 128;
    private static final int SOCK_TYPE = Linux.SOCK_STREAM | Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC;
    private static final int UDP_TYPE = Linux.SOCK_DGRAM | Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC;

    private final Nsd nsd;
    private final Epoll ep;
    private final Splice splice;
    private final SocketPool nsPool;
    private Ports toNs, fromNs;
    private final boolean freebind;
    /** The UDP engine, for an instance of UDP listeners; null for TCP. */
    private final UdpPath udp;
    private final int sockType;
    private TapPath tapPath;
    private boolean noSplice;

    // the listener table, indexed by the epoll index
    private int[] lfd = new int[16], where = new int[16], lport = new int[16], target = new int[16];
    private boolean[] auto = new boolean[16], v6 = new boolean[16];
    /** What each listener was bound for: a forward asked for again keeps its socket. */
    private Forward[] fwd = new Forward[16];
    private int listeners;
    /** Ports where we listen, by side: never forward a port back to a listener of our own. */
    private final long[][] bound = {new long[1024], new long[1024]};
    /** Ports listened to by auto listeners, by side. */
    private final long[][] autoBound = {new long[1024], new long[1024]};
    private final long[] seen = new long[1024];
    /** Ports {@code auto} may forward, by side: the union of that side's scan ranges. */
    private final long[][] scanMask = {new long[1024], new long[1024]};

    private final ByteBuffer sa = Sys.buffer(SOCKADDR_MAX), saLen = Sys.buffer(8), peer = Sys.buffer(SOCKADDR_MAX);
    private final long saAddr = Sys.address(sa), saLenAddr = Sys.address(saLen), peerAddr = Sys.address(peer);
    private final ByteBuffer word = Sys.buffer(8);
    private int timerFd = -1;
    /** Listening-port queries (sock_diag) of the namespace (for -t auto) and of the host (for -T auto), or null. */
    private SockDiag nsDiag, hostDiag;
    private boolean stopped;

    /** Counters, for statistics and tests. */
    public long accepted, acceptErrors, shed;

    /**
     * A descriptor kept in reserve for running out of them. The listeners are level-triggered, so a client left in
     * the backlog because accept4 failed with EMFILE or ENFILE would be reported again at once and the loop would
     * spin; instead we give up the reserve, accept the client, reset it, and take the reserve back.
     */
    private int reserveFd = -1;
    private boolean shedLogged;

    /**
     * @param toNs     {@code -t}: host listeners forwarding into the namespace
     * @param fromNs   {@code -T}: namespace listeners forwarding to the host
     * @param freebind {@code --freebind}: bind addresses that are not (yet) local
     */
    public Listeners(Nsd nsd, Epoll ep, Splice splice, Ports toNs, Ports fromNs, boolean freebind) {
        this(nsd, ep, splice, null, toNs, fromNs, freebind);
    }

    /** UDP listeners ({@code -u}, {@code -U}): their datagrams go to {@code udp}. */
    public static Listeners udp(Nsd nsd, Epoll ep, UdpPath udp, Ports toNs, Ports fromNs, boolean freebind) {
        return new Listeners(nsd, ep, null, udp, toNs, fromNs, freebind);
    }

    private Listeners(Nsd nsd, Epoll ep, Splice splice, UdpPath udp, Ports toNs, Ports fromNs, boolean freebind) {
        this.nsd = nsd;
        this.ep = ep;
        this.splice = splice;
        this.udp = udp;
        this.sockType = udp == null ? SOCK_TYPE : UDP_TYPE;
        this.toNs = toNs;
        this.fromNs = fromNs;
        this.freebind = freebind;
        mask(HOST, toNs);
        mask(NS, fromNs);
        this.nsPool = new SocketPool((fam6, count, out) -> nsd.sockets(fam6 ? Linux.AF_INET6 : Linux.AF_INET,
                sockType, 0, count, 0, 0, null, out));
    }

    /** @return a socket of the namespace from the pool (UDP: the far side of spliced flows), or -1 */
    public int nsSocket(boolean fam6) {
        return nsPool.take(fam6);
    }

    /** Plugs in the tap path for non-loopback clients of {@code -t} listeners. */
    public void tapPath(TapPath path) {
        this.tapPath = path;
    }

    /** {@code --no-splice}: loopback clients of {@code -t} ports take the tap path too. */
    public void noSplice() {
        this.noSplice = true;
    }

    /**
     * Fills the pools of namespace sockets and pipes that accepting takes from, so that a new connection costs no
     * round trip to nsd. Not part of {@link #start()}: the ports are bound without it, and its 64 sockets and 16
     * pipes are better made while the command is already running.
     */
    public void fillPools() throws IOException {
        if (!toNs.forwards().isEmpty() || toNs.auto()) {
            nsPool.refillIfLow();
        }
        if (any() && splice != null) {
            splice.prefillPipes(16);
        }
    }

    /** @return true if there is anything to do: forwards, or auto in either direction */
    public boolean any() {
        return !toNs.forwards().isEmpty() || !fromNs.forwards().isEmpty() || toNs.auto() || fromNs.auto();
    }

    /**
     * Binds every configured listener, fills the pools and, for {@code auto}, starts the scans.
     *
     * @throws IOException "Failed to bind any port for '-t 22', exiting" when no port of a spec with explicit ports
     *                     could be bound (pasta's message; the caller exits 1), or when the set-up itself fails
     */
    public void start() throws IOException {
        reserveFd = reserve();
        Map<String, int[]> specs = new LinkedHashMap<>(); // spec -> {explicit ports, bound sockets}
        for (int side = HOST; side <= NS; side++) {
            for (Forward f : (side == HOST ? toNs : fromNs).forwards()) {
                int n = side == HOST ? bindHost(f, false) : bindNs(f, false);
                if (f.explicit()) {
                    int[] s = specs.computeIfAbsent(f.spec(), k -> new int[2]);
                    s[0]++;
                    s[1] += n;
                }
            }
        }
        for (Map.Entry<String, int[]> e : specs.entrySet()) {
            if (e.getValue()[1] == 0) {
                throw new IOException("Failed to bind any port for '" + e.getKey() + "', exiting");
            }
        }
        if (toNs.auto() || fromNs.auto()) {
            startScans();
            scan();
        }
    }

    /** Opens what the {@code auto} ranges need and has not got yet: listening-port queries and the timer. */
    private void startScans() throws IOException {
        int proto = udp == null ? Linux.IPPROTO_TCP : Linux.IPPROTO_UDP;
        if (toNs.auto() && nsDiag == null) {
            int fd = nsd.netlink(SockDiag.NETLINK_SOCK_DIAG);
            nsDiag = new SockDiag(fd, proto);
        }
        if (fromNs.auto() && hostDiag == null) {
            hostDiag = SockDiag.open(proto);
        }
        if ((toNs.auto() || fromNs.auto()) && timerFd < 0) {
            timerFd = (int) Errno.check("timerfd_create", Sys.timerfdCreate());
            Errno.check("timerfd_settime", Sys.timerfdSet(timerFd, SCAN_INTERVAL_NS, SCAN_INTERVAL_NS));
            Errno.check("epoll_ctl", ep.add(timerFd, Linux.EPOLLIN, Epoll.T_AUTO_SCAN, scanIndex()));
        }
    }

    /**
     * Replaces the TCP forwards of one side while running (pesto, issue 16): closes the listeners no longer asked
     * for, binds the new ones at once (the namespace's through nsd), keeps those asked for again, and has
     * {@code auto} follow the new ranges from now on. Connections already accepted are not touched. Ports that
     * cannot be bound are logged and skipped.
     *
     * @param ns true for the namespace's listeners ({@code -T}), false for the host's ({@code -t})
     */
    public void replace(boolean ns, Ports ports) {
        int side = ns ? NS : HOST;
        if (ns) {
            fromNs = ports;
        } else {
            toNs = ports;
        }
        mask(side, ports);
        Map<Forward, Forward> wanted = new LinkedHashMap<>(); // socket key -> forward
        for (Forward f : ports.forwards()) {
            wanted.putIfAbsent(key(f), f);
        }
        Set<Forward> kept = new HashSet<>();
        for (int i = 0; i < listeners; i++) {
            if (lfd[i] < 0 || where[i] != side) {
                continue;
            }
            Forward k = key(fwd[i]);
            if (auto[i] ? !k.equals(scanKey(side, lport[i])) : !wanted.containsKey(k)) {
                close(i);
                if (auto[i]) {
                    autoBound[side][lport[i] >>> 6] &= ~(1L << lport[i]);
                }
            } else if (!auto[i]) {
                kept.add(k);
            }
        }
        rebound(side);
        if (stopped) {
            return;
        }
        for (Map.Entry<Forward, Forward> e : wanted.entrySet()) {
            if (kept.contains(e.getKey())) {
                continue;
            }
            Forward f = e.getValue();
            int n;
            try {
                n = side == HOST ? bindHost(f, false) : bindNs(f, false);
            } catch (IOException ex) {
                n = 0;
            }
            if (n == 0 && f.explicit()) {
                Log.warn("Listen failed for " + (ns ? "SPLICE" : "HOST") + (udp == null ? " TCP" : " UDP") + " port "
                        + (f.bindAddr() == null ? "*" : Log.addr(f.bindAddr()))
                        + (f.bindIf() == null ? "" : "%" + f.bindIf()) + "/" + f.port());
            }
        }
        try {
            startScans();
        } catch (IOException e) {
            Log.warn("auto: " + e.getMessage());
        }
        scan();
        if (side == HOST && (!ports.forwards().isEmpty() || ports.auto())) {
            nsPool.refillIfLow();
        }
    }

    /** @return {@code f} reduced to what its socket depends on: address, interface, port and target */
    private static Forward key(Forward f) {
        return new Forward(f.bindAddr(), f.bindIf(), f.port(), f.targetPort(), false, "");
    }

    /** @return the key of the forward {@code auto} makes for {@code port} on {@code side}, null if none */
    private Forward scanKey(int side, int port) {
        Forward f = scanForward(side, port);
        return f == null ? null : key(f);
    }

    /** @return the forward {@code auto} makes for {@code port} on {@code side}: from the first range with it */
    private Forward scanForward(int side, int port) {
        for (Scan s : (side == HOST ? toNs : fromNs).scans()) {
            if (port >= s.first() && port <= s.last()) {
                return s.forward(port);
            }
        }
        return null;
    }

    /** Sets the ports {@code auto} may forward on {@code side} from the ranges of {@code ports}. */
    private void mask(int side, Ports ports) {
        long[] m = scanMask[side];
        Arrays.fill(m, 0);
        for (Scan s : ports.scans()) {
            for (int p = s.first(); p <= s.last(); p++) {
                m[p >>> 6] |= 1L << p;
            }
        }
    }

    /** Recomputes the ports where {@code side} listens from its open listeners. */
    private void rebound(int side) {
        Arrays.fill(bound[side], 0);
        for (int i = 0; i < listeners; i++) {
            if (lfd[i] >= 0 && where[i] == side) {
                bound[side][lport[i] >>> 6] |= 1L << lport[i];
            }
        }
    }

    /** Closes every listener and stops the scans: connections already spliced go on. */
    public void stopAccepting() {
        stopped = true;
        for (int i = 0; i < listeners; i++) {
            close(i);
        }
        if (timerFd >= 0) {
            Sys.close(timerFd);
            timerFd = -1;
        }
    }

    /** @return true while spliced connections still have data to move or closes to finish (UDP: never) */
    public boolean busy() {
        return splice != null && splice.busy();
    }

    /** Handles events on listener {@code index} (registration fd {@code fd}): accepts and splices. */
    public void onListen(int index, int fd, int ev) {
        if (index >= listeners || lfd[index] != fd || stopped) {
            return;
        }
        if (udp != null) {
            udp.datagrams(fd, where[index] == NS, v6[index], lport[index], target[index]);
            return;
        }
        for (int k = 0; k < ACCEPT_BATCH; k++) {
            saLen.putInt(0, SOCKADDR_MAX);
            int a = Sys.accept4(fd, saAddr, saLenAddr, Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC);
            if ((a == -Errno.EMFILE || a == -Errno.ENFILE) && shed(fd, index, a)) {
                continue;
            }
            if (a < 0) {
                if (a != -Errno.EAGAIN) {
                    acceptErrors++;
                    Log.debug("accept on port " + lport[index] + ": " + Errno.text(-a));
                }
                break;
            }
            accepted++;
            shedLogged = false;
            boolean v6 = sa.getShort(0) == Linux.AF_INET6 && !v4Mapped(sa);
            if (where[index] == HOST && tapPath != null && (noSplice || !loopback(sa))) {
                if (tapPath.accepted(a, sa, target[index])) {
                    continue;
                }
            }
            if (!splice.admit(a)) {
                continue; // the flow table is full: reset, counted and logged by splice
            }
            int t = where[index] == HOST ? nsPool.take(v6)
                    : Sys.socket(v6 ? Linux.AF_INET6 : Linux.AF_INET, SOCK_TYPE, 0);
            if (t < 0) {
                splice.refuse(a);
                continue;
            }
            boolean in4 = sa.getShort(0) == Linux.AF_INET;
            long peerHi = in4 ? Inany.V4_HI : be64(sa, 8);
            long peerLo = in4 ? Inany.v4Lo(be32(sa, 4)) : be64(sa, 16);
            splice.open(a, t, v6, target[index], where[index] == HOST ? Pif.HOST : Pif.SPLICE, peerHi, peerLo,
                    Short.toUnsignedInt(be16(sa, 2)), lport[index]);
        }
        if (where[index] == HOST) {
            nsPool.refillIfLow();
        }
    }

    /**
     * Out of descriptors ({@code err}): resets the client waiting on listener {@code fd} through the reserve
     * descriptor. @return true if one client was shed, false if there is no reserve to use
     */
    private boolean shed(int fd, int index, int err) {
        if (reserveFd < 0) {
            return false;
        }
        Sys.close(reserveFd);
        reserveFd = -1;
        int a = Sys.accept4(fd, 0, 0, Linux.SOCK_CLOEXEC);
        if (a >= 0) {
            splice.refuse(a); // closed with a RST: the client learns at once
            shed++;
        }
        reserveFd = reserve();
        if (!shedLogged) {
            shedLogged = true;
            Log.warn("accept on port " + lport[index] + ": " + Errno.text(-err) + ", resetting new connections");
        }
        return a >= 0;
    }

    private static int reserve() {
        int r = Sys.socket(Linux.AF_INET, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, 0);
        return r < 0 ? -1 : r;
    }

    /** @return the epoll index of this instance's {@code auto} timer: 0 for TCP, 1 for UDP */
    int scanIndex() {
        return udp == null ? 0 : 1;
    }

    /** Handles the one-second timer of {@code auto}. */
    public void onScanTimer() {
        if (timerFd < 0) {
            return;
        }
        Sys.read(timerFd, Sys.address(word), 8);
        scan();
    }

    /** Follows the listening ports of the other side, for each direction with {@code auto}. */
    private void scan() {
        if (nsDiag != null) {
            follow(nsDiag, HOST, NS);
        }
        if (hostDiag != null) {
            follow(hostDiag, NS, HOST);
        }
    }

    /**
     * Makes the auto listeners on side {@code side} match the ports listening on {@code other} (read from
     * {@code files}), leaving out ports where we listen there ourselves.
     */
    private void follow(SockDiag diag, int side, int other) {
        Arrays.fill(seen, 0);
        int rc = diag.listening(seen);
        if (rc < 0) {
            Log.debug("auto: listening ports of the " + (other == NS ? "namespace" : "host") + ": "
                    + Errno.text(-rc));
            return;
        }
        long[] ours = bound[other], mine = autoBound[side], allowed = scanMask[side];
        for (int w = 0; w < seen.length; w++) {
            long want = seen[w] & ~ours[w] & allowed[w];
            long have = mine[w];
            long add = want & ~have & ~bound[side][w], remove = have & ~want;
            for (long b = add; b != 0; b &= b - 1) {
                int port = w << 6 | Long.numberOfTrailingZeros(b);
                if (port == 0) {
                    continue;
                }
                Forward f = scanForward(side, port);
                if (f == null) {
                    continue;
                }
                int n;
                try {
                    n = side == HOST ? bindHost(f, true) : bindNs(f, true);
                } catch (IOException e) {
                    n = 0;
                }
                if (n > 0) {
                    mine[w] |= 1L << port;
                    Log.debug("auto: forwarding port " + port + (side == HOST ? " to namespace" : " to host"));
                }
            }
            for (long b = remove; b != 0; b &= b - 1) {
                int port = w << 6 | Long.numberOfTrailingZeros(b);
                for (int i = 0; i < listeners; i++) {
                    if (auto[i] && where[i] == side && lport[i] == port && lfd[i] >= 0) {
                        close(i);
                    }
                }
                mine[w] &= ~(1L << port);
                bound[side][w] &= ~(1L << port);
                Log.debug("auto: port " + port + " no longer forwarded");
            }
        }
    }

    /** Binds {@code f} on the host. @return sockets bound (0 if the port is busy) */
    private int bindHost(Forward f, boolean isAuto) throws IOException {
        if (f.bindAddr() != null) {
            boolean v6 = f.bindAddr() instanceof Inet6Address;
            return add(HOST, listenHost(v6, f.bindAddr().getAddress(), false, f), v6, f, isAuto);
        }
        // any address: one dual-stack socket; if that fails (one family busy or missing) each family alone
        int fd = listenHost(true, null, false, f);
        if (fd >= 0) {
            return add(HOST, fd, true, f, isAuto);
        }
        int n = add(HOST, listenHost(false, null, false, f), false, f, isAuto);
        return n + add(HOST, listenHost(true, null, true, f), true, f, isAuto);
    }

    /** Binds {@code f} inside the namespace, on its loopback addresses unless an address is given. */
    private int bindNs(Forward f, boolean isAuto) throws IOException {
        if (f.bindAddr() != null) {
            boolean v6 = f.bindAddr() instanceof Inet6Address;
            return add(NS, listenNs(v6, f.bindAddr().getAddress(), f), v6, f, isAuto);
        }
        int n = add(NS, listenNs(false, new byte[] {127, 0, 0, 1}, f), false, f, isAuto);
        byte[] lo6 = new byte[16];
        lo6[15] = 1;
        return n + add(NS, listenNs(true, lo6, f), true, f, isAuto);
    }

    /** @return a listening host socket, or -errno */
    private int listenHost(boolean v6, byte[] addr, boolean v6only, Forward f) {
        int fd = Sys.socket(v6 ? Linux.AF_INET6 : Linux.AF_INET, sockType, 0);
        if (fd < 0) {
            return fd;
        }
        Sys.setsockoptInt(fd, Linux.SOL_SOCKET, Linux.SO_REUSEADDR, 1);
        if (v6) {
            Sys.setsockoptInt(fd, Linux.IPPROTO_IPV6, Linux.IPV6_V6ONLY, v6only ? 1 : 0);
        }
        if (freebind) {
            Sys.setsockoptInt(fd, v6 ? Linux.SOL_IPV6 : Linux.IPPROTO_IP, v6 ? Linux.IPV6_FREEBIND : Linux.IP_FREEBIND,
                    1);
        }
        int rc = 0;
        if (f.bindIf() != null) {
            byte[] name = f.bindIf().getBytes(StandardCharsets.US_ASCII);
            peer.clear();
            peer.put(0, name).put(name.length, (byte) 0);
            rc = Sys.setsockopt(fd, Linux.SOL_SOCKET, Linux.SO_BINDTODEVICE, peerAddr, name.length + 1);
        }
        int len = sockaddr(sa, v6, addr, f.port());
        if (rc == 0) {
            rc = Sys.bind(fd, saAddr, len);
        }
        if (rc == 0 && udp == null) {
            rc = Sys.listen(fd, BACKLOG);
        }
        if (rc < 0) {
            Sys.close(fd);
            Log.debug("bind/listen port " + f.port() + (v6 ? " (IPv6)" : " (IPv4)") + ": " + Errno.text(-rc));
            return rc;
        }
        return fd;
    }

    /** @return a listening socket inside the namespace, or -errno */
    private int listenNs(boolean v6, byte[] addr, Forward f) throws IOException {
        int len = sockaddr(sa, v6, addr, f.port());
        byte[] bytes = new byte[len];
        sa.get(0, bytes);
        int flags = Nsd.SOCK_REUSEADDR | (v6 ? Nsd.SOCK_V6ONLY : 0) | (freebind ? Nsd.SOCK_FREEBIND : 0);
        int[] out = new int[1];
        int rc = nsd.sockets(v6 ? Linux.AF_INET6 : Linux.AF_INET, sockType, 0, 1, udp == null ? BACKLOG : 0, flags,
                bytes, out);
        if (rc < 0) {
            Log.debug("bind/listen port " + f.port() + " in namespace: " + Errno.text(-rc));
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
        while (i < listeners && lfd[i] >= 0) {
            i++;
        }
        if (i == lfd.length) {
            int n = lfd.length * 2;
            lfd = Arrays.copyOf(lfd, n);
            where = Arrays.copyOf(where, n);
            lport = Arrays.copyOf(lport, n);
            target = Arrays.copyOf(target, n);
            auto = Arrays.copyOf(auto, n);
            v6 = Arrays.copyOf(v6, n);
            fwd = Arrays.copyOf(fwd, n);
        }
        lfd[i] = fd;
        where[i] = side;
        lport[i] = f.port();
        target[i] = f.targetPort();
        auto[i] = isAuto;
        v6[i] = fam6;
        fwd[i] = f;
        listeners = Math.max(listeners, i + 1);
        bound[side][f.port() >>> 6] |= 1L << f.port();
        int rc = ep.add(fd, Linux.EPOLLIN, udp == null ? Epoll.T_SPLICE_LISTEN : Epoll.T_UDP_LISTEN, i);
        if (rc < 0) {
            close(i);
            throw Errno.io("epoll_ctl", rc);
        }
        return 1;
    }

    private void close(int i) {
        if (lfd[i] >= 0) {
            if (udp != null) {
                udp.closed(lfd[i]);
            }
            Sys.close(lfd[i]);
            lfd[i] = -1;
        }
    }

    /** @return the length of the struct sockaddr written to {@code b} for {@code addr} (null: any) and port */
    static int sockaddr(ByteBuffer b, boolean v6, byte[] addr, int port) {
        for (int i = 0; i < SOCKADDR_IN6_LEN; i++) {
            b.put(i, (byte) 0);
        }
        b.putShort(0, (short) (v6 ? Linux.AF_INET6 : Linux.AF_INET));
        b.put(2, (byte) (port >>> 8)).put(3, (byte) port);
        if (addr != null) {
            b.put(v6 ? 8 : 4, addr);
        }
        return v6 ? SOCKADDR_IN6_LEN : SOCKADDR_IN_LEN;
    }

    /** @return true if the struct sockaddr in {@code b} is a loopback address (127/8, ::1, ::ffff:127/104) */
    static boolean loopback(ByteBuffer b) {
        if (b.getShort(0) == Linux.AF_INET) {
            return b.get(4) == 127;
        }
        if (v4Mapped(b)) {
            return b.get(8 + 12) == 127;
        }
        for (int i = 0; i < 15; i++) {
            if (b.get(8 + i) != 0) {
                return false;
            }
        }
        return b.get(8 + 15) == 1;
    }

    // struct sockaddr fields are in network byte order; our buffers are in native order
    private static short be16(ByteBuffer b, int off) {
        short v = b.getShort(off);
        return b.order() == ByteOrder.BIG_ENDIAN ? v : Short.reverseBytes(v);
    }

    private static int be32(ByteBuffer b, int off) {
        int v = b.getInt(off);
        return b.order() == ByteOrder.BIG_ENDIAN ? v : Integer.reverseBytes(v);
    }

    private static long be64(ByteBuffer b, int off) {
        long v = b.getLong(off);
        return b.order() == ByteOrder.BIG_ENDIAN ? v : Long.reverseBytes(v);
    }

    /** @return true if the struct sockaddr_in6 in {@code b} holds an IPv4-mapped address (::ffff:a.b.c.d) */
    static boolean v4Mapped(ByteBuffer b) {
        if (b.getShort(0) != Linux.AF_INET6) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (b.get(8 + i) != 0) {
                return false;
            }
        }
        return b.get(8 + 10) == (byte) 0xff && b.get(8 + 11) == (byte) 0xff;
    }

    /** @return the ports of the listeners on the host ({@code -t}) or in the namespace, for tests and logs */
    List<Integer> ports(boolean host) {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < listeners; i++) {
            if (lfd[i] >= 0 && where[i] == (host ? HOST : NS)) {
                l.add(lport[i]);
            }
        }
        return l;
    }
}
