package io.jpasta.tcp;

import io.jpasta.netns.log.Counters;
import io.jpasta.netns.log.Log;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.TapFrame;
import io.jpasta.tap.TapHandler;
import io.jpasta.tap.TapSink;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.fwd.AddrMap;
import io.jpasta.tap.wire.Ipv4Header;
import io.jpasta.tap.wire.Ipv6Header;
import io.jpasta.tap.wire.TcpHeader;

import java.nio.ByteBuffer;

/**
 * The TCP engine between the tap and host sockets (see the package documentation for the theory of operation).
 * Pure: it takes the time as an argument, writes frames to a {@link TapSink} and reaches sockets only through
 * {@link TcpSocks}. Owned by the event loop thread.
 *
 * <p>The engine is four parts around the state they share (the flow table, {@link TcpConn}, the sockets): the
 * guest's side ({@link TcpTap}), the socket's side ({@link TcpSock}), time ({@link TcpTimers}) and the frames it
 * writes to the tap ({@link TcpEmitter}). This class holds them together, and what ends a connection.
 *
 * <p>Entry points, in the order the loop calls them: {@link #fromTap} for every TCP frame read from the tap,
 * {@link #flush} once after each burst of tap frames (coalesced writes to sockets, ACKs to the guest),
 * {@link #sockEvent} for readiness of a socket, {@link #timer} when {@link #nextDeadlineNs} passes.
 */
public final class Tcp implements TapHandler {
    /** Side of a flow facing the tap (side 1 faces the host socket). */
    static final int TAPSIDE = 0, SOCKSIDE = 1;
    /** MSS assumed when the guest's SYN has none (RFC 9293 §3.7.1). */
    static final int MSS_DEFAULT = 536;
    /** Window scale we announce: windows up to 16 MiB, as the seed. */
    static final int MAX_WS = 8;
    static final int MAX_WINDOW = 65535 << MAX_WS;
    /** Guest duplicate ACKs that trigger a fast retransmit (RFC 5681 §3.2). */
    static final int DUP_ACK_THRESHOLD = 3;
    static final long MS = 1_000_000L, S = 1_000_000_000L;
    /** Handshake with the guest must complete within this. */
    static final long SYN_TIMEOUT = 10 * S;
    /** First retransmission timeout toward the guest; doubled per retry. The tap has no real RTT. */
    static final long RTO_INITIAL = 200 * MS;
    /** Retransmissions without progress before the connection is reset. */
    static final int MAX_RETRANS = 7;
    /** A small window advertised to the guest is re-checked after this. */
    static final long ACK_INTERVAL = 10 * MS;
    /**
     * No activity on either side for this long resets the connection: no data, FIN or RST either way, no progress of
     * the guest's acknowledgment or window, no socket event. The guest's answers to our keepalives are not activity.
     */
    static final long ACT_TIMEOUT = 7200 * S;
    /**
     * An established connection whose guest sent nothing for this long, with nothing of ours unacknowledged, gets a
     * keepalive: an ACK one below our next sequence (RFC 9293 §3.8.4), which the guest must answer. A guest that
     * lost the connection (restarted, its socket gone) answers with a RST, which closes the host socket instead of
     * leaving it open until {@link #ACT_TIMEOUT}.
     */
    static final long KEEPALIVE_INTERVAL = 30 * S;
    /** Frames per read from a socket. */
    static final int FRAMES = 64;
    /** Data of a frame slot starts here: room for Ethernet, IPv6 and TCP headers with options before it. */
    static final int DATA_AT = 96;
    /** Bound on data kept per flow for a socket that did not take it yet. */
    static final int PEND_CAP = 1 << 20;
    /** Flow indices the per-connection arrays start with; they grow with the highest index in use. */
    static final int INITIAL_FLOWS = 256;

    private final FlowTable flows;
    private final TcpConn c;
    private final TcpSocks socks;
    private final long secret;
    private final int mtu;
    final TcpEmitter emit;
    final TcpTimers timers;
    final TcpTap tapSide;
    final TcpSock sockSide;

    /** Counted events ({@link #stats()}). */
    public static final int SEGS_FROM_TAP = 0, SEGS_TO_TAP = 1, BYTES_TO_SOCK = 2, BYTES_TO_TAP = 3, RETRANSMITS = 4,
            FAST_RETRANSMITS = 5, OUT_OF_ORDER = 6, HELD_BYTES = 7, RSTS_TO_TAP = 8, KEEPALIVES = 9,
            CONNECT_FAILED = 10;
    /** Drop reasons: a segment of no connection, one to an address or port no socket can take, a full table. */
    public static final int NO_FLOW = 0, BAD_ADDRESS = 1, TABLE_FULL = 2;
    private static final String[] COUNT_NAMES = {"segs-from-tap", "segs-to-tap", "bytes-to-sock", "bytes-to-tap",
        "retransmits", "fast-retransmits", "out-of-order", "held-bytes", "rsts-to-tap", "keepalives",
        "connect-failed"};
    private static final String[] REASON_NAMES = {"no flow", "bad address", "flow table full"};
    private final Counters stats = new Counters("tcp", COUNT_NAMES, REASON_NAMES);

    /**
     * @param conf tap configuration: our MAC, the guest's addresses, the gateway, the MTU
     * @param flows the flow table shared with the other protocols
     * @param map where connections the guest opens go on the host ({@code --map-host-loopback},
     *        {@code --map-guest-addr}, {@code --dns-forward})
     * @param secret key for initial sequence numbers (RFC 6528)
     */
    public Tcp(TapConf conf, FlowTable flows, TcpSocks socks, TapSink tap, AddrMap map, long secret) {
        this.flows = flows;
        this.socks = socks;
        this.secret = secret;
        this.mtu = conf.mtu() == 0 ? 65520 : conf.mtu();
        this.c = new TcpConn(INITIAL_FLOWS, flows.capacity());
        this.emit = new TcpEmitter(conf, tap, flows, c, stats);
        this.timers = new TcpTimers(this, c);
        this.tapSide = new TcpTap(this, c, flows, socks, map);
        this.sockSide = new TcpSock(this, c, flows, socks, map, mtu, conf.addr6(), guest4(conf));
    }

    private static int guest4(TapConf conf) {
        return conf.addr4() == null ? 0 : ByteBuffer.wrap(conf.addr4().getAddress()).getInt();
    }

    /**
     * The host changed (the launcher follows it): new inbound connections go to the guest's address of
     * {@code next}, and every flow whose host socket is bound to an address of {@code gone} is reset, toward the
     * guest (RST) and its peer: the host lost that address, so the connection could only hang until it timed out.
     * Flows on other addresses (loopback included) go on as they were.
     *
     * @param gone the addresses the host lost, as {@code Inany} halves
     * @return how many flows were reset
     */
    public int hostChanged(TapConf next, java.util.Set<AddrMap.Addr> gone) {
        sockSide.guestAddrs(next.addr6(), guest4(next));
        if (gone.isEmpty()) {
            return 0;
        }
        long[] local = new long[2];
        int reset = 0;
        for (int i = timers.count() - 1; i >= 0; i--) { // rst() moves the last listed flow into the freed place
            int f = timers.at(i);
            int fd = c.fd.v[f];
            if (fd >= 0 && socks.localAddress(fd, local) == 0 && gone.contains(new AddrMap.Addr(local[0], local[1]))) {
                if (Log.debug) {
                    Log.debug("TCP: flow " + f + ": host address " + Log.addr(local[0], local[1]) + " gone, reset");
                }
                rst(f);
                reset++;
            }
        }
        return reset;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Entry points

    /**
     * Handles one TCP segment from the tap; the classifier checked every header up to the whole TCP header.
     *
     * @return {@link #HANDLED}, or {@link #DROPPED} with the reason counted in {@link #stats()}
     */
    @Override
    public int fromTap(TapFrame p, long nowNs) {
        return tapSide.fromTap(p, nowNs);
    }

    /**
     * Ends a burst of tap frames. Per touched flow: releases what the guest acknowledged from the socket, writes the
     * guest's buffered data to it in one call and acknowledges to the guest what we now hold with the window the
     * socket has room for, then sends what the guest's window allows (opened by its ACKs, or retransmission).
     */
    public void flush(long nowNs) {
        tapSide.flush(nowNs);
    }

    /**
     * Readiness of the socket of {@code flow}.
     *
     * @param events epoll event bits
     */
    public void sockEvent(int flow, int events, long nowNs) {
        sockSide.sockEvent(flow, events, nowNs);
    }

    /** @return the earliest time {@link #timer} has work, {@link Long#MAX_VALUE} for none */
    public long nextDeadlineNs() {
        return timers.next();
    }

    /** Runs the timers that are due: retransmissions, handshake and inactivity timeouts, window updates. */
    public void timer(long nowNs) {
        timers.run(nowNs);
    }

    /**
     * Tells the engine the guest's MAC as the tap-side services learnt it, for connections we open toward the guest
     * before it sent us any TCP segment (the guest drops TCP to the broadcast address: not PACKET_HOST).
     */
    public void guestMac(long mac) {
        emit.guestMac(mac);
    }

    /**
     * A client of a {@code -t} listener that takes the tap path (not loopback): the connection is opened toward the
     * guest with the client's address as source. A client on the host itself has the guest's own address (the guest
     * copies the host's) or a loopback one ({@code --no-splice}): the guest would drop either, so such clients appear
     * under the {@code --map-host-loopback} or {@code --map-guest-addr} address, else the gateway's, as in pasta.
     *
     * @param peer the client's struct sockaddr_in or sockaddr_in6, read from position 0 (native byte order for the
     *        family, network order for port and address, as the kernel wrote it)
     * @param guestMac the guest's MAC as the L2 services learnt it, for a connection opened before any TCP segment
     * @return the flow index, or -1 if the connection was refused (the socket was closed with a RST)
     */
    public int acceptedClient(int fd, ByteBuffer peer, int guestPort, long guestMac, long nowNs) {
        return sockSide.acceptedClient(fd, peer, guestPort, guestMac, nowNs);
    }

    /**
     * A connection accepted on a host listener, to be opened toward the guest. The caller registered nothing yet;
     * the engine watches the socket once the guest completes the handshake.
     *
     * @param peerHi peer address as seen by the listener (IPv4-mapped for IPv4), also the source the guest sees
     * @param guestPort the port of the guest to connect to
     * @return the flow index, or -1 if the connection was refused (the caller's socket was closed with a RST)
     */
    public int accepted(int fd, boolean v6, long peerHi, long peerLo, int peerPort, int guestPort, long nowNs) {
        return sockSide.accepted(fd, v6, peerHi, peerLo, peerPort, guestPort, nowNs);
    }

    // ---------------------------------------------------------------------------------------------------------
    // What the parts share

    /** Tests only: when set, every connection starts at {@link #isnForTest}. */
    boolean fixedIsn;
    int isnForTest;

    /** RFC 6528: a keyed hash of the connection's addresses plus a clock ticking every 4 us. */
    int isn(int f, long now) {
        if (fixedIsn) {
            return isnForTest;
        }
        int s = FlowTable.sidx(f, TAPSIDE);
        long h = secret;
        h = FlowTable.mix(h ^ flows.eAddrHi(s));
        h = FlowTable.mix(h ^ flows.eAddrLo(s));
        h = FlowTable.mix(h ^ flows.oAddrHi(s));
        h = FlowTable.mix(h ^ flows.oAddrLo(s));
        h = FlowTable.mix(h ^ ((long) flows.ePort(s) << 16 | flows.oPort(s)));
        return (int) h + (int) (now / 4000);
    }

    /** @return the largest MSS the tap's MTU allows */
    int maxMss(boolean v6) {
        return Math.min(65535, mtu - (v6 ? Ipv6Header.LEN : Ipv4Header.MIN_LEN) - TcpHeader.MIN_LEN);
    }

    /** Counts a segment dropped for {@code reason}. @return {@link #DROPPED} */
    int drop(int reason) {
        stats.drop(reason);
        if (Log.trace) {
            Log.trace("TCP: segment dropped: " + REASON_NAMES[reason]);
        }
        return DROPPED;
    }

    /** Makes room for flow index {@code f} in the per-connection arrays. */
    void ensure(int f) {
        c.ensure(f);
        int n = c.capacity();
        tapSide.ensure(n);
        timers.ensure(n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Closing

    /** Both directions are closed and acknowledged: the socket is closed and the flow freed. */
    void maybeClose(int f) {
        if (c.events.v[f] != 0 && c.has(f, TcpConn.SOCK_FIN_SENT | TcpConn.TAP_FIN_ACKED)
                && c.pendLen.v[f] == 0) {
            if (Log.trace) {
                Log.trace("TCP: flow " + f + ": closed");
            }
            tapSide.consume(f); // unread data would make close() reset the peer
            socks.close(c.fd.v[f]);
            c.fd.v[f] = -1;
            free(f);
        }
    }

    /** Resets both sides: RST to the guest, RST to the socket's peer, flow freed. */
    void rst(int f) {
        if (Log.trace) {
            Log.trace("TCP: flow " + f + ": reset (" + TcpConn.eventNames(c.events.v[f]) + ")");
        }
        if (!c.has(f, TcpConn.SOCK_ACCEPTED)) {
            emit.control(f, c.seqToTap.v[f], c.seqFromTap.v[f], TcpHeader.RST | TcpHeader.ACK_FLAG, 0);
        } else {
            emit.control(f, c.seqToTap.v[f], 0, TcpHeader.RST, 0);
        }
        stats.count(RSTS_TO_TAP);
        if (c.fd.v[f] >= 0) {
            socks.reset(c.fd.v[f]);
            c.fd.v[f] = -1;
        }
        free(f);
    }

    /** Frees flow {@code f}: its buffer back to the pool, its state cleared, off the timers' list. */
    void free(int f) {
        c.pendLen.v[f] = 0;
        tapSide.releasePend(f);
        c.close(f);
        timers.remove(f);
        flows.free(f);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Inspection, for stats and tests

    /** @return the engine's counters: segments and bytes each way, retransmissions, drops by reason */
    public Counters stats() {
        return stats;
    }

    /** @return flows of this engine in use */
    public int connections() {
        return timers.count();
    }

    /**
     * @return true while a connection may still carry data the guest wrote toward its socket: the guest's FIN has
     *         not arrived, or data is held for a socket that did not take it yet. pasta's loop keeps running after
     *         the command exits until this is false (bounded), so an upload that ended just before the command did
     *         still arrives whole; what sits in a host socket's send buffer the kernel delivers after we close.
     */
    public boolean busy() {
        for (int i = 0; i < timers.count(); i++) {
            int f = timers.at(i);
            if (!c.has(f, TcpConn.TAP_FIN_RCVD) || c.pendLen.v[f] > 0) {
                return true;
            }
        }
        return false;
    }

    /** @return the events of {@code flow}, 0 if closed (for tests and the control socket) */
    public int events(int flow) {
        return flow < c.capacity() ? c.events.v[flow] : 0;
    }

    /** @return the events of {@code flow} in words ("ESTABLISHED TAP_FIN_RCVD ..."), "closed" if closed */
    public String state(int flow) {
        int e = events(flow);
        return e == 0 ? "closed" : TcpConn.eventNames(e);
    }

    /** @return data from the guest held for the socket of {@code flow} */
    public int held(int flow) {
        return flow < c.capacity() ? c.pendLen.v[flow] : 0;
    }
}
