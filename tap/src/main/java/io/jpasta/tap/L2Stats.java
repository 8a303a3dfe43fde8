package io.jpasta.tap;

/**
 * Counters of the L2/L3 services, for {@code --stats} and the control socket: frames seen, replies sent, frames
 * deliberately ignored, and drops by reason. Plain {@code long} fields on the loop thread; reading them from
 * another thread gives a possibly stale but harmless view.
 */
public final class L2Stats {
    /** Frames that failed the Ethernet/IP checks before any service saw them. */
    public static final int FRAME = 0;
    public static final int ARP = 1, NDP = 2, DHCP = 3, DHCPV6 = 4;
    public static final int SERVICES = 5;

    /** Truncated, impossible lengths, bad field values. */
    public static final int MALFORMED = 0;
    /** Checksum does not verify. */
    public static final int BAD_CHECKSUM = 1;
    /** IPv4 or IPv6 fragment: not reassembled. */
    public static final int FRAGMENT = 2;
    /** The service is disabled by an option. */
    public static final int DISABLED = 3;
    /** Unknown EtherType, message type, or a request we do not serve. */
    public static final int UNSUPPORTED = 4;
    /** No address of that family to hand out. */
    public static final int NO_ADDRESS = 5;
    public static final int REASONS = 6;

    private static final String[] SERVICE_NAMES = {"frame", "arp", "ndp", "dhcp", "dhcpv6"};
    private static final String[] REASON_NAMES = {"malformed", "bad checksum", "fragment", "disabled",
        "unsupported", "no address"};

    private final long[] received = new long[SERVICES];
    private final long[] replied = new long[SERVICES];
    private final long[] ignored = new long[SERVICES];
    private final long[] drops = new long[SERVICES * REASONS];

    void received(int service) {
        received[service]++;
    }

    void replied(int service) {
        replied[service]++;
    }

    void ignored(int service) {
        ignored[service]++;
    }

    void drop(int service, int reason) {
        drops[service * REASONS + reason]++;
    }

    /** @return frames handed to {@code service} */
    public long receivedBy(int service) {
        return received[service];
    }

    /** @return replies {@code service} sent */
    public long repliedBy(int service) {
        return replied[service];
    }

    /** @return well-formed frames {@code service} chose not to answer (announcements, DAD, other servers) */
    public long ignoredBy(int service) {
        return ignored[service];
    }

    /** @return drops of {@code service} for {@code reason} */
    public long drops(int service, int reason) {
        return drops[service * REASONS + reason];
    }

    /** @return all drops of all services */
    public long dropsTotal() {
        long t = 0;
        for (long d : drops) {
            t += d;
        }
        return t;
    }

    public static String serviceName(int service) {
        return SERVICE_NAMES[service];
    }

    public static String reasonName(int reason) {
        return REASON_NAMES[reason];
    }

    /** @return one line per service: received, replied, ignored, then non-zero drops by reason */
    public String format() {
        StringBuilder sb = new StringBuilder();
        for (int s = 0; s < SERVICES; s++) {
            sb.append(String.format("%-7s rx %d tx %d ignored %d", SERVICE_NAMES[s], received[s], replied[s],
                    ignored[s]));
            for (int r = 0; r < REASONS; r++) {
                long d = drops[s * REASONS + r];
                if (d != 0) {
                    sb.append(", drop ").append(REASON_NAMES[r]).append(' ').append(d);
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
