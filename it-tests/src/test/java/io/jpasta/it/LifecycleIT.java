package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PID and {@code --netns} mode: the caller returns 0 only once the namespace is configured, the daemon detaches
 * (own session, /dev/null on fds 0-2), {@code -P} names it, it quits when its target goes away, SIGTERM/SIGQUIT
 * end it with status 0; and {@code -p} writes a capture tshark can read.
 *
 * <p>The target namespace is held by {@code unshare -rn sleep 60} started as the test user (a user and a network
 * namespace of its own); pasta joins it as {@code PID}, or as {@code --userns /proc/PID/ns/user --netns FILE}
 * where FILE is a bind mount of the sleep's netns made by root in the test's work directory.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LifecycleIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** The issue: exit within 1 s of the target going away, polling once a second; allow scheduling slack. */
    private static final Duration QUIT_LIMIT = Duration.ofMillis(3000);

    private Sandbox sb;
    private Proc holder;
    private Path pidFile;
    private final List<Long> callerGroups = new ArrayList<>();

    @BeforeAll
    void setUp() {
        sb = SANDBOX.get();
    }

    @AfterEach
    void endProcesses() {
        // a daemon that never detached is still in its caller's group
        callerGroups.forEach(Proc::killGroup);
        callerGroups.clear();
        // the daemon left its group on purpose (setsid): end it by the pid it wrote
        long daemon = readPid(pidFile);
        if (daemon > 0 && alive(daemon)) {
            Proc.kill("-KILL", Long.toString(daemon));
        }
        if (holder != null) {
            holder.close();
            holder = null;
        }
        pidFile = null;
    }

    /** Runs a pasta caller that leaves a daemon; the caller's group is killed after the test. */
    private Proc.Result daemon(String label, String... argv) {
        Sandbox.Daemonized d = sb.userDaemon(TIMEOUT, label, argv);
        callerGroups.add(d.callerPid());
        return d.result();
    }

    /** Starts the namespace holder and waits until it has become {@code sleep} in its new namespaces. */
    private long startHolder() {
        holder = sb.startUser("holder", "unshare", "-rn", "sleep", "60");
        long pid = holder.pid();
        Path comm = Path.of("/proc", Long.toString(pid), "comm");
        Duration took = Poll.until(Duration.ofSeconds(10), () -> "sleep".equals(read(comm)));
        assertNotNull(took, () -> "unshare -rn sleep 60 did not start:" + holder.await(Duration.ZERO).describe());
        return pid;
    }

    private String[] nsAddr(long pid) {
        return new String[] {"nsenter", "-t", Long.toString(pid), "-U", "-n", "--preserve-credentials", "ip", "-j",
            "addr"};
    }

    /** @return the global addresses on {@code up0} in the namespace of {@code pid}, read by the test user */
    private String tapAddresses(long pid) {
        Proc.Result r = sb.user(Duration.ofSeconds(10), "nsenter", nsAddr(pid));
        if (r.exit() != 0) {
            return "nsenter failed:" + r.describe();
        }
        return IpJson.jq("[.[] | select(.ifname == \"up0\") | .addr_info[] | select(.scope == \"global\")"
                + " | \"\\(.local)/\\(.prefixlen)\"] | sort", r.out());
    }

    private static final String CONFIGURED = "[\"198.51.100.2/30\",\"2001:db8:1::2/64\"]";

    @Test
    void pidModeCallerReturnsZeroOnlyOnceNamespaceIsConfigured() {
        long target = startHolder();
        pidFile = sb.work().resolve("pasta.pid");
        Proc.Result r = daemon("pidmode", Pasta.underTest(), "--config-net", "-P", pidFile.toString(),
                Long.toString(target));
        // read the namespace before anything else: the caller's return is the promise that it is ready
        String addrs = tapAddresses(target);
        assertEquals(0, r.exit(), r.describe());
        assertEquals(CONFIGURED, addrs, "namespace not configured when the caller returned:" + r.describe());
    }

    @Test
    void pidModeDaemonDetachesAndPidFileNamesIt() {
        long target = startHolder();
        pidFile = sb.work().resolve("pasta.pid");
        Proc.Result r = daemon("pidmode", Pasta.underTest(), "--config-net", "-P", pidFile.toString(),
                Long.toString(target));
        assertEquals(0, r.exit(), r.describe());
        long daemon = readPid(pidFile);
        assertTrue(daemon > 0, "no pid in " + pidFile + ":" + r.describe());
        assertTrue(alive(daemon), "pid " + daemon + " from " + pidFile + " is not running:" + r.describe());
        // detaching may finish just after the caller returned: give it a moment, bounded
        Duration detached = Poll.until(Duration.ofSeconds(2), () -> {
            String[] st = stat(daemon);
            return st.length > 3 && st[3].equals(Long.toString(daemon)) && fdsOnNull(daemon);
        });
        String[] stat = stat(daemon);
        assertTrue(stat.length > 3, "daemon " + daemon + " is gone");
        assertEquals(Long.toString(daemon), stat[3], "the daemon should lead its own session (setsid)");
        assertTrue(detached != null, "fds 0-2 of the daemon should be /dev/null: " + fds(daemon));
    }

    private static boolean fdsOnNull(long pid) {
        return fds(pid).stream().allMatch(l -> l.endsWith("null"));
    }

    /** @return where fds 0-2 of {@code pid} point; pasta may see /dev/null under another root, hence "null" */
    private static List<String> fds(long pid) {
        return java.util.stream.IntStream.rangeClosed(0, 2).mapToObj(fd -> {
            try {
                return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "fd", Integer.toString(fd)))
                        .toString();
            } catch (IOException e) {
                return "(" + e.getMessage() + ")";
            }
        }).toList();
    }

    @Test
    void pidModeDaemonQuitsWhenTargetProcessIsGone() {
        long target = startHolder();
        pidFile = sb.work().resolve("pasta.pid");
        Proc.Result r = daemon("pidmode", Pasta.underTest(), "--config-net", "-P", pidFile.toString(),
                Long.toString(target));
        assertEquals(0, r.exit(), r.describe());
        long daemon = readPid(pidFile);
        assertTrue(daemon > 0 && alive(daemon), "no live daemon in " + pidFile + ":" + r.describe());
        holder.close();
        Duration took = Poll.until(QUIT_LIMIT, () -> !alive(daemon));
        assertNotNull(took, "pasta " + daemon + " still runs " + QUIT_LIMIT.toMillis() + " ms after its target "
                + target + " died");
        System.out.println("pasta quit " + took.toMillis() + " ms after its target process died");
    }

    /** A pasta started in --netns mode: its target, namespace file, caller's result, and the tap right after. */
    private record NetnsRun(long target, Path nsFile, Proc.Result caller, String addrsAtReturn) {
    }

    /** Bind-mounts the holder's netns on a file (as root) and runs pasta on it with {@code --netns FILE}. */
    private NetnsRun startNetnsMode() throws IOException {
        long target = startHolder();
        Path nsFile = bindNetns(target);
        pidFile = sb.work().resolve("pasta.pid");
        Proc.Result r = daemon("netns", Pasta.underTest(), "--config-net", "-P", pidFile.toString(),
                "--userns", "/proc/" + target + "/ns/user", "--netns", nsFile.toString());
        return new NetnsRun(target, nsFile, r, tapAddresses(target));
    }

    @Test
    void netnsModeCallerReturnsZeroOnlyOnceNamespaceIsConfigured() throws IOException {
        NetnsRun run = startNetnsMode();
        assertEquals(0, run.caller().exit(), run.caller().describe());
        assertEquals(CONFIGURED, run.addrsAtReturn(), "namespace not configured when the caller returned:"
                + run.caller().describe());
    }

    @Test
    void netnsModeQuitsWhenNetnsFileIsDeleted() throws IOException {
        NetnsRun run = startNetnsMode();
        assertEquals(0, run.caller().exit(), run.caller().describe());
        long daemon = readPid(pidFile);
        assertTrue(daemon > 0 && alive(daemon), "no live daemon in " + pidFile + ":" + run.caller().describe());
        assertNotNull(Poll.until(Duration.ofSeconds(10), () -> CONFIGURED.equals(tapAddresses(run.target()))),
                "namespace never configured");

        Proc.Result umount = sb.root(Duration.ofSeconds(10), "umount", List.of("umount", run.nsFile().toString()));
        assertEquals(0, umount.exit(), umount.describe());
        Files.delete(run.nsFile());
        Duration took = Poll.until(QUIT_LIMIT, () -> !alive(daemon));
        assertNotNull(took, "pasta " + daemon + " still runs " + QUIT_LIMIT.toMillis() + " ms after " + run.nsFile()
                + " was deleted");
        System.out.println("pasta quit " + took.toMillis() + " ms after its --netns file was deleted");
    }

    /**
     * What podman does: stdout and stderr of pasta on one pipe, read until EOF, and a wait for the caller's exit.
     * Whatever stays behind after "ready" (the JVM, nsd) must hold no end of that pipe, or the reader never sees
     * EOF (podman hung forever on the first `podman run` with jpasta).
     */
    @ParameterizedTest
    @ValueSource(strings = {"pid", "netns"})
    void daemonLeavesTheCallersPipeAtReady(String mode) throws Exception {
        long target = startHolder();
        pidFile = sb.work().resolve("pasta.pid");
        List<String> argv = new ArrayList<>(List.of(Pasta.underTest(), "--config-net", "--quiet", "-P",
                pidFile.toString()));
        if (mode.equals("pid")) {
            argv.add(Long.toString(target));
        } else {
            Path nsFile = bindNetns(target);
            argv.addAll(List.of("--userns", "/proc/" + target + "/ns/user", "--netns", nsFile.toString()));
        }
        List<String> cmd = new ArrayList<>(List.of("setsid"));
        cmd.addAll(sb.asUser(argv.toArray(String[]::new)));
        Process caller = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(new File("/dev/null")).start();
        callerGroups.add(caller.pid());
        CompletableFuture<Long> eof = new CompletableFuture<>();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread.ofVirtual().start(() -> {
            try (var in = caller.getInputStream()) {
                in.transferTo(output);
                eof.complete(System.nanoTime());
            } catch (IOException e) {
                eof.completeExceptionally(e);
            }
        });
        assertTrue(caller.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS),
                "the caller did not return within " + TIMEOUT);
        long exited = System.nanoTime();
        assertEquals(0, caller.exitValue(), "caller failed: " + output);
        long daemon = readPid(pidFile);
        assertTrue(daemon > 0 && alive(daemon), "no live daemon in " + pidFile + ": " + output);
        Long eofAt;
        try {
            eofAt = eof.get(5, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            eofAt = null;
        }
        assertNotNull(eofAt, "no EOF on the caller's pipe 5 s after it exited; fds 0-2 in the sessions of caller and daemon:"
                + pipeHolders(caller.pid(), daemon));
        long lagMs = (eofAt - exited) / 1_000_000;
        assertTrue(lagMs <= 1000, "EOF came " + lagMs + " ms after the caller exited");
        assertEquals("", output.toString(), "--quiet should print nothing");
        assertTrue(alive(daemon), "the daemon should still run after its caller returned");
        // and nothing of it is left in the caller's process group, which a shell or supervisor may signal as a whole
        Proc.killGroup(caller.pid());
        assertNull(Poll.until(Duration.ofSeconds(1), () -> !alive(daemon)),
                "killing the caller's process group ended the daemon (its nsd was still in that group)");
    }

    /** @return the processes in the sessions of the caller and the daemon, with where their fds 0-2 point */
    private static String pipeHolders(long caller, long daemon) {
        Set<String> sessions = Set.of(Long.toString(caller), Long.toString(daemon));
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
                    .map(Long::parseLong).filter(pid -> {
                        String[] st = stat(pid);
                        return st.length > 3 && sessions.contains(st[3]);
                    }).forEach(pid -> sb.append("\n  ").append(pid).append(' ')
                            .append(read(Path.of("/proc", Long.toString(pid), "comm"))).append(' ').append(fds(pid)));
        } catch (IOException e) {
            sb.append(" (").append(e.getMessage()).append(')');
        }
        return sb.toString();
    }

    /** Bind-mounts the holder's netns on a file (as root), unmounted when the sandbox closes. */
    private Path bindNetns(long target) throws IOException {
        Path nsDir = Files.createDirectories(sb.work().resolve("ns"));
        Path nsFile = nsDir.resolve("net" + target);
        Files.createFile(nsFile);
        Proc.Result mount = sb.root(Duration.ofSeconds(10), "mount",
                List.of("mount", "--bind", "/proc/" + target + "/ns/net", nsFile.toString()));
        assertEquals(0, mount.exit(), mount.describe());
        sb.onClose(() -> sb.root(Duration.ofSeconds(10), "umount", List.of("umount", "-l", nsFile.toString())));
        return nsFile;
    }

    @ParameterizedTest
    @ValueSource(strings = {"TERM", "QUIT"})
    void foregroundPastaStaysAttachedAndExitsZeroOnSignal(String signal) {
        long target = startHolder();
        try (Proc pasta = sb.startUser("foreground", Pasta.underTest(), "-f", "--config-net", Long.toString(target))) {
            Duration ready = Poll.until(Duration.ofSeconds(20),
                    () -> CONFIGURED.equals(tapAddresses(target)) || !pasta.isAlive());
            assertNotNull(ready, "namespace never configured");
            assertTrue(pasta.isAlive(), () -> "-f pasta returned:" + pasta.await(Duration.ZERO).describe());
            pasta.signal(signal);
            Proc.Result r = pasta.await(Duration.ofSeconds(10));
            assertEquals(0, r.exit(), "SIG" + signal + " should end pasta with status 0:" + r.describe());
        }
    }

    @Test
    void pcapFileIsReadableByTshark() {
        Path pcap = sb.work().resolve("tap.pcap");
        Proc.Result r = sb.user(TIMEOUT, "pcap", Pasta.underTest(), "--config-net", "-p", pcap.toString(), "--",
                "ping", "-c1", "-W5", "198.51.100.200");
        assertEquals(0, r.exit(), r.describe());
        Proc.Result t = sb.root(Duration.ofSeconds(60), "tshark",
                List.of("tshark", "-r", pcap.toString(), "-T", "fields", "-e", "ip.dst", "-e", "icmp.type"));
        assertEquals(0, t.exit(), "tshark cannot read the capture:" + t.describe());
        assertTrue(t.out().lines().anyMatch(l -> l.equals("198.51.100.200\t8")),
                "no ICMP echo request to 198.51.100.200 in the capture:" + t.describe());
        assertTrue(t.out().lines().anyMatch(l -> l.equals("198.51.100.2\t0")),
                "no ICMP echo reply to 198.51.100.2 in the capture:" + t.describe());
    }

    private static long readPid(Path file) {
        if (file == null) {
            return -1;
        }
        try {
            return Long.parseLong(Files.readString(file).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** @return true if {@code pid} exists and is not a zombie */
    private static boolean alive(long pid) {
        String[] stat = stat(pid);
        return stat.length > 0 && !"Z".equals(stat[0]);
    }

    /** @return the fields of /proc/PID/stat after the command name (state first), or an empty array */
    private static String[] stat(long pid) {
        String s = read(Path.of("/proc", Long.toString(pid), "stat"));
        int close = s.lastIndexOf(')');
        if (close < 0) {
            return new String[0];
        }
        return s.substring(close + 2).split(" ");
    }
}
