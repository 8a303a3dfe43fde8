package io.jpasta.netns.log;

/**
 * The counters of one module (or one service of a module), in the one shape every module uses: named event counts
 * and drops by reason, printed by {@code --stats} as one line,
 * {@code "tcp     segs-from-tap 12 segs-to-tap 10, drop no flow 1"} (zero drops left out).
 *
 * <p>Indices are the constants the owner defines next to its names, in the same order. Plain {@code long}s
 * written by the loop thread, without allocation; another thread reading them sees a possibly stale value.
 */
public final class Counters {
    private final String name;
    private final String[] countNames;
    private final String[] reasonNames;
    private final long[] counts;
    private final long[] drops;

    /**
     * @param name the line's first word ({@code "tcp"}, {@code "arp"})
     * @param countNames the events counted, index by index
     * @param reasonNames the reasons for a drop, index by index
     */
    public Counters(String name, String[] countNames, String[] reasonNames) {
        this.name = name;
        this.countNames = countNames.clone();
        this.reasonNames = reasonNames.clone();
        this.counts = new long[countNames.length];
        this.drops = new long[reasonNames.length];
    }

    /** Counts one event {@code i}. */
    public void count(int i) {
        counts[i]++;
    }

    /** Counts {@code n} of event {@code i} (bytes, for instance). */
    public void add(int i, long n) {
        counts[i] += n;
    }

    /** Counts one drop for {@code reason}. */
    public void drop(int reason) {
        drops[reason]++;
    }

    /** @return the count of event {@code i} */
    public long get(int i) {
        return counts[i];
    }

    /** @return drops for {@code reason} */
    public long drops(int reason) {
        return drops[reason];
    }

    /** @return all drops, whatever the reason */
    public long dropsTotal() {
        long t = 0;
        for (long d : drops) {
            t += d;
        }
        return t;
    }

    /** @return the line's first word */
    public String name() {
        return name;
    }

    /** @return the name of drop reason {@code reason} */
    public String reasonName(int reason) {
        return reasonNames[reason];
    }

    /** @return how many events are counted */
    public int counts() {
        return countNames.length;
    }

    /** @return how many drop reasons are counted */
    public int reasons() {
        return reasonNames.length;
    }

    /** @return the name of event {@code i} */
    public String countName(int i) {
        return countNames[i];
    }

    /** @return the {@code --stats} line, without a line end */
    public String format() {
        StringBuilder sb = new StringBuilder(name);
        while (sb.length() < 7) {
            sb.append(' ');
        }
        for (int i = 0; i < counts.length; i++) {
            sb.append(' ').append(countNames[i]).append(' ').append(counts[i]);
        }
        for (int r = 0; r < drops.length; r++) {
            if (drops[r] != 0) {
                sb.append(", drop ").append(reasonNames[r]).append(' ').append(drops[r]);
            }
        }
        return sb.toString();
    }
}
