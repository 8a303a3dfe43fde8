package io.jpasta.jmh;

import io.jpasta.tap.wire.Checksum;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The Internet checksum: {@link Checksum#sum} plus {@link Checksum#finish} over {@code len} bytes (1460, one
 * Ethernet MSS; 65480, a full 64 KiB segment on the 65520-byte tap MTU). The
 * incremental update is in {@link ChecksumUpdateBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ChecksumBench {
    @Param({"1460", "65480"})
    public int len;

    private Arena arena;
    private MemorySegment data;
    private long pseudo = Checksum.pseudo4(0xc6_33_64_02, 0xc6_33_64_c8, 6, 0);

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        data = arena.allocate(len, 8);
        byte[] b = new byte[len];
        new Random(len).nextBytes(b);
        MemorySegment.copy(b, 0, data, ValueLayout.JAVA_BYTE, 0, len);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public int full() {
        return Checksum.finish(Checksum.sum(data, 0, len, pseudo));
    }
}
