package io.jpasta.udp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * UDP sockets as the kernel behaves toward the engine: ports are exclusive (binding a taken one fails, the socket
 * then gets any port), sends are recorded, datagrams and error-queue entries are queued by the test and received in
 * batches, EAGAIN when none is left.
 */
final class FakeUdpSocks implements UdpSocks {
    static final int EAGAIN = 11;

    record Datagram(byte[] data, long hi, long lo, int port) {
    }

    record Err(int origin, int type, int code, int info, long hi, long lo, byte[] quoted) {
    }

    static final class Sock {
        final int fd;
        final int flow;
        final boolean v6, spliced;
        final int localPort;
        final long dstHi, dstLo;
        final int dstPort;
        boolean closed;
        final List<Datagram> sent = new ArrayList<>();
        final ArrayDeque<Datagram> inbound = new ArrayDeque<>();
        final ArrayDeque<Err> errors = new ArrayDeque<>();

        Sock(int fd, int flow, boolean v6, boolean spliced, int localPort, long dstHi, long dstLo, int dstPort) {
            this.fd = fd;
            this.flow = flow;
            this.v6 = v6;
            this.spliced = spliced;
            this.localPort = localPort;
            this.dstHi = dstHi;
            this.dstLo = dstLo;
            this.dstPort = dstPort;
        }
    }

    final Map<Integer, Sock> socks = new HashMap<>();
    final List<Sock> opened = new ArrayList<>();
    /** Ports taken on the host by someone else: a flow's socket gets any port instead. */
    final java.util.Set<Integer> taken = new java.util.HashSet<>();
    private int nextFd = 200, nextPort = 50000;
    /** When negative, what open returns. */
    int openResult;
    /** When negative, what every send returns. */
    long sendResult;

    /** A listener socket of the test's own: datagrams queued on it are received by {@link #recv}. */
    Sock listener(boolean v6) {
        Sock s = new Sock(nextFd++, -1, v6, false, 0, 0, 0, 0);
        socks.put(s.fd, s);
        return s;
    }

    @Override
    public int open(int flow, boolean v6, int localPort, long dstHi, long dstLo, int dstPort) {
        if (openResult < 0) {
            return openResult;
        }
        int port = taken.contains(localPort) ? nextPort++ : localPort;
        taken.add(port);
        Sock s = new Sock(nextFd++, flow, v6, false, port, dstHi, dstLo, dstPort);
        socks.put(s.fd, s);
        opened.add(s);
        return s.fd;
    }

    @Override
    public int openSpliced(int flow, int fd, boolean v6, int srcPort, int dstPort) {
        Sock s = new Sock(fd >= 0 ? fd : nextFd++, flow, v6, true, srcPort, 0, v6 ? 1 : 0x0000ffff7f000001L, dstPort);
        socks.put(s.fd, s);
        opened.add(s);
        return s.fd;
    }

    @Override
    public long send(int fd, MemorySegment buf, long off, int len) {
        if (sendResult < 0) {
            return sendResult;
        }
        Sock s = socks.get(fd);
        s.sent.add(new Datagram(buf.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE), s.dstHi, s.dstLo, s.dstPort));
        return len;
    }

    @Override
    public long sendTo(int fd, boolean v6Socket, MemorySegment buf, long off, int len, long hi, long lo, int port) {
        if (sendResult < 0) {
            return sendResult;
        }
        socks.get(fd).sent.add(new Datagram(buf.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE), hi, lo, port));
        return len;
    }

    @Override
    public int recv(int fd, Datagrams d) {
        Sock s = socks.get(fd);
        if (s == null || s.inbound.isEmpty()) {
            return -EAGAIN;
        }
        int n = 0;
        while (n < d.count() && !s.inbound.isEmpty()) {
            Datagram g = s.inbound.poll();
            int len = Math.min(g.data().length, d.capacity());
            MemorySegment.copy(g.data(), 0, d.slots(), ValueLayout.JAVA_BYTE, d.data(n), len);
            d.received(n, len, g.data().length > d.capacity(), g.hi(), g.lo(), g.port());
            n++;
        }
        return n;
    }

    @Override
    public int sendBatch(int fd, Datagrams d, int from, int n, boolean v6Socket, long hi, long lo, int port) {
        Sock s = socks.get(fd);
        for (int i = from; i < from + n; i++) {
            byte[] b = d.slots().asSlice(d.data(i), d.len(i)).toArray(ValueLayout.JAVA_BYTE);
            s.sent.add(port == 0 ? new Datagram(b, s.dstHi, s.dstLo, s.dstPort) : new Datagram(b, hi, lo, port));
        }
        return n;
    }

    @Override
    public int recvError(int fd, SockError err, MemorySegment buf, long off, int cap) {
        Sock s = socks.get(fd);
        Err e = s == null ? null : s.errors.poll();
        if (e == null) {
            return -EAGAIN;
        }
        err.set(e.origin(), e.type(), e.code(), e.info(), e.hi(), e.lo());
        int n = Math.min(cap, e.quoted().length);
        MemorySegment.copy(e.quoted(), 0, buf, ValueLayout.JAVA_BYTE, off, n);
        return n;
    }

    @Override
    public MemorySegment slotMemory(long len) {
        return Arena.ofAuto().allocate(len, 64);
    }

    @Override
    public void close(int fd) {
        Sock s = socks.get(fd);
        if (s != null) {
            s.closed = true;
            taken.remove(s.localPort);
        }
    }

    /** @return the socket last opened for a flow */
    Sock last() {
        return opened.getLast();
    }
}
