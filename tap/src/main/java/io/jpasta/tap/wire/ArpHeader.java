package io.jpasta.tap.wire;

import java.lang.foreign.MemorySegment;

/**
 * ARP packet for Ethernet and IPv4 (RFC 826) over the payload of an Ethernet frame. Only the 28-byte
 * Ethernet/IPv4 shape is accepted by {@link #fits}; anything else is not ours to answer.
 */
public final class ArpHeader {
    /** Length of an Ethernet/IPv4 ARP packet. */
    public static final int LEN = 28;
    static final int HTYPE = 0, PTYPE = 2, HLEN = 4, PLEN = 5, OP = 6, SHA = 8, SPA = 14, THA = 18, TPA = 24;
    /** Hardware type Ethernet. */
    public static final int ARPHRD_ETHER = 1;
    /** ARP request. */
    public static final int ARPOP_REQUEST = 1;
    /** ARP reply. */
    public static final int ARPOP_REPLY = 2;

    private MemorySegment seg;
    private long off;

    /** @return true if {@code len} bytes at {@code off} hold an Ethernet/IPv4 ARP packet */
    public static boolean fits(MemorySegment seg, long off, long len) {
        return len >= LEN && off >= 0 && off + len <= seg.byteSize()
                && Be.u16(seg, off + HTYPE) == ARPHRD_ETHER && Be.u16(seg, off + PTYPE) == EthHeader.ETH_P_IP
                && Be.u8(seg, off + HLEN) == MacAddr.LEN && Be.u8(seg, off + PLEN) == 4;
    }

    public ArpHeader wrap(MemorySegment seg, long off) {
        this.seg = seg;
        this.off = off;
        return this;
    }

    public int op() {
        return Be.u16(seg, off + OP);
    }

    public long sha() {
        return MacAddr.read(seg, off + SHA);
    }

    public int spa() {
        return Be.i32(seg, off + SPA);
    }

    public long tha() {
        return MacAddr.read(seg, off + THA);
    }

    public int tpa() {
        return Be.i32(seg, off + TPA);
    }

    /** Writes the fixed Ethernet/IPv4 part (hardware and protocol types and lengths) and {@code op}. */
    public ArpHeader init(int op) {
        Be.put16(seg, off + HTYPE, ARPHRD_ETHER);
        Be.put16(seg, off + PTYPE, EthHeader.ETH_P_IP);
        Be.put8(seg, off + HLEN, MacAddr.LEN);
        Be.put8(seg, off + PLEN, 4);
        Be.put16(seg, off + OP, op);
        return this;
    }

    public ArpHeader sender(long mac, int ip) {
        MacAddr.write(seg, off + SHA, mac);
        Be.put32(seg, off + SPA, ip);
        return this;
    }

    public ArpHeader target(long mac, int ip) {
        MacAddr.write(seg, off + THA, mac);
        Be.put32(seg, off + TPA, ip);
        return this;
    }
}
