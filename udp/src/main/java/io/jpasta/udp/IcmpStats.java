package io.jpasta.udp;

import io.jpasta.netns.log.Counters;

/** Counters of ICMP/ICMPv6 echo ({@code --stats} line "icmp"): requests, replies and flows, drops by reason. */
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

    static final int REQUESTS4 = 0, REQUESTS6 = 1, REPLIES4 = 2, REPLIES6 = 3, FLOWS = 4, EXPIRED = 5,
            ID_REMAPPED = 6;
    private static final String[] COUNT_NAMES = {"requests", "requests6", "replies", "replies6", "flows", "expired",
        "id-remapped"};
    private static final String[] REASON_NAMES = {"malformed", "bad checksum", "unsupported", "disabled",
        "flow table full", "ping socket not permitted", "socket error", "send error", "receive error"};

    final Counters counters = new Counters("icmp", COUNT_NAMES, REASON_NAMES);

    void drop(int reason) {
        counters.drop(reason);
    }

    /** @return drops for {@code reason} */
    public long drops(int reason) {
        return counters.drops(reason);
    }

    /** @return all drops */
    public long dropsTotal() {
        return counters.dropsTotal();
    }

    /** @return echo requests forwarded to sockets, for IPv6 if {@code v6} */
    public long requests(boolean v6) {
        return counters.get(v6 ? REQUESTS6 : REQUESTS4);
    }

    /** @return echo replies written to the tap, for IPv6 if {@code v6} */
    public long replies(boolean v6) {
        return counters.get(v6 ? REPLIES6 : REPLIES4);
    }

    public long flowsOpened() {
        return counters.get(FLOWS);
    }

    public long flowsExpired() {
        return counters.get(EXPIRED);
    }

    /** @return flows whose echo identifier toward the host differs from the guest's */
    public long idRemapped() {
        return counters.get(ID_REMAPPED);
    }

    /** @return the {@code --stats} line */
    public Counters counters() {
        return counters;
    }
}
