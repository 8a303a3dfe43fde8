package io.jpasta.tap.fwd;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Strict parser of numeric IP addresses with the acceptance rules of glibc's {@code inet_pton(3)}: IPv4 only as
 * four dotted decimal octets without leading zeros, IPv6 as hexadecimal groups with at most one {@code ::} and an
 * optional dotted IPv4 tail; no brackets, no zone, no prefix length. Unlike {@link InetAddress#getByName} it never
 * resolves names, so a typo on the command line cannot turn into a DNS query at startup.
 */
public final class IpLiteral {
    private static final int IN4_LEN = 4;
    private static final int IN6_LEN = 16;
    private static final int OCTET_MAX = 255;
    private static final int GROUP_DIGITS_MAX = 4;

    private IpLiteral() {
    }

    /** @return the IPv4 or IPv6 address written in {@code s}, or null if {@code s} is not a valid literal */
    public static InetAddress parse(String s) {
        byte[] a = s.indexOf(':') >= 0 ? parse6(s, 0, s.length()) : parse4(s, 0, s.length());
        return a == null ? null : of(a);
    }

    /** @return the IPv4 address in {@code s}, or null if {@code s} is not a dotted-quad literal */
    public static Inet4Address parse4(String s) {
        byte[] a = parse4(s, 0, s.length());
        return a == null ? null : (Inet4Address) of(a);
    }

    /** @return the address of these 4 or 16 bytes, with no name attached and no lookup */
    public static InetAddress of(byte[] a) {
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("address of " + a.length + " bytes", e);
        }
    }

    /** @return the 4 bytes of the dotted quad in {@code s[from, to)}, or null when it is not one */
    static byte[] parse4(String s, int from, int to) {
        byte[] out = new byte[IN4_LEN];
        int octets = 0;
        int i = from;
        while (true) {
            if (i >= to || !isDigit(s.charAt(i)) || octets == IN4_LEN) {
                return null;
            }
            int start = i;
            int v = 0;
            while (i < to && isDigit(s.charAt(i))) {
                v = v * 10 + (s.charAt(i) - '0');
                if (v > OCTET_MAX) {
                    return null;
                }
                i++;
            }
            if (i - start > 1 && s.charAt(start) == '0') {
                return null;                       // inet_pton refuses "01": it would be octal for inet_aton
            }
            out[octets++] = (byte) v;
            if (i == to) {
                return octets == IN4_LEN ? out : null;
            }
            if (s.charAt(i) != '.') {
                return null;
            }
            i++;
        }
    }

    /** @return the 16 bytes of the IPv6 literal in {@code s[from, to)}, or null when it is not one */
    static byte[] parse6(String s, int from, int to) {
        byte[] out = new byte[IN6_LEN];
        int n = 0;                 // bytes written
        int gap = -1;              // byte index where "::" stands
        int i = from;
        if (i + 1 < to && s.charAt(i) == ':' && s.charAt(i + 1) == ':') {
            gap = 0;
            i += 2;
            if (i == to) {
                return out;
            }
        } else if (i < to && s.charAt(i) == ':') {
            return null;
        }
        while (i < to) {
            int start = i;
            int v = 0;
            while (i < to && hex(s.charAt(i)) >= 0) {
                v = (v << 4) | hex(s.charAt(i));
                i++;
                if (i - start > GROUP_DIGITS_MAX) {
                    return null;
                }
            }
            if (i < to && s.charAt(i) == '.') {    // dotted IPv4 tail: the last 4 bytes
                if (n + IN4_LEN > IN6_LEN) {
                    return null;
                }
                byte[] v4 = parse4(s, start, to);
                if (v4 == null) {
                    return null;
                }
                System.arraycopy(v4, 0, out, n, IN4_LEN);
                n += IN4_LEN;
                break;
            }
            if (i == start || n + 2 > IN6_LEN) {
                return null;
            }
            out[n++] = (byte) (v >> 8);
            out[n++] = (byte) v;
            if (i == to) {
                break;
            }
            if (s.charAt(i) != ':') {
                return null;
            }
            i++;
            if (i < to && s.charAt(i) == ':') {
                if (gap >= 0) {
                    return null;
                }
                gap = n;
                i++;
            } else if (i == to) {
                return null;                       // trailing single ':'
            }
        }
        if (gap < 0) {
            return n == IN6_LEN ? out : null;
        }
        if (n == IN6_LEN) {
            return null;                           // "::" must stand for at least one group
        }
        int tail = n - gap;
        System.arraycopy(out, gap, out, IN6_LEN - tail, tail);
        java.util.Arrays.fill(out, gap, IN6_LEN - tail, (byte) 0);
        return out;
    }

    /** @return true for the all-zero address of either family */
    public static boolean isUnspecified(InetAddress a) {
        return a.isAnyLocalAddress();
    }

    /** @return true for 127.0.0.0/8 and ::1 */
    public static boolean isLoopback(InetAddress a) {
        return a.isLoopbackAddress();
    }

    /** @return true for 224.0.0.0/4 and ff00::/8 */
    public static boolean isMulticast(InetAddress a) {
        return a.isMulticastAddress();
    }

    /** @return true if {@code a} is an IPv6 address (including IPv4-mapped ones, which Java reports as IPv4) */
    public static boolean isIpv6(InetAddress a) {
        return a instanceof Inet6Address;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
