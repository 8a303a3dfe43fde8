package io.jpasta.netns;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Reads the fixtures under {@code src/test/resources/netlink/}. */
final class Fixtures {
    private Fixtures() {
    }

    static byte[] bytes(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/netlink/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the bytes of an annotated hex fixture: {@code #} comments and blanks dropped */
    static byte[] hex(String name) {
        StringBuilder digits = new StringBuilder();
        for (String line : new String(bytes(name), StandardCharsets.US_ASCII).split("\n")) {
            int hash = line.indexOf('#');
            digits.append((hash >= 0 ? line.substring(0, hash) : line).replaceAll("\\s+", ""));
        }
        return HexFormat.of().parseHex(digits);
    }

    /** @return the first {@code len} bytes of {@code buf} (absolute: its position is left alone) */
    static byte[] toBytes(ByteBuffer buf, int len) {
        byte[] b = new byte[len];
        buf.get(0, b);
        return b;
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
