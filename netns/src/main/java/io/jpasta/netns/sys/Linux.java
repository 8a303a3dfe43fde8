package io.jpasta.netns.sys;

/** Kernel ABI constants for x86_64, named as the kernel headers name them. */
public final class Linux {
    private Linux() {
    }

    // <sys/socket.h>, <netinet/in.h>
    public static final int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16, AF_PACKET = 17;
    public static final int SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_SEQPACKET = 5,
            SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public static final int IPPROTO_IP = 0, IPPROTO_ICMP = 1, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_IPV6 = 41,
            IPPROTO_ICMPV6 = 58;
    public static final int SOL_SOCKET = 1, SOL_TCP = 6, SOL_IPV6 = 41, SOL_NETLINK = 270;
    public static final int SO_REUSEADDR = 2, SO_ERROR = 4, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_KEEPALIVE = 9,
            SO_PEERCRED = 17, SO_BINDTODEVICE = 25, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33;
    public static final int IPV6_V6ONLY = 26, IP_FREEBIND = 15, IPV6_FREEBIND = 78, IP_TRANSPARENT = 19;
    /** Extended error reporting on the socket's error queue (ip(7), ipv6(7)); SOL_IP is IPPROTO_IP. */
    public static final int SOL_IP = 0, IP_RECVERR = 11, IPV6_RECVERR = 25;
    /** struct sock_extended_err origins (linux/errqueue.h). */
    public static final int SO_EE_ORIGIN_LOCAL = 1, SO_EE_ORIGIN_ICMP = 2, SO_EE_ORIGIN_ICMP6 = 3;
    public static final int TCP_NODELAY = 1, TCP_MAXSEG = 2, TCP_INFO = 11, TCP_QUICKACK = 12;
    public static final int MSG_PEEK = 2, MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000,
            MSG_MORE = 0x8000, MSG_CMSG_CLOEXEC = 0x40000000, MSG_ERRQUEUE = 0x2000;
    public static final int SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2;
    public static final int NETLINK_ROUTE = 0;
    /** rtnetlink multicast groups, as bits of sockaddr_nl.nl_groups (linux/rtnetlink.h) */
    public static final int RTMGRP_LINK = 0x1, RTMGRP_IPV4_IFADDR = 0x10, RTMGRP_IPV4_ROUTE = 0x40,
            RTMGRP_IPV6_IFADDR = 0x100, RTMGRP_IPV6_ROUTE = 0x400;
    public static final int NETLINK_GET_STRICT_CHK = 12;

    // <fcntl.h>
    public static final int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_TRUNC = 0x200,
            O_APPEND = 0x400, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;
    public static final int F_GETFL = 3, F_SETFL = 4, F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;
    public static final int R_OK = 4, W_OK = 2, X_OK = 1, F_OK = 0;

    // <sys/epoll.h>
    public static final int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    public static final int EPOLLIN = 0x1, EPOLLPRI = 0x2, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10,
            EPOLLRDHUP = 0x2000, EPOLLET = 1 << 31, EPOLLONESHOT = 1 << 30;
    /** sizeof(struct epoll_event) on x86_64, where the struct is packed */
    public static final int EPOLL_EVENT_SIZE = 12;

    // <sys/inotify.h>
    public static final int IN_NONBLOCK = 0x800, IN_CLOEXEC = 0x80000;
    public static final int IN_DELETE = 0x200, IN_DELETE_SELF = 0x400, IN_MOVED_FROM = 0x40, IN_MOVE_SELF = 0x800;
    public static final int IN_MODIFY = 0x2, IN_ATTRIB = 0x4, IN_CLOSE_WRITE = 0x8, IN_MOVED_TO = 0x80,
            IN_CREATE = 0x100;

    // <sys/eventfd.h>
    public static final int EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;

    // <sys/wait.h>
    public static final int WNOHANG = 1;

    // <signal.h>
    public static final int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGPIPE = 13,
            SIGTERM = 15, SIGCHLD = 17;

    // <fcntl.h> splice(2)
    public static final int SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2, SPLICE_F_MORE = 4;

    /** @return true if the raw wait status says the process exited normally */
    public static boolean wifexited(int status) {
        return (status & 0x7f) == 0;
    }

    public static int wexitstatus(int status) {
        return (status >> 8) & 0xff;
    }

    /** @return the signal that ended the process, or 0 if it exited normally */
    public static int wtermsig(int status) {
        return wifexited(status) ? 0 : status & 0x7f;
    }

    /** @return pasta's exit status for a command's raw wait status: its code, or 128 + the killing signal */
    public static int shellStatus(int status) {
        return wifexited(status) ? wexitstatus(status) : 128 + wtermsig(status);
    }
}
