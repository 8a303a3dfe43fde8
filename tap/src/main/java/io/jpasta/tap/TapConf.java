package io.jpasta.tap;

import io.jpasta.tap.wire.MacAddr;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.List;
import java.util.Objects;

/**
 * What the L2/L3 services ({@link L2Services}) need to answer the guest, built once by the launcher from options
 * and host state. Immutable.
 *
 * @param ourMac our MAC on the tap ({@code -M}, default {@link MacAddr#PASTA_DEFAULT}), as {@link MacAddr} long
 * @param guestMac the guest's MAC if known, else {@link MacAddr#NONE}: it is learned from frames anyway
 * @param addr4 address handed to the guest over DHCP ({@code -a}, default the host's), null for no IPv4
 * @param prefixLen4 its prefix length (0..32)
 * @param gateway4 IPv4 gateway ({@code -g}): DHCP router, server identifier and source of DHCP replies
 * @param addr6 address handed out by DHCPv6 and whose /64 is advertised for SLAAC, null for no IPv6
 * @param prefixLen6 its prefix length (0..128); router advertisements always advertise the /64
 * @param gateway6 IPv6 gateway as configured; informational (the guest routes via the RA source)
 * @param ourLinkLocal6 our link-local address on the tap: source of NA, RA and DHCPv6 replies
 * @param mtu MTU for DHCP option 26 and the NDP MTU option, 0 to send none
 * @param dns4 IPv4 resolvers for DHCP option 6, sent only if {@code dhcpDns}
 * @param dns6 IPv6 resolvers for RDNSS and DHCPv6 option 23, sent only if {@code dhcpDns}
 * @param search search domains for DHCP option 119, DNSSL and DHCPv6 option 24, sent only if {@code dhcpSearch}
 * @param dhcpDns {@code --dhcp-dns}: hand out resolvers
 * @param dhcpSearch {@code --dhcp-search}: hand out the search list
 * @param hostname {@code -H}, DHCP option 12, or null
 * @param fqdn {@code --fqdn}, DHCP option 81 and DHCPv6 option 39, or null
 * @param noDhcp {@code --no-dhcp}
 * @param noDhcpv6 {@code --no-dhcpv6}
 * @param noNdp {@code --no-ndp}; forced on by {@code noIcmp}
 * @param noRa {@code --no-ra}; the launcher sets it for {@code --config-net} as well
 * @param noIcmp {@code --no-icmp}
 */
public record TapConf(long ourMac, long guestMac,
                      Inet4Address addr4, int prefixLen4, Inet4Address gateway4,
                      Inet6Address addr6, int prefixLen6, Inet6Address gateway6, Inet6Address ourLinkLocal6,
                      int mtu, List<Inet4Address> dns4, List<Inet6Address> dns6, List<String> search,
                      boolean dhcpDns, boolean dhcpSearch, String hostname, String fqdn,
                      boolean noDhcp, boolean noDhcpv6, boolean noNdp, boolean noRa, boolean noIcmp) {

    /** Validates and applies the implication {@code --no-icmp} ⇒ {@code --no-ndp}. */
    public TapConf {
        if (ourMac == MacAddr.NONE || MacAddr.isGroup(ourMac) || (ourMac >>> 48) != 0) {
            throw new IllegalArgumentException("Invalid MAC address for the tap: " + MacAddr.toString(ourMac));
        }
        if (addr4 != null && (prefixLen4 < 0 || prefixLen4 > 32 || gateway4 == null)) {
            throw new IllegalArgumentException("IPv4 needs a prefix length in 0..32 and a gateway");
        }
        if (addr6 != null && (prefixLen6 < 0 || prefixLen6 > 128 || ourLinkLocal6 == null)) {
            throw new IllegalArgumentException("IPv6 needs a prefix length in 0..128 and our link-local address");
        }
        if (mtu < 0 || mtu > 65535) {
            throw new IllegalArgumentException("Invalid MTU: " + mtu);
        }
        dns4 = List.copyOf(Objects.requireNonNullElse(dns4, List.of()));
        dns6 = List.copyOf(Objects.requireNonNullElse(dns6, List.of()));
        search = List.copyOf(Objects.requireNonNullElse(search, List.of()));
        if (noIcmp) {
            noNdp = true;
        }
    }
}
