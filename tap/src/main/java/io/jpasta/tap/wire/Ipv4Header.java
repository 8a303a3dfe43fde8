package io.jpasta.tap.wire;

import java.lang.foreign.MemorySegment;

/**
 * IPv4 header (RFC 791 §3.1), options included, over the payload of an Ethernet frame. Reused: call
 * {@link #wrap} per frame after {@link #fits} accepted it.
 *
 * <p>{@link #fits} checks version, header length and total length against the bytes present; afterwards every
 * accessor reads inside the checked range. Ethernet padding after the datagram is allowed: use
 * {@link #totalLen()}, not the frame length. Fragments ({@link #isFragment()}) are not reassembled: pasta's
 * peers never need it on a tap with a 65520 MTU, and the caller counts and drops them.
 */
public final class Ipv4Header {
    /** Length of a header without options. */
    public static final int MIN_LEN = 20;
    static final int VER_IHL = 0, TOS = 1, TOT_LEN = 2, ID = 4, FRAG_OFF = 6, TTL = 8, PROTO = 9, CHECK = 10,
            SRC = 12, DST = 16;
    /** Don't Fragment flag in the fragment offset word. */
    public static final int IP_DF = 0x4000;
    /** More Fragments flag. */
    public static final int IP_MF = 0x2000;
    /** Fragment offset mask (8-byte units). */
    public static final int IP_OFFMASK = 0x1fff;
    public static final int IPPROTO_ICMP = 1, IPPROTO_TCP = 6, IPPROTO_UDP = 17;

    private MemorySegment seg;
    private long off;

    /**
     * @return true if {@code len} bytes at {@code off} hold a version 4 header whose header length is at least 20
     *         and within the total length, and whose total length fits in {@code len}
     */
    public static boolean fits(MemorySegment seg, long off, long len) {
        if (len < MIN_LEN || off < 0 || off + len > seg.byteSize()) {
            return false;
        }
        int verIhl = Be.u8(seg, off + VER_IHL);
        int hl = (verIhl & 0xf) * 4;
        int tot = Be.u16(seg, off + TOT_LEN);
        return (verIhl >>> 4) == 4 && hl >= MIN_LEN && hl <= tot && tot <= len;
    }

    public Ipv4Header wrap(MemorySegment seg, long off) {
        this.seg = seg;
        this.off = off;
        return this;
    }

    /** @return offset of this header in its segment */
    public long offset() {
        return off;
    }

    /** @return header length in bytes, options included */
    public int headerLen() {
        return (Be.u8(seg, off + VER_IHL) & 0xf) * 4;
    }

    public int tos() {
        return Be.u8(seg, off + TOS);
    }

    public int totalLen() {
        return Be.u16(seg, off + TOT_LEN);
    }

    public int id() {
        return Be.u16(seg, off + ID);
    }

    /** @return the flags and fragment offset word */
    public int fragOff() {
        return Be.u16(seg, off + FRAG_OFF);
    }

    /** @return true if this datagram is a fragment: More Fragments set or a non-zero offset */
    public boolean isFragment() {
        return (fragOff() & (IP_MF | IP_OFFMASK)) != 0;
    }

    public int ttl() {
        return Be.u8(seg, off + TTL);
    }

    public int proto() {
        return Be.u8(seg, off + PROTO);
    }

    public int checksum() {
        return Be.u16(seg, off + CHECK);
    }

    public int src() {
        return Be.i32(seg, off + SRC);
    }

    public int dst() {
        return Be.i32(seg, off + DST);
    }

    /** @return offset of the options (equal to {@link #payload()} when there are none) */
    public long options() {
        return off + MIN_LEN;
    }

    /** @return length of the options in bytes */
    public int optionsLen() {
        return headerLen() - MIN_LEN;
    }

    /** @return offset of the transport header */
    public long payload() {
        return off + headerLen();
    }

    /** @return transport header plus data length, from the total length */
    public int payloadLen() {
        return totalLen() - headerLen();
    }

    /** @return true if the header checksum verifies */
    public boolean checksumOk() {
        return Checksum.verify(seg, off, headerLen(), 0);
    }

    /**
     * Writes a 20-byte header without options; the checksum is left zero, see {@link #fillChecksum()}.
     *
     * @param fragOff flags and fragment offset word, usually {@link #IP_DF}
     */
    public Ipv4Header init(int totalLen, int id, int fragOff, int ttl, int proto, int src, int dst) {
        Be.put8(seg, off + VER_IHL, 0x45);
        Be.put8(seg, off + TOS, 0);
        Be.put16(seg, off + TOT_LEN, totalLen);
        Be.put16(seg, off + ID, id);
        Be.put16(seg, off + FRAG_OFF, fragOff);
        Be.put8(seg, off + TTL, ttl);
        Be.put8(seg, off + PROTO, proto);
        Be.put16(seg, off + CHECK, 0);
        Be.put32(seg, off + SRC, src);
        Be.put32(seg, off + DST, dst);
        return this;
    }

    public Ipv4Header totalLen(int len) {
        Be.put16(seg, off + TOT_LEN, len);
        return this;
    }

    /** Computes and stores the header checksum over the header as it is now. */
    public Ipv4Header fillChecksum() {
        Be.put16(seg, off + CHECK, 0);
        Be.put16(seg, off + CHECK, Checksum.finish(Checksum.sum(seg, off, headerLen(), 0)));
        return this;
    }

    /** @return partial sum of the pseudo-header for this datagram's transport checksum */
    public long pseudo() {
        return Checksum.pseudo4(src(), dst(), proto(), payloadLen());
    }
}
