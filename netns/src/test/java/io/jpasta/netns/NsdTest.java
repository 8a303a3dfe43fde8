package io.jpasta.netns;

import io.jpasta.netns.sys.Confine;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The nsd protocol end to end with the real daemon, joined to this JVM's own network namespace (so nothing in the
 * host's network changes): descriptors arrive with SCM_RIGHTS and work, errors come back as -errno, set-up
 * failures carry the daemon's message, and the daemon exits when we close the socket.
 */
class NsdTest {
    private static String nsd;

    @BeforeAll
    static void load() {
        Sys.load();
        nsd = System.getProperty("jpasta.nsd");
    }

    @Test
    void socketsCreatedByTheDaemonAreBoundAndListening() throws IOException {
        try (Nsd d = Nsd.joinNetns(nsd, "/proc/self/ns/net", "none").awaitReady()) {
            // struct sockaddr_in: family, port 0 (any), 127.0.0.1
            ByteBuffer sa = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
            sa.putShort(0, (short) Linux.AF_INET);
            sa.put(4, (byte) 127).put(7, (byte) 1);
            int[] fds = new int[3];
            int n = d.sockets(Linux.AF_INET, Linux.SOCK_STREAM, 0, 3, 16, Nsd.SOCK_REUSEADDR, sa.array(), fds);
            assertEquals(3, n);
            ByteBuffer name = Sys.buffer(32);
            ByteBuffer len = Sys.buffer(4).putInt(0, 16);
            for (int fd : fds) {
                assertEquals(0, Sys.getsockname(fd, Sys.address(name), Sys.address(len)));
                assertEquals(Linux.AF_INET, name.getShort(0));
                assertTrue(Short.toUnsignedInt(name.getShort(2)) != 0, "bound to an ephemeral port");
                assertEquals(1, Sys.getsockoptInt(fd, Linux.SOL_SOCKET, 30 /* SO_ACCEPTCONN */));
                Sys.close(fd);
            }
        }
    }

    @Test
    void procFilesAreOpenedByTheDaemon() throws IOException {
        try (Nsd d = Nsd.joinNetns(nsd, "/proc/self/ns/net", "none").awaitReady()) {
            int fd = d.open("/proc/net/tcp", Linux.O_RDONLY);
            assertTrue(fd >= 0, "fd " + fd);
            ByteBuffer buf = Sys.buffer(256);
            long n = Sys.pread(fd, Sys.address(buf), 256, 0);
            assertTrue(n > 0);
            byte[] b = new byte[(int) n];
            buf.get(0, b);
            assertTrue(new String(b, StandardCharsets.US_ASCII).contains("local_address"));
            Sys.close(fd);
            assertEquals(-Errno.ENOENT, d.open("/nonexistent/jpasta", Linux.O_RDONLY));
        }
    }

    @Test
    void goWithoutACommandIsRefusedAndTheDaemonServesOn() throws IOException {
        try (Nsd d = Nsd.joinNetns(nsd, "/proc/self/ns/net", "none").awaitReady()) {
            Nsd.SetupException e = assertThrows(Nsd.SetupException.class, d::go);
            assertEquals(Errno.ECHILD, e.errno());
            int fd = d.netlink(Linux.NETLINK_ROUTE);
            assertTrue(fd >= 0);
            Sys.close(fd);
        }
    }

    @Test
    void missingNamespaceFailsWithTheDaemonsMessage() {
        Nsd.SetupException e = assertThrows(Nsd.SetupException.class,
                () -> Nsd.joinNetns(nsd, "/nonexistent/netns", "none").awaitReady());
        assertEquals("Couldn't open network namespace /nonexistent/netns: No such file or directory",
                e.getMessage()); // current pasta's words

        assertEquals(Errno.ENOENT, e.errno());
    }

    /** CAP_NET_ADMIN | CAP_NET_BIND_SERVICE: what nsd keeps (nsd.c, confine()) */
    private static final long NSD_CAPS = 1L << 12 | 1L << 10;

    @Test
    void daemonConfinesItselfBeforeServing() throws IOException {
        try (Nsd d = Nsd.joinNetns(nsd, "/proc/self/ns/net", "none").awaitReady()) {
            assertEquals("", d.unconfined());
            Map<String, String> st = status(d.pid());
            assertEquals("1", st.get("NoNewPrivs"));
            assertEquals("2", st.get("Seccomp"), "2: a seccomp filter");
            long eff = Long.parseLong(st.get("CapEff"), 16);
            assertEquals(0, eff & ~NSD_CAPS, "capabilities beyond NET_ADMIN and NET_BIND_SERVICE: " + st);
            long ours = Long.parseLong(status(ProcessHandle.current().pid()).get("CapEff"), 16);
            if ((ours & 1L << 8 /* CAP_SETPCAP: the bounding set can be reduced */) != 0) {
                assertEquals(0, Long.parseLong(st.get("CapBnd"), 16) & ~NSD_CAPS, "bounding set: " + st);
            }
            // only its socket, and /dev/null on 0-2
            assertEquals(List.of("0", "1", "2", "3"), fds(d.pid()));
        }
    }

    @Test
    void theDaemonOpensFilesInProcOnly() throws IOException {
        assumeTrue(Confine.landlockAbi() > 0, "no Landlock in this kernel");
        try (Nsd d = Nsd.joinNetns(nsd, "/proc/self/ns/net", "none").awaitReady()) {
            assertEquals(-Errno.EACCES, d.open("/etc/hostname", Linux.O_RDONLY), "outside /proc");
            assertEquals(-Errno.EACCES, d.open("/proc/self/root/etc/hostname", Linux.O_RDONLY),
                    "through /proc/self/root");
            int fd = d.open("/proc/net/tcp", Linux.O_RDONLY);
            assertTrue(fd >= 0, "fd " + fd);
            Sys.close(fd);
        }
    }

    @Test
    void aSystemCallOutsideTheAllowListFailsWithEperm() throws IOException {
        try (Nsd d = Nsd.joinNetns(nsd, "/proc/self/ns/net", "none").awaitReady()) {
            assertEquals(-Errno.EPERM, d.probe());
            // and the daemon serves on
            int fd = d.netlink(Linux.NETLINK_ROUTE);
            assertTrue(fd >= 0);
            Sys.close(fd);
        }
    }

    @Test
    void noConfineLeavesTheDaemonAsItWas() throws IOException {
        Nsd.confine(false);
        try (Nsd d = Nsd.joinNetns(nsd, "/proc/self/ns/net", "none").awaitReady()) {
            assertEquals("--no-confine", d.unconfined());
            assertEquals("0", status(d.pid()).get("Seccomp"));
            assertEquals(-Errno.EBADF, d.probe(), "the kernel itself refuses execveat of fd -1");
            int fd = d.open("/etc/hostname", Linux.O_RDONLY);
            assertTrue(fd >= 0, "fd " + fd);
            Sys.close(fd);
        } finally {
            Nsd.confine(true);
        }
    }

    private static Map<String, String> status(long pid) throws IOException {
        Map<String, String> m = new HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                m.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return m;
    }

    private static List<String> fds(long pid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return s.map(p -> p.getFileName().toString()).sorted(Comparator.comparingInt(Integer::parseInt))
                    .toList();
        }
    }

    @Test
    void daemonExitsWhenWeCloseTheSocket() throws IOException {
        Nsd d = Nsd.joinNetns(nsd, "/proc/self/ns/net", "none").awaitReady();
        int pid = d.pid();
        d.close(); // closes and reaps: a daemon that ignored EOF would hang here
        assertEquals(-Errno.ECHILD, Sys.waitpid(pid, Linux.WNOHANG));
    }
}
