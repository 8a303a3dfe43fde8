package io.jpasta.launcher.control;

import io.jpasta.tap.fwd.PortRules;
import io.jpasta.tap.fwd.PortSpecException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The forwarding tables a command line starts with, as pasta 2026 builds them, so that pesto shows the same rules
 * for the same options: HOST takes {@code -t} and {@code -u}, SPLICE {@code -T} and {@code -U}, each in command line
 * order; an option not given means {@code auto}, whose rules come after the given ones (TCP, then UDP).
 *
 * <ul>
 * <li>{@code P}, {@code A-B}, {@code A-B:C-D}: one rule per item, split where an exclude ({@code ~P}) cuts it.
 * <li>Only excludes: ports 1-65535 but those and the ephemeral range, best effort ({@link FwdRule#WEAK}).
 * <li>{@code auto}: ports 1-65535 but the ephemeral range, best effort and scanned ({@link FwdRule#SCAN}).
 * <li>No address: any address of both families ({@link FwdRule#DUAL_STACK_ANY}), or 0.0.0.0 / :: when only one
 * family is enabled; {@code -T} and {@code -U} listen on the namespace's {@code lo}.
 * </ul>
 * The specifications were checked by {@link PortRules.Builder} when the options were parsed; this only reads them.
 */
public final class CommandLineRules {
    /** Where pasta reads the ephemeral port range; RFC 6335's range if it cannot. */
    static final String PORT_RANGE_SYSCTL = "/proc/sys/net/ipv4/ip_local_port_range";
    static final int EPHEMERAL_MIN_RFC6335 = 49152, EPHEMERAL_MAX_RFC6335 = 65535;
    private static final String LOOPBACK_IF = "lo";

    private final RuleSet set;
    private final int ephemeralMin, ephemeralMax;

    private CommandLineRules(RuleSet set, int ephemeralMin, int ephemeralMax) {
        this.set = set;
        this.ephemeralMin = ephemeralMin;
        this.ephemeralMax = ephemeralMax;
    }

    /**
     * @param specs        the port options in command line order: option letter ({@code t u T U}), then its spec
     * @param caps         the tables' capabilities ({@code FwdTable.CAP_*}); rules of a disabled protocol are left
     *                     out (pasta would refuse to start)
     * @param ephemeral    the ephemeral port range, {@code {min, max}}
     * @return the tables
     * @throws IOException with pasta's message if a rule does not fit its table (e.g. more than 255 of them)
     */
    public static CommandLineRules build(List<String> specs, int caps, int[] ephemeral) throws IOException {
        CommandLineRules b = new CommandLineRules(RuleSet.pasta(caps), ephemeral[0], ephemeral[1]);
        boolean[] given = new boolean[128];
        for (int i = 0; i + 1 < specs.size(); i += 2) {
            char opt = specs.get(i).charAt(0);
            given[opt] = true;
            b.spec(opt, specs.get(i + 1));
        }
        for (char opt : new char[] {'t', 'u', 'T', 'U'}) {
            if (!given[opt]) {
                b.spec(opt, "auto");
            }
        }
        return b;
    }

    /**
     * The rules of the given port options only (no {@code auto} default for the others), as an API client adds or
     * deletes them.
     *
     * @throws IOException with the option's message if a specification is bad or a rule does not fit its table
     */
    public static CommandLineRules of(List<String> specs, int caps) throws IOException {
        int[] ephemeral = ephemeralRange();
        CommandLineRules b = new CommandLineRules(RuleSet.pasta(caps), ephemeral[0], ephemeral[1]);
        for (int i = 0; i + 1 < specs.size(); i += 2) {
            b.spec(specs.get(i).charAt(0), specs.get(i + 1));
        }
        return b;
    }

    /** @return the tables built */
    public RuleSet rules() {
        return set;
    }

    /** @return the host's ephemeral port range from {@link #PORT_RANGE_SYSCTL}, or RFC 6335's */
    public static int[] ephemeralRange() {
        // Files.readString gives "3" of this file: the kernel reports a size of 0 and short reads
        try (InputStream in = Files.newInputStream(Path.of(PORT_RANGE_SYSCTL))) {
            String line = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim(); // "32768\t60999"
            int tab = line.indexOf('\t');
            int min = Integer.parseInt(line.substring(0, tab)), max = Integer.parseInt(line.substring(tab + 1));
            if (min >= 0 && min <= max && max < PortRules.NUM_PORTS) {
                return new int[] {min, max};
            }
        } catch (IOException | RuntimeException e) {
            // as pasta: fall back to the range RFC 6335 recommends
        }
        return new int[] {EPHEMERAL_MIN_RFC6335, EPHEMERAL_MAX_RFC6335};
    }

    private void spec(char opt, String spec) throws IOException {
        int proto = opt == 't' || opt == 'T' ? FwdRule.TCP : FwdRule.UDP;
        boolean ns = Character.isUpperCase(opt);
        FwdTable table = set.table(ns ? RuleSet.PIF_SPLICE : RuleSet.PIF_HOST);
        int caps = table.caps();
        if ((caps & (proto == FwdRule.TCP ? FwdTable.CAP_TCP : FwdTable.CAP_UDP)) == 0 || spec.equals("none")) {
            return;
        }
        PortRules all = parse(opt, spec);
        PortRules.Bind bind = all.binds().get(0);
        int flags = 0;
        byte[] addr = new byte[16];
        if (bind.address() != null) {
            addr = FwdRule.inany(bind.address());
        } else if ((caps & FwdTable.CAP_IPV6) == 0) {
            addr[10] = (byte) 0xff; // 0.0.0.0: IPv4 only
            addr[11] = (byte) 0xff;
        } else if ((caps & FwdTable.CAP_IPV4) != 0) {
            flags |= FwdRule.DUAL_STACK_ANY;
        }
        String ifname = bind.iface();
        if (ns && bind.address() == null && ifname == null && (caps & FwdTable.CAP_IFNAME) != 0) {
            ifname = LOOPBACK_IF;
        }
        if (all.isAuto()) {
            long[] ports = rangeBits(1, PortRules.NUM_PORTS - 1);
            clearRange(ports, ephemeralMin, ephemeralMax);
            runs(table, ports, null, proto, addr, ifname, flags | FwdRule.WEAK | FwdRule.SCAN);
            return;
        }
        int slash = spec.indexOf('/');
        String prefix = spec.substring(0, slash + 1);
        List<String> includes = new ArrayList<>();
        StringBuilder excludes = new StringBuilder();
        for (String item : spec.substring(slash + 1).split(",", -1)) {
            if (item.startsWith("~")) {
                excludes.append(',').append(item);
            } else {
                includes.add(item);
            }
        }
        if (includes.isEmpty()) {
            long[] ports = new long[PortRules.NUM_PORTS / 64];
            all.forEachForwarded(p -> ports[p >>> 6] |= 1L << p);
            clearRange(ports, ephemeralMin, ephemeralMax);
            runs(table, ports, all, proto, addr, ifname, flags | FwdRule.WEAK);
            return;
        }
        for (String item : includes) {
            PortRules one = parse(opt, prefix + item + excludes);
            long[] ports = new long[PortRules.NUM_PORTS / 64];
            one.forEachForwarded(p -> ports[p >>> 6] |= 1L << p);
            if ((ports[0] & 1) != 0) {
                throw new IOException("Forwarding rule attempts to map from port 0");
            }
            runs(table, ports, one, proto, addr, ifname, flags);
        }
    }

    private static PortRules parse(char opt, String spec) throws IOException {
        try {
            return new PortRules.Builder(true, "-" + opt).add(spec).build();
        } catch (PortSpecException e) {
            throw new IOException(e.getMessage(), e); // checked with the options already
        }
    }

    /**
     * Adds one rule per run of consecutive ports of {@code ports} whose targets in {@code map} (null: themselves)
     * are consecutive too.
     */
    private void runs(FwdTable table, long[] ports, PortRules map, int proto, byte[] addr, String ifname, int flags)
            throws IOException {
        for (int p = next(ports, 1); p > 0; ) {
            int q = p;
            int to = map == null ? p : map.target(p);
            while (q + 1 < PortRules.NUM_PORTS && isSet(ports, q + 1)
                    && (map == null ? q + 1 : map.target(q + 1)) == to + q + 1 - p) {
                q++;
            }
            FwdRule r = FwdRule.of(proto, addr, ifname, p, q, to, flags);
            String problem = table.add(r);
            if (problem != null) {
                throw new IOException(problem + "\nUnable to add rule " + r.text());
            }
            p = q + 1 < PortRules.NUM_PORTS ? next(ports, q + 1) : -1;
        }
    }

    private static int next(long[] bits, int from) {
        for (int w = from >>> 6; w < bits.length; w++) {
            long v = bits[w] & (w == from >>> 6 ? -1L << from : -1L);
            if (v != 0) {
                return w << 6 | Long.numberOfTrailingZeros(v);
            }
        }
        return -1;
    }

    private static boolean isSet(long[] bits, int p) {
        return (bits[p >>> 6] & 1L << p) != 0;
    }

    private static long[] rangeBits(int first, int last) {
        long[] b = new long[PortRules.NUM_PORTS / 64];
        for (int p = first; p <= last; p++) {
            b[p >>> 6] |= 1L << p;
        }
        return b;
    }

    private static void clearRange(long[] b, int first, int last) {
        for (int p = first; p <= last; p++) {
            b[p >>> 6] &= ~(1L << p);
        }
    }
}
