package io.jpasta.tcp;

import java.lang.foreign.MemorySegment;

/**
 * The host sockets as the engine sees them: a narrow interface so that engine tests run against a fake. Every
 * call is non-blocking; results are {@code >= 0} or {@code -errno}. Socket readiness comes back to the engine
 * through {@link Tcp#sockEvent}, with the flow index given to {@link #connect} or {@link #watch}.
 */
public interface TcpSocks {
    /** epoll event bits, as the kernel numbers them (the engine uses them in {@link #watch} and sockEvent). */
    int EPOLLIN = 0x1, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10, EPOLLRDHUP = 0x2000;

    /**
     * Opens a non-blocking TCP socket, starts connecting it to the address (IPv4-mapped for IPv4) and port, and
     * registers it for {@code EPOLLOUT} with {@code flow}.
     *
     * @return the descriptor (connect in progress or done), or -errno if it failed at once
     */
    int connect(int flow, long addrHi, long addrLo, int port);

    /** @return the pending socket error (SO_ERROR): 0 once a connect completed, else its errno */
    int error(int fd);

    /** Sets the epoll interest of {@code fd} (edge-triggered) to {@code events}. @return 0 or -errno */
    int watch(int fd, int flow, int events);

    /**
     * Copies received data without consuming it: {@code len} bytes starting {@code skip} bytes into the receive
     * queue, into chunks of {@code chunk} bytes at {@code buf + firstOff + i * stride}.
     *
     * @return bytes copied, 0 at end of stream with nothing after {@code skip}, or -errno (-EAGAIN: nothing yet)
     */
    long peek(int fd, int skip, MemorySegment buf, long firstOff, int stride, int chunk, int len);

    /** Drops {@code len} bytes from the front of the receive queue (the guest acknowledged them). */
    long discard(int fd, int len);

    /** Writes {@code len} bytes. @return bytes the socket took, or -errno (-EAGAIN: none) */
    long send(int fd, MemorySegment buf, long off, int len);

    /** @return bytes the send buffer can take now (may be 0), or -errno */
    int sendSpace(int fd);

    /** Shuts down the sending direction (our FIN to the peer). @return 0 or -errno */
    int shutdownWrite(int fd);

    /** Closes gracefully. */
    void close(int fd);

    /** Closes with a RST to the peer (linger 0). */
    void reset(int fd);

    /**
     * The address {@code fd} is bound to (getsockname), as {@code Inany} halves in {@code out[0]} and
     * {@code out[1]} (IPv4-mapped for IPv4).
     *
     * @return 0, or -errno
     */
    int localAddress(int fd, long[] out);

    /** A socket accepted on a host listener becomes the engine's: sized as the ones it opens itself. */
    void adopt(int fd);

    /**
     * @return {@code len} bytes of zeroed memory for frame slots, ideally mapped so that the kernel zeroes each page
     *         when it is first touched (a connection moving little data touches a few of the 4 MiB)
     */
    MemorySegment frameMemory(long len);
}
