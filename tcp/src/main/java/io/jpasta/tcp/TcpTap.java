package io.jpasta.tcp;

import io.jpasta.netns.log.Log;
import io.jpasta.tap.TapFrame;
import io.jpasta.tap.TapHandler;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.flow.Pif;
import io.jpasta.tap.fwd.AddrMap;
import io.jpasta.tap.wire.Ipv4Header;
import io.jpasta.tap.wire.Ipv6Header;
import io.jpasta.tap.wire.Seq;
import io.jpasta.tap.wire.TcpHeader;
import io.jpasta.tap.wire.TcpOptions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The tap side of the engine: segments from the guest (handshake, acknowledgments, data, FIN, RST) and the way of
 * the guest's data to its socket. Data of a burst of tap frames is held per flow and written, released and
 * acknowledged once at the end of the burst ({@link #flush}); what the socket does not take stays held until it
 * reports room.
 */
final class TcpTap extends TcpPart {
    private static final int ALIGN = 64;
    private static final int FLAGS_SYN_ACK_RST = TcpHeader.SYN | TcpHeader.ACK_FLAG | TcpHeader.RST;

    private final AddrMap map;

    private final TcpHeader th = new TcpHeader();
    private final TcpOptions opts = new TcpOptions();
    /** Data buffers of flows that hold nothing now, for the next flow that needs one. */
    private final ArrayDeque<MemorySegment> pendPool = new ArrayDeque<>();
    /** Flows with work left for the end of the burst ({@link TcpConn#DIRTY}), each once. */
    private int[] dirty;
    private int dirtyCount;

    TcpTap(Tcp tcp, AddrMap map) {
        super(tcp);
        this.map = map;
        this.dirty = new int[c.capacity()];
    }

    /** Makes room for {@code n} flow indices. */
    void fit(int n) {
        if (dirty.length < n) {
            dirty = Arrays.copyOf(dirty, n);
        }
    }

    /** See {@link Tcp#fromTap}. */
    int fromTap(TapFrame p, long nowNs) {
        emit.lazyInit();
        emit.guestMac(p.srcMac());
        stats.count(Tcp.SEGS_FROM_TAP);
        MemorySegment frame = p.seg();
        th.wrap(frame, p.l4());
        int sidx = flows.lookup(Ipv4Header.IPPROTO_TCP, Pif.TAP, p.srcHi(), p.srcLo(), p.srcPort(), p.dstHi(),
                p.dstLo(), p.dstPort());
        int fl = th.flags();
        if (sidx == FlowTable.NONE) {
            if ((fl & FLAGS_SYN_ACK_RST) == TcpHeader.SYN) {
                return synFromTap(p, nowNs);
            }
            if ((fl & TcpHeader.RST) == 0) {
                rstNoFlow(p, th.seq(), th.ack(), fl, p.l4Len() - th.headerLen());
            }
            return drop(Tcp.NO_FLOW);
        }
        segment(FlowTable.flowOf(sidx), frame, p.l4Len(), nowNs);
        return TapHandler.HANDLED;
    }

    private int drop(int reason) {
        stats.drop(reason);
        if (Log.trace) {
            Log.trace("TCP: segment dropped: " + stats.reasonName(reason));
        }
        return TapHandler.DROPPED;
    }

    /** Answers a segment of no connection with a RST (RFC 9293 §3.10.7.1). */
    private void rstNoFlow(TapFrame p, int seq, int ack, int fl, int dataLen) {
        int seg = dataLen + ((fl & TcpHeader.SYN) != 0 ? 1 : 0) + ((fl & TcpHeader.FIN) != 0 ? 1 : 0);
        if ((fl & TcpHeader.ACK_FLAG) != 0) {
            emit.reply(p).control(ack, 0, TcpHeader.RST, 0);
        } else {
            emit.reply(p).control(0, seq + seg, TcpHeader.RST | TcpHeader.ACK_FLAG, 0);
        }
        stats.count(Tcp.RSTS_TO_TAP);
    }

    /** @return true if no socket can connect to {@code dport} at the destination of a SYN (multicast, broadcast) */
    private static boolean unreachable(boolean v6, long dstHi, long dstLo, int sport, int dport) {
        if (dport == 0 || sport == 0) {
            return true;
        }
        if (v6) {
            return Ipv6Header.isMulticast(dstHi);
        }
        int a = Inany.v4(dstLo);
        return (a >>> 28) >= 0xe || a == -1;
    }

    /** A SYN for no flow: opens the host socket and starts connecting. */
    private int synFromTap(TapFrame p, long now) {
        boolean v6 = p.v6();
        long dstHi = p.dstHi(), dstLo = p.dstLo();
        int sport = p.srcPort(), dport = p.dstPort();
        if (unreachable(v6, dstHi, dstLo, sport, dport)) {
            return drop(Tcp.BAD_ADDRESS);
        }
        int f = flows.alloc(FlowType.TCP);
        if (f == FlowTable.NONE) {
            rstNoFlow(p, th.seq(), 0, TcpHeader.SYN, 0);
            return drop(Tcp.TABLE_FULL);
        }
        flows.side(f, Tcp.TAPSIDE, Pif.TAP, p.srcHi(), p.srcLo(), sport, dstHi, dstLo, dport);
        map.fromTap(Ipv4Header.IPPROTO_TCP, dstHi, dstLo, dport);
        long tHi = map.resultHi(), tLo = map.resultLo();
        flows.side(f, Tcp.SOCKSIDE, Pif.HOST, tHi, tLo, dport, 0, 0, 0);
        if (!flows.hash(f, Tcp.TAPSIDE)) {
            flows.free(f);
            return drop(Tcp.TABLE_FULL);
        }
        tcp.open(f, v6);
        if (AddrMap.isLoopback(tHi, tLo)) {
            c.flag(f, TcpConn.LOCAL);
        }
        int seq = th.seq();
        opts.parse(p.seg(), th.options(), th.optionsLen());
        c.mssToTap.v[f] = Math.min(guestMss(), emit.maxMss(v6));
        boolean scaling = opts.wscale() != TcpOptions.NONE;
        c.wsFromTap.v[f] = (byte) (scaling ? opts.wscale() : 0);
        c.wsToTap.v[f] = (byte) (scaling ? Tcp.MAX_WS : 0);
        c.wndFromTap.v[f] = th.window();
        c.seqFromTap.v[f] = c.seqAckToTap.v[f] = seq + 1;
        int isn = tcp.isn(f, now);
        c.seqInitToTap.v[f] = c.seqToTap.v[f] = c.seqAckFromTap.v[f] = c.recover.v[f] = isn;
        c.lastActivity.v[f] = now;
        tcp.timers.activate(f);
        c.event(f, TcpConn.TAP_SYN_RCVD);
        int fd = socks.connect(f, tHi, tLo, dport);
        if (fd < 0) {
            if (Log.trace) {
                Log.trace("TCP: flow " + f + ": connect failed, errno " + -fd);
            }
            emit.toFlow(f).control(0, seq + 1, TcpHeader.RST | TcpHeader.ACK_FLAG, 0);
            stats.count(Tcp.RSTS_TO_TAP);
            tcp.free(f);
            return TapHandler.HANDLED;
        }
        c.fd.v[f] = fd;
        c.rtoAt.v[f] = now + Tcp.SYN_TIMEOUT;
        tcp.timers.rearm(f, now);
        return TapHandler.HANDLED;
    }

    /** @return the MSS option {@link #opts} parsed, {@link Tcp#MSS_DEFAULT} if absent or zero */
    private int guestMss() {
        int mss = opts.mss();
        return mss == TcpOptions.NONE || mss == 0 ? Tcp.MSS_DEFAULT : mss;
    }

    /** A segment of an existing flow; {@link #th} wraps its header. */
    private void segment(int f, MemorySegment frame, int l4Len, long now) {
        int fl = th.flags();
        int seq = th.seq();
        int ack = th.ack();
        int dlen = l4Len - th.headerLen();
        c.keepaliveAt.v[f] = now + Tcp.KEEPALIVE_INTERVAL;
        if (dlen > 0 || (fl & (TcpHeader.SYN | TcpHeader.FIN | TcpHeader.RST)) != 0 || ack != c.seqAckFromTap.v[f]
                || (th.window() << c.wsFromTap.v[f]) != c.wndFromTap.v[f]) {
            c.lastActivity.v[f] = now; // a bare repeat of the guest's last ACK (a keepalive's answer) is not activity
        }
        if ((fl & TcpHeader.RST) != 0) {
            rstFromTap(f, seq);
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
     * A RST from the guest resets the socket's peer, if it is acceptable: it falls where we expect data (RFC 5961 §3
     * would ask for a challenge ACK otherwise; the guest is on our side of the tap, a window check is enough).
     */
    private void rstFromTap(int f, int seq) {
        if (c.has(f, TcpConn.SOCK_ACCEPTED) || Seq.ge(seq, c.seqFromTap.v[f] - 1)) {
            if (Log.trace) {
                Log.trace("TCP: flow " + f + ": RST from tap");
            }
            socks.reset(c.fd.v[f]);
            c.fd.v[f] = -1;
            tcp.free(f);
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
                    tcp.sock.sendSynAck(f);
                }
                return false;
            }
            if (!c.has(f, TcpConn.TAP_SYN_ACK_SENT) || (fl & TcpHeader.ACK_FLAG) == 0 || ack != c.seqToTap.v[f]) {
                return false;
            }
            established(f, ack);
            socks.watch(c.fd.v[f], f, TcpSocks.EPOLLIN | TcpSocks.EPOLLRDHUP);
            tcp.timers.rearm(f, now);
            return true;
        }
        if (c.has(f, TcpConn.SOCK_ACCEPTED)) {
            if ((fl & (TcpHeader.SYN | TcpHeader.ACK_FLAG)) != (TcpHeader.SYN | TcpHeader.ACK_FLAG)
                    || ack != c.seqToTap.v[f]) {
                return false;
            }
            opts.parse(frame, th.options(), th.optionsLen());
            c.mssToTap.v[f] = Math.min(guestMss(), emit.maxMss(c.flagged(f, TcpConn.V6)));
            if (opts.wscale() == TcpOptions.NONE) {
                c.wsFromTap.v[f] = 0;
                c.wsToTap.v[f] = 0;
            } else {
                c.wsFromTap.v[f] = (byte) opts.wscale();
            }
            c.wndFromTap.v[f] = th.window() << c.wsFromTap.v[f];
            c.seqFromTap.v[f] = seq + 1;
            established(f, ack);
            ackToTap(f, true, now);
            socks.watch(c.fd.v[f], f, TcpSocks.EPOLLIN | TcpSocks.EPOLLRDHUP);
            tcp.sock.dataFromSock(f, now);
            tcp.timers.rearm(f, now);
            return false;
        }
        return false;
    }

    /** The guest's ACK of {@code ack} completed the handshake: nothing of ours is unacknowledged. */
    private void established(int f, int ack) {
        c.event(f, TcpConn.ESTABLISHED);
        c.seqAckFromTap.v[f] = c.seqSockHead.v[f] = ack;
        c.unflag(f, TcpConn.ACK_FROM_TAP_DUE);
        c.rtoAt.v[f] = Long.MAX_VALUE;
        c.retrans.v[f] = 0;
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
                c.rtoAt.v[f] = now + Tcp.RTO_INITIAL;
            }
            tcp.timers.rearm(f, now);
            if (c.has(f, TcpConn.TAP_FIN_ACKED)) {
                tcp.maybeClose(f);
            }
        } else if (ack == una && pureAck && wnd == oldWnd && c.seqToTap.v[f] != una
                && Seq.ge(una, c.recover.v[f])) {
            if (++c.dupAcks.v[f] == Tcp.DUP_ACK_THRESHOLD) {
                stats.count(Tcp.FAST_RETRANSMITS);
                rewind(f);
                due(f, TcpConn.SEND_DUE); // resend at the end of the burst (timeouts resend at once)
            }
        }
    }

    /** Goes back to the acknowledged point: the data after it is sent again from the socket. */
    void rewind(int f) {
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
    void consume(int f) {
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
                stats.count(Tcp.OUT_OF_ORDER);
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
                p = Arena.ofAuto().allocate(Tcp.PEND_CAP, ALIGN);
            }
            c.pend.v[f] = p;
        }
        if (c.pendLen.v[f] + len > Tcp.PEND_CAP) {
            writePend(f);
            if (c.events.v[f] == 0) {
                return 0;
            }
        }
        int n = Math.min(len, Tcp.PEND_CAP - c.pendLen.v[f]);
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
        if (tcp.sockFailed(f, r, "send")) {
            return;
        }
        stats.add(Tcp.BYTES_TO_SOCK, r);
        int left = len - (int) r;
        if (left > 0) {
            stats.add(Tcp.HELD_BYTES, left);
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

    /** See {@link Tcp#flush}. */
    void flush(long nowNs) {
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
                tcp.sock.dataFromSock(f, nowNs);
            }
        }
        dirtyCount = 0;
    }

    /** Writes held data, sends our FIN to the socket once everything is written, acknowledges to the guest. */
    void drainToSock(int f, long now) {
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
        tcp.maybeClose(f);
    }

    /** Gives the flow's data buffer back to the pool once it holds nothing. */
    void releasePend(int f) {
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
        return (int) Math.min(w, (long) Tcp.WINDOW_FIELD_MAX << c.wsToTap.v[f]);
    }

    /** Sends an ACK if the acknowledged point or the window moved, or always if {@code force}. */
    void ackToTap(int f, boolean force, long now) {
        int wnd = windowToTap(f);
        int ws = c.wsToTap.v[f];
        if (force || c.seqAckToTap.v[f] != c.seqFromTap.v[f] || (wnd >>> ws) != (c.wndToTap.v[f] >>> ws)) {
            c.wndToTap.v[f] = wnd;
            sendAck(f);
        }
        if (wnd < c.mssToTap.v[f] && !c.has(f, TcpConn.SOCK_FIN_SENT)) {
            c.flag(f, TcpConn.ACK_TO_TAP_DUE);
            c.ackDueAt.v[f] = now + Tcp.ACK_INTERVAL;
        } else {
            c.unflag(f, TcpConn.ACK_TO_TAP_DUE);
            c.ackDueAt.v[f] = Long.MAX_VALUE;
        }
        tcp.timers.rearm(f, now);
    }

    /** Sends a bare ACK with the current acknowledged point and the last computed window. */
    private void sendAck(int f) {
        c.seqAckToTap.v[f] = c.seqFromTap.v[f];
        emit.toFlow(f).control(c.seqToTap.v[f], c.seqFromTap.v[f], TcpHeader.ACK_FLAG,
                c.wndToTap.v[f] >>> c.wsToTap.v[f]);
    }
}
