package io.jpasta.splice;

/**
 * The system calls a spliced connection makes, narrowed to what {@link Splice} needs, so that its state machine runs
 * over a fake in tests. Every method returns {@code >= 0} or {@code -errno}, like {@link io.jpasta.netns.sys.Sys}.
 */
public interface SpliceIo {
    /** splice(2) between a socket and a pipe. @return bytes moved, 0 at end of stream, or -errno */
    long splice(int in, int out, long len, int flags);

    /** @return 0 or -errno */
    int shutdown(int fd, int how);

    /** Closes {@code fd}; the kernel sends a FIN, or a RST when received data was left unread. */
    int close(int fd);

    /** Closes {@code fd} with a zero linger time, so that the peer sees a RST (propagates a reset). */
    int abort(int fd);

    /**
     * Starts connecting {@code fd} to the loopback address of its family (127.0.0.1 or ::1) at {@code port}.
     *
     * @return 0 when connected, {@code -EINPROGRESS} when the result comes as EPOLLOUT, or another -errno
     */
    int connectLoopback(int fd, boolean v6, int port);

    /** @return the pending error of {@code fd} (SO_ERROR, 0 for none), or -errno */
    int socketError(int fd);

    /** Sets the per-socket options of a spliced socket: TCP_NODELAY, TCP_QUICKACK. @return 0 or -errno */
    int tune(int fd);

    /** Pushes out data held back by an earlier {@code SPLICE_F_MORE} (re-asserts TCP_NODELAY). */
    int push(int fd);

    /**
     * Creates a non-blocking pipe as large as the system allows, up to {@code wanted} bytes.
     *
     * @param out receives the read end, the write end and the pipe's capacity in bytes
     * @return 0 or -errno
     */
    int pipe(int wanted, int[] out);

    /** Registers {@code fd} in the loop's epoll set as a splice socket with {@code index}. @return 0 or -errno */
    int epollAdd(int fd, int events, int index);

    /** @return 0 or -errno */
    int epollModify(int fd, int events, int index);

    /** @return 0 or -errno */
    int epollRemove(int fd);
}
