package io.jpasta.udp;

import java.lang.foreign.MemorySegment;

/**
 * The socket operations ICMP echo needs from the kernel, narrow enough that engine tests fake them
 * ({@link Icmp} never calls {@code Sys} itself). Production: {@link SysPingSockets}.
 *
 * <p>A ping socket is {@code socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)} or
 * {@code socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6)}: the kernel lets users whose group is inside
 * {@code net.ipv4.ping_group_range} send echo requests through it, writes the socket's bound "port" into the echo
 * identifier of everything sent, computes the checksum, and delivers only echo replies carrying that identifier.
 * Every result is {@code >= 0} or {@code -errno}.
 */
public interface PingSockets {
    /** @return a non-blocking, close-on-exec ping socket of the family, or -errno (-EACCES: group not allowed) */
    int open(boolean v6);

    /**
     * Binds {@code fd} to the wildcard address with echo identifier {@code id} (0: the kernel picks one).
     *
     * @return 0, or -errno (-EADDRINUSE: another ping socket holds that identifier)
     */
    int bind(int fd, boolean v6, int id);

    /** @return the echo identifier the socket is bound to, or -errno */
    int boundId(int fd, boolean v6);

    /**
     * Sends one echo request (ICMP header and data, no IP header) to the address.
     *
     * @param dstHi high 64 bits of an IPv6 destination, ignored for IPv4
     * @param dstLo low 64 bits of an IPv6 destination; for IPv4 the address is the low 32 bits
     * @return bytes sent or -errno
     */
    long sendTo(int fd, boolean v6, MemorySegment buf, long off, int len, long dstHi, long dstLo);

    /** Reads one echo reply (ICMP header and data) without blocking. @return its length, or -errno (-EAGAIN) */
    long recv(int fd, MemorySegment buf, long off, int len);

    /** Asks the event loop to report {@code fd} readable as events of {@code flow}. @return 0 or -errno */
    int watch(int fd, int flow);

    /** Closes the socket, which also removes it from the event loop. */
    void close(int fd);
}
