package io.jpasta.tap.wire;

import java.lang.foreign.MemorySegment;

/**
 * The TCP options pasta looks at: MSS (RFC 9293 §3.2), window scale and timestamps (RFC 7323), SACK-permitted
 * (RFC 2018). Parsed into fields of a reused instance; unknown options are skipped by their length. Malformed
 * option lists (a length below 2 or past the end) stop the parse and leave what was found before them, as
 * Linux does.
 */
public final class TcpOptions {
    public static final int TCPOPT_EOL = 0, TCPOPT_NOP = 1, TCPOPT_MAXSEG = 2, TCPOPT_WINDOW = 3,
            TCPOPT_SACK_PERMITTED = 4, TCPOPT_SACK = 5, TCPOPT_TIMESTAMP = 8;
    public static final int TCPOLEN_MAXSEG = 4, TCPOLEN_WINDOW = 3, TCPOLEN_SACK_PERMITTED = 2,
            TCPOLEN_TIMESTAMP = 10;
    /** Largest window scale shift accepted (RFC 7323 §2.3): larger values are taken as 14. */
    public static final int TCP_MAX_WSCALE = 14;
    /** Not present. */
    public static final int NONE = -1;

    private int mss;
    private int wscale;
    private boolean sackPermitted;
    private boolean hasTimestamps;
    private int tsVal;
    private int tsEcr;

    /**
     * Parses {@code len} bytes of options at {@code off} (the caller took them from a header that fits).
     *
     * @return this, with fields set from the options found
     */
    public TcpOptions parse(MemorySegment seg, long off, int len) {
        mss = NONE;
        wscale = NONE;
        sackPermitted = false;
        hasTimestamps = false;
        tsVal = 0;
        tsEcr = 0;
        long end = off + len;
        long p = off;
        while (p < end) {
            int kind = Be.u8(seg, p);
            if (kind == TCPOPT_EOL) {
                break;
            }
            if (kind == TCPOPT_NOP) {
                p++;
                continue;
            }
            if (p + 2 > end) {
                break;
            }
            int olen = Be.u8(seg, p + 1);
            if (olen < 2 || p + olen > end) {
                break;
            }
            switch (kind) {
                case TCPOPT_MAXSEG -> {
                    if (olen == TCPOLEN_MAXSEG) {
                        mss = Be.u16(seg, p + 2);
                    }
                }
                case TCPOPT_WINDOW -> {
                    if (olen == TCPOLEN_WINDOW) {
                        wscale = Math.min(Be.u8(seg, p + 2), TCP_MAX_WSCALE);
                    }
                }
                case TCPOPT_SACK_PERMITTED -> sackPermitted = olen == TCPOLEN_SACK_PERMITTED;
                case TCPOPT_TIMESTAMP -> {
                    if (olen == TCPOLEN_TIMESTAMP) {
                        hasTimestamps = true;
                        tsVal = Be.i32(seg, p + 2);
                        tsEcr = Be.i32(seg, p + 6);
                    }
                }
                default -> {
                }
            }
            p += olen;
        }
        return this;
    }

    /** @return the MSS option value, or {@link #NONE} */
    public int mss() {
        return mss;
    }

    /** @return the window scale shift (clamped to 14), or {@link #NONE} */
    public int wscale() {
        return wscale;
    }

    public boolean sackPermitted() {
        return sackPermitted;
    }

    public boolean hasTimestamps() {
        return hasTimestamps;
    }

    public int tsVal() {
        return tsVal;
    }

    public int tsEcr() {
        return tsEcr;
    }

    /**
     * Writes SYN options in the layout Linux uses: MSS, then SACK-permitted and timestamps sharing a word, or
     * NOPs, then window scale. Options not wanted are left out; the result is padded to 4 bytes with NOPs.
     *
     * @param mss MSS to announce, or {@link #NONE}
     * @param wscale window scale shift, or {@link #NONE}
     * @return bytes written, a multiple of 4, at most 20
     */
    public static int writeSyn(MemorySegment seg, long off, int mss, boolean sackPermitted, boolean timestamps,
                               int tsVal, int tsEcr, int wscale) {
        long p = off;
        if (mss != NONE) {
            Be.put8(seg, p, TCPOPT_MAXSEG);
            Be.put8(seg, p + 1, TCPOLEN_MAXSEG);
            Be.put16(seg, p + 2, mss);
            p += 4;
        }
        if (timestamps) {
            if (sackPermitted) {
                Be.put8(seg, p, TCPOPT_SACK_PERMITTED);
                Be.put8(seg, p + 1, TCPOLEN_SACK_PERMITTED);
            } else {
                Be.put8(seg, p, TCPOPT_NOP);
                Be.put8(seg, p + 1, TCPOPT_NOP);
            }
            Be.put8(seg, p + 2, TCPOPT_TIMESTAMP);
            Be.put8(seg, p + 3, TCPOLEN_TIMESTAMP);
            Be.put32(seg, p + 4, tsVal);
            Be.put32(seg, p + 8, tsEcr);
            p += 12;
        } else if (sackPermitted) {
            Be.put8(seg, p, TCPOPT_NOP);
            Be.put8(seg, p + 1, TCPOPT_NOP);
            Be.put8(seg, p + 2, TCPOPT_SACK_PERMITTED);
            Be.put8(seg, p + 3, TCPOLEN_SACK_PERMITTED);
            p += 4;
        }
        if (wscale != NONE) {
            Be.put8(seg, p, TCPOPT_NOP);
            Be.put8(seg, p + 1, TCPOPT_WINDOW);
            Be.put8(seg, p + 2, TCPOLEN_WINDOW);
            Be.put8(seg, p + 3, wscale);
            p += 4;
        }
        return (int) (p - off);
    }
}
