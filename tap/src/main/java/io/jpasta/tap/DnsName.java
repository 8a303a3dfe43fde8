package io.jpasta.tap;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Domain names in DNS wire format (RFC 1035 §3.1: length-prefixed labels ending with a zero-length root label),
 * encoded once at setup for DHCP options 81/119, DHCPv6 options 24/39 and the NDP DNSSL option. No compression
 * (RFC 3397 allows it, but not every client decodes it).
 */
final class DnsName {
    /** Longest label (RFC 1035 §2.3.4). */
    static final int MAX_LABEL = 63;
    /** Longest encoded name. */
    static final int MAX_NAME = 255;

    private DnsName() {
    }

    /**
     * @return {@code name} in wire format, or null if it has an empty or overlong label or is too long; a
     *         trailing dot is accepted
     */
    static byte[] encode(String name) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (n.isEmpty()) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(n.length() + 2);
        for (String label : n.split("\\.", -1)) {
            byte[] b = label.getBytes(StandardCharsets.US_ASCII);
            if (b.length == 0 || b.length > MAX_LABEL) {
                return null;
            }
            out.write(b.length);
            out.writeBytes(b);
        }
        out.write(0);
        return out.size() > MAX_NAME ? null : out.toByteArray();
    }

    /** @return the valid names of {@code names} encoded and concatenated (invalid ones are left out) */
    static byte[] encodeAll(List<String> names) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String s : names) {
            byte[] b = encode(s);
            if (b != null) {
                out.writeBytes(b);
            }
        }
        return out.toByteArray();
    }
}
