package io.jpasta.netns.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Off-heap memory for the data path that the sockets implementations hand to their engines. */
public final class Memory {
    /** Alignment of the arena's fallback: a cache line, as frame slots want. */
    private static final long ALIGN = 64;

    private Memory() {
    }

    /**
     * @return {@code len} bytes of zeroed memory that live as long as the process, for buffers of which little may
     *         ever be used (frame slots): an anonymous mapping ({@link Sys#mapAnonymous}), whose pages the kernel
     *         zeroes on first touch, or an arena's memory, zeroed at once, if the mapping fails
     */
    public static MemorySegment anonymous(long len) {
        long addr = Sys.mapAnonymous(len);
        if (addr > 0) {
            return MemorySegment.ofAddress(addr).reinterpret(len);
        }
        return Arena.ofAuto().allocate(len, ALIGN);
    }
}
