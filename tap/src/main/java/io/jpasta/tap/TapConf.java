package io.jpasta.tap;

import io.jpasta.tap.wire.MacAddr;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.List;
import java.util.Objects;

/**
 * What the L2/L3 services ({@link L2Services}) and the protocol engines need to answer the guest, built once by the
 * launcher from options and host state with {@link #builder()}, one named setter per value. Immutable.
 */
public final class TapConf {
    private final long ourMac;
    private final long guestMac;
    private final Inet4Address addr4;
    private final int prefixLen4;
    private final Inet4Address gateway4;
    private final Inet6Address addr6;
    private final int prefixLen6;
    private final Inet6Address gateway6;
    private final Inet6Address ourLinkLocal6;
    private final int mtu;
    private final List<Inet4Address> dns4;
    private final List<Inet6Address> dns6;
    private final List<String> search;
    private final boolean dhcpDns;
    private final boolean dhcpSearch;
    private final String hostname;
    private final String fqdn;
    private final boolean noDhcp;
    private final boolean noDhcpv6;
    private final boolean noNdp;
    private final boolean noRa;
    private final boolean noIcmp;

    /** Validates and applies the implication {@code --no-icmp} ⇒ {@code --no-ndp}. */
    private TapConf(Builder b) {
        // a group address is accepted, as pasta accepts it for -M (frames from it are the guest's problem)
        if (b.ourMac == MacAddr.NONE || (b.ourMac >>> 48) != 0) {
            throw new IllegalArgumentException("Invalid MAC address for the tap: " + MacAddr.toString(b.ourMac));
        }
        if (b.addr4 != null && (b.prefixLen4 < 0 || b.prefixLen4 > 32 || b.gateway4 == null)) {
            throw new IllegalArgumentException("IPv4 needs a prefix length in 0..32 and a gateway");
        }
        if (b.addr6 != null && (b.prefixLen6 < 0 || b.prefixLen6 > 128 || b.ourLinkLocal6 == null)) {
            throw new IllegalArgumentException("IPv6 needs a prefix length in 0..128 and our link-local address");
        }
        if (b.mtu < 0 || b.mtu > 65535) {
            throw new IllegalArgumentException("Invalid MTU: " + b.mtu);
        }
        ourMac = b.ourMac;
        guestMac = b.guestMac;
        addr4 = b.addr4;
        prefixLen4 = b.prefixLen4;
        gateway4 = b.gateway4;
        addr6 = b.addr6;
        prefixLen6 = b.prefixLen6;
        gateway6 = b.gateway6;
        ourLinkLocal6 = b.ourLinkLocal6;
        mtu = b.mtu;
        dns4 = List.copyOf(Objects.requireNonNullElse(b.dns4, List.of()));
        dns6 = List.copyOf(Objects.requireNonNullElse(b.dns6, List.of()));
        search = List.copyOf(Objects.requireNonNullElse(b.search, List.of()));
        dhcpDns = b.dhcpDns;
        dhcpSearch = b.dhcpSearch;
        hostname = b.hostname;
        fqdn = b.fqdn;
        noDhcp = b.noDhcp;
        noDhcpv6 = b.noDhcpv6;
        noNdp = b.noNdp || b.noIcmp;
        noRa = b.noRa;
        noIcmp = b.noIcmp;
    }

    /**
     * @return a builder with our MAC {@link MacAddr#PASTA_DEFAULT}, the guest's unknown, no addresses, MTU 0 (none
     *         announced), no resolvers, every service on
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return our MAC on the tap ({@code -M}, default {@link MacAddr#PASTA_DEFAULT}), as {@link MacAddr} long */
    public long ourMac() {
        return ourMac;
    }

    /** @return the guest's MAC if known, else {@link MacAddr#NONE}: it is learned from frames anyway */
    public long guestMac() {
        return guestMac;
    }

    /** @return the address handed to the guest over DHCP ({@code -a}, default the host's), null for no IPv4 */
    public Inet4Address addr4() {
        return addr4;
    }

    /** @return the prefix length of {@link #addr4()} (0..32) */
    public int prefixLen4() {
        return prefixLen4;
    }

    /** @return the IPv4 gateway ({@code -g}): DHCP router, server identifier and source of DHCP replies */
    public Inet4Address gateway4() {
        return gateway4;
    }

    /** @return the address handed out by DHCPv6 and whose /64 is advertised for SLAAC, null for no IPv6 */
    public Inet6Address addr6() {
        return addr6;
    }

    /** @return the prefix length of {@link #addr6()} (0..128); router advertisements always advertise the /64 */
    public int prefixLen6() {
        return prefixLen6;
    }

    /** @return the IPv6 gateway as configured; informational (the guest routes via the RA source) */
    public Inet6Address gateway6() {
        return gateway6;
    }

    /** @return our link-local address on the tap: source of NA, RA and DHCPv6 replies */
    public Inet6Address ourLinkLocal6() {
        return ourLinkLocal6;
    }

    /** @return the MTU for DHCP option 26 and the NDP MTU option, 0 to send none */
    public int mtu() {
        return mtu;
    }

    /** @return IPv4 resolvers for DHCP option 6, sent only if {@link #dhcpDns()} */
    public List<Inet4Address> dns4() {
        return dns4;
    }

    /** @return IPv6 resolvers for RDNSS and DHCPv6 option 23, sent only if {@link #dhcpDns()} */
    public List<Inet6Address> dns6() {
        return dns6;
    }

    /** @return search domains for DHCP option 119, DNSSL and DHCPv6 option 24, sent only if {@link #dhcpSearch()} */
    public List<String> search() {
        return search;
    }

    /** @return {@code --dhcp-dns}: hand out resolvers */
    public boolean dhcpDns() {
        return dhcpDns;
    }

    /** @return {@code --dhcp-search}: hand out the search list */
    public boolean dhcpSearch() {
        return dhcpSearch;
    }

    /** @return {@code -H}, DHCP option 12, or null */
    public String hostname() {
        return hostname;
    }

    /** @return {@code --fqdn}, DHCP option 81 and DHCPv6 option 39, or null */
    public String fqdn() {
        return fqdn;
    }

    /** @return {@code --no-dhcp} */
    public boolean noDhcp() {
        return noDhcp;
    }

    /** @return {@code --no-dhcpv6} */
    public boolean noDhcpv6() {
        return noDhcpv6;
    }

    /** @return {@code --no-ndp}; forced on by {@link #noIcmp()} */
    public boolean noNdp() {
        return noNdp;
    }

    /** @return {@code --no-ra}; the launcher sets it for {@code --config-net} as well */
    public boolean noRa() {
        return noRa;
    }

    /** @return {@code --no-icmp} */
    public boolean noIcmp() {
        return noIcmp;
    }

    /** Collects a {@link TapConf} value by value; {@link #build()} checks them together. */
    public static final class Builder {
        private long ourMac = MacAddr.PASTA_DEFAULT;
        private long guestMac = MacAddr.NONE;
        private Inet4Address addr4;
        private int prefixLen4;
        private Inet4Address gateway4;
        private Inet6Address addr6;
        private int prefixLen6;
        private Inet6Address gateway6;
        private Inet6Address ourLinkLocal6;
        private int mtu;
        private List<Inet4Address> dns4;
        private List<Inet6Address> dns6;
        private List<String> search;
        private boolean dhcpDns;
        private boolean dhcpSearch;
        private String hostname;
        private String fqdn;
        private boolean noDhcp;
        private boolean noDhcpv6;
        private boolean noNdp;
        private boolean noRa;
        private boolean noIcmp;

        private Builder() {
        }

        /** Our MAC on the tap, as a {@link MacAddr} long: unicast, not {@link MacAddr#NONE}. */
        public Builder ourMac(long mac) {
            ourMac = mac;
            return this;
        }

        /** The guest's MAC if known beforehand. */
        public Builder guestMac(long mac) {
            guestMac = mac;
            return this;
        }

        /** The guest's IPv4 address and its prefix length (0..32); null for no IPv4. Needs {@link #gateway4}. */
        public Builder addr4(Inet4Address addr, int prefixLen) {
            addr4 = addr;
            prefixLen4 = prefixLen;
            return this;
        }

        /** The IPv4 gateway. */
        public Builder gateway4(Inet4Address gateway) {
            gateway4 = gateway;
            return this;
        }

        /** The guest's IPv6 address and its prefix length (0..128); null for no IPv6. Needs {@link #ourLinkLocal6}. */
        public Builder addr6(Inet6Address addr, int prefixLen) {
            addr6 = addr;
            prefixLen6 = prefixLen;
            return this;
        }

        /** The IPv6 gateway, informational. */
        public Builder gateway6(Inet6Address gateway) {
            gateway6 = gateway;
            return this;
        }

        /** Our link-local address on the tap. */
        public Builder ourLinkLocal6(Inet6Address addr) {
            ourLinkLocal6 = addr;
            return this;
        }

        /** MTU to announce, 0 for none. */
        public Builder mtu(int value) {
            mtu = value;
            return this;
        }

        /** IPv4 resolvers (null: none). */
        public Builder dns4(List<Inet4Address> resolvers) {
            dns4 = resolvers;
            return this;
        }

        /** IPv6 resolvers (null: none). */
        public Builder dns6(List<Inet6Address> resolvers) {
            dns6 = resolvers;
            return this;
        }

        /** Search domains (null: none). */
        public Builder search(List<String> domains) {
            search = domains;
            return this;
        }

        /** {@code --dhcp-dns}. */
        public Builder dhcpDns(boolean on) {
            dhcpDns = on;
            return this;
        }

        /** {@code --dhcp-search}. */
        public Builder dhcpSearch(boolean on) {
            dhcpSearch = on;
            return this;
        }

        /** {@code -H}, or null. */
        public Builder hostname(String name) {
            hostname = name;
            return this;
        }

        /** {@code --fqdn}, or null. */
        public Builder fqdn(String name) {
            fqdn = name;
            return this;
        }

        /** {@code --no-dhcp}. */
        public Builder noDhcp(boolean off) {
            noDhcp = off;
            return this;
        }

        /** {@code --no-dhcpv6}. */
        public Builder noDhcpv6(boolean off) {
            noDhcpv6 = off;
            return this;
        }

        /** {@code --no-ndp}. */
        public Builder noNdp(boolean off) {
            noNdp = off;
            return this;
        }

        /** {@code --no-ra}. */
        public Builder noRa(boolean off) {
            noRa = off;
            return this;
        }

        /** {@code --no-icmp}; implies {@code --no-ndp}. */
        public Builder noIcmp(boolean off) {
            noIcmp = off;
            return this;
        }

        /**
         * @return the configuration
         * @throws IllegalArgumentException for a group or null MAC, an address without its gateway (IPv4) or our
         *                                  link-local address (IPv6), a prefix length or an MTU out of range
         */
        public TapConf build() {
            return new TapConf(this);
        }
    }
}
