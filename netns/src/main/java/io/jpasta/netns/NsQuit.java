package io.jpasta.netns;

import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Notices that the namespace we serve has gone away, as pasta does: for {@code --netns PATH}, an inotify watch on
 * PATH's directory reports its deletion (or rename away); for a PID, and for {@code /proc/PID/...} paths where
 * inotify sees nothing, a pidfd of the process, which becomes readable when it exits (even while it lingers as a
 * zombie). Otherwise (no pidfd before Linux 5.3, other /proc paths) a 1 s timer checks that the path still exists.
 * The loop watches {@link #fd()} and calls {@link #onReadable()}, which answers whether the namespace is gone.
 *
 * <p>The pidfd is what works once jpasta is confined: Landlock denies a confined process the /proc entries of
 * processes outside its domain (ptrace access checks), so a check of {@code /proc/PID/ns/net} would find it gone.
 */
public final class NsQuit implements AutoCloseable {
    /** inotify event header: i32 wd, u32 mask, u32 cookie, u32 len, then a NUL-padded name */
    private static final int EV_MASK = 4, EV_LEN = 12, EV_NAME = 16;
    private static final long POLL_NS = 1_000_000_000L;

    private static final int POLL = 0, INOTIFY = 1, PIDFD = 2;

    private final int fd;
    private final int kind;
    private final String watched;
    private final byte[] name;
    private final ByteBuffer buf = Sys.buffer(4096);
    private final long bufAddr = Sys.address(buf);

    private NsQuit(int fd, int kind, String watched) {
        this.fd = fd;
        this.kind = kind;
        this.watched = watched;
        int slash = watched.lastIndexOf('/');
        this.name = watched.substring(slash + 1).getBytes(StandardCharsets.UTF_8);
    }

    /** Watches {@code path}: inotify on its directory, or a 1 s poll when the path is under /proc. */
    public static NsQuit watchPath(String path) throws IOException {
        if (path.startsWith("/proc/")) {
            int slash = path.indexOf('/', "/proc/".length());
            String pid = slash < 0 ? "" : path.substring("/proc/".length(), slash);
            return !pid.isEmpty() && pid.chars().allMatch(Character::isDigit) && pid.length() < 10
                    ? watchPid(Integer.parseInt(pid), path) : poll(path);
        }
        int slash = path.lastIndexOf('/');
        String dir = slash <= 0 ? "/" : path.substring(0, slash);
        int fd = (int) Errno.check("inotify_init1", Sys.inotifyInit(Linux.IN_NONBLOCK | Linux.IN_CLOEXEC));
        int wd = Sys.inotifyAddWatch(fd, dir, Linux.IN_DELETE | Linux.IN_MOVED_FROM | Linux.IN_DELETE_SELF);
        if (wd < 0) {
            Sys.close(fd);
            return poll(path);
        }
        return new NsQuit(fd, INOTIFY, path);
    }

    /** Watches a process: gone when it exits, even while it lingers as a zombie its parent has not reaped. */
    public static NsQuit watchPid(int pid) throws IOException {
        return watchPid(pid, "/proc/" + pid + "/ns/net");
    }

    private static NsQuit watchPid(int pid, String path) throws IOException {
        int fd = Sys.pidfdOpen(pid);
        return fd >= 0 ? new NsQuit(fd, PIDFD, path) : poll(path);
    }

    private static NsQuit poll(String path) throws IOException {
        int fd = (int) Errno.check("timerfd_create", Sys.timerfdCreate());
        Errno.check("timerfd_settime", Sys.timerfdSet(fd, POLL_NS, POLL_NS));
        return new NsQuit(fd, POLL, path);
    }

    public int fd() {
        return fd;
    }

    /** @return true if the namespace (path or process) is gone */
    public boolean onReadable() {
        if (kind == PIDFD) {
            return true; // readable: the process has exited
        }
        long n = Sys.read(fd, bufAddr, buf.capacity());
        if (kind == POLL) {
            return Sys.access(watched, Linux.F_OK) < 0;
        }
        for (long off = 0; off + EV_NAME <= n; ) {
            int mask = buf.getInt((int) off + EV_MASK);
            int len = buf.getInt((int) off + EV_LEN);
            if ((mask & Linux.IN_DELETE_SELF) != 0 || nameIs(off + EV_NAME, len)) {
                return true;
            }
            off += EV_NAME + len;
        }
        return false;
    }

    private boolean nameIs(long off, int len) {
        if (len < name.length || (len > name.length && buf.get((int) off + name.length) != 0)) {
            return false;
        }
        for (int i = 0; i < name.length; i++) {
            if (buf.get((int) off + i) != name[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        Sys.close(fd);
    }
}
