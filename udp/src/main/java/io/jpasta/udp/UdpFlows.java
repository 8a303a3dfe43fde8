package io.jpasta.udp;

import java.util.Arrays;

/**
 * Per-flow state of UDP flows, as arrays indexed by flow (no object per flow or per datagram), grown with the
 * highest flow index in use, and the dense list of flows in use for the expiry scan. Loop thread only.
 */
final class UdpFlows {
    /** How the flow runs: guest to a host socket, a host listener's peer to the guest, or socket to socket. */
    static final byte TAP_OUT = 1, TAP_IN = 2, SPLICE = 3;
    static final int INITIAL = 256;

    private final int max;
    byte[] kind;
    /** The flow's own socket (TAP_OUT: connected to the destination; SPLICE: connected to the far target). */
    int[] sock;
    /** TAP_IN and SPLICE: the listener the peer talks to, replies go out through it; -1 for TAP_OUT. */
    int[] lsock;
    /** True if {@link #lsock} is an IPv6 (possibly dual-stack) socket. */
    boolean[] lsockV6;
    long[] lastNs;
    /** Datagrams from side 0 and side 1 (saturating): more than one each way makes a flow a stream. */
    byte[] from0, from1;
    int[] active, pos;
    int count;

    UdpFlows(int max) {
        this.max = max;
        alloc(Math.min(INITIAL, max));
    }

    private void alloc(int n) {
        kind = kind == null ? new byte[n] : Arrays.copyOf(kind, n);
        sock = sock == null ? filled(n) : grow(sock, n);
        lsock = lsock == null ? filled(n) : grow(lsock, n);
        lsockV6 = lsockV6 == null ? new boolean[n] : Arrays.copyOf(lsockV6, n);
        lastNs = lastNs == null ? new long[n] : Arrays.copyOf(lastNs, n);
        from0 = from0 == null ? new byte[n] : Arrays.copyOf(from0, n);
        from1 = from1 == null ? new byte[n] : Arrays.copyOf(from1, n);
        active = active == null ? new int[n] : Arrays.copyOf(active, n);
        pos = pos == null ? new int[n] : Arrays.copyOf(pos, n);
    }

    private static int[] filled(int n) {
        int[] a = new int[n];
        Arrays.fill(a, -1);
        return a;
    }

    private static int[] grow(int[] a, int n) {
        int old = a.length;
        int[] b = Arrays.copyOf(a, n);
        Arrays.fill(b, old, n, -1);
        return b;
    }

    /** Makes room for flow index {@code f}. */
    void ensure(int f) {
        if (f < kind.length) {
            return;
        }
        int n = kind.length;
        while (n <= f) {
            n = Math.min(max, n * 2);
        }
        alloc(n);
    }

    /** Starts flow {@code f} of {@code k} with its sockets, and lists it for expiry. */
    void start(int f, byte k, int s, int ls, boolean lsV6, long now) {
        ensure(f);
        kind[f] = k;
        sock[f] = s;
        lsock[f] = ls;
        lsockV6[f] = lsV6;
        lastNs[f] = now;
        from0[f] = from1[f] = 0;
        pos[f] = count;
        active[count++] = f;
    }

    /** A datagram from side {@code side} of flow {@code f} at {@code now}. */
    void saw(int f, int side, long now) {
        lastNs[f] = now;
        if (side == 0) {
            if (from0[f] < 2) {
                from0[f]++;
            }
        } else if (from1[f] < 2) {
            from1[f]++;
        }
    }

    /** @return true if both sides sent more than one datagram (a stream: the longer timeout) */
    boolean stream(int f) {
        return from0[f] > 1 && from1[f] > 1;
    }

    /** Forgets flow {@code f}: the caller closed its socket and frees its index. */
    void end(int f) {
        kind[f] = 0;
        sock[f] = lsock[f] = -1;
        int p = pos[f];
        int last = active[--count];
        active[p] = last;
        pos[last] = p;
    }

    /** @return true if {@code f} is a UDP flow of ours in use */
    boolean inUse(int f) {
        return f >= 0 && f < kind.length && kind[f] != 0;
    }
}
