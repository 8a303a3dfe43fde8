package io.jpasta.splice;

import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.nio.ByteBuffer;

/** {@link SpliceIo} over the real system calls ({@link Sys}) and the loop's epoll set. */
public final class NativeSpliceIo implements SpliceIo {
    private static final int SO_LINGER = 13;
    /** Smallest pipe size worth asking for; below it we keep what pipe2 gave. */
    private static final int PIPE_SIZE_MIN = 64 << 10;
    private static final int SOCKADDR_IN_LEN = 16, SOCKADDR_IN6_LEN = 28;

    private final Epoll ep;
    private final ByteBuffer v4 = Sys.buffer(SOCKADDR_IN_LEN), v6 = Sys.buffer(SOCKADDR_IN6_LEN);
    private final ByteBuffer linger = Sys.buffer(8), fds = Sys.buffer(8);
    private final long v4Addr = Sys.address(v4), v6Addr = Sys.address(v6), lingerAddr = Sys.address(linger),
            fdsAddr = Sys.address(fds);
    /** The largest pipe size the kernel granted lately: later pipes start there instead of failing again. */
    private int granted = Integer.MAX_VALUE;

    public NativeSpliceIo(Epoll ep) {
        this.ep = ep;
        // struct sockaddr_in { u16 family; be16 port; be32 addr; u8 zero[8] }: 127.0.0.1
        v4.putShort(0, (short) Linux.AF_INET);
        v4.put(4, (byte) 127).put(7, (byte) 1);
        // struct sockaddr_in6 { u16 family; be16 port; u32 flowinfo; u8 addr[16]; u32 scope_id }: ::1
        v6.putShort(0, (short) Linux.AF_INET6);
        v6.put(8 + 15, (byte) 1);
        // struct linger { int l_onoff; int l_linger }: on, zero seconds: close() sends a RST
        linger.putInt(0, 1).putInt(4, 0);
    }

    @Override
    public long splice(int in, int out, long len, int flags) {
        return Sys.splice(in, out, len, flags);
    }

    @Override
    public int shutdown(int fd, int how) {
        return Sys.shutdown(fd, how);
    }

    @Override
    public int close(int fd) {
        return Sys.close(fd);
    }

    @Override
    public int abort(int fd) {
        Sys.setsockopt(fd, Linux.SOL_SOCKET, SO_LINGER, lingerAddr, 8);
        return Sys.close(fd);
    }

    @Override
    public int connectLoopback(int fd, boolean isV6, int port) {
        ByteBuffer sa = isV6 ? v6 : v4;
        sa.put(2, (byte) (port >>> 8)).put(3, (byte) port);
        return Sys.connect(fd, isV6 ? v6Addr : v4Addr, isV6 ? SOCKADDR_IN6_LEN : SOCKADDR_IN_LEN);
    }

    @Override
    public int socketError(int fd) {
        return Sys.getsockoptInt(fd, Linux.SOL_SOCKET, Linux.SO_ERROR);
    }

    @Override
    public int tune(int fd) {
        int rc = Sys.setsockoptInt(fd, Linux.SOL_TCP, Linux.TCP_NODELAY, 1);
        int rc2 = Sys.setsockoptInt(fd, Linux.SOL_TCP, Linux.TCP_QUICKACK, 1);
        return rc < 0 ? rc : rc2;
    }

    @Override
    public int push(int fd) {
        return Sys.setsockoptInt(fd, Linux.SOL_TCP, Linux.TCP_NODELAY, 1);
    }

    @Override
    public int pipe(int wanted, int[] out) {
        int rc = Sys.pipe2(fdsAddr, Linux.O_NONBLOCK | Linux.O_CLOEXEC);
        if (rc < 0) {
            return rc;
        }
        int r = fds.getInt(0), w = fds.getInt(4);
        int size = -1;
        // fs.pipe-max-size (1 MiB by default) and the per-user page limits refuse large pipes with EPERM: halve
        for (int want = Math.min(wanted, granted); want >= PIPE_SIZE_MIN && size < 0; want >>= 1) {
            size = Sys.fcntl(w, Linux.F_SETPIPE_SZ, want);
        }
        if (size < 0) {
            size = Sys.fcntl(w, Linux.F_GETPIPE_SZ, 0);
        } else {
            granted = size;
        }
        if (size <= 0) {
            Sys.close(r);
            Sys.close(w);
            return size < 0 ? size : -io.jpasta.netns.sys.Errno.EINVAL;
        }
        out[0] = r;
        out[1] = w;
        out[2] = size;
        return 0;
    }

    @Override
    public int epollAdd(int fd, int events, int index) {
        return ep.add(fd, events, Epoll.T_SPLICE, index);
    }

    @Override
    public int epollModify(int fd, int events, int index) {
        return ep.modify(fd, events, Epoll.T_SPLICE, index);
    }

    @Override
    public int epollRemove(int fd) {
        return ep.remove(fd);
    }
}
