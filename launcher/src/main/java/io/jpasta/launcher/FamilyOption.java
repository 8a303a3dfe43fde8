package io.jpasta.launcher;

import java.net.InetAddress;

/**
 * The options that take at most one address per IP version, what each refuses, and what a second address of
 * the same version does: refused ({@code -a -g -o --dns-forward}), or it replaces the first, and {@code none}
 * clears both ({@code --map-host-loopback}, {@code --map-guest-addr}).
 */
enum FamilyOption {
    ADDRESS("Invalid guest address: ", Refused.ANY | Refused.LOOPBACK | Refused.MULTICAST, false),
    GATEWAY("Invalid gateway address: ", Refused.ANY | Refused.LOOPBACK, false),
    OUTBOUND("Invalid or redundant outbound address: ", Refused.ANY | Refused.MULTICAST, false),
    DNS_FORWARD("Invalid DNS forwarding address: ", Refused.ANY | Refused.LOOPBACK, false),
    MAP_HOST_LOOPBACK("Invalid address to remap to host: ",
            Refused.ANY | Refused.LOOPBACK | Refused.MULTICAST, true),
    // sic: upstream names the host for --map-guest-addr too
    MAP_GUEST_ADDR("Invalid address to remap to host: ",
            Refused.ANY | Refused.LOOPBACK | Refused.MULTICAST, true);

    final String message;
    final int refused;
    final boolean replaces;

    FamilyOption(String message, int refused, boolean replaces) {
        this.message = message;
        this.refused = refused;
        this.replaces = replaces;
    }

    /** Kinds of address an option refuses, OR-ed. */
    static final class Refused {
        static final int ANY = 1, LOOPBACK = 2, MULTICAST = 4;

        private Refused() {
        }
    }

    /** @return true if {@code a} is of a kind this option refuses */
    boolean refuses(InetAddress a) {
        return ((refused & Refused.ANY) != 0 && a.isAnyLocalAddress())
                || ((refused & Refused.LOOPBACK) != 0 && a.isLoopbackAddress())
                || ((refused & Refused.MULTICAST) != 0 && a.isMulticastAddress());
    }
}

