package io.jpasta.tap;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Test fixtures: frames cut from the reference captures of pasta (see resources/frames/README.md), loaded into
 * off-heap memory like the tap buffers.
 */
public final class Frames {
    private Frames() {
    }

    /** @return the bytes of {@code frames/NAME.bin} */
    public static byte[] bytes(String name) {
        try (InputStream in = Frames.class.getResourceAsStream("/frames/" + name + ".bin")) {
            return Objects.requireNonNull(in, name).readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return {@code b} copied into a fresh off-heap segment of exactly its length */
    public static MemorySegment offHeap(byte[] b) {
        MemorySegment s = Arena.ofAuto().allocate(Math.max(1, b.length));
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
        return b.length == 0 ? s.asSlice(0, 0) : s;
    }

    /** @return the fixture frame in off-heap memory */
    public static MemorySegment load(String name) {
        return offHeap(bytes(name));
    }

    /** A {@link TapSink} that keeps copies of what was sent. */
    public static final class Recorder implements TapSink {
        public final List<byte[]> sent = new ArrayList<>();

        @Override
        public void send(MemorySegment frame, long offset, int length) {
            sent.add(frame.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
        }

        public byte[] only() {
            if (sent.size() != 1) {
                throw new AssertionError("expected one frame, got " + sent.size());
            }
            return sent.getFirst();
        }
    }
}
