package io.jpasta.tcp;

import io.jpasta.netns.log.Log;
import io.jpasta.tap.flow.Columns;

import java.lang.foreign.MemorySegment;

/**
 * Per-connection state of tap-side TCP flows, as parallel arrays indexed by flow (struct of arrays: no object per
 * connection or per segment). The state is a set of events that happened, not a state machine, as in the seed:
 * {@link #SOCK_ACCEPTED}, {@link #TAP_SYN_RCVD} and {@link #ESTABLISHED} are the fundamental states (setting one
 * clears every other event), the FIN events accumulate on top of {@link #ESTABLISHED}. Flags are conditions that
 * come and go ({@link #STALLED}, {@link #ACK_TO_TAP_DUE}, ...).
 *
 * <p>Sequence fields, in the seed's names: {@code seqToTap} next sequence we send to the guest,
 * {@code seqAckFromTap} last ACK the guest sent us (bytes before it are released from the socket),
 * {@code seqFromTap} next sequence we expect from the guest, {@code seqAckToTap} last ACK we sent to the guest.
 * Windows are kept in bytes (already scaled).
 */
final class TcpConn {
    /** Events. */
    static final int SOCK_ACCEPTED = 1, TAP_SYN_RCVD = 1 << 1, ESTABLISHED = 1 << 2, TAP_SYN_ACK_SENT = 1 << 3,
            SOCK_FIN_RCVD = 1 << 4, SOCK_FIN_SENT = 1 << 5, TAP_FIN_RCVD = 1 << 6, TAP_FIN_SENT = 1 << 7,
            TAP_FIN_ACKED = 1 << 8;
    /** Events that are fundamental states: setting one clears all others. */
    static final int STATE_BITS = SOCK_ACCEPTED | TAP_SYN_RCVD | ESTABLISHED;
    private static final String[] EVENT_NAMES = {"SOCK_ACCEPTED", "TAP_SYN_RCVD", "ESTABLISHED", "TAP_SYN_ACK_SENT",
        "SOCK_FIN_RCVD", "SOCK_FIN_SENT", "TAP_FIN_RCVD", "TAP_FIN_SENT", "TAP_FIN_ACKED"};

    /** Flags. */
    static final int STALLED = 1, LOCAL = 1 << 1, ACTIVE_CLOSE = 1 << 2, ACK_TO_TAP_DUE = 1 << 3,
            ACK_FROM_TAP_DUE = 1 << 4, V6 = 1 << 5, WANT_OUT = 1 << 6, DIRTY = 1 << 7;
    /**
     * Work left for the end of the burst of tap frames ({@link Tcp#flush}), on flows in its list ({@link #DIRTY}):
     * guest data to write to the socket, acknowledged data to release from it, socket data to send to the guest
     * (the window opened or we went back to retransmit). Not traced: they come and go with every burst.
     */
    static final int DATA_DUE = 1 << 8, CONSUME_DUE = 1 << 9, SEND_DUE = 1 << 10;
    /** Flags {@link #flag}/{@link #unflag} do not trace. */
    static final int QUIET = DIRTY | DATA_DUE | CONSUME_DUE | SEND_DUE;
    private static final String[] FLAG_NAMES = {"STALLED", "LOCAL", "ACTIVE_CLOSE", "ACK_TO_TAP_DUE",
        "ACK_FROM_TAP_DUE", "V6", "WANT_OUT", "DIRTY", "DATA_DUE", "CONSUME_DUE", "SEND_DUE"};

    private final Columns cols;
    final Columns.Ints events, flags, fd;
    final Columns.Ints seqToTap, seqAckFromTap, seqFromTap, seqAckToTap, seqInitToTap;
    /**
     * Sequence of the first byte still in the socket's receive queue: {@link #seqAckFromTap} once what the guest
     * acknowledged is released, behind it while the release waits for the end of the burst of tap frames.
     */
    final Columns.Ints seqSockHead;
    /**
     * Recovery point: {@link #seqToTap} when we last went back to the acknowledged point. Until the guest
     * acknowledges past it, its duplicate ACKs answer the data we are resending and start no new retransmission
     * (RFC 6582 §3.2, "recover"); without this, every resent burst draws duplicate ACKs that trigger the next one.
     */
    final Columns.Ints recover;
    /** Guest's receive window in bytes (scaled), our last advertised window in bytes. */
    final Columns.Ints wndFromTap, wndToTap;
    /** Window scale shifts: the guest's (applied to its window field), ours (applied to what we advertise). */
    final Columns.Bytes wsFromTap, wsToTap;
    /** Largest segment we send to the guest (its MSS option, clamped to our MTU). */
    final Columns.Ints mssToTap;
    /** Retransmissions in a row without progress; duplicate ACKs seen at the same point. */
    final Columns.Bytes retrans, dupAcks;
    /** Next timer deadline (ns), {@link Long#MAX_VALUE} for none; last activity seen on either side. */
    final Columns.Longs deadline, lastActivity;
    /** When unacknowledged data (or our SYN) is retransmitted; when a window update is checked. */
    final Columns.Longs rtoAt, ackDueAt;
    /** When an established flow whose guest stayed silent gets a keepalive ({@link Tcp#KEEPALIVE_INTERVAL}). */
    final Columns.Longs keepaliveAt;
    /** Data from the guest the socket did not take yet (coalescing and keep-what-was-not-taken buffer). */
    final Columns.Refs<MemorySegment> pend;
    final Columns.Ints pendLen;

    /**
     * Arrays for the first {@code initial} flow indices, grown by {@link #ensure} up to {@code max}: the flow table
     * hands out low indices first, and a full-size set (104 bytes per flow, 13.6 MB for 131 071 flows) cost 14 ms
     * of zeroing and page faults on the first connection.
     */
    TcpConn(int initial, int max) {
        cols = new Columns(initial, max);
        events = cols.ints(0);
        flags = cols.ints(0);
        fd = cols.ints(-1);
        seqToTap = cols.ints(0);
        seqAckFromTap = cols.ints(0);
        seqFromTap = cols.ints(0);
        seqAckToTap = cols.ints(0);
        seqInitToTap = cols.ints(0);
        seqSockHead = cols.ints(0);
        recover = cols.ints(0);
        wndFromTap = cols.ints(0);
        wndToTap = cols.ints(0);
        wsFromTap = cols.bytes();
        wsToTap = cols.bytes();
        mssToTap = cols.ints(0);
        retrans = cols.bytes();
        dupAcks = cols.bytes();
        deadline = cols.longs(Long.MAX_VALUE);
        lastActivity = cols.longs(0);
        rtoAt = cols.longs(Long.MAX_VALUE);
        ackDueAt = cols.longs(Long.MAX_VALUE);
        keepaliveAt = cols.longs(Long.MAX_VALUE);
        pend = cols.refs(new MemorySegment[0]);
        pendLen = cols.ints(0);
    }

    /** @return flow indices the arrays hold now */
    int capacity() {
        return cols.capacity();
    }

    /** Grows every array so that index {@code f} fits. */
    void ensure(int f) {
        cols.ensure(f);
    }

    /** Clears every field of a flow that was just allocated (its data buffer, if any, is the engine's to recycle). */
    void reset(int f) {
        cols.reset(f);
    }

    /** Forgets everything that happened to a flow: it is closed. */
    void close(int f) {
        events.v[f] = 0;
        flags.v[f] = 0;
    }

    /** Takes back {@code event}, not a state: our FIN is to be sent again after going back to retransmit. */
    void undo(int f, int event) {
        events.v[f] &= ~(event & ~STATE_BITS);
    }

    boolean has(int f, int event) {
        return (events.v[f] & event) == event;
    }

    boolean flagged(int f, int flag) {
        return (flags.v[f] & flag) != 0;
    }

    /** Records {@code event}; a state event replaces all events. */
    void event(int f, int event) {
        if ((events.v[f] & event) == event) {
            return;
        }
        if ((event & STATE_BITS) != 0) {
            events.v[f] = event;
        } else {
            events.v[f] |= event;
        }
        if (Log.trace) {
            Log.trace("TCP: flow " + f + ": " + names(EVENT_NAMES, event));
        }
    }

    void flag(int f, int flag) {
        if ((flags.v[f] & flag) == flag) {
            return;
        }
        flags.v[f] |= flag;
        if (Log.trace && (flag & QUIET) == 0) {
            Log.trace("TCP: flow " + f + ": " + names(FLAG_NAMES, flag));
        }
    }

    void unflag(int f, int flag) {
        if ((flags.v[f] & flag) == 0) {
            return;
        }
        flags.v[f] &= ~flag;
        if (Log.trace && (flag & QUIET) == 0) {
            Log.trace("TCP: flow " + f + ": !" + names(FLAG_NAMES, flag));
        }
    }

    /** @return the names of the bits in {@code events}, for logs */
    static String eventNames(int events) {
        return names(EVENT_NAMES, events);
    }

    private static String names(String[] names, int bits) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < names.length; i++) {
            if ((bits & (1 << i)) != 0) {
                sb.append(sb.isEmpty() ? "" : "|").append(names[i]);
            }
        }
        return sb.isEmpty() ? "CLOSED" : sb.toString();
    }
}
