package io.jpasta.jmh;

import io.jpasta.tap.wire.EthHeader;
import io.jpasta.tap.wire.Ipv4Header;
import io.jpasta.tap.wire.MacAddr;
import io.jpasta.tap.wire.TcpHeader;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * Header building: Ethernet, IPv4 and TCP headers written with the reused {@code io.jpasta.tap.wire} views, both
 * checksums filled, as the TCP path does for every segment it sends to the guest. {@code ack} is a bare ACK
 * (TCP checksum over 20 bytes), {@code data1460} a full-MSS data segment (TCP checksum over 1480 bytes of header
 * and payload, the payload already in place as after a socket read).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HeaderBench {
    static final int MSS = 1460;
    static final int L3 = EthHeader.LEN, L4 = L3 + Ipv4Header.MIN_LEN;

    private final EthHeader eth = new EthHeader();
    private final Ipv4Header ip = new Ipv4Header();
    private final TcpHeader tcp = new TcpHeader();
    private Arena arena;
    private MemorySegment frame;
    // Inputs in mutable fields: the JIT must read them, as it would read the flow's state.
    private long guestMac = 0x1a_1c_35_da_1b_8eL, ourMac = MacAddr.PASTA_DEFAULT;
    private int src = 0xc6_33_64_c8, dst = 0xc6_33_64_02, srcPort = 5201, dstPort = 40_000;
    private int seq = 0x12345678, ack = 0x0badf00d, window = 64_240, ipId;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        frame = arena.allocate(L4 + TcpHeader.MIN_LEN + MSS, 8);
        for (int i = L4 + TcpHeader.MIN_LEN; i < frame.byteSize(); i++) {
            frame.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31));
        }
        build(MSS);
        if (!tcp.checksumOk(ip.pseudo(), TcpHeader.MIN_LEN + MSS) || !ip.checksumOk()) {
            throw new IllegalStateException("built header does not verify");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public int ack() {
        return build(0);
    }

    @Benchmark
    public int data1460() {
        return build(MSS);
    }

    private int build(int payload) {
        int segLen = TcpHeader.MIN_LEN + payload;
        eth.wrap(frame, 0).dst(guestMac).src(ourMac).type(EthHeader.ETH_P_IP);
        ip.wrap(frame, L3).init(Ipv4Header.MIN_LEN + segLen, ipId++ & 0xffff, Ipv4Header.IP_DF, 64,
                Ipv4Header.IPPROTO_TCP, src, dst).fillChecksum();
        tcp.wrap(frame, L4).init(srcPort, dstPort, seq, ack, TcpHeader.MIN_LEN, TcpHeader.ACK_FLAG, window)
                .fillChecksum(ip.pseudo(), segLen);
        return tcp.checksum();
    }
}
