package io.jpasta.launcher;

import io.jpasta.launcher.Listeners.Forward;
import io.jpasta.launcher.Listeners.Scan;
import io.jpasta.netns.Nsd;
import io.jpasta.netns.SockDiag;
import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static io.jpasta.launcher.ListenerTable.HOST;
import static io.jpasta.launcher.ListenerTable.NS;

/**
 * {@code auto}: every second, the ports listening (TCP) or bound unconnected (UDP) on the other side, read with
 * sock_diag (the namespace's through a netlink socket nsd opened there), are listened to on this side, within the
 * ranges {@code auto} was given; a port that stops listening there is closed here. Ports where we listen ourselves
 * on the other side are left out, so that nothing is forwarded back to us.
 *
 * <p>One timer per protocol, registered as {@link Epoll#T_AUTO_SCAN} with index 0 for TCP and 1 for UDP.
 */
final class AutoScan {
    static final long INTERVAL_NS = 1_000_000_000L;

    private final Nsd nsd;
    private final Epoll ep;
    private final ListenerTable table;
    private final int proto;
    /** The ranges of each side, and the union of their ports as a bitmap. */
    @SuppressWarnings("unchecked")
    private final List<Scan>[] ranges = new List[] {List.of(), List.of()};
    private final long[][] allowed = {new long[1024], new long[1024]};
    /** Ports listened to by auto listeners, by side. */
    private final long[][] mine = {new long[1024], new long[1024]};
    private final long[] seen = new long[1024];
    private final ByteBuffer word = Sys.buffer(8);
    private int timerFd = -1;
    /** Listening-port queries of the namespace (for the host's auto) and of the host (the namespace's), or null. */
    private SockDiag nsDiag, hostDiag;

    AutoScan(Nsd nsd, Epoll ep, ListenerTable table) {
        this.nsd = nsd;
        this.ep = ep;
        this.table = table;
        this.proto = table.udp() ? Linux.IPPROTO_UDP : Linux.IPPROTO_TCP;
    }

    /** @return the epoll index of the timer: 0 for TCP, 1 for UDP */
    int index() {
        return table.udp() ? 1 : 0;
    }

    /** Sets the ranges {@code auto} follows on {@code side} (those of {@code -t}/{@code -u} are the host's). */
    void ranges(int side, List<Scan> scans) {
        ranges[side] = List.copyOf(scans);
        long[] m = allowed[side];
        Arrays.fill(m, 0);
        for (Scan s : scans) {
            for (int p = s.first(); p <= s.last(); p++) {
                m[p >>> 6] |= 1L << p;
            }
        }
    }

    /** @return the forward {@code auto} makes for {@code port} on {@code side}: from the first range with it */
    Forward forward(int side, int port) {
        for (Scan s : ranges[side]) {
            if (port >= s.first() && port <= s.last()) {
                return s.forward(port);
            }
        }
        return null;
    }

    /** Forgets that {@code port} on {@code side} has an auto listener (it was closed). */
    void forget(int side, int port) {
        mine[side][port >>> 6] &= ~(1L << port);
    }

    /** Opens what the ranges need and is not open yet: the listening-port queries and the timer. */
    void start() throws IOException {
        boolean toNs = !ranges[HOST].isEmpty(), fromNs = !ranges[NS].isEmpty();
        if (toNs && nsDiag == null) {
            nsDiag = new SockDiag(nsd.netlink(SockDiag.NETLINK_SOCK_DIAG), proto);
        }
        if (fromNs && hostDiag == null) {
            hostDiag = SockDiag.open(proto);
        }
        if ((toNs || fromNs) && timerFd < 0) {
            timerFd = (int) Errno.check("timerfd_create", Sys.timerfdCreate());
            Errno.check("timerfd_settime", Sys.timerfdSet(timerFd, INTERVAL_NS, INTERVAL_NS));
            Errno.check("epoll_ctl", ep.add(timerFd, Linux.EPOLLIN, Epoll.T_AUTO_SCAN, index()));
        }
    }

    /** Stops the timer. */
    void stop() {
        if (timerFd >= 0) {
            Sys.close(timerFd);
            timerFd = -1;
        }
    }

    /** Handles the one-second timer. */
    void onTimer() {
        if (timerFd < 0) {
            return;
        }
        Sys.read(timerFd, Sys.address(word), 8);
        scan();
    }

    /** Follows the listening ports of the other side, for each side with ranges. */
    void scan() {
        if (nsDiag != null) {
            follow(nsDiag, HOST, NS);
        }
        if (hostDiag != null) {
            follow(hostDiag, NS, HOST);
        }
    }

    /** Makes the auto listeners on {@code side} match the ports listening on {@code other}. */
    private void follow(SockDiag diag, int side, int other) {
        Arrays.fill(seen, 0);
        int rc = diag.listening(seen);
        if (rc < 0) {
            Log.debug("auto: listening ports of the " + (other == NS ? "namespace" : "host") + ": "
                    + Errno.text(-rc));
            return;
        }
        long[] ours = table.bound(other), here = table.bound(side), have = mine[side], ok = allowed[side];
        for (int w = 0; w < seen.length; w++) {
            long want = seen[w] & ~ours[w] & ok[w];
            long add = want & ~have[w] & ~here[w], remove = have[w] & ~want;
            for (long b = add; b != 0; b &= b - 1) {
                add(side, w << 6 | Long.numberOfTrailingZeros(b));
            }
            for (long b = remove; b != 0; b &= b - 1) {
                int port = w << 6 | Long.numberOfTrailingZeros(b);
                table.closeAuto(side, port);
                have[w] &= ~(1L << port);
                Log.debug("auto: port " + port + " no longer forwarded");
            }
        }
    }

    private void add(int side, int port) {
        Forward f = port == 0 ? null : forward(side, port);
        if (f == null) {
            return;
        }
        int n;
        try {
            n = table.bind(side, f, true);
        } catch (IOException e) {
            n = 0;
        }
        if (n > 0) {
            mine[side][port >>> 6] |= 1L << port;
            Log.debug("auto: forwarding port " + port + (side == HOST ? " to namespace" : " to host"));
        }
    }
}
