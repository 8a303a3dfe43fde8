package io.jpasta.tcp;

import io.jpasta.netns.log.Log;
import io.jpasta.tap.wire.TcpHeader;

import java.util.Arrays;

/**
 * Timers of the engine's flows: each flow has one deadline, the earliest of its retransmission (or handshake),
 * window re-check, keepalive and inactivity times; the engine keeps the earliest of all, which the loop arms. The
 * flows in use are kept in a dense list, so a timer run visits those and no free index.
 */
final class TcpTimers extends TcpPart {

    /** Flows in use, densely; the position of each flow in that list. */
    private int[] active, activePos;
    private int activeCount;
    private long minDeadline = Long.MAX_VALUE;

    TcpTimers(Tcp tcp) {
        super(tcp);
        this.active = new int[c.capacity()];
        this.activePos = new int[c.capacity()];
    }

    /** Makes room for {@code n} flow indices. */
    void fit(int n) {
        if (active.length < n) {
            active = Arrays.copyOf(active, n);
            activePos = Arrays.copyOf(activePos, n);
        }
    }

    /** Lists a flow that was just opened. */
    void activate(int f) {
        activePos[f] = activeCount;
        active[activeCount++] = f;
    }

    /** Takes a flow that is being freed off the list (another flow takes its position). */
    void deactivate(int f) {
        int p = activePos[f];
        if (p < activeCount && active[p] == f) {
            int last = active[--activeCount];
            active[p] = last;
            activePos[last] = p;
        }
    }

    /** @return flows in use */
    int count() {
        return activeCount;
    }

    /** @return the flow at position {@code i < count()} of the list */
    int flowAt(int i) {
        return active[i];
    }

    /** Works out the deadline of flow {@code f} after one of its times changed. */
    void rearm(int f, long now) {
        long d = Math.min(c.rtoAt.v[f], c.ackDueAt.v[f]);
        d = Math.min(d, c.lastActivity.v[f] + Tcp.ACT_TIMEOUT);
        if (c.has(f, TcpConn.ESTABLISHED)) {
            d = Math.min(d, c.keepaliveAt.v[f]);
        }
        c.deadline.v[f] = d;
        if (d < minDeadline) {
            minDeadline = d;
        }
    }

    /** See {@link Tcp#nextDeadlineNs}. */
    long nextDeadlineNs() {
        return minDeadline;
    }

    /** See {@link Tcp#timer}. */
    void run(long nowNs) {
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
        if (now - (c.lastActivity.v[f] + Tcp.ACT_TIMEOUT) >= 0) {
            tcp.rst(f);
            return;
        }
        if (!c.has(f, TcpConn.ESTABLISHED)) {
            handshakeTimeout(f, now);
            return;
        }
        if (c.flagged(f, TcpConn.ACK_FROM_TAP_DUE) && now - c.rtoAt.v[f] >= 0) {
            if (++c.retrans.v[f] > Tcp.MAX_RETRANS) {
                tcp.rst(f);
                return;
            }
            stats.count(Tcp.RETRANSMITS);
            tcp.tap.rewind(f);
            c.rtoAt.v[f] = now + (Tcp.RTO_INITIAL << c.retrans.v[f]);
            tcp.sock.dataFromSock(f, now);
            if (c.events.v[f] == 0) {
                return;
            }
        }
        if (c.flagged(f, TcpConn.ACK_TO_TAP_DUE) && now - c.ackDueAt.v[f] >= 0) {
            if (c.flagged(f, TcpConn.WANT_OUT)) {
                tcp.tap.drainToSock(f, now);
            } else {
                tcp.tap.ackToTap(f, false, now);
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
            c.keepaliveAt.v[f] = now + Tcp.KEEPALIVE_INTERVAL;
        }
        rearm(f, now);
    }

    /**
     * Before the handshake completes: our SYN or SYN-ACK again (doubling the timeout, at most
     * {@link Tcp#MAX_RETRANS} times), or a RST if the host socket's connect took longer than
     * {@link Tcp#SYN_TIMEOUT}.
     */
    private void handshakeTimeout(int f, long now) {
        if (now - c.rtoAt.v[f] >= 0) {
            if (!c.has(f, TcpConn.TAP_SYN_ACK_SENT) && !c.has(f, TcpConn.SOCK_ACCEPTED)) {
                tcp.rst(f); // connect took longer than SYN_TIMEOUT
                return;
            }
            if (++c.retrans.v[f] > Tcp.MAX_RETRANS) {
                tcp.rst(f);
                return;
            }
            stats.count(Tcp.RETRANSMITS);
            if (c.has(f, TcpConn.SOCK_ACCEPTED)) {
                tcp.sock.sendSyn(f);
            } else {
                tcp.sock.sendSynAck(f);
            }
            c.rtoAt.v[f] = now + (Tcp.RTO_INITIAL << c.retrans.v[f]);
        }
        rearm(f, now);
    }

    /** Sends a keepalive: an ACK for what we took, with a sequence number the guest already acknowledged. */
    private void keepalive(int f) {
        if (Log.trace) {
            Log.trace("TCP: flow " + f + ": keepalive");
        }
        stats.count(Tcp.KEEPALIVES);
        c.seqAckToTap.v[f] = c.seqFromTap.v[f];
        emit.toFlow(f).control(c.seqToTap.v[f] - 1, c.seqFromTap.v[f], TcpHeader.ACK_FLAG,
                c.wndToTap.v[f] >>> c.wsToTap.v[f]);
    }
}
