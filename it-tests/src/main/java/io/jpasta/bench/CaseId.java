package io.jpasta.bench;

import java.util.List;

/**
 * Name of a benchmark case: what is measured ({@code test}), along which path, for which address family.
 * Written {@code test/path/family}. The orders below are the report's row order.
 *
 * @param test   one of {@link #TESTS}
 * @param path   one of {@link #PATHS}, or {@code -} where no path applies (startup, idle RSS)
 * @param family {@code v4}, {@code v6} or {@code -}
 */
public record CaseId(String test, String path, String family) implements Comparable<CaseId> {
    /** Tests in report order. */
    public static final List<String> TESTS = List.of("startup", "ready", "rss", "tcp1", "tcp4", "udp-max",
            "udp-rate", "tcp-rr", "udp-rr", "tcp-crr");
    /**
     * Paths in report order. tap: through the helper's tap device; splice: the helper's loopback bypass;
     * bare: the kernel alone (loopback in the host netns, or the veth from host to remote), the physical
     * reference.
     */
    public static final List<String> PATHS = List.of("-", "tap-host-ns", "tap-ns-host", "tap-ns-remote",
            "splice-host-ns", "splice-ns-host", "bare-loopback", "bare-veth");

    /** @throws IllegalArgumentException when {@code s} is not three non-empty parts separated by '/' */
    public static CaseId parse(String s) {
        String[] p = s.split("/", -1);
        if (p.length != 3 || p[0].isEmpty() || p[1].isEmpty() || p[2].isEmpty()) {
            throw new IllegalArgumentException("case name must be test/path/family: " + s);
        }
        return new CaseId(p[0], p[1], p[2]);
    }

    public boolean isBare() {
        return path.startsWith("bare-");
    }

    public boolean isSplice() {
        return path.startsWith("splice-");
    }

    /** @return true for the bulk TCP throughput tests */
    public boolean isTcpBulk() {
        return test.equals("tcp1") || test.equals("tcp4");
    }

    @Override
    public String toString() {
        return test + "/" + path + "/" + family;
    }

    @Override
    public int compareTo(CaseId o) {
        int c = Integer.compare(rank(TESTS, test), rank(TESTS, o.test));
        if (c == 0) {
            c = Integer.compare(rank(PATHS, path), rank(PATHS, o.path));
        }
        if (c == 0) {
            c = family.compareTo(o.family);
        }
        return c != 0 ? c : toString().compareTo(o.toString());
    }

    private static int rank(List<String> order, String s) {
        int i = order.indexOf(s);
        return i < 0 ? order.size() : i;
    }
}
