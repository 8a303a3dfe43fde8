package io.jpasta.launcher.control;

import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A unix stream socket served from the event loop, one client at a time: the plumbing under pesto's protocol
 * ({@link PestoSession}) and, later, other control protocols. The loop's epoll set holds the listening socket, the
 * client's socket and a timerfd, all registered as {@link Epoll#T_CONTROL} with index {@code id << 2 | role}; the
 * loop hands their events to {@link #onEvent}. Nothing here blocks and no thread is added.
 *
 * <p>One client at a time, as pasta: the socket listens with a backlog of 0 (one connection may wait in the kernel's
 * queue, further connect(2) calls wait in the kernel until it is taken) and the listening socket is left out of the
 * epoll set while a client is served; when that client is done the next one is accepted.
 *
 * <p>Bounded: a client's bytes are read only as far as its {@link Session} asks for, in reads of at most
 * {@link #READ_MAX} bytes and at most {@link #READS_PER_EVENT} reads per event; what a session sends is held in one
 * buffer of {@link #OUT_MAX} bytes; a client that moves no byte for the idle timeout is closed. A session's bytes
 * left unread when it ends make the kernel reset the client's connection, which is how pasta answers a bad request.
 */
public final class UnixServer implements ControlServer {
    static final int READ_MAX = 4096, READS_PER_EVENT = 16;
    static final int OUT_MAX = 64 * 1024;
    /** Longest path a sockaddr_un takes, its NUL included (sun_path). */
    public static final int PATH_MAX = SocketFile.PATH_MAX;
    private static final int UCRED_SIZE = 12;

    /** One client's conversation. Called on the loop's thread only. */
    public interface Session {
        /** The client was accepted: send the greeting, if the protocol has one. */
        void opened(Client c);

        /** @return how many more bytes the session takes now; 0 to read nothing until it says otherwise */
        int wants();

        /** {@code n} bytes of the client's, at most {@link #wants()}, are in {@code buf[0, n)} (reused afterwards). */
        void received(Client c, byte[] buf, int n);

        /** The client closed its side, or its connection failed; the server closes the client after this call. */
        void ended(Client c);

        /**
         * What could not be written at once when sent has now all been written: there is room for {@link #OUT_MAX}
         * bytes again (a session streaming a long reply sends until {@link Client#send} refuses, then waits for this).
         */
        default void drained(Client c) {
        }
    }

    /** The client being served, as its session sees it. */
    public interface Client {
        /** Queues {@code b} for the client. @return false if it does not fit the output buffer (nothing queued) */
        boolean send(byte[] b);

        /** Ends the conversation: what the session did not read is left unread (the kernel resets the client). */
        void close();

        /** @return the client's process ID from SO_PEERCRED, 0 if unknown */
        int pid();
    }

    private final SocketFile file;
    private final int id;
    private final Epoll ep;
    private final Supplier<Session> sessions;
    private final long idleNs;
    private final int listenFd;
    private final int timerFd;
    private final ByteBuffer in = Sys.buffer(READ_MAX), out = Sys.buffer(OUT_MAX), cred = Sys.buffer(16);
    private final long inAddr = Sys.address(in), outAddr = Sys.address(out), credAddr = Sys.address(cred);
    private final byte[] chunk = new byte[READ_MAX];
    private int outStart, outEnd;

    private int clientFd = -1;
    private int clientEvents;
    private Session session;
    private final Conn conn = new Conn();
    /** Counters, for tests and logs. */
    public long accepted, timedOut;

    private UnixServer(SocketFile file, int id, Epoll ep, Supplier<Session> sessions, long idleNs, int timerFd) {
        this.file = file;
        this.listenFd = file.fd();
        this.id = id;
        this.ep = ep;
        this.sessions = sessions;
        this.idleNs = idleNs;
        this.timerFd = timerFd;
    }

    /**
     * Creates the socket file {@code path} (mode 0600) and starts listening. A file of that name left by a process
     * that is gone is replaced; a socket someone still listens on, or a file that is not a socket, is not.
     *
     * @param id       this server's number in the loop (the loop's list of servers)
     * @param sessions makes the session of each new client
     * @param idleNs   a client that moves no byte for this long is closed
     * @throws IOException with pasta's message if the path is in use or the socket cannot be made
     */
    public static UnixServer open(String path, int id, Epoll ep, Supplier<Session> sessions, long idleNs)
            throws IOException {
        SocketFile file = SocketFile.listen(path, 0);
        int timer = -1;
        try {
            timer = (int) Errno.check("timerfd_create", Sys.timerfdCreate());
            UnixServer s = new UnixServer(file, id, ep, sessions, idleNs, timer);
            Errno.check("epoll_ctl", ep.add(file.fd(), Linux.EPOLLIN, Epoll.T_CONTROL, s.index(ROLE_LISTEN)));
            Errno.check("epoll_ctl", ep.add(timer, Linux.EPOLLIN, Epoll.T_CONTROL, s.index(ROLE_TIMER)));
            return s;
        } catch (IOException e) {
            file.close();
            if (timer >= 0) {
                Sys.close(timer);
            }
            throw e;
        }
    }

    private int index(int role) {
        return ControlServer.index(id, role, 0);
    }

    /** @return the path of the socket */
    public Path path() {
        return file.path();
    }

    /** @return true while a client is being served */
    public boolean serving() {
        return session != null;
    }

    @Override
    public void onEvent(int index, int fd, int ev) {
        switch (ControlServer.role(index)) {
            case ROLE_LISTEN -> accept();
            case ROLE_CLIENT -> {
                if (fd == clientFd && session != null) {
                    fromClient(ev);
                }
            }
            case ROLE_TIMER -> {
                Sys.read(timerFd, credAddr, 8);
                if (session != null) {
                    timedOut++;
                    Log.warn("Configuration client stalled for " + idleNs / 1_000_000 + " ms, closing");
                    closeClient();
                }
            }
            default -> {
            }
        }
    }

    private void accept() {
        if (session != null) {
            return; // the listening socket is out of the epoll set meanwhile; a late event of it waits too
        }
        int fd = Sys.accept4(listenFd, 0, 0, Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC);
        if (fd < 0) {
            if (fd != -Errno.EAGAIN) {
                Log.warn("accept4() on configuration listening socket: " + Errno.text(-fd));
            }
            return;
        }
        accepted++;
        cred.putInt(UCRED_SIZE, UCRED_SIZE); // struct ucred { pid, uid, gid }, then its length
        int pid = Sys.getsockopt(fd, Linux.SOL_SOCKET, Linux.SO_PEERCRED, credAddr, credAddr + UCRED_SIZE) < 0 ? 0
                : cred.getInt(0);
        int rc = ep.add(fd, clientEvents = Linux.EPOLLIN | Linux.EPOLLRDHUP, Epoll.T_CONTROL, index(ROLE_CLIENT));
        if (rc < 0) {
            Log.warn("epoll_ctl() on configuration socket: " + Errno.text(-rc));
            Sys.close(fd);
            return;
        }
        ep.remove(listenFd); // one client at a time: others wait in the kernel
        clientFd = fd;
        conn.pid = pid;
        outStart = outEnd = 0;
        session = Objects.requireNonNull(sessions.get());
        touch();
        session.opened(conn);
        interest();
    }

    private void fromClient(int ev) {
        if ((ev & Linux.EPOLLOUT) != 0 && !flush(true)) {
            return;
        }
        if ((ev & (Linux.EPOLLIN | Linux.EPOLLRDHUP | Linux.EPOLLHUP | Linux.EPOLLERR)) != 0) {
            for (int i = 0; i < READS_PER_EVENT && session != null; i++) {
                int want = Math.min(session.wants(), READ_MAX);
                if (want <= 0) {
                    break;
                }
                long n = Sys.read(clientFd, inAddr, want);
                if (n == -Errno.EAGAIN) {
                    break;
                }
                if (n <= 0) {
                    if (n < 0) {
                        Log.debug("Configuration socket read: " + Errno.text((int) -n));
                    }
                    session.ended(conn);
                    closeClient();
                    return;
                }
                in.get(0, chunk, 0, (int) n);
                touch();
                session.received(conn, chunk, (int) n);
            }
        }
        if (session != null) {
            interest();
        }
    }

    /** Updates the client's epoll interest: input while the session wants some, output while some is queued. */
    private void interest() {
        int events = (session.wants() > 0 ? Linux.EPOLLIN | Linux.EPOLLRDHUP : 0) | (outEnd > outStart
                ? Linux.EPOLLOUT : 0);
        if (events != clientEvents) {
            clientEvents = events;
            ep.modify(clientFd, events, Epoll.T_CONTROL, index(ROLE_CLIENT));
        }
    }

    /**
     * Writes what is queued; with {@code notify}, tells the session once all of it is written.
     *
     * @return false if the client was closed (write error, or by the session)
     */
    private boolean flush(boolean notify) {
        while (outEnd > outStart) {
            long n = Sys.sendto(clientFd, outAddr + outStart, outEnd - outStart, Linux.MSG_NOSIGNAL, 0, 0);
            if (n == -Errno.EAGAIN) {
                return true;
            }
            if (n < 0) {
                Log.debug("Configuration socket write: " + Errno.text((int) -n));
                session.ended(conn);
                closeClient();
                return false;
            }
            outStart += (int) n;
            touch();
        }
        outStart = outEnd = 0;
        if (notify) {
            session.drained(conn);
        }
        return session != null;
    }

    /** Restarts the idle timeout. */
    private void touch() {
        Sys.timerfdSet(timerFd, idleNs, 0);
    }

    private void closeClient() {
        if (clientFd < 0) {
            return;
        }
        Log.debug("Closing configuration socket");
        ep.remove(clientFd);
        Sys.close(clientFd);
        clientFd = -1;
        session = null;
        outStart = outEnd = 0;
        Sys.timerfdSet(timerFd, 0, 0);
        // level-triggered: a client waiting in the queue is accepted on the loop's next turn
        int rc = ep.add(listenFd, Linux.EPOLLIN, Epoll.T_CONTROL, index(ROLE_LISTEN));
        if (rc < 0) {
            Log.err("epoll_ctl() on configuration listening socket: " + Errno.text(-rc));
        }
    }

    /** Closes the client, the socket and the timer, and removes the socket file if it is still ours. */
    @Override
    public void close() {
        closeClient();
        file.close();
        Sys.close(timerFd);
    }

    private final class Conn implements Client {
        int pid;

        @Override
        public boolean send(byte[] b) {
            if (session == null || outEnd + b.length > OUT_MAX) {
                return false;
            }
            out.put(outEnd, b);
            outEnd += b.length;
            if (flush(false)) {
                interest();
            }
            return true;
        }

        @Override
        public void close() {
            closeClient();
        }

        @Override
        public int pid() {
            return pid;
        }
    }
}
