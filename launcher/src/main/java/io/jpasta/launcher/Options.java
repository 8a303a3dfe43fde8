package io.jpasta.launcher;

import io.jpasta.tap.fwd.PortRules;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * pasta's command line, parsed and checked: every option of pasta's man page plus the newer ones clients pass.
 * Immutable. {@link #parse} ({@link OptionParser}) does everything a command line can be judged on without looking
 * at the host (syntax, ranges, duplicates and conflicts, with pasta's messages); {@code Conf} then adds host state
 * (interfaces, routes, resolv.conf, user names).
 */
public final class Options {
    /** Default log file size limit: 1 MiB. */
    public static final long LOG_SIZE_DEFAULT = 1L << 20;
    /** Directory where {@code ip netns} keeps named network namespaces. */
    public static final String NETNS_RUN_DIR = OptionParser.NETNS_RUN_DIR;

    /** Options that only turn something on or off. */
    public enum Switch {
        FOREGROUND, STDERR, NO_TCP, NO_UDP, NO_ICMP, NO_DHCP, NO_DHCPV6, NO_NDP, NO_RA, NO_SPLICE, SPLICE_ONLY,
        FREEBIND, NO_MAP_GW, HOST_LO_TO_NS_LO, IPV4_ONLY, IPV6_ONLY, NETNS_ONLY, NO_NETNS_QUIT, CONFIG_NET,
        NO_COPY_ROUTES, NO_COPY_ADDRS, DHCP_DNS, DHCP_SEARCH, NO_FOLLOW_HOST
    }

    private final boolean debug;
    private final boolean trace;
    private final boolean quiet;
    private final Set<Switch> switches;
    private final String logFile;
    private final long logSize;
    private final String runas;
    private final String socket;
    private final int fd;
    private final String nsIfname;
    private final String pcapFile;
    private final String pidFile;
    private final int mtu;
    private final int netmask;
    private final byte[] macAddr;
    private final byte[] nsMacAddr;
    private final String iface;
    private final String outboundIf4;
    private final String outboundIf6;
    private final AddrPair address;
    private final AddrPair gateway;
    private final AddrPair outbound;
    private final AddrPair dnsForward;
    private final AddrPair mapHostLoopback;
    private final AddrPair mapGuestAddr;
    private final boolean noMapGw;
    private final boolean mapGuestAddrNone;
    private final List<InetAddress> dns;
    private final boolean dnsNone;
    private final List<String> search;
    private final boolean searchNone;
    private final InetAddress dnsHost;
    private final String hostname;
    private final String fqdn;
    private final PortRules tcpPorts;
    private final PortRules udpPorts;
    private final PortRules tcpNs;
    private final PortRules udpNs;
    private final String userns;
    private final String netns;
    private final int stats;
    private final int pid;
    private final List<String> command;
    private final String confPath;
    private final String apiPath;
    private final boolean noConfine;
    private final List<String> portSpecs;

    /** Takes what {@link OptionParser} collected. */
    Options(OptionParser.State s) {
        debug = s.debug;
        trace = s.trace;
        quiet = s.quiet;
        switches = s.switches.isEmpty() ? Set.of() : EnumSet.copyOf(s.switches);
        logFile = s.logFile;
        logSize = s.logSize < 0 ? LOG_SIZE_DEFAULT : s.logSize;
        runas = s.runas;
        socket = s.socketPath;
        fd = s.fd;
        nsIfname = s.nsIfname;
        pcapFile = s.pcapFile;
        pidFile = s.pidFile;
        mtu = s.mtu;
        netmask = s.netmask;
        macAddr = s.macAddr;
        nsMacAddr = s.nsMacAddr;
        iface = s.iface;
        outboundIf4 = s.outboundIf4;
        outboundIf6 = s.outboundIf6;
        address = s.pair(FamilyOption.ADDRESS);
        gateway = s.pair(FamilyOption.GATEWAY);
        outbound = s.pair(FamilyOption.OUTBOUND);
        dnsForward = s.pair(FamilyOption.DNS_FORWARD);
        mapHostLoopback = s.pair(FamilyOption.MAP_HOST_LOOPBACK);
        mapGuestAddr = s.pair(FamilyOption.MAP_GUEST_ADDR);
        noMapGw = s.on(Switch.NO_MAP_GW) || s.mapHostNone;
        mapGuestAddrNone = s.mapGuestNone;
        dns = List.copyOf(s.dns);
        dnsNone = s.dnsNone;
        search = List.copyOf(s.search);
        searchNone = s.searchNone;
        dnsHost = s.dnsHost;
        hostname = s.hostname;
        fqdn = s.fqdn;
        tcpPorts = s.rules[0];
        udpPorts = s.rules[1];
        tcpNs = s.rules[2];
        udpNs = s.rules[3];
        userns = s.userns;
        netns = s.netns;
        stats = s.stats;
        pid = s.pid;
        command = List.copyOf(s.command);
        confPath = s.confPath;
        apiPath = s.apiPath;
        noConfine = s.noConfine;
        portSpecs = List.copyOf(s.portSpecs);
    }

    /**
     * Parses pasta's command line; getopt's messages and the usage name the program as the starter says the
     * caller wrote it (system property {@code jpasta.argv0}), else "pasta".
     *
     * @param argv arguments without the program name
     * @return the options, if the command line asks pasta to run
     * @throws ExitRequest for {@code --help} and {@code --version} (status 0, stdout), and for every error
     *                     (status 1, stderr: glibc's line then the usage for getopt errors, pasta's message else)
     */
    public static Options parse(String[] argv) throws ExitRequest {
        return OptionParser.parse(System.getProperty("jpasta.argv0", OptionParser.PROG), argv);
    }

    // ---- logging and process -----------------------------------------------------------------------------------

    /** @return {@code -d/--debug} (also set by {@code --trace}): log debugging messages */
    public boolean debug() {
        return debug;
    }

    /** @return {@code --trace}: log every packet; implies {@link #debug()} */
    public boolean trace() {
        return trace;
    }

    /** @return {@code -q/--quiet}: no informational messages */
    public boolean quiet() {
        return quiet;
    }

    /** @return {@code -f/--foreground}: do not daemonize */
    public boolean foreground() {
        return switches.contains(Switch.FOREGROUND);
    }

    /** @return {@code -e/--stderr}: accepted for compatibility; jpasta logs to stderr until daemonized anyway */
    public boolean stderr() {
        return switches.contains(Switch.STDERR);
    }

    /** @return {@code -l/--log-file PATH}, or null */
    public String logFile() {
        return logFile;
    }

    /** @return {@code --log-size BYTES} (at least 40960), or {@link #LOG_SIZE_DEFAULT} when not given */
    public long logSize() {
        return logSize;
    }

    /** @return {@code --runas UID|UID:GID|LOGIN|LOGIN:GROUP} as given (names are resolved by Conf), or null */
    public String runas() {
        return runas;
    }

    /** @return {@code --stats DELAY} in seconds, or -1 */
    public int stats() {
        return stats;
    }

    // ---- the tap and its files ---------------------------------------------------------------------------------

    /** @return {@code --socket PATH} (passt only, accepted and ignored like Debian's pasta), or null */
    public String socket() {
        return socket;
    }

    /** @return {@code -F/--fd FD}: a connected socket to use instead of a tap, or -1 */
    public int fd() {
        return fd;
    }

    /** @return {@code -I/--ns-ifname NAME}: tap name in the namespace (at most 15 bytes), or null for default */
    public String nsIfname() {
        return nsIfname;
    }

    /** @return {@code -c/--conf-path PATH}: pesto's control socket, or null */
    public String confPath() {
        return confPath;
    }

    /** @return {@code --no-confine} (ours): neither the JVM nor nsd confines itself once ready, for debugging */
    public boolean noConfine() {
        return noConfine;
    }

    /** @return {@code --api PATH} (ours): the JSON control API's socket, or null */
    public String apiPath() {
        return apiPath;
    }

    /** @return the port options in command line order: option letter ({@code t u T U}), then its specification */
    public List<String> portSpecs() {
        return portSpecs;
    }

    /** @return {@code -p/--pcap FILE}, or null */
    public String pcapFile() {
        return pcapFile;
    }

    /** @return {@code -P/--pid FILE}, or null */
    public String pidFile() {
        return pidFile;
    }

    /** @return {@code -m/--mtu}: 0 (no MTU announced) or 68-65521; empty when not given */
    public OptionalInt mtu() {
        return mtu < 0 ? OptionalInt.empty() : OptionalInt.of(mtu);
    }

    /** @return {@code -M/--mac-addr}: a copy of the 6 bytes, or null */
    public byte[] macAddr() {
        return macAddr == null ? null : macAddr.clone();
    }

    /** @return {@code --ns-mac-addr}: a copy of the 6 bytes for the namespace's tap, or null */
    public byte[] nsMacAddr() {
        return nsMacAddr == null ? null : nsMacAddr.clone();
    }

    /** @return {@code -H/--hostname NAME} for the namespace, or null */
    public String hostname() {
        return hostname;
    }

    /** @return {@code --fqdn NAME} to send via DHCP, or null */
    public String fqdn() {
        return fqdn;
    }

    // ---- addresses -----------------------------------------------------------------------------------------------

    /** @return {@code -a/--address}: at most one IPv4 then at most one IPv6 address; empty for host defaults */
    public List<InetAddress> addresses() {
        return address.list();
    }

    /** @return the IPv4 address of {@code -a}, or null */
    public Inet4Address address4() {
        return address.v4();
    }

    /** @return the IPv6 address of {@code -a}, or null */
    public Inet6Address address6() {
        return address.v6();
    }

    /** @return {@code -n/--netmask} as an IPv4 prefix length 0-32 (the last given), or -1 when not given */
    public int netmask() {
        return netmask;
    }

    /** @return {@code -g/--gateway}: at most one IPv4 then at most one IPv6 gateway */
    public List<InetAddress> gateways() {
        return gateway.list();
    }

    /** @return the IPv4 gateway of {@code -g}, or null */
    public Inet4Address gateway4() {
        return gateway.v4();
    }

    /** @return the IPv6 gateway of {@code -g}, or null */
    public Inet6Address gateway6() {
        return gateway.v6();
    }

    /** @return {@code -i/--interface NAME} (existence is checked by Conf), or null */
    public String iface() {
        return iface;
    }

    /** @return {@code -o/--outbound}: at most one IPv4 then one IPv6 source address for outbound sockets */
    public List<InetAddress> outbound() {
        return outbound.list();
    }

    /** @return {@code --outbound-if4 NAME}, or null */
    public String outboundIf4() {
        return outboundIf4;
    }

    /** @return {@code --outbound-if6 NAME}, or null */
    public String outboundIf6() {
        return outboundIf6;
    }

    // ---- DNS -----------------------------------------------------------------------------------------------------

    /** @return {@code -D/--dns} addresses in order (at most 4 per IP version); empty if none given */
    public List<InetAddress> dns() {
        return dns;
    }

    /** @return true for {@code -D none}: use no DNS information at all */
    public boolean dnsNone() {
        return dnsNone;
    }

    /** @return {@code -S/--search} domains in order (space separated words of every -S); empty if none */
    public List<String> search() {
        return search;
    }

    /** @return true for {@code -S none}: no DNS search list */
    public boolean searchNone() {
        return searchNone;
    }

    /** @return {@code --dhcp-dns}: pass resolvers via DHCP, DHCPv6 and NDP (off by default in pasta) */
    public boolean dhcpDns() {
        return switches.contains(Switch.DHCP_DNS);
    }

    /** @return {@code --dhcp-search}: pass the search list via DHCP, DHCPv6 and NDP (off by default in pasta) */
    public boolean dhcpSearch() {
        return switches.contains(Switch.DHCP_SEARCH);
    }

    /** @return {@code --dns-forward}: at most one IPv4 then one IPv6 address mapped to the first resolver */
    public List<InetAddress> dnsForward() {
        return dnsForward.list();
    }

    /** @return {@code --dns-host ADDR}: host side resolver for forwarded queries, or null */
    public InetAddress dnsHost() {
        return dnsHost;
    }

    // ---- address mapping -----------------------------------------------------------------------------------------

    /** @return {@code --map-host-loopback ADDR}: up to one address per IP version (empty: default or none) */
    public List<InetAddress> mapHostLoopback() {
        return mapHostLoopback.list();
    }

    /** @return true if host loopback mapping is off: {@code --map-host-loopback none} or {@code --no-map-gw} */
    public boolean noMapGw() {
        return noMapGw;
    }

    /** @return {@code --map-guest-addr ADDR}: up to one address per IP version (empty: default or none) */
    public List<InetAddress> mapGuestAddr() {
        return mapGuestAddr.list();
    }

    /** @return true for {@code --map-guest-addr none} */
    public boolean mapGuestAddrNone() {
        return mapGuestAddrNone;
    }

    /** @return {@code --host-lo-to-ns-lo}: host loopback traffic arrives from namespace loopback */
    public boolean hostLoToNsLo() {
        return switches.contains(Switch.HOST_LO_TO_NS_LO);
    }

    // ---- protocols and services ----------------------------------------------------------------------------------

    /** @return {@code --no-tcp} */
    public boolean noTcp() {
        return switches.contains(Switch.NO_TCP);
    }

    /** @return {@code --no-udp} */
    public boolean noUdp() {
        return switches.contains(Switch.NO_UDP);
    }

    /** @return {@code --no-icmp} */
    public boolean noIcmp() {
        return switches.contains(Switch.NO_ICMP);
    }

    /** @return {@code --no-dhcp} */
    public boolean noDhcp() {
        return switches.contains(Switch.NO_DHCP);
    }

    /** @return {@code --no-dhcpv6} */
    public boolean noDhcpv6() {
        return switches.contains(Switch.NO_DHCPV6);
    }

    /** @return {@code --no-ndp} */
    public boolean noNdp() {
        return switches.contains(Switch.NO_NDP);
    }

    /** @return {@code --no-ra} */
    public boolean noRa() {
        return switches.contains(Switch.NO_RA);
    }

    /** @return {@code --no-splice}: loopback traffic goes through the tap like any other */
    public boolean noSplice() {
        return switches.contains(Switch.NO_SPLICE);
    }

    /** @return {@code --splice-only}: forward only loopback (spliced) traffic; exclusive with no-splice */
    public boolean spliceOnly() {
        return switches.contains(Switch.SPLICE_ONLY);
    }

    /** @return {@code --freebind}: bind forwarded ports with IP_FREEBIND / IPV6_FREEBIND */
    public boolean freebind() {
        return switches.contains(Switch.FREEBIND);
    }

    /** @return {@code -4/--ipv4-only} */
    public boolean ipv4Only() {
        return switches.contains(Switch.IPV4_ONLY);
    }

    /** @return {@code -6/--ipv6-only} */
    public boolean ipv6Only() {
        return switches.contains(Switch.IPV6_ONLY);
    }

    // ---- port forwarding -----------------------------------------------------------------------------------------

    /** @return {@code -t/--tcp-ports}: TCP from init to target namespace; {@link PortRules#isUnset()}: default */
    public PortRules tcpPorts() {
        return tcpPorts;
    }

    /** @return {@code -u/--udp-ports}: UDP from init to target namespace */
    public PortRules udpPorts() {
        return udpPorts;
    }

    /** @return {@code -T/--tcp-ns}: TCP from target to init namespace */
    public PortRules tcpNs() {
        return tcpNs;
    }

    /** @return {@code -U/--udp-ns}: UDP from target to init namespace */
    public PortRules udpNs() {
        return udpNs;
    }

    // ---- namespaces and operands ---------------------------------------------------------------------------------

    /** @return {@code --userns NSPATH}, or null */
    public String userns() {
        return userns;
    }

    /** @return {@code --netns}: a path; a NAME without '/' is returned as {@code /run/netns/NAME}; or null */
    public String netns() {
        return netns;
    }

    /** @return {@code --netns-only}, or implied: {@code --netns} given without {@code --userns} */
    public boolean netnsOnly() {
        return switches.contains(Switch.NETNS_ONLY) || (netns != null && userns == null);
    }

    /** @return {@code --no-netns-quit}: keep running when a filesystem-bound netns is deleted */
    public boolean noNetnsQuit() {
        return switches.contains(Switch.NO_NETNS_QUIT);
    }

    /** @return {@code --config-net}: set addresses and routes on the tap and bring it up */
    public boolean configNet() {
        return switches.contains(Switch.CONFIG_NET);
    }

    /** @return {@code --no-copy-routes}: with --config-net, copy no routes from the host */
    public boolean noCopyRoutes() {
        return switches.contains(Switch.NO_COPY_ROUTES);
    }

    /** @return {@code --no-copy-addrs}: with --config-net, copy no addresses from the host */
    public boolean noCopyAddrs() {
        return switches.contains(Switch.NO_COPY_ADDRS);
    }

    /** @return {@code --no-follow-host} (ours): keep the host's state read at start, as pasta does */
    public boolean noFollowHost() {
        return switches.contains(Switch.NO_FOLLOW_HOST);
    }

    /** @return the PID whose namespaces to join: the single operand when it is an unsigned integer; or empty */
    public OptionalInt pid() {
        return pid < 0 ? OptionalInt.empty() : OptionalInt.of(pid);
    }

    /** @return the command to run in new namespaces (operands that are not a PID), empty for the user's shell */
    public List<String> command() {
        return command;
    }
}
