package io.jpasta.tap;

import java.lang.foreign.MemorySegment;

/**
 * Where protocol code writes frames for the guest. The implementation owned by the event loop writes the frame
 * to the tap device (and to the pcap file, if any) or copies it into its batch before returning: callers reuse
 * the memory as soon as {@link #send} returns.
 */
@FunctionalInterface
public interface TapSink {
    /**
     * Sends one complete Ethernet frame, without FCS.
     *
     * @param frame memory holding the frame
     * @param offset offset of the Ethernet header in {@code frame}
     * @param length frame length in bytes
     */
    void send(MemorySegment frame, long offset, int length);
}
