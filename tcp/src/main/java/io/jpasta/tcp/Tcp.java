package io.jpasta.tcp;

import io.jpasta.netns.log.Counters;
import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.tap.TapFrame;
import io.jpasta.tap.TapHandler;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.TapSink;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.flow.Pif;
import io.jpasta.tap.fwd.AddrMap;
import io.jpasta.tap.wire.Be;
import io.jpasta.tap.wire.Checksum;
import io.jpasta.tap.wire.EthHeader;
import io.jpasta.tap.wire.Ipv4Header;
import io.jpasta.tap.wire.Ipv6Header;
import io.jpasta.tap.wire.MacAddr;
import io.jpasta.tap.wire.Seq;
import io.jpasta.tap.wire.TcpHeader;
import io.jpasta.tap.wire.TcpOptions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The TCP engine between the tap and host sockets (see the package documentation for the theory of operation).
 * Pure: it takes the time as an argument, writes frames to a {@link TapSink} and reaches sockets only through
 * {@link TcpSocks}. Owned by the event loop thread.
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
    /** Where options or data of control frames (SYN, ACK, FIN, RST) start in their own small buffer. */
    static final int CTL_AT = 128;
    /** Bound on data kept per flow for a socket that did not take it yet. */
    static final int PEND_CAP = 1 << 20;
    /** Flow indices the per-connection arrays start with; they grow with the highest index in use. */
    static final int INITIAL_FLOWS = 256;
    private static final int ETH_LEN = EthHeader.LEN;

    private final TapConf conf;
    private final FlowTable flows;
    private final TcpConn c;
    private final TcpSocks socks;
    private final TapSink tap;
    private final long secret;
    private final AddrMap map;
    private final int mtu;
    private final int v4Guest;
    private final long v6GuestHi, v6GuestLo;

    private final EthHeader eth = new EthHeader();
    private final Ipv4Header ip4 = new Ipv4Header();
    private final Ipv6Header ip6 = new Ipv6Header();
    private final TcpHeader th = new TcpHeader();
    private final TcpOptions opts = new TcpOptions();
    private final EthHeader oEth = new EthHeader();
    private final Ipv4Header oIp4 = new Ipv4Header();
    private final Ipv6Header oIp6 = new Ipv6Header();
    private final TcpHeader oTh = new TcpHeader();

    private MemorySegment frames;
    private MemorySegment ctl;
    private int stride;
    private final ArrayDeque<MemorySegment> pendPool = new ArrayDeque<>();

    private int[] dirty;
    private int dirtyCount;
    private int[] active, activePos;
    private int activeCount;
    private long minDeadline = Long.MAX_VALUE;
    private long guestMac;

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
        this.conf = conf;
        this.flows = flows;
        this.socks = socks;
        this.tap = tap;
        this.secret = secret;
        this.map = map;
        this.mtu = conf.mtu() == 0 ? 65520 : conf.mtu();
        this.c = new TcpConn(INITIAL_FLOWS, flows.capacity());
        this.dirty = new int[c.capacity()];
        this.active = new int[c.capacity()];
        this.activePos = new int[c.capacity()];
        this.guestMac = conf.guestMac();
        v4Guest = conf.addr4() == null ? 0 : ByteBuffer.wrap(conf.addr4().getAddress()).getInt();
        long[] g = halves(conf.addr6());
        v6GuestHi = g[0];
        v6GuestLo = g[1];
    }

    private static long[] halves(Inet6Address a) {
        if (a == null) {
            return new long[] {0, 0};
        }
        ByteBuffer b = ByteBuffer.wrap(a.getAddress());
        return new long[] {b.getLong(), b.getLong()};
    }

    private void lazyInit() {
        if (frames != null) {
            return;
        }
        stride = (DATA_AT + mtu + 63) & ~63;
        frames = socks.frameMemory((long) stride * FRAMES);
        ctl = Arena.ofAuto().allocate(256, 64);
    }

    private int maxMss(boolean v6) {
        return Math.min(65535, mtu - (v6 ? Ipv6Header.LEN : Ipv4Header.MIN_LEN) - TcpHeader.MIN_LEN);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Frames from the tap

    /**
     * Handles one TCP segment from the tap; the classifier checked every header up to the whole TCP header.
     *
     * @return {@link #HANDLED}, or {@link #DROPPED} with the reason counted in {@link #stats()}
     */
    @Override
    public int fromTap(TapFrame p, long nowNs) {
        lazyInit();
        guestMac = p.srcMac();
        stats.count(SEGS_FROM_TAP);
        MemorySegment frame = p.seg();
        long l4 = p.l4();
        int l4Len = p.l4Len();
        th.wrap(frame, l4);
        long srcHi = p.srcHi(), srcLo = p.srcLo(), dstHi = p.dstHi(), dstLo = p.dstLo();
        int sport = p.srcPort(), dport = p.dstPort();
        int sidx = flows.lookup(Ipv4Header.IPPROTO_TCP, Pif.TAP, srcHi, srcLo, sport, dstHi, dstLo, dport);
        int fl = th.flags();
        if (sidx == FlowTable.NONE) {
            if ((fl & (TcpHeader.SYN | TcpHeader.ACK_FLAG | TcpHeader.RST)) == TcpHeader.SYN) {
                return synFromTap(frame, p.v6(), srcHi, srcLo, sport, dstHi, dstLo, dport, nowNs);
            }
            if ((fl & TcpHeader.RST) == 0) {
                rstNoFlow(p.v6(), srcHi, srcLo, sport, dstHi, dstLo, dport, th.seq(), th.ack(), fl,
                        l4Len - th.headerLen());
            }
            return drop(NO_FLOW);
        }
        int f = FlowTable.flowOf(sidx);
        segment(f, frame, l4, l4Len, nowNs);
        return HANDLED;
    }

    private int drop(int reason) {
        stats.drop(reason);
        if (Log.trace) {
            Log.trace("TCP: segment dropped: " + REASON_NAMES[reason]);
        }
        return DROPPED;
    }

    /** Answers a segment of no connection with a RST (RFC 9293 §3.10.7.1). */
    private void rstNoFlow(boolean v6, long srcHi, long srcLo, int sport, long dstHi, long dstLo, int dport,
                           int seq, int ack, int fl, int dataLen) {
        int seg = dataLen + ((fl & TcpHeader.SYN) != 0 ? 1 : 0) + ((fl & TcpHeader.FIN) != 0 ? 1 : 0);
        if ((fl & TcpHeader.ACK_FLAG) != 0) {
            emit(ctl, CTL_AT, v6, dstHi, dstLo, dport, srcHi, srcLo, sport, ack, 0, TcpHeader.RST, 0, 0, 0);
        } else {
            emit(ctl, CTL_AT, v6, dstHi, dstLo, dport, srcHi, srcLo, sport, 0, seq + seg,
                    TcpHeader.RST | TcpHeader.ACK_FLAG, 0, 0, 0);
        }
        stats.count(RSTS_TO_TAP);
    }

    /** A SYN for no flow: opens the host socket and starts connecting. */
    private int synFromTap(MemorySegment frame, boolean v6, long srcHi, long srcLo, int sport, long dstHi,
                           long dstLo, int dport, long now) {
        if (dport == 0 || sport == 0 || (v6 ? Ipv6Header.isMulticast(dstHi)
                : (Inany.v4(dstLo) >>> 28) >= 0xe || Inany.v4(dstLo) == -1)) {
            return drop(BAD_ADDRESS);
        }
        int f = flows.alloc(FlowType.TCP);
        if (f == FlowTable.NONE) {
            rstNoFlow(v6, srcHi, srcLo, sport, dstHi, dstLo, dport, th.seq(), 0, TcpHeader.SYN, 0);
            return drop(TABLE_FULL);
        }
        flows.side(f, TAPSIDE, Pif.TAP, srcHi, srcLo, sport, dstHi, dstLo, dport);
        map.fromTap(Ipv4Header.IPPROTO_TCP, dstHi, dstLo, dport);
        long tHi = map.resultHi(), tLo = map.resultLo();
        flows.side(f, SOCKSIDE, Pif.HOST, tHi, tLo, dport, 0, 0, 0);
        if (!flows.hash(f, TAPSIDE)) {
            flows.free(f);
            return drop(TABLE_FULL);
        }
        ensure(f);
        c.reset(f);
        if (v6) {
            c.flag(f, TcpConn.V6);
        }
        if (AddrMap.isLoopback(tHi, tLo)) {
            c.flag(f, TcpConn.LOCAL);
        }
        int seq = th.seq();
        opts.parse(frame, th.options(), th.optionsLen());
        int mss = opts.mss() == TcpOptions.NONE || opts.mss() == 0 ? MSS_DEFAULT : opts.mss();
        c.mssToTap.v[f] = Math.min(mss, maxMss(v6));
        boolean scaling = opts.wscale() != TcpOptions.NONE;
        c.wsFromTap.v[f] = (byte) (scaling ? opts.wscale() : 0);
        c.wsToTap.v[f] = (byte) (scaling ? MAX_WS : 0);
        c.wndFromTap.v[f] = th.window();
        c.seqFromTap.v[f] = c.seqAckToTap.v[f] = seq + 1;
        int isn = isn(f, now);
        c.seqInitToTap.v[f] = c.seqToTap.v[f] = c.seqAckFromTap.v[f] = c.recover.v[f] = isn;
        c.lastActivity.v[f] = now;
        activate(f);
        c.event(f, TcpConn.TAP_SYN_RCVD);
        int fd = socks.connect(f, tHi, tLo, dport);
        if (fd < 0) {
            if (Log.trace) {
                Log.trace("TCP: flow " + f + ": connect failed, errno " + -fd);
            }
            // refused at once (out of descriptors or buffers, unreachable): answered with a RST, and counted
            emitFlow(f, ctl, CTL_AT, 0, seq + 1, TcpHeader.RST | TcpHeader.ACK_FLAG, 0, 0, 0);
            stats.count(RSTS_TO_TAP);
            stats.count(CONNECT_FAILED);
            free(f);
            return HANDLED;
        }
        c.fd.v[f] = fd;
        c.rtoAt.v[f] = now + SYN_TIMEOUT;
        rearm(f, now);
        return HANDLED;
    }

    /** Tests only: when set, every connection starts at {@link #isnForTest}. */
    boolean fixedIsn;
    int isnForTest;

    /** RFC 6528: a keyed hash of the connection's addresses plus a clock ticking every 4 µs. */
    private int isn(int f, long now) {
        if (fixedIsn) {
            return isnForTest;
        }
        int s = FlowTable.sidx(f, TAPSIDE);
        long h = secret;
        h = mix(h ^ flows.eAddrHi(s));
        h = mix(h ^ flows.eAddrLo(s));
        h = mix(h ^ flows.oAddrHi(s));
        h = mix(h ^ flows.oAddrLo(s));
        h = mix(h ^ ((long) flows.ePort(s) << 16 | flows.oPort(s)));
        return (int) h + (int) (now / 4000);
    }

    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** A segment of an existing flow; {@link #th} wraps its header. */
    private void segment(int f, MemorySegment frame, long l4, int l4Len, long now) {
        int fl = th.flags();
        int seq = th.seq();
        int ack = th.ack();
        int dlen = l4Len - th.headerLen();
        c.keepaliveAt.v[f] = now + KEEPALIVE_INTERVAL;
        if (dlen > 0 || (fl & (TcpHeader.SYN | TcpHeader.FIN | TcpHeader.RST)) != 0 || ack != c.seqAckFromTap.v[f]
                || (th.window() << c.wsFromTap.v[f]) != c.wndFromTap.v[f]) {
            c.lastActivity.v[f] = now; // a bare repeat of the guest's last ACK (a keepalive's answer) is not activity
        }
        if ((fl & TcpHeader.RST) != 0) {
            // Acceptable if it falls where we expect data (RFC 5961 §3 would ask for a challenge ACK otherwise;
            // the guest is on our side of the tap, a window check is enough).
            if (c.has(f, TcpConn.SOCK_ACCEPTED) || Seq.ge(seq, c.seqFromTap.v[f] - 1)) {
                if (Log.trace) {
                    Log.trace("TCP: flow " + f + ": RST from tap");
                }
                socks.reset(c.fd.v[f]);
                c.fd.v[f] = -1;
                free(f);
            }
            return;
        }
        if (!c.has(f, TcpConn.ESTABLISHED)) {
            if (!handshake(f, frame, fl, seq, ack, now)) {
                return;
            }
            fl &= ~TcpHeader.SYN;
        }
        if ((fl & TcpHeader.SYN) != 0) {
            return;
        }
        if ((fl & TcpHeader.ACK_FLAG) != 0) {
            ackFromTap(f, ack, th.window() << c.wsFromTap.v[f], dlen == 0 && (fl & TcpHeader.FIN) == 0, now);
            if (c.events.v[f] == 0) {
                return;
            }
        }
        if (dlen > 0 || (fl & TcpHeader.FIN) != 0) {
            dataFromTap(f, frame, th.payload(), seq, dlen, (fl & TcpHeader.FIN) != 0);
        }
        if (c.events.v[f] != 0 && c.flagged(f, TcpConn.STALLED)) {
            due(f, TcpConn.SEND_DUE); // the window may have opened: send at the end of the burst, once
        }
    }

    /**
     * Handshake segments before ESTABLISHED.
     *
     * @return true if the segment established the connection and may carry data to process further
     */
    private boolean handshake(int f, MemorySegment frame, int fl, int seq, int ack, long now) {
        if (c.has(f, TcpConn.TAP_SYN_RCVD)) {
            if ((fl & TcpHeader.SYN) != 0) {
                // the guest retransmitted its SYN: repeat our SYN-ACK if we sent one
                if (c.has(f, TcpConn.TAP_SYN_ACK_SENT) && seq + 1 == c.seqFromTap.v[f]) {
                    sendSynAck(f);
                }
                return false;
            }
            if (!c.has(f, TcpConn.TAP_SYN_ACK_SENT) || (fl & TcpHeader.ACK_FLAG) == 0 || ack != c.seqToTap.v[f]) {
                return false;
            }
            c.event(f, TcpConn.ESTABLISHED);
            c.seqAckFromTap.v[f] = c.seqSockHead.v[f] = ack;
            c.unflag(f, TcpConn.ACK_FROM_TAP_DUE);
            c.rtoAt.v[f] = Long.MAX_VALUE;
            c.retrans.v[f] = 0;
            socks.watch(c.fd.v[f], f, TcpSocks.EPOLLIN | TcpSocks.EPOLLRDHUP);
            rearm(f, now);
            return true;
        }
        if (c.has(f, TcpConn.SOCK_ACCEPTED)) {
            if ((fl & (TcpHeader.SYN | TcpHeader.ACK_FLAG)) != (TcpHeader.SYN | TcpHeader.ACK_FLAG)
                    || ack != c.seqToTap.v[f]) {
                return false;
            }
            opts.parse(frame, th.options(), th.optionsLen());
            boolean v6 = c.flagged(f, TcpConn.V6);
            int mss = opts.mss() == TcpOptions.NONE || opts.mss() == 0 ? MSS_DEFAULT : opts.mss();
            c.mssToTap.v[f] = Math.min(mss, maxMss(v6));
            if (opts.wscale() == TcpOptions.NONE) {
                c.wsFromTap.v[f] = 0;
                c.wsToTap.v[f] = 0;
            } else {
                c.wsFromTap.v[f] = (byte) opts.wscale();
            }
            c.wndFromTap.v[f] = th.window() << c.wsFromTap.v[f];
            c.seqFromTap.v[f] = seq + 1;
            c.seqAckFromTap.v[f] = c.seqSockHead.v[f] = ack;
            c.event(f, TcpConn.ESTABLISHED);
            c.unflag(f, TcpConn.ACK_FROM_TAP_DUE);
            c.rtoAt.v[f] = Long.MAX_VALUE;
            c.retrans.v[f] = 0;
            ackToTap(f, true, now);
            socks.watch(c.fd.v[f], f, TcpSocks.EPOLLIN | TcpSocks.EPOLLRDHUP);
            dataFromSock(f, now);
            rearm(f, now);
            return false;
        }
        return false;
    }

    /**
     * Processes the acknowledgment and window of a segment from the guest. What it acknowledges is released from the
     * socket at the end of the burst ({@link #consume}): one system call for all the ACKs of a flow in the burst.
     */
    private void ackFromTap(int f, int ack, int wnd, boolean pureAck, long now) {
        if (Seq.gt(ack, c.seqToTap.v[f])) {
            return; // acknowledges what we never sent
        }
        int oldWnd = c.wndFromTap.v[f];
        c.wndFromTap.v[f] = wnd;
        int una = c.seqAckFromTap.v[f];
        if (Seq.gt(ack, una)) {
            if (c.has(f, TcpConn.TAP_FIN_SENT) && ack == c.seqToTap.v[f]) {
                c.event(f, TcpConn.TAP_FIN_ACKED);
            }
            c.seqAckFromTap.v[f] = ack;
            due(f, TcpConn.CONSUME_DUE);
            c.retrans.v[f] = 0;
            c.dupAcks.v[f] = 0;
            if (ack == c.seqToTap.v[f]) {
                c.unflag(f, TcpConn.ACK_FROM_TAP_DUE);
                c.rtoAt.v[f] = Long.MAX_VALUE;
            } else {
                c.rtoAt.v[f] = now + RTO_INITIAL;
            }
            rearm(f, now);
            if (c.has(f, TcpConn.TAP_FIN_ACKED)) {
                maybeClose(f);
            }
        } else if (ack == una && pureAck && wnd == oldWnd && c.seqToTap.v[f] != una
                && Seq.ge(una, c.recover.v[f])) {
            if (++c.dupAcks.v[f] == DUP_ACK_THRESHOLD) {
                stats.count(FAST_RETRANSMITS);
                rewind(f);
                due(f, TcpConn.SEND_DUE); // resend at the end of the burst (timeouts resend at once)
            }
        }
    }

    /** Goes back to the acknowledged point: the data after it is sent again from the socket. */
    private void rewind(int f) {
        if (Log.trace) {
            Log.trace("TCP: flow " + f + ": retransmit from " + Integer.toUnsignedString(c.seqAckFromTap.v[f]));
        }
        c.recover.v[f] = c.seqToTap.v[f];
        c.seqToTap.v[f] = c.seqAckFromTap.v[f];
        c.undo(f, TcpConn.TAP_FIN_SENT);
        c.dupAcks.v[f] = 0;
    }

    /**
     * Releases from the socket what the guest acknowledged since the last release. A socket that falls behind (the
     * call failed) keeps {@link TcpConn#seqSockHead} behind: peeks skip the difference, the next release catches up.
     */
    private void consume(int f) {
        int upTo = c.seqAckFromTap.v[f] - (c.has(f, TcpConn.TAP_FIN_ACKED) ? 1 : 0); // our FIN is not in the socket
        int n = upTo - c.seqSockHead.v[f];
        if (n <= 0 || c.fd.v[f] < 0) {
            return;
        }
        long r = socks.discard(c.fd.v[f], n);
        if (r < 0) {
            if (Log.trace) {
                Log.trace("TCP: flow " + f + ": discard " + n + ": errno " + -r);
            }
            return;
        }
        c.seqSockHead.v[f] += (int) r;
    }

    /** In-sequence data (and FIN) from the guest goes to the flow's buffer; the rest is answered with an ACK. */
    private void dataFromTap(int f, MemorySegment frame, long payload, int seq, int dlen, boolean fin) {
        int exp = c.seqFromTap.v[f];
        if (c.has(f, TcpConn.TAP_FIN_RCVD) || Seq.gt(seq, exp)) {
            if (Seq.gt(seq, exp)) {
                // A gap: every out-of-order segment gets its duplicate ACK, so that the guest's fast retransmit
                // (three duplicates) starts after three segments instead of a timeout.
                stats.count(OUT_OF_ORDER);
            }
            sendAck(f);
            return;
        }
        int skip = exp - seq;
        if (skip > dlen || (skip == dlen && !fin)) {
            sendAck(f); // all old: the guest missed our ACK, repeat it
            return;
        }
        int take = dlen - skip;
        int got = take == 0 ? 0 : hold(f, frame, payload + skip, take);
        if (c.events.v[f] == 0) {
            return;
        }
        c.seqFromTap.v[f] = exp + got;
        if (fin && got == take) {
            c.seqFromTap.v[f]++;
            c.event(f, TcpConn.TAP_FIN_RCVD);
        }
        due(f, TcpConn.DATA_DUE);
    }

    /**
     * Appends guest data to the flow's buffer, writing the buffer to the socket first if it is full.
     *
     * @return bytes kept (less than {@code len} only if the socket and the buffer are both full)
     */
    private int hold(int f, MemorySegment frame, long off, int len) {
        MemorySegment p = c.pend.v[f];
        if (p == null) {
            p = pendPool.poll();
            if (p == null) {
                p = Arena.ofAuto().allocate(PEND_CAP, 64);
            }
            c.pend.v[f] = p;
        }
        if (c.pendLen.v[f] + len > PEND_CAP) {
            writePend(f);
            if (c.events.v[f] == 0) {
                return 0;
            }
        }
        int n = Math.min(len, PEND_CAP - c.pendLen.v[f]);
        MemorySegment.copy(frame, off, p, c.pendLen.v[f], n);
        c.pendLen.v[f] += n;
        return n;
    }

    /** Writes the flow's buffered guest data to its socket, keeping what it does not take. */
    private void writePend(int f) {
        int len = c.pendLen.v[f];
        if (len == 0) {
            return;
        }
        long r = socks.send(c.fd.v[f], c.pend.v[f], 0, len);
        if (r == -Errno.EAGAIN) {
            return;
        }
        if (r < 0) {
            if (Log.trace) {
                Log.trace("TCP: flow " + f + ": send: errno " + -r);
            }
            rst(f);
            return;
        }
        stats.add(BYTES_TO_SOCK, r);
        int left = len - (int) r;
        if (left > 0) {
            stats.add(HELD_BYTES, left);
            MemorySegment.copy(c.pend.v[f], r, c.pend.v[f], 0, left);
        }
        c.pendLen.v[f] = left;
    }

    /** Leaves {@code work} ({@link TcpConn#DATA_DUE}, ...) for the end of the burst, listing the flow once. */
    private void due(int f, int work) {
        if (!c.flagged(f, TcpConn.DIRTY)) {
            dirty[dirtyCount++] = f;
        }
        c.flag(f, TcpConn.DIRTY | work);
    }

    /**
     * Ends a burst of tap frames. Per touched flow: releases what the guest acknowledged from the socket, writes the
     * guest's buffered data to it in one call and acknowledges to the guest what we now hold with the window the
     * socket has room for, then sends what the guest's window allows (opened by its ACKs, or retransmission).
     */
    public void flush(long nowNs) {
        for (int i = 0; i < dirtyCount; i++) {
            int f = dirty[i];
            int fl = c.flags.v[f];
            if ((fl & TcpConn.DIRTY) == 0 || c.events.v[f] == 0) {
                continue;
            }
            c.unflag(f, TcpConn.DIRTY | TcpConn.DATA_DUE | TcpConn.CONSUME_DUE | TcpConn.SEND_DUE);
            if ((fl & TcpConn.CONSUME_DUE) != 0) {
                consume(f);
            }
            if ((fl & TcpConn.DATA_DUE) != 0) {
                drainToSock(f, nowNs);
            }
            if ((fl & TcpConn.SEND_DUE) != 0 && c.events.v[f] != 0) {
                dataFromSock(f, nowNs);
            }
        }
        dirtyCount = 0;
    }

    /** Writes held data, sends our FIN to the socket once everything is written, acknowledges to the guest. */
    private void drainToSock(int f, long now) {
        writePend(f);
        if (c.events.v[f] == 0) {
            return;
        }
        if (c.pendLen.v[f] > 0) {
            wantOut(f, true);
        } else {
            wantOut(f, false);
            releasePend(f);
            if (c.has(f, TcpConn.TAP_FIN_RCVD) && !c.has(f, TcpConn.SOCK_FIN_SENT)) {
                socks.shutdownWrite(c.fd.v[f]);
                c.event(f, TcpConn.SOCK_FIN_SENT);
            }
        }
        ackToTap(f, false, now);
        maybeClose(f);
    }

    private void releasePend(int f) {
        MemorySegment p = c.pend.v[f];
        if (p != null && c.pendLen.v[f] == 0) {
            c.pend.v[f] = null;
            pendPool.push(p);
        }
    }

    private void wantOut(int f, boolean on) {
        if (on == c.flagged(f, TcpConn.WANT_OUT)) {
            return;
        }
        if (on) {
            c.flag(f, TcpConn.WANT_OUT);
        } else {
            c.unflag(f, TcpConn.WANT_OUT);
        }
        int ev = TcpSocks.EPOLLRDHUP | (c.has(f, TcpConn.ESTABLISHED) ? TcpSocks.EPOLLIN : 0)
                | (on ? TcpSocks.EPOLLOUT : 0);
        socks.watch(c.fd.v[f], f, ev);
    }

    /** @return the window to advertise in bytes: what the socket can take beyond what we already hold */
    private int windowToTap(int f) {
        int space = socks.sendSpace(c.fd.v[f]);
        long w = (long) Math.max(space, 0) - c.pendLen.v[f];
        if (w < 0) {
            w = 0;
        }
        return (int) Math.min(w, 65535L << c.wsToTap.v[f]);
    }

    /** Sends an ACK if the acknowledged point or the window moved, or always if {@code force}. */
    private void ackToTap(int f, boolean force, long now) {
        int wnd = windowToTap(f);
        int ws = c.wsToTap.v[f];
        if (force || c.seqAckToTap.v[f] != c.seqFromTap.v[f] || (wnd >>> ws) != (c.wndToTap.v[f] >>> ws)) {
            c.wndToTap.v[f] = wnd;
            sendAck(f);
        }
        if (wnd < c.mssToTap.v[f] && !c.has(f, TcpConn.SOCK_FIN_SENT)) {
            c.flag(f, TcpConn.ACK_TO_TAP_DUE);
            c.ackDueAt.v[f] = now + ACK_INTERVAL;
        } else {
            c.unflag(f, TcpConn.ACK_TO_TAP_DUE);
            c.ackDueAt.v[f] = Long.MAX_VALUE;
        }
        rearm(f, now);
    }

    /** Sends a bare ACK with the current acknowledged point and the last computed window. */
    private void sendAck(int f) {
        c.seqAckToTap.v[f] = c.seqFromTap.v[f];
        emitFlow(f, ctl, CTL_AT, c.seqToTap.v[f], c.seqFromTap.v[f], TcpHeader.ACK_FLAG,
                c.wndToTap.v[f] >>> c.wsToTap.v[f], 0, 0);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Socket side

    /**
     * Readiness of the socket of {@code flow}.
     *
     * @param events epoll event bits
     */
    public void sockEvent(int flow, int events, long nowNs) {
        int f = flow;
        if (f < 0 || f >= c.capacity() || flows.type(f) != FlowType.TCP || c.events.v[f] == 0) {
            return;
        }
        c.lastActivity.v[f] = nowNs;
        if (c.has(f, TcpConn.TAP_SYN_RCVD) && !c.has(f, TcpConn.TAP_SYN_ACK_SENT)) {
            int err = socks.error(c.fd.v[f]);
            if (err != 0 || (events & (TcpSocks.EPOLLERR | TcpSocks.EPOLLHUP)) != 0) {
                if (Log.trace) {
                    Log.trace("TCP: flow " + f + ": connect failed, errno " + err);
                }
                rst(f);
                return;
            }
            if ((events & TcpSocks.EPOLLOUT) == 0) {
                return;
            }
            c.wndToTap.v[f] = Math.min(65535, Math.max(0, socks.sendSpace(c.fd.v[f])));
            c.seqToTap.v[f] = c.seqInitToTap.v[f] + 1;
            sendSynAck(f);
            c.event(f, TcpConn.TAP_SYN_ACK_SENT);
            c.flag(f, TcpConn.ACK_FROM_TAP_DUE);
            c.rtoAt.v[f] = nowNs + RTO_INITIAL;
            socks.watch(c.fd.v[f], f, TcpSocks.EPOLLRDHUP);
            rearm(f, nowNs);
            return;
        }
        if (!c.has(f, TcpConn.ESTABLISHED)) {
            return;
        }
        if ((events & TcpSocks.EPOLLERR) != 0) {
            rst(f);
            return;
        }
        if ((events & TcpSocks.EPOLLOUT) != 0 && c.flagged(f, TcpConn.WANT_OUT)) {
            drainToSock(f, nowNs);
            if (c.events.v[f] == 0) {
                return;
            }
        }
        if ((events & (TcpSocks.EPOLLRDHUP | TcpSocks.EPOLLHUP)) != 0) {
            c.event(f, TcpConn.SOCK_FIN_RCVD);
        }
        if ((events & (TcpSocks.EPOLLIN | TcpSocks.EPOLLRDHUP | TcpSocks.EPOLLHUP)) != 0) {
            dataFromSock(f, nowNs);
        }
    }

    private void sendSynAck(int f) {
        boolean v6 = c.flagged(f, TcpConn.V6);
        int ws = c.wsToTap.v[f] == 0 ? TcpOptions.NONE : c.wsToTap.v[f];
        long optAt = CTL_AT;
        int optLen = TcpOptions.writeSyn(ctl, optAt, maxMss(v6), false, false, 0, 0, ws);
        emitFlow(f, ctl, optAt + optLen, c.seqInitToTap.v[f], c.seqFromTap.v[f], TcpHeader.SYN | TcpHeader.ACK_FLAG,
                Math.min(65535, c.wndToTap.v[f]), optLen, 0);
    }

    /**
     * Sends what the guest's window allows of the socket's received data, from where we stopped: peeked into frame
     * slots behind their headers, never consumed here (the guest's ACKs consume it). At end of stream, our FIN.
     */
    private void dataFromSock(int f, long now) {
        if (!c.has(f, TcpConn.ESTABLISHED) || c.has(f, TcpConn.TAP_FIN_SENT) || c.fd.v[f] < 0) {
            return;
        }
        int mss = c.mssToTap.v[f];
        for (;;) {
            int inFlight = c.seqToTap.v[f] - c.seqAckFromTap.v[f];
            long avail = (c.wndFromTap.v[f] & 0xffffffffL) - inFlight;
            if (avail <= 0) {
                c.flag(f, TcpConn.STALLED);
                return;
            }
            c.unflag(f, TcpConn.STALLED);
            int len = (int) Math.min(avail, (long) FRAMES * mss);
            // acknowledged data not released yet (see consume) is still in front of what we sent
            long r = socks.peek(c.fd.v[f], c.seqToTap.v[f] - c.seqSockHead.v[f], frames, DATA_AT, stride, mss, len);
            if (r == -Errno.EAGAIN) {
                return;
            }
            if (r < 0) {
                if (Log.trace) {
                    Log.trace("TCP: flow " + f + ": receive: errno " + -r);
                }
                rst(f);
                return;
            }
            if (r == 0) {
                c.event(f, TcpConn.SOCK_FIN_RCVD); // also when the FIN came with data and no RDHUP was seen
                int ws = c.wsToTap.v[f];
                emitFlow(f, ctl, CTL_AT, c.seqToTap.v[f], c.seqFromTap.v[f],
                        TcpHeader.FIN | TcpHeader.ACK_FLAG, c.wndToTap.v[f] >>> ws, 0, 0);
                c.seqAckToTap.v[f] = c.seqFromTap.v[f];
                c.seqToTap.v[f]++;
                c.event(f, TcpConn.TAP_FIN_SENT);
                dataSent(f, now);
                return;
            }
            int ws = c.wsToTap.v[f];
            int wnd = c.wndToTap.v[f] >>> ws;
            int seq = c.seqToTap.v[f];
            int ack = c.seqFromTap.v[f];
            for (int done = 0, i = 0; done < r; i++) {
                int n = (int) Math.min(mss, r - done);
                int fl = TcpHeader.ACK_FLAG | (done + n == r ? TcpHeader.PSH : 0);
                emitFlow(f, frames, (long) i * stride + DATA_AT, seq + done, ack, fl, wnd, 0, n);
                done += n;
            }
            stats.add(BYTES_TO_TAP, r);
            c.seqAckToTap.v[f] = ack;
            c.seqToTap.v[f] = seq + (int) r;
            dataSent(f, now);
            if (r < len && !c.has(f, TcpConn.SOCK_FIN_RCVD)) {
                return; // drained; with the peer's FIN seen, go on to find the end of the stream
            }
        }
    }

    private void dataSent(int f, long now) {
        if (!c.flagged(f, TcpConn.ACK_FROM_TAP_DUE) || c.rtoAt.v[f] == Long.MAX_VALUE) {
            c.flag(f, TcpConn.ACK_FROM_TAP_DUE);
            c.rtoAt.v[f] = now + (RTO_INITIAL << Math.min(c.retrans.v[f], 6));
            rearm(f, now);
        }
    }

    /**
     * Tells the engine the guest's MAC as the tap-side services learnt it, for connections we open toward the guest
     * before it sent us any TCP segment (the guest drops TCP to the broadcast address: not PACKET_HOST).
     */
    public void guestMac(long mac) {
        if (mac != MacAddr.NONE) {
            guestMac = mac;
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
        ByteBuffer be = peer.duplicate().order(ByteOrder.BIG_ENDIAN);
        int port = Short.toUnsignedInt(be.getShort(2));
        boolean v4 = peer.duplicate().order(ByteOrder.nativeOrder()).getShort(0) == Linux.AF_INET;
        long hi = v4 ? Inany.V4_HI : be.getLong(8);
        long lo = v4 ? Inany.v4Lo(be.getInt(4)) : be.getLong(16);
        map.toTap(hi, lo);
        socks.adopt(fd);
        guestMac(guestMac);
        long mHi = map.resultHi(), mLo = map.resultLo();
        return accepted(fd, !Inany.isV4(mHi, mLo), mHi, mLo, port, guestPort, nowNs);
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
        lazyInit();
        if ((v6 && v6GuestHi == 0 && v6GuestLo == 0) || (!v6 && v4Guest == 0)) {
            socks.reset(fd);
            return -1;
        }
        int f = flows.alloc(FlowType.TCP);
        if (f == FlowTable.NONE) {
            socks.reset(fd);
            return -1;
        }
        long gHi = v6 ? v6GuestHi : Inany.V4_HI, gLo = v6 ? v6GuestLo : Inany.v4Lo(v4Guest);
        flows.side(f, TAPSIDE, Pif.TAP, gHi, gLo, guestPort, peerHi, peerLo, peerPort);
        flows.side(f, SOCKSIDE, Pif.HOST, peerHi, peerLo, peerPort, 0, 0, 0);
        if (!flows.hash(f, TAPSIDE)) {
            flows.free(f);
            socks.reset(fd);
            return -1;
        }
        ensure(f);
        c.reset(f);
        if (v6) {
            c.flag(f, TcpConn.V6);
        }
        c.fd.v[f] = fd;
        c.wsToTap.v[f] = MAX_WS;
        c.wsFromTap.v[f] = 0;
        c.mssToTap.v[f] = MSS_DEFAULT;
        int isn = isn(f, nowNs);
        c.seqInitToTap.v[f] = c.recover.v[f] = isn;
        c.seqToTap.v[f] = isn + 1;
        c.seqAckFromTap.v[f] = isn;
        c.lastActivity.v[f] = nowNs;
        c.wndToTap.v[f] = Math.min(65535, Math.max(0, socks.sendSpace(fd)));
        activate(f);
        c.event(f, TcpConn.SOCK_ACCEPTED);
        sendSyn(f);
        c.flag(f, TcpConn.ACK_FROM_TAP_DUE);
        c.rtoAt.v[f] = nowNs + RTO_INITIAL;
        rearm(f, nowNs);
        return f;
    }

    private void sendSyn(int f) {
        boolean v6 = c.flagged(f, TcpConn.V6);
        long optAt = CTL_AT;
        int optLen = TcpOptions.writeSyn(ctl, optAt, maxMss(v6), false, false, 0, 0, MAX_WS);
        emitFlow(f, ctl, optAt + optLen, c.seqInitToTap.v[f], 0, TcpHeader.SYN, Math.min(65535, c.wndToTap.v[f]),
                optLen, 0);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Closing and timers

    /** Both directions are closed and acknowledged: the socket is closed and the flow freed. */
    private void maybeClose(int f) {
        if (c.events.v[f] != 0 && c.has(f, TcpConn.SOCK_FIN_SENT | TcpConn.TAP_FIN_ACKED)
                && c.pendLen.v[f] == 0) {
            if (Log.trace) {
                Log.trace("TCP: flow " + f + ": closed");
            }
            consume(f); // unread data would make close() reset the peer
            socks.close(c.fd.v[f]);
            c.fd.v[f] = -1;
            free(f);
        }
    }

    /** Resets both sides: RST to the guest, RST to the socket's peer, flow freed. */
    private void rst(int f) {
        if (Log.trace) {
            Log.trace("TCP: flow " + f + ": reset (" + TcpConn.eventNames(c.events.v[f]) + ")");
        }
        if (!c.has(f, TcpConn.SOCK_ACCEPTED)) {
            emitFlow(f, ctl, CTL_AT, c.seqToTap.v[f], c.seqFromTap.v[f], TcpHeader.RST | TcpHeader.ACK_FLAG, 0,
                    0, 0);
        } else {
            emitFlow(f, ctl, CTL_AT, c.seqToTap.v[f], 0, TcpHeader.RST, 0, 0, 0);
        }
        stats.count(RSTS_TO_TAP);
        if (c.fd.v[f] >= 0) {
            socks.reset(c.fd.v[f]);
            c.fd.v[f] = -1;
        }
        free(f);
    }

    private void free(int f) {
        c.pendLen.v[f] = 0;
        releasePend(f);
        c.close(f);
        int p = activePos[f];
        if (p < activeCount && active[p] == f) {
            int last = active[--activeCount];
            active[p] = last;
            activePos[last] = p;
        }
        flows.free(f);
    }

    /** Makes room for flow index {@code f} in the per-connection arrays. */
    private void ensure(int f) {
        c.ensure(f);
        int n = c.capacity();
        if (active.length < n) {
            dirty = Arrays.copyOf(dirty, n);
            active = Arrays.copyOf(active, n);
            activePos = Arrays.copyOf(activePos, n);
        }
    }

    private void activate(int f) {
        activePos[f] = activeCount;
        active[activeCount++] = f;
    }

    private void rearm(int f, long now) {
        long d = Math.min(c.rtoAt.v[f], c.ackDueAt.v[f]);
        d = Math.min(d, c.lastActivity.v[f] + ACT_TIMEOUT);
        if (c.has(f, TcpConn.ESTABLISHED)) {
            d = Math.min(d, c.keepaliveAt.v[f]);
        }
        c.deadline.v[f] = d;
        if (d < minDeadline) {
            minDeadline = d;
        }
    }

    /** @return the earliest time {@link #timer} has work, {@link Long#MAX_VALUE} for none */
    public long nextDeadlineNs() {
        return minDeadline;
    }

    /** Runs the timers that are due: retransmissions, handshake and inactivity timeouts, window updates. */
    public void timer(long nowNs) {
        if (nowNs - minDeadline < 0) {
            return;
        }
        long next = Long.MAX_VALUE;
        for (int i = 0; i < activeCount; i++) {
            int f = active[i];
            if (c.deadline.v[f] - nowNs <= 0) {
                timeout(f, nowNs);
                if (c.events.v[f] == 0) {
                    i--; // freed: another flow moved into this position
                    continue;
                }
            }
            next = Math.min(next, c.deadline.v[f]);
        }
        minDeadline = next;
    }

    private void timeout(int f, long now) {
        if (now - (c.lastActivity.v[f] + ACT_TIMEOUT) >= 0) {
            rst(f);
            return;
        }
        if (!c.has(f, TcpConn.ESTABLISHED)) {
            if (now - c.rtoAt.v[f] >= 0) {
                if (c.has(f, TcpConn.TAP_SYN_ACK_SENT) || c.has(f, TcpConn.SOCK_ACCEPTED)) {
                    if (++c.retrans.v[f] > MAX_RETRANS) {
                        rst(f);
                        return;
                    }
                    stats.count(RETRANSMITS);
                    if (c.has(f, TcpConn.SOCK_ACCEPTED)) {
                        sendSyn(f);
                    } else {
                        sendSynAck(f);
                    }
                    c.rtoAt.v[f] = now + (RTO_INITIAL << c.retrans.v[f]);
                } else {
                    rst(f); // connect took longer than SYN_TIMEOUT
                    return;
                }
            }
            rearm(f, now);
            return;
        }
        if (c.flagged(f, TcpConn.ACK_FROM_TAP_DUE) && now - c.rtoAt.v[f] >= 0) {
            if (++c.retrans.v[f] > MAX_RETRANS) {
                rst(f);
                return;
            }
            stats.count(RETRANSMITS);
            rewind(f);
            c.rtoAt.v[f] = now + (RTO_INITIAL << c.retrans.v[f]);
            dataFromSock(f, now);
            if (c.events.v[f] == 0) {
                return;
            }
        }
        if (c.flagged(f, TcpConn.ACK_TO_TAP_DUE) && now - c.ackDueAt.v[f] >= 0) {
            if (c.flagged(f, TcpConn.WANT_OUT)) {
                drainToSock(f, now);
            } else {
                ackToTap(f, false, now);
            }
            if (c.events.v[f] == 0) {
                return;
            }
        }
        if (now - c.keepaliveAt.v[f] >= 0) {
            // with data of ours unacknowledged, retransmissions probe the guest already
            if (!c.flagged(f, TcpConn.ACK_FROM_TAP_DUE)) {
                keepalive(f);
            }
            c.keepaliveAt.v[f] = now + KEEPALIVE_INTERVAL;
        }
        rearm(f, now);
    }

    /** Sends a keepalive: an ACK for what we took, with a sequence number the guest already acknowledged. */
    private void keepalive(int f) {
        if (Log.trace) {
            Log.trace("TCP: flow " + f + ": keepalive");
        }
        stats.count(KEEPALIVES);
        c.seqAckToTap.v[f] = c.seqFromTap.v[f];
        emitFlow(f, ctl, CTL_AT, c.seqToTap.v[f] - 1, c.seqFromTap.v[f], TcpHeader.ACK_FLAG,
                c.wndToTap.v[f] >>> c.wsToTap.v[f], 0, 0);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Frames to the tap

    private void emitFlow(int f, MemorySegment m, long dataAt, int seq, int ack, int fl, int wndField, int optLen,
                          int dataLen) {
        int s = FlowTable.sidx(f, TAPSIDE);
        emit(m, dataAt, c.flagged(f, TcpConn.V6), flows.oAddrHi(s), flows.oAddrLo(s), flows.oPort(s),
                flows.eAddrHi(s), flows.eAddrLo(s), flows.ePort(s), seq, ack, fl, wndField, optLen, dataLen);
    }

    /**
     * Writes headers in front of {@code dataLen} bytes of data (and {@code optLen} bytes of options) at
     * {@code dataAt} and sends the frame.
     */
    private void emit(MemorySegment m, long dataAt, boolean v6, long srcHi, long srcLo, int sport, long dstHi,
                      long dstLo, int dport, int seq, int ack, int fl, int wndField, int optLen, int dataLen) {
        int tcpLen = TcpHeader.MIN_LEN + optLen;
        int ipLen = v6 ? Ipv6Header.LEN : Ipv4Header.MIN_LEN;
        long tcpOff = dataAt - optLen - TcpHeader.MIN_LEN;
        long ipOff = tcpOff - ipLen;
        long ethOff = ipOff - ETH_LEN;
        int l4Len = tcpLen + dataLen;
        oEth.wrap(m, ethOff).dst(guestMac == MacAddr.NONE ? MacAddr.BROADCAST : guestMac).src(conf.ourMac()).type(v6 ? EthHeader.ETH_P_IPV6 : EthHeader.ETH_P_IP);
        long pseudo;
        if (v6) {
            oIp6.wrap(m, ipOff).init(0, l4Len, Ipv6Header.IPPROTO_TCP, 255, srcHi, srcLo, dstHi, dstLo);
            pseudo = Checksum.pseudo6(m, oIp6.srcOff(), Ipv6Header.IPPROTO_TCP, l4Len);
        } else {
            oIp4.wrap(m, ipOff).init(ipLen + l4Len, 0, Ipv4Header.IP_DF, 64, Ipv4Header.IPPROTO_TCP,
                    Inany.v4(srcLo), Inany.v4(dstLo)).fillChecksum();
            pseudo = Checksum.pseudo4(Inany.v4(srcLo), Inany.v4(dstLo), Ipv4Header.IPPROTO_TCP, l4Len);
        }
        oTh.wrap(m, tcpOff).init(sport, dport, seq, ack, tcpLen, fl, wndField).fillChecksum(pseudo, l4Len);
        int frameLen = ETH_LEN + ipLen + l4Len;
        if (frameLen < EthHeader.MIN_FRAME) {
            Be.zero(m, ethOff + frameLen, EthHeader.MIN_FRAME - frameLen);
            frameLen = EthHeader.MIN_FRAME;
        }
        stats.count(SEGS_TO_TAP);
        tap.send(m, ethOff, frameLen);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Inspection, for stats and tests

    /** @return the engine's counters: segments and bytes each way, retransmissions, drops by reason */
    public Counters stats() {
        return stats;
    }

    /** @return flows of this engine in use */
    public int connections() {
        return activeCount;
    }

    /**
     * @return true while a connection may still carry data the guest wrote toward its socket: the guest's FIN has
     *         not arrived, or data is held for a socket that did not take it yet. pasta's loop keeps running after
     *         the command exits until this is false (bounded), so an upload that ended just before the command did
     *         still arrives whole; what sits in a host socket's send buffer the kernel delivers after we close.
     */
    public boolean busy() {
        for (int i = 0; i < activeCount; i++) {
            int f = active[i];
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
