package io.jpasta.splice;

import java.io.IOException;

/**
 * Sockets created ahead of need on the far side of a splice (inside the namespace, where only jpasta-nsd can create
 * them), so that accepting a connection costs no round trip to the daemon: {@link #CAPACITY} per family, refilled in
 * one batch when fewer than {@link #LOW} are left.
 */
public final class SocketPool {
    public static final int CAPACITY = 32, LOW = 16;

    /** Makes sockets: {@code count} unbound non-blocking TCP sockets of a family. */
    public interface Source {
        /** @return how many descriptors were written to {@code out} (at most {@code count}), or -errno */
        int create(boolean v6, int count, int[] out) throws IOException;
    }

    private final Source source;
    private final int[][] fds = {new int[CAPACITY], new int[CAPACITY]};
    private final int[] count = new int[2];
    private final int[] batch = new int[CAPACITY];
    /** Failed refills, for statistics. */
    public long refillErrors;

    public SocketPool(Source source) {
        this.source = source;
    }

    /** @return a socket of the family, or -1 if the pool is empty and cannot be refilled */
    public int take(boolean v6) {
        int f = v6 ? 1 : 0;
        if (count[f] == 0) {
            refill(f);
        }
        return count[f] == 0 ? -1 : fds[f][--count[f]];
    }

    /** Tops up the families that went below {@link #LOW}; call after a batch of accepts, off the hot path. */
    public void refillIfLow() {
        for (int f = 0; f < 2; f++) {
            if (count[f] < LOW) {
                refill(f);
            }
        }
    }

    /** @return sockets ready for family {@code v6} */
    public int available(boolean v6) {
        return count[v6 ? 1 : 0];
    }

    private void refill(int f) {
        int want = CAPACITY - count[f];
        if (want <= 0) {
            return;
        }
        int n;
        try {
            n = source.create(f == 1, want, batch);
        } catch (IOException e) {
            n = -1;
        }
        if (n < 0) {
            refillErrors++;
            return;
        }
        for (int i = 0; i < n && count[f] < CAPACITY; i++) {
            fds[f][count[f]++] = batch[i];
        }
    }
}
