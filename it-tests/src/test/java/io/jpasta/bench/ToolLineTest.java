package io.jpasta.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ToolLineTest {
    static final List<String> CAPTURED = Samples.read("rrtool-outputs.txt").lines()
            .filter(l -> !l.startsWith("#") && !l.isBlank()).toList();

    @Test
    void everyCapturedLineRoundTripsThroughFormat() {
        for (String line : CAPTURED) {
            assertEquals(line, ToolLine.parse(line).format());
        }
    }

    @Test
    void tcpRrGivesPercentilesInMicrosecondsAndRate() {
        List<Row> rows = ToolLine.parse(CAPTURED.get(0)).rows("tcp-rr/tap-host-ns/v4", "pasta", 1);
        assertEquals(List.of(
                Row.of("tcp-rr/tap-host-ns/v4", "pasta", 1, "p50", 26.3, "us"),
                Row.of("tcp-rr/tap-host-ns/v4", "pasta", 1, "p99", 67.6, "us"),
                Row.of("tcp-rr/tap-host-ns/v4", "pasta", 1, "rate", 36702.0, "1/s"),
                Row.of("tcp-rr/tap-host-ns/v4", "pasta", 1, "timeouts", 0, "count")), rows);
    }

    @Test
    void crrGivesConnectionRate() {
        List<Row> rows = ToolLine.parse(CAPTURED.get(2)).rows("tcp-crr/splice-host-ns/v6", "jpasta", 2);
        assertEquals(Row.of("tcp-crr/splice-host-ns/v6", "jpasta", 2, "conn_rate", 1037.4, "1/s"), rows.getFirst());
    }

    @Test
    void readyGivesMilliseconds() {
        assertEquals(List.of(Row.of("ready/tap-host-ns/v4", "pasta", 1, "ready", 102.2, "ms")),
                ToolLine.parse(CAPTURED.get(4)).rows("ready/tap-host-ns/v4", "pasta", 1));
    }

    @Test
    void errorLineBecomesFailedRowWithTheMessage() {
        List<Row> rows = ToolLine.parse(CAPTURED.get(5)).rows("tcp-rr/tap-ns-host/v4", "jpasta", 1);
        assertEquals(1, rows.size());
        assertTrue(rows.getFirst().isFailure());
        assertEquals("rr: Connection refused", rows.getFirst().note());
    }

    @Test
    void findTakesTheLastResultLineAmongNoise() {
        String out = "listening port=5\nOpenJDK 64-Bit Server VM warning: whatever\n" + CAPTURED.get(3) + "\n\n";
        assertEquals("held", ToolLine.find(out).mode());
    }

    @Test
    void findWithoutResultLineSaysSoAndQuotesTheLastLine() {
        ToolLine t = ToolLine.find("Exception in thread main\n\tat Foo.bar\n");
        assertEquals("error", t.mode());
        assertTrue(t.values().get("message").contains("at Foo.bar"), t.values().toString());
    }

    @Test
    void unknownModeOrPairWithoutEqualsIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> ToolLine.parse("latency p50=3"));
        assertThrows(IllegalArgumentException.class, () -> ToolLine.parse("rr proto tcp"));
    }
}
