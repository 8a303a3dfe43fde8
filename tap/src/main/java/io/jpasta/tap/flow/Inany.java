package io.jpasta.tap.flow;

/**
 * Addresses of either family as two {@code long}s (high, low 64 bits of an IPv6 address), with IPv4 addresses
 * as IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}, RFC 4291 §2.5.5.2), so that one key shape serves both families.
 */
public final class Inany {
    /** High half of every IPv4-mapped address. */
    public static final long V4_HI = 0;
    private static final long V4_PREFIX_LO = 0x0000_ffff_0000_0000L;

    private Inany() {
    }

    /** @return low half of the IPv4-mapped form of {@code v4} */
    public static long v4Lo(int v4) {
        return V4_PREFIX_LO | (v4 & 0xffff_ffffL);
    }

    /** @return true if (hi, lo) is an IPv4-mapped address */
    public static boolean isV4(long hi, long lo) {
        return hi == 0 && (lo & 0xffff_ffff_0000_0000L) == V4_PREFIX_LO;
    }

    /** @return the IPv4 address inside a mapped low half */
    public static int v4(long lo) {
        return (int) lo;
    }
}
