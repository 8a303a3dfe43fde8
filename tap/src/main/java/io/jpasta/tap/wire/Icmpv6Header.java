package io.jpasta.tap.wire;

import java.lang.foreign.MemorySegment;

/**
 * ICMPv6 header (RFC 4443 §2.1) over the upper-layer payload of an IPv6 packet, with the echo identifier and
 * sequence and the NDP message types (RFC 4861 §4). Reused: call {@link #wrap} per frame.
 *
 * <p>Two length checks, each done once per frame: {@link #fits} for the 4-byte type/code/checksum part, which is
 * all that every ICMPv6 message has, and {@link #fitsBody} for the first 4 bytes of the message body, before
 * {@link #id} and {@link #seq} (echo) or the NDP fields are read.
 */
public final class Icmpv6Header {
    /** Type, code, checksum. */
    public static final int MIN_LEN = 4;
    /** With the 4-byte message body start (echo id/seq, NDP flags/reserved). */
    public static final int LEN = 8;
    static final int TYPE = 0, CODE = 1, CHECK = 2, ID = 4, SEQ = 6;
    public static final int ICMPV6_DEST_UNREACH = 1, ICMPV6_PKT_TOOBIG = 2, ICMPV6_TIME_EXCEED = 3,
            ICMPV6_ECHO_REQUEST = 128, ICMPV6_ECHO_REPLY = 129, MLD_LISTENER_QUERY = 130,
            ND_ROUTER_SOLICIT = 133, ND_ROUTER_ADVERT = 134, ND_NEIGHBOR_SOLICIT = 135, ND_NEIGHBOR_ADVERT = 136,
            ND_REDIRECT = 137, MLD2_LISTENER_REPORT = 143;

    private MemorySegment seg;
    private long off;

    /** @return true if {@code len} bytes at {@code off} hold type, code and checksum */
    public static boolean fits(MemorySegment seg, long off, long len) {
        return len >= MIN_LEN && off >= 0 && off + len <= seg.byteSize();
    }

    /** @return true if {@code len} bytes at {@code off} also hold the body's first 4 bytes ({@link #LEN} in all) */
    public static boolean fitsBody(MemorySegment seg, long off, long len) {
        return len >= LEN && fits(seg, off, len);
    }

    public Icmpv6Header wrap(MemorySegment seg, long off) {
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

    /** @return echo identifier; only after {@link #fitsBody} */
    public int id() {
        return Be.u16(seg, off + ID);
    }

    /** @return echo sequence; only after {@link #fitsBody} */
    public int seq() {
        return Be.u16(seg, off + SEQ);
    }

    /** Writes type and code and zeroes the checksum. */
    public Icmpv6Header init(int type, int code) {
        Be.put8(seg, off + TYPE, type);
        Be.put8(seg, off + CODE, code);
        Be.put16(seg, off + CHECK, 0);
        return this;
    }

    /** Computes and stores the checksum over {@code len} bytes, with the IPv6 pseudo-header sum {@code pseudo}. */
    public Icmpv6Header fillChecksum(long pseudo, int len) {
        Be.put16(seg, off + CHECK, 0);
        Be.put16(seg, off + CHECK, Checksum.finish(Checksum.sum(seg, off, len, pseudo)));
        return this;
    }

    public boolean checksumOk(long pseudo, int len) {
        return Checksum.verify(seg, off, len, pseudo);
    }
}
