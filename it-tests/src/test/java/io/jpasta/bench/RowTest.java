package io.jpasta.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RowTest {
    @Test
    void tsvRoundTripKeepsEveryColumn() {
        Row r = new Row("tcp1/tap-host-ns/v4", "jpasta", 2, "throughput", 4.25, "Gbit/s", "");
        assertEquals("tcp1/tap-host-ns/v4\tjpasta\t2\tthroughput\t4.25\tGbit/s\t", r.toTsv());
        assertEquals(r, Row.parse(r.toTsv()));
    }

    @Test
    void integersAndNanAreWrittenPlainly() {
        assertEquals("c/-/-\tpasta\t1\tgc\t0\tcount\t", Row.of("c/-/-", "pasta", 1, "gc", 0, "count").toTsv());
        Row nan = Row.parse("c/-/-\tpasta\t1\tp50\tnan\tus");
        assertTrue(Double.isNaN(nan.value()));
        assertEquals("", nan.note());
    }

    @Test
    void failureReasonLosesTabsAndNewlines() {
        Row f = Row.failed("tcp1/tap-host-ns/v4", "jpasta", 1, "no\tsuch\nfile");
        assertTrue(f.isFailure());
        assertEquals("no such file", f.note());
        assertEquals(f, Row.parse(f.toTsv()));
    }

    @Test
    void shortOrNonNumericLinesAreRejectedWithTheLine() {
        var e = assertThrows(IllegalArgumentException.class, () -> Row.parse("a\tb\t1\tm\t2"));
        assertTrue(e.getMessage().contains("a\tb"));
        assertThrows(IllegalArgumentException.class, () -> Row.parse("a/b/c\tb\tone\tm\t2\tu"));
    }

    @Test
    void readSkipsHeaderCommentsAndBlankLines(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("raw.tsv");
        Files.writeString(f, Row.HEADER + "\n# comment\n\nstartup/-/-\tpasta\t1\tstartup\t12.5\tms\t\n");
        assertEquals(List.of(Row.of("startup/-/-", "pasta", 1, "startup", 12.5, "ms")), Row.read(f));
    }

    @Test
    void caseIdsSortInReportOrder() {
        List<CaseId> ids = List.of("tcp-rr/tap-host-ns/v4", "tcp1/bare-veth/v4", "tcp1/tap-host-ns/v6",
                "tcp1/tap-host-ns/v4", "startup/-/-").stream().map(CaseId::parse).sorted().toList();
        assertEquals("[startup/-/-, tcp1/tap-host-ns/v4, tcp1/tap-host-ns/v6, tcp1/bare-veth/v4, "
                + "tcp-rr/tap-host-ns/v4]", ids.toString());
        assertThrows(IllegalArgumentException.class, () -> CaseId.parse("tcp1/tap"));
    }
}
