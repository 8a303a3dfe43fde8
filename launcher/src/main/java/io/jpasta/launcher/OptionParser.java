package io.jpasta.launcher;

import static io.jpasta.launcher.OptionTable.*;

import io.jpasta.launcher.control.UnixServer;
import io.jpasta.tap.fwd.IpLiteral;
import io.jpasta.tap.fwd.PortRules;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
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
    static final String SHORT_OPTS = "+dqfel:hc:F:I:p:P:m:a:n:M:g:i:o:D:S:H:46t:u:T:U:1s:";

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

    private static final Options.Switch[] SWITCHES = Options.Switch.values();

    private OptionParser() {
    }

    /** Everything the option loop collects; {@link Options} copies it into its final fields. */
    static final class State {
        boolean debug, trace, quiet;
        String logFile, runas, pcapFile, pidFile, nsIfname, iface, outboundIf4, outboundIf6, userns, netns;
        String socketPath, hostname, fqdn, confPath, apiPath;
        boolean noConfine;
        long logSize = -1;
        int fd = -1, mtu = -1, netmask = -1, stats = -1;
        boolean prefixInAddress;
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
        /** Warnings pasta prints while reading the options (deprecated ones), before anything else. */
        final List<String> warnings = new ArrayList<>(0);
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
        OptionTable.LongOptionTable t = OptionTable.table();
        Getopt g = new Getopt(prog, SHORT_OPTS, t.options(), t.ours(), argv);
        try {
            for (int c = g.next(); c != Getopt.END; c = g.next()) {
                option(s, c, g.optarg(), prog, g);
            }
            afterAll(s);
            s.rules = PortOptions.rules(s.portSpecs, PortOptions.caps(s));
            s.command = operands(s, argv, g.optind());
        } catch (ExitRequest e) {
            if (s.warnings.isEmpty() || e.toStdout()) {
                throw e;
            }
            throw new ExitRequest(e.status(), String.join("\n", s.warnings) + "\n" + e.text(), false);
        }
        if (!s.warnings.isEmpty()) {
            System.err.println(String.join("\n", s.warnings));
        }
        return new Options(s);
    }

    /** Checks that need every option seen, and pasta's warnings for deprecated options. */
    private static void afterAll(State s) throws ExitRequest {
        if (s.on(Options.Switch.SPLICE_ONLY) && s.on(Options.Switch.NO_SPLICE)) {
            throw ExitRequest.die("--splice-only is incompatible with --no-splice");
        }
        for (Options.Switch sw : new Options.Switch[] {Options.Switch.NO_COPY_ROUTES, Options.Switch.NO_COPY_ADDRS}) {
            if (s.on(sw)) {
                String name = sw == Options.Switch.NO_COPY_ROUTES ? "--no-copy-routes" : "--no-copy-addrs";
                s.warnings.add(name + " will be dropped soon");
                if (!s.on(Options.Switch.CONFIG_NET)) {
                    throw ExitRequest.die(name + " needs --config-net");
                }
            }
        }
    }

    /** Dispatches one option to the handler of its group. */
    private static void option(State s, int c, String arg, String prog, Getopt g) throws ExitRequest {
        switch (c) {
            case Getopt.ERROR -> throw new ExitRequest(ExitRequest.FAILURE, g.error() + Usage.text(prog), false);
            case 'h' -> throw new ExitRequest(0, Usage.text(prog), true);
            case O_VERSION -> throw new ExitRequest(0, Usage.VERSION_TEXT, true);
            case 'd', 'q', O_TRACE, 'f', 'e', 'l', O_LOG_SIZE, O_RUNAS, O_STATS -> logging(s, c, arg);
            case O_SOCKET, 's', O_ONE_OFF, '1', O_NO_DHCP_DNS, O_NO_DHCP_SEARCH, O_REPAIR_PATH, O_MIGRATE_EXIT,
                 O_MIGRATE_NO_LINGER, O_VHOST_USER -> passtOnly(c);
            case O_NO_CONFINE -> s.noConfine = true;
            // vhost-user's capabilities, as pasta prints them (a network back end), then exit
            case O_PRINT_CAPS -> throw new ExitRequest(0, "{\n  \"type\": \"net\"\n}\n", true);
            case O_CHROOT_FALLBACK -> {
                // pasta: go on without the chroot(2) if it fails; jpasta does not chroot at all
            }
            case 'F', 'I', 'p', 'P', 'c', O_API, 'm', 'M', O_NS_MAC, 'H', O_FQDN -> device(s, c, arg);
            case 'a' -> perFamily(s, FamilyOption.ADDRESS, arg);
            case 'g' -> perFamily(s, FamilyOption.GATEWAY, arg);
            case 'o' -> perFamily(s, FamilyOption.OUTBOUND, arg);
            case O_DNS_FORWARD -> perFamily(s, FamilyOption.DNS_FORWARD, arg);
            case O_MAP_HOST_LO -> perFamily(s, FamilyOption.MAP_HOST_LOOPBACK, arg);
            case O_MAP_GUEST -> perFamily(s, FamilyOption.MAP_GUEST_ADDR, arg);
            case 'n' -> {
                if (s.prefixInAddress) {
                    throw ExitRequest.die("Redundant prefix length specification");
                }
                s.netmask = OptionValues.netmask(arg);
            }
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
            // pasta 2026: repeated and opposite ones are taken, the last one counts
            case 'd' -> {
                s.debug = true;
                s.quiet = false;
            }
            case O_TRACE -> {
                s.trace = true;
                s.debug = true;
                s.quiet = false;
            }
            case 'q' -> {
                s.quiet = true;
                s.debug = false;
                s.trace = false;
            }
            case 'f' -> s.switches.add(Options.Switch.FOREGROUND);
            case 'e' -> {
                s.switches.add(Options.Switch.STDERR);
                s.warnings.add("--stderr will be dropped soon");
            }
            case 'l' -> {
                if (arg.length() >= PATH_MAX) {
                    throw ExitRequest.die("Invalid log file path: " + arg);
                }
                s.logFile = arg;
            }
            case O_LOG_SIZE -> {
                long v = OptionValues.strtol(arg, 0);
                // pasta reads it with strtoul: a negative number wraps to a huge size
                if (v == OptionValues.INVALID || (v >= 0 && v < LOG_SIZE_MIN)) {
                    throw ExitRequest.die("Invalid --log-size: " + arg);
                }
                s.logSize = v < 0 ? Long.MAX_VALUE : v;
            }
            case O_RUNAS -> {
                if (arg.isEmpty() || arg.startsWith(":") || arg.endsWith(":")) {
                    // pasta names the user part only
                    int colon = arg.indexOf(':');
                    throw ExitRequest.die("Invalid --runas option: " + (colon < 0 ? arg : arg.substring(0, colon)));
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

    /** Options of passt (the VM mode) and of its vhost-user mode, which pasta refuses with these words. */
    private static void passtOnly(int c) throws ExitRequest {
        throw ExitRequest.die(switch (c) {
            case O_SOCKET, 's' -> "-s is for passt / vhost-user mode only";
            case O_ONE_OFF, '1' -> "--one-off is for passt mode only";
            case O_NO_DHCP_DNS -> "--no-dhcp-dns is for passt mode only";
            case O_NO_DHCP_SEARCH -> "--no-dhcp-search is for passt mode only";
            case O_REPAIR_PATH -> "--repair-path is for vhost-user mode only";
            case O_MIGRATE_EXIT -> "--migrate-exit is for vhost-user mode only";
            case O_MIGRATE_NO_LINGER -> "--migrate-no-linger is for vhost-user mode only";
            // pasta turns into passt's vhost-user mode: not ours to offer, so refused (words of our own)
            default -> "--vhost-user is for passt mode only";
        });
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
                s.nsIfname = checked(arg, 1, IFNAMSIZ, "Invalid interface name: ");
            }
            case 'p' -> {
                s.pcapFile = checked(arg, 1, PATH_MAX, "Invalid pcap path: ");
            }
            case 'c' -> {
                // pesto's control socket (issue 16): the path must fit a sockaddr_un; the last one given counts
                if (arg.isEmpty() || arg.getBytes(StandardCharsets.UTF_8).length >= UnixServer.PATH_MAX) {
                    throw ExitRequest.die("Invalid configuration path: " + arg);
                }
                s.confPath = arg;
            }
            case O_API -> {
                if (arg.isEmpty() || arg.getBytes(StandardCharsets.UTF_8).length >= UnixServer.PATH_MAX) {
                    throw ExitRequest.die("Invalid API socket path: " + arg);
                }
                s.apiPath = arg;
            }
            case 'P' -> {
                s.pidFile = checked(arg, 1, PATH_MAX, "Invalid PID file: ");
            }
            case 'm' -> {
                s.mtu = mtu(arg);
            }
            case 'M' -> s.macAddr = OptionValues.mac(arg);
            case O_NS_MAC -> s.nsMacAddr = OptionValues.mac(arg);
            case 'H' -> {
                // pasta takes an empty name, and one too long for sethostname(2) with a warning, and goes on
                if (arg.length() > HOST_NAME_MAX) {
                    s.warnings.add("Unable to set configured hostname");
                    s.hostname = null;
                } else {
                    s.hostname = arg.isEmpty() ? null : arg;
                }
            }
            default -> s.fqdn = arg.isEmpty() ? null : checked(arg, 0, FQDN_MAX + 1, "Invalid FQDN: ");
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
        if (which.takesNone && arg.equals("none")) {
            none(s, which, true);
            s.perFamily[i] = AddrPair.NONE;
            return;
        }
        int slash = which == FamilyOption.ADDRESS ? arg.indexOf('/') : -1;
        InetAddress a = IpLiteral.parse(slash < 0 ? arg : arg.substring(0, slash));
        if (a == null || which.refuses(a)) {
            throw ExitRequest.die(which.message + arg);
        }
        if (slash >= 0) {
            addressPrefix(s, a, arg, slash);
        }
        if (which.takesNone) {
            none(s, which, false);
        }
        s.perFamily[i] = s.perFamily[i].with(a);
    }

    /** {@code -a ADDR/LEN}: the IPv4 prefix length as {@code -n} gives it (never both); IPv6's is read, unused. */
    private static void addressPrefix(State s, InetAddress a, String arg, int slash) throws ExitRequest {
        long len = OptionValues.strtol(arg.substring(slash + 1), 10);
        if (len == OptionValues.INVALID) {
            throw ExitRequest.die(FamilyOption.ADDRESS.message + arg);
        }
        if (len < 0 || len > (a instanceof Inet4Address ? 32 : 128)) {
            throw ExitRequest.die("Invalid prefix length: " + arg);
        }
        if (a instanceof Inet4Address) {
            if (s.netmask >= 0) {
                throw ExitRequest.die("Redundant prefix length specification");
            }
            s.netmask = (int) len;
            s.prefixInAddress = true;
        }
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
            if (arg.isEmpty() || arg.length() >= IFNAMSIZ) {
                throw ExitRequest.die("Invalid interface name " + arg + ": No such device");
            }
            s.iface = arg;
            return;
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
            // pasta 2026: the last of -4 and -6 counts
            case '4' -> {
                s.switches.remove(Options.Switch.IPV6_ONLY);
                s.switches.add(Options.Switch.IPV4_ONLY);
            }
            case '6' -> {
                s.switches.remove(Options.Switch.IPV4_ONLY);
                s.switches.add(Options.Switch.IPV6_ONLY);
            }
            case O_NO_SPLICE -> s.switches.add(Options.Switch.NO_SPLICE); // refused with --splice-only, after all
            default -> s.switches.add(Options.Switch.SPLICE_ONLY);
        }
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

    /**
     * Debian's 2023 pasta refused some options given twice ({@code Multiple --pcap options given}); pasta 2026 takes
     * the last one of most. These still refuse a second one, as both do: {@code --runas}, {@code -F}, {@code -l}.
     */
    private static void once(boolean alreadySet, String longName) throws ExitRequest {
        if (alreadySet) {
            throw ExitRequest.die("Multiple --" + longName + " options given");
        }
    }

    private static void dns(State s, String arg) throws ExitRequest {
        // pasta 2026: "none" drops the addresses given before it, an address after it counts again
        if (arg.equals("none")) {
            s.dnsNone = true;
            s.dns.clear();
            s.dns4 = s.dns6 = 0;
            return;
        }
        s.dnsNone = false;
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
            s.searchNone = true;
            s.search.clear();
            return;
        }
        s.searchNone = false;
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
        if (arg.isEmpty()) {
            throw ExitRequest.die("Cannot use DNS search domain " + arg); // pasta: "" is refused, " " is not
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
