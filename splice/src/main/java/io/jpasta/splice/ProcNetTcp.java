package io.jpasta.splice;

import java.nio.ByteBuffer;

/**
 * Reads the listening ports out of {@code /proc/net/tcp} and {@code /proc/net/tcp6} text (proc(5)): every row whose
 * state is {@code 0A} (TCP_LISTEN) sets the bit of its local port. Works on the raw bytes, allocates nothing.
 *
 * <p>Row format: {@code "  sl: LOCAL_ADDR:PORT REM_ADDR:PORT ST ..."}, addresses and port in hexadecimal; the first
 * line is a header.
 */
public final class ProcNetTcp {
    private static final int TCP_LISTEN = 0x0A;

    private ProcNetTcp() {
    }

    /**
     * Sets in {@code ports} (a 65536-bit map, 1024 longs) the local port of every listening row of {@code len}
     * bytes of {@code text} starting at index 0.
     *
     * @return how many listening rows were found
     */
    public static int listening(ByteBuffer text, int len, long[] ports) {
        int found = 0;
        int i = nextLine(text, 0, len); // skip the header
        while (i < len) {
            int end = nextLine(text, i, len);
            // fields: sl, local, remote, state
            int p = skipSpaces(text, i, end);
            p = skipField(text, p, end);
            p = skipSpaces(text, p, end);
            int localStart = p;
            p = skipField(text, p, end);
            int localEnd = p;
            p = skipSpaces(text, p, end);
            p = skipField(text, p, end);
            p = skipSpaces(text, p, end);
            int state = hex(text, p, Math.min(p + 2, end));
            if (state == TCP_LISTEN) {
                int colon = localEnd - 1;
                while (colon > localStart && text.get(colon) != ':') {
                    colon--;
                }
                int port = hex(text, colon + 1, localEnd);
                if (colon > localStart && port >= 0 && port < 65536) {
                    ports[port >>> 6] |= 1L << port;
                    found++;
                }
            }
            i = end;
        }
        return found;
    }

    /** @return true if {@code port} is set in the 65536-bit map */
    public static boolean isSet(long[] ports, int port) {
        return (ports[port >>> 6] & (1L << port)) != 0;
    }

    private static int nextLine(ByteBuffer b, int i, int len) {
        while (i < len && b.get(i) != '\n') {
            i++;
        }
        return Math.min(i + 1, len);
    }

    private static int skipSpaces(ByteBuffer b, int i, int end) {
        while (i < end && (b.get(i) == ' ' || b.get(i) == '\t')) {
            i++;
        }
        return i;
    }

    private static int skipField(ByteBuffer b, int i, int end) {
        while (i < end && b.get(i) != ' ' && b.get(i) != '\t' && b.get(i) != '\n') {
            i++;
        }
        return i;
    }

    /** @return the value of the hex digits in {@code [from, to)}, or -1 if there are none or a non-digit */
    private static int hex(ByteBuffer b, int from, int to) {
        if (from >= to) {
            return -1;
        }
        int v = 0;
        for (int i = from; i < to; i++) {
            int d = Character.digit(b.get(i), 16);
            if (d < 0) {
                return -1;
            }
            v = v << 4 | d;
        }
        return v;
    }
}
