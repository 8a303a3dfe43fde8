package io.jpasta.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * What one {@code iperf3 -J} client run says, reduced to what the report needs. Throughput and bytes are the
 * receiver's ({@code end.sum_received}), so UDP loss does not count as delivered. For UDP without
 * {@code sum_received} (old iperf3) the sender's numbers are scaled by the loss.
 *
 * @param error            iperf3's error text, or null when the run completed
 * @param udp              true for a UDP test
 * @param streams          parallel streams ({@code -P})
 * @param bitsPerSecond    receiver goodput over the whole run
 * @param bytes            bytes the receiver got
 * @param sentBitsPerSecond sender rate (for UDP: offered load)
 * @param lostPercent      UDP datagrams lost in percent, NaN for TCP
 * @param retransmits      TCP retransmissions counted by the sender, -1 when not reported
 * @param intervals        number of report intervals
 * @param stalledIntervals intervals that moved less than {@link #STALL_FRACTION} of the median interval
 */
public record Iperf3Result(String error, boolean udp, int streams, double bitsPerSecond, long bytes,
                           double sentBitsPerSecond, double lostPercent, long retransmits, int intervals,
                           int stalledIntervals) {
    /** An interval below this fraction of the run's median interval rate counts as stalled. */
    public static final double STALL_FRACTION = 0.1;

    public boolean ok() {
        return error == null;
    }

    /**
     * Parses iperf3's JSON output (version 3.7 or later).
     *
     * @return the result; a run with an {@code error} key or without end totals has {@link #error} set
     * @throws IllegalArgumentException when the text is not JSON at all
     */
    public static Iperf3Result parse(String json) {
        Object root = Json.parse(json);
        String err = Json.str(root, "error");
        boolean udp = "UDP".equalsIgnoreCase(Json.str(root, "start", "test_start", "protocol"));
        int streams = (int) orElse(Json.num(root, "start", "test_start", "num_streams"), 1);
        if (err != null) {
            return failure(err, udp, streams);
        }
        double rxBps = Json.num(root, "end", "sum_received", "bits_per_second");
        double rxBytes = Json.num(root, "end", "sum_received", "bytes");
        double txBps = Json.num(root, "end", "sum_sent", "bits_per_second");
        double lost = Double.NaN;
        if (udp) {
            lost = Json.num(root, "end", "sum_received", "lost_percent");
            if (Double.isNaN(rxBps)) {
                // iperf3 before 3.11 reports UDP only in end.sum: sender figures plus the receiver's loss.
                lost = Json.num(root, "end", "sum", "lost_percent");
                txBps = Json.num(root, "end", "sum", "bits_per_second");
                rxBps = txBps * (1 - lost / 100);
                rxBytes = Json.num(root, "end", "sum", "bytes") * (1 - lost / 100);
            }
        }
        if (Double.isNaN(rxBps) || Double.isNaN(rxBytes)) {
            return failure("iperf3 output has no end totals", udp, streams);
        }
        long retrans = (long) orElse(Json.num(root, "end", "sum_sent", "retransmits"), -1);
        List<Double> rates = new ArrayList<>();
        for (Object iv : Json.list(root, "intervals")) {
            double r = Json.num(iv, "sum", "bits_per_second");
            if (!Double.isNaN(r) && !Boolean.TRUE.equals(Json.at(iv, "sum", "omitted"))) {
                rates.add(r);
            }
        }
        double median = Stats.median(rates.stream().mapToDouble(Double::doubleValue).toArray());
        int stalled = 0;
        for (double r : rates) {
            if (r < STALL_FRACTION * median || r == 0) {
                stalled++;
            }
        }
        return new Iperf3Result(null, udp, streams, rxBps, (long) rxBytes, txBps, lost, retrans, rates.size(),
                stalled);
    }

    /**
     * The rows this run contributes: TCP {@code throughput}, {@code retransmits}, {@code stalled}; UDP
     * {@code goodput}, {@code sent}, {@code loss}; both {@code bytes}. A failed run gives one {@code failed} row.
     */
    public List<Row> rows(String testCase, String helper, int rep) {
        if (!ok()) {
            return List.of(Row.failed(testCase, helper, rep, "iperf3: " + error));
        }
        List<Row> rows = new ArrayList<>();
        if (udp) {
            rows.add(Row.of(testCase, helper, rep, "goodput", bitsPerSecond / 1e9, "Gbit/s"));
            rows.add(Row.of(testCase, helper, rep, "sent", sentBitsPerSecond / 1e9, "Gbit/s"));
            rows.add(Row.of(testCase, helper, rep, "loss", lostPercent, "%"));
        } else {
            rows.add(Row.of(testCase, helper, rep, "throughput", bitsPerSecond / 1e9, "Gbit/s"));
            if (retransmits >= 0) {
                rows.add(Row.of(testCase, helper, rep, "retransmits", retransmits, "count"));
            }
            rows.add(Row.of(testCase, helper, rep, "stalled", stalledIntervals, "intervals"));
        }
        rows.add(Row.of(testCase, helper, rep, "bytes", bytes, "B"));
        return rows;
    }

    private static Iperf3Result failure(String err, boolean udp, int streams) {
        return new Iperf3Result(err, udp, streams, Double.NaN, 0, Double.NaN, Double.NaN, -1, 0, 0);
    }

    private static double orElse(double v, double dflt) {
        return Double.isNaN(v) ? dflt : v;
    }
}
