package io.jpasta.tap.wire;

import java.lang.foreign.MemorySegment;

/** UDP header (RFC 768) over the transport payload of an IP datagram. Reused: call {@link #wrap} per frame. */
public final class UdpHeader {
    /** Header length. */
    public static final int LEN = 8;
    static final int SRC_PORT = 0, DST_PORT = 2, LENGTH = 4, CHECK = 6;

    private MemorySegment seg;
    private long off;

    /**
     * @param len bytes available for the transport header and data, from the IP header's length
     * @return true if a header is present and its length field is at least 8 and within {@code len}
     */
    public static boolean fits(MemorySegment seg, long off, long len) {
        if (len < LEN || off < 0 || off + len > seg.byteSize()) {
            return false;
        }
        int l = Be.u16(seg, off + LENGTH);
        return l >= LEN && l <= len;
    }

    public UdpHeader wrap(MemorySegment seg, long off) {
        this.seg = seg;
        this.off = off;
        return this;
    }

    public int srcPort() {
        return Be.u16(seg, off + SRC_PORT);
    }

    public int dstPort() {
        return Be.u16(seg, off + DST_PORT);
    }

    /** @return the length field: header plus data */
    public int length() {
        return Be.u16(seg, off + LENGTH);
    }

    public int checksum() {
        return Be.u16(seg, off + CHECK);
    }

    /** @return offset of the data */
    public long payload() {
        return off + LEN;
    }

    /** @return length of the data */
    public int payloadLen() {
        return length() - LEN;
    }

    /**
     * @param pseudo partial sum of the IP pseudo-header for {@link #length()} bytes
     * @param v4 true over IPv4, where a zero checksum means "not computed" (RFC 768)
     * @return true if the checksum verifies or, over IPv4, is absent
     */
    public boolean checksumOk(long pseudo, boolean v4) {
        if (v4 && checksum() == 0) {
            return true;
        }
        return Checksum.verify(seg, off, length(), pseudo);
    }

    /** Writes ports and length; the checksum is left zero, see {@link #fillChecksum}. */
    public UdpHeader init(int srcPort, int dstPort, int length) {
        Be.put16(seg, off + SRC_PORT, srcPort);
        Be.put16(seg, off + DST_PORT, dstPort);
        Be.put16(seg, off + LENGTH, length);
        Be.put16(seg, off + CHECK, 0);
        return this;
    }

    /**
     * Computes and stores the checksum over header and data. A computed zero is sent as 0xffff (RFC 768, RFC 8200
     * §8.1), since zero means "none".
     */
    public UdpHeader fillChecksum(long pseudo) {
        Be.put16(seg, off + CHECK, 0);
        int c = Checksum.finish(Checksum.sum(seg, off, length(), pseudo));
        Be.put16(seg, off + CHECK, c == 0 ? 0xffff : c);
        return this;
    }
}
