package io.jpasta.netns;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The listening-port query behind {@code auto}, live and read-only in the test's own namespace. */
class SockDiagTest {
    @BeforeAll
    static void load() {
        io.jpasta.netns.sys.Sys.load();
    }

    private static boolean has(long[] ports, int port) {
        return (ports[port >>> 6] & (1L << port)) != 0;
    }

    @Test
    void seesAListenerOnlyWhileItListens() throws IOException {
        try (SockDiag diag = SockDiag.open()) {
            assertNotNull(diag);
            int port;
            try (ServerSocket v4 = new ServerSocket()) {
                v4.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                port = v4.getLocalPort();
                long[] ports = new long[1024];
                assertEquals(0, diag.listening(ports));
                assertTrue(has(ports, port), "listening port " + port + " reported");
            }
            long[] after = new long[1024];
            assertEquals(0, diag.listening(after));
            assertFalse(has(after, port), "closed listener no longer reported");
        }
    }

    @Test
    void seesIpv6Listeners() throws IOException {
        try (SockDiag diag = SockDiag.open(); ServerSocket v6 = new ServerSocket()) {
            v6.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
            long[] ports = new long[1024];
            assertEquals(0, diag.listening(ports));
            assertTrue(has(ports, v6.getLocalPort()));
        }
    }
}
