package io.jpasta.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TargetTest {
    static List<Target> targets(String c, String metric) {
        return Target.forRow(CaseId.parse(c), metric);
    }

    @Test
    void startupMayTakeHalfAsLongAgainAsPasta() {
        Target t = targets("startup/-/-", "startup").getFirst();
        assertEquals(Target.Verdict.MET, t.evaluate(150, 100, Double.NaN));
        assertEquals(Target.Verdict.MISSED, t.evaluate(151, 100, Double.NaN));
        assertEquals("≤ 1.5× pasta", t.describe("ms"));
    }

    @Test
    void hostToNamespaceThroughputMustMatchPasta() {
        Target t = targets("tcp4/tap-host-ns/v6", "throughput").getFirst();
        assertEquals(Target.Verdict.MET, t.evaluate(5, 5, Double.NaN));
        assertEquals(Target.Verdict.MISSED, t.evaluate(4.9, 5, Double.NaN));
    }

    @Test
    void namespaceOutboundNeedsTenGigabitsAndNoStall() {
        Target tput = targets("tcp1/tap-ns-remote/v4", "throughput").getFirst();
        assertEquals(Target.Verdict.MISSED, tput.evaluate(9.9, 2, Double.NaN));
        assertEquals(Target.Verdict.MET, tput.evaluate(10, Double.NaN, Double.NaN));
        assertEquals("≥ 10 Gbit/s", tput.describe("Gbit/s"));
        Target stall = targets("tcp1/tap-ns-host/v4", "stalled").getFirst();
        assertEquals(Target.Verdict.MISSED, stall.evaluate(1, 0, Double.NaN));
        assertEquals(Target.Verdict.MET, stall.evaluate(0, 3, Double.NaN));
    }

    @Test
    void spliceMustBeatPastaByTenPercentAndReach85PercentOfBareLoopback() {
        List<Target> t = targets("tcp1/splice-ns-host/v4", "throughput");
        assertEquals(2, t.size());
        assertEquals(Target.Verdict.MET, t.get(0).evaluate(11, 10, 12));
        assertEquals(Target.Verdict.MISSED, t.get(0).evaluate(10.9, 10, 12));
        assertEquals(Target.Verdict.MET, t.get(1).evaluate(8.5, 1, 10));
        assertEquals(Target.Verdict.MISSED, t.get(1).evaluate(8.4, 1, 10));
        assertEquals(Target.Verdict.UNKNOWN, t.get(1).evaluate(8.4, 1, Double.NaN));
    }

    @Test
    void latencyTenPercentConnRateEqual() {
        assertEquals(Target.Verdict.MET, targets("udp-rr/tap-ns-host/v6", "p99").getFirst().evaluate(110, 100, 0));
        assertEquals(Target.Verdict.MISSED, targets("tcp-rr/tap-ns-host/v6", "p50").getFirst().evaluate(111, 100, 0));
        assertEquals(Target.Verdict.MISSED, targets("tcp-crr/splice-host-ns/v4", "conn_rate").getFirst()
                .evaluate(999, 1000, 0));
    }

    @Test
    void bulkTransferMustNotCollectGarbage() {
        assertEquals(Target.Verdict.MISSED, targets("tcp4/tap-host-ns/v4", "gc").getFirst().evaluate(1, 0, 0));
    }

    @Test
    void bareAndUntargetedRowsHaveNoTarget() {
        assertTrue(targets("tcp1/bare-loopback/v4", "throughput").isEmpty());
        assertTrue(targets("udp-max/tap-host-ns/v4", "goodput").isEmpty());
        assertTrue(targets("rss/tap-host-ns/v4", "rss").isEmpty());
        assertTrue(targets("tcp1/tap-host-ns/v4", "stalled").isEmpty());
    }

    @Test
    void missingReferenceIsUnknownNotMet() {
        assertEquals(Target.Verdict.UNKNOWN, targets("startup/-/-", "startup").getFirst().evaluate(1, Double.NaN, 0));
        assertEquals(Target.Verdict.UNKNOWN, targets("startup/-/-", "startup").getFirst().evaluate(Double.NaN, 1, 0));
    }
}
