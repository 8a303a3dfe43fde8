package io.jpasta.splice;

/**
 * Where a spliced connection gets its index: a fixed number of slots, handed out and taken back. The index is the
 * one the loop's epoll data carries. This is the seam to the shared flow table (tap module): today
 * {@link FreeSlots} serves splice alone.
 */
public interface FlowSlots {
    /** @return a free index in {@code [0, capacity())}, or -1 when every slot is taken */
    int allocate();

    /** Gives {@code index} back; it may be handed out again by the next {@link #allocate()}. */
    void release(int index);

    /** @return the number of slots */
    int capacity();

    /** A stack of free indices over an int array: O(1) both ways, no allocation after construction. */
    final class FreeSlots implements FlowSlots {
        private final int[] free;
        private int top;

        public FreeSlots(int capacity) {
            free = new int[capacity];
            for (int i = 0; i < capacity; i++) {
                free[i] = capacity - 1 - i; // lowest index first
            }
            top = capacity;
        }

        @Override
        public int allocate() {
            return top == 0 ? -1 : free[--top];
        }

        @Override
        public void release(int index) {
            free[top++] = index;
        }

        @Override
        public int capacity() {
            return free.length;
        }
    }
}
