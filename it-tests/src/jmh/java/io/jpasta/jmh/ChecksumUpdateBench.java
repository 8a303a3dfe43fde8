package io.jpasta.jmh;

import io.jpasta.tap.wire.Checksum;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/** RFC 1624 incremental checksum updates, used when a field of an already checksummed header is rewritten. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ChecksumUpdateBench {
    // Mutable fields, so that the JIT cannot fold the arithmetic into a constant.
    private int check = 0xca0f, oldSeq = 0x9a9e24b8, newSeq = 0x9a9e24b8 + 1460, oldWord = 0x4000, newWord = 0;

    /** A 32-bit field rewritten: a TCP sequence number, a translated IPv4 address. */
    @Benchmark
    public int update32() {
        return Checksum.update32(check, oldSeq, newSeq);
    }

    /** A 16-bit field rewritten: a port, the IPv4 flags word. */
    @Benchmark
    public int update16() {
        return Checksum.update16(check, oldWord, newWord);
    }
}
