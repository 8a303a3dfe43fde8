package io.jpasta.bench;

import java.util.Arrays;

/**
 * Median and spread of the repetitions of one measurement.
 *
 * @param median the median (mean of the two middle values for an even count)
 * @param min    smallest value
 * @param max    largest value
 * @param n      number of values
 */
public record Stats(double median, double min, double max, int n) {
    /** @return the summary of {@code values} (NaN entries ignored); all NaN when nothing is left */
    public static Stats of(double[] values) {
        double[] v = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) {
            return new Stats(Double.NaN, Double.NaN, Double.NaN, 0);
        }
        return new Stats(median(v), v[0], v[v.length - 1], v.length);
    }

    /** @return the median of {@code values}, NaN for none; the array is not modified */
    public static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    /** @return (max - min) / median, the relative spread; 0 for a single value */
    public double relativeSpread() {
        return n < 2 || median == 0 ? 0 : (max - min) / Math.abs(median);
    }
}
