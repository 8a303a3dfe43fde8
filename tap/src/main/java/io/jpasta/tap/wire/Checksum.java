package io.jpasta.tap.wire;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071): full computation, IPv4/IPv6 pseudo-headers, and incremental update
 * (RFC 1624).
 *
 * <p>Partial sums are kept unfolded in a {@code long} so that many blocks can be added before one fold:
 * {@code fold(sum(seg, off, len, pseudo4(...)))}. {@link #finish} folds and complements, giving the value to
 * store in the header. A received header verifies when the sum over it, checksum field included, finishes to 0.
 */
public final class Checksum {
    private Checksum() {
    }

    /**
     * Adds {@code len} bytes at {@code off}, as big-endian 16-bit words, to {@code sum}. An odd trailing byte is
     * padded with zero on the right (RFC 1071 §4.1).
     *
     * @return the new unfolded partial sum
     */
    public static long sum(MemorySegment seg, long off, long len, long sum) {
        long end = off + len;
        long p = off;
        // RFC 1071 §2(B): the one's complement sum does not depend on byte order. Add 8 bytes at a time as they sit
        // in memory (little-endian on x86_64, no swap), as two 32-bit halves that cannot overflow 64 bits for any
        // frame (2^33 per step); fold to 16 bits and swap the two bytes once at the end to get the network-order sum.
        long acc = 0;
        for (; p + 8 <= end; p += 8) {
            long w = seg.get(ValueLayout.JAVA_LONG_UNALIGNED, p);
            acc += (w & 0xffffffffL) + (w >>> 32);
        }
        if (acc != 0) {
            int folded = fold(acc);
            sum += ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
                    ? ((folded & 0xff) << 8) | (folded >>> 8) : folded;
        }
        for (; p + 2 <= end; p += 2) {
            sum += Be.u16(seg, p);
        }
        if (p < end) {
            sum += Be.u8(seg, p) << 8;
        }
        return sum;
    }

    /** @return {@code sum} folded into 16 bits (end-around carry), not complemented */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** @return the checksum field value for partial sum {@code sum}: folded and complemented, 16 bits */
    public static int finish(long sum) {
        return ~fold(sum) & 0xffff;
    }

    /**
     * @param src IPv4 source address
     * @param dst IPv4 destination address
     * @param proto IP protocol number
     * @param l4Len length of the transport header plus payload
     * @return partial sum of the IPv4 pseudo-header (RFC 768, RFC 9293 §3.1)
     */
    public static long pseudo4(int src, int dst, int proto, int l4Len) {
        return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + l4Len;
    }

    /**
     * Partial sum of the IPv6 pseudo-header (RFC 8200 §8.1) with addresses read from a frame.
     *
     * @param srcOff offset of the 16-byte source address; the destination follows it directly
     */
    public static long pseudo6(MemorySegment seg, long srcOff, int proto, int l4Len) {
        return sum(seg, srcOff, 32, (long) proto + (l4Len >>> 16) + (l4Len & 0xffff));
    }

    /**
     * Incremental update of a checksum field when one 16-bit word changes (RFC 1624 eqn. 3:
     * HC' = ~(~HC + ~m + m')).
     *
     * @return the new checksum field value
     */
    public static int update16(int check, int oldWord, int newWord) {
        long s = (~check & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
        return ~fold(s) & 0xffff;
    }

    /** Incremental update for a changed 32-bit field (an IPv4 address, a sequence number). */
    public static int update32(int check, int oldValue, int newValue) {
        long s = (~check & 0xffff) + (~oldValue >>> 16 & 0xffff) + (~oldValue & 0xffff)
                + (newValue >>> 16) + (newValue & 0xffff);
        return ~fold(s) & 0xffff;
    }

    /** @return true if the checksum over {@code len} bytes plus {@code pseudo} verifies */
    public static boolean verify(MemorySegment seg, long off, long len, long pseudo) {
        return fold(sum(seg, off, len, pseudo)) == 0xffff;
    }
}
