/**
 * The benchmark harness's Java side: parsers of the tools' outputs, the request/response measurer, and the
 * report. Run by {@code scripts/bench}; never on the data path of jpasta, no dependency beyond the JDK.
 *
 * <h2>Theory of operation</h2>
 * {@code scripts/bench} builds a sandbox (a netns playing the host, one playing the remote network), and for
 * every case and repetition starts each helper in turn (jpasta, the reference pasta, any {@code --ref}) as the
 * unprivileged test user, runs one measurement through it, and samples the helper's CPU time, RSS and GC log
 * from /proc and files. Each tool's output (iperf3 JSON, hyperfine JSON, {@link io.jpasta.bench.RrTool}'s result
 * line) is turned into rows of the raw TSV by {@link io.jpasta.bench.Rows}: one {@link io.jpasta.bench.Row} per
 * number, or a {@code failed} row with the reason, so a helper that cannot do a case yet does not stop the run.
 * At the end {@link io.jpasta.bench.Report} reads the raw TSV and the run's conditions, takes medians and
 * spreads per case, metric and helper, compares jpasta with pasta against the {@link io.jpasta.bench.Target}s
 * of the issues and writes report.md, summary.tsv and gnuplot SVGs.
 *
 * <h2>Limits</h2>
 * Results are only as quiet as the machine: the report prints nproc, kernel, CPU model and load before and
 * after, and every cell shows its spread. The parsers accept iperf3 3.7+ and hyperfine 1.12+ JSON. RrTool
 * measures with one request in flight from a single JVM thread, so its latencies include a few microseconds of
 * JVM overhead that is the same for every helper.
 */
package io.jpasta.bench;
