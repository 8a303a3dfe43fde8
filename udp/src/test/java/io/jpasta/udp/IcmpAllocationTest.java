package io.jpasta.udp;

import io.jpasta.tap.TapSink;
import io.jpasta.tap.flow.FlowTable;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IcmpAllocationTest {
    /**
     * Echo requests in and replies out allocate nothing per frame once the flows exist: measured with the JVM's
     * per-thread allocation counter, against a socket layer that itself allocates nothing (it echoes each request
     * back as a reply from a preallocated buffer).
     */
    @Test
    void steadyEchoTrafficAllocatesNothingPerFrame() {
        Echoer kernel = new Echoer();
        Icmp icmp = new Icmp(IcmpTest.conf(false), () -> new FlowTable(64, 7), kernel, null);
        MemorySegment[] frames = new MemorySegment[8];
        for (int i = 0; i < frames.length; i++) {
            byte[] b = IcmpTest.echo4(IcmpTest.GUEST4, IcmpTest.REMOTE4 + i, 100 + i, 1, 56);
            frames[i] = Arena.ofAuto().allocate(b.length);
            frames[i].copyFrom(MemorySegment.ofArray(b));
        }
        long[] sink = {0};
        TapSink out = (f, o, l) -> sink[0] += l;
        TapPath path = new TapPath(icmp, null, out);
        int n = 20_000;
        long allocated = allocatedInSecondRound(n, i -> {
            MemorySegment f = frames[i % frames.length];
            path.frame(f, (int) f.byteSize(), i);
            icmp.fromSock(kernel.lastFlow, kernel.lastFd, IcmpTest.GUEST_MAC, i, out);
            icmp.timer(i);
        });
        assertTrue(allocated < 64 * 1024, allocated + " bytes allocated for " + n + " requests and replies");
        assertEquals(2L * n, icmp.stats().replies(false));
        assertEquals(frames.length, icmp.stats().flowsOpened());
        assertTrue(sink[0] > 0);
    }

    /**
     * Runs {@code step} for 0 to {@code n - 1} twice: the first round warms up and opens the flows.
     *
     * @return the bytes this thread allocated during the second round
     */
    static long allocatedInSecondRound(int n, java.util.function.IntConsumer step) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        for (int i = 0; i < n; i++) {
            step.accept(i);
        }
        long before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < n; i++) {
            step.accept(i);
        }
        return mx.getThreadAllocatedBytes(tid) - before;
    }

    /** Sockets that answer every request with the matching reply, from one preallocated buffer. */
    static final class Echoer implements PingSockets {
        final MemorySegment pending = Arena.ofAuto().allocate(65536);
        final int[] flowOfFd = new int[1024];
        int pendingLen, nextFd = 10, lastFd, lastFlow;

        @Override
        public int open(boolean v6) {
            return nextFd++;
        }

        @Override
        public int bind(int fd, boolean v6, int id) {
            return 0;
        }

        @Override
        public int boundId(int fd, boolean v6) {
            return 50_000 + fd;     // never the guest's: replies always need their identifier rewritten
        }

        @Override
        public long sendTo(int fd, boolean v6, MemorySegment buf, long off, int len, long dstHi, long dstLo) {
            MemorySegment.copy(buf, off, pending, 0, len);
            pending.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 0);     // echo reply
            pendingLen = len;
            lastFd = fd;
            lastFlow = flowOfFd[fd];
            return len;
        }

        @Override
        public long recv(int fd, MemorySegment buf, long off, int len) {
            if (pendingLen == 0) {
                return -FakePingSockets.EAGAIN;
            }
            MemorySegment.copy(pending, 0, buf, off, pendingLen);
            int n = pendingLen;
            pendingLen = 0;
            return n;
        }

        @Override
        public int watch(int fd, int flow) {
            flowOfFd[fd] = flow;
            return 0;
        }

        @Override
        public void close(int fd) {
        }
    }
}
