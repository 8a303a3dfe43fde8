package io.jpasta.launcher.control;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The forwarding rules of one pif (HOST: from the host into the namespace; SPLICE: from the namespace's loopback to
 * the host), in the order they were added, with the capabilities that decide which rules it takes. A rule is
 * checked when added exactly as pasta checks one (ranges, flags, families, protocols, target address, overlaps
 * with rules already there, limits); a refused rule comes back as pasta's warning text.
 */
public final class FwdTable {
    /** Capabilities of a table: which families, protocols and flags it takes. */
    public static final int CAP_IPV4 = 1, CAP_IPV6 = 2, CAP_TCP = 4, CAP_UDP = 8, CAP_SCAN = 16, CAP_IFNAME = 32;
    /** Most rules per table: their index fits 8 bits. */
    public static final int MAX_RULES = 255;
    /** Most listening sockets the rules of one table may ask for, as pasta counts them (one per port). */
    static final long MAX_LISTEN_SOCKS = 65536L * 5;

    private final int pif;
    private final String name;
    private final int caps;
    private final List<FwdRule> rules = new ArrayList<>();
    private long socks;

    /**
     * @param pif  the pif's number on the wire
     * @param name its name, {@code HOST} or {@code SPLICE}
     * @param caps {@code CAP_*} bits
     */
    public FwdTable(int pif, String name, int caps) {
        this.pif = pif;
        this.name = name;
        this.caps = caps;
    }

    public int pif() {
        return pif;
    }

    public String name() {
        return name;
    }

    public int caps() {
        return caps;
    }

    /** @return the rules, in order (a read-only view) */
    public List<FwdRule> rules() {
        return Collections.unmodifiableList(rules);
    }

    /** @return a table of the same pif and capabilities without rules */
    public FwdTable emptyCopy() {
        return new FwdTable(pif, name, caps);
    }

    /**
     * Checks {@code r} as pasta does and appends it.
     *
     * @return null if added, else pasta's warning saying why not (the table is unchanged)
     */
    public String add(FwdRule r) {
        String problem = check(r);
        if (problem != null) {
            return problem;
        }
        for (FwdRule old : rules) {
            if (conflict(r, old)) {
                return "Forwarding configuration conflict: " + r.text() + " versus " + old.text();
            }
        }
        if (rules.size() >= MAX_RULES) {
            return "Too many rules (maximum " + MAX_RULES + ")";
        }
        int ports = r.last() - r.first() + 1;
        if (socks + ports > MAX_LISTEN_SOCKS) {
            return "Rules require too many listening sockets (maximum " + MAX_LISTEN_SOCKS + ")";
        }
        rules.add(r);
        socks += ports;
        return null;
    }

    /** @return why {@code r} cannot be in this table on its own, or null if it can */
    private String check(FwdRule r) {
        if (r.first() > r.last()) {
            return "Rule has invalid port range " + r.first() + "-" + r.last();
        }
        if (r.first() == 0) {
            return "Forwarding rule attempts to map from port 0";
        }
        if (r.to() == 0 || r.to() + r.last() - r.first() > 0xffff) {
            return "Forwarding rule attempts to map to port 0";
        }
        if ((r.flags() & ~FwdRule.ALL_FLAGS) != 0) {
            return "Rule has invalid flags 0x" + Integer.toHexString(r.flags() & ~FwdRule.ALL_FLAGS);
        }
        byte[] a = r.addr();
        boolean v4 = FwdRule.isV4(a, 0);
        if (r.has(FwdRule.DUAL_STACK_ANY)) {
            if (v4 || !FwdRule.unspecified(a, 0)) {
                return "Dual stack rule has non-wildcard address " + FwdRule.ntop(a, 0);
            }
            if ((caps & CAP_IPV4) == 0) {
                return "Dual stack forward, but IPv4 not enabled";
            }
            if ((caps & CAP_IPV6) == 0) {
                return "Dual stack forward, but IPv6 not enabled";
            }
        } else if (v4 && (caps & CAP_IPV4) == 0) {
            return "IPv4 forward, but IPv4 not enabled";
        } else if (!v4 && (caps & CAP_IPV6) == 0) {
            return "IPv6 forward, but IPv6 not enabled";
        }
        if (r.proto() == FwdRule.TCP) {
            if ((caps & CAP_TCP) == 0) {
                return "Can't add TCP forwarding rule, TCP not enabled";
            }
        } else if (r.proto() == FwdRule.UDP) {
            if ((caps & CAP_UDP) == 0) {
                return "Can't add UDP forwarding rule, UDP not enabled";
            }
        } else {
            return "Unsupported protocol 0x" + Integer.toHexString(r.proto()) + " (" + FwdRule.protoName(r.proto())
                    + ") for forwarding rule";
        }
        byte[] t = r.taddr();
        if (!FwdRule.unspecified(t, 0)) {
            boolean t4 = FwdRule.isV4(t, 0);
            String ts = FwdRule.ntop(t, 0);
            if (FwdRule.multicast(t, 0)) {
                return "Multicast target address " + ts + " for forwarding rule";
            }
            if (r.has(FwdRule.DUAL_STACK_ANY)) {
                return "Dual stack forward to " + (t4 ? "IPv4" : "IPv6") + " address " + ts + " unsupported";
            }
            if (v4 != t4) {
                return "Forward from " + (v4 ? "IPv4" : "IPv6") + " (" + FwdRule.ntop(a, 0) + ") to "
                        + (t4 ? "IPv4" : "IPv6") + " (" + ts + ") unsupported";
            }
            // pasta would forward to that address; our listeners only know the default target of each path
            return "Target address " + ts + " for forwarding rule not supported";
        }
        return null;
    }

    /**
     * @return true if {@code a} and {@code b} would take the same connections: same protocol, matching addresses
     *         (either is any of both families, or one is the unspecified address of the other's family, or they are
     *         equal) and overlapping port ranges. The interface does not count, as for pasta.
     */
    static boolean conflict(FwdRule a, FwdRule b) {
        if (a.proto() != b.proto() || a.last() < b.first() || b.last() < a.first()) {
            return false;
        }
        if (a.has(FwdRule.DUAL_STACK_ANY) || b.has(FwdRule.DUAL_STACK_ANY)) {
            return true;
        }
        byte[] x = a.addr(), y = b.addr();
        if (FwdRule.unspecified(x, 0) || FwdRule.unspecified(y, 0)) {
            return FwdRule.isV4(x, 0) == FwdRule.isV4(y, 0);
        }
        return java.util.Arrays.equals(x, y);
    }
}
