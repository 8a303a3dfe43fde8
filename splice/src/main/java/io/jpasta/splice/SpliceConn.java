package io.jpasta.splice;

/**
 * One spliced connection: two sockets (side 0 accepted from the listener, side 1 connected to the target) and two
 * pipes ({@code pipe[i]} carries what was read from side {@code i} toward the other side). Reused: a slot's object
 * is allocated once and {@link #clear() cleared} when the connection ends.
 *
 * <p>{@link #events} holds the state as bits named after the events of pasta's splice path, plus the flags this
 * implementation needs:
 * <ul>
 * <li>{@code SPLICE_CONNECT}: side 1's non-blocking connect is in progress;</li>
 * <li>{@code SPLICE_ESTABLISHED}: both sides connected, data moves;</li>
 * <li>{@code OUT_WAIT_i}: a write to side {@code i} would block (or we yielded): wait for EPOLLOUT on it, and stop
 * reading from the other side meanwhile;</li>
 * <li>{@code FIN_RCVD_i}: side {@code i} reached end of stream;</li>
 * <li>{@code FIN_SENT_i}: {@code shutdown(SHUT_WR)} was done on side {@code i}, after the other side's FIN and the
 * drain of the pipe toward {@code i};</li>
 * <li>{@code GONE_i}: side {@code i} failed (reset, broken pipe) and is closed; what it had sent is still delivered;
 * </li>
 * <li>{@code CORKED_i}: the last write to side {@code i} carried {@code SPLICE_F_MORE}: push when idle;</li>
 * <li>{@code DIRTY_i}: pipe {@code i} may hold data that was dropped (side gone): close it instead of pooling it.</li>
 * </ul>
 */
final class SpliceConn {
    static final int SPLICE_CONNECT = 1, SPLICE_ESTABLISHED = 1 << 1, OUT_WAIT_0 = 1 << 2, OUT_WAIT_1 = 1 << 3,
            FIN_RCVD_0 = 1 << 4, FIN_RCVD_1 = 1 << 5, FIN_SENT_0 = 1 << 6, FIN_SENT_1 = 1 << 7;
    static final int GONE_0 = 1 << 8, GONE_1 = 1 << 9, CORKED_0 = 1 << 10, CORKED_1 = 1 << 11, DIRTY_0 = 1 << 12,
            DIRTY_1 = 1 << 13, FLUSHED_AFTER_GONE = 1 << 14;

    final int index;
    int events;
    final int[] sock = {-1, -1};
    final int[] pipeR = {-1, -1};
    final int[] pipeW = {-1, -1};
    final int[] pipeSize = new int[2];
    /** Bytes sitting in pipe {@code i}: read from side {@code i}, not yet written to the other side. */
    final long[] pending = new long[2];
    /** Bytes read from side {@code i} and written to the other side, for statistics and tests. */
    final long[] moved = new long[2];
    /** The epoll mask registered for side {@code i} (EPOLLET left out), -1 when not registered. */
    final int[] interest = {-1, -1};
    /** Side {@code i} must be re-registered even if its mask is unchanged, to get a fresh edge-triggered event. */
    final boolean[] rearm = new boolean[2];
    boolean v6;
    int targetPort;

    SpliceConn(int index) {
        this.index = index;
    }

    static int outWait(int side) {
        return OUT_WAIT_0 << side;
    }

    static int finRcvd(int side) {
        return FIN_RCVD_0 << side;
    }

    static int finSent(int side) {
        return FIN_SENT_0 << side;
    }

    static int gone(int side) {
        return GONE_0 << side;
    }

    static int corked(int side) {
        return CORKED_0 << side;
    }

    static int dirty(int side) {
        return DIRTY_0 << side;
    }

    boolean has(int bits) {
        return (events & bits) != 0;
    }

    boolean inUse() {
        return events != 0;
    }

    void clear() {
        events = 0;
        for (int i = 0; i < 2; i++) {
            sock[i] = pipeR[i] = pipeW[i] = interest[i] = -1;
            pipeSize[i] = 0;
            pending[i] = moved[i] = 0;
            rearm[i] = false;
        }
        v6 = false;
        targetPort = 0;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("splice flow ").append(index).append(':');
        String[] names = {"SPLICE_CONNECT", "SPLICE_ESTABLISHED", "OUT_WAIT_0", "OUT_WAIT_1", "FIN_RCVD_0",
                "FIN_RCVD_1", "FIN_SENT_0", "FIN_SENT_1", "GONE_0", "GONE_1", "CORKED_0", "CORKED_1", "DIRTY_0",
                "DIRTY_1", "FLUSHED_AFTER_GONE"};
        for (int i = 0; i < names.length; i++) {
            if ((events & (1 << i)) != 0) {
                sb.append(' ').append(names[i]);
            }
        }
        return sb.toString();
    }
}
