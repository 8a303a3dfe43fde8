package io.jpasta.launcher;

import io.jpasta.tap.fwd.IpLiteral;

import java.net.Inet4Address;

/**
 * Option values read the way pasta's C reads them: numbers as {@code strtol(3)} (but whole), netmasks dotted or as
 * a length, MAC addresses as colon separated hex bytes. Each method either returns the value or dies with pasta's
 * message.
 */
final class OptionValues {
    static final int MAC_LEN = 6;
    /** Result of {@link #strtol} for text that is not entirely a number, or out of range of a long. */
    static final long INVALID = Long.MIN_VALUE;

    private OptionValues() {
    }

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

    /** @return {@code -n}: a prefix length 0-32, from dotted-decimal (contiguous, not all ones) or a number */
    static int netmask(String arg) throws ExitRequest {
        Inet4Address dotted = arg.indexOf('.') >= 0 ? IpLiteral.parse4(arg) : null;
        if (dotted != null) {
            byte[] b = dotted.getAddress();
            int m = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
            int len = Integer.bitCount(m);
            // contiguous ones from the top, and not all ones (no room for a host)
            if (m != -1 && (len == 0 ? m == 0 : m == (-1 << (32 - len)))) {
                return len;
            }
            throw ExitRequest.die("Invalid prefix length: " + arg);
        }
        long v = strtol(arg, 10);
        if (v < 0 || v > 32) {
            throw ExitRequest.die("Invalid prefix length: " + arg);
        }
        return (int) v;
    }

    /** @return six bytes from {@code xx:xx:xx:xx:xx:xx} (one or two hex digits each) */
    static byte[] mac(String arg) throws ExitRequest {
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
}
