package io.jpasta.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One child process of a test, started in a session and process group of its own, with stdout and stderr
 * captured in log files that stay on disk after the run (so a failure can be read later as well as in the
 * assertion message).
 *
 * <p>The argument vector is started behind {@code setsid}: a child of the JVM is never a group leader, so
 * setsid execs without forking and the process we hold is the leader of a new group whose id is its pid. Every
 * wrapper in the sandbox's chain ({@code scripts/sandbox}, {@code ip netns exec}, {@code setpriv}, {@code env})
 * execs too, so the pid we hold is the program under test itself: signals sent to it and the exit status we read
 * are its own. When the process ends or times out, the whole group gets SIGKILL, which takes down helpers a
 * failed program leaves behind (a forked namespace child, a shell's background jobs). Daemons that call setsid
 * leave the group on purpose; the tests end those by the pid they write.
 */
public final class Proc implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();

    /**
     * What a finished process left.
     *
     * @param command  the argument vector as started
     * @param exit     exit status as the shell reports it (128+N for a death by signal N), -1 if it timed out
     * @param out      everything it wrote to stdout
     * @param err      everything it wrote to stderr
     * @param timedOut true if it was killed because it outlived its timeout
     * @param took     time from start to exit
     * @param log      path prefix of its log files ({@code .cmd}, {@code .out}, {@code .err})
     */
    public record Result(List<String> command, int exit, String out, String err, boolean timedOut, Duration took,
                         Path log) {
        /** @return stderr lines without the "Failed to send ... to syslog" noise of Debian's pasta */
        public List<String> errLines() {
            return err.lines().filter(l -> !(l.startsWith("Failed to send ") && l.endsWith(" to syslog"))).toList();
        }

        /** @return the first stderr line that is not syslog noise, or "" if there is none */
        public String firstErrLine() {
            List<String> lines = errLines();
            return lines.isEmpty() ? "" : lines.getFirst();
        }

        /** @return stdout, then stderr: for checks that look for a message wherever the program wrote it */
        public String outAndErr() {
            return out.isEmpty() || out.endsWith("\n") ? out + err : out + "\n" + err;
        }

        /** @return the first line of stdout, or "" */
        public String firstOutLine() {
            return out.lines().findFirst().orElse("");
        }

        /** @return a description for assertion messages: command, status, timing, and both outputs */
        public String describe() {
            return "\n  command: " + String.join(" ", command)
                    + "\n  exit: " + exit + (timedOut ? " (TIMED OUT, killed)" : "") + " after " + took.toMillis()
                    + " ms\n  logs: " + log + ".{cmd,out,err}"
                    + "\n  stdout:\n" + indent(out) + "  stderr:\n" + indent(err);
        }

        private static String indent(String s) {
            String cut = s.length() > 6000 ? s.substring(0, 6000) + "\n... (cut, see the log)" : s;
            StringBuilder b = new StringBuilder();
            cut.lines().forEach(l -> b.append("    | ").append(l).append('\n'));
            return b.toString();
        }
    }

    private final List<String> command;
    private final Process process;
    private final Path log;
    private final long startNs;
    private Result result;

    private Proc(List<String> command, Process process, Path log, long startNs) {
        this.command = command;
        this.process = process;
        this.log = log;
        this.startNs = startNs;
    }

    /**
     * Starts {@code argv} in a new session.
     *
     * @param argv   the command; its first element is looked up in PATH
     * @param dir    working directory
     * @param logDir where the {@code .cmd/.out/.err} files go (created if missing)
     * @param label  short name that goes into the log file names
     * @param stdin  text to feed on stdin, or null for /dev/null
     */
    public static Proc start(List<String> argv, Path dir, Path logDir, String label, String stdin) {
        List<String> cmd = new ArrayList<>();
        cmd.add("setsid");
        cmd.addAll(argv);
        try {
            Files.createDirectories(logDir);
            String safe = label.replaceAll("[^A-Za-z0-9_.-]", "_");
            Path log = logDir.resolve(String.format("%03d-%s", SEQ.incrementAndGet(), safe));
            Files.writeString(Path.of(log + ".cmd"), String.join(" ", argv) + "\n");
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectOutput(Path.of(log + ".out").toFile())
                    .redirectError(Path.of(log + ".err").toFile());
            if (stdin == null) {
                pb.redirectInput(new java.io.File("/dev/null"));
            } else {
                Path in = Path.of(log + ".in");
                Files.writeString(in, stdin);
                pb.redirectInput(in.toFile());
            }
            long t0 = System.nanoTime();
            return new Proc(List.copyOf(argv), pb.start(), log, t0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + argv, e);
        }
    }

    /** @return the file that collects the process's stdout, readable while it runs */
    public Path outFile() {
        return log(".out");
    }

    /** @return the log file with {@code suffix} (".out", ".err"), readable while the process runs */
    public Path log(String suffix) {
        return Path.of(log + suffix);
    }

    /** @return the pid of the process, which is also its process group and session id */
    public long pid() {
        return process.pid();
    }

    /** @return what the process wrote to stdout so far (its log file), "" if unreadable */
    public String stdout() {
        try {
            return Files.readString(Path.of(log + ".out"));
        } catch (IOException e) {
            return "";
        }
    }

    /** @return true while the process has not exited */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Sends signal {@code sig} (a name such as "TERM") to the process only, not to its group. */
    public void signal(String sig) {
        Proc.kill("-" + sig, Long.toString(pid()));
    }

    /**
     * Waits for the process to end; kills its group if it is still running after {@code timeout}. Either way the
     * group is killed afterwards, so nothing it started in the group outlives it.
     *
     * @return what it left; the same object on later calls
     */
    public Result await(Duration timeout) {
        return await(timeout, true);
    }

    /**
     * Like {@link #await(Duration)}, but leaves the group alone when the process ends by itself in time: for a
     * caller that starts a daemon, which may still be in the caller's group for a moment after the caller exits
     * (it detaches with setsid on its own schedule). The test must end such leftovers itself, for example with
     * {@link #killGroup(long)} on this pid.
     */
    public Result awaitLeavingGroup(Duration timeout) {
        return await(timeout, false);
    }

    private synchronized Result await(Duration timeout, boolean killGroupAfter) {
        if (result != null) {
            return result;
        }
        boolean timedOut = false;
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut = true;
                killGroup();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killGroup();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - startNs);
        if (killGroupAfter || timedOut) {
            killGroup();
        }
        int exit = timedOut || process.isAlive() ? -1 : process.exitValue();
        result = new Result(command, exit, read(".out"), read(".err"), timedOut, took, log);
        return result;
    }

    /** Kills the whole group (if anything is left of it) and reaps the process. */
    @Override
    public void close() {
        if (result == null) {
            await(Duration.ZERO);
        }
    }

    private void killGroup() {
        killGroup(pid());
    }

    /** SIGKILLs process group {@code pgid}: it may hold processes after its leader is gone. */
    public static void killGroup(long pgid) {
        Proc.kill("-KILL", "--", "-" + pgid);
    }

    private String read(String suffix) {
        try {
            return Files.readString(Path.of(log + suffix), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + log + suffix + ": " + e + ")";
        }
    }

    /** Runs /bin/kill with {@code args} as the JVM's user (root), ignoring "no such process". */
    static void kill(String... args) {
        List<String> cmd = new ArrayList<>(List.of("/bin/kill"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
