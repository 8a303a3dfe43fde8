package io.jpasta.netns.sys;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The loop's epoll set. Each registration carries 64 bits of data packing {@code type << 56 | index << 32 | fd}:
 * the event's handler type (one of the {@code T_*} constants, the loop's dispatch switch), an index (a flow
 * index, a listener number) and the descriptor, so an event finds its handler without a lookup.
 */
public final class Epoll {
    /** Handler types, one per case of the loop's dispatch switch. */
    public static final int T_TAP = 1, T_NSD = 2, T_SIGNAL = 3, T_QUIT = 4, T_TIMER = 5,
            T_TCP = 7, T_SPLICE_LISTEN = 8, T_SPLICE = 9, T_UDP = 10, T_ICMP = 11, T_AUTO_SCAN = 12,
            T_UDP_LISTEN = 13, T_CONTROL = 14, T_HOST = 15;
    /** Most events one wait returns. */
    public static final int MAX_EVENTS = 128;

    private final int fd;
    private final ByteBuffer events = Sys.buffer(Linux.EPOLL_EVENT_SIZE * MAX_EVENTS);
    private final long eventsAddr = Sys.address(events);

    public Epoll() throws IOException {
        fd = (int) Errno.check("epoll_create1", Sys.epollCreate());
    }

    /** Closes the epoll set (the loop's lives as long as the process; tests make their own). */
    public void close() {
        Sys.close(fd);
    }

    public static long data(int type, int index, int fd) {
        return ((long) type << 56) | ((long) (index & 0xffffff) << 32) | (fd & 0xffffffffL);
    }

    public static int type(long data) {
        return (int) (data >>> 56);
    }

    public static int index(long data) {
        return (int) (data >>> 32) & 0xffffff;
    }

    public static int fd(long data) {
        return (int) data;
    }

    /** @return 0 or -errno */
    public int add(int fd, int events, int type, int index) {
        return Sys.epollCtl(this.fd, Linux.EPOLL_CTL_ADD, fd, events, data(type, index, fd));
    }

    /** @return 0 or -errno */
    public int modify(int fd, int events, int type, int index) {
        return Sys.epollCtl(this.fd, Linux.EPOLL_CTL_MOD, fd, events, data(type, index, fd));
    }

    /** @return 0 or -errno */
    public int remove(int fd) {
        return Sys.epollCtl(this.fd, Linux.EPOLL_CTL_DEL, fd, 0, 0);
    }

    /** Waits for events. @return how many (read them with {@link #events(int)} and {@link #data(int)}), or -errno */
    public int await(int timeoutMs) {
        return Sys.epollWait(fd, eventsAddr, MAX_EVENTS, timeoutMs);
    }

    /** @return the event mask of the {@code i}-th event of the last wait */
    public int events(int i) {
        return events.getInt(i * Linux.EPOLL_EVENT_SIZE);
    }

    /** @return the registration data of the {@code i}-th event of the last wait */
    public long data(int i) {
        return events.getLong(i * Linux.EPOLL_EVENT_SIZE + 4);
    }
}
