package io.jpasta.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class Iperf3ResultTest {
    @Test
    void tcpRunThroughPastaGivesReceiverThroughput() {
        Iperf3Result r = Iperf3Result.parse(Samples.read("iperf3-tcp-pasta-host-ns.json"));
        assertTrue(r.ok());
        assertFalse(r.udp());
        assertEquals(1, r.streams());
        assertEquals(4826557941.88674, r.bitsPerSecond(), 1e-3);
        assertEquals(1228664276L, r.bytes());
        assertEquals(0, r.stalledIntervals());
        assertEquals(2, r.intervals());
        assertTrue(Double.isNaN(r.lostPercent()));
    }

    @Test
    void tcpRowsAreInGigabitsWithBytesForCpuPerGb() {
        List<Row> rows = Iperf3Result.parse(Samples.read("iperf3-tcp-pasta-host-ns.json")).rows("tcp1/tap-host-ns/v4",
                "pasta", 2);
        Row tput = rows.stream().filter(r -> r.metric().equals("throughput")).findFirst().orElseThrow();
        assertEquals(4.82655794188674, tput.value(), 1e-9);
        assertEquals("Gbit/s", tput.unit());
        assertEquals(2, tput.rep());
        assertTrue(rows.stream().anyMatch(r -> r.metric().equals("bytes") && r.value() == 1228664276.0));
        assertTrue(rows.stream().anyMatch(r -> r.metric().equals("stalled") && r.value() == 0));
    }

    @Test
    void udpRunReportsGoodputAfterLossNotTheOfferedLoad() {
        Iperf3Result r = Iperf3Result.parse(Samples.read("iperf3-udp-loopback.json"));
        assertTrue(r.udp());
        assertEquals(574457019.9756665, r.bitsPerSecond(), 1e-3);
        assertEquals(1356162404.4213035, r.sentBitsPerSecond(), 1e-3);
        assertEquals(57.5521241897527, r.lostPercent(), 1e-9);
        List<Row> rows = r.rows("udp-max/bare-loopback/v4", "bare", 1);
        assertTrue(rows.stream().anyMatch(x -> x.metric().equals("goodput") && Math.abs(x.value() - 0.5744570) < 1e-6));
        assertTrue(rows.stream().anyMatch(x -> x.metric().equals("loss") && x.unit().equals("%")));
        assertTrue(rows.stream().noneMatch(x -> x.metric().equals("throughput")));
    }

    @Test
    void refusedConnectionBecomesAFailedRowWithIperfsMessage() {
        Iperf3Result r = Iperf3Result.parse(Samples.read("iperf3-refused.json"));
        assertFalse(r.ok());
        List<Row> rows = r.rows("tcp1/tap-ns-host/v6", "jpasta", 3);
        assertEquals(1, rows.size());
        assertTrue(rows.getFirst().isFailure());
        assertEquals("iperf3: unable to connect to server: Connection refused", rows.getFirst().note());
    }

    @Test
    void intervalsFarBelowTheMedianCountAsStalled() {
        // Captured 4-stream run, with its third interval edited to 1 Mbit/s to model a stall.
        Iperf3Result r = Iperf3Result.parse(Samples.read("iperf3-tcp4-stalled-edited.json"));
        assertTrue(r.ok());
        assertEquals(4, r.streams());
        assertEquals(1, r.stalledIntervals());
    }

    @Test
    void outputWithoutTotalsIsAFailureNotAZero() {
        Iperf3Result r = Iperf3Result.parse("{\"start\": {}, \"intervals\": [], \"end\": {}}");
        assertFalse(r.ok());
        assertEquals("iperf3 output has no end totals", r.error());
    }
}
