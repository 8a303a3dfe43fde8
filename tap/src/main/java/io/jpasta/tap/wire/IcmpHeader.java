package io.jpasta.tap.wire;

import java.lang.foreign.MemorySegment;

/**
 * ICMP header (RFC 792) over the payload of an IPv4 datagram, with the echo identifier and sequence number.
 * Reused: call {@link #wrap} per frame.
 */
public final class IcmpHeader {
    /** Length of the header including the 4-byte rest-of-header (identifier and sequence for echo). */
    public static final int LEN = 8;
    static final int TYPE = 0, CODE = 1, CHECK = 2, ID = 4, SEQ = 6;
    public static final int ICMP_ECHOREPLY = 0, ICMP_DEST_UNREACH = 3, ICMP_ECHO = 8, ICMP_TIME_EXCEEDED = 11;

    private MemorySegment seg;
    private long off;

    /** @return true if {@code len} bytes at {@code off} hold a whole 8-byte header */
    public static boolean fits(MemorySegment seg, long off, long len) {
        return len >= LEN && off >= 0 && off + len <= seg.byteSize();
    }

    public IcmpHeader wrap(MemorySegment seg, long off) {
        this.seg = seg;
        this.off = off;
        return this;
    }

    public int type() {
        return Be.u8(seg, off + TYPE);
    }

    public int code() {
        return Be.u8(seg, off + CODE);
    }

    public int checksum() {
        return Be.u16(seg, off + CHECK);
    }

    /** @return echo identifier */
    public int id() {
        return Be.u16(seg, off + ID);
    }

    /** @return echo sequence number */
    public int seq() {
        return Be.u16(seg, off + SEQ);
    }

    public long payload() {
        return off + LEN;
    }

    /** Writes an echo header; the checksum is left zero. */
    public IcmpHeader initEcho(int type, int id, int seq) {
        Be.put8(seg, off + TYPE, type);
        Be.put8(seg, off + CODE, 0);
        Be.put16(seg, off + CHECK, 0);
        Be.put16(seg, off + ID, id);
        Be.put16(seg, off + SEQ, seq);
        return this;
    }

    /** Sets the echo identifier, updating the checksum incrementally (the ping socket picks its own). */
    public IcmpHeader id(int id) {
        Be.put16(seg, off + CHECK, Checksum.update16(checksum(), id(), id));
        Be.put16(seg, off + ID, id);
        return this;
    }

    /** Computes and stores the checksum over {@code len} bytes of header and data (no pseudo-header for ICMP). */
    public IcmpHeader fillChecksum(int len) {
        Be.put16(seg, off + CHECK, 0);
        Be.put16(seg, off + CHECK, Checksum.finish(Checksum.sum(seg, off, len, 0)));
        return this;
    }

    public boolean checksumOk(int len) {
        return Checksum.verify(seg, off, len, 0);
    }
}
