package io.jpasta.tap;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertTrue;

class AllocationTest {
    /** The data path allocates nothing per frame: measured with the JVM's per-thread allocation counter. */
    @Test
    void classifyingAndAnsweringAllocatesNothingPerFrame() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        L2Services l2 = L2ServicesTest.services(L2ServicesTest.conf(L2ServicesTest.LL_DHCPV6));
        String[] names = {"arp-request", "dhcp-discover", "dhcp-request", "rs", "ns-ll", "dhcpv6-solicit",
            "dhcpv6-request", "tcp-syn", "mld-report"};
        MemorySegment[] frames = new MemorySegment[names.length];
        for (int i = 0; i < names.length; i++) {
            frames[i] = Frames.load(names[i]);
        }
        long[] sink = {0};
        TapSink out = (f, o, l) -> sink[0] += l;
        TapHandler engine = (f, now) -> TapHandler.HANDLED;
        Classifier c = new Classifier(l2, out).tcp(engine).udp(engine).icmp(engine);
        for (int i = 0; i < 20000; i++) {
            MemorySegment f = frames[i % frames.length];
            c.frame(f, 0, (int) f.byteSize(), i);
        }
        long tid = Thread.currentThread().threadId();
        long before = mx.getThreadAllocatedBytes(tid);
        int n = 20000;
        for (int i = 0; i < n; i++) {
            MemorySegment f = frames[i % frames.length];
            c.frame(f, 0, (int) f.byteSize(), i);
        }
        long allocated = mx.getThreadAllocatedBytes(tid) - before;
        StringBuilder each = new StringBuilder();
        for (int k = 0; k < frames.length; k++) {
            long b0 = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 1000; i++) {
                c.frame(frames[k], 0, (int) frames[k].byteSize(), i);
            }
            each.append(names[k]).append('=').append(mx.getThreadAllocatedBytes(tid) - b0).append(' ');
        }
        assertTrue(allocated < 64 * 1024, allocated + " bytes for " + n + " frames; per 1000: " + each);
        assertTrue(sink[0] > 0);
    }
}
