package io.jpasta.launcher;

import io.jpasta.tap.fwd.IpLiteral;
import io.jpasta.tap.fwd.PortRules;
import io.jpasta.tap.fwd.PortSpecException;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;

/**
 * Reads pasta's command line into {@link Options}: pasta's option table, scanned by {@link Getopt}, and each option
 * checked when met with pasta's message.
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
final class OptionParser {
    /** Program name in getopt messages when the starter does not pass argv[0]. */
    static final String PROG = "pasta";
    /** pasta's short option string ({@code +}: stop at the first operand). */
    static final String SHORT_OPTS = "+dqfel:hF:I:p:P:m:a:n:M:g:i:o:D:S:H:46t:u:T:U:1s:";

    static final int ETH_MIN_MTU = 68;
    /** The largest MTU pasta takes: 65535 less the Ethernet header, rounded down to a multiple of 4 plus 1. */
    static final int ETH_MAX_MTU = 65521;
    /** Smallest log file size pasta accepts. */
    static final long LOG_SIZE_MIN = 40960;
    static final int IFNAMSIZ = 16;
    static final int PATH_MAX = 4096;
    static final int HOST_NAME_MAX = 64;
    static final int FQDN_MAX = 255;
    /** Resolver addresses pasta keeps per IP version. */
    static final int DNS_PER_FAMILY = 4;
    /** Directory where {@code ip netns} keeps named network namespaces. */
    static final String NETNS_RUN_DIR = "/run/netns/";

    // Codes of long-only options: above any character. Plain switches are SWITCH + their ordinal in Switch.
    private static final int O_USERNS = 256, O_NETNS = 257, O_NS_MAC = 258, O_NO_DHCP_DNS = 260,
            O_NO_DHCP_SEARCH = 262, O_DNS_FORWARD = 263, O_TRACE = 265, O_RUNAS = 266, O_LOG_SIZE = 267,
            O_VERSION = 268, O_OUT_IF4 = 269, O_OUT_IF6 = 270, O_NETNS_ONLY = 274, O_MAP_HOST_LO = 275,
            O_MAP_GUEST = 276, O_DNS_HOST = 278, O_FQDN = 279, O_STATS = 280, O_SOCKET = 281, O_ONE_OFF = 282,
            O_NO_SPLICE = 290, O_SPLICE_ONLY = 293, SWITCH = 512;

    private static final int NO = Getopt.NO_ARGUMENT, REQ = Getopt.REQUIRED_ARGUMENT;
    private static final Options.Switch[] SWITCHES = Options.Switch.values();

    private OptionParser() {
    }

    /**
     * The long option table, in pasta's order (it decides the order of candidates in ambiguity messages); options
     * newer than Debian's pasta are placed where upstream puts them, those of ours at the end.
     */
    static LongOptionTable table() {
        return new LongOptionTable(new Getopt.LongOption[] {
            opt("debug", NO, 'd'),
            opt("quiet", NO, 'q'),
            opt("foreground", NO, 'f'),
            opt("stderr", NO, 'e'),
            opt("log-file", REQ, 'l'),
            opt("help", NO, 'h'),
            opt("socket", REQ, O_SOCKET),
            opt("fd", REQ, 'F'),
            opt("ns-ifname", REQ, 'I'),
            opt("pcap", REQ, 'p'),
            opt("pid", REQ, 'P'),
            opt("mtu", REQ, 'm'),
            opt("address", REQ, 'a'),
            opt("netmask", REQ, 'n'),
            opt("mac-addr", REQ, 'M'),
            opt("gateway", REQ, 'g'),
            opt("interface", REQ, 'i'),
            opt("outbound", REQ, 'o'),
            opt("dns", REQ, 'D'),
            opt("search", REQ, 'S'),
            opt("hostname", REQ, 'H'),
            flag("no-tcp", Options.Switch.NO_TCP),
            flag("no-udp", Options.Switch.NO_UDP),
            flag("no-icmp", Options.Switch.NO_ICMP),
            flag("no-dhcp", Options.Switch.NO_DHCP),
            flag("no-dhcpv6", Options.Switch.NO_DHCPV6),
            flag("no-ndp", Options.Switch.NO_NDP),
            flag("no-ra", Options.Switch.NO_RA),
            opt("no-splice", NO, O_NO_SPLICE),
            flag("freebind", Options.Switch.FREEBIND),
            flag("no-map-gw", Options.Switch.NO_MAP_GW),
            opt("ipv4-only", NO, '4'),
            opt("ipv6-only", NO, '6'),
            opt("one-off", NO, O_ONE_OFF),
            opt("tcp-ports", REQ, 't'),
            opt("udp-ports", REQ, 'u'),
            opt("tcp-ns", REQ, 'T'),
            opt("udp-ns", REQ, 'U'),
            opt("userns", REQ, O_USERNS),
            opt("netns", REQ, O_NETNS),
            opt("netns-only", NO, O_NETNS_ONLY),
            flag("config-net", Options.Switch.CONFIG_NET),
            opt("ns-mac-addr", REQ, O_NS_MAC),
            flag("dhcp-dns", Options.Switch.DHCP_DNS),
            opt("no-dhcp-dns", NO, O_NO_DHCP_DNS),
            flag("dhcp-search", Options.Switch.DHCP_SEARCH),
            opt("no-dhcp-search", NO, O_NO_DHCP_SEARCH),
            opt("dns-forward", REQ, O_DNS_FORWARD),
            flag("no-netns-quit", Options.Switch.NO_NETNS_QUIT),
            opt("trace", NO, O_TRACE),
            opt("runas", REQ, O_RUNAS),
            opt("log-size", REQ, O_LOG_SIZE),
            opt("version", NO, O_VERSION),
            opt("outbound-if4", REQ, O_OUT_IF4),
            opt("outbound-if6", REQ, O_OUT_IF6),
            flag("no-copy-routes", Options.Switch.NO_COPY_ROUTES),
            flag("no-copy-addrs", Options.Switch.NO_COPY_ADDRS),
            opt("map-host-loopback", REQ, O_MAP_HOST_LO),
            opt("map-guest-addr", REQ, O_MAP_GUEST),
            flag("host-lo-to-ns-lo", Options.Switch.HOST_LO_TO_NS_LO),
            opt("dns-host", REQ, O_DNS_HOST),
            opt("fqdn", REQ, O_FQDN),
            opt("stats", REQ, O_STATS),
            opt("splice-only", NO, O_SPLICE_ONLY),
            flag("no-confine", Options.Switch.NO_CONFINE),
        });
    }

    private static Getopt.LongOption opt(String name, int hasArg, int val) {
        return new Getopt.LongOption(name, hasArg, val);
    }

    /** @return the table entry of a long option that only turns {@code s} on */
    private static Getopt.LongOption flag(String name, Options.Switch s) {
        return new Getopt.LongOption(name, NO, SWITCH + s.ordinal());
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

    /** Everything the option loop collects; {@link Options} copies it into its final fields. */
    static final class State {
        boolean debug, trace, quiet;
        String logFile, runas, pcapFile, pidFile, nsIfname, iface, outboundIf4, outboundIf6, userns, netns;
        String socketPath, hostname, fqdn;
        long logSize = -1;
        int fd = -1, mtu = -1, netmask = -1, stats = -1;
        byte[] macAddr, nsMacAddr;
        InetAddress dnsHost;
        final AddrPair[] perFamily = new AddrPair[FamilyOption.values().length];
        boolean mapHostNone, mapGuestNone;
        final List<InetAddress> dns = new ArrayList<>(2);
        boolean dnsNone;
        int dns4, dns6;
        final List<String> search = new ArrayList<>(2);
        boolean searchNone;
        final EnumSet<Options.Switch> switches = EnumSet.noneOf(Options.Switch.class);
        int pid = -1;
        // Port specifications in command line order: option letter, then the spec.
        final List<String> portSpecs = new ArrayList<>(4);
        List<String> command = List.of();
        PortRules[] rules;

        State() {
            Arrays.fill(perFamily, AddrPair.NONE);
        }

        AddrPair pair(FamilyOption which) {
            return perFamily[which.ordinal()];
        }

        boolean on(Options.Switch which) {
            return switches.contains(which);
        }
    }

    /**
     * Parses pasta's command line.
     *
     * @param prog the program name for getopt's messages and the usage, argv[0] as the caller wrote it
     * @param argv arguments without the program name
     * @return the options, if the command line asks pasta to run
     * @throws ExitRequest for {@code --help} and {@code --version} (status 0, stdout), and for every error
     *                     (status 1, stderr: glibc's line then the usage for getopt errors, pasta's message else)
     */
    static Options parse(String prog, String[] argv) throws ExitRequest {
        State s = new State();
        Getopt g = new Getopt(prog, SHORT_OPTS, table().options(), argv);
        for (int c = g.next(); c != Getopt.END; c = g.next()) {
            option(s, c, g.optarg(), prog, g);
        }
        s.rules = portRules(s);
        s.command = operands(s, argv, g.optind());
        return new Options(s);
    }

    /** Dispatches one option to the handler of its group. */
    private static void option(State s, int c, String arg, String prog, Getopt g) throws ExitRequest {
        switch (c) {
            case Getopt.ERROR -> throw new ExitRequest(ExitRequest.FAILURE, g.error() + Usage.text(prog), false);
            case 'h' -> throw new ExitRequest(0, Usage.text(prog), true);
            case O_VERSION -> throw new ExitRequest(0, Usage.VERSION_TEXT, true);
            case 'd', 'q', O_TRACE, 'f', 'e', 'l', O_LOG_SIZE, O_RUNAS, O_STATS -> logging(s, c, arg);
            case O_SOCKET, 's', O_ONE_OFF, '1', O_NO_DHCP_DNS, O_NO_DHCP_SEARCH -> passtOnly(s, c, arg);
            case 'F', 'I', 'p', 'P', 'm', 'M', O_NS_MAC, 'H', O_FQDN -> device(s, c, arg);
            case 'a' -> perFamily(s, FamilyOption.ADDRESS, arg);
            case 'g' -> perFamily(s, FamilyOption.GATEWAY, arg);
            case 'o' -> perFamily(s, FamilyOption.OUTBOUND, arg);
            case O_DNS_FORWARD -> perFamily(s, FamilyOption.DNS_FORWARD, arg);
            case O_MAP_HOST_LO -> perFamily(s, FamilyOption.MAP_HOST_LOOPBACK, arg);
            case O_MAP_GUEST -> perFamily(s, FamilyOption.MAP_GUEST_ADDR, arg);
            case 'n' -> s.netmask = OptionValues.netmask(arg);
            case 'i', O_OUT_IF4, O_OUT_IF6 -> host(s, c, arg);
            case 'D' -> dns(s, arg);
            case 'S' -> search(s, arg);
            case O_DNS_HOST -> {
                InetAddress a = IpLiteral.parse(arg);
                if (a == null || a.isAnyLocalAddress() || a.isMulticastAddress()) {
                    throw ExitRequest.die("Invalid host nameserver address: " + arg);
                }
                s.dnsHost = a;
            }
            case '4', '6', O_NO_SPLICE, O_SPLICE_ONLY -> exclusive(s, c);
            case 't', 'u', 'T', 'U' -> {
                s.portSpecs.add(String.valueOf((char) c));
                s.portSpecs.add(arg);
            }
            case O_USERNS, O_NETNS, O_NETNS_ONLY -> namespaces(s, c, arg);
            default -> {
                if (c < SWITCH || c >= SWITCH + SWITCHES.length) {
                    throw new IllegalStateException("option code " + c + " missing from the switch");
                }
                s.switches.add(SWITCHES[c - SWITCH]);
            }
        }
    }

    /** {@code -d -q --trace -f -e -l --log-size --runas --stats}. */
    private static void logging(State s, int c, String arg) throws ExitRequest {
        switch (c) {
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
            case 'f' -> switchOnce(s, Options.Switch.FOREGROUND, "foreground");
            case 'e' -> switchOnce(s, Options.Switch.STDERR, "stderr");
            case 'l' -> {
                once(s.logFile != null, "log-file");
                if (arg.length() >= PATH_MAX) {
                    throw ExitRequest.die("Invalid log file path: " + arg);
                }
                s.logFile = arg;
            }
            case O_LOG_SIZE -> {
                once(s.logSize >= 0, "log-size");
                long v = OptionValues.strtol(arg, 0);
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
            default -> {
                long v = OptionValues.strtol(arg, 0);
                if (v < 0 || v > Integer.MAX_VALUE) {
                    throw ExitRequest.die("Invalid --stats delay: " + arg);
                }
                s.stats = (int) v;
            }
        }
    }

    /** Options of passt (the VM mode) that pasta refuses, and {@code --socket}, which Debian's pasta ignores. */
    private static void passtOnly(State s, int c, String arg) throws ExitRequest {
        switch (c) {
            case O_SOCKET -> s.socketPath = arg;
            case 's' -> throw ExitRequest.die("-s is for passt / vhost-user mode only");
            case O_ONE_OFF, '1' -> throw ExitRequest.die("--one-off is for passt mode only");
            case O_NO_DHCP_DNS -> throw ExitRequest.die("--no-dhcp-dns is for passt mode only");
            default -> throw ExitRequest.die("--no-dhcp-search is for passt mode only");
        }
    }

    /** {@code -F -I -p -P -m -M --ns-mac-addr -H --fqdn}: the tap, its files and the names given to the guest. */
    private static void device(State s, int c, String arg) throws ExitRequest {
        switch (c) {
            case 'F' -> {
                once(s.fd >= 0, "fd");
                long v = OptionValues.strtol(arg, 0);
                if (v < 0 || v > Integer.MAX_VALUE) {
                    throw ExitRequest.die("Invalid --fd: " + arg);
                }
                s.fd = (int) v;
            }
            case 'I' -> {
                once(s.nsIfname != null, "ns-ifname");
                s.nsIfname = checked(arg, 1, IFNAMSIZ, "Invalid interface name: ");
            }
            case 'p' -> {
                once(s.pcapFile != null, "pcap");
                s.pcapFile = checked(arg, 1, PATH_MAX, "Invalid pcap path: ");
            }
            case 'P' -> {
                once(s.pidFile != null, "pid");
                s.pidFile = checked(arg, 1, PATH_MAX, "Invalid PID file: ");
            }
            case 'm' -> {
                once(s.mtu >= 0, "mtu");
                s.mtu = mtu(arg);
            }
            case 'M' -> s.macAddr = OptionValues.mac(arg);
            case O_NS_MAC -> s.nsMacAddr = OptionValues.mac(arg);
            case 'H' -> s.hostname = checked(arg, 1, HOST_NAME_MAX + 1, "Invalid hostname: ");
            default -> s.fqdn = checked(arg, 1, FQDN_MAX + 1, "Invalid FQDN: ");
        }
    }

    /** @return {@code arg} if its length is at least {@code min} and below {@code limit}; else dies with message */
    private static String checked(String arg, int min, int limit, String message) throws ExitRequest {
        if (arg.length() < min || arg.length() >= limit) {
            throw ExitRequest.die(message + arg);
        }
        return arg;
    }

    private static int mtu(String arg) throws ExitRequest {
        long v = OptionValues.strtol(arg, 0);
        if (v == OptionValues.INVALID) {
            throw ExitRequest.die("Invalid MTU: " + arg);
        }
        if (v < 0 || v > ETH_MAX_MTU) {
            // as pasta, which reads it as unsigned: "-5" is a very large MTU
            throw ExitRequest.die("MTU " + Long.toUnsignedString(v) + " too large (max " + ETH_MAX_MTU + ")");
        }
        if (v != 0 && v < ETH_MIN_MTU) {
            throw ExitRequest.die("Invalid MTU: " + arg); // pasta warns and goes on with a broken link
        }
        return (int) v;
    }

    /** One address per IP version ({@link FamilyOption}): checks {@code arg} and keeps it, or dies. */
    private static void perFamily(State s, FamilyOption which, String arg) throws ExitRequest {
        int i = which.ordinal();
        if (which.replaces && arg.equals("none")) {
            none(s, which, true);
            s.perFamily[i] = AddrPair.NONE;
            return;
        }
        InetAddress a = IpLiteral.parse(arg);
        if (a == null || which.refuses(a) || (!which.replaces && s.perFamily[i].sameFamily(a) != null)) {
            throw ExitRequest.die(which.message + arg);
        }
        if (which.replaces) {
            none(s, which, false);
        }
        s.perFamily[i] = s.perFamily[i].with(a);
    }

    private static void none(State s, FamilyOption which, boolean none) {
        if (which == FamilyOption.MAP_HOST_LOOPBACK) {
            s.mapHostNone = none;
        } else {
            s.mapGuestNone = none;
        }
    }

    /** {@code -i --outbound-if4 --outbound-if6}: interfaces of the host. */
    private static void host(State s, int c, String arg) throws ExitRequest {
        if (c == 'i') {
            if (s.iface != null) {
                throw ExitRequest.die("Redundant interface: " + arg);
            }
            if (arg.isEmpty() || arg.length() >= IFNAMSIZ) {
                throw ExitRequest.die("Invalid interface name " + arg + ": No such device");
            }
            s.iface = arg;
            return;
        }
        if ((c == O_OUT_IF4 ? s.outboundIf4 : s.outboundIf6) != null) {
            throw ExitRequest.die("Redundant outbound interface: " + arg);
        }
        String name = checked(arg, 1, IFNAMSIZ, "Invalid interface name: ");
        if (c == O_OUT_IF4) {
            s.outboundIf4 = name;
        } else {
            s.outboundIf6 = name;
        }
    }

    /** {@code -4 -6 --no-splice --splice-only}: switches that exclude another one. */
    private static void exclusive(State s, int c) throws ExitRequest {
        switch (c) {
            case '4' -> exclusive(s, Options.Switch.IPV4_ONLY, Options.Switch.IPV6_ONLY,
                    "Options ipv4-only and ipv6-only are mutually exclusive");
            case '6' -> exclusive(s, Options.Switch.IPV6_ONLY, Options.Switch.IPV4_ONLY,
                    "Options ipv4-only and ipv6-only are mutually exclusive");
            case O_NO_SPLICE -> exclusive(s, Options.Switch.NO_SPLICE, Options.Switch.SPLICE_ONLY,
                    "Options --no-splice and --splice-only are mutually exclusive");
            default -> exclusive(s, Options.Switch.SPLICE_ONLY, Options.Switch.NO_SPLICE,
                    "Options --no-splice and --splice-only are mutually exclusive");
        }
    }

    private static void exclusive(State s, Options.Switch on, Options.Switch other, String message)
            throws ExitRequest {
        if (s.on(other)) {
            throw ExitRequest.die(message);
        }
        s.switches.add(on);
    }

    /** {@code --userns --netns --netns-only}. */
    private static void namespaces(State s, int c, String arg) throws ExitRequest {
        switch (c) {
            case O_USERNS -> {
                checked(arg, 1, PATH_MAX, "Invalid userns: ");
                if (s.on(Options.Switch.NETNS_ONLY)) {
                    throw ExitRequest.die("Both --userns and --netns-only given");
                }
                s.userns = arg;
            }
            case O_NETNS -> s.netns = netnsPath(arg);
            default -> {
                if (s.userns != null) {
                    throw ExitRequest.die("Both --userns and --netns-only given");
                }
                s.switches.add(Options.Switch.NETNS_ONLY);
            }
        }
    }

    /** pasta refuses most options given twice, naming the long option. */
    private static void once(boolean alreadySet, String longName) throws ExitRequest {
        if (alreadySet) {
            throw ExitRequest.die("Multiple --" + longName + " options given");
        }
    }

    private static void switchOnce(State s, Options.Switch which, String longName) throws ExitRequest {
        once(s.on(which), longName);
        s.switches.add(which);
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
            long v = OptionValues.strtol(argv[optind], 10);
            if (v != OptionValues.INVALID) {
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
}
