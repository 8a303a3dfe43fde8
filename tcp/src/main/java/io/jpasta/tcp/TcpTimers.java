package io.jpasta.tcp;

import io.jpasta.netns.log.Log;
import io.jpasta.tap.wire.TcpHeader;

import java.util.Arrays;

/**
 * Time in the engine: the list of open connections, each one's next deadline (the earliest of retransmission,
 * delayed window update, keepalive and inactivity), the earliest of all for the loop's timer, and what each
 * deadline does when it passes. The clock is the loop's, passed in; nothing here reads it.
 */
final class TcpTimers {
    private final Tcp t;
    private final TcpConn c;
    private int[] active, activePos;
    private int activeCount;
    private long minDeadline = Long.MAX_VALUE;

    TcpTimers(Tcp t, TcpConn c) {
        this.t = t;
        this.c = c;
        this.active = new int[c.capacity()];
        this.activePos = new int[c.capacity()];
    }

    /** Makes room for {@code n} flow indices. */
    void ensure(int n) {
        if (active.length < n) {
            active = Arrays.copyOf(active, n);
            activePos = Arrays.copyOf(activePos, n);
        }
    }

    /** Lists open connection {@code f}. */
    void activate(int f) {
        activePos[f] = activeCount;
        active[activeCount++] = f;
    }

    /** Takes {@code f} off the list (the last one moves into its place). */
    void remove(int f) {
        int p = activePos[f];
        if (p < activeCount && active[p] == f) {
            int last = active[--activeCount];
            active[p] = last;
            activePos[last] = p;
        }
    }

    /** @return connections listed */
    int count() {
        return activeCount;
    }

    /** @return the {@code i}-th listed connection */
    int at(int i) {
        return active[i];
    }

    /** Recomputes the deadline of {@code f} after a change of its timers. */
    void rearm(int f) {
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

    /** @return the earliest time {@link #run} has work, {@link Long#MAX_VALUE} for none */
    long next() {
        return minDeadline;
    }

    /** Runs the deadlines that passed. */
    void run(long now) {
        if (now - minDeadline < 0) {
            return;
        }
        long next = Long.MAX_VALUE;
        for (int i = 0; i < activeCount; i++) {
            int f = active[i];
            if (c.deadline.v[f] - now <= 0) {
                timeout(f, now);
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
            t.rst(f);
            return;
        }
        if (!c.has(f, TcpConn.ESTABLISHED)) {
            handshakeTimeout(f, now);
            return;
        }
        if (c.flagged(f, TcpConn.ACK_FROM_TAP_DUE) && now - c.rtoAt.v[f] >= 0) {
            if (++c.retrans.v[f] > Tcp.MAX_RETRANS) {
                t.rst(f);
                return;
            }
            t.stats().count(Tcp.RETRANSMITS);
            t.tapSide.rewind(f);
            c.rtoAt.v[f] = now + (Tcp.RTO_INITIAL << c.retrans.v[f]);
            t.sockSide.dataFromSock(f, now);
            if (c.events.v[f] == 0) {
                return;
            }
        }
        if (c.flagged(f, TcpConn.ACK_TO_TAP_DUE) && now - c.ackDueAt.v[f] >= 0) {
            if (c.flagged(f, TcpConn.WANT_OUT)) {
                t.tapSide.drainToSock(f, now);
            } else {
                t.tapSide.ackToTap(f, false, now);
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
        rearm(f);
    }

    /** Before ESTABLISHED: our SYN or SYN-ACK again (doubling), or the connection given up. */
    private void handshakeTimeout(int f, long now) {
        if (now - c.rtoAt.v[f] >= 0) {
            if (!c.has(f, TcpConn.TAP_SYN_ACK_SENT) && !c.has(f, TcpConn.SOCK_ACCEPTED)) {
                t.rst(f); // connect took longer than SYN_TIMEOUT
                return;
            }
            if (++c.retrans.v[f] > Tcp.MAX_RETRANS) {
                t.rst(f);
                return;
            }
            t.stats().count(Tcp.RETRANSMITS);
            if (c.has(f, TcpConn.SOCK_ACCEPTED)) {
                t.sockSide.sendSyn(f);
            } else {
                t.sockSide.sendSynAck(f);
            }
            c.rtoAt.v[f] = now + (Tcp.RTO_INITIAL << c.retrans.v[f]);
        }
        rearm(f);
    }

    /** Sends a keepalive: an ACK for what we took, with a sequence number the guest already acknowledged. */
    private void keepalive(int f) {
        if (Log.trace) {
            Log.trace("TCP: flow " + f + ": keepalive");
        }
        t.stats().count(Tcp.KEEPALIVES);
        c.seqAckToTap.v[f] = c.seqFromTap.v[f];
        t.emit.control(f, c.seqToTap.v[f] - 1, c.seqFromTap.v[f], TcpHeader.ACK_FLAG,
                c.wndToTap.v[f] >>> c.wsToTap.v[f]);
    }
}
