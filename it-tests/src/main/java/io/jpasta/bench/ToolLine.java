package io.jpasta.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one result line {@link RrTool} prints: a mode word then {@code key=value} pairs, e.g.
 * {@code rr proto=tcp size=64 count=51234 p50_us=37.1 p99_us=88.0 rate=25617.0 timeouts=0}. A failure is
 * {@code error <message>}. Other lines of the tool's output (progress, JVM warnings) are ignored by
 * {@link #find}.
 *
 * @param mode   {@code rr}, {@code crr}, {@code ready}, {@code held} or {@code error}
 * @param values the pairs in order; for {@code error}, the single key {@code message}
 */
public record ToolLine(String mode, Map<String, String> values) {
    /** Modes that carry results. */
    public static final List<String> MODES = List.of("rr", "crr", "ready", "held", "error");

    /** @return the formatted line */
    public String format() {
        if (mode.equals("error")) {
            return "error " + values.getOrDefault("message", "");
        }
        StringBuilder sb = new StringBuilder(mode);
        values.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        return sb.toString();
    }

    /**
     * Parses one result line.
     *
     * @throws IllegalArgumentException when the mode is unknown or a pair lacks '='
     */
    public static ToolLine parse(String line) {
        String s = line.strip();
        int sp = s.indexOf(' ');
        String mode = sp < 0 ? s : s.substring(0, sp);
        if (!MODES.contains(mode)) {
            throw new IllegalArgumentException("not a result line: " + line);
        }
        Map<String, String> m = new LinkedHashMap<>();
        String rest = sp < 0 ? "" : s.substring(sp + 1).strip();
        if (mode.equals("error")) {
            m.put("message", rest);
            return new ToolLine(mode, m);
        }
        for (String pair : rest.isEmpty() ? new String[0] : rest.split("\\s+")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("bad pair '" + pair + "' in: " + line);
            }
            m.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return new ToolLine(mode, m);
    }

    /**
     * Finds the last result line in a tool's whole output.
     *
     * @return the line, or an {@code error} line saying none was found (with the output's last line)
     */
    public static ToolLine find(String output) {
        ToolLine found = null;
        String last = "";
        for (String line : output.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            last = line.strip();
            String first = last.split("\\s+", 2)[0];
            if (MODES.contains(first)) {
                try {
                    found = parse(line);
                } catch (IllegalArgumentException e) {
                    // a garbled line: keep looking, the report says "no result line" if nothing else fits
                }
            }
        }
        if (found != null) {
            return found;
        }
        Map<String, String> m = new LinkedHashMap<>();
        m.put("message", "no result line in tool output" + (last.isEmpty() ? "" : " (last line: " + last + ")"));
        return new ToolLine("error", m);
    }

    /** @return the number under {@code key}, NaN when missing or not a number */
    public double num(String key) {
        try {
            return Double.parseDouble(values.getOrDefault(key, "nan"));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /**
     * The rows this line contributes. rr: {@code p50}, {@code p99} (us), {@code rate} (1/s),
     * {@code timeouts}; crr: {@code conn_rate} (1/s), {@code p50}, {@code p99}; ready: {@code ready} (ms);
     * held: {@code rss} is measured outside, so only {@code held} (count); error: a {@code failed} row.
     */
    public List<Row> rows(String testCase, String helper, int rep) {
        List<Row> rows = new ArrayList<>();
        switch (mode) {
            case "rr" -> {
                rows.add(Row.of(testCase, helper, rep, "p50", num("p50_us"), "us"));
                rows.add(Row.of(testCase, helper, rep, "p99", num("p99_us"), "us"));
                rows.add(Row.of(testCase, helper, rep, "rate", num("rate"), "1/s"));
                rows.add(Row.of(testCase, helper, rep, "timeouts", num("timeouts"), "count"));
            }
            case "crr" -> {
                rows.add(Row.of(testCase, helper, rep, "conn_rate", num("conn_rate"), "1/s"));
                rows.add(Row.of(testCase, helper, rep, "p50", num("p50_us"), "us"));
                rows.add(Row.of(testCase, helper, rep, "p99", num("p99_us"), "us"));
            }
            case "ready" -> rows.add(Row.of(testCase, helper, rep, "ready", num("ms"), "ms"));
            case "held" -> rows.add(Row.of(testCase, helper, rep, "held", num("count"), "count"));
            default -> rows.add(Row.failed(testCase, helper, rep, values.getOrDefault("message", "error")));
        }
        return rows;
    }
}
