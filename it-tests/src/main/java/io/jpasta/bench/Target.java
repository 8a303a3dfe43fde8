package io.jpasta.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A performance target of jpasta for one report row, as the issues state them, and its evaluation on medians.
 *
 * @param kind   how the jpasta median is compared
 * @param bound  the factor (ratio kinds) or the absolute bound in the row's unit
 * @param source where the target comes from, shown in the report
 */
public record Target(Kind kind, double bound, String source) {
    /** How a target compares. */
    public enum Kind {
        /** jpasta ≤ bound × pasta (times, latencies: lower is better). */
        AT_MOST_PASTA,
        /** jpasta ≥ bound × pasta (rates). */
        AT_LEAST_PASTA,
        /** jpasta ≥ bound × the bare kernel path (loopback) for the same test and family. */
        AT_LEAST_BARE,
        /** jpasta ≥ bound, absolute. */
        AT_LEAST,
        /** jpasta ≤ bound, absolute. */
        AT_MOST
    }

    /** Result of comparing a median with a target. */
    public enum Verdict { MET, MISSED, UNKNOWN }

    /** @return the targets for a report row; empty when the issues set none (or the row is a bare path) */
    public static List<Target> forRow(CaseId c, String metric) {
        List<Target> t = new ArrayList<>();
        if (c.isBare()) {
            return t;
        }
        String test = c.test();
        switch (metric) {
            case "startup", "ready" -> t.add(new Target(Kind.AT_MOST_PASTA, 1.5, "startup"));
            case "throughput" -> {
                if (!c.isTcpBulk()) {
                    break;
                }
                switch (c.path()) {
                    case "tap-host-ns" -> t.add(new Target(Kind.AT_LEAST_PASTA, 1.0, "tcp host->ns"));
                    case "tap-ns-host", "tap-ns-remote" -> t.add(new Target(Kind.AT_LEAST, 10, "tcp ns->out"));
                    case "splice-host-ns", "splice-ns-host" -> {
                        t.add(new Target(Kind.AT_LEAST_PASTA, 1.1, "splice"));
                        t.add(new Target(Kind.AT_LEAST_BARE, 0.85, "splice"));
                    }
                    default -> { }
                }
            }
            case "stalled" -> {
                if (c.isTcpBulk() && (c.path().equals("tap-ns-host") || c.path().equals("tap-ns-remote"))) {
                    t.add(new Target(Kind.AT_MOST, 0, "tcp ns->out: never stalled"));
                }
            }
            case "p50", "p99" -> {
                if (test.equals("tcp-rr") || test.equals("udp-rr")) {
                    t.add(new Target(Kind.AT_MOST_PASTA, 1.1, "latency"));
                }
            }
            case "conn_rate" -> t.add(new Target(Kind.AT_LEAST_PASTA, 1.0, "conn/s"));
            case "gc" -> {
                if (c.isTcpBulk()) {
                    t.add(new Target(Kind.AT_MOST, 0, "no GC in bulk transfer (ARCHITECTURE §4)"));
                }
            }
            default -> { }
        }
        return t;
    }

    /**
     * @param jpasta median of jpasta (NaN when missing)
     * @param pasta  median of the reference pasta (NaN when missing)
     * @param bare   median of the bare loopback path for the same test and family (NaN when missing)
     */
    public Verdict evaluate(double jpasta, double pasta, double bare) {
        double ref = switch (kind) {
            case AT_MOST_PASTA, AT_LEAST_PASTA -> pasta;
            case AT_LEAST_BARE -> bare;
            case AT_LEAST, AT_MOST -> 1;
        };
        if (Double.isNaN(jpasta) || Double.isNaN(ref)) {
            return Verdict.UNKNOWN;
        }
        boolean ok = switch (kind) {
            case AT_MOST_PASTA -> jpasta <= bound * ref;
            case AT_LEAST_PASTA, AT_LEAST_BARE -> jpasta >= bound * ref;
            case AT_LEAST -> jpasta >= bound;
            case AT_MOST -> jpasta <= bound;
        };
        return ok ? Verdict.MET : Verdict.MISSED;
    }

    /** @return e.g. "≤ 1.5× pasta", "≥ 10 Gbit/s", "≥ 0.85× bare loopback" */
    public String describe(String unit) {
        String b = bound == Math.rint(bound) ? Long.toString((long) bound) : String.format(Locale.ROOT, "%s", bound);
        return switch (kind) {
            case AT_MOST_PASTA -> "≤ " + b + "× pasta";
            case AT_LEAST_PASTA -> "≥ " + b + "× pasta";
            case AT_LEAST_BARE -> "≥ " + b + "× bare loopback";
            case AT_LEAST -> "≥ " + b + " " + unit;
            case AT_MOST -> "≤ " + b + (unit.isEmpty() ? "" : " " + unit);
        };
    }
}
