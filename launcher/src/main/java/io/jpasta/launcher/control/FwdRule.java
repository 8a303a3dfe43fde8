package io.jpasta.launcher.control;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One forwarding rule as pesto and pasta exchange it: a range of listening ports on an address (or both families'
 * wildcard) and optionally an interface, the target port of the first one, the protocol and flags. Immutable; kept
 * as its 56-byte wire image (layout in the package documentation), so that a rule read from a client is sent back
 * byte for byte, and two rules are the same rule exactly when their images are equal, as for pasta.
 */
public final class FwdRule {
    /** Size of a rule on the wire. */
    public static final int SIZE = 56;
    /** IFNAMSIZ of Linux: interface names take at most 15 bytes and a NUL. */
    public static final int IFNAMSIZ = 16;
    static final int ADDR = 0, TADDR = 16, IFNAME = 32, FIRST = 48, LAST = 50, TO = 52, PROTO = 54, FLAGS = 55;

    /** IP protocol numbers (IANA). */
    public static final int ICMP = 1, TCP = 6, UDP = 17, ICMPV6 = 58;
    /** Flags: any address of either family (the address must be {@code ::}). */
    public static final int DUAL_STACK_ANY = 1;
    /** Flags: best effort, ports that cannot be bound are skipped. */
    public static final int WEAK = 2;
    /** Flags: only ports that listen on the other side are forwarded ({@code auto}). */
    public static final int SCAN = 4;
    /** Every flag a rule may carry. */
    public static final int ALL_FLAGS = DUAL_STACK_ANY | WEAK | SCAN;

    private static final byte[] ANY6 = new byte[16];

    private final byte[] b;

    private FwdRule(byte[] wire) {
        this.b = wire;
    }

    /** @return the rule whose wire image is {@code SIZE} bytes of {@code buf} at {@code off} (copied) */
    public static FwdRule fromWire(byte[] buf, int off) {
        return new FwdRule(Arrays.copyOfRange(buf, off, off + SIZE));
    }

    /**
     * @param proto  {@link #TCP} or {@link #UDP}
     * @param addr   listening address, 16 bytes, IPv4 as IPv4-mapped IPv6; ignored with {@link #DUAL_STACK_ANY}
     * @param ifname interface to listen on, or null
     * @param first  first listening port
     * @param last   last listening port
     * @param to     target port of {@code first}
     * @param flags  {@link #DUAL_STACK_ANY}, {@link #WEAK}, {@link #SCAN}
     */
    public static FwdRule of(int proto, byte[] addr, String ifname, int first, int last, int to, int flags) {
        byte[] w = new byte[SIZE];
        System.arraycopy((flags & DUAL_STACK_ANY) != 0 ? ANY6 : addr, 0, w, ADDR, 16);
        if (ifname != null) {
            byte[] n = ifname.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(n, 0, w, IFNAME, Math.min(n.length, IFNAMSIZ - 1));
        }
        put16(w, FIRST, first);
        put16(w, LAST, last);
        put16(w, TO, to);
        w[PROTO] = (byte) proto;
        w[FLAGS] = (byte) flags;
        return new FwdRule(w);
    }

    /** Copies the wire image to {@code dst} at {@code off}. */
    public void writeTo(byte[] dst, int off) {
        System.arraycopy(b, 0, dst, off, SIZE);
    }

    public int proto() {
        return b[PROTO] & 0xff;
    }

    public int flags() {
        return b[FLAGS] & 0xff;
    }

    public boolean has(int flag) {
        return (flags() & flag) != 0;
    }

    public int first() {
        return get16(b, FIRST);
    }

    public int last() {
        return get16(b, LAST);
    }

    /** @return the target port of {@link #first()}; port p goes to {@code to() + p - first()} */
    public int to() {
        return get16(b, TO);
    }

    /** @return the listening address, 16 bytes (a copy) */
    public byte[] addr() {
        return Arrays.copyOfRange(b, ADDR, ADDR + 16);
    }

    /** @return the target address, 16 bytes (a copy); unspecified means the default target of the path */
    public byte[] taddr() {
        return Arrays.copyOfRange(b, TADDR, TADDR + 16);
    }

    /** @return true if the interface name field holds its terminating NUL */
    public boolean ifnameTerminated() {
        return b[IFNAME + IFNAMSIZ - 1] == 0;
    }

    /** @return the interface name, "" if none */
    public String ifname() {
        int n = 0;
        while (n < IFNAMSIZ && b[IFNAME + n] != 0) {
            n++;
        }
        return new String(b, IFNAME, n, StandardCharsets.US_ASCII);
    }

    /** @return the listening address for a socket, null for any address of both families */
    public InetAddress bindAddress() {
        if (has(DUAL_STACK_ANY)) {
            return null;
        }
        try {
            return isV4(b, ADDR) ? InetAddress.getByAddress(Arrays.copyOfRange(b, ADDR + 12, ADDR + 16))
                    : InetAddress.getByAddress(addr());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes: cannot happen
        }
    }

    /** @return the 16-byte form of {@code a}: IPv4 as IPv4-mapped IPv6 */
    public static byte[] inany(InetAddress a) {
        byte[] r = new byte[16];
        if (a instanceof Inet4Address) {
            r[10] = (byte) 0xff;
            r[11] = (byte) 0xff;
            System.arraycopy(a.getAddress(), 0, r, 12, 4);
        } else {
            System.arraycopy(a.getAddress(), 0, r, 0, 16);
        }
        return r;
    }

    /** @return the rule as pasta prints it: {@code TCP [*]:22  =>  22 }, {@code UDP [::1]%lo:1-5  =>  11-15  (best effort)} */
    public String text() {
        StringBuilder sb = new StringBuilder(80).append(protoName(proto())).append(" [")
                .append(has(DUAL_STACK_ANY) ? "*" : ntop(b, ADDR)).append(']');
        String ifname = ifname();
        if (!ifname.isEmpty()) {
            sb.append('%').append(ifname);
        }
        sb.append(':').append(first());
        if (first() != last()) {
            sb.append('-').append(last());
        }
        sb.append("  =>  ");
        if (!unspecified(b, TADDR)) {
            sb.append(ntop(b, TADDR)).append(':');
        }
        sb.append(to());
        if (first() != last()) {
            sb.append('-').append((last() - first() + to()) & 0xffff);
        }
        sb.append(' ');
        if (has(WEAK)) {
            sb.append(" (best effort)");
        }
        if (has(SCAN)) {
            sb.append(" (auto-scan)");
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return text();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FwdRule r && Arrays.equals(b, r.b);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(b);
    }

    /** @return the protocol's name as pasta prints it */
    static String protoName(int proto) {
        return switch (proto) {
            case ICMP -> "ICMP";
            case TCP -> "TCP";
            case UDP -> "UDP";
            case ICMPV6 -> "ICMPv6";
            default -> "<unknown protocol>";
        };
    }

    // ---- addresses in their 16-byte form, as pasta's inany ----

    /** @return true if {@code a[off, off + 16)} is an IPv4-mapped address (RFC 4291 §2.5.5.2) */
    static boolean isV4(byte[] a, int off) {
        for (int i = 0; i < 10; i++) {
            if (a[off + i] != 0) {
                return false;
            }
        }
        return a[off + 10] == (byte) 0xff && a[off + 11] == (byte) 0xff;
    }

    /** @return true for {@code ::} and {@code 0.0.0.0} */
    static boolean unspecified(byte[] a, int off) {
        int from = isV4(a, off) ? 12 : 0;
        for (int i = from; i < 16; i++) {
            if (a[off + i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** @return true for IPv4 224/4 and IPv6 ff00::/8 */
    static boolean multicast(byte[] a, int off) {
        return isV4(a, off) ? (a[off + 12] & 0xf0) == 0xe0 : a[off] == (byte) 0xff;
    }

    /** @return the address as inet_ntop(3) writes it: dotted quad for IPv4-mapped ones, else IPv6 text */
    static String ntop(byte[] a, int off) {
        if (isV4(a, off)) {
            return (a[off + 12] & 0xff) + "." + (a[off + 13] & 0xff) + "." + (a[off + 14] & 0xff) + "."
                    + (a[off + 15] & 0xff);
        }
        int bestAt = -1, bestLen = 1; // glibc shortens runs of two or more zero groups, the first longest one
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && get16(a, off + 2 * j) == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestAt = i;
                bestLen = j - i;
            }
            i = Math.max(i, j);
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestAt) {
                sb.append(i == 0 ? "::" : ":");
                i += bestLen - 1;
                continue;
            }
            if (i == 6 && bestAt == 0 && (bestLen == 6 || bestLen == 5 && get16(a, off + 10) == 0xffff)) {
                // an IPv4-compatible tail, written as glibc does
                return sb.append(a[off + 12] & 0xff).append('.').append(a[off + 13] & 0xff).append('.')
                        .append(a[off + 14] & 0xff).append('.').append(a[off + 15] & 0xff).toString();
            }
            sb.append(Integer.toHexString(get16(a, off + 2 * i)));
            if (i < 7) {
                sb.append(':');
            }
        }
        return sb.toString();
    }

    static int get16(byte[] a, int off) {
        return (a[off] & 0xff) << 8 | a[off + 1] & 0xff;
    }

    static void put16(byte[] a, int off, int v) {
        a[off] = (byte) (v >>> 8);
        a[off + 1] = (byte) v;
    }
}
