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
    private static final String REMOTE = "198.51.100.200", REMOTE6 = "2001:db8:2::10";
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
        Path log = sb.work().resolve("nofile.log");
        Proc guest = user("guest", "sh", "-c", "ulimit -n " + NOFILE + " && exec \"$0\" \"$@\"", Pasta.underTest(),
                "--config-net", "-l", log.toString(), "--stats", "1", "--", "python3", "-c", String.join("\n",
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
        String tcp = lastLine(log, "tcp ");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("connect-failed (\\d+)").matcher(tcp);
        assertTrue(m.find() && Long.parseLong(m.group(1)) > 0, "refusals counted in --stats: " + tcp);
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

    /** @return resident set size of {@code pid} in KiB (VmRSS), -1 if gone */
    static long rssKib(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    /**
     * One stalled connection through the tap: the remote runs {@code server}, the guest {@code guest}; both print
     * "started" once they send or wait. Then, while nothing moves: the JVM's RSS must stay within 16 MiB of what it
     * was two seconds in (bounded: what waits stays in the kernel's socket buffers, 4 MiB of send buffer and what the
     * guest's window allows), and its CPU time over three seconds under 5 %.
     */
    private void stalledConnectionCostsNeitherMemoryNorCpu(String label, String server, String guest) {
        Path done = sb.work().resolve("done-" + label);
        Proc srv = remote("server-" + label, "python3", "-c", server);
        awaitListening(srv);
        Proc g = user("guest-" + label, Pasta.underTest(), "--config-net", "--", "python3", "-c",
                guest + "\nimport os, time\nwhile not os.path.exists('" + done + "'): time.sleep(0.05)");
        Tree t = tree(g, "python3");
        long jvm = t.jvm().pid();
        assertNotNull(Poll.until(Duration.ofSeconds(20), () -> g.stdout().contains("started")),
                () -> "guest never started:" + g.await(Duration.ZERO).describe());
        Poll.until(Duration.ofSeconds(2), () -> false); // let the buffers fill: the stall is what is measured
        long rss0 = rssKib(jvm);
        Poll.until(Duration.ofSeconds(3), () -> false);
        long c0 = cpuTicks(jvm), t0 = System.nanoTime();
        Poll.until(Duration.ofSeconds(3), () -> false);
        long ticks = cpuTicks(jvm) - c0;
        double secs = (System.nanoTime() - t0) / 1e9;
        long rss1 = rssKib(jvm);
        System.out.printf("%s: JVM RSS %d -> %d KiB over 6 s, %d ticks of CPU in %.1f s%n", label, rss0, rss1,
                ticks, secs);
        assertTrue(rss1 > 0 && rss1 - rss0 < 16 * 1024, label + ": RSS grew from " + rss0 + " to " + rss1 + " KiB");
        assertTrue(ticks >= 0 && ticks < secs * 100 * 0.05, label + ": " + ticks + " ticks in " + secs + " s");
        // the server's end goes away with unread data (a RST): otherwise pasta would give the guest's unsent data its
        // 30 s to drain after the command exits
        srv.close();
        try {
            Files.writeString(done, "");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertEquals(0, g.await(Duration.ofSeconds(30)).exit(), g.await(Duration.ZERO).describe());
    }

    @Test
    void aGuestThatNeverReadsCostsNeitherMemoryNorCpu() {
        stalledConnectionCostsNeitherMemoryNorCpu("guest-never-reads", String.join("\n",
                "import socket",
                "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                "s.bind(('" + REMOTE + "', 7306)); s.listen(1); print('listening', flush=True)",
                "c, _ = s.accept()",
                "try:",
                "    while True: c.sendall(b'z' * 65536)",
                "except OSError: pass"), String.join("\n",
                "import socket",
                "c = socket.create_connection(('" + REMOTE + "', 7306)); print('started', flush=True)"));
    }

    @Test
    void aHostPeerThatNeverReadsCostsNeitherMemoryNorCpu() {
        stalledConnectionCostsNeitherMemoryNorCpu("peer-never-reads", String.join("\n",
                "import socket, time",
                "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                "s.bind(('" + REMOTE + "', 7307)); s.listen(1); print('listening', flush=True)",
                "c, _ = s.accept(); time.sleep(60)"), String.join("\n",
                "import socket, threading",
                "c = socket.create_connection(('" + REMOTE + "', 7307)); print('started', flush=True)",
                "def send():",
                "    try:",
                "        while True: c.sendall(b'w' * 65536)",
                "    except OSError: pass",
                "threading.Thread(target=send, daemon=True).start()"));
    }

    /** A remote server: reads an 8-byte length and that many bytes, answers their SHA-256, then sends that many bytes. */
    private Proc checksumServer(String bind, int port) {
        Proc p = remote("sha-server-" + port, "python3", "-c", String.join("\n",
                "import socket, hashlib, random",
                "s = socket.socket(socket.AF_INET6 if ':' in '" + bind + "' else socket.AF_INET)",
                "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                "s.bind(('" + bind + "', " + port + ")); s.listen(8); print('listening', flush=True)",
                "def readn(c, n):",
                "    b = bytearray()",
                "    while len(b) < n:",
                "        d = c.recv(min(1 << 20, n - len(b)))",
                "        if not d: raise EOFError",
                "        b += d",
                "    return bytes(b)",
                "while True:",
                "    c, _ = s.accept()",
                "    n = int.from_bytes(readn(c, 8), 'big')",
                "    c.sendall(hashlib.sha256(readn(c, n)).digest())",
                "    c.sendall(random.Random(n).randbytes(n)); c.close()"));
        awaitListening(p);
        return p;
    }

    /**
     * Runs a guest that optionally writes sysctls of its namespace, sends {@code bytes} random bytes to the checksum
     * server and reads as many back, checking both digests; it prints "ok", and the window scale its socket
     * negotiated (TCP_INFO: tcpi_options bit 4, tcpi_rcv_wscale).
     */
    private Proc.Result checkedTransfer(String label, List<String> pastaArgs, String sysctls, String addr, int port,
                                        int bytes) {
        List<String> argv = new ArrayList<>(List.of(Pasta.underTest(), "--config-net"));
        argv.addAll(pastaArgs);
        argv.addAll(List.of("--", "python3", "-c", String.join("\n",
                "import socket, hashlib, random, os, struct",
                sysctls,
                "n = " + bytes,
                "up = random.Random(7).randbytes(n)",
                "c = socket.create_connection(('" + addr + "', " + port + "), timeout=30)",
                "info = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)",
                "ws = (info[6] >> 4) if info[5] & 4 else 'none'",
                "c.sendall(n.to_bytes(8, 'big') + up)",
                "b = bytearray()",
                "while True:",
                "    d = c.recv(1 << 20)",
                "    if not d: break",
                "    b += d",
                "ok = b[:32] == hashlib.sha256(up).digest() and bytes(b[32:]) == random.Random(n).randbytes(n)",
                "print('ok' if ok else 'MISMATCH', len(b) - 32, 'wscale', ws, flush=True)")));
        return sb.user(Duration.ofSeconds(120), label, argv.toArray(String[]::new));
    }

    @Test
    void mtu1280CarriesDataIntactBothWaysOverIpv4AndIpv6() {
        Proc s4 = checksumServer(REMOTE, 7310);
        Proc s6 = checksumServer(REMOTE6, 7311);
        for (String addr : new String[] {REMOTE, REMOTE6}) {
            Proc.Result r = checkedTransfer("mtu1280", List.of("-m", "1280"), "", addr, addr.equals(REMOTE) ? 7310
                    : 7311, 4 << 20);
            assertEquals(0, r.exit(), r.describe());
            assertTrue(r.out().startsWith("ok " + (4 << 20)), r.describe());
        }
        s4.close();
        s6.close();
    }

    @Test
    void windowScaleZeroAndFourteenCarryDataIntact() {
        Proc s4 = checksumServer(REMOTE, 7312);
        Proc.Result none = checkedTransfer("ws0", List.of(),
                "open('/proc/sys/net/ipv4/tcp_window_scaling', 'w').write('0')", REMOTE, 7312, 4 << 20);
        assertEquals(0, none.exit(), none.describe());
        assertTrue(none.out().startsWith("ok " + (4 << 20) + " wscale none"), none.describe());
        Proc.Result max = checkedTransfer("ws14", List.of(),
                "open('/proc/sys/net/ipv4/tcp_rmem', 'w').write('4096 131072 1073741824')", REMOTE, 7312, 8 << 20);
        assertEquals(0, max.exit(), max.describe());
        assertTrue(max.out().startsWith("ok " + (8 << 20) + " wscale 14"), max.describe());
        s4.close();
    }

    /**
     * A SYN flood from the guest (a raw socket: 10 000 SYNs from as many source ports to a closed remote port): every
     * one becomes a flow and a connect, the remote refuses them, pasta resets the guest's half-open connections and
     * frees the flows. Afterwards pasta is alive, its table empty, idle, and it serves a real connection.
     */
    @Test
    void synFloodFromTheGuestLeavesNoFlowsAndPastaServesAfter() throws IOException {
        Proc echo = remote("echo-server4", "socat", "TCP-LISTEN:7316,bind=" + REMOTE + ",reuseaddr,fork", "EXEC:cat");
        Path log = sb.work().resolve("flood.log");
        Path done = sb.work().resolve("flood-done");
        Proc g = user("flood", Pasta.underTest(), "--config-net", "-l", log.toString(), "--stats", "1", "--",
                "python3", "-c", String.join("\n",
                "import socket, struct, random, time, os",
                "def csum(b):",
                "    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))",
                "    while s >> 16: s = (s & 0xffff) + (s >> 16)",
                "    return ~s & 0xffff",
                "src, dst = socket.inet_aton('198.51.100.2'), socket.inet_aton('" + REMOTE + "')",
                "r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)",
                "for i in range(10000):",
                "    h = struct.pack('!HHIIBBHHH', 20000 + i, 7315, random.getrandbits(32), 0, 5 << 4, 2, 64240, 0, 0)",
                "    c = csum(src + dst + struct.pack('!BBH', 0, 6, len(h)) + h)",
                "    r.sendto(h[:16] + struct.pack('!H', c) + h[18:], ('" + REMOTE + "', 0))",
                "print('flooded', flush=True)",
                "for i in range(50):",
                "    try: c = socket.create_connection(('" + REMOTE + "', 7316), timeout=5); break",
                "    except OSError: time.sleep(0.1)",
                "c.sendall(b'hi'); print('after', c.recv(10).decode(), flush=True); c.close()",
                "while not os.path.exists('" + done + "'): time.sleep(0.05)"));
        Tree t = tree(g, "python3");
        assertNotNull(Poll.until(Duration.ofSeconds(60), () -> g.stdout().contains("after")),
                () -> "no connection after the flood:" + g.await(Duration.ZERO).describe());
        assertTrue(g.stdout().contains("after hi"), g.stdout());
        assertNotNull(Poll.until(Duration.ofSeconds(20), () -> lastFlowsLine(log).startsWith("flows   0 of")),
                () -> "flows left after the flood: " + lastFlowsLine(log));
        long c0 = cpuTicks(t.jvm().pid()), t0 = System.nanoTime();
        Poll.until(Duration.ofSeconds(2), () -> false);
        long ticks = cpuTicks(t.jvm().pid()) - c0;
        double secs = (System.nanoTime() - t0) / 1e9;
        Files.writeString(done, "");
        Proc.Result r = g.await(Duration.ofSeconds(20));
        assertEquals(0, r.exit(), r.describe());
        String tcp = lastLine(log, "tcp ");
        System.out.printf("SYN flood: %d ticks of CPU in %.1f s after; %s%n", ticks, secs, tcp);
        assertTrue(ticks < secs * 100 * 0.05, ticks + " ticks in " + secs + " s after the flood");
        echo.close();
    }

    private static String lastFlowsLine(Path log) {
        return lastLine(log, "flows ");
    }

    /** @return the last line of {@code log} starting with {@code prefix} (a --stats line) */
    private static String lastLine(Path log, String prefix) {
        try {
            return Files.readAllLines(log).stream().filter(l -> l.startsWith(prefix)).reduce((a, b) -> b)
                    .orElse("(none)");
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    /**
     * {@code --netns FILE} in the foreground ({@code -f}, so that its status is the test's to see), a transfer
     * running through it from a process of that namespace, and the file deleted: pasta exits 0 within a second.
     */
    @Test
    void deletingTheNetnsFileMidTransferEndsPastaWithZeroWithinASecond() throws IOException {
        Proc echo = remote("echo-server5", "socat", "TCP-LISTEN:7320,bind=" + REMOTE + ",reuseaddr,fork", "EXEC:cat");
        Proc holder = user("holder", "unshare", "-rn", "sleep", "120");
        Path comm = Path.of("/proc", Long.toString(holder.pid()), "comm");
        assertNotNull(Poll.until(Duration.ofSeconds(10), () -> "sleep".equals(read(comm))), "holder not started");
        long target = holder.pid();
        Path nsFile = Files.createDirectories(sb.work().resolve("ns")).resolve("net" + target);
        Files.createFile(nsFile);
        Proc.Result mount = sb.root(Duration.ofSeconds(10), "mount",
                List.of("mount", "--bind", "/proc/" + target + "/ns/net", nsFile.toString()));
        assertEquals(0, mount.exit(), mount.describe());
        sb.onClose(() -> sb.root(Duration.ofSeconds(10), "umount", List.of("umount", "-l", nsFile.toString())));
        Proc pasta = user("pasta-netns", Pasta.underTest(), "-f", "--config-net", "--userns",
                "/proc/" + target + "/ns/user", "--netns", nsFile.toString());
        // a client in the namespace streams to the remote echo server through pasta until told to stop
        Proc client = user("client", "nsenter", "-t", Long.toString(target), "-U", "-n", "--preserve-credentials",
                "python3", "-c", String.join("\n",
                        "import socket, time",
                        "for i in range(100):",
                        "    try: c = socket.create_connection(('" + REMOTE + "', 7320), timeout=5); break",
                        "    except OSError: time.sleep(0.1)",
                        "n = 0",
                        "try:",
                        "    while True:",
                        "        c.sendall(b'q' * 65536); k = 0",
                        "        while k < 65536:", // all of it back before more: no deadlock on full buffers
                        "            d = c.recv(65536 - k)",
                        "            if not d: raise EOFError",
                        "            k += len(d)",
                        "        n += k",
                        "        if n == 1 << 20: print('streaming', flush=True)",
                        "except (OSError, EOFError) as e: print('ended', n, type(e).__name__, flush=True)"));
        assertNotNull(Poll.until(Duration.ofSeconds(30), () -> client.stdout().contains("streaming")),
                () -> "no transfer through pasta:" + client.await(Duration.ZERO).describe()
                        + pasta.await(Duration.ZERO).describe());
        Proc.Result umount = sb.root(Duration.ofSeconds(10), "umount", List.of("umount", nsFile.toString()));
        assertEquals(0, umount.exit(), umount.describe());
        long t0 = System.nanoTime();
        Files.delete(nsFile);
        Duration took = Poll.until(Duration.ofSeconds(5), () -> !pasta.isAlive());
        Proc.Result r = pasta.await(Duration.ofSeconds(5));
        System.out.println("--netns file deleted mid-transfer: pasta exited " + r.exit() + " after "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertNotNull(took, "pasta still runs 5 s after its --netns file was deleted:" + r.describe());
        assertEquals(0, r.exit(), r.describe());
        assertTrue(took.toMillis() <= 1000, "pasta took " + took.toMillis() + " ms to exit");
        echo.close();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The host's default route removed mid-run and restored: meanwhile the guest's new connections fail at once
     * (the host cannot route them: a RST), its open connection waits; after, the open connection carries on and new
     * ones are served.
     */
    @Test
    void theHostsDefaultRouteRemovedAndRestoredMidRun() throws IOException {
        Proc echo = remote("echo-server6", "socat", "TCP-LISTEN:7321,bind=" + REMOTE + ",reuseaddr,fork", "EXEC:cat");
        Path cut = sb.work().resolve("cut"), restored = sb.work().resolve("restored");
        Proc g = user("guest-route", Pasta.underTest(), "--config-net", "--", "python3", "-c", String.join("\n",
                "import socket, os, time",
                "for i in range(100):",
                "    try: c = socket.create_connection(('" + REMOTE + "', 7321), timeout=5); break",
                "    except OSError: time.sleep(0.1)",
                "c.sendall(b'one'); assert c.recv(10) == b'one'; print('connected', flush=True)",
                "while not os.path.exists('" + cut + "'): time.sleep(0.05)",
                "try: socket.create_connection(('" + REMOTE + "', 7321), timeout=5); print('during connected')",
                "except OSError as e: print('during', type(e).__name__, flush=True)",
                "c.sendall(b'two')",
                "while not os.path.exists('" + restored + "'): time.sleep(0.05)",
                "c.settimeout(30); print('old', c.recv(10).decode(), flush=True)",
                "d = socket.create_connection(('" + REMOTE + "', 7321), timeout=5); d.sendall(b'new')",
                "print('new', d.recv(10).decode(), flush=True)"));
        assertNotNull(Poll.until(Duration.ofSeconds(30), () -> g.stdout().contains("connected")),
                () -> "guest never connected:" + g.await(Duration.ZERO).describe());
        Proc.Result del = sb.root(Duration.ofSeconds(10), "route-del", sb.asRoot("host", "ip", "route", "del",
                "default"));
        assertEquals(0, del.exit(), del.describe());
        try {
            Files.writeString(cut, "");
            assertNotNull(Poll.until(Duration.ofSeconds(20), () -> g.stdout().contains("during")),
                    () -> "no attempt during the outage:" + g.await(Duration.ZERO).describe());
        } finally {
            Proc.Result add = sb.root(Duration.ofSeconds(10), "route-add", sb.asRoot("host", "ip", "route", "add",
                    "default", "via", "198.51.100.1"));
            assertEquals(0, add.exit(), add.describe());
        }
        Files.writeString(restored, "");
        Proc.Result r = g.await(Duration.ofSeconds(60));
        assertEquals(0, r.exit(), r.describe());
        assertTrue(r.out().contains("during ConnectionRefusedError"), "refused while unroutable:" + r.describe());
        assertTrue(r.out().contains("old two"), "the open connection carried on:" + r.describe());
        assertTrue(r.out().contains("new new"), "new connections served again:" + r.describe());
        echo.close();
    }

    private static long countFds(long pid) {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return s.count();
        } catch (IOException e) {
            return -1;
        }
    }
}
