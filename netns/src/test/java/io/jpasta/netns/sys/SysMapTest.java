package io.jpasta.netns.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link Sys#mapAnonymous}: zeroed, writable, page-aligned memory, and an error for an impossible size. */
class SysMapTest {
    @BeforeAll
    static void library() {
        Sys.load();
    }

    @Test
    void mappedMemoryReadsZeroAndKeepsWhatIsWritten() {
        long len = 4L << 20;
        long addr = Sys.mapAnonymous(len);
        assertTrue(addr > 0, "mmap: " + addr);
        assertEquals(0, addr & 4095, "page aligned");
        MemorySegment m = MemorySegment.ofAddress(addr).reinterpret(len);
        for (long off = 0; off < len; off += 65536) {
            assertEquals(0L, m.get(ValueLayout.JAVA_LONG, off));
        }
        m.set(ValueLayout.JAVA_LONG, len - 8, 0x0123_4567_89ab_cdefL);
        assertEquals(0x0123_4567_89ab_cdefL, m.get(ValueLayout.JAVA_LONG, len - 8));
    }

    @Test
    void anImpossibleSizeIsAnErrno() {
        assertEquals(-Errno.ENOMEM, Sys.mapAnonymous(-4096));
    }
}
