package io.jpasta.udp;

import java.lang.foreign.MemorySegment;

/**
 * The sockets of UDP flows as the engine sees them: a narrow interface, so that engine tests run against a fake.
 * Every call is non-blocking; results are {@code >= 0} or {@code -errno}. Readiness comes back to the engine through
 * {@link Udp#sockEvent} with the flow index given at registration.
 */
public interface UdpSocks {
    /**
     * Opens the host socket of a flow the guest started: bound to the {@code -o} address and
     * {@code --outbound-if4/6} interface of its family when given, and to {@code localPort} (the guest's source
     * port) if that port is free, else to any port; error reporting on (IP_RECVERR); connected to the destination;
     * registered for input with {@code flow}.
     *
     * @return the descriptor, or -errno
     */
    int open(int flow, boolean v6, int localPort, long dstHi, long dstLo, int dstPort);

    /**
     * Sets up the far socket of a spliced flow: {@code fd} is a socket of the namespace from its pool, or -1 for a
     * new host socket; it is bound to the loopback address and {@code srcPort} if free (else any port), connected
     * to the loopback address and {@code dstPort}, and registered for input with {@code flow}.
     *
     * @return the descriptor, or -errno (then {@code fd} is closed)
     */
    int openSpliced(int flow, int fd, boolean v6, int srcPort, int dstPort);

    /** Sends one datagram on a connected socket. @return bytes sent or -errno */
    long send(int fd, MemorySegment buf, long off, int len);

    /**
     * Sends one datagram to an address, from an unconnected (listening) socket.
     *
     * @param v6Socket the socket's family: an IPv4 destination of an IPv6 socket is sent to its mapped address
     * @return bytes sent or -errno
     */
    long sendTo(int fd, boolean v6Socket, MemorySegment buf, long off, int len, long hi, long lo, int port);

    /**
     * Receives up to {@code d.count()} datagrams into the slots of {@code d} (recvmmsg), recording for each its
     * length, truncation and sender.
     *
     * @return datagrams received, or -errno (-EAGAIN: none waiting)
     */
    int recv(int fd, Datagrams d);

    /**
     * Sends slots {@code from .. from + n - 1} of {@code d} (their lengths as received) in one call (sendmmsg), on a
     * connected socket when {@code port} is 0, else to the address and port.
     *
     * @return datagrams sent, or -errno
     */
    int sendBatch(int fd, Datagrams d, int from, int n, boolean v6Socket, long hi, long lo, int port);

    /**
     * Reads one entry of the socket's error queue: the ICMP message into {@code err}, and the start of the datagram
     * it was about into {@code buf} at {@code off}.
     *
     * @return bytes of the datagram copied, or -errno (-EAGAIN: the queue is empty)
     */
    int recvError(int fd, SockError err, MemorySegment buf, long off, int cap);

    /** @return memory for datagram slots, zeroed by the kernel page by page on first touch where it can be */
    MemorySegment slotMemory(long len);

    /** Closes the socket (and so its epoll registration). */
    void close(int fd);
}
