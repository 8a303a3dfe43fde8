package io.jpasta.splice;

import static io.jpasta.netns.sys.Errno.EAGAIN;
import static io.jpasta.netns.sys.Errno.EEXIST;
import static io.jpasta.netns.sys.Errno.EINPROGRESS;
import static io.jpasta.netns.sys.Errno.ENOENT;
import static io.jpasta.netns.sys.Errno.ENOTCONN;
import static io.jpasta.netns.sys.Errno.EMFILE;

import java.util.HashMap;
import java.util.Map;

/**
 * A kernel in miniature for {@link Splice}: sockets and pipes are byte counters, splice moves counts between them
 * within the limits a test sets (readable bytes, room to write, pipe capacity, largest chunk per call, errors).
 */
final class FakeIo implements SpliceIo {
    static final class Sock {
        final int fd;
        long readable;          // bytes the peer sent that we have not read yet
        boolean eof;            // after readable: end of stream
        int readErr;            // after readable: this errno
        long room = Long.MAX_VALUE; // bytes we may still write before EAGAIN
        long received;          // bytes written to this socket (delivered to its peer)
        int writeErr;
        int soError;
        boolean shutWr, closed, aborted;
        long receivedAtShutdown = -1;
        int lastWriteFlags;

        Sock(int fd) {
            this.fd = fd;
        }
    }

    static final class Pipe {
        final int r, w, capacity;
        long content;
        boolean closed;

        Pipe(int r, int w, int capacity) {
            this.r = r;
            this.w = w;
            this.capacity = capacity;
        }
    }

    final Map<Integer, Sock> socks = new HashMap<>();
    final Map<Integer, Pipe> pipes = new HashMap<>();
    final Map<Integer, Integer> epoll = new HashMap<>();
    final Map<Integer, Integer> epollIndex = new HashMap<>();
    int nextFd = 100;
    int pipeCapacity = 65536;
    long maxChunk = Long.MAX_VALUE;
    int connectResult = -EINPROGRESS;
    boolean pipeFails;
    int pipesCreated, pushes, epollMods;

    Sock sock() {
        Sock s = new Sock(nextFd++);
        socks.put(s.fd, s);
        return s;
    }

    int openPipes() {
        return (int) pipes.values().stream().filter(p -> !p.closed).count();
    }

    @Override
    public long splice(int in, int out, long len, int flags) {
        Sock src = socks.get(in);
        if (src != null) {
            Pipe p = pipes.get(out);
            if (src.closed || p == null) {
                throw new AssertionError("splice from closed socket or to unknown pipe");
            }
            if (src.readable == 0) {
                return src.readErr != 0 ? -src.readErr : src.eof ? 0 : -EAGAIN;
            }
            long room = p.capacity - p.content;
            if (room == 0) {
                return -EAGAIN;
            }
            long n = Math.min(Math.min(len, src.readable), Math.min(room, maxChunk));
            src.readable -= n;
            p.content += n;
            return n;
        }
        Pipe p = pipes.get(in);
        Sock dst = socks.get(out);
        if (p == null || dst == null || dst.closed) {
            throw new AssertionError("splice from unknown pipe or to closed socket");
        }
        if (dst.writeErr != 0) {
            return -dst.writeErr;
        }
        if (dst.shutWr) {
            throw new AssertionError("write after shutdown");
        }
        long n = Math.min(Math.min(len, p.content), Math.min(dst.room, maxChunk));
        if (n == 0) {
            return -EAGAIN;
        }
        p.content -= n;
        dst.room -= n;
        dst.received += n;
        dst.lastWriteFlags = flags;
        return n;
    }

    @Override
    public int shutdown(int fd, int how) {
        Sock s = socks.get(fd);
        if (s.closed) {
            return -ENOTCONN;
        }
        s.shutWr = true;
        s.receivedAtShutdown = s.received;
        return 0;
    }

    @Override
    public int close(int fd) {
        Sock s = socks.get(fd);
        if (s != null) {
            if (s.closed) {
                throw new AssertionError("double close of " + fd);
            }
            s.closed = true;
            epoll.remove(fd);
            return 0;
        }
        for (Pipe p : pipes.values()) {
            if (p.r == fd || p.w == fd) {
                p.closed = true;
                return 0;
            }
        }
        throw new AssertionError("close of unknown fd " + fd);
    }

    @Override
    public int abort(int fd) {
        socks.get(fd).aborted = true;
        return close(fd);
    }

    @Override
    public int connectLoopback(int fd, boolean v6, int port) {
        return connectResult;
    }

    @Override
    public int socketError(int fd) {
        return socks.get(fd).soError;
    }

    @Override
    public int tune(int fd) {
        return 0;
    }

    @Override
    public int push(int fd) {
        pushes++;
        return 0;
    }

    @Override
    public int pipe(int wanted, int[] out) {
        if (pipeFails) {
            return -EMFILE;
        }
        Pipe p = new Pipe(nextFd++, nextFd++, Math.min(wanted, pipeCapacity));
        pipes.put(p.r, p);
        pipes.put(p.w, p);
        out[0] = p.r;
        out[1] = p.w;
        out[2] = p.capacity;
        pipesCreated++;
        return 0;
    }

    @Override
    public int epollAdd(int fd, int events, int index) {
        if (epoll.containsKey(fd)) {
            return -EEXIST;
        }
        epoll.put(fd, events);
        epollIndex.put(fd, index);
        return 0;
    }

    @Override
    public int epollModify(int fd, int events, int index) {
        if (!epoll.containsKey(fd)) {
            return -ENOENT;
        }
        epoll.put(fd, events);
        epollMods++;
        return 0;
    }

    @Override
    public int epollRemove(int fd) {
        return epoll.remove(fd) == null ? -ENOENT : 0;
    }

    /** @return the events registered for {@code fd}, EPOLLET left out; -1 if not registered */
    int interest(int fd) {
        Integer e = epoll.get(fd);
        return e == null ? -1 : e & ~io.jpasta.netns.sys.Linux.EPOLLET;
    }
}
