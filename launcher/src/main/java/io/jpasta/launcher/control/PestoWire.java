package io.jpasta.launcher.control;

import java.nio.charset.StandardCharsets;

/**
 * Sizes, constants and the server's side of the encoding of pesto's protocol (layouts in the package
 * documentation). Integers are big-endian; names are NUL-padded.
 */
final class PestoWire {
    /** The server's magic: 7 characters and a NUL. */
    static final byte[] MAGIC = "basil:s\0".getBytes(StandardCharsets.US_ASCII);
    /** Protocol version 2: rules carry a target address (version 1 did not, and is not spoken by either side). */
    static final int VERSION = 2;
    /** Size of a pif name field, its NUL included. */
    static final int PIF_NAME_SIZE = 128;
    static final int HELLO_SIZE = 8 + 4 + 4 + 4;
    static final int PIF_INFO_SIZE = PIF_NAME_SIZE + 4 + 4;
    /** The longest greeting: hello, two full tables, the end mark. */
    static final int GREETING_MAX = HELLO_SIZE + 2 * (1 + PIF_INFO_SIZE + FwdTable.MAX_RULES * FwdRule.SIZE) + 1;

    private PestoWire() {
    }

    /** @return what the server sends a new client: the hello, then every table with its rules, then pif 0 */
    static byte[] greeting(RuleSet set) {
        int len = HELLO_SIZE + 1;
        for (FwdTable t : set.tables()) {
            len += 1 + PIF_INFO_SIZE + t.rules().size() * FwdRule.SIZE;
        }
        byte[] b = new byte[len];
        System.arraycopy(MAGIC, 0, b, 0, MAGIC.length);
        put32(b, 8, VERSION);
        put32(b, 12, PIF_NAME_SIZE);
        put32(b, 16, FwdRule.IFNAMSIZ);
        int off = HELLO_SIZE;
        for (FwdTable t : set.tables()) {
            b[off++] = (byte) t.pif();
            byte[] name = t.name().getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(name, 0, b, off, Math.min(name.length, PIF_NAME_SIZE - 1));
            off += PIF_NAME_SIZE;
            put32(b, off, t.caps());
            put32(b, off + 4, t.rules().size());
            off += 8;
            for (FwdRule r : t.rules()) {
                r.writeTo(b, off);
                off += FwdRule.SIZE;
            }
        }
        b[off] = RuleSet.PIF_NONE;
        return b;
    }

    static int get32(byte[] b, int off) {
        return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | b[off + 3] & 0xff;
    }

    static void put32(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }
}
