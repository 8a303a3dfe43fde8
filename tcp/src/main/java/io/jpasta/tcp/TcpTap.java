package io.jpasta.tcp;

import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Errno;
import io.jpasta.tap.TapFrame;
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

import static io.jpasta.tap.TapHandler.HANDLED;

/**
 * The guest's side of the engine: segments from the tap (handshakes, acknowledgments and windows, data in sequence
 * into the flow's buffer), and, at the end of each burst ({@link #flush}), what the burst left due per flow: release
 * what the guest acknowledged from the socket, write the guest's data to it, acknowledge to the guest what we hold.
 */
final class TcpTap {
    private final Tcp t;
    private final TcpConn c;
    private final FlowTable flows;
    private final TcpSocks socks;
    private final AddrMap map;
    private final TcpHeader th = new TcpHeader();
    private final TcpOptions opts = new TcpOptions();
    private final ArrayDeque<MemorySegment> pendPool = new ArrayDeque<>();
    private int[] dirty;
    private int dirtyCount;

    TcpTap(Tcp t, TcpConn c, FlowTable flows, TcpSocks socks, AddrMap map) {
        this.t = t;
        this.c = c;
        this.flows = flows;
        this.socks = socks;
        this.map = map;
        this.dirty = new int[c.capacity()];
    }

    /** Makes room for {@code n} flow indices. */
    void ensure(int n) {
        if (dirty.length < n) {
            dirty = Arrays.copyOf(dirty, n);
        }
    }

    /**
     * Handles one TCP segment from the tap; the classifier checked every header up to the whole TCP header.
     *
     * @return {@link io.jpasta.tap.TapHandler#HANDLED}, or {@link io.jpasta.tap.TapHandler#DROPPED} with the
     *         reason counted in {@link Tcp#stats()}
     */
    int fromTap(TapFrame p, long nowNs) {
        t.emit.guestMac(p.srcMac());
        t.stats().count(Tcp.SEGS_FROM_TAP);
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
                return synFromTap(p, nowNs);
            }
            if ((fl & TcpHeader.RST) == 0) {
                t.emit.rstNoFlow(p, th.seq(), th.ack(), fl, l4Len - th.headerLen());
                t.stats().count(Tcp.RSTS_TO_TAP);
            }
            return t.drop(Tcp.NO_FLOW);
        }
        int f = FlowTable.flowOf(sidx);
        segment(f, frame, l4, l4Len, nowNs);
        return HANDLED;
    }

    /** A SYN for no flow: opens the host socket and starts connecting. */
    private int synFromTap(TapFrame p, long now) {
        MemorySegment frame = p.seg();
        boolean v6 = p.v6();
        long srcHi = p.srcHi(), srcLo = p.srcLo(), dstHi = p.dstHi(), dstLo = p.dstLo();
        int sport = p.srcPort(), dport = p.dstPort();
        if (dport == 0 || sport == 0 || (v6 ? Ipv6Header.isMulticast(dstHi)
                : (Inany.v4(dstLo) >>> 28) >= 0xe || Inany.v4(dstLo) == -1)) {
            return t.drop(Tcp.BAD_ADDRESS);
        }
        int f = flows.alloc(FlowType.TCP);
        if (f == FlowTable.NONE) {
            t.emit.rstNoFlow(p, th.seq(), 0, TcpHeader.SYN, 0);
            t.stats().count(Tcp.RSTS_TO_TAP);
            return t.drop(Tcp.TABLE_FULL);
        }
        flows.side(f, Tcp.TAPSIDE, Pif.TAP, srcHi, srcLo, sport, dstHi, dstLo, dport);
        map.fromTap(Ipv4Header.IPPROTO_TCP, dstHi, dstLo, dport);
        long tHi = map.resultHi(), tLo = map.resultLo();
        flows.side(f, Tcp.SOCKSIDE, Pif.HOST, tHi, tLo, dport, 0, 0, 0);
        if (!flows.hash(f, Tcp.TAPSIDE)) {
            flows.free(f);
            return t.drop(Tcp.TABLE_FULL);
        }
        t.ensure(f);
        c.reset(f);
        if (v6) {
            c.flag(f, TcpConn.V6);
        }
        if (AddrMap.isLoopback(tHi, tLo)) {
            c.flag(f, TcpConn.LOCAL);
        }
        int seq = th.seq();
        opts.parse(frame, th.options(), th.optionsLen());
        int mss = opts.mss() == TcpOptions.NONE || opts.mss() == 0 ? Tcp.MSS_DEFAULT : opts.mss();
        c.mssToTap.v[f] = Math.min(mss, t.maxMss(v6));
        boolean scaling = opts.wscale() != TcpOptions.NONE;
        c.wsFromTap.v[f] = (byte) (scaling ? opts.wscale() : 0);
        c.wsToTap.v[f] = (byte) (scaling ? Tcp.MAX_WS : 0);
        c.wndFromTap.v[f] = th.window();
        c.seqFromTap.v[f] = c.seqAckToTap.v[f] = seq + 1;
        int isn = t.isn(f, now);
        c.seqInitToTap.v[f] = c.seqToTap.v[f] = c.seqAckFromTap.v[f] = c.recover.v[f] = isn;
        c.lastActivity.v[f] = now;
        t.timers.activate(f);
        c.event(f, TcpConn.TAP_SYN_RCVD);
        int fd = socks.connect(f, tHi, tLo, dport);
        if (fd < 0) {
            if (Log.trace) {
                Log.trace("TCP: flow " + f + ": connect failed, errno " + -fd);
            }
            // refused at once (out of descriptors or buffers, unreachable): answered with a RST, and counted
            t.emit.control(f, 0, seq + 1, TcpHeader.RST | TcpHeader.ACK_FLAG, 0);
            t.stats().count(Tcp.RSTS_TO_TAP);
            t.stats().count(Tcp.CONNECT_FAILED);
            t.free(f);
            return HANDLED;
        }
        c.fd.v[f] = fd;
        c.rtoAt.v[f] = now + Tcp.SYN_TIMEOUT;
        t.timers.rearm(f);
        return HANDLED;
    }

    /** A segment of an existing flow; {@link #th} wraps its header. */
    private void segment(int f, MemorySegment frame, long l4, int l4Len, long now) {
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
            // Acceptable if it falls where we expect data (RFC 5961 §3 would ask for a challenge ACK otherwise;
            // the guest is on our side of the tap, a window check is enough).
            if (c.has(f, TcpConn.SOCK_ACCEPTED) || Seq.ge(seq, c.seqFromTap.v[f] - 1)) {
                if (Log.trace) {
                    Log.trace("TCP: flow " + f + ": RST from tap");
                }
                socks.reset(c.fd.v[f]);
                c.fd.v[f] = -1;
                t.free(f);
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
            dataFromTap(f, frame, th.payload(), seq, dlen, (fl & TcpHeader.FIN) != 0, now);
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
                    t.sockSide.sendSynAck(f);
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
            t.timers.rearm(f);
            return true;
        }
        if (c.has(f, TcpConn.SOCK_ACCEPTED)) {
            if ((fl & (TcpHeader.SYN | TcpHeader.ACK_FLAG)) != (TcpHeader.SYN | TcpHeader.ACK_FLAG)
                    || ack != c.seqToTap.v[f]) {
                return false;
            }
            opts.parse(frame, th.options(), th.optionsLen());
            boolean v6 = c.flagged(f, TcpConn.V6);
            int mss = opts.mss() == TcpOptions.NONE || opts.mss() == 0 ? Tcp.MSS_DEFAULT : opts.mss();
            c.mssToTap.v[f] = Math.min(mss, t.maxMss(v6));
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
            t.sockSide.dataFromSock(f, now);
            t.timers.rearm(f);
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
            boolean finAcked = c.has(f, TcpConn.TAP_FIN_SENT) && ack == c.seqToTap.v[f];
            if (finAcked) {
                c.event(f, TcpConn.TAP_FIN_ACKED);
            }
            // the socket's bytes the guest now has, counted once however often they were sent (our FIN is no byte)
            flows.count(FlowTable.sidx(f, Tcp.SOCKSIDE), Seq.diff(ack, una) - (finAcked ? 1 : 0), 0, now);
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
            t.timers.rearm(f);
            if (c.has(f, TcpConn.TAP_FIN_ACKED)) {
                t.maybeClose(f);
            }
        } else if (ack == una && pureAck && wnd == oldWnd && c.seqToTap.v[f] != una
                && Seq.ge(una, c.recover.v[f])) {
            if (++c.dupAcks.v[f] == Tcp.DUP_ACK_THRESHOLD) {
                t.stats().count(Tcp.FAST_RETRANSMITS);
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
    private void dataFromTap(int f, MemorySegment frame, long payload, int seq, int dlen, boolean fin, long now) {
        int exp = c.seqFromTap.v[f];
        if (c.has(f, TcpConn.TAP_FIN_RCVD) || Seq.gt(seq, exp)) {
            if (Seq.gt(seq, exp)) {
                // A gap: every out-of-order segment gets its duplicate ACK, so that the guest's fast retransmit
                // (three duplicates) starts after three segments instead of a timeout.
                t.stats().count(Tcp.OUT_OF_ORDER);
            }
            sendAck(f);
            return;
        }
        int skip = exp - seq; // >= 0, except exactly half the sequence space away (found by TcpFuzzTest)
        if (skip < 0 || skip > dlen || (skip == dlen && !fin)) {
            sendAck(f); // all old: the guest missed our ACK, repeat it
            return;
        }
        int take = dlen - skip;
        int got = take == 0 ? 0 : hold(f, frame, payload + skip, take);
        if (c.events.v[f] == 0) {
            return;
        }
        c.seqFromTap.v[f] = exp + got;
        flows.count(FlowTable.sidx(f, Tcp.TAPSIDE), got, 1, now);
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
                p = Arena.ofAuto().allocate(Tcp.PEND_CAP, 64);
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
        if (r == -Errno.EAGAIN) {
            return;
        }
        if (r < 0) {
            if (Log.trace) {
                Log.trace("TCP: flow " + f + ": send: errno " + -r);
            }
            t.rst(f);
            return;
        }
        t.stats().add(Tcp.BYTES_TO_SOCK, r);
        int left = len - (int) r;
        if (left > 0) {
            t.stats().add(Tcp.HELD_BYTES, left);
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
                t.sockSide.dataFromSock(f, nowNs);
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
        t.maybeClose(f);
    }

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
        return (int) Math.min(w, 65535L << c.wsToTap.v[f]);
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
        t.timers.rearm(f);
    }

    /** Sends a bare ACK with the current acknowledged point and the last computed window. */
    private void sendAck(int f) {
        c.seqAckToTap.v[f] = c.seqFromTap.v[f];
        t.emit.control(f, c.seqToTap.v[f], c.seqFromTap.v[f], TcpHeader.ACK_FLAG, c.wndToTap.v[f] >>> c.wsToTap.v[f]);
    }
}
