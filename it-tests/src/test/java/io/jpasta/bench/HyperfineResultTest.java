package io.jpasta.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class HyperfineResultTest {
    @Test
    void secondsInTheExportBecomeMilliseconds() {
        HyperfineResult r = HyperfineResult.parse(Samples.read("hyperfine-pasta-startup.json"));
        assertEquals("/usr/bin/pasta --config-net -- true", r.command());
        assertEquals(196.20115, r.medianMs(), 1e-6);
        assertEquals(181.5073848, r.meanMs(), 1e-6);
        assertEquals(148.010983, r.minMs(), 1e-6);
        assertEquals(5, r.runs());
        assertEquals(0, r.failedRuns());
    }

    @Test
    void oneStartupRowPerRepetitionWithTheMedian() {
        List<Row> rows = HyperfineResult.parse(Samples.read("hyperfine-pasta-startup.json")).rows("startup/-/-",
                "pasta", 1);
        assertEquals(List.of(Row.of("startup/-/-", "pasta", 1, "startup", 196.20115000000001, "ms")), rows);
    }

    @Test
    void nonZeroExitCodesFailTheRepetition() {
        String json = Samples.read("hyperfine-pasta-startup.json").replace("\"exit_codes\": [\n        0,",
                "\"exit_codes\": [\n        1,");
        HyperfineResult r = HyperfineResult.parse(json);
        assertEquals(1, r.failedRuns());
        assertTrue(r.rows("startup/-/-", "jpasta", 1).getFirst().isFailure());
    }

    @Test
    void exportWithoutResultsIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> HyperfineResult.parse("{\"results\": []}"));
    }
}
