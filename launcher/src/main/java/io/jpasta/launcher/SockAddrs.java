package io.jpasta.launcher;

import io.jpasta.netns.sys.Linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code struct sockaddr_in} / {@code sockaddr_in6} in native buffers, as the listeners bind and accept them. The
 * fields of a sockaddr are in network byte order; our buffers are in native order.
 */
final class SockAddrs {
    static final int SOCKADDR_IN_LEN = 16, SOCKADDR_IN6_LEN = 28, SOCKADDR_MAX = 128;

    private SockAddrs() {
    }

    /** @return the length of the struct sockaddr written to {@code b} for {@code addr} (null: any) and port */
    static int write(ByteBuffer b, boolean v6, byte[] addr, int port) {
        for (int i = 0; i < SOCKADDR_IN6_LEN; i++) {
            b.put(i, (byte) 0);
        }
        b.putShort(0, (short) (v6 ? Linux.AF_INET6 : Linux.AF_INET));
        b.put(2, (byte) (port >>> 8)).put(3, (byte) port);
        if (addr != null) {
            b.put(v6 ? 8 : 4, addr);
        }
        return v6 ? SOCKADDR_IN6_LEN : SOCKADDR_IN_LEN;
    }

    /** @return true if the struct sockaddr in {@code b} is a loopback address (127/8, ::1, ::ffff:127/104) */
    static boolean loopback(ByteBuffer b) {
        if (b.getShort(0) == Linux.AF_INET) {
            return b.get(4) == 127;
        }
        if (v4Mapped(b)) {
            return b.get(8 + 12) == 127;
        }
        for (int i = 0; i < 15; i++) {
            if (b.get(8 + i) != 0) {
                return false;
            }
        }
        return b.get(8 + 15) == 1;
    }

    /** @return true if the struct sockaddr_in6 in {@code b} holds an IPv4-mapped address (::ffff:a.b.c.d) */
    static boolean v4Mapped(ByteBuffer b) {
        if (b.getShort(0) != Linux.AF_INET6) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (b.get(8 + i) != 0) {
                return false;
            }
        }
        return b.get(8 + 10) == (byte) 0xff && b.get(8 + 11) == (byte) 0xff;
    }

    /** @return the port of the sockaddr in {@code b} */
    static int port(ByteBuffer b) {
        return Short.toUnsignedInt(be16(b, 2));
    }

    static short be16(ByteBuffer b, int off) {
        short v = b.getShort(off);
        return b.order() == ByteOrder.BIG_ENDIAN ? v : Short.reverseBytes(v);
    }

    static int be32(ByteBuffer b, int off) {
        int v = b.getInt(off);
        return b.order() == ByteOrder.BIG_ENDIAN ? v : Integer.reverseBytes(v);
    }

    static long be64(ByteBuffer b, int off) {
        long v = b.getLong(off);
        return b.order() == ByteOrder.BIG_ENDIAN ? v : Long.reverseBytes(v);
    }
}
