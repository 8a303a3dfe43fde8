package io.jpasta.launcher;

import io.jpasta.netns.Nsd;
import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;
import io.jpasta.splice.SocketPool;
import io.jpasta.splice.Splice;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.flow.Pif;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static io.jpasta.launcher.ListenerTable.HOST;
import static io.jpasta.launcher.ListenerTable.NS;

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
 * <p>The sockets themselves are in a {@link ListenerTable} (epoll: {@link Epoll#T_SPLICE_LISTEN} or
 * {@link Epoll#T_UDP_LISTEN} with the listener's number as index), {@code auto} is an {@link AutoScan}
 * ({@link Epoll#T_AUTO_SCAN}); this class decides what is bound ({@link #start}, {@link #replace} for pesto) and
 * what an accepted connection becomes.
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
     * @param explicit   true for ports named in the spec: if one cannot be bound, pasta fails at start (and
     *                   pesto's change logs it); a port of an exclude-only spec is logged and skipped, and fails the
     *                   start only with every other port of its range; {@code auto} takes what it gets
     */
    public record Forward(InetAddress bindAddr, String bindIf, int port, int targetPort, boolean explicit) {
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
            return new Forward(bindAddr, bindIf, port, to + port - first, false);
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

    /** Connections accepted per listener event before giving other events a turn (level-triggered: we return). */
    static final int ACCEPT_BATCH = 64;
    private static final int SOCK_TYPE = Linux.SOCK_STREAM | Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC;

    private final Splice splice;
    private final SocketPool nsPool;
    private final ListenerTable table;
    private final AutoScan scan;
    private Ports toNs, fromNs;
    /** The UDP engine, for an instance of UDP listeners; null for TCP. */
    private final UdpPath udp;
    private TapPath tapPath;
    private boolean noSplice;
    private boolean stopped;

    private final ByteBuffer sa = Sys.buffer(SockAddrs.SOCKADDR_MAX), saLen = Sys.buffer(8);
    private final long saAddr = Sys.address(sa), saLenAddr = Sys.address(saLen);

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
        this.splice = splice;
        this.udp = udp;
        this.toNs = toNs;
        this.fromNs = fromNs;
        this.table = new ListenerTable(nsd, ep, udp, freebind);
        this.scan = new AutoScan(nsd, ep, table);
        scan.ranges(HOST, toNs.scans());
        scan.ranges(NS, fromNs.scans());
        int type = table.sockType();
        this.nsPool = new SocketPool((fam6, count, out) -> nsd.sockets(fam6 ? Linux.AF_INET6 : Linux.AF_INET,
                type, 0, count, 0, 0, null, out));
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
     * Binds every configured listener and, for {@code auto}, starts the scans.
     *
     * @throws IOException {@code Couldn't listen on requested ports} when an explicitly given port cannot be bound,
     *                     after logging which, as pasta does ({@code Listen failed for HOST TCP port * /22: Address
     *                     already in use}; the caller exits 1), or any port for want of descriptors, or every port
     *                     of a range of an exclude-only spec ({@link #requireOne}), or when the set-up itself fails
     */
    public void start() throws IOException {
        reserveFd = reserve();
        for (int side = HOST; side <= NS; side++) {
            Forward first = null, prev = null;
            int bound = 0;
            for (Forward f : (side == HOST ? toNs : fromNs).forwards()) {
                if (!f.explicit() && (prev == null || !continues(prev, f))) {
                    requireOne(side, first, prev, bound);
                    first = f;
                    bound = 0;
                }
                int n = table.bind(side, f, false);
                if (n == 0 && (f.explicit() || outOfDescriptors())) {
                    Log.err(listenFailed(side, f));
                    throw new IOException("Couldn't listen on requested ports");
                }
                if (!f.explicit()) {
                    if (n == 0) {
                        Log.warn(listenFailed(side, f));
                    }
                    bound += n;
                    prev = f;
                }
            }
            requireOne(side, first, prev, bound);
        }
        if (toNs.auto() || fromNs.auto()) {
            scan.start();
            scan.scan();
        }
    }

    /**
     * A range of an exclude-only spec ({@code -t ~80} is 1-79 and 81-65535) is best effort port by port, but as in
     * pasta 2026 not one of its ports bound fails the start: {@code All listens failed for HOST TCP * /1-79}.
     *
     * @param first first forward of the range, null if there was none
     * @param last  its last forward
     * @param bound sockets bound for the range
     */
    private void requireOne(int side, Forward first, Forward last, int bound) throws IOException {
        if (first != null && bound == 0) {
            Log.err("All listens failed for " + (side == NS ? "SPLICE" : "HOST") + (udp == null ? " TCP " : " UDP ")
                    + where(first) + "/" + first.port() + "-" + last.port());
            throw new IOException("Couldn't listen on requested ports");
        }
    }

    /** @return true if {@code f} is the port after {@code prev} in the same range (address, interface, mapping) */
    private static boolean continues(Forward prev, Forward f) {
        return f.port() == prev.port() + 1 && f.targetPort() - f.port() == prev.targetPort() - prev.port()
                && Objects.equals(f.bindAddr(), prev.bindAddr()) && Objects.equals(f.bindIf(), prev.bindIf());
    }

    /**
     * @return true if the last bind failed for want of descriptors: a spec of more ports than the descriptor limit
     *         allows ({@code -t ~80} is 65534 ports) fails at start, with the port it stopped at, instead of running
     *         on with no descriptor left for the timers, flows and splices that follow
     */
    private boolean outOfDescriptors() {
        return table.lastError() == Errno.EMFILE || table.lastError() == Errno.ENFILE;
    }

    /**
     * Replaces the forwards of one side while running (pesto, issue 16): closes the listeners no longer asked for,
     * binds the new ones at once (the namespace's through nsd), keeps those asked for again, and has {@code auto}
     * follow the new ranges from now on. Connections and flows already open are not touched. Ports that cannot be
     * bound are logged and skipped.
     *
     * @param ns true for the namespace's listeners ({@code -T}/{@code -U}), false for the host's
     */
    public void replace(boolean ns, Ports ports) {
        int side = ns ? NS : HOST;
        if (ns) {
            fromNs = ports;
        } else {
            toNs = ports;
        }
        scan.ranges(side, ports.scans());
        Map<Forward, Forward> wanted = new LinkedHashMap<>(); // socket key -> forward
        for (Forward f : ports.forwards()) {
            wanted.putIfAbsent(key(f), f);
        }
        Set<Forward> kept = closeUnwanted(side, wanted);
        if (stopped) {
            return;
        }
        for (Map.Entry<Forward, Forward> e : wanted.entrySet()) {
            if (!kept.contains(e.getKey())) {
                bindLogged(side, e.getValue());
            }
        }
        try {
            scan.start();
        } catch (IOException e) {
            Log.warn("auto: " + e.getMessage());
        }
        scan.scan();
        if (side == HOST && (!ports.forwards().isEmpty() || ports.auto())) {
            nsPool.refillIfLow();
        }
    }

    /**
     * Closes the listeners of {@code side} that neither {@code wanted} nor the new {@code auto} ranges ask for.
     *
     * @return the keys of the explicit listeners kept
     */
    private Set<Forward> closeUnwanted(int side, Map<Forward, Forward> wanted) {
        Set<Forward> kept = new HashSet<>();
        for (int i = 0; i < table.count(); i++) {
            if (table.fd(i) < 0 || table.side(i) != side) {
                continue;
            }
            Forward k = key(table.forward(i));
            boolean isAuto = table.isAuto(i);
            Forward scanned = isAuto ? scan.forward(side, table.port(i)) : null;
            if (isAuto ? scanned == null || !k.equals(key(scanned)) : !wanted.containsKey(k)) {
                table.close(i);
                if (isAuto) {
                    scan.forget(side, table.port(i));
                }
            } else if (!isAuto) {
                kept.add(k);
            }
        }
        table.rebound(side);
        return kept;
    }

    /** Binds {@code f}; an explicit port that cannot be bound is logged as pasta logs it. */
    private void bindLogged(int side, Forward f) {
        int n;
        try {
            n = table.bind(side, f, false);
        } catch (IOException ex) {
            n = 0;
        }
        if (n == 0 && f.explicit()) {
            Log.warn(listenFailed(side, f));
        }
    }

    /** @return pasta's line for a port that cannot be bound: {@code Listen failed for HOST TCP port *%eth0/22: ...} */
    private String listenFailed(int side, Forward f) {
        return "Listen failed for " + (side == NS ? "SPLICE" : "HOST") + (udp == null ? " TCP" : " UDP") + " port "
                + where(f) + "/" + f.port() + ": " + Errno.text(table.lastError());
    }

    /** @return the address and interface of {@code f} as pasta writes them: {@code *}, {@code *%eth0}, an address */
    private static String where(Forward f) {
        return (f.bindAddr() == null ? "*" : Log.addr(f.bindAddr())) + (f.bindIf() == null ? "" : "%" + f.bindIf());
    }

    /** @return {@code f} reduced to what its socket depends on: address, interface, port and target */
    private static Forward key(Forward f) {
        return new Forward(f.bindAddr(), f.bindIf(), f.port(), f.targetPort(), false);
    }

    /** Closes every listener and stops the scans: connections already spliced go on. */
    public void stopAccepting() {
        stopped = true;
        table.closeAll();
        scan.stop();
    }

    /** @return the splice engine of TCP listeners (null for UDP) */
    public Splice splice() {
        return splice;
    }

    /** @return true while spliced connections still have data to move or closes to finish (UDP: never) */
    public boolean busy() {
        return splice != null && splice.busy();
    }

    /** Handles events on listener {@code index} (registration fd {@code fd}): accepts and splices. */
    public void onListen(int index, int fd, int ev) {
        if (index >= table.count() || table.fd(index) != fd || stopped) {
            return;
        }
        boolean fromHost = table.side(index) == HOST;
        if (udp != null) {
            udp.datagrams(fd, !fromHost, table.v6(index), table.port(index), table.target(index));
            return;
        }
        for (int k = 0; k < ACCEPT_BATCH; k++) {
            saLen.putInt(0, SockAddrs.SOCKADDR_MAX);
            int a = Sys.accept4(fd, saAddr, saLenAddr, Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC);
            if ((a == -Errno.EMFILE || a == -Errno.ENFILE) && shed(fd, index, a)) {
                continue;
            }
            if (a < 0) {
                if (a != -Errno.EAGAIN) {
                    acceptErrors++;
                    Log.debug("accept on port " + table.port(index) + ": " + Errno.text(-a));
                }
                break;
            }
            accepted++;
            shedLogged = false;
            if (fromHost && tapPath != null && (noSplice || !SockAddrs.loopback(sa))
                    && tapPath.accepted(a, sa, table.target(index))) {
                continue;
            }
            spliceAccepted(a, index, fromHost);
        }
        if (fromHost) {
            nsPool.refillIfLow();
        }
    }

    /** Splices accepted socket {@code a} to the other side's loopback at the listener's target port. */
    private void spliceAccepted(int a, int index, boolean fromHost) {
        if (!splice.admit(a)) {
            return; // the flow table is full: reset, counted and logged by splice
        }
        boolean v6 = sa.getShort(0) == Linux.AF_INET6 && !SockAddrs.v4Mapped(sa);
        int t = fromHost ? nsPool.take(v6) : Sys.socket(v6 ? Linux.AF_INET6 : Linux.AF_INET, SOCK_TYPE, 0);
        if (t < 0) {
            splice.refuse(a);
            return;
        }
        boolean in4 = sa.getShort(0) == Linux.AF_INET;
        long peerHi = in4 ? Inany.V4_HI : SockAddrs.be64(sa, 8);
        long peerLo = in4 ? Inany.v4Lo(SockAddrs.be32(sa, 4)) : SockAddrs.be64(sa, 16);
        splice.open(a, t, v6, table.target(index), fromHost ? Pif.HOST : Pif.SPLICE, peerHi, peerLo,
                SockAddrs.port(sa), table.port(index));
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
            Log.warn("accept on port " + table.port(index) + ": " + Errno.text(-err)
                    + ", resetting new connections");
        }
        return a >= 0;
    }

    private static int reserve() {
        int r = Sys.socket(Linux.AF_INET, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, 0);
        return r < 0 ? -1 : r;
    }

    /** @return the epoll index of this instance's {@code auto} timer: 0 for TCP, 1 for UDP */
    int scanIndex() {
        return scan.index();
    }

    /** Handles the one-second timer of {@code auto}. */
    public void onScanTimer() {
        scan.onTimer();
    }

    /** @return the ports of the listeners on the host ({@code -t}) or in the namespace, for tests and logs */
    List<Integer> ports(boolean host) {
        return table.ports(host ? HOST : NS);
    }
}
