package io.jpasta.tap;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;

/**
 * Capture file writer ({@code -p, --pcap}): classic libpcap format, magic {@code a1b2c3d4} in host byte order,
 * version 2.4, snaplen 65535, link type Ethernet, microsecond timestamps. Every frame to and from the tap is
 * recorded by the tap I/O code as it passes.
 *
 * <p>The file header is written by the constructor, which throws on failure (setup). {@link #record} never
 * throws: a write error is counted, the capture stops, and the data path carries on, so a full disk cannot take
 * the guest's network down. One record is assembled in a reused buffer and written with one call, so the file
 * never holds a partial record unless the writer itself failed mid-way. Not thread-safe.
 */
public final class Pcap {
    static final int MAGIC = 0xa1b2c3d4;
    static final int VERSION_MAJOR = 2, VERSION_MINOR = 4;
    /** Largest frame length recorded; longer frames are truncated and keep their original length. */
    public static final int SNAPLEN = 65535;
    static final int LINKTYPE_ETHERNET = 1;
    static final int FILE_HEADER_LEN = 24, RECORD_HEADER_LEN = 16;
    private static final ValueLayout.OfInt HOST_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfShort HOST_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    private final OutputStream stream;
    private final WritableByteChannel channel;
    private final byte[] buf = new byte[RECORD_HEADER_LEN + SNAPLEN];
    private final MemorySegment seg = MemorySegment.ofArray(buf);
    private final ByteBuffer bb = ByteBuffer.wrap(buf);
    private long records;
    private long errors;
    private boolean failed;

    /** Writes the file header to {@code out}; records follow. */
    public Pcap(OutputStream out) throws IOException {
        this.stream = out;
        this.channel = null;
        writeHeader();
    }

    /** Writes the file header to {@code out} (a {@code FileChannel} opened for writing); records follow. */
    public Pcap(WritableByteChannel out) throws IOException {
        this.stream = null;
        this.channel = out;
        writeHeader();
    }

    private void writeHeader() throws IOException {
        seg.set(HOST_INT, 0, MAGIC);
        seg.set(HOST_SHORT, 4, (short) VERSION_MAJOR);
        seg.set(HOST_SHORT, 6, (short) VERSION_MINOR);
        seg.set(HOST_INT, 8, 0);
        seg.set(HOST_INT, 12, 0);
        seg.set(HOST_INT, 16, SNAPLEN);
        seg.set(HOST_INT, 20, LINKTYPE_ETHERNET);
        write(FILE_HEADER_LEN);
    }

    private void write(int n) throws IOException {
        if (stream != null) {
            stream.write(buf, 0, n);
            return;
        }
        bb.clear().limit(n);
        while (bb.hasRemaining()) {
            channel.write(bb);
        }
    }

    /**
     * Appends one frame.
     *
     * @param realtimeNs wall-clock time of the frame, nanoseconds since the epoch
     * @return false if nothing was written: the capture failed now or earlier
     */
    public boolean record(MemorySegment frame, long off, int len, long realtimeNs) {
        if (failed) {
            return false;
        }
        int caplen = Math.min(len, SNAPLEN);
        seg.set(HOST_INT, 0, (int) (realtimeNs / 1_000_000_000L));
        seg.set(HOST_INT, 4, (int) (realtimeNs % 1_000_000_000L / 1000));
        seg.set(HOST_INT, 8, caplen);
        seg.set(HOST_INT, 12, len);
        MemorySegment.copy(frame, off, seg, RECORD_HEADER_LEN, caplen);
        try {
            write(RECORD_HEADER_LEN + caplen);
        } catch (IOException e) {
            errors++;
            failed = true;
            return false;
        }
        records++;
        return true;
    }

    /** Flushes a stream-backed capture; call at exit. */
    public void flush() throws IOException {
        if (stream != null) {
            stream.flush();
        }
    }

    public long records() {
        return records;
    }

    /** @return write errors (at most one: the capture stops at the first) */
    public long errors() {
        return errors;
    }
}
