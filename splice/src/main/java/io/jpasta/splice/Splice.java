package io.jpasta.splice;

import io.jpasta.netns.log.Counters;
import io.jpasta.netns.log.Log;
import static io.jpasta.netns.sys.Errno.EAGAIN;
import static io.jpasta.netns.sys.Errno.EINPROGRESS;
import static io.jpasta.netns.sys.Errno.ENOTCONN;
import static io.jpasta.netns.sys.Linux.EPOLLERR;
import static io.jpasta.netns.sys.Linux.EPOLLET;
import static io.jpasta.netns.sys.Linux.EPOLLHUP;
import static io.jpasta.netns.sys.Linux.EPOLLIN;
import static io.jpasta.netns.sys.Linux.EPOLLOUT;
import static io.jpasta.netns.sys.Linux.SHUT_WR;
import static io.jpasta.netns.sys.Linux.SPLICE_F_MORE;
import static io.jpasta.netns.sys.Linux.SPLICE_F_MOVE;
import static io.jpasta.netns.sys.Linux.SPLICE_F_NONBLOCK;
import static io.jpasta.splice.SpliceConn.FLUSHED_AFTER_GONE;
import static io.jpasta.splice.SpliceConn.GONE_0;
import static io.jpasta.splice.SpliceConn.GONE_1;
import static io.jpasta.splice.SpliceConn.SPLICE_CONNECT;
import static io.jpasta.splice.SpliceConn.SPLICE_ESTABLISHED;
import static io.jpasta.splice.SpliceConn.corked;
import static io.jpasta.splice.SpliceConn.dirty;
import static io.jpasta.splice.SpliceConn.finRcvd;
import static io.jpasta.splice.SpliceConn.finSent;
import static io.jpasta.splice.SpliceConn.gone;
import static io.jpasta.splice.SpliceConn.outWait;

import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.flow.Pif;

import java.util.function.Supplier;

/**
 * The spliced connections: their flows, their pipes, and the state machine that moves data between the two sockets
 * of each without copying it into the JVM (theory of operation in {@code package-info.java}).
 *
 * <p>Each connection is a flow of type {@link FlowType#TCP_SPLICE} in the shared {@link FlowTable}, so that one
 * capacity bounds tap, ICMP and spliced flows together; its index is the flow index, and its per-connection state
 * sits in {@link SpliceConn} objects indexed by it. The epoll index of side {@code s} of connection {@code i} is the
 * flow side index {@code i * 2 + s} ({@link #epollIndex}, {@link FlowTable#sidx}).
 *
 * <p>Single-threaded: every method runs on the loop thread.
 */
public final class Splice {
    /** Largest pipe we ask for; the kernel may grant less (fs.pipe-max-size, per-user pipe page limits). */
    public static final int PIPE_SIZE_MAX = 8 << 20;
    /** Pipes kept open for reuse by the next connections. */
    static final int PIPE_POOL = 64;
    /** Read/write rounds per event before yielding to other connections (we come back through EPOLLOUT). */
    static final int ROUNDS = 16;
    static final int READ_FLAGS = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
    static final int WRITE_FLAGS = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;
    private static final int LOOPBACK4 = 0x7f00_0001;

    private final SpliceIo io;
    private final Supplier<FlowTable> flowTable;
    /** The shared flow table and our objects by flow index, made on first use (the table is large). */
    private FlowTable flows;
    private SpliceConn[] conns;
    private final int[] poolR = new int[PIPE_POOL], poolW = new int[PIPE_POOL], poolSize = new int[PIPE_POOL];
    private final int[] pipeOut = new int[3];
    private int pooled;
    private int active;

    /** True once the table-full condition was logged, until a flow is freed again: one line per episode. */
    private boolean fullLogged;

    /** Counted events ({@link #stats()}): connections opened and closed, failed connects, sides that failed. */
    public static final int OPENED = 0, CLOSED = 1, CONNECT_FAILED = 2, RESETS = 3;
    /**
     * Why an accepted connection was reset without being spliced: the flow table was full, or there was no pipe
     * or no socket for the other side (out of descriptors, nsd gone).
     */
    public static final int TABLE_FULL = 0, NO_RESOURCES = 1;
    private static final String[] COUNT_NAMES = {"opened", "closed", "connect-failed", "resets"};
    private static final String[] REASON_NAMES = {"flow table full", "no pipe or socket"};
    private final Counters stats = new Counters("splice", COUNT_NAMES, REASON_NAMES);

    /** @param flowTable the shared flow table, asked for on first use */
    public Splice(SpliceIo io, Supplier<FlowTable> flowTable) {
        this.io = io;
        this.flowTable = flowTable;
    }

    /** Over a table of its own, or one the caller shares with other flows (tests). */
    public Splice(SpliceIo io, FlowTable flows) {
        this(io, () -> flows);
    }

    private FlowTable flows() {
        if (flows == null) {
            flows = flowTable.get();
            conns = new SpliceConn[flows.capacity()];
        }
        return flows;
    }

    /** @return the epoll index of side {@code side} of connection {@code conn}: its flow side index */
    public static int epollIndex(int conn, int side) {
        return FlowTable.sidx(conn, side);
    }

    /** @return true if a new connection would get a flow (checked before taking a socket from a pool) */
    public boolean hasRoom() {
        FlowTable t = flows();
        return t.count() < t.capacity();
    }

    /**
     * Checks, before the caller spends a socket on it, that an accepted connection can get a flow; if the shared
     * flow table is full, refuses it: resets it (SO_LINGER 0), counts it, and logs the first refusal of each
     * episode at debug level.
     *
     * @return true if it may be {@link #open opened}, false if it was refused and closed
     */
    public boolean admit(int accepted) {
        if (hasRoom()) {
            return true;
        }
        flows.alloc(FlowType.TCP_SPLICE); // fails, and so counts the refusal in the table's statistics as well
        refuseFull(accepted);
        return false;
    }

    private void refuseFull(int accepted) {
        io.abort(accepted);
        stats.drop(TABLE_FULL);
        if (!fullLogged) {
            fullLogged = true;
            Log.debug("Flow table full (" + flows.count() + " flows, " + active
                    + " spliced): refusing loopback connections");
        }
    }

    /** @return connections open now */
    public int active() {
        return active;
    }

    /** @return true while some connection still has data to move or a close to finish */
    public boolean busy() {
        return active > 0;
    }

    /** Refuses an accepted socket that found no pipe or no socket for its other side: resets it, counts it. */
    public void refuse(int fd) {
        io.abort(fd);
        stats.drop(NO_RESOURCES);
    }

    /** Opens pipes ahead of need, so the first connections make no pipe2/fcntl calls. */
    public void prefillPipes(int n) {
        while (pooled < Math.min(n, PIPE_POOL) && io.pipe(PIPE_SIZE_MAX, pipeOut) == 0) {
            poolR[pooled] = pipeOut[0];
            poolW[pooled] = pipeOut[1];
            poolSize[pooled++] = pipeOut[2];
        }
    }

    /** Like {@link #open(int, int, boolean, int, int, long, long, int, int)} with no addresses for the flow. */
    public int open(int accepted, int target, boolean v6, int port) {
        return open(accepted, target, v6, port, Pif.HOST, 0, 0, 0, 0);
    }

    /**
     * Starts splicing {@code accepted} (side 0) with {@code target} (side 1, a fresh unconnected socket of the
     * right family), connecting the target to loopback {@code port}. Both sockets belong to the connection from now
     * on: on any failure they are closed here. The flow's sides record, for statistics and logs, the client and
     * listening port on side 0 and the loopback target on side 1; neither is hashed (nothing looks spliced flows up
     * by address).
     *
     * @param pif        where the accepted socket lives: {@link Pif#HOST} for {@code -t}, {@link Pif#SPLICE} for
     *                   {@code -T}; the target is on the other one
     * @param peerHi     the client's address ({@link Inany} form)
     * @param peerLo     the client's address ({@link Inany} form)
     * @param peerPort   the client's port
     * @param listenPort the port it connected to
     * @return the connection's (flow) index, or -1 if it was refused (flow table full, no pipe) or the connect
     *         failed at once
     */
    public int open(int accepted, int target, boolean v6, int port, int pif, long peerHi, long peerLo, int peerPort,
                    int listenPort) {
        int i = flows().alloc(FlowType.TCP_SPLICE);
        if (i == FlowTable.NONE) {
            io.close(target);
            refuseFull(accepted);
            return -1;
        }
        flows.side(i, 0, pif, peerHi, peerLo, peerPort, v6 ? 0 : Inany.V4_HI, v6 ? 0 : Inany.v4Lo(0), listenPort);
        flows.side(i, 1, pif == Pif.HOST ? Pif.SPLICE : Pif.HOST, 0, v6 ? 1 : Inany.v4Lo(LOOPBACK4), port,
                0, v6 ? 0 : Inany.v4Lo(0), 0);
        SpliceConn c = conns[i];
        if (c == null) {
            c = conns[i] = new SpliceConn(i);
        }
        c.sock[0] = accepted;
        c.sock[1] = target;
        c.v6 = v6;
        c.targetPort = port;
        if (!takePipe(c, 0) || !takePipe(c, 1)) {
            putPipes(c);
            io.close(target);
            c.clear();
            flows.free(i);
            fullLogged = false;
            refuse(accepted);
            return -1;
        }
        c.events = SPLICE_CONNECT;
        active++;
        stats.count(OPENED);
        if (Log.trace) {
            Log.trace(flowText(i));
        }
        io.tune(accepted);
        io.tune(target);
        int rc = io.connectLoopback(target, v6, port);
        if (rc == 0) {
            established(c);
        } else if (rc == -EINPROGRESS) {
            settle(c);
        } else {
            connectFailed(c, false);
            return -1;
        }
        return i;
    }

    /**
     * Handles epoll events on a spliced socket.
     *
     * @param epollIndex the registration's index ({@link #epollIndex})
     * @param fd         the registration's descriptor: events for a socket closed earlier in the same batch are
     *                   ignored
     */
    public void onSocket(int epollIndex, int fd, int ev) {
        int s = epollIndex & 1;
        int i = epollIndex >>> 1;
        SpliceConn c = conns != null && i < conns.length ? conns[i] : null;
        if (c == null || !c.inUse() || c.sock[s] != fd) {
            return;
        }
        if (c.has(SPLICE_CONNECT)) {
            if (s == 1 && (ev & EPOLLOUT) != 0 && (ev & (EPOLLERR | EPOLLHUP)) == 0 && io.socketError(fd) == 0) {
                established(c);
            } else if ((ev & (EPOLLERR | EPOLLHUP)) != 0 || s == 1) {
                connectFailed(c, s == 0);
            }
            return;
        }
        if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
            pump(c, s);
        }
        if ((ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) {
            pump(c, 1 - s);
        }
        if ((ev & EPOLLERR) != 0 && !c.has(gone(s))) {
            int err = io.socketError(fd);
            if (err != 0) {
                fail(c, s, -err);
                pump(c, s); // what side s sent before failing still goes out
            }
        }
        settle(c);
    }

    private void established(SpliceConn c) {
        c.events = (c.events & ~SPLICE_CONNECT) | SPLICE_ESTABLISHED;
        pump(c, 0);
        pump(c, 1);
        settle(c);
    }

    /**
     * The target refused, or the client reset before we were connected ({@code clientGone}): reset the client, drop
     * everything. A target the client left is reset too: its connect may have completed already, and an orderly
     * close would show its server an empty but complete request instead of the client's reset.
     */
    private void connectFailed(SpliceConn c, boolean clientGone) {
        stats.count(CONNECT_FAILED);
        io.abort(c.sock[0]);
        if (clientGone) {
            io.abort(c.sock[1]);
        } else {
            io.close(c.sock[1]);
        }
        c.sock[0] = c.sock[1] = -1;
        release(c);
    }

    /**
     * Moves data from side {@code f} to the other side until the source is empty, the destination would block
     * ({@code OUT_WAIT}), end of stream, an error, or {@link #ROUNDS} rounds (then we wait for EPOLLOUT on the
     * destination, which is as good as yielding). Safe with edge-triggered epoll: we never stop with data left
     * unread in the source unless an EPOLLOUT wake-up is armed.
     */
    private void pump(SpliceConn c, int f) {
        int t = 1 - f;
        if (c.has(gone(t))) {
            return;
        }
        for (int round = 0; ; round++) {
            if (round == ROUNDS) {
                // yield; the destination is likely writable already, so re-arm it: EPOLLOUT brings us back
                c.events |= outWait(t);
                c.rearm[t] = true;
                return;
            }
            long got = 0;
            boolean more = false;
            if (!c.has(finRcvd(f) | gone(f)) && c.pending[f] < c.pipeSize[f]) {
                long room = c.pipeSize[f] - c.pending[f];
                long n = io.splice(c.sock[f], c.pipeW[f], c.pipeSize[f], READ_FLAGS);
                if (n > 0) {
                    c.pending[f] += n;
                    got = n;
                    more = n >= room; // filled the pipe: the source very likely has more
                } else if (n == 0) {
                    c.events |= finRcvd(f);
                } else if (n != -EAGAIN) {
                    fail(c, f, n);
                    continue; // still deliver what side f sent before failing
                }
            }
            if (c.pending[f] > 0) {
                long m = io.splice(c.pipeR[f], c.sock[t], c.pending[f], WRITE_FLAGS | (more ? SPLICE_F_MORE : 0));
                if (m == -EAGAIN || m == 0) {
                    c.events |= outWait(t);
                    return;
                }
                if (m < 0) {
                    fail(c, t, m);
                    return;
                }
                c.pending[f] -= m;
                c.moved[f] += m;
                flows.count(FlowTable.sidx(c.index, f), m, 1);
                if (c.has(gone(f))) {
                    c.events |= FLUSHED_AFTER_GONE;
                }
                c.events = more ? c.events | corked(t) : c.events & ~corked(t);
                continue; // progress: write the rest, or read more
            }
            if (got == 0) {
                break; // pipe empty and nothing read: source drained, at end of stream, or not readable
            }
        }
        c.events &= ~outWait(t);
        if (c.has(corked(t))) {
            io.push(c.sock[t]);
            c.events &= ~corked(t);
        }
    }

    /** Side {@code x} failed with {@code err} (-errno): close it; what was read from it still goes out, what was meant for it is dropped. */
    private void fail(SpliceConn c, int x, long err) {
        if (c.has(gone(x))) {
            return;
        }
        if (Log.trace) {
            Log.trace(c + ": side " + x + " failed, errno " + -err);
        }
        int o = 1 - x;
        stats.count(RESETS);
        io.close(c.sock[x]);
        c.sock[x] = -1;
        c.interest[x] = -1;
        c.events |= gone(x);
        c.events &= ~(outWait(x) | corked(x));
        if (c.pending[o] > 0) {
            c.pending[o] = 0;
            c.events |= dirty(o);
        }
    }

    /**
     * After any change: half-closes where a direction has ended, closes the connection when both have, and brings
     * the epoll interest of both sockets up to date.
     */
    private void settle(SpliceConn c) {
        if (Log.trace) {
            Log.trace(c + " pending " + c.pending[0] + "/" + c.pending[1] + " moved " + c.moved[0] + "/"
                    + c.moved[1]);
        }
        if (c.has(SPLICE_ESTABLISHED)) {
            boolean done = true;
            for (int f = 0; f < 2; f++) {
                int t = 1 - f;
                if (c.pending[f] > 0 && !c.has(gone(t))) {
                    done = false;
                    continue;
                }
                if (c.has(gone(f) | gone(t))) {
                    continue; // this direction can carry nothing more
                }
                if (!c.has(finRcvd(f))) {
                    done = false;
                    continue;
                }
                if (!c.has(finSent(t))) {
                    int rc = io.shutdown(c.sock[t], SHUT_WR);
                    if (rc < 0 && rc != -ENOTCONN) {
                        fail(c, t, rc);
                        continue;
                    }
                    c.events |= finSent(t);
                }
            }
            if (done) {
                finish(c);
                return;
            }
        }
        for (int s = 0; s < 2; s++) {
            if (c.has(gone(s))) {
                continue;
            }
            int want = 0; // EPOLLET is added when registering
            if (c.has(SPLICE_CONNECT)) {
                want |= s == 1 ? EPOLLOUT : 0;
            } else {
                int o = 1 - s;
                if (!c.has(finRcvd(s) | gone(o) | outWait(o))) {
                    want |= EPOLLIN;
                }
                if (c.has(outWait(s))) {
                    want |= EPOLLOUT;
                }
            }
            if (want != c.interest[s] || c.rearm[s]) {
                c.rearm[s] = false;
                int idx = epollIndex(c.index, s);
                int rc = c.interest[s] < 0 ? io.epollAdd(c.sock[s], want | EPOLLET, idx)
                        : io.epollModify(c.sock[s], want | EPOLLET, idx);
                if (rc < 0) {
                    // cannot watch it: without events it would hang forever, so treat it as failed
                    fail(c, s, rc);
                    settle(c);
                    return;
                }
                c.interest[s] = want;
            }
        }
    }

    /** Both directions are over: close what is left, propagating a reset if one side failed with nothing after. */
    private void finish(SpliceConn c) {
        boolean reset = c.has(GONE_0 | GONE_1) && !c.has(FLUSHED_AFTER_GONE);
        for (int s = 0; s < 2; s++) {
            if (c.has(gone(s))) {
                continue;
            }
            if (reset) {
                io.abort(c.sock[s]);
            } else {
                io.close(c.sock[s]);
            }
            c.sock[s] = -1;
        }
        stats.count(CLOSED);
        release(c);
    }

    private void release(SpliceConn c) {
        putPipes(c);
        c.clear();
        flows.free(c.index);
        fullLogged = false;
        active--;
        if (Log.trace) {
            Log.trace("Flow " + c.index + ": free");
        }
    }

    private boolean takePipe(SpliceConn c, int side) {
        if (pooled > 0) {
            pooled--;
            c.pipeR[side] = poolR[pooled];
            c.pipeW[side] = poolW[pooled];
            c.pipeSize[side] = poolSize[pooled];
            return true;
        }
        if (io.pipe(PIPE_SIZE_MAX, pipeOut) < 0) {
            return false;
        }
        c.pipeR[side] = pipeOut[0];
        c.pipeW[side] = pipeOut[1];
        c.pipeSize[side] = pipeOut[2];
        return true;
    }

    /** Pools the connection's pipes if they are known empty, else closes them (stale bytes must not leak). */
    private void putPipes(SpliceConn c) {
        for (int s = 0; s < 2; s++) {
            if (c.pipeR[s] < 0) {
                continue;
            }
            if (c.pending[s] == 0 && !c.has(dirty(s)) && pooled < PIPE_POOL) {
                poolR[pooled] = c.pipeR[s];
                poolW[pooled] = c.pipeW[s];
                poolSize[pooled++] = c.pipeSize[s];
            } else {
                io.close(c.pipeR[s]);
                io.close(c.pipeW[s]);
            }
            c.pipeR[s] = c.pipeW[s] = -1;
        }
    }

    /** @return a one-line description of connection {@code i}'s state, for debugging */
    public String describe(int i) {
        SpliceConn c = conns != null && i < conns.length ? conns[i] : null;
        return c == null || !c.inUse() ? "splice flow " + i + ": free" : c.toString();
    }

    /**
     * @return flow {@code i} as pasta's flow log has it: {@code "Flow 3 (TCP (spliced)): HOST [127.0.0.1]:40000 ->
     *         [0.0.0.0]:8080 => SPLICE [127.0.0.1]:8080"}
     */
    public String flowText(int i) {
        int s0 = FlowTable.sidx(i, 0), s1 = FlowTable.sidx(i, 1);
        return "Flow " + i + " (" + FlowType.name(flows.type(i)) + "): " + Pif.name(flows.pif(s0)) + " "
                + endpoint(flows.eAddrHi(s0), flows.eAddrLo(s0), flows.ePort(s0)) + " -> "
                + endpoint(flows.oAddrHi(s0), flows.oAddrLo(s0), flows.oPort(s0)) + " => "
                + Pif.name(flows.pif(s1)) + " " + endpoint(flows.eAddrHi(s1), flows.eAddrLo(s1), flows.ePort(s1));
    }

    private static String endpoint(long hi, long lo, int port) {
        if (Inany.isV4(hi, lo)) {
            int a = Inany.v4(lo);
            return "[" + (a >>> 24) + "." + (a >>> 16 & 255) + "." + (a >>> 8 & 255) + "." + (a & 255) + "]:" + port;
        }
        int[] g = new int[8];
        int run = -1, runLen = 1; // longest run of zero groups, compressed to "::" (RFC 5952 §4.2)
        for (int k = 0, start = -1; k < 8; k++) {
            g[k] = (int) ((k < 4 ? hi : lo) >>> (48 - 16 * (k & 3)) & 0xffff);
            start = g[k] == 0 ? (start < 0 ? k : start) : -1;
            if (start >= 0 && k - start + 1 > runLen) {
                run = start;
                runLen = k - start + 1;
            }
        }
        StringBuilder sb = new StringBuilder("[");
        for (int k = 0; k < 8; k++) {
            if (k == run) {
                sb.append("::");
                k += runLen - 1;
                continue;
            }
            if (k > 0 && k != run + runLen) {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[k]));
        }
        return sb.append("]:").append(port).toString();
    }

    /** @return bytes moved so far from side {@code side} of connection {@code i} to its other side */
    public long moved(int i, int side) {
        return conns[i].moved[side];
    }

    /** @return true if connection {@code i} is open */
    public boolean isOpen(int i) {
        return conns != null && i < conns.length && conns[i] != null && conns[i].inUse();
    }

    /** @return the counters as one line for {@code --stats} */
    public Counters stats() {
        return stats;
    }

    /** @return the raw state bits of connection {@code i} ({@code SpliceConn} constants), for tests */
    int events(int i) {
        return conns[i].events;
    }
}
