package io.jpasta.tap.flow;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Per-flow state as parallel arrays (struct of arrays: no object per flow), declared once each: a protocol engine
 * makes each field with {@link #ints}, {@link #longs}, {@link #bytes} or {@link #refs}, and this object grows every
 * column together ({@link #ensure}) and resets a flow's every field to its column's initial value ({@link #reset}).
 * Adding a field is one line; no list of fields to keep in step.
 *
 * <p>The arrays start small and double with the highest index in use, up to the flow table's capacity: the table
 * hands out low indices first, and a full-size set cost milliseconds of zeroing on the first flow. Code reads and
 * writes a field as {@code conn.seqToTap.v[flow]}: the array is reached through its column, as it is replaced when
 * the columns grow. Loop thread only.
 */
public final class Columns {
    private final List<Column> columns = new ArrayList<>();
    private final int max;
    private int capacity;

    /** A column: its array grows and its entries reset with the others. */
    private abstract static class Column {
        abstract void grow(int n);

        abstract void reset(int f);
    }

    /** An {@code int} per flow. */
    public static final class Ints extends Column {
        public int[] v;
        private final int initial;

        private Ints(int n, int initial) {
            this.initial = initial;
            v = new int[n];
            Arrays.fill(v, initial);
        }

        @Override
        void grow(int n) {
            int old = v.length;
            v = Arrays.copyOf(v, n);
            Arrays.fill(v, old, n, initial);
        }

        @Override
        void reset(int f) {
            v[f] = initial;
        }
    }

    /** A {@code long} per flow. */
    public static final class Longs extends Column {
        public long[] v;
        private final long initial;

        private Longs(int n, long initial) {
            this.initial = initial;
            v = new long[n];
            Arrays.fill(v, initial);
        }

        @Override
        void grow(int n) {
            int old = v.length;
            v = Arrays.copyOf(v, n);
            Arrays.fill(v, old, n, initial);
        }

        @Override
        void reset(int f) {
            v[f] = initial;
        }
    }

    /** A {@code byte} per flow (zero when reset). */
    public static final class Bytes extends Column {
        public byte[] v;

        private Bytes(int n) {
            v = new byte[n];
        }

        @Override
        void grow(int n) {
            v = Arrays.copyOf(v, n);
        }

        @Override
        void reset(int f) {
            v[f] = 0;
        }
    }

    /** A reference per flow (left alone when reset: the owner recycles what it holds). */
    public static final class Refs<T> extends Column {
        public T[] v;

        private Refs(T[] array) {
            v = array;
        }

        @Override
        void grow(int n) {
            v = Arrays.copyOf(v, n);
        }

        @Override
        void reset(int f) {
        }
    }

    /**
     * @param initial flows the arrays hold at first
     * @param max flows they may grow to (the flow table's capacity)
     */
    public Columns(int initial, int max) {
        this.max = max;
        this.capacity = Math.min(initial, max);
    }

    /** @return a new column of {@code int}s, each {@code initial} at first and when reset */
    public Ints ints(int initial) {
        return add(new Ints(capacity, initial));
    }

    /** @return a new column of {@code long}s, each {@code initial} at first and when reset */
    public Longs longs(long initial) {
        return add(new Longs(capacity, initial));
    }

    /** @return a new column of {@code byte}s, zero at first and when reset */
    public Bytes bytes() {
        return add(new Bytes(capacity));
    }

    /** @return a new column of references, null at first; {@code empty} is a zero-length array of the type */
    public <T> Refs<T> refs(T[] empty) {
        return add(new Refs<>(Arrays.copyOf(empty, capacity)));
    }

    private <C extends Column> C add(C c) {
        columns.add(c);
        return c;
    }

    /** @return flows the columns hold now */
    public int capacity() {
        return capacity;
    }

    /** Grows every column so that flow {@code f} fits (doubling, at most the maximum). */
    public void ensure(int f) {
        if (f < capacity) {
            return;
        }
        int n = Math.min(max, Math.max(f + 1, capacity * 2));
        for (Column c : columns) {
            c.grow(n);
        }
        capacity = n;
    }

    /** Sets every field of flow {@code f} to its column's initial value (references are left alone). */
    public void reset(int f) {
        for (Column c : columns) {
            c.reset(f);
        }
    }
}
