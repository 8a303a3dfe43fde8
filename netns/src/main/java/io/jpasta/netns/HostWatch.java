package io.jpasta.netns;

import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Notices that the host's network state may have changed, for {@code --no-follow-host}'s opposite (the default):
 * a NETLINK_ROUTE socket in the host's namespace subscribed to link, address and route changes of both families
 * (no privilege needed: anyone may listen), and inotify on {@code /etc/resolv.conf}.
 *
 * <p>It does not interpret what it reads: any notification means "read the host's state again", which the caller
 * does once per burst (debounced) and compares with what it applied. So a lost notification costs nothing either:
 * when the socket's receive buffer overflows (ENOBUFS), that is one more reason to read the state again.
 *
 * <p>resolv.conf is watched twice: the file itself (its inode, wherever it is mounted or linked from: a write in
 * place, also through a bind mount such as {@code ip netns exec}'s) and its directory, because resolvers usually
 * replace the file by renaming a new one over it. After every event the file's watch is renewed, so that it
 * follows the new inode.
 */
public final class HostWatch implements AutoCloseable {
    /** Groups of the rtnetlink socket: links (MTU, up/down, going away), addresses and routes of both families. */
    static final int GROUPS = Linux.RTMGRP_LINK | Linux.RTMGRP_IPV4_IFADDR | Linux.RTMGRP_IPV6_IFADDR
            | Linux.RTMGRP_IPV4_ROUTE | Linux.RTMGRP_IPV6_ROUTE;
    /** Receive buffer of the netlink socket: a burst of a few thousand notifications without overflow */
    static final int NETLINK_RCVBUF = 1 << 20;
    /** Datagrams read per call of {@link #drainNetlink}; the rest waits for the next (level-triggered) event */
    static final int DRAIN_MAX = 256;
    private static final int FILE_EVENTS = Linux.IN_MODIFY | Linux.IN_CLOSE_WRITE | Linux.IN_ATTRIB
            | Linux.IN_DELETE_SELF | Linux.IN_MOVE_SELF;
    private static final int DIR_EVENTS = Linux.IN_CREATE | Linux.IN_MOVED_TO | Linux.IN_CLOSE_WRITE
            | Linux.IN_DELETE | Linux.IN_MOVED_FROM;
    /** struct sockaddr_nl (12): u16 nl_family, u16 pad, u32 nl_pid, u32 nl_groups */
    private static final int SOCKADDR_NL_LEN = 12, NL_GROUPS = 8;

    private final int nlFd;
    private final int inFd;
    private final String resolvConf;
    private final ByteBuffer buf = Sys.buffer(Netlink.BUFFER_SIZE);
    private final long bufAddr = Sys.address(buf);

    private HostWatch(int nlFd, int inFd, String resolvConf) {
        this.nlFd = nlFd;
        this.inFd = inFd;
        this.resolvConf = resolvConf;
    }

    /**
     * Opens both watches in the current (host) namespaces.
     *
     * @param resolvConf the resolver file to watch, {@link Resolv#RESOLV_CONF}
     * @throws IOException if the netlink socket or inotify cannot be set up
     */
    public static HostWatch open(String resolvConf) throws IOException {
        Sys.load();
        int nl = (int) Errno.check("socket(AF_NETLINK, NETLINK_ROUTE)", Sys.socket(Linux.AF_NETLINK,
                Linux.SOCK_RAW | Linux.SOCK_CLOEXEC | Linux.SOCK_NONBLOCK, Linux.NETLINK_ROUTE));
        int in = -1;
        try {
            Sys.setsockoptInt(nl, Linux.SOL_SOCKET, Linux.SO_RCVBUF, NETLINK_RCVBUF);
            ByteBuffer sa = Sys.buffer(SOCKADDR_NL_LEN);
            sa.putShort(0, (short) Linux.AF_NETLINK).putInt(NL_GROUPS, GROUPS);
            Errno.check("bind(netlink groups)", Sys.bind(nl, Sys.address(sa), SOCKADDR_NL_LEN));
            in = (int) Errno.check("inotify_init1", Sys.inotifyInit(Linux.IN_NONBLOCK | Linux.IN_CLOEXEC));
            HostWatch w = new HostWatch(nl, in, resolvConf);
            w.watchResolvConf();
            return w;
        } catch (IOException | RuntimeException e) {
            Sys.close(nl);
            if (in >= 0) {
                Sys.close(in);
            }
            throw e;
        }
    }

    /** @return the netlink socket, readable when notifications wait */
    public int netlinkFd() {
        return nlFd;
    }

    /** @return the inotify descriptor, readable when resolv.conf or its directory changed */
    public int inotifyFd() {
        return inFd;
    }

    /**
     * Reads waiting notifications, at most {@link #DRAIN_MAX} datagrams.
     *
     * @return how many were read (0: none, a spurious wake-up), or -1 if some were lost (ENOBUFS: the state must be
     *         read again all the same)
     */
    public int drainNetlink() {
        int n = 0;
        while (n < DRAIN_MAX) {
            long got = Sys.recvfrom(nlFd, bufAddr, buf.capacity(), Linux.MSG_TRUNC, 0, 0);
            if (got == -Errno.ENOBUFS) {
                return -1;
            }
            if (got < 0) {
                break; // EAGAIN: all read
            }
            n++;
        }
        return n;
    }

    /**
     * Reads waiting inotify events and renews the file's watch (it may be a new inode now).
     *
     * @return true if there was any event
     */
    public boolean drainInotify() {
        boolean any = false;
        for (int i = 0; i < DRAIN_MAX; i++) {
            long n = Sys.read(inFd, bufAddr, buf.capacity());
            if (n <= 0) {
                break;
            }
            any = true;
        }
        if (any) {
            watchResolvConf();
        }
        return any;
    }

    /** Watches the file (following a symbolic link to its target) and its directory; a missing file is fine. */
    private void watchResolvConf() {
        Sys.inotifyAddWatch(inFd, resolvConf, FILE_EVENTS);
        Path dir = Path.of(resolvConf).getParent();
        Sys.inotifyAddWatch(inFd, dir == null ? "/" : dir.toString(), DIR_EVENTS);
    }

    @Override
    public void close() {
        Sys.close(nlFd);
        Sys.close(inFd);
    }
}
