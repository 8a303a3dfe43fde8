package io.jpasta.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;
import io.jpasta.tap.flow.Inany;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SysTcpSocks} on real loopback sockets of the test's own network namespace: peeking at offsets and releasing
 * as the engine does, with the kernel's peek offset tracked rather than set before every peek, and the send space.
 */
class SysTcpSocksTest {
    private static final int LOOPBACK = 0x7f00_0001;

    private Epoll epoll;
    private SysTcpSocks socks;
    private int listener = -1, ours = -1, peer = -1;

    @BeforeAll
    static void library() {
        Sys.load();
    }

    @BeforeEach
    void connect() throws IOException {
        epoll = new Epoll();
        socks = new SysTcpSocks(epoll);
        listener = Sys.socket(Linux.AF_INET, Linux.SOCK_STREAM | Linux.SOCK_CLOEXEC, 0);
        ByteBuffer sa = Sys.buffer(16);
        ByteBuffer be = sa.duplicate().order(ByteOrder.BIG_ENDIAN);
        sa.putShort(0, (short) Linux.AF_INET);
        be.putInt(4, LOOPBACK);
        assertEquals(0, Sys.bind(listener, Sys.address(sa), 16));
        assertEquals(0, Sys.listen(listener, 1));
        ByteBuffer len = Sys.buffer(4).putInt(0, 16);
        assertEquals(0, Sys.getsockname(listener, Sys.address(sa), Sys.address(len)));
        int port = Short.toUnsignedInt(be.getShort(2));
        ours = socks.connect(0, Inany.V4_HI, Inany.v4Lo(LOOPBACK), port);
        assertTrue(ours >= 0, "connect: " + ours);
        peer = Sys.accept4(listener, 0, 0, Linux.SOCK_CLOEXEC); // blocking: loopback connects at once
        assertTrue(peer >= 0, "accept: " + peer);
    }

    @AfterEach
    void close() {
        for (int fd : new int[] {ours, peer, listener}) {
            if (fd >= 0) {
                Sys.close(fd);
            }
        }
        epoll.close();
    }

    /** ioctl request for the bytes in a TCP socket's receive queue (FIONREAD). */
    private static final long SIOCINQ = 0x541B;

    private void peerSends(byte[] data) {
        MemorySegment m = Arena.ofAuto().allocate(data.length);
        MemorySegment.copy(data, 0, m, ValueLayout.JAVA_BYTE, 0, data.length);
        assertEquals(data.length, Sys.sendto(peer, m.address(), data.length, 0, 0, 0));
    }

    /** Waits (at most 2 s) until {@code n} bytes wait in the receive queue of {@code fd} (SIOCINQ). */
    private static void awaitQueued(int fd, int n) {
        MemorySegment count = Arena.ofAuto().allocate(4);
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (true) {
            assertEquals(0, Sys.ioctl(fd, SIOCINQ, count.address()), "ioctl(SIOCINQ)");
            int queued = count.get(ValueLayout.JAVA_INT, 0);
            if (queued >= n) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "only " + queued + " of " + n + " bytes arrived in 2 s");
            LockSupport.parkNanos(100_000);
        }
    }

    /** Peeks {@code len} bytes at {@code skip} into 1000-byte slots 1100 bytes apart, as the engine's frames. */
    private byte[] peek(int skip, int len) {
        MemorySegment frames = Arena.ofAuto().allocate(1100L * Tcp.FRAMES);
        long got = socks.peek(ours, skip, frames, 100, 1100, 1000, len);
        assertTrue(got >= 0, "peek: " + got);
        byte[] out = new byte[(int) got];
        for (int done = 0, i = 0; done < got; i++) {
            int n = (int) Math.min(1000, got - done);
            MemorySegment.copy(frames, ValueLayout.JAVA_BYTE, 100 + 1100L * i, out, done, n);
            done += n;
        }
        return out;
    }

    @Test
    void peeksAtOffsetsAcrossReleasesAndRewinds() {
        byte[] data = new byte[20_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + (i >> 8));
        }
        peerSends(data);
        awaitQueued(ours, data.length);
        assertArrayEquals(Arrays.copyOfRange(data, 0, 5000), peek(0, 5000));
        // where the last peek ended: the kernel's own offset, no setsockopt
        assertArrayEquals(Arrays.copyOfRange(data, 5000, 9000), peek(5000, 4000));
        // the guest acknowledged 3000: released, so offsets count from there
        assertEquals(3000, socks.discard(ours, 3000));
        assertArrayEquals(Arrays.copyOfRange(data, 9000, 12_000), peek(6000, 3000));
        // a retransmission goes back to the acknowledged point
        assertArrayEquals(Arrays.copyOfRange(data, 3000, 4000), peek(0, 1000));
        assertArrayEquals(Arrays.copyOfRange(data, 4000, 20_000), peek(1000, 16_000));
        assertEquals(-11, socks.peek(ours, 17_000, Arena.ofAuto().allocate(1100), 0, 1100, 1000, 1000),
                "EAGAIN past the end");
    }

    @Test
    void sendSpaceIsTheSendBufferLessWhatIsQueued() {
        int full = socks.sendSpace(ours);
        assertEquals(Sys.getsockoptInt(ours, Linux.SOL_SOCKET, Linux.SO_SNDBUF), full);
        assertTrue(full >= SysTcpSocks.SNDBUF, "our send buffer: " + full);
        assertEquals(full, socks.sendSpace(ours), "read once, same answer");
    }

    @Test
    void watchRegistersAnAcceptedSocketThenModifiesIt() {
        // the peer's end stands in for a socket a listener accepted: not in the epoll set yet
        assertEquals(0, socks.watch(peer, 5, TcpSocks.EPOLLRDHUP));
        assertEquals(0, socks.watch(peer, 5, TcpSocks.EPOLLIN | TcpSocks.EPOLLRDHUP));
        MemorySegment m = Arena.ofAuto().allocate(3);
        assertEquals(3, Sys.sendto(ours, m.address(), 3, 0, 0, 0));
        int n = epoll.await(1000); // our connected socket (writable) reports too
        int seen = 0;
        for (int i = 0; i < n; i++) {
            if (Epoll.fd(epoll.data(i)) == peer) {
                assertEquals(5, Epoll.index(epoll.data(i)));
                assertTrue((epoll.events(i) & TcpSocks.EPOLLIN) != 0);
                seen++;
            }
        }
        assertEquals(1, seen, "the accepted socket's data event, with its flow");
    }
}
