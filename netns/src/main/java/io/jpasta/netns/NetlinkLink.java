package io.jpasta.netns;

/**
 * One network interface as an {@code RTM_NEWLINK} message describes it.
 *
 * @param index ifindex ({@code ifi_index})
 * @param name  {@code IFLA_IFNAME}
 * @param type  ARPHRD_* hardware type ({@code ifi_type}: 1 Ethernet, 772 loopback, 65534 none)
 * @param flags IFF_* flags ({@code ifi_flags}), see {@link Netlink#IFF_UP}
 * @param mtu   {@code IFLA_MTU}, 0 when the kernel sent none
 * @param mac   {@code IFLA_ADDRESS} when it is 6 bytes long, as {@link NetlinkLink#mac(byte[])} packs it; {@link
 *              #NO_MAC} otherwise (tun, ip tunnels)
 */
public record NetlinkLink(int index, String name, int type, int flags, int mtu, long mac) {
    /** {@link #mac} of a link without a 6-byte hardware address */
    public static final long NO_MAC = -1;

    public boolean isUp() {
        return (flags & Netlink.IFF_UP) != 0;
    }

    public boolean isLoopback() {
        return (flags & Netlink.IFF_LOOPBACK) != 0;
    }

    /** @return the 6 bytes of {@code mac} (first octet in bits 47..40) packed into the low 48 bits of a long */
    public static long mac(byte[] mac) {
        if (mac.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes, not " + mac.length);
        }
        long v = 0;
        for (byte b : mac) {
            v = (v << 8) | (b & 0xff);
        }
        return v;
    }

    /** @return the 6 bytes of a MAC packed by {@link #mac(byte[])} */
    public static byte[] macBytes(long mac) {
        byte[] b = new byte[6];
        for (int i = 5; i >= 0; i--) {
            b[i] = (byte) mac;
            mac >>>= 8;
        }
        return b;
    }

    /** @return {@code mac} as {@code 02:00:5e:10:00:01} */
    public static String macString(long mac) {
        if (mac == NO_MAC) {
            return "none";
        }
        StringBuilder sb = new StringBuilder(17);
        for (byte b : macBytes(mac)) {
            if (!sb.isEmpty()) {
                sb.append(':');
            }
            sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return sb.toString();
    }

    /**
     * @param text six colon-separated hex octets ({@code 02:00:5e:10:00:01})
     * @return the packed MAC
     * @throws IllegalArgumentException if {@code text} is not a MAC address
     */
    public static long parseMac(String text) {
        String[] parts = text.split(":", -1);
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        long v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 2) {
                throw new IllegalArgumentException("not a MAC address: " + text);
            }
            try {
                v = (v << 8) | Integer.parseInt(p, 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MAC address: " + text, e);
            }
        }
        return v;
    }

    @Override
    public String toString() {
        return index + ": " + name + " type " + type + " flags 0x" + Integer.toHexString(flags) + " mtu " + mtu
                + " mac " + macString(mac);
    }
}
