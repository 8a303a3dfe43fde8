package io.jpasta.launcher;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * The options that take at most one address per IP version and what each refuses. A second address of the same
 * version replaces the first (pasta 2026 keeps the last); {@code none} clears both for {@code --map-host-loopback}
 * and {@code --map-guest-addr}.
 */
enum FamilyOption {
    ADDRESS("Invalid guest address: ", Refused.ANY | Refused.LOOPBACK | Refused.MULTICAST | Refused.BROADCAST, false),
    GATEWAY("Invalid gateway address: ", Refused.ANY | Refused.LOOPBACK, false),
    OUTBOUND("Invalid or redundant outbound address: ", Refused.ANY | Refused.MULTICAST, false),
    DNS_FORWARD("Invalid DNS forwarding address: ", Refused.ANY | Refused.LOOPBACK, false),
    MAP_HOST_LOOPBACK("Invalid address to remap to host: ",
            Refused.ANY | Refused.LOOPBACK | Refused.MULTICAST, true),
    // sic: upstream names the host for --map-guest-addr too
    MAP_GUEST_ADDR("Invalid address to remap to host: ",
            Refused.ANY | Refused.LOOPBACK | Refused.MULTICAST, true);

    private static final byte[] LIMITED_BROADCAST = {-1, -1, -1, -1};

    final String message;
    final int refused;
    final boolean takesNone;

    FamilyOption(String message, int refused, boolean takesNone) {
        this.message = message;
        this.refused = refused;
        this.takesNone = takesNone;
    }

    /** Kinds of address an option refuses, OR-ed. */
    static final class Refused {
        static final int ANY = 1, LOOPBACK = 2, MULTICAST = 4, BROADCAST = 8;

        private Refused() {
        }
    }

    /** @return true if {@code a} is of a kind this option refuses */
    boolean refuses(InetAddress a) {
        return ((refused & Refused.ANY) != 0 && a.isAnyLocalAddress())
                || ((refused & Refused.LOOPBACK) != 0 && a.isLoopbackAddress())
                || ((refused & Refused.MULTICAST) != 0 && a.isMulticastAddress())
                || ((refused & Refused.BROADCAST) != 0 && a instanceof java.net.Inet4Address
                        && Arrays.equals(a.getAddress(), LIMITED_BROADCAST));
    }
}

