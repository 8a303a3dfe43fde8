package io.jpasta.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jpasta.netns.sys.Linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

class SockAddrsTest {
    private final ByteBuffer sa = ByteBuffer.allocateDirect(128).order(ByteOrder.nativeOrder());

    private ByteBuffer v4(int a, int b, int c, int d) {
        SockAddrs.write(sa, false, new byte[] {(byte) a, (byte) b, (byte) c, (byte) d}, 1234);
        return sa;
    }

    private ByteBuffer v6(byte... addr) {
        SockAddrs.write(sa, true, addr, 1234);
        return sa;
    }

    @Test
    void sockaddrIsLaidOutAsTheKernelWantsIt() {
        assertEquals(16, SockAddrs.write(sa, false, new byte[] {127, 0, 0, 1}, 0x1f90));
        assertEquals(Linux.AF_INET, sa.getShort(0));
        assertEquals(0x1f, sa.get(2));
        assertEquals((byte) 0x90, sa.get(3), "port in network byte order");
        assertEquals(127, sa.get(4));
        assertEquals(28, SockAddrs.write(sa, true, null, 80));
        assertEquals(Linux.AF_INET6, sa.getShort(0));
        for (int i = 8; i < 24; i++) {
            assertEquals(0, sa.get(i), "null address: any");
        }
    }

    @Test
    void loopbackPeersAreRecognisedInEveryForm() {
        assertTrue(SockAddrs.loopback(v4(127, 0, 0, 1)));
        assertTrue(SockAddrs.loopback(v4(127, 1, 2, 3)), "all of 127/8");
        assertFalse(SockAddrs.loopback(v4(192, 0, 2, 1)));
        byte[] lo6 = new byte[16];
        lo6[15] = 1;
        assertTrue(SockAddrs.loopback(v6(lo6)));
        assertFalse(SockAddrs.v4Mapped(v6(lo6)));
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1};
        assertTrue(SockAddrs.v4Mapped(v6(mapped)));
        assertTrue(SockAddrs.loopback(v6(mapped)), "IPv4 client of a dual-stack listener");
        byte[] doc = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        assertFalse(SockAddrs.loopback(v6(doc)));
    }
}
