package io.jpasta.udp;

import io.jpasta.tap.flow.Columns;

import java.util.Arrays;

/**
 * Per-flow state of UDP flows ({@link Columns}: arrays indexed by flow, no object per flow or per datagram), and
 * the dense list of flows in use for the expiry scan. Loop thread only.
 */
final class UdpFlows {
    /** How the flow runs: guest to a host socket, a host listener's peer to the guest, or socket to socket. */
    static final byte TAP_OUT = 1, TAP_IN = 2, SPLICE = 3;
    static final int INITIAL = 256;

    private final Columns cols;
    /** {@link #TAP_OUT}, {@link #TAP_IN}, {@link #SPLICE}; 0: not a flow of ours. */
    final Columns.Bytes kind;
    /** The flow's own socket (TAP_OUT: connected to the destination; SPLICE: connected to the far target). */
    final Columns.Ints sock;
    /** TAP_IN and SPLICE: the listener the peer talks to, replies go out through it; -1 for TAP_OUT. */
    final Columns.Ints lsock;
    /** 1 if {@link #lsock} is an IPv6 (possibly dual-stack) socket. */
    final Columns.Bytes lsockV6;
    final Columns.Longs lastNs;
    /** Datagrams from side 0 and side 1 (saturating): more than one each way makes a flow a stream. */
    final Columns.Bytes from0, from1;
    /** The flow's place in {@link #active}. */
    final Columns.Ints pos;
    /** Flows in use, densely: the expiry scan walks {@code count} of them. */
    int[] active;
    int count;

    UdpFlows(int max) {
        cols = new Columns(INITIAL, max);
        kind = cols.bytes();
        sock = cols.ints(-1);
        lsock = cols.ints(-1);
        lsockV6 = cols.bytes();
        lastNs = cols.longs(0);
        from0 = cols.bytes();
        from1 = cols.bytes();
        pos = cols.ints(0);
        active = new int[cols.capacity()];
    }

    /** Starts flow {@code f} of {@code k} with its sockets, and lists it for expiry. */
    void start(int f, byte k, int s, int ls, boolean lsV6, long now) {
        cols.ensure(f);
        if (active.length < cols.capacity()) {
            active = Arrays.copyOf(active, cols.capacity());
        }
        cols.reset(f);
        kind.v[f] = k;
        sock.v[f] = s;
        lsock.v[f] = ls;
        lsockV6.v[f] = (byte) (lsV6 ? 1 : 0);
        lastNs.v[f] = now;
        pos.v[f] = count;
        active[count++] = f;
    }

    /** A datagram from side {@code side} of flow {@code f} at {@code now}. */
    void saw(int f, int side, long now) {
        lastNs.v[f] = now;
        Columns.Bytes from = side == 0 ? from0 : from1;
        if (from.v[f] < 2) {
            from.v[f]++;
        }
    }

    /** @return true if both sides sent more than one datagram (a stream: the longer timeout) */
    boolean stream(int f) {
        return from0.v[f] > 1 && from1.v[f] > 1;
    }

    /** @return true if {@link #lsock} of {@code f} is an IPv6 socket */
    boolean lsockV6(int f) {
        return lsockV6.v[f] != 0;
    }

    /** Forgets flow {@code f}: the caller closed its socket and frees its index. */
    void end(int f) {
        kind.v[f] = 0;
        sock.v[f] = lsock.v[f] = -1;
        int p = pos.v[f];
        int last = active[--count];
        active[p] = last;
        pos.v[last] = p;
    }

    /** @return true if {@code f} is a UDP flow of ours in use */
    boolean inUse(int f) {
        return f >= 0 && f < cols.capacity() && kind.v[f] != 0;
    }
}
