package io.jpasta.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults and limits through the real binary in a sandbox: the JVM or the namespace helper killed, peers that reset,
 * a guest that resets, and a JVM out of file descriptors. What is checked is what a user sees: which processes and
 * namespaces are left, pasta's exit status and message, what the client programs get, and pasta's CPU time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String REMOTE = "198.51.100.200";
    /**
     * RLIMIT_NOFILE for the descriptor tests, set by the wrapper ({@code ulimit -n}): the JVM holds about 180 at
     * ready (splice pools included), so this leaves it a few dozen for the guest's connections. (prlimit(1) on the
     * running JVM would be nicer, but this machine's container refuses it even to root: EPERM.)
     */
    private static final int NOFILE = 220;

    private Sandbox sb;
    private final List<Proc> procs = new ArrayList<>();

    @BeforeAll
    void setUp() {
        sb = Sandbox.create(getClass().getSimpleName());
    }

    @AfterAll
    void tearDown() {
        if (sb != null) {
            sb.close();
        }
    }

    @AfterEach
    void endProcesses() {
        procs.forEach(Proc::close);
        procs.clear();
    }

    private Proc user(String label, String... argv) {
        Proc p = sb.startUser(label, argv);
        procs.add(p);
        return p;
    }

    private Proc remote(String label, String... argv) {
        Proc p = sb.startRoot("remote", label, argv);
        procs.add(p);
        return p;
    }

    /** The processes of one pasta run: the JVM, nsd, nsd's init and the command, found under the caller. */
    private record Tree(ProcessHandle jvm, ProcessHandle nsd, ProcessHandle init, ProcessHandle command) {
        List<ProcessHandle> all() {
            return List.of(jvm, nsd, init, command);
        }
    }

    /** Waits until the command {@code commandName} runs under pasta started by {@code p}; @return the tree */
    private static Tree tree(Proc p, String commandName) {
        Tree[] found = new Tree[1];
        Duration took = Poll.until(Duration.ofSeconds(20), () -> {
            List<ProcessHandle> d = ProcessHandle.of(p.pid()).map(h -> h.descendants().toList()).orElse(List.of());
            Optional<ProcessHandle> jvm = d.stream().filter(h -> cmd(h).endsWith("/java")).findFirst();
            Optional<ProcessHandle> cmd = d.stream().filter(h -> cmd(h).contains("/" + commandName)).findFirst();
            if (jvm.isEmpty() || cmd.isEmpty()) {
                return false;
            }
            ProcessHandle init = cmd.get().parent().orElse(null);
            ProcessHandle nsd = init == null ? null : init.parent().orElse(null);
            if (nsd == null || !cmd(nsd).endsWith("jpasta-nsd") || !cmd(init).endsWith("jpasta-nsd")) {
                return false;
            }
            found[0] = new Tree(jvm.get(), nsd, init, cmd.get());
            return true;
        });
        assertNotNull(took, () -> "no " + commandName + " under pasta:" + p.await(Duration.ZERO).describe());
        return found[0];
    }

    private static String cmd(ProcessHandle h) {
        return h.info().command().orElse("");
    }

    /** @return true once {@code pid} has exited (gone or a zombie waiting for its reaper) */
    private static boolean ended(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * @return processes started before {@code beforeTicks} (since boot) still holding namespace {@code ns}
     *         ("net:[N]") as theirs or through an open descriptor. Later ones cannot hold a namespace that was freed
     *         before they started, but may hold a new one that reuses its inode number (other tests run meanwhile).
     *         Zombies are left out: the machine's init reaps them when it gets to it, and they hold nothing else.
     */
    private static List<String> holders(String ns, long beforeTicks) {
        List<String> out = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
                if (startTicks(p) >= beforeTicks || ended(Long.parseLong(p.getFileName().toString()))) {
                    continue; // a zombie keeps its credentials, and so its user namespace, until it is reaped
                }
                for (String kind : new String[] {"net", "user"}) {
                    if (ns.equals(link(p.resolve("ns").resolve(kind)))) {
                        out.add(p.getFileName() + " (ns/" + kind + ")");
                    }
                }
                try (Stream<Path> fds = Files.list(p.resolve("fd"))) {
                    fds.filter(fd -> ns.equals(link(fd))).forEach(fd -> out.add(p.getFileName() + " (fd)"));
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile, or a kernel thread
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    /** @return when process {@code dir} started, in clock ticks since boot; MAX_VALUE if it is gone */
    private static long startTicks(Path dir) {
        try {
            String stat = Files.readString(dir.resolve("stat"));
            return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]);
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE;
        }
    }

    /** @return clock ticks since boot now */
    private static long nowTicks() {
        try {
            return (long) (Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]) * 100);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String link(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** @return user plus system CPU time of {@code pid} so far, in clock ticks (1/100 s) */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException e) {
            return -1;
        }
    }

    @Test
    void killingTheJvmLeavesNoHelperNoCommandAndNoNamespace() {
        Proc pasta = user("pasta", Pasta.underTest(), "--config-net", "--", "sleep", "60");
        Tree t = tree(pasta, "sleep");
        String netns = link(Path.of("/proc", Long.toString(t.command().pid()), "ns", "net"));
        String userns = link(Path.of("/proc", Long.toString(t.command().pid()), "ns", "user"));
        assertTrue(netns.startsWith("net:["), netns);

        long killedAt = nowTicks();
        t.jvm().destroyForcibly(); // SIGKILL
        Duration took = Poll.until(Duration.ofSeconds(5), () -> t.all().stream().allMatch(h -> ended(h.pid())));
        assertNotNull(took, "still running 5 s after kill -9 of the JVM: " + t.all().stream()
                .filter(h -> !ended(h.pid())).map(h -> h.pid() + " " + cmd(h)).toList());
        assertEquals(List.of(), holders(netns, killedAt), "the namespace " + netns + " is still held");
        assertEquals(List.of(), holders(userns, killedAt), "the user namespace " + userns + " is still held");
        Proc.Result r = pasta.await(Duration.ofSeconds(5));
        assertTrue(r.exit() != 0, "the caller's status after its JVM was killed:" + r.describe());
        System.out.println("kill -9 of the JVM: helper, init and command gone after " + took.toMillis()
                + " ms; pasta's status " + r.exit());
    }

    @Test
    void killingTheNamespaceHelperEndsPastaWithAMessage() {
        Proc pasta = user("pasta", Pasta.underTest(), "--config-net", "--", "sleep", "60");
        Tree t = tree(pasta, "sleep");
        t.nsd().destroyForcibly();
        Proc.Result r = pasta.await(Duration.ofSeconds(10));
        assertEquals(1, r.exit(), r.describe());
        assertTrue(r.err().contains("Namespace helper (jpasta-nsd, pid " + t.nsd().pid() + ") exited killed by "
                + "signal 9"), r.describe());
        assertNotNull(Poll.until(Duration.ofSeconds(5), () -> t.all().stream().allMatch(h -> ended(h.pid()))),
                "processes left after nsd was killed");
    }

    /** A remote server that sends {@code bytes} and then closes abortively (SO_LINGER 0: a RST). */
    private Proc resettingServer(int port, int bytes) {
        return remote("reset-server", "python3", "-c", String.join("\n",
                "import socket, struct",
                "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                "s.bind(('" + REMOTE + "', " + port + ")); s.listen(1); print('listening', flush=True)",
                "c, _ = s.accept()",
                "c.sendall(b'x' * " + bytes + ")",
                "c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); c.close()"));
    }

    private static void awaitListening(Proc server) {
        assertNotNull(Poll.until(Duration.ofSeconds(10), () -> server.stdout().contains("listening")),
                () -> "server did not start:" + server.await(Duration.ZERO).describe());
    }

    @Test
    void aRemotePeerResettingMidStreamResetsTheGuestsConnection() {
        Proc server = resettingServer(7301, 200_000);
        awaitListening(server);
        // the guest reads slowly, so that data is still on its way when the peer's RST arrives
        Proc.Result r = sb.user(TIMEOUT, "guest", Pasta.underTest(), "--config-net", "--", "python3", "-c",
                String.join("\n",
                        "import socket, time",
                        "c = socket.create_connection(('" + REMOTE + "', 7301)); time.sleep(1); n = 0",
                        "try:",
                        "    while True:",
                        "        b = c.recv(1000)",
                        "        if not b: print('eof', n); break",
                        "        n += len(b); time.sleep(0.001)",
                        "except ConnectionResetError: print('reset', n)"));
        assertEquals(0, r.exit(), r.describe());
        assertTrue(r.out().startsWith("reset"), "the guest should see the peer's reset:" + r.describe());
    }

    @Test
    void theGuestResettingMidStreamResetsTheRemotePeer() {
        Proc server = remote("sink", "python3", "-c", String.join("\n",
                "import socket",
                "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                "s.bind(('" + REMOTE + "', 7302)); s.listen(1); print('listening', flush=True)",
                "c, _ = s.accept()",
                "try:",
                "    while True:",
                "        c.sendall(b'y' * 65536)",
                "except (ConnectionResetError, BrokenPipeError) as e: print('reset', type(e).__name__)"));
        awaitListening(server);
        Proc.Result r = sb.user(TIMEOUT, "guest", Pasta.underTest(), "--config-net", "--", "python3", "-c",
                String.join("\n",
                        "import socket, struct, time",
                        "c = socket.create_connection(('" + REMOTE + "', 7302)); c.recv(10000); time.sleep(0.5)",
                        "c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); c.close()",
                        "print('closed')"));
        assertEquals(0, r.exit(), r.describe());
        Proc.Result s = server.await(Duration.ofSeconds(10));
        assertTrue(s.out().contains("reset"), "the remote peer should see the guest's reset:" + s.describe());
    }

    /**
     * RLIMIT_NOFILE a little above what the JVM holds at ready: the guest's connections
     * beyond it are refused (a RST: the client sees its connect refused or reset), pasta goes on, uses no CPU
     * while idle afterwards, and serves new connections once the old ones are closed.
     */
    @Test
    void outOfDescriptorsRefusesConnectionsAndRecovers() {
        Proc server = remote("echo-server", "socat", "TCP-LISTEN:7303,bind=" + REMOTE + ",reuseaddr,fork",
                "EXEC:cat");
        // a guest that opens 150 connections, holds them, reports, closes them, waits, and connects once more
        Path go = sb.work().resolve("go");
        Proc guest = user("guest", "sh", "-c", "ulimit -n " + NOFILE + " && exec \"$0\" \"$@\"", Pasta.underTest(),
                "--config-net", "--", "python3", "-c", String.join("\n",
                "import socket, os, time",
                "print('ready', flush=True)",
                "while not os.path.exists('" + go + "'): time.sleep(0.05)",
                "held, refused = [], 0",
                "for i in range(150):",
                "    try:",
                "        c = socket.create_connection(('" + REMOTE + "', 7303), timeout=5)",
                "        c.sendall(b'ping'); assert c.recv(10) == b'ping'; held.append(c)",
                "    except OSError as e: refused += 1",
                "print('held', len(held), 'refused', refused, flush=True)",
                "for c in held: c.close()",
                "time.sleep(2)",
                "c = socket.create_connection(('" + REMOTE + "', 7303), timeout=5); c.sendall(b'pong')",
                "print('after', c.recv(10).decode(), flush=True)"));
        Tree t = tree(guest, "python3");
        assertNotNull(Poll.until(Duration.ofSeconds(20), () -> guest.stdout().contains("ready")), "guest not ready");
        long fds = countFds(t.jvm().pid());
        long limit = NOFILE;
        try {
            Files.writeString(go, "");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Proc.Result r = guest.await(Duration.ofSeconds(90));
        assertEquals(0, r.exit(), r.describe());
        String held = r.out().lines().filter(l -> l.startsWith("held")).findFirst().orElse("");
        String[] w = held.split(" ");
        assertEquals(4, w.length, r.describe());
        assertTrue(Integer.parseInt(w[3]) > 0, "some connections refused with " + limit + " descriptors:"
                + r.describe());
        assertTrue(Integer.parseInt(w[1]) > 0, "some connections served:" + r.describe());
        assertTrue(r.out().contains("after pong"), "served again once descriptors were free:" + r.describe());
        System.out.println("RLIMIT_NOFILE " + limit + " (JVM held " + fds + "): " + held);
        server.close();
    }

    @Test
    void noCpuWhileIdleAfterRefusals() {
        // the descriptor-exhaustion case again, then pasta idle: it must not spin on a listener or socket it could
        // not serve (the JVM's CPU time over 3 s of idleness stays under 5 %)
        Proc server = remote("echo-server2", "socat", "TCP-LISTEN:7304,bind=" + REMOTE + ",reuseaddr,fork",
                "EXEC:cat");
        Path go = sb.work().resolve("go2");
        Path done = sb.work().resolve("done2");
        Proc guest = user("guest2", "sh", "-c", "ulimit -n " + NOFILE + " && exec \"$0\" \"$@\"",
                Pasta.underTest(), "--config-net", "--", "python3", "-c", String.join("\n",
                "import socket, os, time",
                "while not os.path.exists('" + go + "'): time.sleep(0.05)",
                "held = []",
                "for i in range(120):",
                "    try: held.append(socket.create_connection(('" + REMOTE + "', 7304), timeout=5))",
                "    except OSError: pass",
                "print('held', len(held), flush=True)",
                "while not os.path.exists('" + done + "'): time.sleep(0.05)"));
        Tree t = tree(guest, "python3");
        try {
            Files.writeString(go, "");
            assertNotNull(Poll.until(Duration.ofSeconds(60), () -> guest.stdout().contains("held")),
                    "guest never finished connecting");
            long c0 = cpuTicks(t.jvm().pid());
            long t0 = System.nanoTime();
            Poll.until(Duration.ofSeconds(3), () -> false);
            long ticks = cpuTicks(t.jvm().pid()) - c0;
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("idle with descriptors exhausted: %d ticks of CPU in %.1f s (%s)%n", ticks, secs,
                    guest.stdout().strip());
            assertTrue(ticks >= 0 && ticks < secs * 100 * 0.05, "the JVM used " + ticks + " ticks in " + secs
                    + " s while idle");
            Files.writeString(done, "");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Proc.Result r = guest.await(Duration.ofSeconds(30));
        assertEquals(0, r.exit(), r.describe());
        server.close();
    }

    /**
     * A 4-flow table (the launcher's test knob {@code -Djpasta.flows}): the guest's fifth and sixth connections
     * through the tap are refused with a RST (the client's connect fails at once, no hang), counted in --stats, and
     * once the guest closes one connection the next is served.
     */
    @Test
    void fullFlowTableRefusesTheGuestsNextConnectionAndServesAgainWhenOneEnds() throws IOException {
        Proc server = remote("echo-server3", "socat", "TCP-LISTEN:7305,bind=" + REMOTE + ",reuseaddr,fork",
                "EXEC:cat");
        Path log = sb.work().resolve("pasta.log");
        Proc.Result r = sb.user(Duration.ofSeconds(60), "guest", "env", "JPASTA_JAVA_OPTS=-Djpasta.flows=4",
                Pasta.underTest(), "--config-net", "-l", log.toString(), "--stats", "1", "--", "python3", "-c",
                String.join("\n",
                        "import socket, time",
                        "for i in range(50):",
                        "    try: socket.create_connection(('" + REMOTE + "', 7305), timeout=5).close(); break",
                        "    except OSError: time.sleep(0.1)",
                        "time.sleep(0.5)",
                        "held, refused = [], []",
                        "for i in range(6):",
                        "    try:",
                        "        c = socket.create_connection(('" + REMOTE + "', 7305), timeout=5)",
                        "        c.sendall(b'ping'); assert c.recv(10) == b'ping'; held.append(c)",
                        "    except OSError as e: refused.append(type(e).__name__)",
                        "print('held', len(held), 'refused', ' '.join(refused), flush=True)",
                        "held.pop().close(); time.sleep(0.5)",
                        "c = socket.create_connection(('" + REMOTE + "', 7305), timeout=5); c.sendall(b'pong')",
                        "print('after', c.recv(10).decode(), flush=True); time.sleep(1.5)"));
        assertEquals(0, r.exit(), r.describe());
        assertTrue(r.out().contains("held 4 refused ConnectionRefusedError ConnectionRefusedError"), r.describe());
        assertTrue(r.out().contains("after pong"), r.describe());
        String stats = Files.readString(log);
        assertTrue(stats.contains("drop flow table full 2"), "--stats counts the refusals:\n" + stats);
        server.close();
    }

    private static long countFds(long pid) {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return s.count();
        } catch (IOException e) {
            return -1;
        }
    }
}
