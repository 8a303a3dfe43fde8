package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Confinement once ready, seen from outside through {@code /proc}: the JVM (no_new_privs, a seccomp filter on
 * every thread, Landlock) and nsd (capabilities down to CAP_NET_ADMIN and CAP_NET_BIND_SERVICE, no_new_privs, its
 * seccomp allow-list, nothing open but its socket, a signalfd and /dev/null), the command with no descriptor of
 * ours; and what a forbidden attempt after ready gets, through the test hook {@code jpasta.test.tryAfterReady}
 * (exec and open from the JVM, a system call outside nsd's list), logged by jpasta itself. {@code --no-confine}
 * turns all of it off.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConfineIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** CAP_NET_BIND_SERVICE (10) and CAP_NET_ADMIN (12): what nsd keeps */
    private static final long NSD_CAPS = 1L << 10 | 1L << 12;

    private Sandbox sb;
    private final List<Proc> procs = new ArrayList<>();
    private final List<Long> daemons = new ArrayList<>();

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
        for (long pid : daemons) {
            if (Files.exists(Path.of("/proc", Long.toString(pid)))) {
                Proc.kill("-KILL", Long.toString(pid));
            }
        }
        daemons.clear();
    }

    /** What a command-mode run shows while its command waits for the test. */
    private record Seen(Map<String, String> jvm, List<String> jvmTaskSeccomp, Map<String, String> nsd,
                        Map<String, String> nsdFds, List<String> commandFds, Proc.Result result) {
    }

    /**
     * Runs {@code pasta [extra] --config-net -- sh -c ...} whose command lists its own descriptors, then waits for
     * the test to look at the JVM and nsd in /proc before it exits.
     */
    private Seen commandModeRun(String label, String tries, String... extra) throws IOException {
        Path dir = sb.userDir(label);
        Path pidFile = dir.resolve("pasta.pid");
        Path cmdFds = dir.resolve("command-fds");
        Path go = dir.resolve("go");
        // in a subshell: dash opens a redirection in the shell itself, keeping a copy of stdout on fd 10
        String script = "(ls /proc/$$/fd > " + cmdFds + ".tmp && mv " + cmdFds + ".tmp " + cmdFds + "); i=0; "
                + "while [ ! -e " + go + " ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done";
        List<String> argv = new ArrayList<>(List.of("env", "JPASTA_JAVA_OPTS=-Djpasta.test.tryAfterReady=" + tries,
                Pasta.underTest(), "-d", "-P", pidFile.toString()));
        argv.addAll(List.of(extra));
        argv.addAll(List.of("--config-net", "--", "sh", "-c", script));
        Proc p = sb.startUser(label, argv.toArray(String[]::new));
        procs.add(p);
        try {
            Duration up = Poll.until(TIMEOUT, () -> Files.exists(cmdFds) && readPid(pidFile) > 0 || !p.isAlive());
            assertNotNull(up, () -> "the command did not start:" + p.await(Duration.ZERO).describe());
            long jvm = readPid(pidFile);
            long nsd = child(jvm, "jpasta-nsd");
            assertTrue(nsd > 0, "no jpasta-nsd under the JVM " + jvm);
            // the hook runs right after ready, the command may have been quicker: wait for its last line
            assertNotNull(Poll.until(TIMEOUT, () -> !p.isAlive() || hookDone(label)), "no hook lines");
            List<String> taskSeccomp = new ArrayList<>();
            try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(jvm), "task"))) {
                for (Path t : tasks.toList()) {
                    taskSeccomp.add(t.getFileName() + ":" + status(t.resolve("status")).get("Seccomp"));
                }
            }
            Seen seen = new Seen(status(Path.of("/proc", Long.toString(jvm), "status")), taskSeccomp,
                    status(Path.of("/proc", Long.toString(nsd), "status")), fds(nsd),
                    Files.readAllLines(cmdFds), null);
            Files.writeString(go, "");
            Proc.Result r = p.await(TIMEOUT);
            return new Seen(seen.jvm, seen.jvmTaskSeccomp, seen.nsd, seen.nsdFds, seen.commandFds, r);
        } finally {
            if (!Files.exists(go)) {
                Files.writeString(go, "");
            }
        }
    }

    /** @return true once the stderr of run {@code label} (written by {@link Proc} as it runs) shows the hook's end */
    private boolean hookDone(String label) {
        try (Stream<Path> logs = Files.list(sb.logs())) {
            for (Path f : logs.toList()) {
                if (f.getFileName().toString().endsWith("-" + label + ".err")
                        && Files.readString(f).contains("tried nsd-exec")) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    @Test
    void afterReadyJvmAndNsdAreConfinedAndForbiddenAttemptsFail() throws IOException {
        Path forbidden = sb.userDir("confined").resolve("forbidden");
        Path secret = userFile("confined", "secret");
        String jar = Path.of(Pasta.underTest()).getParent().getParent().resolve("lib/jpasta.jar").toString();
        Seen s = commandModeRun("confined", "exec:/bin/true,open:" + secret + ",write:" + forbidden + ",open:" + jar
                + ",nsd-exec");
        String err = s.result.err();
        assertEquals(0, s.result.exit(), s.result.describe());

        // the JVM, each of its threads
        assertEquals("1", s.jvm.get("NoNewPrivs"), s.jvm.toString());
        assertEquals("2", s.jvm.get("Seccomp"), s.jvm.toString());
        assertTrue(s.jvmTaskSeccomp.stream().allMatch(t -> t.endsWith(":2")), s.jvmTaskSeccomp.toString());
        assertEquals(0, Long.parseLong(s.jvm.get("CapEff"), 16));
        // nsd: all capabilities in the user namespace it created, down to two
        assertEquals("1", s.nsd.get("NoNewPrivs"), s.nsd.toString());
        assertEquals("2", s.nsd.get("Seccomp"), s.nsd.toString());
        assertEquals(NSD_CAPS, Long.parseLong(s.nsd.get("CapEff"), 16), s.nsd.toString());
        assertEquals(NSD_CAPS, Long.parseLong(s.nsd.get("CapPrm"), 16), s.nsd.toString());
        assertEquals(NSD_CAPS, Long.parseLong(s.nsd.get("CapBnd"), 16), s.nsd.toString());
        assertEquals(Map.of("0", "/dev/null", "1", "/dev/null", "2", "/dev/null", "3", "socket",
                "4", "anon_inode:[signalfd]"), s.nsdFds);
        // the command: its standard descriptors and nothing of ours
        assertEquals(List.of("0", "1", "2"), s.commandFds);

        assertTrue(err.contains("confined: seccomp on, Landlock ABI "), err);
        assertTrue(err.matches("(?s).*threads [1-9][0-9]* restricted, 0 failed.*"), err);
        assertTrue(err.contains("tried exec /bin/true: Operation not permitted"), err);
        assertTrue(err.contains("tried open " + secret + ": Permission denied"), "a file of the user's:" + err);
        assertTrue(err.contains("tried write " + forbidden + ": Permission denied"), err);
        assertFalse(Files.exists(forbidden));
        assertTrue(err.contains("tried open " + jar + ": ok"), "its own files stay readable:" + err);
        assertTrue(err.contains("tried nsd-exec: Operation not permitted"), err);
    }

    @Test
    void noConfineLeavesJvmAndNsdUnconfined() throws IOException {
        Path secret = userFile("unconfined", "secret");
        Seen s = commandModeRun("unconfined", "exec:/bin/true,open:" + secret + ",nsd-exec", "--no-confine");
        String err = s.result.err();
        assertEquals(0, s.result.exit(), s.result.describe());
        assertEquals("0", s.jvm.get("Seccomp"), s.jvm.toString());
        assertEquals("0", s.jvm.get("NoNewPrivs"), s.jvm.toString());
        assertEquals("0", s.nsd.get("Seccomp"), s.nsd.toString());
        assertNotEquals(NSD_CAPS, Long.parseLong(s.nsd.get("CapEff"), 16), s.nsd.toString());
        assertTrue(err.contains("helper not confined: --no-confine"), err);
        assertFalse(err.contains("confined: seccomp"), err);
        assertTrue(err.contains("tried exec /bin/true: ok"), err);
        assertTrue(err.contains("tried open " + secret + ": ok"), err);
        assertTrue(err.contains("tried nsd-exec: Bad file descriptor"), "the kernel's own answer:" + err);
        // the command's descriptors do not depend on confinement
        assertEquals(List.of("0", "1", "2"), s.commandFds);
    }

    @Test
    void daemonWritesItsLogFileAfterReadyAndNothingElse() throws IOException {
        Path dir = sb.userDir("daemon");
        Path log = dir.resolve("pasta.log");
        Path pidFile = dir.resolve("pasta.pid");
        Path forbidden = dir.resolve("forbidden");
        Path secret = userFile("daemon", "secret");
        Proc holder = sb.startUser("holder", "unshare", "-rn", "sleep", "60");
        procs.add(holder);
        Path comm = Path.of("/proc", Long.toString(holder.pid()), "comm");
        assertNotNull(Poll.until(Duration.ofSeconds(10), () -> "sleep\n".equals(read(comm))), "holder");
        Sandbox.Daemonized d = sb.userDaemon(TIMEOUT, "daemon", "env",
                "JPASTA_JAVA_OPTS=-Djpasta.test.tryAfterReady=open:" + secret + ",write:" + forbidden + ",nsd-exec",
                Pasta.underTest(), "-d", "-l", log.toString(), "-P", pidFile.toString(), "--config-net",
                Long.toString(holder.pid()));
        try {
            assertEquals(0, d.result().exit(), d.result().describe());
            long daemon = readPid(pidFile);
            daemons.add(daemon);
            assertNotNull(Poll.until(TIMEOUT, () -> read(log).contains("tried nsd-exec")), () -> read(log));
            String text = read(log);
            assertTrue(text.contains("tried open " + secret + ": Permission denied"), text);
            assertTrue(text.contains("tried write " + forbidden + ": Permission denied"), text);
            assertTrue(text.contains("tried nsd-exec: Operation not permitted"), text);
            Map<String, String> st = status(Path.of("/proc", Long.toString(daemon), "status"));
            assertEquals("1", st.get("NoNewPrivs"), st.toString());
            assertEquals("2", st.get("Seccomp"), st.toString());
            long nsd = child(daemon, "jpasta-nsd");
            Map<String, String> nst = status(Path.of("/proc", Long.toString(nsd), "status"));
            assertEquals("2", nst.get("Seccomp"), nst.toString());
            // joined the holder's user namespace, where it had every capability
            assertEquals(NSD_CAPS, Long.parseLong(nst.get("CapEff"), 16), nst.toString());
        } finally {
            Proc.killGroup(d.callerPid());
        }
    }

    /** @return a file the test user may read, in its directory {@code dir}: one the confined JVM may not */
    private Path userFile(String dir, String name) throws IOException {
        Path f = sb.userDir(dir).resolve(name);
        Files.writeString(f, "not for jpasta\n");
        f.toFile().setReadable(true, false);
        return f;
    }

    private static long readPid(Path file) {
        try {
            String s = Files.readString(file).strip();
            return s.isEmpty() ? -1 : Long.parseLong(s);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    /** @return the pid of {@code parent}'s child named {@code comm}, or -1 */
    private static long child(long parent, String comm) throws IOException {
        try (Stream<Path> all = Files.list(Path.of("/proc"))) {
            for (Path p : all.toList()) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String stat = read(p.resolve("stat"));
                int close = stat.lastIndexOf(')');
                if (close < 0 || !stat.substring(stat.indexOf('(') + 1, close).equals(comm)) {
                    continue;
                }
                String[] rest = stat.substring(close + 2).split(" ");
                if (rest.length > 1 && Long.parseLong(rest[1]) == parent) {
                    return Long.parseLong(name);
                }
            }
        }
        return -1;
    }

    private static Map<String, String> status(Path file) throws IOException {
        Map<String, String> m = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                m.put(line.substring(0, colon), line.substring(colon + 1).strip());
            }
        }
        return m;
    }

    /** @return fd number to link target, sockets shortened to "socket" */
    private static Map<String, String> fds(long pid) throws IOException {
        Map<String, String> m = new HashMap<>();
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path p : s.sorted(Comparator.comparing(Path::toString)).toList()) {
                String target = Files.readSymbolicLink(p).toString();
                m.put(p.getFileName().toString(), target.startsWith("socket:") ? "socket" : target);
            }
        }
        return m;
    }
}
