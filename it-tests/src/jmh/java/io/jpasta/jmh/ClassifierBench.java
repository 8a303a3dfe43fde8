package io.jpasta.jmh;

import io.jpasta.tap.Classifier;
import io.jpasta.tap.L2Services;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.TapHandler;
import io.jpasta.tap.TapSink;

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
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Frame classification: {@link Classifier#frame} on captured frames. A TCP frame goes to an engine that does
 * nothing, so its cost is header validation (IPv4 header checksum included), parsing and dispatch; an ARP request
 * for the gateway is answered, its reply built and handed to a sink that drops it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ClassifierBench {
    /** Drops every frame; counts them so that the reply cannot be optimised away. */
    static final class DropSink implements TapSink {
        long frames, bytes;

        @Override
        public void send(MemorySegment frame, long offset, int length) {
            frames++;
            bytes += length + frame.get(ValueLayout.JAVA_BYTE, offset);
        }
    }

    private Arena arena;
    private Classifier classifier;
    private final DropSink sink = new DropSink();
    private MemorySegment tcpAck, tcp6Syn, arpRequest;
    private int tcpAckLen, tcp6SynLen, arpRequestLen;
    private long nowNs = 1;

    /** The sandbox's addresses, as in the capture: 198.51.100.2/30 via .1, 2001:db8:1::2/64, MTU 65520. */
    @Setup(Level.Trial)
    public void setUp() throws UnknownHostException {
        arena = Arena.ofShared();
        TapConf conf = TapConf.builder().addr4(v4("198.51.100.2"), 30).gateway4(v4("198.51.100.1"))
                .addr6(v6("2001:db8:1::2"), 64).gateway6(v6("2001:db8:1::1"))
                .ourLinkLocal6(v6("fe80::85c:ddff:fec8:8ca2")).mtu(65520).build();
        L2Services l2 = new L2Services(conf, new Random(1), 0, System.currentTimeMillis() * 1_000_000L);
        TapHandler engine = (f, now) -> f.dstPort() > 0 ? TapHandler.HANDLED : TapHandler.DROPPED;
        classifier = new Classifier(l2, sink).tcp(engine);
        tcpAck = FrameFixtures.load(arena, "tcp-ack");
        tcpAckLen = (int) tcpAck.byteSize();
        tcp6Syn = FrameFixtures.load(arena, "tcp6-syn");
        tcp6SynLen = (int) tcp6Syn.byteSize();
        arpRequest = FrameFixtures.load(arena, "arp-request");
        arpRequestLen = (int) arpRequest.byteSize();
        expect(TapHandler.HANDLED, classifier.frame(tcpAck, 0, tcpAckLen, 0), "tcp-ack");
        expect(TapHandler.HANDLED, classifier.frame(tcp6Syn, 0, tcp6SynLen, 0), "tcp6-syn");
        long before = sink.frames;
        expect(TapHandler.HANDLED, classifier.frame(arpRequest, 0, arpRequestLen, 0), "arp-request");
        if (sink.frames != before + 1) {
            throw new IllegalStateException("arp-request got no reply");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public int tcp4Ack() {
        return classifier.frame(tcpAck, 0, tcpAckLen, nowNs);
    }

    @Benchmark
    public int tcp6Syn() {
        return classifier.frame(tcp6Syn, 0, tcp6SynLen, nowNs);
    }

    @Benchmark
    public int handledArpRequest() {
        return classifier.frame(arpRequest, 0, arpRequestLen, nowNs);
    }

    private static void expect(int want, int got, String frame) {
        if (want != got) {
            throw new IllegalStateException(frame + ": frame returned " + got + ", expected " + want);
        }
    }

    private static Inet4Address v4(String s) throws UnknownHostException {
        return (Inet4Address) InetAddress.getByName(s);
    }

    private static Inet6Address v6(String s) throws UnknownHostException {
        return (Inet6Address) InetAddress.getByName(s);
    }
}
