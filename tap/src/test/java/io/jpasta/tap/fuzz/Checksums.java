package io.jpasta.tap.fuzz;

/**
 * Internet checksums of whole frames in byte arrays, independent of the wire views under test: {@link #fix} makes a
 * fuzzed frame's IPv4 header checksum and TCP/UDP/ICMP/ICMPv6 checksum right (so that it passes the checks and
 * reaches the code behind them); {@link #problem} checks a frame we sent (lengths and every checksum).
 */
public final class Checksums {
    private static final int ETH = 14;

    private Checksums() {
    }

    /** Recomputes the checksums of {@code f} where its headers can be found; leaves anything else alone. */
    public static void fix(byte[] f) {
        walk(f, true);
    }

    /** @return null if {@code f} is an ARP frame or an IP frame with consistent lengths and right checksums */
    public static String problem(byte[] f) {
        if (f.length < ETH) {
            return "shorter than an Ethernet header";
        }
        int type = u16(f, 12);
        if (type == 0x0806) {
            return f.length >= ETH + 28 ? null : "short ARP";
        }
        if (type != 0x0800 && type != 0x86dd) {
            return "EtherType " + Integer.toHexString(type);
        }
        return walk(f, false);
    }

    private static String walk(byte[] f, boolean fix) {
        if (f.length < ETH + 20) {
            return "short IP";
        }
        int type = u16(f, 12);
        int l4, l4Len, proto;
        long pseudo;
        if (type == 0x0800) {
            int ihl = (f[ETH] & 0x0f) * 4;
            int total = u16(f, ETH + 2);
            if ((f[ETH] & 0xf0) != 0x40 || ihl < 20 || ETH + ihl > f.length) {
                return "bad IPv4 header length";
            }
            if (fix) {
                f[ETH + 10] = f[ETH + 11] = 0;
                put16(f, ETH + 10, (int) ~sum(f, ETH, ihl, 0) & 0xffff);
            } else if ((~sum(f, ETH, ihl, 0) & 0xffff) != 0) {
                return "bad IPv4 header checksum";
            }
            if (total < ihl || ETH + total > f.length) {
                return fix ? null : "IPv4 total length " + total + " beyond the frame";
            }
            if ((u16(f, ETH + 6) & 0x3fff) != 0) {
                return null; // a fragment: no transport checksum to compute
            }
            proto = f[ETH + 9] & 0xff;
            l4 = ETH + ihl;
            l4Len = total - ihl;
            pseudo = sum(f, ETH + 12, 8, 0) + proto + l4Len;
        } else if (type == 0x86dd) {
            if (f.length < ETH + 40) {
                return "short IPv6";
            }
            int payload = u16(f, ETH + 4);
            if (ETH + 40 + payload > f.length) {
                return fix ? null : "IPv6 payload length " + payload + " beyond the frame";
            }
            proto = f[ETH + 6] & 0xff;
            l4 = ETH + 40;
            int end = l4 + payload;
            while (proto == 0 || proto == 43 || proto == 60) {
                if (l4 + 8 > end) {
                    return fix ? null : "extension header beyond the payload";
                }
                proto = f[l4] & 0xff;
                l4 += ((f[l4 + 1] & 0xff) + 1) * 8;
            }
            if (proto == 44 || l4 > end) {
                return null;
            }
            l4Len = end - l4;
            pseudo = sum(f, ETH + 8, 32, 0) + proto + l4Len;
        } else {
            return fix ? null : "not IP";
        }
        int at;
        switch (proto) {
            case 6 -> at = 16;
            case 17 -> at = 6;
            case 1 -> {
                at = 2;
                pseudo = 0; // ICMPv4 covers the message only
            }
            case 58 -> at = 2;
            default -> {
                return null;
            }
        }
        if (l4Len < at + 2) {
            return fix ? null : "transport header cut short";
        }
        if (fix) {
            f[l4 + at] = f[l4 + at + 1] = 0;
            int c = (int) ~sum(f, l4, l4Len, pseudo) & 0xffff;
            put16(f, l4 + at, proto == 17 && c == 0 ? 0xffff : c);
            return null;
        }
        if (proto == 17 && u16(f, l4 + at) == 0 && type == 0x0800) {
            return null; // RFC 768: no checksum
        }
        return (~sum(f, l4, l4Len, pseudo) & 0xffff) == 0 ? null : "bad checksum, protocol " + proto;
    }

    private static long sum(byte[] f, int off, int len, long start) {
        long s = start;
        int i = 0;
        for (; i + 1 < len; i += 2) {
            s += u16(f, off + i);
        }
        if (i < len) {
            s += (f[off + i] & 0xff) << 8;
        }
        while (s >>> 16 != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return s;
    }

    private static int u16(byte[] f, int o) {
        return (f[o] & 0xff) << 8 | (f[o + 1] & 0xff);
    }

    private static void put16(byte[] f, int o, int v) {
        f[o] = (byte) (v >>> 8);
        f[o + 1] = (byte) v;
    }
}
