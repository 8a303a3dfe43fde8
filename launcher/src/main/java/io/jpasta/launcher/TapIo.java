package io.jpasta.launcher;

import io.jpasta.netns.log.Counters;
import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Sys;
import io.jpasta.tap.Pcap;
import io.jpasta.tap.TapSink;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Frame I/O on the tap device, and nothing else: every frame read is counted and captured ({@code -p}); frames
 * toward the guest are captured and written with one write(2) each (IFF_NO_PI: the tap takes exactly one frame
 * per write). A write the tap refuses (queue full: EAGAIN) is counted as a drop, as a full transmit queue drops on
 * any link. What a frame means is the {@link TapEngines}' business.
 */
final class TapIo implements TapSink {
    static final int RX = 0, RX_BYTES = 1, TX = 2, TX_BYTES = 3;
    static final int TX_REFUSED = 0;
    private static final String[] COUNT_NAMES = {"rx", "rx-bytes", "tx", "tx-bytes"};
    private static final String[] REASON_NAMES = {"tx refused"};

    private final int fd;
    private final Pcap pcap;
    private final Counters stats = new Counters("tap", COUNT_NAMES, REASON_NAMES);

    TapIo(int fd, Pcap pcap) {
        this.fd = fd;
        this.pcap = pcap;
    }

    /** Counts and captures one frame read from the tap. */
    void received(MemorySegment frame, int len) {
        stats.count(RX);
        stats.add(RX_BYTES, len);
        if (pcap != null) {
            pcap.record(frame, 0, len, Sys.realtimeNs());
        }
    }

    @Override
    public void send(MemorySegment frame, long offset, int length) {
        if (pcap != null) {
            pcap.record(frame, offset, length, Sys.realtimeNs());
        }
        long n = Sys.write(fd, frame.address() + offset, length);
        if (n == length) {
            stats.count(TX);
            stats.add(TX_BYTES, n);
        } else {
            stats.drop(TX_REFUSED);
            if (Log.trace) {
                Log.trace("tap write: " + (n < 0 ? Errno.text((int) -n) : "short " + n + "/" + length));
            }
        }
    }

    /** Writes what the capture buffers hold. */
    void flush() {
        if (pcap != null) {
            try {
                pcap.flush();
            } catch (IOException e) {
                Log.warn("pcap: " + e.getMessage());
            }
        }
    }

    Counters stats() {
        return stats;
    }
}
