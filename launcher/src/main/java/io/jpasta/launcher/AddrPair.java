package io.jpasta.launcher;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;

/**
 * At most one address per IP version, as the options {@code -a}, {@code -g}, {@code -o}, {@code --dns-forward},
 * {@code --map-host-loopback} and {@code --map-guest-addr} take them.
 *
 * @param v4 the IPv4 address, or null
 * @param v6 the IPv6 address, or null
 */
public record AddrPair(Inet4Address v4, Inet6Address v6) {
    /** Neither version given. */
    public static final AddrPair NONE = new AddrPair(null, null);

    /** @return the addresses given, IPv4 first */
    public List<InetAddress> list() {
        if (v4 == null) {
            return v6 == null ? List.of() : List.of(v6);
        }
        return v6 == null ? List.of(v4) : List.of(v4, v6);
    }

    /** @return the address of {@code a}'s IP version, or null */
    public InetAddress sameFamily(InetAddress a) {
        return a instanceof Inet4Address ? v4 : v6;
    }

    /** @return this pair with {@code a} as the address of its IP version */
    public AddrPair with(InetAddress a) {
        return a instanceof Inet4Address a4 ? new AddrPair(a4, v6) : new AddrPair(v4, (Inet6Address) a);
    }
}
