package io.jpasta.jmh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/** Fixture frames of tap/src/test/resources/frames, found through system property {@code jpasta.frames}. */
final class FrameFixtures {
    private FrameFixtures() {
    }

    /** @return {@code NAME.bin} copied into a segment of exactly its length, allocated from {@code arena} */
    static MemorySegment load(Arena arena, String name) {
        String dir = System.getProperty("jpasta.frames", "../tap/src/test/resources/frames");
        byte[] b;
        try {
            b = Files.readAllBytes(Path.of(dir, name + ".bin"));
        } catch (IOException e) {
            throw new UncheckedIOException("fixture frame " + name + " (set -Djpasta.frames=DIR)", e);
        }
        MemorySegment s = arena.allocate(b.length, 8);
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
        return s;
    }
}
