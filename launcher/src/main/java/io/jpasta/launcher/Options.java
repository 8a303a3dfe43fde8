package io.jpasta.launcher;

import io.jpasta.launcher.control.UnixServer;
import io.jpasta.tap.fwd.IpLiteral;
import io.jpasta.tap.fwd.PortRules;
import io.jpasta.tap.fwd.PortSpecException;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * pasta's command line, parsed and checked: every option of pasta's man page plus the newer ones clients pass.
 * Immutable. {@link #parse} does everything a command line can be judged on without looking at the host (syntax,
 * ranges, duplicates and conflicts, with pasta's messages); {@code Conf} then adds host state (interfaces, routes,
 * resolv.conf, user names).
 *
 * <p>Order of checks, as in pasta: options are scanned left to right and each is checked as it is met (so
 * {@code --help} after a bad option reports the bad option, and before it prints the help); port specifications
 * ({@code -t/-u/-T/-U}) are checked after every other option, in their order; operands last.
 *
 * <p>Repeated options: pasta refuses a second {@code -d -q -f -e --trace -l -p -P -m -I -F --runas --log-size}
 * ({@code Multiple --mtu options given}), a second address of the same IP version for {@code -a -g -o
 * --dns-forward}, and a second {@code -i} or {@code --outbound-if4/6}; other scalar options keep the last value;
 * {@code -D}, {@code -S} and port specifications accumulate.
 */
public final class Options {
    /** Program name in getopt messages. */
    static final String PROG = "pasta";
    /** pasta's short option string ({@code +}: stop at the first operand). */
    static final String SHORT_OPTS = "+dqfel:hc:F:I:p:P:m:a:n:M:g:i:o:D:S:H:46t:u:T:U:";

    static final int ETH_MIN_MTU = 68;
    static final int ETH_MAX_MTU = 65535;
    /** Smallest log file size pasta accepts. */
    static final long LOG_SIZE_MIN = 40960;
    /** Default log file size limit: 1 MiB. */
    public static final long LOG_SIZE_DEFAULT = 1L << 20;
    static final int IFNAMSIZ = 16;
    static final int PATH_MAX = 4096;
    static final int HOST_NAME_MAX = 64;
    static final int FQDN_MAX = 255;
    /** Resolver addresses pasta keeps per IP version. */
    static final int DNS_PER_FAMILY = 4;
    static final int MAC_LEN = 6;
    /** Directory where {@code ip netns} keeps named network namespaces. */
    public static final String NETNS_RUN_DIR = "/run/netns/";

    // Codes of long-only options: above any character.
    private static final int O_USERNS = 256, O_NETNS = 257, O_NS_MAC = 258, O_DHCP_DNS = 259, O_NO_DHCP_DNS = 260,
            O_DHCP_SEARCH = 261, O_NO_DHCP_SEARCH = 262, O_DNS_FORWARD = 263, O_NO_NETNS_QUIT = 264, O_TRACE = 265,
            O_RUNAS = 266, O_LOG_SIZE = 267, O_VERSION = 268, O_OUT_IF4 = 269, O_OUT_IF6 = 270, O_CONFIG_NET = 271,
            O_NO_COPY_ROUTES = 272, O_NO_COPY_ADDRS = 273, O_NETNS_ONLY = 274, O_MAP_HOST_LO = 275,
            O_MAP_GUEST = 276, O_HOST_LO_TO_NS_LO = 277, O_DNS_HOST = 278, O_FQDN = 279, O_STATS = 280,
            O_SOCKET = 281, O_ONE_OFF = 282, O_NO_TCP = 283, O_NO_UDP = 284, O_NO_ICMP = 285, O_NO_DHCP = 286,
            O_NO_DHCPV6 = 287, O_NO_NDP = 288, O_NO_RA = 289, O_NO_SPLICE = 290, O_FREEBIND = 291,
            O_NO_MAP_GW = 292, O_SPLICE_ONLY = 293;

    private static final int NO = Getopt.NO_ARGUMENT, REQ = Getopt.REQUIRED_ARGUMENT;

    /**
     * The long option table, in pasta's order (it decides the order of candidates in ambiguity messages); options
     * newer than Debian's pasta are placed where upstream puts them, those of ours at the end.
     */
    static LongOptionTable table() {
        return new LongOptionTable(new Getopt.LongOption[] {
            new Getopt.LongOption("debug", NO, 'd'),
            new Getopt.LongOption("quiet", NO, 'q'),
            new Getopt.LongOption("foreground", NO, 'f'),
            new Getopt.LongOption("stderr", NO, 'e'),
            new Getopt.LongOption("log-file", REQ, 'l'),
            new Getopt.LongOption("help", NO, 'h'),
            new Getopt.LongOption("socket", REQ, O_SOCKET),
            new Getopt.LongOption("fd", REQ, 'F'),
            new Getopt.LongOption("ns-ifname", REQ, 'I'),
            new Getopt.LongOption("pcap", REQ, 'p'),
            new Getopt.LongOption("pid", REQ, 'P'),
            new Getopt.LongOption("mtu", REQ, 'm'),
            new Getopt.LongOption("address", REQ, 'a'),
            new Getopt.LongOption("netmask", REQ, 'n'),
            new Getopt.LongOption("mac-addr", REQ, 'M'),
            new Getopt.LongOption("gateway", REQ, 'g'),
            new Getopt.LongOption("interface", REQ, 'i'),
            new Getopt.LongOption("outbound", REQ, 'o'),
            new Getopt.LongOption("dns", REQ, 'D'),
            new Getopt.LongOption("search", REQ, 'S'),
            new Getopt.LongOption("hostname", REQ, 'H'),
            new Getopt.LongOption("no-tcp", NO, O_NO_TCP),
            new Getopt.LongOption("no-udp", NO, O_NO_UDP),
            new Getopt.LongOption("no-icmp", NO, O_NO_ICMP),
            new Getopt.LongOption("no-dhcp", NO, O_NO_DHCP),
            new Getopt.LongOption("no-dhcpv6", NO, O_NO_DHCPV6),
            new Getopt.LongOption("no-ndp", NO, O_NO_NDP),
            new Getopt.LongOption("no-ra", NO, O_NO_RA),
            new Getopt.LongOption("no-splice", NO, O_NO_SPLICE),
            new Getopt.LongOption("freebind", NO, O_FREEBIND),
            new Getopt.LongOption("no-map-gw", NO, O_NO_MAP_GW),
            new Getopt.LongOption("ipv4-only", NO, '4'),
            new Getopt.LongOption("ipv6-only", NO, '6'),
            new Getopt.LongOption("one-off", NO, O_ONE_OFF),
            new Getopt.LongOption("tcp-ports", REQ, 't'),
            new Getopt.LongOption("udp-ports", REQ, 'u'),
            new Getopt.LongOption("tcp-ns", REQ, 'T'),
            new Getopt.LongOption("udp-ns", REQ, 'U'),
            new Getopt.LongOption("userns", REQ, O_USERNS),
            new Getopt.LongOption("netns", REQ, O_NETNS),
            new Getopt.LongOption("netns-only", NO, O_NETNS_ONLY),
            new Getopt.LongOption("config-net", NO, O_CONFIG_NET),
            new Getopt.LongOption("ns-mac-addr", REQ, O_NS_MAC),
            new Getopt.LongOption("dhcp-dns", NO, O_DHCP_DNS),
            new Getopt.LongOption("no-dhcp-dns", NO, O_NO_DHCP_DNS),
            new Getopt.LongOption("dhcp-search", NO, O_DHCP_SEARCH),
            new Getopt.LongOption("no-dhcp-search", NO, O_NO_DHCP_SEARCH),
            new Getopt.LongOption("dns-forward", REQ, O_DNS_FORWARD),
            new Getopt.LongOption("no-netns-quit", NO, O_NO_NETNS_QUIT),
            new Getopt.LongOption("trace", NO, O_TRACE),
            new Getopt.LongOption("runas", REQ, O_RUNAS),
            new Getopt.LongOption("log-size", REQ, O_LOG_SIZE),
            new Getopt.LongOption("version", NO, O_VERSION),
            new Getopt.LongOption("outbound-if4", REQ, O_OUT_IF4),
            new Getopt.LongOption("outbound-if6", REQ, O_OUT_IF6),
            new Getopt.LongOption("no-copy-routes", NO, O_NO_COPY_ROUTES),
            new Getopt.LongOption("no-copy-addrs", NO, O_NO_COPY_ADDRS),
            new Getopt.LongOption("map-host-loopback", REQ, O_MAP_HOST_LO),
            new Getopt.LongOption("map-guest-addr", REQ, O_MAP_GUEST),
            new Getopt.LongOption("host-lo-to-ns-lo", NO, O_HOST_LO_TO_NS_LO),
            new Getopt.LongOption("dns-host", REQ, O_DNS_HOST),
            new Getopt.LongOption("fqdn", REQ, O_FQDN),
            new Getopt.LongOption("stats", REQ, O_STATS),
            new Getopt.LongOption("conf-path", REQ, 'c'),
            new Getopt.LongOption("splice-only", NO, O_SPLICE_ONLY),
        });
    }

    /** Wrapper so tests can read the table without exposing a mutable array. */
    record LongOptionTable(Getopt.LongOption[] options) {
        List<String> names() {
            List<String> n = new ArrayList<>(options.length);
            for (Getopt.LongOption o : options) {
                n.add(o.name());
            }
            return n;
        }
    }

    private final State s;
    private final List<InetAddress> addresses, gateways, outbound, dns, dnsForward, mapHostLoopback, mapGuestAddr;
    private final List<String> search, command;
    private final PortRules tcpPorts, udpPorts, tcpNs, udpNs;

    private Options(State s, List<String> command, PortRules[] rules) {
        this.s = s;
        this.addresses = pair(s.addr4, s.addr6);
        this.gateways = pair(s.gw4, s.gw6);
        this.outbound = pair(s.out4, s.out6);
        this.dnsForward = pair(s.dnsFwd4, s.dnsFwd6);
        this.mapHostLoopback = pair(s.mapHost4, s.mapHost6);
        this.mapGuestAddr = pair(s.mapGuest4, s.mapGuest6);
        this.dns = List.copyOf(s.dns);
        this.search = List.copyOf(s.search);
        this.command = List.copyOf(command);
        this.tcpPorts = rules[0];
        this.udpPorts = rules[1];
        this.tcpNs = rules[2];
        this.udpNs = rules[3];
    }

    private static List<InetAddress> pair(InetAddress v4, InetAddress v6) {
        if (v4 == null) {
            return v6 == null ? List.of() : List.of(v6);
        }
        return v6 == null ? List.of(v4) : List.of(v4, v6);
    }

    /** Everything the option loop collects; copied into the immutable {@link Options} at the end. */
    private static final class State {
        boolean debug, trace, quiet, foreground, stderr;
        String logFile, runas, pcapFile, pidFile, nsIfname, iface, outboundIf4, outboundIf6, userns, netns;
        String socketPath, hostname, fqdn, confPath;
        long logSize = -1;
        int fd = -1, mtu = -1, netmask = -1, stats = -1;
        byte[] macAddr, nsMacAddr;
        InetAddress addr4, addr6, gw4, gw6, out4, out6, dnsFwd4, dnsFwd6, dnsHost, mapHost4, mapHost6;
        InetAddress mapGuest4, mapGuest6;
        boolean mapHostNone, mapGuestNone;
        final List<InetAddress> dns = new ArrayList<>(2);
        boolean dnsNone;
        int dns4, dns6;
        final List<String> search = new ArrayList<>(2);
        boolean searchNone;
        boolean noTcp, noUdp, noIcmp, noDhcp, noDhcpv6, noNdp, noRa, noSplice, spliceOnly, freebind, noMapGw;
        boolean ipv4Only, ipv6Only, netnsOnly, noNetnsQuit, configNet, dhcpDns, dhcpSearch, noCopyRoutes;
        boolean noCopyAddrs, hostLoToNsLo;
        int pid = -1;
        // Port specifications in command line order: option letter, then the spec.
        final List<String> portSpecs = new ArrayList<>(4);
    }

    /**
     * Parses pasta's command line.
     *
     * @param argv arguments without the program name
     * @return the options, if the command line asks pasta to run
     * @throws ExitRequest for {@code --help} and {@code --version} (status 0, stdout), and for every error
     *                     (status 1, stderr: glibc's line then the usage for getopt errors, pasta's message else)
     */
    public static Options parse(String[] argv) throws ExitRequest {
        State s = new State();
        Getopt g = new Getopt(PROG, SHORT_OPTS, table().options(), argv);
        for (int c = g.next(); c != Getopt.END; c = g.next()) {
            option(s, c, g);
        }
        PortRules[] rules = portRules(s);
        List<String> command = operands(s, argv, g.optind());
        return new Options(s, command, rules);
    }

    private static void option(State s, int c, Getopt g) throws ExitRequest {
        String arg = g.optarg();
        switch (c) {
            case Getopt.ERROR -> throw new ExitRequest(ExitRequest.FAILURE, g.error() + Usage.TEXT, false);
            case 'h' -> throw new ExitRequest(0, Usage.TEXT, true);
            case O_VERSION -> throw new ExitRequest(0, Usage.VERSION_TEXT, true);
            case 'd' -> {
                once(s.debug, "debug");
                if (s.quiet) {
                    throw ExitRequest.die("Either --debug or --quiet");
                }
                s.debug = true;
            }
            case O_TRACE -> {
                once(s.trace, "trace");
                if (s.quiet) {
                    throw ExitRequest.die("Either --trace or --quiet");
                }
                s.trace = true;
                s.debug = true;
            }
            case 'q' -> {
                once(s.quiet, "quiet");
                if (s.debug) {
                    throw ExitRequest.die("Either --debug or --quiet");
                }
                s.quiet = true;
            }
            case 'f' -> {
                once(s.foreground, "foreground");
                s.foreground = true;
            }
            case 'e' -> {
                once(s.stderr, "stderr");
                s.stderr = true;
            }
            case 'l' -> {
                once(s.logFile != null, "log-file");
                if (arg.length() >= PATH_MAX) {
                    throw ExitRequest.die("Invalid log file path: " + arg);
                }
                s.logFile = arg;
            }
            case O_LOG_SIZE -> {
                once(s.logSize >= 0, "log-size");
                long v = strtol(arg, 0);
                if (v < LOG_SIZE_MIN) {
                    throw ExitRequest.die("Invalid --log-size: " + arg);
                }
                s.logSize = v;
            }
            case O_RUNAS -> {
                once(s.runas != null, "runas");
                if (arg.isEmpty() || arg.startsWith(":") || arg.endsWith(":")) {
                    throw ExitRequest.die("Invalid --runas option: " + arg);
                }
                s.runas = arg;
            }
            case O_SOCKET -> s.socketPath = arg;             // passt only; Debian's pasta accepts and ignores it
            case O_ONE_OFF -> throw ExitRequest.die("--one-off is for passt mode only");
            case 'F' -> {
                once(s.fd >= 0, "fd");
                long v = strtol(arg, 0);
                if (v < 0 || v > Integer.MAX_VALUE) {
                    throw ExitRequest.die("Invalid --fd: " + arg);
                }
                s.fd = (int) v;
            }
            case 'I' -> {
                once(s.nsIfname != null, "ns-ifname");
                if (arg.isEmpty() || arg.length() >= IFNAMSIZ) {
                    throw ExitRequest.die("Invalid interface name: " + arg);
                }
                s.nsIfname = arg;
            }
            case 'p' -> {
                once(s.pcapFile != null, "pcap");
                if (arg.isEmpty() || arg.length() >= PATH_MAX) {
                    throw ExitRequest.die("Invalid pcap path: " + arg);
                }
                s.pcapFile = arg;
            }
            case 'c' -> {
                // pesto's control socket (issue 16): the path must fit a sockaddr_un; the last one given counts
                if (arg.isEmpty() || arg.getBytes(StandardCharsets.UTF_8).length >= UnixServer.PATH_MAX) {
                    throw ExitRequest.die("Invalid configuration path: " + arg);
                }
                s.confPath = arg;
            }
            case 'P' -> {
                once(s.pidFile != null, "pid");
                if (arg.isEmpty() || arg.length() >= PATH_MAX) {
                    throw ExitRequest.die("Invalid PID file: " + arg);
                }
                s.pidFile = arg;
            }
            case 'm' -> {
                once(s.mtu >= 0, "mtu");
                long v = strtol(arg, 0);
                if (v == INVALID || (v != 0 && (v < ETH_MIN_MTU || v > ETH_MAX_MTU))) {
                    throw ExitRequest.die("Invalid MTU: " + arg);
                }
                s.mtu = (int) v;
            }
            case 'a' -> {
                InetAddress a = IpLiteral.parse(arg);
                if (a == null || a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isMulticastAddress()
                        || (a instanceof Inet4Address ? s.addr4 != null : s.addr6 != null)) {
                    throw ExitRequest.die("Invalid address: " + arg);
                }
                if (a instanceof Inet4Address) {
                    s.addr4 = a;
                } else {
                    s.addr6 = a;
                }
            }
            case 'n' -> s.netmask = netmask(arg);
            case 'M' -> s.macAddr = mac(arg);
            case O_NS_MAC -> s.nsMacAddr = mac(arg);
            case 'g' -> {
                InetAddress a = IpLiteral.parse(arg);
                if (a == null || a.isAnyLocalAddress() || a.isLoopbackAddress()
                        || (a instanceof Inet4Address ? s.gw4 != null : s.gw6 != null)) {
                    throw ExitRequest.die("Invalid gateway address: " + arg);
                }
                if (a instanceof Inet4Address) {
                    s.gw4 = a;
                } else {
                    s.gw6 = a;
                }
            }
            case 'i' -> {
                if (s.iface != null) {
                    throw ExitRequest.die("Redundant interface: " + arg);
                }
                if (arg.isEmpty() || arg.length() >= IFNAMSIZ) {
                    throw ExitRequest.die("Invalid interface name " + arg + ": No such device");
                }
                s.iface = arg;
            }
            case 'o' -> {
                InetAddress a = IpLiteral.parse(arg);
                if (a == null || a.isAnyLocalAddress() || a.isMulticastAddress()
                        || (a instanceof Inet4Address ? s.out4 != null : s.out6 != null)) {
                    throw ExitRequest.die("Invalid or redundant outbound address: " + arg);
                }
                if (a instanceof Inet4Address) {
                    s.out4 = a;
                } else {
                    s.out6 = a;
                }
            }
            case O_OUT_IF4 -> s.outboundIf4 = outboundIf(s.outboundIf4, arg);
            case O_OUT_IF6 -> s.outboundIf6 = outboundIf(s.outboundIf6, arg);
            case 'D' -> dns(s, arg);
            case 'S' -> search(s, arg);
            case 'H' -> {
                if (arg.isEmpty() || arg.length() > HOST_NAME_MAX) {
                    throw ExitRequest.die("Invalid hostname: " + arg);
                }
                s.hostname = arg;
            }
            case O_FQDN -> {
                if (arg.isEmpty() || arg.length() > FQDN_MAX) {
                    throw ExitRequest.die("Invalid FQDN: " + arg);
                }
                s.fqdn = arg;
            }
            case O_DHCP_DNS -> s.dhcpDns = true;
            case O_DHCP_SEARCH -> s.dhcpSearch = true;
            case O_NO_DHCP_DNS -> throw ExitRequest.die("--no-dhcp-dns is for passt mode only");
            case O_NO_DHCP_SEARCH -> throw ExitRequest.die("--no-dhcp-search is for passt mode only");
            case O_DNS_FORWARD -> {
                InetAddress a = IpLiteral.parse(arg);
                if (a == null || a.isAnyLocalAddress() || a.isLoopbackAddress()
                        || (a instanceof Inet4Address ? s.dnsFwd4 != null : s.dnsFwd6 != null)) {
                    throw ExitRequest.die("Invalid DNS forwarding address: " + arg);
                }
                if (a instanceof Inet4Address) {
                    s.dnsFwd4 = a;
                } else {
                    s.dnsFwd6 = a;
                }
            }
            case O_DNS_HOST -> {
                InetAddress a = IpLiteral.parse(arg);
                if (a == null || a.isAnyLocalAddress() || a.isMulticastAddress()) {
                    throw ExitRequest.die("Invalid host nameserver address: " + arg);
                }
                s.dnsHost = a;
            }
            case O_MAP_HOST_LO -> mapHostLoopback(s, arg);
            case O_MAP_GUEST -> mapGuestAddr(s, arg);
            case O_NO_TCP -> s.noTcp = true;
            case O_NO_UDP -> s.noUdp = true;
            case O_NO_ICMP -> s.noIcmp = true;
            case O_NO_DHCP -> s.noDhcp = true;
            case O_NO_DHCPV6 -> s.noDhcpv6 = true;
            case O_NO_NDP -> s.noNdp = true;
            case O_NO_RA -> s.noRa = true;
            case O_NO_SPLICE -> {
                if (s.spliceOnly) {
                    throw ExitRequest.die("Options --no-splice and --splice-only are mutually exclusive");
                }
                s.noSplice = true;
            }
            case O_SPLICE_ONLY -> {
                if (s.noSplice) {
                    throw ExitRequest.die("Options --no-splice and --splice-only are mutually exclusive");
                }
                s.spliceOnly = true;
            }
            case O_FREEBIND -> s.freebind = true;
            case O_NO_MAP_GW -> s.noMapGw = true;
            case O_HOST_LO_TO_NS_LO -> s.hostLoToNsLo = true;
            case '4' -> {
                if (s.ipv6Only) {
                    throw ExitRequest.die("Options ipv4-only and ipv6-only are mutually exclusive");
                }
                s.ipv4Only = true;
            }
            case '6' -> {
                if (s.ipv4Only) {
                    throw ExitRequest.die("Options ipv4-only and ipv6-only are mutually exclusive");
                }
                s.ipv6Only = true;
            }
            case 't', 'u', 'T', 'U' -> {
                s.portSpecs.add(String.valueOf((char) c));
                s.portSpecs.add(arg);
            }
            case O_USERNS -> {
                if (arg.isEmpty() || arg.length() >= PATH_MAX) {
                    throw ExitRequest.die("Invalid userns: " + arg);
                }
                if (s.netnsOnly) {
                    throw ExitRequest.die("Both --userns and --netns-only given");
                }
                s.userns = arg;
            }
            case O_NETNS -> s.netns = netnsPath(arg);
            case O_NETNS_ONLY -> {
                if (s.userns != null) {
                    throw ExitRequest.die("Both --userns and --netns-only given");
                }
                s.netnsOnly = true;
            }
            case O_NO_NETNS_QUIT -> s.noNetnsQuit = true;
            case O_CONFIG_NET -> s.configNet = true;
            case O_NO_COPY_ROUTES -> s.noCopyRoutes = true;
            case O_NO_COPY_ADDRS -> s.noCopyAddrs = true;
            case O_STATS -> {
                long v = strtol(arg, 0);
                if (v < 0 || v > Integer.MAX_VALUE) {
                    throw ExitRequest.die("Invalid --stats delay: " + arg);
                }
                s.stats = (int) v;
            }
            default -> throw new IllegalStateException("option code " + c + " missing from the switch");
        }
    }

    /** pasta refuses most options given twice, naming the long option. */
    private static void once(boolean alreadySet, String longName) throws ExitRequest {
        if (alreadySet) {
            throw ExitRequest.die("Multiple --" + longName + " options given");
        }
    }

    private static int netmask(String arg) throws ExitRequest {
        Inet4Address dotted = arg.indexOf('.') >= 0 ? IpLiteral.parse4(arg) : null;
        if (dotted != null) {
            byte[] b = dotted.getAddress();
            int m = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
            int len = Integer.bitCount(m);
            // contiguous ones from the top, and not all ones (no room for a host)
            if (m != -1 && (len == 0 ? m == 0 : m == (-1 << (32 - len)))) {
                return len;
            }
            throw ExitRequest.die("Invalid netmask: " + arg);
        }
        long v = strtol(arg, 10);
        if (v < 0 || v > 32) {
            throw ExitRequest.die("Invalid netmask: " + arg);
        }
        return (int) v;
    }

    /** @return six bytes from {@code xx:xx:xx:xx:xx:xx} (one or two hex digits each) */
    private static byte[] mac(String arg) throws ExitRequest {
        byte[] out = new byte[MAC_LEN];
        int i = 0;
        for (int n = 0; n < MAC_LEN; n++) {
            int start = i;
            int v = 0;
            while (i < arg.length() && i - start < 2 && Character.digit(arg.charAt(i), 16) >= 0) {
                v = (v << 4) | Character.digit(arg.charAt(i), 16);
                i++;
            }
            boolean sepOk = n == MAC_LEN - 1 ? i == arg.length() : i < arg.length() && arg.charAt(i) == ':';
            if (i == start || !sepOk) {
                throw ExitRequest.die("Invalid MAC address: " + arg);
            }
            out[n] = (byte) v;
            i++;
        }
        return out;
    }

    private static String outboundIf(String previous, String arg) throws ExitRequest {
        if (previous != null) {
            throw ExitRequest.die("Redundant outbound interface: " + arg);
        }
        if (arg.isEmpty() || arg.length() >= IFNAMSIZ) {
            throw ExitRequest.die("Invalid interface name: " + arg);
        }
        return arg;
    }

    private static void dns(State s, String arg) throws ExitRequest {
        if (arg.equals("none")) {
            if (s.dnsNone) {
                throw ExitRequest.die("Redundant DNS options");
            }
            if (!s.dns.isEmpty()) {
                throw ExitRequest.die("Conflicting DNS options");
            }
            s.dnsNone = true;
            return;
        }
        if (s.dnsNone) {
            throw ExitRequest.die("Conflicting DNS options");
        }
        InetAddress a = IpLiteral.parse(arg);
        if (a == null || (a instanceof Inet4Address ? s.dns4 : s.dns6) >= DNS_PER_FAMILY) {
            throw ExitRequest.die("Cannot use DNS address " + arg);
        }
        if (a instanceof Inet4Address) {
            s.dns4++;
        } else {
            s.dns6++;
        }
        s.dns.add(a);
    }

    private static void search(State s, String arg) throws ExitRequest {
        if (arg.equals("none")) {
            if (s.searchNone) {
                throw ExitRequest.die("Redundant DNS search options");
            }
            if (!s.search.isEmpty()) {
                throw ExitRequest.die("Conflicting DNS search options");
            }
            s.searchNone = true;
            return;
        }
        if (s.searchNone) {
            throw ExitRequest.die("Conflicting DNS search options");
        }
        int before = s.search.size();
        for (int i = 0; i < arg.length(); ) {
            int end = arg.indexOf(' ', i);
            if (end < 0) {
                end = arg.length();
            }
            if (end > i) {
                s.search.add(arg.substring(i, end));
            }
            i = end + 1;
        }
        if (s.search.size() == before) {
            throw ExitRequest.die("Cannot use DNS search domain " + arg);
        }
    }

    private static void mapHostLoopback(State s, String arg) throws ExitRequest {
        if (arg.equals("none")) {
            s.mapHostNone = true;
            s.mapHost4 = s.mapHost6 = null;
            return;
        }
        InetAddress a = IpLiteral.parse(arg);
        if (a == null || a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isMulticastAddress()) {
            throw ExitRequest.die("Invalid address to remap to host: " + arg);
        }
        s.mapHostNone = false;
        if (a instanceof Inet4Address) {
            s.mapHost4 = a;
        } else {
            s.mapHost6 = a;
        }
    }

    private static void mapGuestAddr(State s, String arg) throws ExitRequest {
        if (arg.equals("none")) {
            s.mapGuestNone = true;
            s.mapGuest4 = s.mapGuest6 = null;
            return;
        }
        InetAddress a = IpLiteral.parse(arg);
        if (a == null || a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isMulticastAddress()) {
            throw ExitRequest.die("Invalid address to remap to guest: " + arg);
        }
        s.mapGuestNone = false;
        if (a instanceof Inet4Address) {
            s.mapGuest4 = a;
        } else {
            s.mapGuest6 = a;
        }
    }

    /** @return {@code arg} as a path: a NAME without '/' is a namespace of {@code ip netns} in /run/netns */
    private static String netnsPath(String arg) throws ExitRequest {
        if (arg.isEmpty()) {
            throw ExitRequest.die("Invalid netns: " + arg);
        }
        String path = arg.indexOf('/') >= 0 ? arg : NETNS_RUN_DIR + arg;
        if (path.length() >= PATH_MAX) {
            throw ExitRequest.die("Network namespace name or path too long: " + arg);
        }
        return path;
    }

    /** Port specifications are checked after every other option, in command line order, as pasta does. */
    private static PortRules[] portRules(State s) throws ExitRequest {
        PortRules.Builder t = null, u = null, tNs = null, uNs = null;
        for (int i = 0; i < s.portSpecs.size(); i += 2) {
            String spec = s.portSpecs.get(i + 1);
            PortRules.Builder b = switch (s.portSpecs.get(i).charAt(0)) {
                case 't' -> t = t != null ? t : new PortRules.Builder(true, "-t");
                case 'u' -> u = u != null ? u : new PortRules.Builder(true, "-u");
                case 'T' -> tNs = tNs != null ? tNs : new PortRules.Builder(true, "-T");
                default -> uNs = uNs != null ? uNs : new PortRules.Builder(true, "-U");
            };
            try {
                b.add(spec);
            } catch (PortSpecException e) {
                throw ExitRequest.die(e.getMessage());
            }
        }
        return new PortRules[] {built(t), built(u), built(tNs), built(uNs)};
    }

    private static PortRules built(PortRules.Builder b) {
        return b == null ? PortRules.unset() : b.build();
    }

    /** Operands: a lone unsigned integer is the PID of the namespaces to join, anything else a command. */
    private static List<String> operands(State s, String[] argv, int optind) throws ExitRequest {
        int n = argv.length - optind;
        if (n == 0) {
            return List.of();
        }
        if (s.netns != null) {
            throw ExitRequest.die("Both --netns and PID or command given");
        }
        if (n == 1) {
            long v = strtol(argv[optind], 10);
            if (v != INVALID) {
                if (v < 0 || v > Integer.MAX_VALUE) {
                    throw ExitRequest.die("Invalid PID " + argv[optind]);
                }
                s.pid = (int) v;
                return List.of();
            }
        }
        List<String> cmd = new ArrayList<>(n);
        for (int i = optind; i < argv.length; i++) {
            cmd.add(argv[i]);
        }
        return cmd;
    }

    /** Result of {@link #strtol} for text that is not entirely a number, or out of range of a long. */
    static final long INVALID = Long.MIN_VALUE;

    /**
     * Reads {@code s} as strtol(3) does with the given base (0: {@code 0x} hex, leading {@code 0} octal, else
     * decimal; leading blanks and a sign allowed), but strictly: the whole string must be the number.
     *
     * @return the value, or {@link #INVALID}
     */
    static long strtol(String s, int base) {
        int i = 0;
        int n = s.length();
        while (i < n && (s.charAt(i) == ' ' || (s.charAt(i) >= '\t' && s.charAt(i) <= '\r'))) {
            i++;
        }
        boolean negative = false;
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        int radix = base;
        if (base == 0) {
            if (i + 1 < n && s.charAt(i) == '0' && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X')
                    && i + 2 < n && Character.digit(s.charAt(i + 2), 16) >= 0) {
                radix = 16;
                i += 2;
            } else if (i < n && s.charAt(i) == '0') {
                radix = 8;
            } else {
                radix = 10;
            }
        }
        int start = i;
        long v = 0;
        while (i < n) {
            int d = Character.digit(s.charAt(i), radix);
            if (d < 0 || s.charAt(i) > 'z') {
                return INVALID;
            }
            if (v > (Long.MAX_VALUE - d) / radix) {
                return INVALID;
            }
            v = v * radix + d;
            i++;
        }
        return i == start ? INVALID : (negative ? -v : v);
    }

    // ---- accessors -------------------------------------------------------------------------------------------

    /** @return {@code -d/--debug} (also set by {@code --trace}): log debugging messages */
    public boolean debug() {
        return s.debug;
    }

    /** @return {@code --trace}: log every packet; implies {@link #debug()} */
    public boolean trace() {
        return s.trace;
    }

    /** @return {@code -q/--quiet}: no informational messages */
    public boolean quiet() {
        return s.quiet;
    }

    /** @return {@code -f/--foreground}: do not daemonize */
    public boolean foreground() {
        return s.foreground;
    }

    /** @return {@code -e/--stderr}: accepted for compatibility; jpasta logs to stderr until daemonized anyway */
    public boolean stderr() {
        return s.stderr;
    }

    /** @return {@code -l/--log-file PATH}, or null */
    public String logFile() {
        return s.logFile;
    }

    /** @return {@code --log-size BYTES} (at least 40960), or {@link #LOG_SIZE_DEFAULT} when not given */
    public long logSize() {
        return s.logSize < 0 ? LOG_SIZE_DEFAULT : s.logSize;
    }

    /** @return {@code --runas UID|UID:GID|LOGIN|LOGIN:GROUP} as given (names are resolved by Conf), or null */
    public String runas() {
        return s.runas;
    }

    /** @return {@code --socket PATH} (passt only, accepted and ignored like Debian's pasta), or null */
    public String socket() {
        return s.socketPath;
    }

    /** @return {@code -F/--fd FD}: a connected socket to use instead of a tap, or -1 */
    public int fd() {
        return s.fd;
    }

    /** @return {@code -I/--ns-ifname NAME}: tap name in the namespace (at most 15 bytes), or null for default */
    public String nsIfname() {
        return s.nsIfname;
    }

    /** @return {@code -c/--conf-path PATH}: pesto's control socket, or null */
    public String confPath() {
        return s.confPath;
    }

    /** @return the port options in command line order: option letter ({@code t u T U}), then its specification */
    public List<String> portSpecs() {
        return List.copyOf(s.portSpecs);
    }

    /** @return {@code -p/--pcap FILE}, or null */
    public String pcapFile() {
        return s.pcapFile;
    }

    /** @return {@code -P/--pid FILE}, or null */
    public String pidFile() {
        return s.pidFile;
    }

    /** @return {@code -m/--mtu}: 0 (no MTU announced) or 68-65535; empty when not given */
    public OptionalInt mtu() {
        return s.mtu < 0 ? OptionalInt.empty() : OptionalInt.of(s.mtu);
    }

    /** @return {@code -a/--address}: at most one IPv4 then at most one IPv6 address; empty for host defaults */
    public List<InetAddress> addresses() {
        return addresses;
    }

    /** @return the IPv4 address of {@code -a}, or null */
    public Inet4Address address4() {
        return (Inet4Address) s.addr4;
    }

    /** @return the IPv6 address of {@code -a}, or null */
    public Inet6Address address6() {
        return (Inet6Address) s.addr6;
    }

    /** @return {@code -n/--netmask} as an IPv4 prefix length 0-32 (the last given), or -1 when not given */
    public int netmask() {
        return s.netmask;
    }

    /** @return {@code -M/--mac-addr}: a copy of the 6 bytes, or null */
    public byte[] macAddr() {
        return s.macAddr == null ? null : s.macAddr.clone();
    }

    /** @return {@code --ns-mac-addr}: a copy of the 6 bytes for the namespace's tap, or null */
    public byte[] nsMacAddr() {
        return s.nsMacAddr == null ? null : s.nsMacAddr.clone();
    }

    /** @return {@code -g/--gateway}: at most one IPv4 then at most one IPv6 gateway */
    public List<InetAddress> gateways() {
        return gateways;
    }

    /** @return {@code -i/--interface NAME} (existence is checked by Conf), or null */
    public String iface() {
        return s.iface;
    }

    /** @return {@code -o/--outbound}: at most one IPv4 then one IPv6 source address for outbound sockets */
    public List<InetAddress> outbound() {
        return outbound;
    }

    /** @return {@code --outbound-if4 NAME}, or null */
    public String outboundIf4() {
        return s.outboundIf4;
    }

    /** @return {@code --outbound-if6 NAME}, or null */
    public String outboundIf6() {
        return s.outboundIf6;
    }

    /** @return {@code -D/--dns} addresses in order (at most 4 per IP version); empty if none given */
    public List<InetAddress> dns() {
        return dns;
    }

    /** @return true for {@code -D none}: use no DNS information at all */
    public boolean dnsNone() {
        return s.dnsNone;
    }

    /** @return {@code -S/--search} domains in order (space separated words of every -S); empty if none */
    public List<String> search() {
        return search;
    }

    /** @return true for {@code -S none}: no DNS search list */
    public boolean searchNone() {
        return s.searchNone;
    }

    /** @return {@code -H/--hostname NAME} for the namespace, or null */
    public String hostname() {
        return s.hostname;
    }

    /** @return {@code --fqdn NAME} to send via DHCP, or null */
    public String fqdn() {
        return s.fqdn;
    }

    /** @return {@code --dhcp-dns}: pass resolvers via DHCP, DHCPv6 and NDP (off by default in pasta) */
    public boolean dhcpDns() {
        return s.dhcpDns;
    }

    /** @return {@code --dhcp-search}: pass the search list via DHCP, DHCPv6 and NDP (off by default in pasta) */
    public boolean dhcpSearch() {
        return s.dhcpSearch;
    }

    /** @return {@code --dns-forward}: at most one IPv4 then one IPv6 address mapped to the first resolver */
    public List<InetAddress> dnsForward() {
        return dnsForward;
    }

    /** @return {@code --dns-host ADDR}: host side resolver for forwarded queries, or null */
    public InetAddress dnsHost() {
        return s.dnsHost;
    }

    /** @return {@code --map-host-loopback ADDR}: up to one address per IP version (empty: default or none) */
    public List<InetAddress> mapHostLoopback() {
        return mapHostLoopback;
    }

    /** @return true if host loopback mapping is off: {@code --map-host-loopback none} or {@code --no-map-gw} */
    public boolean noMapGw() {
        return s.noMapGw || s.mapHostNone;
    }

    /** @return {@code --map-guest-addr ADDR}: up to one address per IP version (empty: default or none) */
    public List<InetAddress> mapGuestAddr() {
        return mapGuestAddr;
    }

    /** @return true for {@code --map-guest-addr none} */
    public boolean mapGuestAddrNone() {
        return s.mapGuestNone;
    }

    /** @return {@code --host-lo-to-ns-lo}: host loopback traffic arrives from namespace loopback */
    public boolean hostLoToNsLo() {
        return s.hostLoToNsLo;
    }

    /** @return {@code --no-tcp} */
    public boolean noTcp() {
        return s.noTcp;
    }

    /** @return {@code --no-udp} */
    public boolean noUdp() {
        return s.noUdp;
    }

    /** @return {@code --no-icmp} */
    public boolean noIcmp() {
        return s.noIcmp;
    }

    /** @return {@code --no-dhcp} */
    public boolean noDhcp() {
        return s.noDhcp;
    }

    /** @return {@code --no-dhcpv6} */
    public boolean noDhcpv6() {
        return s.noDhcpv6;
    }

    /** @return {@code --no-ndp} */
    public boolean noNdp() {
        return s.noNdp;
    }

    /** @return {@code --no-ra} */
    public boolean noRa() {
        return s.noRa;
    }

    /** @return {@code --no-splice}: loopback traffic goes through the tap like any other */
    public boolean noSplice() {
        return s.noSplice;
    }

    /** @return {@code --splice-only}: forward only loopback (spliced) traffic; exclusive with no-splice */
    public boolean spliceOnly() {
        return s.spliceOnly;
    }

    /** @return {@code --freebind}: bind forwarded ports with IP_FREEBIND / IPV6_FREEBIND */
    public boolean freebind() {
        return s.freebind;
    }

    /** @return {@code -4/--ipv4-only} */
    public boolean ipv4Only() {
        return s.ipv4Only;
    }

    /** @return {@code -6/--ipv6-only} */
    public boolean ipv6Only() {
        return s.ipv6Only;
    }

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

    /** @return {@code --userns NSPATH}, or null */
    public String userns() {
        return s.userns;
    }

    /** @return {@code --netns}: a path; a NAME without '/' is returned as {@code /run/netns/NAME}; or null */
    public String netns() {
        return s.netns;
    }

    /** @return {@code --netns-only}, or implied: {@code --netns} given without {@code --userns} */
    public boolean netnsOnly() {
        return s.netnsOnly || (s.netns != null && s.userns == null);
    }

    /** @return {@code --no-netns-quit}: keep running when a filesystem-bound netns is deleted */
    public boolean noNetnsQuit() {
        return s.noNetnsQuit;
    }

    /** @return {@code --config-net}: set addresses and routes on the tap and bring it up */
    public boolean configNet() {
        return s.configNet;
    }

    /** @return {@code --no-copy-routes}: with --config-net, copy no routes from the host */
    public boolean noCopyRoutes() {
        return s.noCopyRoutes;
    }

    /** @return {@code --no-copy-addrs}: with --config-net, copy no addresses from the host */
    public boolean noCopyAddrs() {
        return s.noCopyAddrs;
    }

    /** @return {@code --stats DELAY} in seconds, or -1 */
    public int stats() {
        return s.stats;
    }

    /** @return the PID whose namespaces to join: the single operand when it is an unsigned integer; or empty */
    public OptionalInt pid() {
        return s.pid < 0 ? OptionalInt.empty() : OptionalInt.of(s.pid);
    }

    /** @return the command to run in new namespaces (operands that are not a PID), empty for the user's shell */
    public List<String> command() {
        return command;
    }
}
