package io.jpasta.launcher.control;

import io.jpasta.netns.log.Counters;
import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * The JSON control API's socket ({@code --api PATH}), served from the loop: several clients at once, each one
 * request per line and replies as lines. Unlike pesto's socket a client may stay (a {@code watch} stream), so the
 * bounds are per client: a request line of at most {@link #LINE_MAX} bytes, an output buffer of {@link #OUT_MAX}
 * bytes that a long reply refills as the client reads ({@link Handler#drained}), and at most {@link #MAX_CLIENTS}
 * clients (one more is told so and closed). A client that reads nothing never stalls the loop: what does not fit
 * its buffer is refused to the handler, which keeps its place (a listing) or drops and counts (events).
 *
 * <p>The handler ({@link Api}) holds the protocol and its JSON library; this class only moves bytes, so a pasta
 * that serves no API client loads neither.
 */
public final class ApiServer implements ControlServer {
    static final int MAX_CLIENTS = 16;
    static final int LINE_MAX = 4096;
    static final int OUT_MAX = 256 * 1024;
    private static final int READ_MAX = 4096, READS_PER_EVENT = 16;

    /** The protocol above the bytes. Called on the loop's thread only. */
    public interface Handler {
        /** One request line (without its newline) of {@code c}'s. */
        void request(Client c, byte[] line, int len);

        /** All that {@code c} was sent has been written: room for {@link #OUT_MAX} bytes again. */
        void drained(Client c);

        /** {@code c} is gone. */
        void closed(Client c);

        /** @return true if {@code c} waits for events ({@code watch}): it is never closed for being idle */
        default boolean watching(Client c) {
            return false;
        }

        /**
         * @return true while a reply to {@code c} is still being written (a long listing): its next requests wait,
         *         unread, until this turns false, so that replies never interleave and none is lost
         */
        default boolean busy(Client c) {
            return false;
        }
    }

    /** One client, as the handler sees it. */
    public interface Client {
        /** Queues {@code b}. @return false if it does not fit the client's output buffer now (nothing queued) */
        boolean send(byte[] b);

        /** Closes the client once what is queued is written (at once if the client is gone). */
        void close();

        /** The handler's state for this client (null until set). */
        Object state();

        void state(Object s);
    }

    private final SocketFile file;
    private final int id;
    private final Epoll ep;
    private final Function<Counters, Handler> handlerInit;
    private Handler handler;
    private final Conn[] clients = new Conn[MAX_CLIENTS];
    private final ByteBuffer in = Sys.buffer(READ_MAX);
    private final long inAddr = Sys.address(in);
    /** What the API served, and what it dropped by reason: the {@code api} line of its {@code stats} reply. */
    public static final int CLIENTS = 0, REQUESTS = 1, ERRORS = 2, EVENTS = 3;
    public static final int TOO_MANY_CLIENTS = 0, REQUEST_TOO_LONG = 1, REPLY_DID_NOT_FIT = 2, EVENT_DID_NOT_FIT = 3,
            IDLE = 4;
    private final Counters stats = counters();
    /** A client that moves no byte for this long, and does not watch, is closed; checked every quarter of it. */
    private final long idleNs;
    private final int timerFd;
    private boolean timerArmed;

    /** @return new, zero counters of the API */
    static Counters counters() {
        return new Counters("api", new String[] {"clients", "requests", "errors", "events"},
                new String[] {"too many clients", "request too long", "reply did not fit", "event did not fit",
                    "idle"});
    }

    private ApiServer(SocketFile file, int id, Epoll ep, Function<Counters, Handler> handler, long idleNs,
                      int timerFd) {
        this.file = file;
        this.id = id;
        this.ep = ep;
        this.handlerInit = handler;
        this.idleNs = idleNs;
        this.timerFd = timerFd;
    }

    /**
     * Creates the socket file {@code path} (mode 0600), as {@link SocketFile#listen} does, and serves it.
     *
     * @param handler makes the protocol handler at the first request (not before: it loads the JSON library); it
     *                counts requests, errors and events in the counters it is given
     * @param idleNs  a client that moves no byte for this long is closed, unless it watches
     */
    public static ApiServer open(String path, int id, Epoll ep, Function<Counters, Handler> handler, long idleNs)
            throws IOException {
        SocketFile file = SocketFile.listen(path, 16);
        int timer = Sys.timerfdCreate();
        if (timer < 0) {
            file.close();
            throw Errno.io("timerfd_create", timer);
        }
        ApiServer s = new ApiServer(file, id, ep, handler, idleNs, timer);
        int rc = ep.add(file.fd(), Linux.EPOLLIN, Epoll.T_CONTROL, ControlServer.index(id, ROLE_LISTEN, 0));
        if (rc >= 0) {
            rc = ep.add(timer, Linux.EPOLLIN, Epoll.T_CONTROL, ControlServer.index(id, ROLE_TIMER, 0));
        }
        if (rc < 0) {
            s.close();
            throw Errno.io("epoll_ctl", rc);
        }
        return s;
    }

    /** @return what the API served and dropped */
    public Counters stats() {
        return stats;
    }

    /** @return clients connected now */
    public int clients() {
        int n = 0;
        for (Conn c : clients) {
            n += c != null ? 1 : 0;
        }
        return n;
    }

    @Override
    public void onEvent(int index, int fd, int ev) {
        if (ControlServer.role(index) == ROLE_LISTEN) {
            accept();
            return;
        }
        if (ControlServer.role(index) == ROLE_TIMER) {
            closeIdle();
            return;
        }
        int slot = ControlServer.slot(index);
        Conn c = slot < MAX_CLIENTS ? clients[slot] : null;
        if (c == null || c.fd != fd) {
            return; // a closed client's late event
        }
        if ((ev & Linux.EPOLLOUT) != 0 && !c.flush()) {
            return;
        }
        if ((ev & (Linux.EPOLLIN | Linux.EPOLLRDHUP | Linux.EPOLLHUP | Linux.EPOLLERR)) != 0) {
            c.read();
        }
        if (clients[slot] == c) {
            c.interest();
        }
    }

    private void accept() {
        for (int k = 0; k < MAX_CLIENTS; k++) {
            int fd = Sys.accept4(file.fd(), 0, 0, Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC);
            if (fd < 0) {
                if (fd != -Errno.EAGAIN) {
                    Log.warn("accept4() on the API socket: " + Errno.text(-fd));
                }
                return;
            }
            int slot = 0;
            while (slot < MAX_CLIENTS && clients[slot] != null) {
                slot++;
            }
            if (slot == MAX_CLIENTS) {
                stats.drop(TOO_MANY_CLIENTS);
                ByteBuffer b = Sys.buffer(64);
                byte[] msg = "{\"error\":\"too many clients\"}\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                b.put(0, msg);
                Sys.sendto(fd, Sys.address(b), msg.length, Linux.MSG_NOSIGNAL | Linux.MSG_DONTWAIT, 0, 0);
                Sys.close(fd);
                continue;
            }
            Conn c = new Conn(slot, fd);
            int rc = ep.add(fd, Linux.EPOLLIN | Linux.EPOLLRDHUP, Epoll.T_CONTROL,
                    ControlServer.index(id, ROLE_CLIENT, slot));
            if (rc < 0) {
                Log.warn("epoll_ctl() on an API client: " + Errno.text(-rc));
                Sys.close(fd);
                continue;
            }
            clients[slot] = c;
            stats.count(CLIENTS);
            if (!timerArmed) {
                long every = Math.max(idleNs / 4, 1_000_000L);
                Sys.timerfdSet(timerFd, every, every);
                timerArmed = true;
            }
        }
    }

    /** On the timer: closes the clients idle for too long, and stops the timer when no client is left. */
    private void closeIdle() {
        Sys.read(timerFd, inAddr, 8);
        long now = Sys.monotonicNs();
        int left = 0;
        for (Conn c : clients) {
            if (c == null) {
                continue;
            }
            if (now - c.lastNs >= idleNs && (handler == null || !handler.watching(c))) {
                stats.drop(IDLE);
                Log.debug("API client idle for " + idleNs / 1_000_000 + " ms, closing");
                c.drop();
            } else {
                left++;
            }
        }
        if (left == 0) {
            Sys.timerfdSet(timerFd, 0, 0);
            timerArmed = false;
        }
    }

    @Override
    public void close() {
        for (Conn c : clients) {
            if (c != null) {
                c.drop();
            }
        }
        file.close();
        Sys.close(timerFd);
    }

    private Handler handler() {
        if (handler == null) {
            handler = handlerInit.apply(stats);
        }
        return handler;
    }

    private final class Conn implements Client {
        final int slot, fd;
        final ByteBuffer out = Sys.buffer(OUT_MAX);
        final long outAddr = Sys.address(out);
        int outStart, outEnd, events = Linux.EPOLLIN | Linux.EPOLLRDHUP;
        final byte[] line = new byte[LINE_MAX];
        int lineLen;
        /** Bytes read but not parsed yet: what came after a request whose reply is still being written. */
        final byte[] unparsed = new byte[READ_MAX];
        int unparsedAt, unparsedEnd;
        boolean closing;
        Object state;
        /** When the client last moved a byte either way (monotonic ns). */
        long lastNs = Sys.monotonicNs();

        Conn(int slot, int fd) {
            this.slot = slot;
            this.fd = fd;
        }

        /** @return true while this client's requests are to be read and handled */
        boolean reading() {
            return !closing && clients[slot] == this && (handler == null || !handler.busy(this));
        }

        void read() {
            parse();
            for (int i = 0; i < READS_PER_EVENT && reading() && unparsedAt == unparsedEnd; i++) {
                long n = Sys.read(fd, inAddr, READ_MAX);
                if (n == -Errno.EAGAIN) {
                    return;
                }
                if (n <= 0) {
                    drop();
                    return;
                }
                in.get(0, unparsed, 0, (int) n);
                lastNs = Sys.monotonicNs();
                unparsedAt = 0;
                unparsedEnd = (int) n;
                parse();
            }
        }

        /**
         * Hands one request line to the handler. A failure of ours (a bug, or the JSON library missing from the
         * installation) is answered with an error line and logged: it never ends the loop.
         */
        void request(int len) {
            try {
                handler().request(this, line, len);
            } catch (RuntimeException | LinkageError e) {
                stats.count(ERRORS);
                Log.warn("API request failed: " + e);
                send("{\"error\":\"internal error, see jpasta's log\"}\n".getBytes(StandardCharsets.US_ASCII));
            }
        }

        /** Handles the complete request lines read so far, stopping while a reply is still being written. */
        void parse() {
            while (unparsedAt < unparsedEnd && reading()) {
                byte b = unparsed[unparsedAt++];
                if (b == '\n') {
                    int len = lineLen;
                    lineLen = 0;
                    request(len);
                } else if (lineLen == LINE_MAX) {
                    stats.drop(REQUEST_TOO_LONG);
                    send("{\"error\":\"request longer than 4096 bytes\"}\n"
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    close();
                } else {
                    line[lineLen++] = b;
                }
            }
        }

        /** Writes what is queued, as far as the socket takes it. @return false if the client was dropped */
        boolean write() {
            while (outEnd > outStart) {
                long n = Sys.sendto(fd, outAddr + outStart, outEnd - outStart, Linux.MSG_NOSIGNAL, 0, 0);
                if (n == -Errno.EAGAIN) {
                    return true;
                }
                if (n < 0) {
                    drop();
                    return false;
                }
                outStart += (int) n;
                lastNs = Sys.monotonicNs();
            }
            outStart = outEnd = 0;
            return true;
        }

        /** On EPOLLOUT: writes, and once all is written tells the handler. @return false if the client was dropped */
        boolean flush() {
            if (!write() || outEnd > outStart) {
                return clients[slot] == this;
            }
            if (closing) {
                drop();
                return false;
            }
            handler().drained(this);
            parse(); // requests that waited for the reply just finished
            return clients[slot] == this;
        }

        void interest() {
            // no input while requests already read wait for a reply to finish: the kernel's buffer holds the rest
            int want = (reading() && unparsedAt == unparsedEnd ? Linux.EPOLLIN | Linux.EPOLLRDHUP : 0)
                    | (outEnd > outStart ? Linux.EPOLLOUT : 0);
            if (want != events) {
                events = want;
                ep.modify(fd, want, Epoll.T_CONTROL, ControlServer.index(id, ROLE_CLIENT, slot));
            }
        }

        @Override
        public boolean send(byte[] b) {
            if (clients[slot] != this || closing) {
                return false;
            }
            if (outEnd + b.length > OUT_MAX) {
                if (outStart > 0) {
                    out.put(0, out, outStart, outEnd - outStart);
                    outEnd -= outStart;
                    outStart = 0;
                }
                if (outEnd + b.length > OUT_MAX) {
                    return false;
                }
            }
            out.put(outEnd, b);
            outEnd += b.length;
            if (write() && clients[slot] == this) {
                interest(); // what the socket did not take goes on EPOLLOUT
            }
            return true;
        }

        @Override
        public void close() {
            closing = true;
            if (outEnd == outStart) {
                drop();
            } else {
                interest();
            }
        }

        void drop() {
            if (clients[slot] != this) {
                return;
            }
            clients[slot] = null;
            ep.remove(fd);
            Sys.close(fd);
            if (handler != null) {
                handler.closed(this);
            }
        }

        @Override
        public Object state() {
            return state;
        }

        @Override
        public void state(Object s) {
            state = s;
        }
    }
}
