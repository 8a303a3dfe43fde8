package io.jpasta.netns;

import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Client of {@code jpasta-nsd}, the single-threaded helper that creates or joins the namespaces and creates the
 * descriptors that must be born inside them (netns/src/main/c/nsd.c; wire format in nsd.h, mirrored here).
 *
 * <p>Requests are synchronous (one reply per request, in order) and happen on the loop thread. While waiting for a
 * reply, an {@code EXIT} notification may arrive first: it is recorded and reported by {@link #exitStatus()}.
 * In the event loop, the socket is watched for input and {@link #onReadable()} consumes notifications.
 */
public final class Nsd implements AutoCloseable {
    // struct nsd_req (256 bytes): u32 op; i32 a[6]; u32 len; u8 data[224]
    private static final int REQ_SIZE = 256, REQ_OP = 0, REQ_A = 4, REQ_LEN = 28, REQ_DATA = 32, REQ_DATA_MAX = 224;
    // struct nsd_rep (128 bytes): u32 type; i32 rc; i32 val; u32 len; u8 data[112]
    private static final int REP_SIZE = 128, REP_TYPE = 0, REP_RC = 4, REP_VAL = 8, REP_LEN = 12, REP_DATA = 16;
    private static final int OP_TAP = 1, OP_NETLINK = 2, OP_SOCKET = 3, OP_OPEN = 4, OP_WRITE = 5, OP_GO = 6,
            OP_PROBE = 7;
    private static final int MSG_REPLY = 1, MSG_HELLO = 2, MSG_EXIT = 3;
    /** Most descriptors one request can return (NSD_MAX_FDS). */
    public static final int MAX_FDS = 32;
    public static final int SOCK_REUSEADDR = 1, SOCK_V6ONLY = 2, SOCK_FREEBIND = 4;

    private final int fd;
    private final int pid;
    /** Setup-path structs: direct ByteBuffers, cheap at startup (see {@link Sys#buffer}). */
    private final ByteBuffer req, rep, fds;
    private final long reqAddr, repAddr, fdsAddr;
    private int commandPid;
    private String unconfined = "";
    /** false: daemons start with {@code --no-confine} (jpasta's option of the same name) */
    private static volatile boolean confine = true;
    private int exitStatus = -1;
    private boolean gone;

    /** What the daemon could not do while setting up the namespaces; the message is for the user. */
    public static final class SetupException extends IOException {
        private final int errno;

        /** @param what what failed; ": strerror" is added when {@code errno > 0} */
        SetupException(String what, int errno) {
            this(errno, errno > 0 ? what + ": " + Errno.text(errno) : what);
        }

        /** @param message complete, as the daemon composed it */
        private SetupException(int errno, String message) {
            super(message);
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }

    /** A tap device created inside the namespace. */
    public record TapDevice(int fd, String name, int ifindex) {
    }

    private Nsd(int fd, int pid) {
        this.fd = fd;
        this.pid = pid;
        req = Sys.buffer(REQ_SIZE);
        rep = Sys.buffer(REP_SIZE);
        fds = Sys.buffer(4 * (MAX_FDS + 1));
        reqAddr = Sys.address(req);
        repAddr = Sys.address(rep);
        fdsAddr = Sys.address(fds);
    }

    /**
     * Creates a user namespace mapping root to the caller and the command in new net, uts, ipc, pid and mount
     * namespaces; the command waits until {@link #go()}. Call {@link #awaitReady()} before any request.
     *
     * @param argv the command's argv; {@code argv[0]} may differ from {@code path} (login shells)
     */
    public static Nsd spawn(String nsdPath, String hostname, String path, List<String> argv) throws IOException {
        StringBuilder sb = new StringBuilder(nsdPath).append('\0').append("spawn").append('\0')
                .append(hostname).append('\0').append(path).append('\0');
        for (String a : argv) {
            sb.append(a).append('\0');
        }
        return start(nsdPath, sb);
    }

    /**
     * Joins the network namespace of {@code pid}, and its user namespace.
     *
     * @param userns "auto" (the PID's), "none" (stay in ours), or a path
     */
    public static Nsd joinPid(String nsdPath, int pid, String userns) throws IOException {
        return start(nsdPath, new StringBuilder(nsdPath).append("\0pid\0").append(pid).append('\0')
                .append(userns).append('\0'));
    }

    /** Joins the network namespace at {@code path}; {@code userns} is "none" or a path. */
    public static Nsd joinNetns(String nsdPath, String path, String userns) throws IOException {
        return start(nsdPath, new StringBuilder(nsdPath).append("\0netns\0").append(path).append('\0')
                .append(userns).append('\0'));
    }

    /**
     * Whether daemons started from now on confine themselves once set up (the default): capabilities but
     * CAP_NET_ADMIN and CAP_NET_BIND_SERVICE dropped, no_new_privs, a seccomp allow-list (nsd.c, confine()).
     */
    public static void confine(boolean on) {
        confine = on;
    }

    private static Nsd start(String nsdPath, StringBuilder argv) throws IOException {
        if (!confine) {
            argv.insert(nsdPath.length() + 1, "--no-confine\0");
        }
        byte[] args = argv.substring(0, argv.length() - 1).getBytes(StandardCharsets.UTF_8);
        long r = Sys.spawn(nsdPath, args);
        if (r < 0) {
            throw new SetupException("Couldn't start " + nsdPath, (int) -r);
        }
        return new Nsd((int) r, (int) (r >>> 32));
    }

    /**
     * Waits until the daemon has created or joined the namespaces. Starting the daemon does not wait, so that the
     * kernel builds namespaces while the JVM does its own set-up.
     *
     * @return this
     * @throws SetupException with the daemon's message if it could not
     */
    public Nsd awaitReady() throws IOException {
        int type = receive();
        if (type != MSG_HELLO) {
            close();
            throw new SetupException("namespace helper exited during setup", 0);
        }
        int rc = rep.getInt(REP_RC);
        if (rc < 0) {
            String message = text();
            close();
            throw new SetupException(-rc, message);
        }
        commandPid = rep.getInt(REP_VAL);
        unconfined = text();
        return this;
    }

    /** @return empty if the daemon confined itself, else what it left out ("seccomp", "--no-confine", ...) */
    public String unconfined() {
        return unconfined;
    }

    /** @return the socket to the daemon, for the event loop to watch */
    public int fd() {
        return fd;
    }

    /** @return the daemon's PID (our child) */
    public int pid() {
        return pid;
    }

    /** @return the command's PID as seen from our PID namespace, 0 in join modes */
    public int commandPid() {
        return commandPid;
    }

    /** @return the command's raw wait status once it has ended, else -1 */
    public int exitStatus() {
        return exitStatus;
    }

    /** @return true when the daemon has closed its socket (it died) */
    public boolean gone() {
        return gone;
    }

    /**
     * Reaps the daemon after it died unexpectedly ({@link #gone()} without the command's status) and says how: its
     * socket closes as it exits, so it is a zombie at once or within a few milliseconds; waits at most 200 ms.
     *
     * @return "killed by signal N", "with status N", or "" if it could not be reaped in time
     */
    public String reapDied() {
        for (int i = 0; i < 20; i++) {
            long r = Sys.waitpid(pid, Linux.WNOHANG);
            if (r < 0) {
                return "";
            }
            if (r > 0) {
                int st = (int) r;
                return (st & 0x7f) != 0 ? "killed by signal " + (st & 0x7f) : "with status " + ((st >> 8) & 0xff);
            }
            LockSupport.parkNanos(10_000_000L);
        }
        return "";
    }

    /**
     * Opens /dev/net/tun in the namespace and attaches a tap device named {@code name} (IFF_TAP | IFF_NO_PI).
     *
     * @throws SetupException with pasta's two lines: {@code Failed to open() /dev/net/tun: ENOENT text} or
     *                        {@code TUNSETIFF ioctl on /dev/net/tun failed: ...}, then {@code Failed to set up tap
     *                        device in namespace}
     */
    public TapDevice tap(String name) throws IOException {
        request(OP_TAP, name.getBytes(StandardCharsets.UTF_8), 0, 0, 0, 0, 0, 0);
        int rc = rep.getInt(REP_RC);
        if (rc < 0) {
            String step = text().startsWith("open") ? "Failed to open() /dev/net/tun"
                    : "TUNSETIFF ioctl on /dev/net/tun failed";
            throw new SetupException(-rc, step + ": " + Errno.text(-rc) + "\nFailed to set up tap device in namespace");
        }
        return new TapDevice(fds.getInt(4), text(), rep.getInt(REP_VAL));
    }

    /** @return a netlink socket of {@code protocol} inside the namespace */
    public int netlink(int protocol) throws IOException {
        request(OP_NETLINK, null, protocol, 0, 0, 0, 0, 0);
        checkReply("netlink socket in namespace");
        return fds.getInt(4);
    }

    /**
     * Creates {@code count} sockets inside the namespace, each optionally bound to {@code sockaddr} (null: unbound)
     * and listening when {@code backlog > 0}.
     *
     * @return -errno, or the number of descriptors written to {@code out}
     */
    public int sockets(int family, int type, int proto, int count, int backlog, int flags, byte[] sockaddr,
                       int[] out) throws IOException {
        request(OP_SOCKET, sockaddr, family, type, proto, count, backlog, flags);
        int rc = rep.getInt(REP_RC);
        if (rc < 0) {
            return rc;
        }
        int n = fds.getInt(0);
        for (int i = 0; i < n && i < out.length; i++) {
            out[i] = fds.getInt(4 * (1 + i));
        }
        return n;
    }

    /** @return a descriptor for {@code path} opened by the daemon (e.g. the namespace's /proc/net/tcp), or -errno */
    public int open(String path, int flags) throws IOException {
        request(OP_OPEN, path.getBytes(StandardCharsets.UTF_8), flags, 0, 0, 0, 0, 0);
        int rc = rep.getInt(REP_RC);
        return rc < 0 ? rc : fds.getInt(4);
    }

    /** Writes {@code content} to {@code path} as seen by the daemon (namespace sysctls). @return 0 or -errno */
    public int write(String path, String content) throws IOException {
        request(OP_WRITE, (path + '\0' + content).getBytes(StandardCharsets.UTF_8), 0, 0, 0, 0, 0, 0);
        return rep.getInt(REP_RC);
    }

    /**
     * Has the daemon try a system call it never needs, harmlessly ({@code execveat} of fd -1): for tests of its
     * seccomp filter.
     *
     * @return the call's -errno: -EPERM when the filter refused it, -EBADF when the kernel ran it
     */
    public int probe() throws IOException {
        request(OP_PROBE, null, 0, 0, 0, 0, 0, 0);
        return rep.getInt(REP_RC);
    }

    /** Releases the command. @return its PID */
    public int go() throws IOException {
        request(OP_GO, null, 0, 0, 0, 0, 0, 0);
        checkReply("Failed to start command");
        return rep.getInt(REP_VAL);
    }

    /** Consumes one pending notification; call when the socket is readable. */
    public void onReadable() {
        int type = receive();
        if (type == MSG_EXIT) {
            exitStatus = rep.getInt(REP_VAL);
        }
    }

    private void request(int op, byte[] data, int a0, int a1, int a2, int a3, int a4, int a5) throws IOException {
        if (gone) {
            throw new SetupException("namespace helper is gone", 0);
        }
        for (int i = 0; i < REQ_SIZE; i += 8) {
            req.putLong(i, 0);
        }
        req.putInt(REQ_OP, op);
        req.putInt(REQ_A, a0);
        req.putInt(REQ_A + 4, a1);
        req.putInt(REQ_A + 8, a2);
        req.putInt(REQ_A + 12, a3);
        req.putInt(REQ_A + 16, a4);
        req.putInt(REQ_A + 20, a5);
        if (data != null) {
            if (data.length > REQ_DATA_MAX) {
                throw new IOException("nsd request data too long: " + data.length);
            }
            req.put(REQ_DATA, data);
            req.putInt(REQ_LEN, data.length);
        }
        long w = Sys.write(fd, reqAddr, REQ_SIZE);
        if (w < 0) {
            gone = true;
            throw Errno.io("request to namespace helper", w);
        }
        int type;
        while ((type = receive()) != MSG_REPLY) {
            if (type < 0) {
                throw new SetupException("namespace helper exited", 0);
            }
            if (type == MSG_EXIT) {
                exitStatus = rep.getInt(REP_VAL);
            }
        }
    }

    /** @return the message type read into {@link #rep} (fds into {@link #fds}), or -1 on EOF/error */
    private int receive() {
        int n = Sys.recvFds(fd, repAddr, REP_SIZE, fdsAddr, MAX_FDS);
        if (n <= 0) {
            gone = true;
            fds.putInt(0, 0);
            return -1;
        }
        return rep.getInt(REP_TYPE);
    }

    private void checkReply(String what) throws SetupException {
        int rc = rep.getInt(REP_RC);
        if (rc < 0) {
            String detail = text();
            throw new SetupException(detail.isEmpty() ? what : what + " (" + detail + ")", -rc);
        }
    }

    private String text() {
        int len = Math.min(rep.getInt(REP_LEN), REP_SIZE - REP_DATA);
        byte[] b = new byte[len];
        rep.get(REP_DATA, b);
        int end = 0;
        while (end < b.length && b[end] != 0) {
            end++;
        }
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }

    /** Closes the socket: the daemon exits, and the command (spawn mode) is killed with it. Reaps the daemon. */
    @Override
    public void close() {
        Sys.close(fd);
        Sys.waitpid(pid, 0);
    }
}
