package io.jpasta.tcp;

import io.jpasta.netns.log.Counters;
import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Errno;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.TapFrame;
import io.jpasta.tap.TapHandler;
import io.jpasta.tap.TapSink;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.fwd.AddrMap;
import io.jpasta.tap.wire.MacAddr;
import io.jpasta.tap.wire.TcpHeader;

import java.nio.ByteBuffer;

/**
 * The TCP engine between the tap and host sockets (see the package documentation for the theory of operation).
 * Pure: it takes the time as an argument, writes frames to a {@link TapSink} and reaches sockets only through
 * {@link TcpSocks}. Owned by the event loop thread.
 *
 * <p>Entry points, in the order the loop calls them: {@link #fromTap} for every TCP frame read from the tap,
 * {@link #flush} once after each burst of tap frames (coalesced writes to sockets, ACKs to the guest),
 * {@link #sockEvent} for readiness of a socket, {@link #timer} when {@link #nextDeadlineNs} passes.
 *
 * <p>The work is split along the engine's seams, all on the per-flow state of {@link TcpConn}: {@link TcpTap}
 * (segments from the guest, its data to the socket), {@link TcpSock} (socket readiness, the socket's data to the
 * guest, accepted connections), {@link TcpTimers} (deadlines, retransmission, keepalive, inactivity) and
 * {@link TcpEmitter} (frames to the tap). This class holds what they share: the flow's life from open to free.
 */
public final class Tcp implements TapHandler {
    /** Side of a flow facing the tap (side 1 faces the host socket). */
    static final int TAPSIDE = 0, SOCKSIDE = 1;
    /** MSS assumed when the guest's SYN has none (RFC 9293 §3.7.1). */
    static final int MSS_DEFAULT = 536;
    /** Window scale we announce: windows up to 16 MiB, as the seed. */
    static final int MAX_WS = 8;
    /** Largest window field of a TCP header, before scaling (RFC 9293 §3.1). */
    static final int WINDOW_FIELD_MAX = 65535;
    /** Guest duplicate ACKs that trigger a fast retransmit (RFC 5681 §3.2). */
    static final int DUP_ACK_THRESHOLD = 3;
    static final long MS = 1_000_000L, S = 1_000_000_000L;
    /** Handshake with the guest must complete within this. */
    static final long SYN_TIMEOUT = 10 * S;
    /** First retransmission timeout toward the guest; doubled per retry. The tap has no real RTT. */
    static final long RTO_INITIAL = 200 * MS;
    /** Retransmissions without progress before the connection is reset. */
    static final int MAX_RETRANS = 7;
    /** The retransmission timeout of new data doubles at most this many times while retransmissions go on. */
    static final int MAX_RTO_SHIFT = 6;
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
    /** Bound on data kept per flow for a socket that did not take it yet. */
    static final int PEND_CAP = 1 << 20;
    /** Flow indices the per-connection arrays start with; they grow with the highest index in use. */
    static final int INITIAL_FLOWS = 256;

    /** Counted events ({@link #stats()}). */
    public static final int SEGS_FROM_TAP = 0, SEGS_TO_TAP = 1, BYTES_TO_SOCK = 2, BYTES_TO_TAP = 3, RETRANSMITS = 4,
            FAST_RETRANSMITS = 5, OUT_OF_ORDER = 6, HELD_BYTES = 7, RSTS_TO_TAP = 8, KEEPALIVES = 9;
    /** Drop reasons: a segment of no connection, one to an address or port no socket can take, a full table. */
    public static final int NO_FLOW = 0, BAD_ADDRESS = 1, TABLE_FULL = 2;
    private static final String[] COUNT_NAMES = {"segs-from-tap", "segs-to-tap", "bytes-to-sock", "bytes-to-tap",
        "retransmits", "fast-retransmits", "out-of-order", "held-bytes", "rsts-to-tap", "keepalives"};
    private static final String[] REASON_NAMES = {"no flow", "bad address", "flow table full"};

    // Shared by the parts of the engine.
    final FlowTable flows;
    final TcpConn c;
    final TcpSocks socks;
    final Counters stats = new Counters("tcp", COUNT_NAMES, REASON_NAMES);
    final TcpEmitter emit;
    final TcpTimers timers;
    final TcpTap tap;
    final TcpSock sock;
    private final long secret;

    /**
     * @param conf tap configuration: our MAC, the guest's addresses, the gateway, the MTU
     * @param flows the flow table shared with the other protocols
     * @param sink where frames to the guest go
     * @param map where connections the guest opens go on the host ({@code --map-host-loopback},
     *        {@code --map-guest-addr}, {@code --dns-forward})
     * @param secret key for initial sequence numbers (RFC 6528)
     */
    public Tcp(TapConf conf, FlowTable flows, TcpSocks socks, TapSink sink, AddrMap map, long secret) {
        this.flows = flows;
        this.socks = socks;
        this.secret = secret;
        this.c = new TcpConn(INITIAL_FLOWS, flows.capacity());
        this.emit = new TcpEmitter(conf, flows, c, socks, sink, stats);
        this.timers = new TcpTimers(this);
        this.tap = new TcpTap(this, map);
        this.sock = new TcpSock(this, conf, map);
    }

    /**
     * Handles one TCP segment from the tap; the classifier checked every header up to the whole TCP header.
     *
     * @return {@link #HANDLED}, or {@link #DROPPED} with the reason counted in {@link #stats()}
     */
    @Override
    public int fromTap(TapFrame p, long nowNs) {
        return tap.fromTap(p, nowNs);
    }

    /**
     * Ends a burst of tap frames. Per touched flow: releases what the guest acknowledged from the socket, writes the
     * guest's buffered data to it in one call and acknowledges to the guest what we now hold with the window the
     * socket has room for, then sends what the guest's window allows (opened by its ACKs, or retransmission).
     */
    public void flush(long nowNs) {
        tap.flush(nowNs);
    }

    /**
     * Readiness of the socket of {@code flow}.
     *
     * @param events epoll event bits
     */
    public void sockEvent(int flow, int events, long nowNs) {
        sock.sockEvent(flow, events, nowNs);
    }

    /** @return the earliest time {@link #timer} has work, {@link Long#MAX_VALUE} for none */
    public long nextDeadlineNs() {
        return timers.nextDeadlineNs();
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
        if (mac != MacAddr.NONE) {
            emit.guestMac(mac);
        }
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
        return sock.acceptedClient(fd, peer, guestPort, guestMac, nowNs);
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
        return sock.accepted(fd, v6, peerHi, peerLo, peerPort, guestPort, nowNs);
    }

    // ---------------------------------------------------------------------------------------------------------
    // A flow's life, shared by the parts

    /** Flow {@code f} was just allocated and hashed: room in the per-connection arrays, every field cleared. */
    void open(int f, boolean v6) {
        c.ensure(f);
        int n = c.capacity();
        tap.fit(n);
        timers.fit(n);
        c.reset(f);
        if (v6) {
            c.flag(f, TcpConn.V6);
        }
    }

    /** The clock of initial sequence numbers ticks every 4 µs (RFC 6528 §3, as RFC 793 asked). */
    private static final long ISN_TICK_NS = 4000;

    /** Tests only: when set, every connection starts at {@link #isnForTest}. */
    boolean fixedIsn;
    int isnForTest;

    /** RFC 6528: a keyed hash of the connection's addresses plus a clock ticking every 4 µs. */
    int isn(int f, long now) {
        if (fixedIsn) {
            return isnForTest;
        }
        return (int) flows.sideHash(FlowTable.sidx(f, TAPSIDE), secret) + (int) (now / ISN_TICK_NS);
    }

    /** Both directions are closed and acknowledged: the socket is closed and the flow freed. */
    void maybeClose(int f) {
        if (c.events.v[f] != 0 && c.has(f, TcpConn.SOCK_FIN_SENT | TcpConn.TAP_FIN_ACKED)
                && c.pendLen.v[f] == 0) {
            if (Log.trace) {
                Log.trace("TCP: flow " + f + ": closed");
            }
            tap.consume(f); // unread data would make close() reset the peer
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
            emit.toFlow(f).control(c.seqToTap.v[f], c.seqFromTap.v[f], TcpHeader.RST | TcpHeader.ACK_FLAG, 0);
        } else {
            emit.toFlow(f).control(c.seqToTap.v[f], 0, TcpHeader.RST, 0);
        }
        stats.count(RSTS_TO_TAP);
        if (c.fd.v[f] >= 0) {
            socks.reset(c.fd.v[f]);
            c.fd.v[f] = -1;
        }
        free(f);
    }

    /**
     * Checks the result of a data call on the socket of flow {@code f}: -EAGAIN leaves the flow as it is (the socket
     * reports readiness later), any other error resets the flow.
     *
     * @return true if {@code r} is -errno and the caller has nothing to process
     */
    boolean sockFailed(int f, long r, String call) {
        if (r >= 0) {
            return false;
        }
        if (r != -Errno.EAGAIN) {
            if (Log.trace) {
                Log.trace("TCP: flow " + f + ": " + call + ": errno " + -r);
            }
            rst(f);
        }
        return true;
    }

    /** Forgets flow {@code f}: its data buffer back to the pool, off the timers' list, its index free. */
    void free(int f) {
        c.pendLen.v[f] = 0;
        tap.releasePend(f);
        c.close(f);
        timers.deactivate(f);
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
            int f = timers.flowAt(i);
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

    /** @return data from the guest held for the socket of {@code flow} */
    public int held(int flow) {
        return flow < c.capacity() ? c.pendLen.v[flow] : 0;
    }
}
