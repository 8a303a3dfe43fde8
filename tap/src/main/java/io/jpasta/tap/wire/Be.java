package io.jpasta.tap.wire;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Big-endian (network order), unaligned value layouts for wire data, and byte-level helpers on segments.
 * Frames are never aligned to anything, so every layout here is unaligned.
 */
public final class Be {
    /** 16-bit network-order field. */
    public static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** 32-bit network-order field. */
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** 64-bit network-order field (IPv6 address halves, MAC addresses read with a mask). */
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Be() {
    }

    /** @return the unsigned byte at {@code off} */
    public static int u8(MemorySegment seg, long off) {
        return Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, off));
    }

    /** @return the unsigned 16-bit network-order value at {@code off} */
    public static int u16(MemorySegment seg, long off) {
        return Short.toUnsignedInt(seg.get(SHORT, off));
    }

    /** @return the 32-bit network-order value at {@code off}, as a Java int (compare unsigned where needed) */
    public static int i32(MemorySegment seg, long off) {
        return seg.get(INT, off);
    }

    /** Writes the low 8 bits of {@code v}. */
    public static void put8(MemorySegment seg, long off, int v) {
        seg.set(ValueLayout.JAVA_BYTE, off, (byte) v);
    }

    /** Writes the low 16 bits of {@code v} in network order. */
    public static void put16(MemorySegment seg, long off, int v) {
        seg.set(SHORT, off, (short) v);
    }

    /** Writes {@code v} in network order. */
    public static void put32(MemorySegment seg, long off, int v) {
        seg.set(INT, off, v);
    }

    /** Writes {@code v} in network order. */
    public static void put64(MemorySegment seg, long off, long v) {
        seg.set(LONG, off, v);
    }

    /** Zeroes {@code len} bytes at {@code off}. */
    public static void zero(MemorySegment seg, long off, long len) {
        // Word by word rather than asSlice().fill(): no slice object per call on the data path.
        long end = off + len;
        long p = off;
        for (; p + 8 <= end; p += 8) {
            seg.set(LONG, p, 0L);
        }
        for (; p < end; p++) {
            seg.set(ValueLayout.JAVA_BYTE, p, (byte) 0);
        }
    }
}
