package io.jpasta.tap;

/**
 * A protocol engine behind the {@link Classifier}: it gets frames of its protocol with every header before its
 * own already checked and located ({@link TapFrame}), and answers with what became of the frame. Guest input never
 * throws: a frame the engine refuses is counted under a reason in the engine's own counters and answered
 * {@link #DROPPED}.
 */
public interface TapHandler {
    /** Consumed: forwarded, answered, or well-formed and deliberately ignored. */
    int HANDLED = 1;
    /** Refused, and counted once with a reason by whoever refused it. */
    int DROPPED = 2;

    /**
     * @param f the frame, parsed: valid until this returns (the classifier reuses it for the next frame)
     * @param nowNs monotonic clock now
     * @return {@link #HANDLED} or {@link #DROPPED}
     */
    int fromTap(TapFrame f, long nowNs);
}
