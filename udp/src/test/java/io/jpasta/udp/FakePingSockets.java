package io.jpasta.udp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Ping sockets as the kernel behaves toward us: identifiers are exclusive per family (bind to a taken one fails
 * with EADDRINUSE, 0 picks a free one), sendto records the message and destination, replies are queued by the
 * test and read one per recv, EAGAIN when none is left.
 */
final class FakePingSockets implements PingSockets {
    static final int EAGAIN = 11, EADDRINUSE = 98, EBADF = 9;

    record Sent(byte[] msg, long dstHi, long dstLo) {
    }

    static final class Sock {
        final int fd;
        final boolean v6;
        int id = -1;
        int watchedFlow = -1;
        boolean closed;
        final List<Sent> sent = new ArrayList<>();
        final ArrayDeque<byte[]> inbound = new ArrayDeque<>();

        Sock(int fd, boolean v6) {
            this.fd = fd;
            this.v6 = v6;
        }
    }

    final Map<Integer, Sock> socks = new HashMap<>();
    final List<Sock> opened = new ArrayList<>();
    private final Set<Integer> usedIds4 = new HashSet<>(), usedIds6 = new HashSet<>();
    private int nextFd = 100;
    private int nextKernelId = 40000;
    /** When negative, what every open returns. */
    int openResult;
    /** When negative, what every sendTo returns. */
    long sendResult;

    /** Marks {@code id} as held by some other process's ping socket. */
    void takenByOther(boolean v6, int id) {
        (v6 ? usedIds6 : usedIds4).add(id);
    }

    @Override
    public int open(boolean v6) {
        if (openResult < 0) {
            return openResult;
        }
        Sock s = new Sock(nextFd++, v6);
        socks.put(s.fd, s);
        opened.add(s);
        return s.fd;
    }

    @Override
    public int bind(int fd, boolean v6, int id) {
        Sock s = live(fd);
        if (s == null || s.id >= 0) {
            return -EBADF;
        }
        Set<Integer> used = v6 ? usedIds6 : usedIds4;
        if (id == 0) {
            while (used.contains(nextKernelId)) {
                nextKernelId++;
            }
            id = nextKernelId++;
        } else if (used.contains(id)) {
            return -EADDRINUSE;
        }
        used.add(id);
        s.id = id;
        return 0;
    }

    @Override
    public int boundId(int fd, boolean v6) {
        Sock s = live(fd);
        return s == null ? -EBADF : s.id;
    }

    @Override
    public long sendTo(int fd, boolean v6, MemorySegment buf, long off, int len, long dstHi, long dstLo) {
        Sock s = live(fd);
        if (s == null) {
            return -EBADF;
        }
        if (sendResult < 0) {
            return sendResult;
        }
        s.sent.add(new Sent(buf.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE), dstHi, dstLo));
        return len;
    }

    @Override
    public long recv(int fd, MemorySegment buf, long off, int len) {
        Sock s = live(fd);
        if (s == null) {
            return -EBADF;
        }
        byte[] d = s.inbound.poll();
        if (d == null) {
            return -EAGAIN;
        }
        int n = Math.min(len, d.length);
        MemorySegment.copy(d, 0, buf, ValueLayout.JAVA_BYTE, off, n);
        return n;
    }

    @Override
    public int watch(int fd, int flow) {
        Sock s = live(fd);
        if (s == null) {
            return -EBADF;
        }
        s.watchedFlow = flow;
        return 0;
    }

    @Override
    public void close(int fd) {
        Sock s = socks.remove(fd);
        if (s != null) {
            s.closed = true;
            if (s.id >= 0) {
                (s.v6 ? usedIds6 : usedIds4).remove(s.id);
            }
        }
    }

    private Sock live(int fd) {
        return socks.get(fd);
    }

    long openCount() {
        return socks.size();
    }
}
