package io.jpasta.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Writes {@code report.md}, {@code summary.tsv} and the plots of one benchmark run from its raw rows.
 * <pre>Report RUN_DIR</pre>
 * reads {@code RUN_DIR/raw.tsv} ({@link Row}) and {@code RUN_DIR/conditions.tsv} (key TAB value: machine,
 * tools, helpers, settings). Every number shown is the median over repetitions with the spread (min–max) beside
 * it; the ratio and the targets use medians. A helper that failed a case shows "failed" and the reasons are
 * listed; nothing is dropped silently.
 */
public final class Report {
    /** Metrics hidden from the table: inputs of derived metrics or bookkeeping. */
    static final Set<String> HIDDEN = Set.of("bytes", "cpu_s", "held", "sent", "timeouts");
    /** Metric order within a case. */
    static final List<String> METRIC_ORDER = List.of("startup", "ready", "rss_idle", "rss", "throughput", "goodput",
            "loss", "stalled", "retransmits", "cpu_per_gb", "gc", "p50", "p99", "rate", "conn_rate");
    static final Map<String, String> TEST_TITLES = Map.of("startup", "Startup (pasta --config-net -- true)",
            "ready", "Time until a forwarded port answers", "rss", "Memory (RSS)",
            "tcp1", "TCP bulk, 1 stream", "tcp4", "TCP bulk, 4 streams", "udp-max", "UDP 1400 B, unlimited rate",
            "udp-rate", "UDP 1400 B, rate-limited", "tcp-rr", "TCP request/response",
            "udp-rr", "UDP request/response", "tcp-crr", "TCP connect/request/response/close");
    static final String JPASTA = "jpasta", PASTA = "pasta", BARE = "bare";

    final List<Row> rows;
    final Map<String, String> conditions;
    final List<String> helpers;
    /** case → metric → helper → values over repetitions. */
    final Map<CaseId, Map<String, Map<String, List<Double>>>> values = new TreeMap<>();
    final Map<String, String> units = new LinkedHashMap<>();
    /** case → helper → failure reasons (deduplicated, with the repetitions they happened in). */
    final Map<CaseId, Map<String, Map<String, List<Integer>>>> failures = new TreeMap<>();

    Report(List<Row> raw, Map<String, String> conditions) {
        this.conditions = conditions;
        this.rows = new ArrayList<>(raw);
        rows.addAll(derived(raw));
        Set<String> hs = new LinkedHashSet<>();
        for (String h : conditions.getOrDefault("helpers", "").split("\\s+")) {
            if (!h.isBlank()) {
                hs.add(h);
            }
        }
        for (Row r : rows) {
            if (!r.helper().equals(BARE)) {
                hs.add(r.helper());
            }
            CaseId c = r.caseId();
            if (r.isFailure()) {
                failures.computeIfAbsent(c, k -> new TreeMap<>()).computeIfAbsent(r.helper(), k -> new LinkedHashMap<>())
                        .computeIfAbsent(r.note(), k -> new ArrayList<>()).add(r.rep());
                continue;
            }
            values.computeIfAbsent(c, k -> new TreeMap<>(Report::compareMetrics))
                    .computeIfAbsent(r.metric(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.helper(), k -> new ArrayList<>()).add(r.value());
            units.putIfAbsent(r.metric(), r.unit());
        }
        for (CaseId c : failures.keySet()) {
            values.computeIfAbsent(c, k -> new TreeMap<>(Report::compareMetrics));
        }
        hs.add(BARE);
        helpers = new ArrayList<>(hs);
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length != 1) {
            System.err.println("usage: Report RUN_DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Report r = new Report(Row.read(dir.resolve("raw.tsv")), readConditions(dir.resolve("conditions.tsv")));
        Files.writeString(dir.resolve("summary.tsv"), r.summaryTsv());
        String plotNote = r.writePlots(dir);
        Files.writeString(dir.resolve("report.md"), r.markdown(plotNote));
        System.out.println(r.verdictLine());
    }

    /** Reads key TAB value lines; a missing file gives an empty map. */
    static Map<String, String> readConditions(Path p) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        if (!Files.exists(p)) {
            return m;
        }
        for (String line : Files.readAllLines(p)) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                m.put(line.substring(0, tab), line.substring(tab + 1));
            }
        }
        return m;
    }

    /** CPU seconds per GB moved, from the {@code cpu_s} and {@code bytes} rows of one repetition. */
    static List<Row> derived(List<Row> raw) {
        Map<String, Double> cpu = new LinkedHashMap<>();
        Map<String, Double> bytes = new LinkedHashMap<>();
        Map<String, Row> any = new LinkedHashMap<>();
        for (Row r : raw) {
            String k = r.testCase() + "\t" + r.helper() + "\t" + r.rep();
            if (r.metric().equals("cpu_s")) {
                cpu.put(k, r.value());
                any.put(k, r);
            } else if (r.metric().equals("bytes")) {
                bytes.put(k, r.value());
            }
        }
        List<Row> out = new ArrayList<>();
        cpu.forEach((k, s) -> {
            Double b = bytes.get(k);
            if (b != null && b > 0) {
                Row r = any.get(k);
                out.add(Row.of(r.testCase(), r.helper(), r.rep(), "cpu_per_gb", s / (b / 1e9), "s/GB"));
            }
        });
        return out;
    }

    static int compareMetrics(String a, String b) {
        int ia = METRIC_ORDER.indexOf(a), ib = METRIC_ORDER.indexOf(b);
        ia = ia < 0 ? METRIC_ORDER.size() : ia;
        ib = ib < 0 ? METRIC_ORDER.size() : ib;
        return ia != ib ? Integer.compare(ia, ib) : a.compareTo(b);
    }

    /** @return the summary of {@code helper}'s values for a row, all NaN when it has none */
    Stats stats(CaseId c, String metric, String helper) {
        List<Double> v = values.getOrDefault(c, Map.of()).getOrDefault(metric, Map.of()).getOrDefault(helper,
                List.of());
        return Stats.of(v.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** @return median of the bare loopback path for the same test and family, NaN when not measured */
    double bareLoopback(CaseId c, String metric) {
        return stats(new CaseId(c.test(), "bare-loopback", c.family()), metric, BARE).median();
    }

    boolean failed(CaseId c, String helper) {
        return failures.getOrDefault(c, Map.of()).containsKey(helper);
    }

    /** One line for the terminal: how many targets were met and missed and how many cases jpasta failed. */
    String verdictLine() {
        int[] n = countVerdicts();
        long jFailed = failures.values().stream().filter(m -> m.containsKey(JPASTA)).count();
        return String.format(Locale.ROOT, "targets: %d met, %d missed, %d unknown; jpasta failed %d case(s)",
                n[0], n[1], n[2], jFailed);
    }

    private int[] countVerdicts() {
        int[] n = new int[3];
        for (var e : values.entrySet()) {
            for (String metric : e.getValue().keySet()) {
                if (HIDDEN.contains(metric)) {
                    continue;
                }
                for (Target t : Target.forRow(e.getKey(), metric)) {
                    n[verdict(e.getKey(), metric, t).ordinal()]++;
                }
            }
        }
        return n;
    }

    Target.Verdict verdict(CaseId c, String metric, Target t) {
        if (failed(c, JPASTA) && stats(c, metric, JPASTA).n() == 0) {
            return Target.Verdict.MISSED;
        }
        return t.evaluate(stats(c, metric, JPASTA).median(), stats(c, metric, PASTA).median(),
                bareLoopback(c, metric));
    }

    /** @return the summary TSV: case, metric, helper, median, min, max, n, unit */
    String summaryTsv() {
        StringBuilder sb = new StringBuilder("case\tmetric\thelper\tmedian\tmin\tmax\tn\tunit\n");
        values.forEach((c, metrics) -> metrics.forEach((metric, byHelper) -> byHelper.keySet().forEach(h -> {
            Stats s = stats(c, metric, h);
            sb.append(String.join("\t", c.toString(), metric, h, num(s.median()), num(s.min()), num(s.max()),
                    Integer.toString(s.n()), units.getOrDefault(metric, ""))).append('\n');
        })));
        return sb.toString();
    }

    /** @return the whole report.md text */
    String markdown(String plotNote) {
        StringBuilder md = new StringBuilder();
        md.append("# jpasta benchmark ").append(conditions.getOrDefault("timestamp", "")).append("\n\n");
        int[] n = countVerdicts();
        md.append(String.format(Locale.ROOT, "**Targets: %d met, %d missed, %d not measurable.** ", n[0], n[1], n[2]));
        long jFailed = failures.values().stream().filter(m -> m.containsKey(JPASTA)).count();
        md.append("jpasta failed ").append(jFailed).append(" of ").append(values.size()).append(" cases")
                .append(jFailed > 0 ? " (listed under Failures)." : ".").append("\n\n");
        if (conditions.containsKey("jpasta_is_reference")) {
            md.append("> **Note:** jpasta was ").append(conditions.get("jpasta_is_reference"))
                    .append(": the jpasta column measures the reference binary, not jpasta.\n\n");
        }
        md.append("Each cell is the median over repetitions, with the spread (min–max) in brackets when there was more")
                .append(" than one. Helpers ran alternately, run by run, on the same sandbox. ratio = jpasta / pasta")
                .append(" (medians). ✅ target met, ❌ missed, ❔ not measurable (a value is missing).\n\n");
        conditionsSection(md);
        if (plotNote.isEmpty()) {
            md.append("## Plots\n\n![throughput per case](throughput.svg)\n\n![latency per case](latency.svg)\n\n");
        } else {
            md.append("## Plots\n\n").append(plotNote).append("\n\n");
        }
        String lastTest = "";
        for (var e : values.entrySet()) {
            CaseId c = e.getKey();
            if (!c.test().equals(lastTest)) {
                lastTest = c.test();
                md.append("## ").append(TEST_TITLES.getOrDefault(c.test(), c.test())).append("\n\n");
                md.append("| case | metric |");
                helpers.forEach(h -> md.append(' ').append(h).append(" |"));
                md.append(" ratio | target | |\n|---|---|");
                helpers.forEach(h -> md.append("---:|"));
                md.append("---:|---|---|\n");
            }
            List<String> metrics = e.getValue().keySet().stream().filter(m -> !HIDDEN.contains(m)).toList();
            if (metrics.isEmpty()) {
                md.append("| ").append(caseLabel(c)).append(" | — |");
                helpers.forEach(h -> col(md, failed(c, h) ? "**failed**" : ""));
                md.append(" | | |\n");
            }
            for (String metric : metrics) {
                tableRow(md, c, metric);
            }
            if (e.getKey().equals(lastOfTest(c))) {
                md.append('\n');
            }
        }
        failuresSection(md);
        md.append("## Method\n\n").append(METHOD);
        return md.toString();
    }

    private CaseId lastOfTest(CaseId c) {
        CaseId last = c;
        for (CaseId k : values.keySet()) {
            if (k.test().equals(c.test())) {
                last = k;
            }
        }
        return last;
    }

    private void tableRow(StringBuilder md, CaseId c, String metric) {
        String unit = units.getOrDefault(metric, "");
        md.append("| ").append(caseLabel(c)).append(" | ").append(metric).append(unit.isEmpty() ? "" : " (" + unit + ")")
                .append(" |");
        for (String h : helpers) {
            Stats s = stats(c, metric, h);
            col(md, s.n() > 0 ? cell(s) : failed(c, h) ? "**failed**" : "");
        }
        double j = stats(c, metric, JPASTA).median(), p = stats(c, metric, PASTA).median();
        col(md, !Double.isNaN(j) && !Double.isNaN(p) && p != 0 ? num(j / p) + "×" : "");
        List<Target> targets = Target.forRow(c, metric);
        List<String> texts = new ArrayList<>();
        List<String> marks = new ArrayList<>();
        for (Target t : targets) {
            String text = t.describe(unit);
            if (t.kind() == Target.Kind.AT_LEAST_BARE) {
                double b = bareLoopback(c, metric);
                text += Double.isNaN(b) ? " (not measured)" : " (" + num(t.bound() * b) + ")";
            }
            texts.add(text);
            marks.add(switch (verdict(c, metric, t)) {
                case MET -> "✅";
                case MISSED -> "❌";
                case UNKNOWN -> "❔";
            });
        }
        col(md, String.join("; ", texts));
        col(md, String.join(" ", marks));
        md.append('\n');
    }

    /** @return "path family" for the first column, "—" when the case has neither */
    static String caseLabel(CaseId c) {
        String s = ((c.path().equals("-") ? "" : c.path() + " ") + (c.family().equals("-") ? "" : c.family())).strip();
        return s.isEmpty() ? "—" : s;
    }

    /** Appends one table cell; an empty one stays "| |" so the table reads well as plain text too. */
    private static void col(StringBuilder md, String text) {
        md.append(text.isEmpty() ? " |" : " " + text + " |");
    }

    private void conditionsSection(StringBuilder md) {
        md.append("## Machine and conditions\n\n| | |\n|---|---|\n");
        conditions.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v.replace("|", "\\|"))
                .append(" |\n"));
        md.append('\n');
    }

    private void failuresSection(StringBuilder md) {
        if (failures.isEmpty()) {
            return;
        }
        md.append("## Failures\n\n| case | helper | reps | reason |\n|---|---|---|---|\n");
        failures.forEach((c, byHelper) -> byHelper.forEach((h, reasons) -> reasons.forEach((reason, reps) ->
                md.append("| ").append(c).append(" | ").append(h).append(" | ").append(reps.toString()
                        .replaceAll("[\\[\\] ]", "")).append(" | ").append(reason.replace("|", "\\|"))
                        .append(" |\n"))));
        md.append('\n');
    }

    static final String METHOD = """
            - Sandbox: a netns playing the host (198.51.100.2/30, 2001:db8:1::2/64 on veth up0, default routes via \
            198.51.100.1 / 2001:db8:1::1, extra host address 203.0.113.1 / 2001:db8:3::1 on lo) and a netns playing \
            the remote network (servers on 198.51.100.200 / 2001:db8:2::10). Helpers run as the unprivileged test \
            user inside the host netns, as `HELPER -f --config-net -t/-u/-T/-U ... -- sleep`; clients and servers in \
            the helper's namespace are entered with nsenter.
            - Paths: tap-host-ns = host client to 198.51.100.2 (non-loopback) through `-t`; tap-ns-host = namespace \
            client to the host's 203.0.113.1; tap-ns-remote = namespace client to 198.51.100.200; splice-host-ns = \
            host 127.0.0.1/::1 through `-t`; splice-ns-host = namespace 127.0.0.1/::1 through `-T`; bare-loopback and \
            bare-veth = the kernel alone (host netns loopback, host to remote over the veth).
            - Throughput: iperf3 -J, receiver's bytes (UDP: goodput after loss). stalled = report intervals below 10% \
            of the run's median interval. cpu_per_gb = helper CPU time (utime+stime of the helper's process tree, \
            from /proc) per 10^9 bytes delivered. gc = GC pauses logged by jpasta's JVM during the transfer \
            (JPASTA_JAVA_OPTS=-Xlog:gc:file=...), only for helpers that write such a log.
            - Latency: RrTool (io.jpasta.bench) rr = one 64-byte request in flight, p50/p99 of round trips after \
            0.5 s warm-up; crr = connect, request, response, close per connection.
            - Startup: hyperfine -N, median of the repetition's runs of `HELPER --config-net -- true`. ready = time \
            from spawning the helper (with a socat server as its command) until a forwarded port answers a one-byte \
            request (the probe speaks first, as HTTP does).
            - RSS: sum of VmRSS over the helper's processes, idle after start, then with N connections held open.
            """;

    // ---- plots ----

    /**
     * Writes the gnuplot data and script under {@code dir} and runs gnuplot.
     *
     * @return "" when throughput.svg and latency.svg were made, else a sentence saying why not
     */
    String writePlots(Path dir) throws IOException, InterruptedException {
        List<String> plotted = helpers.stream().filter(h -> values.values().stream()
                .anyMatch(m -> m.values().stream().anyMatch(byH -> byH.containsKey(h)))).toList();
        if (plotted.isEmpty()) {
            return "No values to plot.";
        }
        Files.writeString(dir.resolve("throughput.dat"), plotData(plotted, List.of("tcp1", "tcp4", "udp-max"),
                List.of("throughput", "goodput")));
        Files.writeString(dir.resolve("latency-p50.dat"), plotData(plotted, List.of("tcp-rr", "udp-rr"),
                List.of("p50")));
        Files.writeString(dir.resolve("latency-p99.dat"), plotData(plotted, List.of("tcp-rr", "udp-rr"),
                List.of("p99")));
        Files.writeString(dir.resolve("plots.gp"), gnuplotScript(plotted));
        ProcessBuilder pb = new ProcessBuilder("gnuplot", "plots.gp").directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(dir.resolve("gnuplot.log").toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return "gnuplot is not installed: no plots (data in throughput.dat, latency-*.dat).";
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "gnuplot took over 60 s and was stopped: no plots.";
        }
        if (p.exitValue() != 0 || !Files.exists(dir.resolve("throughput.svg"))) {
            return "gnuplot failed (see gnuplot.log): no plots.";
        }
        return "";
    }

    /** Rows: one per case having one of {@code metrics}; columns: label, then median, min, max per helper. */
    String plotData(List<String> plotted, List<String> tests, List<String> metrics) {
        StringBuilder sb = new StringBuilder("# case");
        plotted.forEach(h -> sb.append('\t').append(h).append("\tmin\tmax"));
        sb.append('\n');
        int lines = 0;
        for (var e : values.entrySet()) {
            CaseId c = e.getKey();
            if (!tests.contains(c.test())) {
                continue;
            }
            for (String metric : metrics) {
                if (!e.getValue().containsKey(metric)) {
                    continue;
                }
                sb.append(c.test()).append(' ').append(caseLabel(c));
                for (String h : plotted) {
                    Stats s = stats(c, metric, h);
                    sb.append('\t').append(s.n() == 0 ? "-\t-\t-" : plain(s.median()) + "\t" + plain(s.min()) + "\t"
                            + plain(s.max()));
                }
                sb.append('\n');
                lines++;
            }
        }
        if (lines == 0) {
            sb.append("none");
            plotted.forEach(h -> sb.append("\t0\t0\t0"));
            sb.append('\n');
        }
        return sb.toString();
    }

    String gnuplotScript(List<String> plotted) {
        StringBuilder sb = new StringBuilder("""
                set terminal svg size 1400,700 dynamic enhanced font 'sans,11' background rgb 'white'
                set datafile separator '\\t'
                set datafile missing '-'
                set style data histogram
                set style histogram errorbars gap 1 lw 1
                set style fill solid 0.85 border -1
                set xtics rotate by -40 scale 0 noenhanced
                set key outside top center horizontal noenhanced
                set grid ytics
                set yrange [0:*]
                set bmargin 9
                """);
        sb.append("set output 'throughput.svg'\nset title 'Throughput per case (median; bars: min-max)'\n")
                .append("set ylabel 'Gbit/s'\n").append(plotCommand("throughput.dat", plotted));
        sb.append("set output 'latency.svg'\nset multiplot layout 2,1\n")
                .append("set title 'Request/response latency p50 (median; bars: min-max)'\nset ylabel 'us'\n")
                .append(plotCommand("latency-p50.dat", plotted))
                .append("set title 'Request/response latency p99 (median; bars: min-max)'\n")
                .append(plotCommand("latency-p99.dat", plotted)).append("unset multiplot\n");
        return sb.toString();
    }

    private static String plotCommand(String file, List<String> plotted) {
        StringBuilder sb = new StringBuilder("plot ");
        for (int i = 0; i < plotted.size(); i++) {
            int col = 2 + 3 * i;
            sb.append(i == 0 ? "'" + file + "'" : "''").append(" using ").append(col).append(':').append(col + 1)
                    .append(':').append(col + 2).append(i == 0 ? ":xtic(1)" : "").append(" title '")
                    .append(plotted.get(i)).append("'").append(i + 1 < plotted.size() ? ", " : "\n");
        }
        return sb.toString();
    }

    // ---- number formatting ----

    /** Median, and "(min–max)" when repetitions differ, all with the median's number of decimals. */
    static String cell(Stats s) {
        if (s.n() < 2 || s.min() == s.max()) {
            return num(s.median());
        }
        boolean integral = s.median() == Math.rint(s.median()) && s.min() == Math.rint(s.min())
                && s.max() == Math.rint(s.max());
        int d = integral ? 0 : decimals(s.median());
        return fixed(s.median(), d) + " (" + fixed(s.min(), d) + "–" + fixed(s.max(), d) + ")";
    }

    /** Decimals giving three significant digits for magnitudes from 0.001 up. */
    static int decimals(double v) {
        double a = Math.abs(v);
        return a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    }

    static String fixed(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** Three significant digits, no exponent for the magnitudes a benchmark shows. */
    static String num(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        double a = Math.abs(v);
        if (v == Math.rint(v) && a < 1e9) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        if (a >= 0.001) {
            return String.format(Locale.ROOT, "%.3f", v);
        }
        return String.format(Locale.ROOT, "%.2e", v);
    }

    private static String plain(double v) {
        return String.format(Locale.ROOT, "%.6g", v);
    }
}
