package io.jpasta.bench;

import java.util.List;

/**
 * The first benchmark of a {@code hyperfine --export-json} file. hyperfine writes seconds whatever
 * {@code --time-unit} says; the accessors here give milliseconds.
 *
 * @param command   the command line measured
 * @param medianMs  median wall time
 * @param meanMs    mean wall time
 * @param stddevMs  standard deviation (NaN with a single run)
 * @param minMs     fastest run
 * @param maxMs     slowest run
 * @param runs      number of timed runs
 * @param failedRuns runs whose exit code was not 0 (hyperfine -i keeps going)
 */
public record HyperfineResult(String command, double medianMs, double meanMs, double stddevMs, double minMs,
                              double maxMs, int runs, int failedRuns) {
    /**
     * @throws IllegalArgumentException when the text is not JSON or holds no result
     */
    public static HyperfineResult parse(String json) {
        Object root = Json.parse(json);
        Object r = Json.at(root, "results", "0");
        if (r == null) {
            throw new IllegalArgumentException("hyperfine JSON has no results");
        }
        List<?> times = Json.list(r, "times");
        int failed = 0;
        for (Object code : Json.list(r, "exit_codes")) {
            if (code instanceof Double d && d != 0) {
                failed++;
            }
        }
        return new HyperfineResult(Json.str(r, "command"), 1e3 * Json.num(r, "median"), 1e3 * Json.num(r, "mean"),
                1e3 * Json.num(r, "stddev"), 1e3 * Json.num(r, "min"), 1e3 * Json.num(r, "max"), times.size(),
                failed);
    }

    /** @return one {@code startup} row (median of this repetition's runs), or a failure when a run failed */
    public List<Row> rows(String testCase, String helper, int rep) {
        if (failedRuns > 0) {
            return List.of(Row.failed(testCase, helper, rep, failedRuns + " of " + runs + " runs exited non-zero"));
        }
        return List.of(Row.of(testCase, helper, rep, "startup", medianMs, "ms"));
    }
}
