package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Limits: few descriptors, peers that never read, a small MTU, a SYN flood from the guest. jpasta refuses what it
 * cannot take (counted, the client reset at once), does not spin (CPU near zero while stalled), keeps memory
 * bounded, and serves again as soon as it can.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LimitsIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final Duration SHORT = Duration.ofSeconds(30);
    private static final String REMOTE = "198.51.100.200";
    /** Opens N connections to PORT on loopback at once, holds them, then one more after closing them all. */
    private static final String MANY_CLIENTS = """
            import socket, sys, time
            port, n = int(sys.argv[1]), int(sys.argv[2])
            ok = refused = 0; held = []
            for i in range(n):
                try:
                    c = socket.create_connection(("127.0.0.1", port), timeout=5); c.sendall(b"x")
                    if c.recv(1) == b"x": ok += 1; held.append(c)
                    else: refused += 1; c.close()
                except OSError:
                    refused += 1
            print("held", ok, "refused", refused, flush=True)
            for c in held: c.close()
            time.sleep(1)
            c = socket.create_connection(("127.0.0.1", port), timeout=5); c.sendall(b"y")
            print("after", c.recv(1).decode(), flush=True)
            """;

    private Sandbox sb;
    private Path dir;

    @BeforeAll
    void setUp() throws IOException {
        sb = SANDBOX.get();
        dir = sb.userDir("limits");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    private Path script(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    /** @return the pid of the jpasta JVM started under {@code starter} */
    private static long jvm(Proc starter) {
        assertNotNull(Poll.until(SHORT, () -> FaultsIT.descendants(starter.pid()).stream()
                .anyMatch(d -> FaultsIT.cmdline(d).contains("io.jpasta.launcher.Main"))), "no JVM");
        return FaultsIT.descendants(starter.pid()).stream()
                .filter(d -> FaultsIT.cmdline(d).contains("io.jpasta.launcher.Main")).findFirst().orElseThrow();
    }

    /** @return CPU time of {@code pid} in clock ticks (user + system) */
    private static long cpu(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", "" + pid, "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long rssKib(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc", "" + pid, "status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    @Test
    void withFewDescriptorsConnectionsAreRefusedAtOnceWithoutSpinAndServiceResumes() throws Exception {
        Path clients = script("many.py", MANY_CLIENTS);
        // 300 descriptors: the JVM takes ~110 to ~180 (its own, the pools of namespace sockets and pipes), then each
        // spliced connection costs four more (two sockets, two pipes): room for a few dozen of the 200 clients
        try (Proc pasta = sb.startUser("pasta-fd", "prlimit", "--nofile=300:300", Pasta.underTest(), "--config-net",
                "-t", "18400", "--", "socat", "TCP-LISTEN:18400,fork,reuseaddr", "EXEC:cat")) {
            long jvm = jvm(pasta);
            assertNotNull(Poll.until(SHORT, () -> !sb.root(Duration.ofSeconds(5), "ss", sb.asUser("ss", "-Hltn",
                    "sport = :18400")).out().isBlank()), "not listening");
            Proc.Result r = sb.user(SHORT, "many", "python3", clients.toString(), "18400", "200");
            assertEquals(0, r.exit(), r.describe());
            String[] w = r.out().lines().findFirst().orElse("").split(" ");
            assertTrue(Integer.parseInt(w[1]) > 5 && Integer.parseInt(w[3]) > 0, "some held, some refused: "
                    + r.out());
            assertTrue(r.out().contains("after y"), "serves again once descriptors are free: " + r.describe());
            long before = cpu(jvm);
            Thread.sleep(2000);
            assertTrue(cpu(jvm) - before <= 20, "idle after the storm, no spin: " + (cpu(jvm) - before)
                    + " ticks in 2 s");
            assertTrue(pasta.isAlive(), "still running");
        }
    }

    @Test
    void moreForwardedPortsThanDescriptorsFailAtStartWithAMessage() {
        // ~1-1023 is every port from 1024 up: 64512 listeners, far past 300 descriptors. Before: "timerfd_create:
        // Too many open files" after binding all it could
        Proc.Result r = sb.user(SHORT, "pasta-ports", "prlimit", "--nofile=300:300", Pasta.underTest(),
                "--config-net", "-t", "~1-1023", "--", "true");
        assertEquals(1, r.exit(), r.describe());
        List<String> err = r.errLines();
        assertTrue(err.size() >= 2 && err.get(err.size() - 2).matches("Listen failed for HOST TCP port \\*/\\d+: Too "
                + "many open files") && err.getLast().equals("Couldn't listen on requested ports"), r.describe());
    }

    @Test
    void peersThatNeverReadCostNoCpuAndBoundedMemory() throws Exception {
        // the remote server accepts and never reads; the guest writes until the window closes. And the other way:
        // the remote sends forever to a guest that never reads.
        try (Proc sink = sb.startRoot("remote", "never-reads", "python3", "-c", "import socket,time\n"
                + "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                + "s.bind(('" + REMOTE + "', 5700)); s.listen(1); c,_=s.accept(); time.sleep(120)");
             Proc source = sb.startRoot("remote", "sends-forever", "sh", "-c", "socat -u /dev/zero TCP-LISTEN:5701,"
                     + "bind=" + REMOTE + ",reuseaddr")) {
            assertNotNull(Poll.until(SHORT, () -> !sb.root(Duration.ofSeconds(5), "ss", sb.asRoot("remote", "ss",
                    "-Hltn", "sport = :5701")).out().isBlank()), "servers not listening");
            try (Proc pasta = sb.startUser("pasta-stall", Pasta.underTest(), "--config-net", "--", "sh", "-c",
                    "socat -u /dev/zero TCP:" + REMOTE + ":5700 & python3 -c \"import socket,time\n"
                            + "c=socket.create_connection(('" + REMOTE + "', 5701)); time.sleep(120)\" & sleep 120")) {
                long jvm = jvm(pasta);
                Thread.sleep(5000); // both windows close: guest to remote and remote to guest
                long rss = rssKib(jvm), before = cpu(jvm);
                Thread.sleep(3000);
                long ticks = cpu(jvm) - before, rss2 = rssKib(jvm);
                assertTrue(ticks <= 15, "stalled both ways, no busy loop: " + ticks + " ticks in 3 s");
                assertTrue(rss2 - rss < 8 * 1024, "memory bounded while stalled: " + rss + " -> " + rss2 + " KiB");
                System.out.println("stalled both ways: " + ticks + " CPU ticks in 3 s, RSS " + rss2 + " KiB");
            }
        }
    }

    @Test
    void aSmallMtuCarriesTenMebibytesWhole() {
        try (Proc server = sb.startRoot("remote", "mtu-server", "socat", "-u", "OPEN:/dev/urandom,readbytes=10485760",
                "TCP-LISTEN:5702,bind=" + REMOTE + ",reuseaddr")) {
            assertNotNull(Poll.until(SHORT, () -> !sb.root(Duration.ofSeconds(5), "ss", sb.asRoot("remote", "ss",
                    "-Hltn", "sport = :5702")).out().isBlank()), "not listening");
            Proc.Result r = sb.user(SHORT, "mtu1280", Pasta.underTest(), "--config-net", "-m", "1280", "--", "sh",
                    "-c", "ip -o link show up0 | grep -o 'mtu [0-9]*'; socat -u TCP:" + REMOTE + ":5702 - | wc -c");
            assertEquals(0, r.exit(), r.describe());
            assertEquals(List.of("mtu 1280", "10485760"), r.out().lines().map(String::strip).toList());
        }
    }

    @Test
    void aSynFloodFromTheGuestIsCountedAndTheNextConnectionWorks() throws Exception {
        Path flood = script("flood.py", """
                import os, socket, struct
                s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
                src, dst = socket.inet_aton("198.51.100.2"), socket.inet_aton("%s")
                def csum(b):
                    if len(b) %% 2: b += b"\\0"
                    t = sum(struct.unpack("!%%dH" %% (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
                    return ~t & 0xffff
                for i in range(20000):
                    sport = 10000 + i %% 50000
                    h = struct.pack("!HHIIBBHHH", sport, 5799, i, 0, 5 << 4, 2, 65535, 0, 0)
                    c = csum(src + dst + struct.pack("!BBH", 0, 6, len(h)) + h)
                    s.sendto(h[:16] + struct.pack("!H", c) + h[18:], ("%s", 0))
                print("sent", flush=True)
                """.formatted(REMOTE, REMOTE));
        try (Proc server = sb.startRoot("remote", "after-flood", "socat", "TCP-LISTEN:5703,bind=" + REMOTE
                + ",reuseaddr,fork", "SYSTEM:echo alive")) {
            Proc.Result r = sb.user(Duration.ofSeconds(90), "flood", Pasta.underTest(), "--config-net", "--stats",
                    "0", "--", "sh", "-c", "python3 " + flood + " && sleep 1 && socat -T 5 - TCP:" + REMOTE
                            + ":5703 </dev/null");
            assertEquals(0, r.exit(), r.describe());
            assertTrue(r.out().contains("sent\nalive"), "a connection after the flood:" + r.describe());
        }
    }
}
