package io.jpasta.launcher;

import io.jpasta.netns.Nsd;
import io.jpasta.netns.NsQuit;
import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

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
    private final TapIo tap;
    private final boolean commandMode;

    /** Frames seen on the tap and bytes, for --stats and tests. */
    long tapFramesIn, tapBytesIn;

    Loop(Nsd nsd, int tapFd, NsQuit quit, TapIo tap, boolean commandMode) throws IOException {
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
        add(tapFd, Linux.EPOLLIN | Linux.EPOLLRDHUP, Epoll.T_TAP, 0);
        if (quit != null) {
            add(quit.fd(), Linux.EPOLLIN, Epoll.T_QUIT, 0);
        }
    }

    /** Registers {@code fd} for {@code events}, dispatched to handler {@code type}. */
    void add(int fd, int events, int type, int index) throws IOException {
        Errno.check("epoll_ctl", ep.add(fd, events, type, index));
    }

    /** @return the epoll set, for the protocol handlers to register their sockets */
    Epoll epoll() {
        return ep;
    }

    /** Runs until something ends it. @return pasta's exit status */
    int run() {
        long deadline = tap.nextDeadlineNs(Sys.monotonicNs());
        for (;;) {
            int timeoutMs = -1;
            if (deadline != Long.MAX_VALUE) {
                long left = deadline - Sys.monotonicNs();
                timeoutMs = left <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, left / 1_000_000 + 1);
            }
            int n = ep.await(timeoutMs);
            if (n < 0) {
                if (n == -Errno.EINTR) {
                    continue;
                }
                Log.err("epoll_wait: " + Errno.text(-n));
                return 1;
            }
            long now = Sys.monotonicNs();
            for (int i = 0; i < n; i++) {
                long data = ep.data(i);
                int status = dispatch(Epoll.type(data), Epoll.index(data), ep.events(i), now);
                if (status >= 0) {
                    return status;
                }
            }
            if (deadline != Long.MAX_VALUE && now - deadline >= 0) {
                deadline = tap.timer(now);
            } else {
                deadline = tap.nextDeadlineNs(now);
            }
        }
    }

    /** @return an exit status to stop with, or -1 to go on */
    private int dispatch(int type, int index, int ev, long now) {
        switch (type) {
            case Epoll.T_TCP:
                tap.tcpEvent(index, ev, now);
                return -1;
            case Epoll.T_TAP:
                return fromTap(ev, now);
            case Epoll.T_NSD:
                nsd.onReadable();
                if (nsd.exitStatus() >= 0) {
                    return Linux.shellStatus(nsd.exitStatus());
                }
                if (nsd.gone()) {
                    Log.err("Namespace helper exited");
                    return 1;
                }
                return -1;
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
            case Epoll.T_QUIT:
                if (quit.onReadable()) {
                    Log.info("Namespace gone, exiting");
                    return 0;
                }
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
                tapFramesIn++;
                tapBytesIn += len;
                tap.frameFromTap(frame, (int) len, now);
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
