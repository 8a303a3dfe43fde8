package io.jpasta.tap.wire;

import java.lang.foreign.MemorySegment;

/** Ethernet II header (IEEE 802.3 §3.2.6 type interpretation) over a frame. Reused: call {@link #wrap} per frame. */
public final class EthHeader {
    /** Header length: destination, source, EtherType. */
    public static final int LEN = 14;
    /** Smallest frame on the wire without FCS; shorter frames we send are padded with zeros up to it. */
    public static final int MIN_FRAME = 60;
    static final int DST = 0, SRC = 6, TYPE = 12;
    /** EtherType for IPv4. */
    public static final int ETH_P_IP = 0x0800;
    /** EtherType for ARP. */
    public static final int ETH_P_ARP = 0x0806;
    /** EtherType for IPv6. */
    public static final int ETH_P_IPV6 = 0x86dd;

    private MemorySegment seg;
    private long off;

    /** @return true if {@code len} bytes at {@code off} hold a whole header */
    public static boolean fits(MemorySegment seg, long off, long len) {
        return len >= LEN && off >= 0 && off + len <= seg.byteSize();
    }

    /** Points this view at a header that {@link #fits}. */
    public EthHeader wrap(MemorySegment seg, long off) {
        this.seg = seg;
        this.off = off;
        return this;
    }

    public long dst() {
        return MacAddr.read(seg, off + DST);
    }

    public long src() {
        return MacAddr.read(seg, off + SRC);
    }

    public int type() {
        return Be.u16(seg, off + TYPE);
    }

    public EthHeader dst(long mac) {
        MacAddr.write(seg, off + DST, mac);
        return this;
    }

    public EthHeader src(long mac) {
        MacAddr.write(seg, off + SRC, mac);
        return this;
    }

    public EthHeader type(int type) {
        Be.put16(seg, off + TYPE, type);
        return this;
    }

    /** @return offset of the payload (the L3 header) */
    public long payload() {
        return off + LEN;
    }
}
