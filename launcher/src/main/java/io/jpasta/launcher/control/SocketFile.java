package io.jpasta.launcher.control;

import io.jpasta.netns.log.Log;
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

/**
 * A listening unix stream socket and its file, as both control sockets make them: mode 0600 from the start (fchmod
 * of the socket before bind(2): no window with a wider mode), a socket file left by a process that is gone replaced,
 * one where something still listens refused, a file that is not a socket left alone; removed at exit only if it is
 * still the file we made.
 *
 * @param fd   the listening socket, non-blocking, close-on-exec
 * @param path the socket file
 * @param key  the file's identity when made (see {@link BasicFileAttributes#fileKey})
 */
record SocketFile(int fd, Path path, Object key) {
    /** Longest path a sockaddr_un takes, its NUL included (sun_path). */
    static final int PATH_MAX = 108;
    private static final int SOCKADDR_UN_SIZE = 2 + PATH_MAX;
    private static final int SOCK_MODE = 0600;

    /**
     * Makes the socket file {@code path} and listens on it.
     *
     * @throws IOException with pasta's messages: {@code Socket path PATH already in use}, {@code Failed to bind UNIX
     *                     domain socket: ...}
     */
    static SocketFile listen(String path, int backlog) throws IOException {
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
        try {
            Errno.check("fchmod", Sys.fchmod(fd, SOCK_MODE));
            int rc = Sys.bind(fd, Sys.address(sa), saLen);
            if (rc < 0) {
                throw new IOException("Failed to bind UNIX domain socket: " + Errno.text(-rc));
            }
            Log.info("UNIX domain socket bound at " + path);
            Object key = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            Errno.check("listen", Sys.listen(fd, backlog));
            return new SocketFile(fd, file, key);
        } catch (IOException e) {
            Sys.close(fd);
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

    /** Closes the socket and removes the file if it is still the one we made. */
    void close() {
        Sys.close(fd);
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (Objects.equals(a.fileKey(), key)) {
                Files.delete(path);
            }
        } catch (IOException e) {
            // gone already, or not ours to remove
        }
    }
}
