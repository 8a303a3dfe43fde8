package io.jpasta.tap.wire;

import java.lang.foreign.MemorySegment;

/** TCP header (RFC 9293 §3.1) over the transport payload of an IP datagram. Reused: call {@link #wrap} per frame. */
public final class TcpHeader {
    /** Header length without options. */
    public static final int MIN_LEN = 20;
    /** Largest header: data offset 15 words. */
    public static final int MAX_LEN = 60;
    static final int SRC_PORT = 0, DST_PORT = 2, SEQ = 4, ACK = 8, DATA_OFF = 12, FLAGS = 13, WINDOW = 14,
            CHECK = 16, URG_PTR = 18;
    public static final int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK_FLAG = 0x10, URG = 0x20,
            ECE = 0x40, CWR = 0x80;

    private MemorySegment seg;
    private long off;

    /**
     * @param len bytes of transport header plus data, from the IP header's length
     * @return true if {@code len} bytes at {@code off} hold a whole header, options included
     */
    public static boolean fits(MemorySegment seg, long off, long len) {
        if (len < MIN_LEN || off < 0 || off + len > seg.byteSize()) {
            return false;
        }
        int hl = (Be.u8(seg, off + DATA_OFF) >>> 4) * 4;
        return hl >= MIN_LEN && hl <= len;
    }

    public TcpHeader wrap(MemorySegment seg, long off) {
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

    /** @return the sequence number; compare only with {@link Seq} */
    public int seq() {
        return Be.i32(seg, off + SEQ);
    }

    /** @return the acknowledgment number; compare only with {@link Seq} */
    public int ack() {
        return Be.i32(seg, off + ACK);
    }

    /** @return header length in bytes, options included */
    public int headerLen() {
        return (Be.u8(seg, off + DATA_OFF) >>> 4) * 4;
    }

    public int flags() {
        return Be.u8(seg, off + FLAGS);
    }

    /** @return the raw (unscaled) window field */
    public int window() {
        return Be.u16(seg, off + WINDOW);
    }

    public int checksum() {
        return Be.u16(seg, off + CHECK);
    }

    public int urgPtr() {
        return Be.u16(seg, off + URG_PTR);
    }

    /** @return offset of the options */
    public long options() {
        return off + MIN_LEN;
    }

    public int optionsLen() {
        return headerLen() - MIN_LEN;
    }

    /** @return offset of the data */
    public long payload() {
        return off + headerLen();
    }

    /**
     * Writes the fixed header.
     *
     * @param headerLen header length including options, a multiple of 4 in [20, 60]
     */
    public TcpHeader init(int srcPort, int dstPort, int seq, int ack, int headerLen, int flags, int window) {
        Be.put16(seg, off + SRC_PORT, srcPort);
        Be.put16(seg, off + DST_PORT, dstPort);
        Be.put32(seg, off + SEQ, seq);
        Be.put32(seg, off + ACK, ack);
        Be.put8(seg, off + DATA_OFF, (headerLen / 4) << 4);
        Be.put8(seg, off + FLAGS, flags);
        Be.put16(seg, off + WINDOW, window);
        Be.put16(seg, off + CHECK, 0);
        Be.put16(seg, off + URG_PTR, 0);
        return this;
    }

    public TcpHeader seq(int seq) {
        Be.put32(seg, off + SEQ, seq);
        return this;
    }

    public TcpHeader ack(int ack) {
        Be.put32(seg, off + ACK, ack);
        return this;
    }

    public TcpHeader flags(int flags) {
        Be.put8(seg, off + FLAGS, flags);
        return this;
    }

    public TcpHeader window(int window) {
        Be.put16(seg, off + WINDOW, window);
        return this;
    }

    /** Computes and stores the checksum over {@code segLen} bytes of header and data. */
    public TcpHeader fillChecksum(long pseudo, int segLen) {
        Be.put16(seg, off + CHECK, 0);
        Be.put16(seg, off + CHECK, Checksum.finish(Checksum.sum(seg, off, segLen, pseudo)));
        return this;
    }

    /** @return true if the checksum over {@code segLen} bytes of header and data verifies */
    public boolean checksumOk(long pseudo, int segLen) {
        return Checksum.verify(seg, off, segLen, pseudo);
    }
}
