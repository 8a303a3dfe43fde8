package io.jpasta.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One measurement: a line of the raw results TSV. Columns: case, helper, rep, metric, value, unit, note.
 * {@code note} is empty except for {@code failed} rows, where it holds the reason.
 *
 * @param testCase "test/path/family", e.g. {@code tcp1/tap-host-ns/v4} (see {@link CaseId})
 * @param helper   "jpasta", "pasta", a {@code --ref} name, or "bare" for the kernel path without helper
 * @param rep      repetition number, from 1
 * @param metric   e.g. {@code throughput}, {@code p50}, {@code failed}
 * @param value    the number; NaN is written as {@code nan}
 * @param unit     e.g. {@code Gbit/s}, {@code us}
 * @param note     free text without tabs or newlines
 */
public record Row(String testCase, String helper, int rep, String metric, double value, String unit, String note) {
    /** Header line of the TSV. */
    public static final String HEADER = "case\thelper\trep\tmetric\tvalue\tunit\tnote";
    /** Metric name of a row saying the helper could not do the case; the note holds why. */
    public static final String FAILED = "failed";

    public Row {
        note = clean(note);
        unit = clean(unit);
    }

    /** @return a row for a measured value, without note */
    public static Row of(String testCase, String helper, int rep, String metric, double value, String unit) {
        return new Row(testCase, helper, rep, metric, value, unit, "");
    }

    /** @return a row saying {@code helper} failed the case in repetition {@code rep} */
    public static Row failed(String testCase, String helper, int rep, String reason) {
        return new Row(testCase, helper, rep, FAILED, 1, "", reason);
    }

    public boolean isFailure() {
        return FAILED.equals(metric);
    }

    public CaseId caseId() {
        return CaseId.parse(testCase);
    }

    /** @return the TSV line, without line terminator */
    public String toTsv() {
        String v = Double.isNaN(value) ? "nan" : value == Math.rint(value) && Math.abs(value) < 1e15
                ? Long.toString((long) value) : Double.toString(value);
        return String.join("\t", testCase, helper, Integer.toString(rep), metric, v, unit, note);
    }

    /**
     * Parses one TSV line (the note column may be absent).
     *
     * @throws IllegalArgumentException naming the line when it has too few columns or a bad number
     */
    public static Row parse(String line) {
        String[] f = line.split("\t", -1);
        if (f.length < 6) {
            throw new IllegalArgumentException("raw TSV line has " + f.length + " columns, want 6 or 7: " + line);
        }
        try {
            double v = f[4].equalsIgnoreCase("nan") ? Double.NaN : Double.parseDouble(f[4]);
            return new Row(f[0], f[1], Integer.parseInt(f[2]), f[3], v, f[5], f.length > 6 ? f[6] : "");
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad number in raw TSV line: " + line, e);
        }
    }

    /** Reads a raw TSV file, skipping the header, blank lines and lines starting with '#'. */
    public static List<Row> read(Path tsv) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (String line : Files.readAllLines(tsv)) {
            if (line.isBlank() || line.startsWith("#") || line.equals(HEADER)) {
                continue;
            }
            rows.add(parse(line));
        }
        return rows;
    }

    private static String clean(String s) {
        return s == null ? "" : s.replaceAll("[\\t\\r\\n]+", " ").strip();
    }
}
