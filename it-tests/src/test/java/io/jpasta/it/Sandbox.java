package io.jpasta.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The test network of {@code scripts/sandbox}, made for one test class: a namespace playing the host
 * ({@code NAME-h}, uplink {@code up0} with 198.51.100.2/30 and 2001:db8:1::2/64) and one playing the remote
 * network ({@code NAME-r}, servers 198.51.100.200 and 2001:db8:2::10), plus a work directory owned by the test
 * user for pid files, pcaps and namespace files.
 *
 * <p>Names are {@code it<pid><n>}: the JVM's pid keeps parallel runs apart, the counter keeps classes apart. The
 * sandbox goes away in {@link #close()} and, should the JVM end before that (a crash, a kill), in a shutdown hook.
 * Logs of every process go to {@code target/it-logs/<label>/} and stay there.
 *
 * <p>Preconditions (root, the test user, the scripts) are checked with assumptions: a machine that cannot run
 * these tests skips them with the reason printed, it does not fail them.
 */
public final class Sandbox implements AutoCloseable {
    /** The unprivileged user that runs every program under test. */
    public static final String TEST_USER = "jpasta-test";

    private static final AtomicInteger COUNT = new AtomicInteger();
    private static final Set<Sandbox> LIVE = ConcurrentHashMap.newKeySet();
    /** Labels whose log directory this JVM has emptied already (once per run, not once per sandbox). */
    private static final Set<String> FRESH_LOGS = ConcurrentHashMap.newKeySet();
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(30);

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Sandbox::close), "sandbox-cleanup"));
    }

    private final String name;
    private final Path repo;
    private final Path work;
    private final Path logs;
    private final List<Runnable> cleanups = new ArrayList<>();

    private Sandbox(String name, Path repo, Path work, Path logs) {
        this.name = name;
        this.repo = repo;
        this.work = work;
        this.logs = logs;
    }

    /**
     * Creates a sandbox, or skips the calling test (class) with a printed reason when this machine cannot.
     *
     * @param label names the log directory, usually the test class's simple name
     */
    public static Sandbox create(String label) {
        Path repo = repo();
        Path script = repo.resolve("scripts/sandbox");
        require("root".equals(System.getProperty("user.name")), "the integration tests must run as root "
                + "(they build network namespaces and run pasta as " + TEST_USER + ")");
        require(Files.isExecutable(script), script + " is missing");
        require(Files.isDirectory(Path.of("/home", TEST_USER)) || run("id", "-u", TEST_USER) == 0,
                "user " + TEST_USER + " is missing: run scripts/setup as root");
        require(run("sh", "-c", "[ -c /dev/net/tun ] && [ \"$(stat -c %a /dev/net/tun)\" = 666 ]") == 0,
                "/dev/net/tun is not usable by everyone: run scripts/setup as root");

        String name = "it" + ProcessHandle.current().pid() + "x" + COUNT.incrementAndGet();
        Path logs = Path.of("target", "it-logs", label).toAbsolutePath();
        Path work;
        try {
            if (FRESH_LOGS.add(label)) {
                // a test JVM numbers its process logs from 1: files of an earlier run would mix with this run's
                removeTree(logs);
            }
            Files.createDirectories(logs);
            work = Files.createTempDirectory(Path.of("/tmp"), "jpasta-" + name + "-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            giveToTestUser(work);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Sandbox sb = new Sandbox(name, repo, work, logs);
        LIVE.add(sb);
        Proc.Result up = sb.root(Duration.ofSeconds(30), "up", List.of(script.toString(), "up", name));
        if (up.exit() != 0) {
            sb.close();
            throw new IllegalStateException("scripts/sandbox up failed:" + up.describe());
        }
        return sb;
    }

    /** @return the sandbox's name; its namespaces are {@code NAME-h} and {@code NAME-r} */
    public String name() {
        return name;
    }

    /** @return a directory owned by the test user, removed on {@link #close()} */
    public Path work() {
        return work;
    }

    /** @return the directory that keeps this sandbox's process logs */
    public Path logs() {
        return logs;
    }

    /**
     * Creates directory {@code name} in {@link #work()} (or takes the one there), owned by the test user: for what
     * the programs under test write, such as captures and the lease and pid files of the clients they run.
     *
     * @return the directory
     */
    public Path userDir(String name) {
        try {
            Path dir = Files.createDirectories(work.resolve(name));
            giveToTestUser(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Copies {@code path}, a file or a directory tree (usually a capture in {@link #work()}), into {@link #logs()},
     * which outlives the sandbox, and prints where: what a failed test leaves to be read later. A copy of an
     * earlier run with the same name is replaced.
     *
     * @return the copy, or null if {@code path} does not exist
     */
    public Path keep(Path path) {
        if (!Files.exists(path)) {
            return null;
        }
        Path to = logs.resolve(path.getFileName());
        try (Stream<Path> all = Files.walk(path)) {
            for (Path p : all.toList()) {
                Path copy = to.resolve(path.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(p, copy, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            System.err.println("sandbox " + name + ": cannot keep " + path + ": " + e);
            return null;
        }
        System.out.println("sandbox " + name + ": kept " + path + " in " + to);
        return to;
    }

    private static void giveToTestUser(Path path) throws IOException {
        UserPrincipal user = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(TEST_USER);
        Files.setOwner(path, user);
    }

    /** @return the test user's uid (from /etc/passwd) */
    public static int testUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length > 2 && f[0].equals(TEST_USER)) {
                    return Integer.parseInt(f[2]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("user " + TEST_USER + " is missing: run scripts/setup as root");
    }

    /** @return the argument vector that runs {@code argv} as the test user in the host namespace */
    public List<String> asUser(String... argv) {
        List<String> cmd = new ArrayList<>(List.of(repo.resolve("scripts/sandbox").toString(), "exec", name, "user"));
        cmd.addAll(Arrays.asList(argv));
        return cmd;
    }

    /** @return the argument vector that runs {@code argv} as root in the host ("host") or remote ("remote") netns */
    public List<String> asRoot(String where, String... argv) {
        List<String> cmd = new ArrayList<>(List.of(repo.resolve("scripts/sandbox").toString(), "exec", name, where));
        cmd.addAll(Arrays.asList(argv));
        return cmd;
    }

    /** Starts {@code argv} as the test user in the host namespace, stdin from /dev/null. */
    public Proc startUser(String label, String... argv) {
        return Proc.start(asUser(argv), work, logs, label, null);
    }

    /** Runs {@code argv} as the test user in the host namespace and waits at most {@code timeout}. */
    public Proc.Result user(Duration timeout, String label, String... argv) {
        try (Proc p = startUser(label, argv)) {
            return p.await(timeout);
        }
    }

    /**
     * Runs a pasta that daemonizes (PID or --netns mode) as the test user: like {@link #user}, but what stays in
     * the caller's process group after it exits is left alone (see {@link Proc#awaitLeavingGroup}). The test
     * cleans up with {@link Proc#killGroup} on the returned caller pid, which is that group's id.
     *
     * @return the caller's pid (its group id) and result
     */
    public Daemonized userDaemon(Duration timeout, String label, String... argv) {
        try (Proc p = startUser(label, argv)) {
            return new Daemonized(p.pid(), p.awaitLeavingGroup(timeout));
        }
    }

    /** What {@link #userDaemon} returns: the caller's pid, also the id of the group it left behind, and result. */
    public record Daemonized(long callerPid, Proc.Result result) {
    }

    /** Like {@link #user}, feeding {@code stdin} to the process. */
    public Proc.Result userWithInput(Duration timeout, String label, String stdin, String... argv) {
        try (Proc p = Proc.start(asUser(argv), work, logs, label, stdin)) {
            return p.await(timeout);
        }
    }

    /** Runs {@code argv} as root, outside the sandbox, logging like the other processes. */
    public Proc.Result root(Duration timeout, String label, List<String> argv) {
        try (Proc p = Proc.start(argv, work, logs, label, null)) {
            return p.await(timeout);
        }
    }

    /** Starts {@code argv} as root in the host ("host") or remote ("remote") namespace, stdin from /dev/null. */
    public Proc startRoot(String where, String label, String... argv) {
        return Proc.start(asRoot(where, argv), work, logs, label, null);
    }

    /**
     * Replaces the resolver configuration of the sandbox's host namespace, which pasta (and the command it runs)
     * reads as /etc/resolv.conf there ({@code ip netns exec} binds /etc/netns/NAME-h/resolv.conf over it); the
     * default, restored when the returned handle closes, names the remote network (198.51.100.200 and
     * 2001:db8:2::10).
     */
    public AutoCloseable resolvConf(String text) {
        Path f = Path.of("/etc/netns", name + "-h", "resolv.conf");
        try {
            String before = Files.readString(f);
            Files.writeString(f, text);
            return () -> Files.writeString(f, before);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Registers {@code action} to run at {@link #close()}, before the namespaces go (last registered first). */
    public void onClose(Runnable action) {
        synchronized (cleanups) {
            cleanups.add(action);
        }
    }

    /** Runs the registered cleanups, removes both namespaces and the work directory. Idempotent. */
    @Override
    public void close() {
        if (!LIVE.remove(this)) {
            return;
        }
        List<Runnable> todo;
        synchronized (cleanups) {
            todo = new ArrayList<>(cleanups.reversed());
            cleanups.clear();
        }
        for (Runnable r : todo) {
            try {
                r.run();
            } catch (RuntimeException e) {
                System.err.println("sandbox " + name + ": cleanup failed: " + e);
            }
        }
        if (run(repo.resolve("scripts/sandbox").toString(), "down", name) != 0) {
            System.err.println("sandbox " + name + ": scripts/sandbox down failed");
        }
        try {
            removeTree(work);
        } catch (IOException e) {
            System.err.println("sandbox " + name + ": cannot remove " + work + ": " + e);
        }
    }

    /** Removes {@code dir} and everything below it, if it exists. */
    private static void removeTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** @return the repository root: system property {@code jpasta.repo}, else the parent of the working dir */
    static Path repo() {
        String p = System.getProperty("jpasta.repo");
        Path r = p != null ? Path.of(p) : Path.of("").toAbsolutePath().getParent();
        return r.toAbsolutePath().normalize();
    }

    /** Skips the caller, printing {@code reason}, unless {@code ok}. */
    static void require(boolean ok, String reason) {
        if (!ok) {
            System.out.println("SKIPPED: " + reason);
        }
        assumeTrue(ok, reason);
    }

    /** Runs a short root command outside any sandbox; @return its exit status, or -1 if it did not finish */
    static int run(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
