package io.jpasta.tcp;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Host sockets in memory: what the engine wrote, what the peer sends, how much the send buffer takes. */
final class FakeSocks implements TcpSocks {
    static final int EAGAIN = 11, ECONNREFUSED = 111, ECONNRESET = 104;

    static final class Sock {
        final int fd;
        final int flow;
        long addrHi, addrLo;
        /** The address the socket is bound to on the host (IPv4-mapped 198.51.100.2 unless a test says) */
        long localHi = 0, localLo = 0xffff_c633_6402L;
        int port;
        /** Written by the engine, as the peer receives it. */
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        /** Number of send, peek and discard calls, to check coalescing and batching. */
        int sends, peeks, discards;
        /** Bytes the peer sent us, from the front of our receive queue; consumed by discard. */
        byte[] rx = new byte[0];
        int consumed;
        boolean eof;
        int error;
        /** Send buffer room; each send takes at most this much and lowers it. */
        int space = 1 << 20;
        int receiveError;
        boolean shutWr, closed, reset;
        int watched;

        Sock(int fd, int flow) {
            this.fd = fd;
            this.flow = flow;
        }

        void peerSends(byte[] data) {
            byte[] n = new byte[rx.length + data.length];
            System.arraycopy(rx, 0, n, 0, rx.length);
            System.arraycopy(data, 0, n, rx.length, data.length);
            rx = n;
        }

        int queued() {
            return rx.length - consumed;
        }
    }

    final Map<Integer, Sock> byFd = new HashMap<>();
    final List<Sock> opened = new ArrayList<>();
    int nextFd = 100;
    /** Result of the next connect: 0 for in progress, else -errno. */
    int connectResult;

    Sock last() {
        return opened.getLast();
    }

    Sock accept() {
        Sock s = new Sock(nextFd++, -1);
        byFd.put(s.fd, s);
        opened.add(s);
        return s;
    }

    @Override
    public int localAddress(int fd, long[] out) {
        Sock s = byFd.get(fd);
        if (s == null) {
            return -9;
        }
        out[0] = s.localHi;
        out[1] = s.localLo;
        return 0;
    }

    @Override
    public int connect(int flow, long addrHi, long addrLo, int port) {
        if (connectResult < 0) {
            return connectResult;
        }
        Sock s = new Sock(nextFd++, flow);
        s.addrHi = addrHi;
        s.addrLo = addrLo;
        s.port = port;
        s.watched = EPOLLOUT | EPOLLRDHUP;
        byFd.put(s.fd, s);
        opened.add(s);
        return s.fd;
    }

    @Override
    public int error(int fd) {
        return byFd.get(fd).error;
    }

    @Override
    public int watch(int fd, int flow, int events) {
        byFd.get(fd).watched = events;
        return 0;
    }

    @Override
    public long peek(int fd, int skip, MemorySegment buf, long firstOff, int stride, int chunk, int len) {
        Sock s = byFd.get(fd);
        s.peeks++;
        if (s.receiveError != 0) {
            return -s.receiveError;
        }
        int avail = s.queued() - skip;
        if (avail <= 0) {
            return s.eof ? 0 : -EAGAIN;
        }
        int n = Math.min(avail, len);
        int at = s.consumed + skip;
        for (int done = 0, i = 0; done < n; i++) {
            int l = Math.min(chunk, n - done);
            MemorySegment.copy(s.rx, at + done, buf, ValueLayout.JAVA_BYTE, firstOff + (long) i * stride, l);
            done += l;
        }
        return n;
    }

    @Override
    public long discard(int fd, int len) {
        Sock s = byFd.get(fd);
        if (len > s.queued()) {
            throw new AssertionError("discarding " + len + " bytes, only " + s.queued() + " queued");
        }
        s.discards++;
        s.consumed += len;
        return len;
    }

    @Override
    public long send(int fd, MemorySegment buf, long off, int len) {
        Sock s = byFd.get(fd);
        if (s.shutWr || s.closed) {
            throw new AssertionError("send after shutdown");
        }
        int n = Math.min(len, s.space);
        if (n == 0) {
            return -EAGAIN;
        }
        s.written.write(buf.asSlice(off, n).toArray(ValueLayout.JAVA_BYTE), 0, n);
        s.space -= n;
        s.sends++;
        return n;
    }

    @Override
    public int sendSpace(int fd) {
        return byFd.get(fd).space;
    }

    @Override
    public int shutdownWrite(int fd) {
        byFd.get(fd).shutWr = true;
        return 0;
    }

    @Override
    public void close(int fd) {
        Sock s = byFd.get(fd);
        if (s.queued() > 0) {
            // the kernel answers close() on a socket with unread data with a RST to the peer, not a FIN
            throw new AssertionError("close with " + s.queued() + " unread bytes");
        }
        s.closed = true;
    }

    @Override
    public void reset(int fd) {
        Sock s = byFd.get(fd);
        s.closed = true;
        s.reset = true;
    }

    @Override
    public void adopt(int fd) {
    }

    @Override
    public MemorySegment frameMemory(long len) {
        return Arena.ofAuto().allocate(len, 64);
    }
}
