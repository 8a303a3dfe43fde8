package io.jpasta.it;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for an observable condition, bounded in time: the tests' only way to synchronise with a process. */
public final class Poll {
    private static final long STEP_MS = 20;

    private Poll() {
    }

    /**
     * Checks {@code condition} every 20 ms until it holds or {@code limit} has passed.
     *
     * @return the time it took for the condition to hold, or null if it never did within {@code limit}
     */
    public static Duration until(Duration limit, BooleanSupplier condition) {
        long t0 = System.nanoTime();
        long deadline = t0 + limit.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return Duration.ofNanos(System.nanoTime() - t0);
            }
            if (System.nanoTime() > deadline) {
                return null;
            }
            try {
                Thread.sleep(STEP_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }
}
