package io.jpasta.netns.sys;

/**
 * Every system call the JVM makes, as thin JNI wrappers over {@code libjpasta.so} ({@code netns/src/main/c/sys.c}).
 *
 * <p>Contract of every method: the result is {@code >= 0} on success or {@code -errno} on failure; EINTR is retried
 * in C. Buffers are addresses of off-heap memory ({@link java.lang.foreign.MemorySegment#address()}) plus lengths;
 * native structs are laid out by the caller with the offsets documented where they are built. Setup code turns a
 * negative result into an exception once, with {@link Errno#io}; the data path compares against {@code -Errno.X}.
 *
 * <p>Why JNI: binding is about a millisecond, while linking FFM downcall handles cost 50-200 ms of startup here
 * (ARCHITECTURE.md §5).
 */
public final class Sys {
    private Sys() {
    }

    private static volatile boolean loaded;

    /**
     * Loads {@code libjpasta.so}: from the system property {@code jpasta.lib} when set (tests), else from
     * {@code ${jpasta.home}/lib/libjpasta.so} (the starter sets {@code jpasta.home} to {@code dist/}).
     */
    public static void load() {
        if (loaded) {
            return;
        }
        synchronized (Sys.class) {
            if (loaded) {
                return;
            }
            String lib = System.getProperty("jpasta.lib");
            if (lib == null) {
                String home = System.getProperty("jpasta.home");
                if (home == null) {
                    throw new IllegalStateException("neither jpasta.lib nor jpasta.home is set");
                }
                lib = home + "/lib/libjpasta.so";
            }
            System.load(lib);
            loaded = true;
        }
    }

    public static native int socket(int domain, int type, int proto);

    public static native int bind(int fd, long addr, int len);

    public static native int connect(int fd, long addr, int len);

    public static native int listen(int fd, int backlog);

    /** fchmod(2); on a unix socket before bind(2), the mode its file is created with (umask still applies). */
    public static native int fchmod(int fd, int mode);

    public static native int accept4(int fd, long addr, long lenAddr, int flags);

    public static native int close(int fd);

    public static native int shutdown(int fd, int how);

    public static native long read(int fd, long buf, long len);

    public static native long write(int fd, long buf, long len);

    public static native long pread(int fd, long buf, long len, long off);

    public static native long readv(int fd, long iov, int cnt);

    public static native long writev(int fd, long iov, int cnt);

    public static native long sendto(int fd, long buf, long len, int flags, long addr, int alen);

    public static native long recvfrom(int fd, long buf, long len, int flags, long addr, long alenAddr);

    public static native long sendmsg(int fd, long msghdr, int flags);

    public static native long recvmsg(int fd, long msghdr, int flags);

    public static native int sendmmsg(int fd, long mmsghdrs, int vlen, int flags);

    public static native int recvmmsg(int fd, long mmsghdrs, int vlen, int flags);

    public static native int setsockopt(int fd, int level, int name, long val, int len);

    public static native int setsockoptInt(int fd, int level, int name, int val);

    public static native int getsockopt(int fd, int level, int name, long val, long lenAddr);

    /** @return the option's int value (non-negative options only) or -errno */
    public static native int getsockoptInt(int fd, int level, int name);

    public static native int getsockname(int fd, long addr, long lenAddr);

    public static native int getpeername(int fd, long addr, long lenAddr);

    public static native int fcntl(int fd, int cmd, long arg);

    public static native int ioctl(int fd, long req, long arg);

    /** @param fds address of two ints: read end, write end */
    public static native int pipe2(long fds, int flags);

    public static native long splice(int in, int out, long len, int flags);

    /** @return an epoll fd (close-on-exec) or -errno */
    public static native int epollCreate();

    public static native int epollCtl(int ep, int op, int fd, int events, long data);

    /**
     * @param events address of {@code max} packed {@code struct epoll_event} (12 bytes each on x86_64:
     *               u32 events, u64 data)
     */
    public static native int epollWait(int ep, long events, int max, int timeoutMs);

    public static native int eventfd(int init, int flags);

    /**
     * Maps {@code len} bytes of private anonymous memory, never unmapped (buffers that live as long as the process).
     * Unlike an arena allocation, nothing is zeroed or touched here: the kernel supplies zeroed pages on first use, so
     * a large buffer costs only what is used of it (a 4 MiB one took 9-14 ms to allocate and zero on the first TCP
     * connection, measured).
     *
     * @return the address, or -errno
     */
    public static native long mapAnonymous(long len);

    /** @return a CLOCK_MONOTONIC timerfd, non-blocking, close-on-exec */
    public static native int timerfdCreate();

    public static native int timerfdSet(int fd, long initialNs, long intervalNs);

    public static native int inotifyInit(int flags);

    public static native int inotifyAddWatch(int fd, String path, int mask);

    /** @return a pidfd (close-on-exec) for {@code pid}, readable once the process has exited, or -errno */
    public static native int pidfdOpen(int pid);

    public static native int open(String path, int flags, int mode);

    public static native int access(String path, int mode);

    public static native int dup2(int oldFd, int newFd);

    public static native int kill(int pid, int sig);

    /** @return -errno; 0 when no child changed state (WNOHANG); else {@code (pid << 32) | raw wait status} */
    public static native long waitpid(int pid, int options);

    public static native int getpid();

    public static native int getuid();

    public static native int getgid();

    public static native int setsid();

    public static native int isatty(int fd);

    public static native long monotonicNs();

    public static native long realtimeNs();

    public static native String strerror(int errno);

    /**
     * Starts {@code path} with {@code argv} (NUL-separated) and a fresh SOCK_SEQPACKET socketpair whose child end
     * is the child's fd 3; all other fds closed, empty signal mask, default dispositions.
     *
     * @return -errno, or {@code (pid << 32) | our end of the socketpair}
     */
    public static native long spawn(String path, byte[] argv);

    /**
     * Receives one datagram plus up to {@code maxFds} descriptors passed with SCM_RIGHTS.
     *
     * @param fds address of {@code 1 + maxFds} ints: the count, then the descriptors
     * @return bytes received (0 on EOF) or -errno
     */
    public static native int recvFds(int fd, long buf, int len, long fds, int maxFds);

    public static native void copy(long dst, long src, long len);

    public static native int setNonBlocking(int fd);

    /** @return the native address of a direct {@link java.nio.ByteBuffer} (0 if it is not direct) */
    public static native long address(java.nio.ByteBuffer directBuffer);

    /**
     * @return a zeroed direct buffer in native byte order, for structs passed to the kernel on the setup path
     *         (ByteBuffer accessors are in the JDK's archived classes; MemorySegment's VarHandle forms are spun at
     *         first use, about 35 ms of startup, measured with -Xlog:class+load)
     */
    public static java.nio.ByteBuffer buffer(int size) {
        return java.nio.ByteBuffer.allocateDirect(size).order(java.nio.ByteOrder.nativeOrder());
    }

    /**
     * Makes signal {@code sig} write its number as one byte to {@code fd}, the write end of a non-blocking pipe,
     * replacing the JVM's own handler. @return 0 or -errno
     */
    public static native int signalToPipe(int sig, int fd);
}
