package io.jpasta.launcher;

import io.jpasta.launcher.control.ControlServer;
import io.jpasta.netns.Nsd;
import io.jpasta.netns.NsQuit;
import io.jpasta.netns.log.Counters;
import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;
import io.jpasta.splice.Splice;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The one event loop: a single thread, one epoll set, one dispatch switch. The 64-bit epoll data of every
 * registration packs type, index and fd ({@link Epoll}), so an event finds its handler without a lookup.
 *
 * <p>It ends when the command exits (spawn mode: its status, 128 + N for signal N), when the namespace goes away
 * (status 0, unless {@code --no-netns-quit}), on SIGTERM/SIGQUIT (0; SIGINT and SIGHUP too when there is no
 * command in the foreground), or when the tap hangs up (1).
 */
final class Loop {
    /** Largest frame the tap can hand us: MTU 65520 plus the Ethernet header, rounded up. */
    static final int FRAME_MAX = 65536 + 128;

    private final Epoll ep;
    private final MemorySegment frame;
    private final ByteBuffer word;
    private final long wordAddr;
    private final int signalFd;
    private final Nsd nsd;
    private final int tapFd;
    private final NsQuit quit;
    private final TapEngines tap;
    private final boolean commandMode;
    private final List<Drain> drains = new ArrayList<>();
    /** The command's status while connections drain after it exited, else -1. */
    private int drainStatus = -1;
    private long drainDeadline;
    /** The command exited with nothing busy: one more non-blocking pass of events before stopping. */
    private boolean lastLook;

    /**
     * Longest we keep going after the command exited, for connections still carrying what it wrote. The system
     * pasta exits at once and loses the tail of such transfers; we finish them, within this bound.
     */
    static final long DRAIN_MAX_NS = 30_000_000_000L;

    /** Something still moving data after the command exited: the loop waits until it is not busy. */
    interface Drain {
        /** @return true while connections still carry data toward their peers */
        boolean busy();

        /** The command has exited: accept no new connections. */
        default void stopAccepting() {
        }
    }

    Loop(Nsd nsd, int tapFd, NsQuit quit, TapEngines tap, boolean commandMode) throws IOException {
        this.nsd = nsd;
        this.tapFd = tapFd;
        this.quit = quit;
        this.tap = tap;
        this.commandMode = commandMode;
        word = Sys.buffer(8);
        wordAddr = Sys.address(word);
        frame = Arena.ofAuto().allocate(FRAME_MAX, 64);
        ep = new Epoll();
        int[] pipe = Signals.pipe();
        signalFd = pipe[0];
        Signals.install(pipe[1]);
        add(signalFd, Linux.EPOLLIN, Epoll.T_SIGNAL, 0);
        add(nsd.fd(), Linux.EPOLLIN, Epoll.T_NSD, 0);
        if (tapFd >= 0) {
            add(tapFd, Linux.EPOLLIN | Linux.EPOLLRDHUP, Epoll.T_TAP, 0);
        }
        if (quit != null) {
            add(quit.fd(), Linux.EPOLLIN, Epoll.T_QUIT, 0);
        }
    }

    /** Registers {@code fd} for {@code events}, dispatched to handler {@code type}. */
    void add(int fd, int events, int type, int index) throws IOException {
        Errno.check("epoll_ctl", ep.add(fd, events, type, index));
    }

    // TCP port forwarding listeners (-t/-T) and their spliced connections (issue 6)
    private Listeners listeners;
    private Splice splice;

    private Listeners udpListeners;

    /** Plugs in the UDP port forwarding listeners ({@code -u}, {@code -U}). */
    void udpListeners(Listeners l) {
        udpListeners = l;
    }

    /** Plugs in the port forwarding listeners and their spliced connections. */
    void splice(Listeners l, Splice s) {
        listeners = l;
        splice = s;
        addDrain(new Drain() {
            @Override
            public boolean busy() {
                return l.busy();
            }

            @Override
            public void stopAccepting() {
                l.stopAccepting();
            }
        });
    }

    // control sockets (pesto's -c, the JSON API's --api): events of T_CONTROL carry the server's number in their index
    private final List<ControlServer> servers = new ArrayList<>();

    /** @return the number the next control socket served by {@link #serve} gets */
    int nextServerId() {
        return servers.size();
    }

    /** Serves {@code s}, made with number {@link #nextServerId()}, from the loop. */
    void serve(ControlServer s) {
        servers.add(s);
    }

    // following the host (issue 18): events of T_HOST carry FollowHost's event index
    private FollowHost follow;

    /** Plugs in the host follower: its netlink socket, inotify descriptor and timer come as {@link Epoll#T_HOST}. */
    void follow(FollowHost f, int netlinkFd, int inotifyFd, int timerFd) throws IOException {
        follow = f;
        add(netlinkFd, Linux.EPOLLIN, Epoll.T_HOST, FollowHost.EV_NETLINK);
        add(inotifyFd, Linux.EPOLLIN, Epoll.T_HOST, FollowHost.EV_INOTIFY);
        add(timerFd, Linux.EPOLLIN, Epoll.T_HOST, FollowHost.EV_TIMER);
    }

    private int statsFd = -1;

    /** {@code --stats DELAY}: log the counters every {@code delaySeconds}, and once more at exit. */
    void stats(int delaySeconds) throws IOException {
        long ns = delaySeconds * 1_000_000_000L;
        statsFd = (int) Errno.check("timerfd_create", Sys.timerfdCreate());
        Errno.check("timerfd_settime", Sys.timerfdSet(statsFd, Math.max(ns, 1), Math.max(ns, 1)));
        add(statsFd, Linux.EPOLLIN, Epoll.T_TIMER, 0);
    }

    /** Logs the counters if {@code --stats} asked for them. */
    void logStats() {
        if (statsFd >= 0) {
            StringBuilder sb = new StringBuilder();
            for (Counters c : tap.stats()) {
                sb.append(c.format()).append('\n');
            }
            if (splice != null) {
                sb.append(splice.stats().format()).append('\n');
            }
            if (Flows.built() != null) {
                sb.append(Flows.built().statsText()).append('\n');
            }
            Log.info(sb.toString().strip());
        }
    }

    /** Registers a handler whose connections must finish before pasta exits after the command. */
    void addDrain(Drain d) {
        drains.add(d);
    }

    /** Work that can wait for a quiet moment: it must not delay the first events (a first connection). */
    interface IdleTask {
        void run() throws IOException;
    }

    private final ArrayDeque<IdleTask> idle = new ArrayDeque<>();

    /**
     * Queues {@code task} to run when an epoll poll finds nothing to do, one task per quiet poll, in order. While
     * tasks are queued the loop polls without blocking; events that arrive meanwhile are handled first.
     */
    void whenIdle(IdleTask task) {
        idle.add(task);
    }

    private void runIdleTask() {
        IdleTask t = idle.poll();
        try {
            t.run();
        } catch (IOException | RuntimeException e) {
            Log.debug("idle task failed: " + e.getMessage());
        }
    }

    private boolean busy() {
        for (Drain d : drains) {
            if (d.busy()) {
                return true;
            }
        }
        return false;
    }

    /** @return the epoll set, for the protocol handlers to register their sockets */
    Epoll epoll() {
        return ep;
    }

    /** Runs until something ends it. @return pasta's exit status */
    int run() {
        long deadline = tap.nextDeadlineNs(Sys.monotonicNs());
        for (;;) {
            if (drainStatus >= 0) {
                if (!busy() || Sys.monotonicNs() - drainDeadline >= 0) {
                    return drainStatus;
                }
                deadline = Math.min(deadline, Sys.monotonicNs() + 100_000_000L); // re-check at least every 100 ms
            }
            int timeoutMs = -1;
            if (!idle.isEmpty() || lastLook) {
                timeoutMs = 0;
            } else if (deadline != Long.MAX_VALUE) {
                long left = deadline - Sys.monotonicNs();
                timeoutMs = left <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, left / 1_000_000 + 1);
            }
            Flows.reap(); // no event of the next batch can name a flow freed before it
            int n = ep.await(timeoutMs);
            if (n < 0) {
                if (n == -Errno.EINTR) {
                    continue;
                }
                Log.err("epoll_wait: " + Errno.text(-n));
                return 1;
            }
            if (n == 0 && !idle.isEmpty() && !lastLook) {
                runIdleTask();
            }
            long now = Sys.monotonicNs();
            Flows.tick(now);
            for (int i = 0; i < n; i++) {
                int status = dispatch(ep.data(i), ep.events(i), now);
                if (status >= 0) {
                    return status;
                }
            }
            int exited = commandExited(now);
            if (exited >= 0) {
                if (lastLook) {
                    return exited;
                }
                // The exit may have come in the reply to a request of ours, with events still queued behind it:
                // a client the command connected just before it exited. One more pass without waiting serves them
                // (and drains what they carry) before we stop.
                lastLook = true;
                continue;
            }
            if (deadline != Long.MAX_VALUE && now - deadline >= 0) {
                deadline = tap.timer(now);
            } else {
                deadline = tap.nextDeadlineNs(now);
            }
        }
    }

    /**
     * Acts on the command's exit, which nsd reports at any time: also in the middle of a request we made (a pool
     * refill, an auto-scan bind), where the notification is consumed by the request and no epoll event follows, so
     * the loop asks this after every batch of events as well.
     *
     * @return the command's status to stop with, or -1 to go on (still running, or draining connections)
     */
    private int commandExited(long now) {
        if (nsd.exitStatus() < 0 || drainStatus >= 0) {
            return -1;
        }
        int status = Linux.shellStatus(nsd.exitStatus());
        if (!busy()) {
            return status;
        }
        // finish what the command wrote before it exited; new connections are refused
        Log.debug("Command exited with " + status + ", draining connections");
        for (Drain d : drains) {
            d.stopAccepting();
        }
        drainStatus = status;
        drainDeadline = now + DRAIN_MAX_NS;
        return -1;
    }

    /** @return an exit status to stop with, or -1 to go on */
    private int dispatch(long data, int ev, long now) {
        switch (Epoll.type(data)) {
            case Epoll.T_TAP:
                return fromTap(ev, now);
            case Epoll.T_TCP:
                tap.tcpEvent(Epoll.index(data), ev, now);
                return -1;
            case Epoll.T_NSD:
                nsd.onReadable();
                if (nsd.gone() && nsd.exitStatus() < 0) {
                    String how = nsd.reapDied();
                    Log.err("Namespace helper exited (jpasta-nsd, pid " + nsd.pid() + (how.isEmpty() ? "" : ", ")
                            + how + "): the namespace and the command are gone");
                    return 1;
                }
                return -1; // the command's exit, if that was it, is acted on after the batch: events behind it first
            case Epoll.T_SIGNAL: {
                long n = Sys.read(signalFd, wordAddr, 8);
                for (int i = 0; i < n; i++) {
                    int sig = word.get(i);
                    if (!commandMode || (sig != Linux.SIGINT && sig != Linux.SIGHUP)) {
                        Log.debug("Exiting on signal " + sig);
                        return 0;
                    }
                    // SIGINT, SIGHUP in command mode: the command has the terminal, and we end when it does
                }
                return -1;
            }
            case Epoll.T_ICMP:
                tap.icmpEvent(Epoll.index(data), Epoll.fd(data), now);
                return -1;
            case Epoll.T_QUIT:
                if (quit.onReadable()) {
                    Log.info("Namespace gone, exiting");
                    return 0;
                }
                return -1;
            case Epoll.T_TIMER:
                Sys.read(statsFd, wordAddr, 8);
                logStats();
                return -1;
            case Epoll.T_SPLICE_LISTEN:
                listeners.onListen(Epoll.index(data), Epoll.fd(data), ev);
                return -1;
            case Epoll.T_SPLICE:
                splice.onSocket(Epoll.index(data), Epoll.fd(data), ev);
                return -1;
            case Epoll.T_AUTO_SCAN:
                (Epoll.index(data) == 0 ? listeners : udpListeners).onScanTimer();
                return -1;
            case Epoll.T_UDP_LISTEN:
                udpListeners.onListen(Epoll.index(data), Epoll.fd(data), ev);
                return -1;
            case Epoll.T_UDP:
                tap.udpEvent(Epoll.index(data), Epoll.fd(data), ev, now);
                return -1;
            case Epoll.T_HOST:
                follow.onEvent(Epoll.index(data), now);
                return -1;
            case Epoll.T_CONTROL:
                servers.get(ControlServer.server(Epoll.index(data))).onEvent(Epoll.index(data), Epoll.fd(data), ev);
                return -1;
            default:
                return -1;
        }
    }

    private int fromTap(int ev, long now) {
        if ((ev & Linux.EPOLLIN) != 0) {
            for (int budget = 0; budget < 1024; budget++) {
                long len = Sys.read(tapFd, frame.address(), FRAME_MAX);
                if (len <= 0) {
                    if (len == 0 || (len != -Errno.EAGAIN && len != -Errno.EINTR)) {
                        Log.err("Tap device read error: " + (len == 0 ? "EOF" : Errno.text((int) -len)));
                        return 1;
                    }
                    break;
                }
                tap.frame(frame, (int) len, now);
            }
            tap.endOfBurst(now);
        }
        if ((ev & (Linux.EPOLLHUP | Linux.EPOLLERR | Linux.EPOLLRDHUP)) != 0) {
            Log.err("Tap device hangup");
            return 1;
        }
        return -1;
    }
}
