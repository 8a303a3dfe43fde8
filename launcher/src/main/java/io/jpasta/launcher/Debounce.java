package io.jpasta.launcher;

/**
 * Turns a burst of change notifications into one action: the action is due {@link #quietNs} after the last
 * notification of the burst, and never later than {@link #maxNs} after its first, so that a host that keeps
 * changing is still followed. Pure: the caller passes the clock and arms a timer for {@link #deadline()}.
 */
final class Debounce {
    /** Quiet time after the last notification of a burst */
    static final long QUIET_NS = 100_000_000L;
    /** Longest a burst may delay its action */
    static final long MAX_NS = 500_000_000L;

    private final long quietNs;
    private final long maxNs;
    private boolean pending;
    private long first;
    private long deadline;

    Debounce(long quietNs, long maxNs) {
        if (quietNs <= 0 || maxNs < quietNs) {
            throw new IllegalArgumentException("quiet " + quietNs + " ns, max " + maxNs + " ns");
        }
        this.quietNs = quietNs;
        this.maxNs = maxNs;
    }

    /**
     * A notification arrived.
     *
     * @return the deadline to arm a timer for: now plus the quiet time, but no later than the burst's limit
     */
    long poke(long nowNs) {
        if (!pending) {
            pending = true;
            first = nowNs;
        }
        long quiet = nowNs + quietNs;
        long limit = first + maxNs;
        deadline = quiet - limit < 0 ? quiet : limit;
        return deadline;
    }

    /** @return true if a burst is pending and its deadline has passed: act now, then call {@link #done} */
    boolean due(long nowNs) {
        return pending && nowNs - deadline >= 0;
    }

    /** The action ran: the next notification starts a new burst. */
    void done() {
        pending = false;
    }

    /** @return true while a burst waits for its deadline */
    boolean pending() {
        return pending;
    }

    /** @return the deadline of the pending burst (meaningless when none is pending) */
    long deadline() {
        return deadline;
    }
}
