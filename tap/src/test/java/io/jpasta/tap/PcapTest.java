package io.jpasta.tap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class PcapTest {
    @Test
    void writesClassicHeaderAndRecordsReadableBack() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Pcap p = new Pcap(out);
        byte[] frame = Frames.bytes("arp-reply");
        p.record(Frames.offHeap(frame), 0, frame.length, 1_795_645_703_123_456_789L);
        ByteBuffer b = ByteBuffer.wrap(out.toByteArray()).order(ByteOrder.nativeOrder());
        assertEquals(0xa1b2c3d4, b.getInt(0));
        assertEquals(2, b.getShort(4));
        assertEquals(4, b.getShort(6));
        assertEquals(65535, b.getInt(16));
        assertEquals(1, b.getInt(20));
        assertEquals(1_795_645_703, b.getInt(24));
        assertEquals(123_456, b.getInt(28));
        assertEquals(frame.length, b.getInt(32));
        assertEquals(frame.length, b.getInt(36));
        assertArrayEquals(frame, Arrays.copyOfRange(out.toByteArray(), 40, 40 + frame.length));
        assertEquals(1, p.records());
    }

    @Test
    void fileChannelCaptureMatchesStreamCaptureAndTruncatesToSnaplen(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("t.pcap");
        byte[] big = new byte[70000];
        big[69999] = 1;
        MemorySegment seg = Frames.offHeap(big);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            Pcap p = new Pcap(ch);
            p.record(seg, 0, big.length, 0);
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.nativeOrder());
        assertEquals(24 + 16 + Pcap.SNAPLEN, b.capacity());
        assertEquals(Pcap.SNAPLEN, b.getInt(32));
        assertEquals(70000, b.getInt(36));
    }

    @Test
    void writeErrorStopsTheCaptureWithoutThrowing() throws IOException {
        int[] calls = {0};
        OutputStream failing = new OutputStream() {
            @Override
            public void write(int b) {
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (calls[0]++ > 0) {
                    throw new IOException("disk full");
                }
            }
        };
        Pcap p = new Pcap(failing);
        MemorySegment s = Frames.load("arp-reply");
        assertFalse(p.record(s, 0, 60, 0));
        assertFalse(p.record(s, 0, 60, 0));
        assertEquals(1, p.errors());
        assertEquals(2, calls[0], "no writes after the failure");
    }
}
