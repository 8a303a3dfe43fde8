package io.jpasta.tap.wire;

import java.lang.foreign.MemorySegment;

/**
 * MAC addresses as the low 48 bits of a {@code long} (first octet in bits 47..40), so they can be kept in
 * fields and compared without allocation.
 */
public final class MacAddr {
    /** Length of a MAC address in octets. */
    public static final int LEN = 6;
    /** ff:ff:ff:ff:ff:ff. */
    public static final long BROADCAST = 0xffff_ffff_ffffL;
    /** pasta's default MAC for its own side of the tap, {@code 9a:55:9a:55:9a:55}. */
    public static final long PASTA_DEFAULT = 0x9a55_9a55_9a55L;
    /** Unknown / not yet learned. */
    public static final long NONE = 0;

    private MacAddr() {
    }

    /** @return the six octets at {@code off} */
    public static long read(MemorySegment seg, long off) {
        return (Integer.toUnsignedLong(Be.u16(seg, off)) << 32) | Integer.toUnsignedLong(Be.i32(seg, off + 2));
    }

    /** Writes {@code mac} as six octets at {@code off}. */
    public static void write(MemorySegment seg, long off, long mac) {
        Be.put16(seg, off, (int) (mac >>> 32));
        Be.put32(seg, off + 2, (int) mac);
    }

    /** @return true for group (multicast or broadcast) addresses: the I/G bit of the first octet */
    public static boolean isGroup(long mac) {
        return (mac & 0x0100_0000_0000L) != 0;
    }

    /**
     * IPv6 multicast to Ethernet mapping (RFC 2464 §7): 33:33 followed by the last 32 bits of the address.
     *
     * @param lo low 64 bits of the IPv6 multicast address
     */
    public static long ofIpv6Multicast(long lo) {
        return 0x3333_0000_0000L | (lo & 0xffff_ffffL);
    }

    /**
     * Parses {@code aa:bb:cc:dd:ee:ff}.
     *
     * @throws IllegalArgumentException if {@code s} is not six colon-separated hex octets
     */
    public static long parse(String s) {
        String[] parts = s.split(":", -1);
        if (parts.length != LEN) {
            throw new IllegalArgumentException("Invalid MAC address: " + s);
        }
        long mac = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 2) {
                throw new IllegalArgumentException("Invalid MAC address: " + s);
            }
            try {
                mac = (mac << 8) | Integer.parseInt(p, 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Invalid MAC address: " + s, e);
            }
        }
        return mac;
    }

    /** @return {@code aa:bb:cc:dd:ee:ff} in lower case */
    public static String toString(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            int b = (int) (mac >>> shift) & 0xff;
            sb.append(Character.forDigit(b >>> 4, 16)).append(Character.forDigit(b & 0xf, 16));
            if (shift > 0) {
                sb.append(':');
            }
        }
        return sb.toString();
    }
}
