package io.jpasta.tap.wire;

import java.lang.foreign.MemorySegment;

/**
 * IPv6 header (RFC 8200 §3) and its extension header chain (§4) over the payload of an Ethernet frame.
 * Reused: {@link #parse} per frame.
 *
 * <p>{@link #parse} checks the fixed header against the bytes present, then walks Hop-by-Hop, Routing,
 * Destination Options, Authentication and Fragment headers, checking that each lies inside the payload, and
 * records where the upper-layer header starts ({@link #upperProto()}, {@link #upperOff()}). The walk stops at a
 * Fragment header: fragments are not reassembled, the caller counts and drops them ({@link #isFragment()}).
 * Addresses are read as two big-endian {@code long}s (high and low 64 bits) so that they can be compared and
 * stored without allocation.
 */
public final class Ipv6Header {
    /** Length of the fixed header. */
    public static final int LEN = 40;
    static final int VER_TC_FLOW = 0, PAYLOAD_LEN = 4, NEXT_HDR = 6, HOP_LIMIT = 7, SRC = 8, DST = 24;
    public static final int IPPROTO_HOPOPTS = 0, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_ROUTING = 43,
            IPPROTO_FRAGMENT = 44, IPPROTO_ESP = 50, IPPROTO_AH = 51, IPPROTO_ICMPV6 = 58, IPPROTO_NONE = 59,
            IPPROTO_DSTOPTS = 60;
    /** Bound on the extension headers walked, so that a crafted chain costs at most this many steps. */
    public static final int MAX_EXT_HEADERS = 16;

    private MemorySegment seg;
    private long off;
    private int upperProto;
    private long upperOff;
    private boolean fragment;

    /** @return true if {@code len} bytes at {@code off} hold a version 6 fixed header and its whole payload */
    public static boolean fits(MemorySegment seg, long off, long len) {
        return len >= LEN && off >= 0 && off + len <= seg.byteSize() && (Be.u8(seg, off) >>> 4) == 6
                && LEN + Be.u16(seg, off + PAYLOAD_LEN) <= len;
    }

    /**
     * Checks and wraps the header at {@code off}, then walks its extension headers.
     *
     * @return false if the fixed header or any extension header does not fit (the view is then unusable)
     */
    public boolean parse(MemorySegment seg, long off, long len) {
        if (!fits(seg, off, len)) {
            return false;
        }
        wrap(seg, off);
        long end = off + LEN + payloadLen();
        long p = off + LEN;
        int next = nextHeader();
        fragment = false;
        for (int i = 0; i < MAX_EXT_HEADERS; i++) {
            int extLen;
            switch (next) {
                case IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS -> {
                    if (p + 8 > end) {
                        return false;
                    }
                    extLen = (Be.u8(seg, p + 1) + 1) * 8;
                }
                case IPPROTO_AH -> {
                    if (p + 8 > end) {
                        return false;
                    }
                    extLen = (Be.u8(seg, p + 1) + 2) * 4;
                }
                case IPPROTO_FRAGMENT -> {
                    if (p + 8 > end) {
                        return false;
                    }
                    fragment = true;
                    upperProto = next;
                    upperOff = p;
                    return true;
                }
                default -> {
                    upperProto = next;
                    upperOff = p;
                    return true;
                }
            }
            if (p + extLen > end) {
                return false;
            }
            next = Be.u8(seg, p);
            p += extLen;
        }
        return false;
    }

    /** Points this view at a header without checking or walking: for building frames. */
    public Ipv6Header wrap(MemorySegment seg, long off) {
        this.seg = seg;
        this.off = off;
        this.upperOff = off + LEN;
        this.upperProto = -1;
        this.fragment = false;
        return this;
    }

    public long offset() {
        return off;
    }

    public int trafficClass() {
        return (Be.i32(seg, off) >>> 20) & 0xff;
    }

    public int flowLabel() {
        return Be.i32(seg, off) & 0xfffff;
    }

    public int payloadLen() {
        return Be.u16(seg, off + PAYLOAD_LEN);
    }

    public int nextHeader() {
        return Be.u8(seg, off + NEXT_HDR);
    }

    public int hopLimit() {
        return Be.u8(seg, off + HOP_LIMIT);
    }

    public long srcHi() {
        return seg.get(Be.LONG, off + SRC);
    }

    public long srcLo() {
        return seg.get(Be.LONG, off + SRC + 8);
    }

    public long dstHi() {
        return seg.get(Be.LONG, off + DST);
    }

    public long dstLo() {
        return seg.get(Be.LONG, off + DST + 8);
    }

    /** @return offset of the source address; the destination follows at +16 (for {@link Checksum#pseudo6}) */
    public long srcOff() {
        return off + SRC;
    }

    /** @return protocol of the upper-layer header after the walk, or 44 for a fragment */
    public int upperProto() {
        return upperProto;
    }

    /** @return offset of the upper-layer header after the walk */
    public long upperOff() {
        return upperOff;
    }

    /** @return length from {@link #upperOff()} to the end of the payload */
    public int upperLen() {
        return (int) (off + LEN + payloadLen() - upperOff);
    }

    /** @return true if the walk met a Fragment header */
    public boolean isFragment() {
        return fragment;
    }

    /** @return partial sum of the pseudo-header for the upper-layer checksum */
    public long pseudo() {
        return Checksum.pseudo6(seg, off + SRC, upperProto, upperLen());
    }

    /** Writes a fixed header with no extension headers; addresses as high/low halves. */
    public Ipv6Header init(int flowLabel, int payloadLen, int nextHeader, int hopLimit,
                           long srcHi, long srcLo, long dstHi, long dstLo) {
        Be.put32(seg, off + VER_TC_FLOW, 6 << 28 | (flowLabel & 0xfffff));
        Be.put16(seg, off + PAYLOAD_LEN, payloadLen);
        Be.put8(seg, off + NEXT_HDR, nextHeader);
        Be.put8(seg, off + HOP_LIMIT, hopLimit);
        Be.put64(seg, off + SRC, srcHi);
        Be.put64(seg, off + SRC + 8, srcLo);
        Be.put64(seg, off + DST, dstHi);
        Be.put64(seg, off + DST + 8, dstLo);
        upperProto = nextHeader;
        upperOff = off + LEN;
        return this;
    }

    public Ipv6Header payloadLen(int len) {
        Be.put16(seg, off + PAYLOAD_LEN, len);
        return this;
    }

    /** @return true if the address (hi, lo) is the unspecified address {@code ::} */
    public static boolean isUnspecified(long hi, long lo) {
        return hi == 0 && lo == 0;
    }

    /** @return true if the address with high half {@code hi} is multicast (ff00::/8) */
    public static boolean isMulticast(long hi) {
        return (hi >>> 56) == 0xff;
    }

    /** @return true if the address with high half {@code hi} is link-local unicast (fe80::/10) */
    public static boolean isLinkLocal(long hi) {
        return (hi >>> 54) == (0xfe80L >>> 6);
    }
}
