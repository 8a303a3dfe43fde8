package io.jpasta.udp;

import java.lang.foreign.MemorySegment;

/**
 * A batch of datagrams in fixed slots: the memory they are received into and sent from, and what one receive call
 * reported for each. Slot {@code i} starts at {@code i * stride}; its data at {@code i * stride + dataAt}, which
 * leaves room in front for the Ethernet, IP and UDP headers of a frame to the tap, so that a datagram becomes a frame
 * in place. Allocated once per engine; nothing per datagram.
 */
public final class Datagrams {
    /** Where the data of a slot starts: room for Ethernet (14), IPv6 (40) and UDP (8) headers, aligned. */
    public static final int DATA_AT = 64;

    final MemorySegment slots;
    final int stride, count, capacity;
    /** Per slot, after a receive: bytes of data, and whether the datagram was larger than the slot (MSG_TRUNC). */
    final int[] len;
    final boolean[] truncated;
    /** Per slot, after a receive: the sender's address (flow table form, IPv4 as ::ffff:a.b.c.d) and port. */
    final long[] peerHi, peerLo;
    final int[] peerPort;
    /** The batch arrays of the kernel layer for these slots ({@link SysUdpSocks}), built on first use. */
    MemorySegment mmsg, iov, names;

    /**
     * @param slots memory for {@code count} slots of {@code stride} bytes
     * @param capacity largest datagram a slot takes
     */
    public Datagrams(MemorySegment slots, int stride, int count, int capacity) {
        this.slots = slots;
        this.stride = stride;
        this.count = count;
        this.capacity = capacity;
        len = new int[count];
        truncated = new boolean[count];
        peerHi = new long[count];
        peerLo = new long[count];
        peerPort = new int[count];
    }

    /** @return offset of the data of slot {@code i} in {@link #slots()} */
    public long data(int i) {
        return (long) i * stride + DATA_AT;
    }

    public MemorySegment slots() {
        return slots;
    }

    public int count() {
        return count;
    }

    public int capacity() {
        return capacity;
    }

    /** Records what the receive call reported for slot {@code i}. */
    public void received(int i, int length, boolean trunc, long hi, long lo, int port) {
        len[i] = length;
        truncated[i] = trunc;
        peerHi[i] = hi;
        peerLo[i] = lo;
        peerPort[i] = port;
    }

    /** Sets the length of slot {@code i}: what a batch sent from these slots sends of it. */
    void len(int i, int length) {
        len[i] = length;
    }

    /** @return bytes of data in slot {@code i} (its length to send, for a batch sent from these slots) */
    public int len(int i) {
        return len[i];
    }

    /** @return the bytes of slots {@code from .. from + n - 1} */
    long bytes(int from, int n) {
        long b = 0;
        for (int i = from; i < from + n; i++) {
            b += len[i];
        }
        return b;
    }
}
