package io.jpasta.udp;

/**
 * Counters of ICMP/ICMPv6 echo, for {@code --stats} and the control socket. Plain {@code long} fields written by
 * the loop thread; another thread reading them sees a possibly stale but harmless view.
 */
public final class IcmpStats {
    /** Truncated or impossible headers: an ICMP message shorter than its 8-byte echo header, bad IP lengths. */
    public static final int MALFORMED = 0;
    /** ICMP checksum of a request does not verify. */
    public static final int BAD_CHECKSUM = 1;
    /** Not an echo request (from the tap) or not an echo reply (from a socket): nothing we forward. */
    public static final int UNSUPPORTED = 2;
    /** {@code --no-icmp}. */
    public static final int DISABLED = 3;
    /** The flow table is full. */
    public static final int TABLE_FULL = 4;
    /** The kernel refuses ping sockets to our group ({@code net.ipv4.ping_group_range}). */
    public static final int NOT_PERMITTED = 5;
    /** Any other failure to open, bind or register a socket (out of descriptors, no such family). */
    public static final int SOCKET = 6;
    /** sendto(2) failed: unreachable, no route, buffer full. */
    public static final int SEND = 7;
    /** recv(2) failed with something else than EAGAIN. */
    public static final int RECV = 8;
    public static final int REASONS = 9;

    private static final String[] REASON_NAMES = {"malformed", "bad checksum", "unsupported", "disabled",
        "flow table full", "ping socket not permitted", "socket error", "send error", "receive error"};

    private final long[] drops = new long[REASONS];
    /** Echo requests sent to a socket, per family (0: IPv4, 1: IPv6). */
    final long[] requests = new long[2];
    /** Echo replies written to the tap, per family. */
    final long[] replies = new long[2];
    /** Flows opened, flows expired after being idle. */
    long flowsOpened, flowsExpired;
    /** Flows whose socket could not take the guest's echo identifier and got one from the kernel. */
    long idRemapped;

    void drop(int reason) {
        drops[reason]++;
    }

    /** @return drops for {@code reason} */
    public long drops(int reason) {
        return drops[reason];
    }

    /** @return all drops */
    public long dropsTotal() {
        long t = 0;
        for (long d : drops) {
            t += d;
        }
        return t;
    }

    /** @return echo requests forwarded to sockets, for IPv6 if {@code v6} */
    public long requests(boolean v6) {
        return requests[v6 ? 1 : 0];
    }

    /** @return echo replies written to the tap, for IPv6 if {@code v6} */
    public long replies(boolean v6) {
        return replies[v6 ? 1 : 0];
    }

    public long flowsOpened() {
        return flowsOpened;
    }

    public long flowsExpired() {
        return flowsExpired;
    }

    /** @return flows whose echo identifier toward the host differs from the guest's */
    public long idRemapped() {
        return idRemapped;
    }

    public static String reasonName(int reason) {
        return REASON_NAMES[reason];
    }

    /** @return one line: requests, replies, flows, then non-zero drops by reason */
    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append("icmp    requests ").append(requests[0]).append('/').append(requests[1])
                .append(" replies ").append(replies[0]).append('/').append(replies[1])
                .append(" flows ").append(flowsOpened).append(" expired ").append(flowsExpired);
        for (int r = 0; r < REASONS; r++) {
            if (drops[r] != 0) {
                sb.append(", drop ").append(REASON_NAMES[r]).append(' ').append(drops[r]);
            }
        }
        return sb.append('\n').toString();
    }
}
