package io.jpasta.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    static Map<String, String> conditions() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("timestamp", "2025-01-01T00:00:00Z");
        c.put("helpers", "jpasta pasta");
        c.put("nproc", "2");
        return c;
    }

    static List<Row> sample() {
        List<Row> r = new ArrayList<>();
        String tap = "tcp1/tap-host-ns/v4", splice = "tcp1/splice-host-ns/v4", bare = "tcp1/bare-loopback/v4";
        double[] j = {4.0, 5.0, 4.5}, p = {4.4, 4.6, 4.2};
        for (int rep = 1; rep <= 3; rep++) {
            r.add(Row.of(tap, "jpasta", rep, "throughput", j[rep - 1], "Gbit/s"));
            r.add(Row.of(tap, "pasta", rep, "throughput", p[rep - 1], "Gbit/s"));
            r.add(Row.of(tap, "pasta", rep, "bytes", 2e9, "B"));
            r.add(Row.of(tap, "pasta", rep, "cpu_s", 1.5, "s"));
            r.add(Row.of(splice, "pasta", rep, "throughput", 20, "Gbit/s"));
            r.add(Row.failed(splice, "jpasta", rep, "helper binary not found or not executable: dist/bin/pasta"));
            r.add(Row.of(bare, "bare", rep, "throughput", 30, "Gbit/s"));
            r.add(Row.of("startup/-/-", "jpasta", rep, "startup", 100, "ms"));
            r.add(Row.of("startup/-/-", "pasta", rep, "startup", 80, "ms"));
        }
        return r;
    }

    @Test
    void cellsShowMedianAndSpreadAndTheRatio() {
        String md = new Report(sample(), conditions()).markdown("");
        // jpasta 4.0/5.0/4.5 -> 4.50 (4.00–5.00); pasta 4.4/4.6/4.2 -> 4.40 (4.20–4.60); ratio 1.02
        assertTrue(md.contains("| tap-host-ns v4 | throughput (Gbit/s) | 4.50 (4.00–5.00) | 4.40 (4.20–4.60) | | 1.02× "
                + "| ≥ 1× pasta | ✅ |"), md);
    }

    @Test
    void missedTargetIsMarked() {
        String md = new Report(sample(), conditions()).markdown("");
        assertTrue(md.contains("| 100 | 80 | | 1.25× | ≤ 1.5× pasta | ✅ |"), md);
        List<Row> slow = new ArrayList<>(sample());
        for (int rep = 4; rep <= 6; rep++) {
            slow.add(Row.of("startup/-/-", "jpasta", rep, "startup", 500, "ms"));
        }
        // jpasta 100,100,100,500,500,500 -> median 300, 3.75x pasta's 80
        String md2 = new Report(slow, conditions()).markdown("");
        assertTrue(md2.contains("| 300 (100–500) | 80 | | 3.75× | ≤ 1.5× pasta | ❌ |"), md2);
    }

    @Test
    void failedCaseShowsFailedMissesItsTargetsAndListsTheReasonOnce() {
        Report r = new Report(sample(), conditions());
        String md = r.markdown("");
        assertTrue(md.contains("| splice-host-ns v4 | throughput (Gbit/s) | **failed** | 20 | |"), md);
        assertTrue(md.contains("≥ 1.1× pasta; ≥ 0.85× bare loopback (25.5) | ❌ ❌ |"), md);
        assertTrue(md.contains("| tcp1/splice-host-ns/v4 | jpasta | 1,2,3 | helper binary not found or not "
                + "executable: dist/bin/pasta |"), md);
        assertTrue(md.contains("jpasta failed 1 of 4 cases"), md);
        assertEquals("targets: 2 met, 2 missed, 0 unknown; jpasta failed 1 case(s)", r.verdictLine());
    }

    @Test
    void cpuPerGigabyteIsDerivedFromCpuSecondsAndBytes() {
        Report r = new Report(sample(), conditions());
        assertEquals(0.75, r.stats(CaseId.parse("tcp1/tap-host-ns/v4"), "cpu_per_gb", "pasta").median(), 1e-12);
        assertFalse(r.markdown("").contains("| cpu_s"), "raw inputs stay out of the table");
    }

    @Test
    void bareRowsFillOnlyTheBareColumn() {
        String md = new Report(sample(), conditions()).markdown("");
        assertTrue(md.contains("| bare-loopback v4 | throughput (Gbit/s) | | | 30 | | | |"), md);
    }

    @Test
    void conditionsAndReferenceWarningArePrinted() {
        Map<String, String> c = conditions();
        c.put("jpasta_is_reference", "the same binary as /usr/bin/pasta");
        String md = new Report(sample(), c).markdown("");
        assertTrue(md.contains("| nproc | 2 |"), md);
        assertTrue(md.contains("the jpasta column measures the reference binary"), md);
    }

    @Test
    void plotDataHasMedianMinMaxPerHelperAndDashForMissing() {
        Report r = new Report(sample(), conditions());
        String dat = r.plotData(List.of("jpasta", "pasta", "bare"), List.of("tcp1"), List.of("throughput"));
        assertTrue(dat.contains("tcp1 tap-host-ns v4\t4.50000\t4.00000\t5.00000\t4.40000\t4.20000\t4.60000\t-\t-\t-"),
                dat);
        assertTrue(dat.contains("tcp1 splice-host-ns v4\t-\t-\t-\t20.0000"), dat);
    }

    @Test
    void capturedQuickRunRendersEveryCase(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("raw.tsv"), Samples.read("raw-quick-run.tsv"));
        Report r = new Report(Row.read(dir.resolve("raw.tsv")), Map.of("helpers", "jpasta pasta"));
        String md = r.markdown("");
        for (CaseId c : r.values.keySet()) {
            assertTrue(md.contains("| " + Report.caseLabel(c) + " |"), "missing " + c);
        }
    }

    @Test
    void gnuplotMakesTheLinkedSvgs(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/gnuplot")), "gnuplot not installed: skipped");
        Report r = new Report(sample(), conditions());
        assertEquals("", r.writePlots(dir), () -> "gnuplot log: " + read(dir.resolve("gnuplot.log")));
        assertTrue(Files.readString(dir.resolve("throughput.svg")).contains("<svg"));
        assertTrue(Files.readString(dir.resolve("latency.svg")).contains("<svg"));
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "(unreadable: " + e + ")";
        }
    }
}
