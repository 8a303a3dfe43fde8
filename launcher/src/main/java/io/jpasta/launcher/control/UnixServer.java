package io.jpasta.launcher.control;

import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
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
public final class UnixServer {
    /** Roles in the low bits of the epoll index. */
    static final int ROLE_LISTEN = 0, ROLE_CLIENT = 1, ROLE_TIMER = 2;
    static final int READ_MAX = 4096, READS_PER_EVENT = 16;
    static final int OUT_MAX = 64 * 1024;
    /** Longest path a sockaddr_un takes, its NUL included (sun_path). */
    public static final int PATH_MAX = 108;
    private static final int SOCKADDR_UN_SIZE = 2 + PATH_MAX;
    private static final int SOCK_MODE = 0600;
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

    private final Path path;
    private final Object fileKey;
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

    private UnixServer(Path path, Object fileKey, int id, Epoll ep, Supplier<Session> sessions, long idleNs,
                       int listenFd, int timerFd) {
        this.path = path;
        this.fileKey = fileKey;
        this.id = id;
        this.ep = ep;
        this.sessions = sessions;
        this.idleNs = idleNs;
        this.listenFd = listenFd;
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
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length == 0 || p.length >= PATH_MAX) {
            throw new IOException("Invalid configuration path: " + path);
        }
        ByteBuffer sa = Sys.buffer(SOCKADDR_UN_SIZE);
        sa.putShort(0, (short) Linux.AF_UNIX).put(2, p);
        int saLen = 2 + p.length + 1;
        Path file = Path.of(path);
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            if (listening(sa, saLen)) {
                throw new IOException("Socket path " + path + " already in use");
            }
            if (!Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
                // pasta would remove any file there; we remove only a socket left behind
                throw new IOException("Failed to bind UNIX domain socket: " + path + " exists and is not a socket");
            }
            Files.deleteIfExists(file);
        }
        int fd = (int) Errno.check("socket", Sys.socket(Linux.AF_UNIX,
                Linux.SOCK_STREAM | Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC, 0));
        int timer = -1;
        try {
            // the mode of the socket's inode is the mode bind(2) creates the file with: no window with wider one
            Errno.check("fchmod", Sys.fchmod(fd, SOCK_MODE));
            int rc = Sys.bind(fd, Sys.address(sa), saLen);
            if (rc < 0) {
                throw new IOException("Failed to bind UNIX domain socket: " + Errno.text(-rc));
            }
            Log.info("UNIX domain socket bound at " + path);
            Object key = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            Errno.check("listen", Sys.listen(fd, 0));
            timer = (int) Errno.check("timerfd_create", Sys.timerfdCreate());
            UnixServer s = new UnixServer(file, key, id, ep, sessions, idleNs, fd, timer);
            Errno.check("epoll_ctl", ep.add(fd, Linux.EPOLLIN, Epoll.T_CONTROL, s.index(ROLE_LISTEN)));
            Errno.check("epoll_ctl", ep.add(timer, Linux.EPOLLIN, Epoll.T_CONTROL, s.index(ROLE_TIMER)));
            return s;
        } catch (IOException e) {
            Sys.close(fd);
            if (timer >= 0) {
                Sys.close(timer);
            }
            throw e;
        }
    }

    /** @return true if something accepts connections on the socket named in {@code sa} */
    private static boolean listening(ByteBuffer sa, int saLen) {
        int fd = Sys.socket(Linux.AF_UNIX, Linux.SOCK_STREAM | Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return false;
        }
        int rc = Sys.connect(fd, Sys.address(sa), saLen);
        Sys.close(fd);
        return rc == 0 || rc == -Errno.EAGAIN; // EAGAIN: its queue is full, but it is there
    }

    /** @return the server number of an epoll index of {@link Epoll#T_CONTROL} */
    public static int server(int index) {
        return index >>> 2;
    }

    private int index(int role) {
        return id << 2 | role;
    }

    /** @return the path of the socket */
    public Path path() {
        return path;
    }

    /** @return true while a client is being served */
    public boolean serving() {
        return session != null;
    }

    /** Handles an event of one of this server's descriptors (epoll index {@code index}, registered {@code fd}). */
    public void onEvent(int index, int fd, int ev) {
        switch (index & 3) {
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
    public void close() {
        closeClient();
        Sys.close(listenFd);
        Sys.close(timerFd);
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (Objects.equals(a.fileKey(), fileKey)) {
                Files.delete(path);
            }
        } catch (IOException e) {
            // gone already, or not ours to remove
        }
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
