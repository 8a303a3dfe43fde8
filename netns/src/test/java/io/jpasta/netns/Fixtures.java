package io.jpasta.netns;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

    static byte[] toBytes(MemorySegment seg, int len) {
        return seg.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
