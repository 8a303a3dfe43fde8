package io.jpasta.tap;

import io.jpasta.netns.log.Counters;

/**
 * Counters of the L2/L3 services, for {@code --stats} and the control socket: one {@link Counters} line per
 * service with frames received, replies sent, frames deliberately ignored, and drops by reason. Frames that fail
 * the Ethernet/IP checks never reach a service: the {@link Classifier} counts those.
 */
public final class L2Stats {
    public static final int ARP = 0, NDP = 1, DHCP = 2, DHCPV6 = 3;
    public static final int SERVICES = 4;

    /** Truncated, impossible lengths, bad field values. */
    public static final int MALFORMED = 0;
    /** Checksum does not verify. */
    public static final int BAD_CHECKSUM = 1;
    /** The service is disabled by an option. */
    public static final int DISABLED = 2;
    /** Unknown message type, or a request we do not serve. */
    public static final int UNSUPPORTED = 3;
    /** No address of that family to hand out. */
    public static final int NO_ADDRESS = 4;

    /** Event counters of each service. */
    static final int RX = 0, TX = 1, IGNORED = 2;

    private static final String[] SERVICE_NAMES = {"arp", "ndp", "dhcp", "dhcpv6"};
    private static final String[] COUNT_NAMES = {"rx", "tx", "ignored"};
    private static final String[] REASON_NAMES = {"malformed", "bad checksum", "disabled", "unsupported",
        "no address"};

    private final Counters[] services = new Counters[SERVICES];

    L2Stats() {
        for (int s = 0; s < SERVICES; s++) {
            services[s] = new Counters(SERVICE_NAMES[s], COUNT_NAMES, REASON_NAMES);
        }
    }

    void received(int service) {
        services[service].count(RX);
    }

    void replied(int service) {
        services[service].count(TX);
    }

    void ignored(int service) {
        services[service].count(IGNORED);
    }

    void drop(int service, int reason) {
        services[service].drop(reason);
    }

    /** @return frames handed to {@code service} */
    public long receivedBy(int service) {
        return services[service].get(RX);
    }

    /** @return replies {@code service} sent */
    public long repliedBy(int service) {
        return services[service].get(TX);
    }

    /** @return well-formed frames {@code service} chose not to answer (announcements, DAD, other servers) */
    public long ignoredBy(int service) {
        return services[service].get(IGNORED);
    }

    /** @return drops of {@code service} for {@code reason} */
    public long drops(int service, int reason) {
        return services[service].drops(reason);
    }

    /** @return all drops of all services */
    public long dropsTotal() {
        long t = 0;
        for (Counters c : services) {
            t += c.dropsTotal();
        }
        return t;
    }

    /** @return the counters of {@code service}, one {@code --stats} line */
    public Counters of(int service) {
        return services[service];
    }
}
