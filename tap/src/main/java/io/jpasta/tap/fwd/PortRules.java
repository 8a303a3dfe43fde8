package io.jpasta.tap.fwd;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The port forwarding rules of one protocol in one direction ({@code -t}, {@code -u}, {@code -T} or {@code -U}),
 * built from every specification given for that option, in order, by a {@link Builder}. Immutable.
 *
 * <p>Content: a {@link Mode}; a 65536-bit map of forwarded ports; for each forwarded port its target port in the
 * other namespace, whether it was listed explicitly or only implied by an exclude-only spec or {@code all}
 * (best effort: the listener may skip ephemeral ports and ignore bind failures), and the {@link Bind} (address and
 * interface, both optional) of the specification that forwarded it. A port can be forwarded by one specification
 * only: pasta rejects a second one with {@code Overlapping port specifier}.
 *
 * <p>Grammar of one specification (pasta's man page): {@code none} | {@code auto} | {@code all} |
 * {@code [ADDR][%IF]/}{@code LIST}, where LIST is a comma separated list of {@code P}, {@code A-B},
 * {@code P:T}, {@code A-B:C-D} (ranges of equal size) and {@code ~P}, {@code ~A-B} (excluded from the other items
 * of the same specification; a list made only of excludes forwards every port from 1 to 65535 but those).
 */
public final class PortRules {
    /** Number of TCP/UDP port numbers. */
    public static final int NUM_PORTS = 65536;
    /** Largest interface name that fits IFNAMSIZ with its terminating NUL. */
    public static final int IFNAME_MAX = 15;

    private static final int WORD_BITS = 64;
    private static final int WORDS = NUM_PORTS / WORD_BITS;

    /** What the option asks for, in the order pasta records it. */
    public enum Mode {
        /** No specification given: the caller applies pasta's default ({@code auto} for pasta). */
        UNSET,
        /** {@code none}: forward nothing. */
        NONE,
        /** {@code auto}: follow the listening sockets of the source side, rescanning as pasta does. */
        AUTO,
        /** Explicit port lists. */
        SPEC,
        /** {@code all} (passt only): every non-ephemeral port, best effort. */
        ALL
    }

    /**
     * Where the host side listener of a specification binds.
     *
     * @param address bind address, or null for both families on the wildcard address (dual stack)
     * @param iface   interface to bind to with SO_BINDTODEVICE, or null
     */
    public record Bind(InetAddress address, String iface) {
        /** Dual stack on every interface: what a specification without {@code ADDR/} means. */
        public static final Bind ANY = new Bind(null, null);
    }

    private static final PortRules UNSET_RULES = new PortRules(Mode.UNSET, new long[WORDS], new long[WORDS], null,
            List.of(Bind.ANY), null);
    private static final PortRules NONE_RULES = new PortRules(Mode.NONE, new long[WORDS], new long[WORDS], null,
            List.of(Bind.ANY), null);
    private static final PortRules AUTO_RULES = new PortRules(Mode.AUTO, new long[WORDS], new long[WORDS], null,
            List.of(Bind.ANY), null);

    private final Mode mode;
    private final long[] map;
    private final long[] explicit;
    private final char[] target;      // null: every port maps to itself
    private final List<Bind> binds;
    private final byte[] bindIndex;   // null: every port uses binds.get(0)

    private PortRules(Mode mode, long[] map, long[] explicit, char[] target, List<Bind> binds, byte[] bindIndex) {
        this.mode = mode;
        this.map = map;
        this.explicit = explicit;
        this.target = target;
        this.binds = binds;
        this.bindIndex = bindIndex;
    }

    /** @return rules of an option that was not given (mode {@link Mode#UNSET}, nothing forwarded) */
    public static PortRules unset() {
        return UNSET_RULES;
    }

    /** @return rules that forward nothing ({@code none}) */
    public static PortRules none() {
        return NONE_RULES;
    }

    /** @return rules in {@code auto} mode; the forwarded set is discovered at run time, so the map is empty */
    public static PortRules auto() {
        return AUTO_RULES;
    }

    /** @return the mode; {@link Mode#UNSET} if no specification was given */
    public Mode mode() {
        return mode;
    }

    /** @return true in {@code auto} mode: ports are discovered from the other side's listening sockets */
    public boolean isAuto() {
        return mode == Mode.AUTO;
    }

    /** @return true if no specification was given, so pasta's default applies */
    public boolean isUnset() {
        return mode == Mode.UNSET;
    }

    /** @return true if {@code port} (0-65535) is forwarded by an explicit item, an exclude-only spec or all */
    public boolean isForwarded(int port) {
        return (map[port >>> 6] & (1L << port)) != 0;
    }

    /**
     * @return true if {@code port} is forwarded because a specification named it (a port or range), false if it is
     *         not forwarded or only implied by an exclude-only spec or {@code all}: such ports are bound on a best
     *         effort basis (bind failures ignored, ephemeral ports skipped by the listener)
     */
    public boolean isExplicit(int port) {
        return (explicit[port >>> 6] & (1L << port)) != 0;
    }

    /** @return the port connections to forwarded {@code port} go to on the other side ({@code port} if unmapped) */
    public int target(int port) {
        return target == null ? port : target[port];
    }

    /** @return the first forwarded port not below {@code from}, or -1 if there is none */
    public int nextForwarded(int from) {
        if (from < 0) {
            from = 0;
        }
        if (from >= NUM_PORTS) {
            return -1;
        }
        int w = from >>> 6;
        long bits = map[w] & (-1L << from);
        while (true) {
            if (bits != 0) {
                return w * WORD_BITS + Long.numberOfTrailingZeros(bits);
            }
            if (++w == WORDS) {
                return -1;
            }
            bits = map[w];
        }
    }

    /** Calls {@code action} with every forwarded port, in increasing order. */
    public void forEachForwarded(IntConsumer action) {
        for (int p = nextForwarded(0); p >= 0; p = nextForwarded(p + 1)) {
            action.accept(p);
        }
    }

    /** @return how many ports are forwarded */
    public int count() {
        int n = 0;
        for (long w : map) {
            n += Long.bitCount(w);
        }
        return n;
    }

    /** @return true if some forwarded port has a target other than itself */
    public boolean hasMapping() {
        return target != null;
    }

    /** @return the bind of the specification that forwarded {@code port} ({@link Bind#ANY} if none) */
    public Bind bind(int port) {
        return bindIndex == null ? binds.get(0) : binds.get(bindIndex[port] & 0xff);
    }

    /**
     * @return the bind address of the first specification, or null for dual stack; when several specifications
     *         with different addresses were given, use {@link #bind(int)} per port or {@link #binds()}
     */
    public InetAddress bindAddress() {
        return binds.get(0).address();
    }

    /** @return the interface of the first specification, or null; see {@link #bindAddress()} */
    public String bindInterface() {
        return binds.get(0).iface();
    }

    /** @return the distinct binds of the specifications, in order of first use (at least one) */
    public List<Bind> binds() {
        return binds;
    }

    @Override
    public String toString() {
        if (mode != Mode.SPEC && mode != Mode.ALL) {
            return mode.name().toLowerCase(java.util.Locale.ROOT);
        }
        StringBuilder sb = new StringBuilder();
        int p = nextForwarded(0);
        while (p >= 0) {
            int q = p;
            while (q + 1 < NUM_PORTS && isForwarded(q + 1) && target(q + 1) == target(q) + 1
                    && bind(q + 1).equals(bind(p)) && isExplicit(q + 1) == isExplicit(p)) {
                q++;
            }
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(p);
            if (q != p) {
                sb.append('-').append(q);
            }
            if (target(p) != p) {
                sb.append(':').append(target(p));
                if (q != p) {
                    sb.append('-').append(target(q));
                }
            }
            p = nextForwarded(q + 1);
        }
        return sb.toString();
    }

    /**
     * Accumulates the specifications of one option ({@code -t 22 -t 80} adds both), checking each as pasta does.
     * Not thread safe; {@link #build()} may be called once.
     */
    public static final class Builder {
        private static final int MAX_BINDS = 256;

        private final boolean pasta;
        private final String optionName;
        private Mode mode = Mode.UNSET;
        private long[] map;
        private long[] explicit;
        private char[] target;
        private List<Bind> binds;
        private byte[] bindIndex;

        /**
         * @param pasta      true in pasta mode (allows {@code auto}, refuses {@code all}), false for passt
         * @param optionName short option letter as pasta prints it in messages, e.g. {@code "-t"}
         */
        public Builder(boolean pasta, String optionName) {
            this.pasta = pasta;
            this.optionName = optionName;
        }

        /** @return the option this builder collects, e.g. {@code "-t"} */
        public String optionName() {
            return optionName;
        }

        /**
         * Adds one specification, the argument of one {@code -t/-u/-T/-U}.
         *
         * @throws PortSpecException with pasta's message if the specification is malformed, overlaps ports
         *                           forwarded before, or conflicts with the mode set by an earlier one
         */
        public Builder add(String spec) throws PortSpecException {
            switch (spec) {
                case "none" -> setMode(Mode.NONE, spec);
                case "auto" -> {
                    checkNoMode(spec);
                    if (!pasta) {
                        throw new PortSpecException("'auto' port forwarding is only allowed for pasta");
                    }
                    mode = Mode.AUTO;
                }
                case "all" -> {
                    checkNoMode(spec);
                    if (pasta) {
                        throw new PortSpecException("'all' port forwarding is only allowed for passt");
                    }
                    mode = Mode.ALL;
                    allocate();
                    for (int p = 1; p < NUM_PORTS; p++) {
                        set(map, p);
                    }
                }
                default -> addList(spec);
            }
            return this;
        }

        private void setMode(Mode m, String spec) throws PortSpecException {
            checkNoMode(spec);
            mode = m;
        }

        private void checkNoMode(String spec) throws PortSpecException {
            if (mode != Mode.UNSET) {
                throw new PortSpecException("Port forwarding mode '" + spec + "' conflicts with previous mode");
            }
        }

        private void allocate() {
            if (map == null) {
                map = new long[WORDS];
                explicit = new long[WORDS];
                binds = new ArrayList<>(1);
            }
        }

        private void addList(String spec) throws PortSpecException {
            if (mode != Mode.UNSET && mode != Mode.SPEC) {
                throw new PortSpecException("Specific ports cannot be specified together with all/none/auto");
            }
            int slash = spec.indexOf('/');
            Bind bind = Bind.ANY;
            int listStart = 0;
            if (slash >= 0) {
                bind = parseBind(spec, slash);
                listStart = slash + 1;
            }
            if (listStart >= spec.length()) {
                throw invalid(spec);
            }
            long[] exclude = new long[WORDS];
            boolean includes = checkItems(spec, listStart, exclude);
            allocate();
            mode = Mode.SPEC;
            int b = bindIndexOf(bind, spec);
            if (!includes) {
                // Only excludes: every other port, best effort. Ports taken by earlier specifications stay theirs.
                for (int p = 1; p < NUM_PORTS; p++) {
                    if (!get(exclude, p) && !get(map, p)) {
                        set(map, p);
                        setBind(p, b);
                    }
                }
                return;
            }
            forwardItems(spec, listStart, exclude, b);
        }

        /**
         * First pass over the comma-separated items of {@code spec} from {@code from}: the syntax of every item, and
         * the ports this specification excludes ({@code ~PORT[-PORT]}), set in {@code exclude}.
         *
         * @return true if an item includes ports
         */
        private boolean checkItems(String spec, int from, long[] exclude) throws PortSpecException {
            int len = spec.length();
            boolean includes = false;
            int[] range = new int[4];
            for (int i = from; i <= len; ) {
                int end = spec.indexOf(',', i);
                if (end < 0) {
                    end = len;
                }
                if (end == i) {
                    throw invalid(spec);                   // empty item: "", ",", "22,", ",22"
                }
                if (spec.charAt(i) == '~') {
                    if (!parseItem(spec, i + 1, end, range) || range[2] >= 0) {
                        throw invalid(spec);
                    }
                    for (int p = range[0]; p <= range[1]; p++) {
                        if (get(exclude, p)) {
                            throw overlapping(spec);
                        }
                        set(exclude, p);
                    }
                } else {
                    if (!parseItem(spec, i, end, range)) {
                        throw invalid(spec);
                    }
                    includes = true;
                }
                i = end + 1;
            }
            return includes;
        }

        /** Second pass: forwards the ports of every including item, less the excluded ones, bound as {@code b}. */
        private void forwardItems(String spec, int from, long[] exclude, int b) throws PortSpecException {
            int len = spec.length();
            int[] range = new int[4];
            for (int i = from; i <= len; ) {
                int end = spec.indexOf(',', i);
                if (end < 0) {
                    end = len;
                }
                if (spec.charAt(i) != '~') {
                    parseItem(spec, i, end, range);
                    for (int p = range[0]; p <= range[1]; p++) {
                        if (get(exclude, p)) {
                            continue;
                        }
                        if (get(map, p)) {
                            throw overlapping(spec);
                        }
                        set(map, p);
                        set(explicit, p);
                        setBind(p, b);
                        mapTo(p, range[2] < 0 ? p : range[2] + (p - range[0]));
                    }
                }
                i = end + 1;
            }
        }

        /** Port {@code p} goes to port {@code to} on the other side (the table exists once a port is mapped). */
        private void mapTo(int p, int to) {
            if (to == p) {
                return;
            }
            if (target == null) {
                target = new char[NUM_PORTS];
                for (int q = 0; q < NUM_PORTS; q++) {
                    target[q] = (char) q;
                }
            }
            target[p] = (char) to;
        }

        private Bind parseBind(String spec, int slash) throws PortSpecException {
            int pct = spec.indexOf('%');
            int addrEnd = pct >= 0 && pct < slash ? pct : slash;
            String iface = null;
            if (addrEnd < slash) {
                int ifLen = slash - addrEnd - 1;
                if (ifLen > IFNAME_MAX) {
                    throw invalid(spec);
                }
                if (ifLen > 0) {
                    iface = spec.substring(addrEnd + 1, slash);
                }
            }
            InetAddress address = null;
            if (addrEnd > 0) {
                address = IpLiteral.parse(spec.substring(0, addrEnd));
                if (address == null) {
                    throw invalid(spec);
                }
            } else if (iface == null) {
                throw invalid(spec);                       // "/22" and "%/22": nothing before the slash
            }
            return address == null && iface == null ? Bind.ANY : new Bind(address, iface);
        }

        private int bindIndexOf(Bind bind, String spec) throws PortSpecException {
            int i = binds.indexOf(bind);
            if (i >= 0) {
                return i;
            }
            if (binds.size() == MAX_BINDS) {
                throw new PortSpecException("Too many port specifiers with addresses: " + spec);
            }
            binds.add(bind);
            return binds.size() - 1;
        }

        private void setBind(int port, int b) {
            if (b == 0 && bindIndex == null) {
                return;
            }
            if (bindIndex == null) {
                bindIndex = new byte[NUM_PORTS];
            }
            bindIndex[port] = (byte) b;
        }

        /**
         * Parses one item {@code A[-B][:C[-D]]} of {@code spec[from, to)} into {@code out}: first, last, first
         * target (-1 if none). Numbers are read as strtoul(3) in base 10 reads them (leading blanks and a '+'
         * allowed), as pasta does.
         *
         * @return false if the item is malformed, out of range, reversed, or maps ranges of different sizes
         */
        private static boolean parseItem(String spec, int from, int to, int[] out) {
            int[] cur = {from};
            int first = number(spec, cur, to);
            if (first < 0) {
                return false;
            }
            int last = first;
            if (cur[0] < to && spec.charAt(cur[0]) == '-') {
                cur[0]++;
                last = number(spec, cur, to);
                if (last < first) {
                    return false;
                }
            }
            int tFirst = -1;
            if (cur[0] < to && spec.charAt(cur[0]) == ':') {
                cur[0]++;
                tFirst = number(spec, cur, to);
                if (tFirst < 0) {
                    return false;
                }
                int tLast = tFirst;
                if (cur[0] < to && spec.charAt(cur[0]) == '-') {
                    cur[0]++;
                    tLast = number(spec, cur, to);
                    if (tLast < tFirst) {
                        return false;
                    }
                }
                if (tLast - tFirst != last - first) {
                    return false;
                }
            }
            if (cur[0] != to) {
                return false;
            }
            out[0] = first;
            out[1] = last;
            out[2] = tFirst;
            return true;
        }

        /** @return the port number at {@code spec[pos[0]]}, advancing {@code pos[0]}; -1 if none or above 65535 */
        private static int number(String spec, int[] pos, int to) {
            int i = pos[0];
            while (i < to && isBlank(spec.charAt(i))) {
                i++;
            }
            if (i < to && spec.charAt(i) == '+') {
                i++;
            }
            int start = i;
            long v = 0;
            while (i < to && spec.charAt(i) >= '0' && spec.charAt(i) <= '9') {
                v = Math.min(v * 10 + (spec.charAt(i) - '0'), NUM_PORTS);
                i++;
            }
            if (i == start || v >= NUM_PORTS) {
                return -1;
            }
            pos[0] = i;
            return (int) v;
        }

        private static boolean isBlank(char c) {
            return c == ' ' || (c >= '\t' && c <= '\r');
        }

        private static PortSpecException invalid(String spec) {
            return new PortSpecException("Invalid port specifier '" + spec + "'");
        }

        private static PortSpecException overlapping(String spec) {
            return new PortSpecException("Overlapping port specifier " + spec);
        }

        /** @return the rules collected so far; {@link PortRules#unset()} if nothing was added */
        public PortRules build() {
            return switch (mode) {
                case UNSET -> UNSET_RULES;
                case NONE -> NONE_RULES;
                case AUTO -> AUTO_RULES;
                case SPEC, ALL -> new PortRules(mode, map, explicit, target,
                        binds.isEmpty() ? List.of(Bind.ANY) : List.copyOf(binds), bindIndex);
            };
        }
    }

    private static boolean get(long[] bits, int p) {
        return (bits[p >>> 6] & (1L << p)) != 0;
    }

    private static void set(long[] bits, int p) {
        bits[p >>> 6] |= 1L << p;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PortRules r && mode == r.mode && Arrays.equals(map, r.map)
                && Arrays.equals(explicit, r.explicit) && toString().equals(r.toString());
    }

    @Override
    public int hashCode() {
        return mode.hashCode() * 31 + Arrays.hashCode(map);
    }
}
