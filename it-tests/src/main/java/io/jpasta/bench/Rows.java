package io.jpasta.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Turns tool output files into raw TSV rows; {@code scripts/bench} queues one job per measurement and runs
 * <pre>Rows --jobs FILE       (lines: KIND TAB OUTPUT TAB CASE TAB HELPER TAB REP TAB STDERR-or-empty)
 * Rows iperf3|hyperfine|tool OUTPUT CASE HELPER REP [STDERR]</pre>
 * Prints the rows on stdout. An unreadable or empty output becomes one {@code failed} row whose reason is the
 * parser's complaint or the last line of {@code STDERR}, so a broken case never stops the run.
 */
public final class Rows {
    private Rows() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 2 && args[0].equals("--jobs")) {
            for (String line : Files.readAllLines(Path.of(args[1]))) {
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                Path stderr = f.length > 5 && !f[5].isEmpty() ? Path.of(f[5]) : null;
                for (Row r : rows(f[0], Path.of(f[1]), f[2], f[3], Integer.parseInt(f[4]), stderr)) {
                    System.out.println(r.toTsv());
                }
            }
            return;
        }
        if (args.length < 5) {
            System.err.println("usage: Rows iperf3|hyperfine|tool OUTPUT CASE HELPER REP [STDERR] | Rows --jobs FILE");
            System.exit(2);
        }
        Path stderr = args.length > 5 ? Path.of(args[5]) : null;
        for (Row r : rows(args[0], Path.of(args[1]), args[2], args[3], Integer.parseInt(args[4]), stderr)) {
            System.out.println(r.toTsv());
        }
    }

    /**
     * @param kind   {@code iperf3} (JSON), {@code hyperfine} (export JSON) or {@code tool} ({@link RrTool} output)
     * @param stderr the tool's stderr, used for the reason of a failure; may be null or missing
     * @return the rows; never empty
     */
    public static List<Row> rows(String kind, Path output, String testCase, String helper, int rep, Path stderr)
            throws IOException {
        String text = Files.exists(output) ? Files.readString(output) : "";
        if (text.isBlank()) {
            return List.of(Row.failed(testCase, helper, rep, "no output from " + kind + lastLine(stderr)));
        }
        try {
            List<Row> rows = switch (kind) {
                case "iperf3" -> Iperf3Result.parse(text).rows(testCase, helper, rep);
                case "hyperfine" -> HyperfineResult.parse(text).rows(testCase, helper, rep);
                case "tool" -> ToolLine.find(text).rows(testCase, helper, rep);
                default -> throw new IllegalArgumentException("unknown output kind " + kind);
            };
            if (rows.size() == 1 && rows.getFirst().isFailure() && stderr != null) {
                Row f = rows.getFirst();
                return List.of(Row.failed(testCase, helper, rep, f.note() + lastLine(stderr)));
            }
            return rows;
        } catch (IllegalArgumentException e) {
            return List.of(Row.failed(testCase, helper, rep, kind + " output unreadable: " + e.getMessage()
                    + lastLine(stderr)));
        }
    }

    /** @return " (stderr: LAST LINE)" for a non-empty stderr file, else "" */
    static String lastLine(Path stderr) throws IOException {
        if (stderr == null || !Files.exists(stderr)) {
            return "";
        }
        List<String> lines = Files.readAllLines(stderr).stream().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) {
            return "";
        }
        String last = lines.getLast().strip();
        return " (stderr: " + (last.length() > 200 ? last.substring(0, 200) + "..." : last) + ")";
    }
}
