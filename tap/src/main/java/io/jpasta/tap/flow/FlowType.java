package io.jpasta.tap.flow;

/** Kinds of flow kept in the {@link FlowTable}, and the IP protocol each one is looked up under. */
public final class FlowType {
    /** Slot not in use. */
    public static final int FREE = 0;
    /** TCP between the tap and a host socket (the `tcp` module). */
    public static final int TCP = 1;
    /** TCP between two sockets moved with splice(2) (the `splice` module). */
    public static final int TCP_SPLICE = 2;
    /** ICMP echo between the tap and an IPv4 ping socket. */
    public static final int PING4 = 3;
    /** ICMPv6 echo between the tap and an IPv6 ping socket. */
    public static final int PING6 = 4;
    /** UDP between the tap or a namespace socket and a host socket (the `udp` module). */
    public static final int UDP = 5;
    /** Number of types, for arrays of per-type counters. */
    public static final int COUNT = 6;

    private static final String[] NAMES = {"free", "TCP", "TCP (spliced)", "ICMP", "ICMPv6", "UDP"};
    private static final byte[] PROTO = {0, 6, 6, 1, 58, 17};

    private FlowType() {
    }

    /** @return the IP protocol number flows of {@code type} are hashed and looked up with */
    public static int proto(int type) {
        return PROTO[type];
    }

    /** @return a short name for logs and statistics */
    public static String name(int type) {
        return NAMES[type];
    }
}
