package io.jpasta.tap;

import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.wire.Ipv4Header;
import io.jpasta.tap.wire.Ipv6Header;

import java.lang.foreign.MemorySegment;

/**
 * One frame from the tap as the {@link Classifier} parsed it: where each header starts, the addresses in the flow
 * table's form (two longs, IPv4 as {@code ::ffff:a.b.c.d}, see {@link Inany}) and, for TCP and UDP, the ports.
 * Everything here was checked against the frame's length: a handler reads its own header at {@link #l4()} knowing
 * that {@link #l4Len()} bytes are there, and that for TCP and UDP the whole header is.
 *
 * <p>One instance is reused for every frame: a handler must not keep it past its call.
 */
public final class TapFrame {
    MemorySegment seg;
    long off;
    int len;
    long srcMac;
    boolean v6;
    int proto;
    long l3, l4;
    int l4Len;
    long srcHi, srcLo, dstHi, dstLo;
    int srcPort, dstPort;
    final Ipv4Header ip4 = new Ipv4Header();
    final Ipv6Header ip6 = new Ipv6Header();

    /** @return the memory holding the frame */
    public MemorySegment seg() {
        return seg;
    }

    /** @return offset of the Ethernet header in {@link #seg()} */
    public long off() {
        return off;
    }

    /** @return length of the whole frame */
    public int len() {
        return len;
    }

    /** @return the Ethernet source: the guest's MAC */
    public long srcMac() {
        return srcMac;
    }

    /** @return true for IPv6, false for IPv4 */
    public boolean v6() {
        return v6;
    }

    /** @return the upper-layer protocol (IPPROTO_*), after IPv6 extension headers */
    public int proto() {
        return proto;
    }

    /** @return offset of the IP header */
    public long l3() {
        return l3;
    }

    /** @return offset of the transport (or ICMP) header */
    public long l4() {
        return l4;
    }

    /** @return bytes of transport header and data, as the IP header counts them (Ethernet padding excluded) */
    public int l4Len() {
        return l4Len;
    }

    public long srcHi() {
        return srcHi;
    }

    public long srcLo() {
        return srcLo;
    }

    public long dstHi() {
        return dstHi;
    }

    public long dstLo() {
        return dstLo;
    }

    /** @return the TCP or UDP source port, 0 for other protocols */
    public int srcPort() {
        return srcPort;
    }

    /** @return the TCP or UDP destination port, 0 for other protocols */
    public int dstPort() {
        return dstPort;
    }

    /** @return the IPv4 header view, wrapped at {@link #l3()}; valid only if not {@link #v6()} */
    public Ipv4Header ip4() {
        return ip4;
    }

    /** @return the IPv6 header view, parsed at {@link #l3()}; valid only if {@link #v6()} */
    public Ipv6Header ip6() {
        return ip6;
    }
}
