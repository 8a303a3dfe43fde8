package io.jpasta.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A session of rootless podman 5 of {@code scripts/podman-env}, run inside a {@link Sandbox} (its host namespace) as
 * the test user, with the pasta under test as podman's pasta ({@code CONTAINERS_HELPER_BINARY_DIR}): the built jpasta
 * ({@code dist/bin}), or the directory in system property {@code jpasta.podman.pasta} (the reference build, to
 * check that a test itself is right). The session's podman state is its own (scripts/podman-env keeps it apart from
 * other runs); {@link #close()} removes every container and ends the session's processes, the pause process first.
 *
 * <p>Which pasta served a container is read from the process table: the process whose command line holds the
 * network namespace path podman gave it, and which is the pasta under test (the jpasta JVM, or a process whose
 * {@code argv[0]} is the pasta in the chosen directory).
 */
final class Podman implements AutoCloseable {
    static final String IMAGE = "localhost/jpasta-it:1";
    /**
     * Where Testcontainers finds podman's API (DOCKER_HOST of the failsafe configuration): a link to the session's
     * socket, which podman makes at /srv/podman/podman.sock inside the environment.
     */
    static final Path API_LINK = Path.of(System.getProperty("jpasta.podman.api",
            Sandbox.repo().resolve("it-tests/target/podman-api.sock").toString()));
    private static final Duration CLI = Duration.ofSeconds(90);
    private static final String JPASTA_MAIN = "io.jpasta.launcher.Main";

    private final Sandbox sb;
    private final String script;
    private final Path pastaDir;
    private Proc service;

    private Podman(Sandbox sb, Path pastaDir) {
        this.sb = sb;
        this.script = Sandbox.repo().resolve("scripts/podman-env").toString();
        this.pastaDir = pastaDir;
    }

    /**
     * Builds (or checks) the environment, starts a podman session in {@code sb} and imports the test image; skips
     * the calling test class with a printed reason if this machine cannot build it (no Debian mirror, say).
     */
    static Podman start(Sandbox sb) {
        String dir = System.getProperty("jpasta.podman.pasta");
        Path pastaDir = dir != null ? Path.of(dir).toAbsolutePath().normalize() : Sandbox.repo().resolve("dist/bin");
        Sandbox.require(Files.isExecutable(pastaDir.resolve("pasta")), "no pasta in " + pastaDir);
        Podman p = new Podman(sb, pastaDir);
        Proc.Result build = sb.root(Duration.ofMinutes(10), "podman-env-build", List.of(p.script, "build"));
        Sandbox.require(build.exit() == 0, "scripts/podman-env build failed:" + build.describe());
        p.stopSession();
        sb.onClose(p::close);
        Proc.Result imp = sb.root(Duration.ofMinutes(2), "podman-import", List.of(p.script, "import", sb.name(), IMAGE));
        if (imp.exit() != 0) {
            throw new IllegalStateException("importing the test image failed:" + imp.describe());
        }
        System.out.println("podman's pasta: " + pastaDir.resolve("pasta") + (p.isJpasta() ? " (jpasta)" : ""));
        return p;
    }

    /** @return the pasta podman runs, a path that is the same inside the environment and outside */
    Path pasta() {
        return pastaDir.resolve("pasta");
    }

    /** @return true if the pasta under test is this repository's jpasta */
    boolean isJpasta() {
        return pastaDir.equals(Sandbox.repo().resolve("dist/bin"));
    }

    /** Runs podman with {@code args} as the test user. */
    Proc.Result cli(String... args) {
        return cli(CLI, args);
    }

    Proc.Result cli(Duration timeout, String... args) {
        List<String> argv = inEnv("podman");
        argv.addAll(List.of(args));
        return sb.root(timeout, "podman-" + (args.length > 0 ? args[0] : ""), argv);
    }

    /** @return the argument vector that runs {@code cmd} as the test user in the session, with the pasta under test */
    private List<String> inEnv(String... cmd) {
        List<String> argv = new ArrayList<>(List.of("env", "CONTAINERS_HELPER_BINARY_DIR=" + pastaDir, script, "run",
                sb.name(), "-u", "--"));
        argv.addAll(List.of(cmd));
        return argv;
    }

    /**
     * Starts podman's API service and links {@link #API_LINK} to its socket; waits until the socket exists.
     */
    void startService() {
        if (service != null) {
            return;
        }
        Path socket = Path.of("/var/tmp/jpasta-podman", sb.name(), "api", "podman.sock");
        service = Proc.start(inEnv("podman", "system", "service", "--time=0", "unix:///srv/podman/podman.sock"),
                sb.work(), sb.logs(), "podman-service", null);
        if (Poll.until(Duration.ofSeconds(20), () -> Files.exists(socket) || !service.isAlive()) == null
                || !Files.exists(socket)) {
            throw new IllegalStateException("podman system service did not start:"
                    + service.await(Duration.ZERO).describe());
        }
        try {
            Files.createDirectories(API_LINK.getParent());
            Files.deleteIfExists(API_LINK);
            Files.createSymbolicLink(API_LINK, socket);
        } catch (IOException e) {
            throw new IllegalStateException("cannot link " + API_LINK + " to " + socket, e);
        }
    }

    /**
     * @return the pid of the pasta under test that serves the network namespace at {@code nsPath} (podman's path
     *         for it, or a part of it such as "rootless-netns"), or -1 if none does: the proof that this pasta, not
     *         another one, carried a test's traffic
     */
    long serving(String nsPath) {
        for (long pid : pastaPids()) {
            if (cmdline(pid).contains(nsPath)) {
                return pid;
            }
        }
        return -1;
    }

    /** @return the pids of every process of the pasta under test running now */
    List<Long> pastaPids() {
        // jpasta: the starter exits at "ready", the JVM serves; a pasta of another directory: its argv[0]
        String argv0 = pasta() + " ";
        return isJpasta() ? jpastaPids() : pidsWhose(cmd -> cmd.startsWith(argv0));
    }

    /** @return the pids of every jpasta JVM running now, whoever started it */
    static List<Long> jpastaPids() {
        return pidsWhose(cmd -> cmd.contains(JPASTA_MAIN));
    }

    /**
     * @return the JVMs of the jpasta at {@code pasta} (its {@code dist/bin/pasta}): those of other checkouts, whose
     *         tests may run at the same time, are not counted
     */
    static List<Long> jpastaPidsOf(String pasta) {
        java.nio.file.Path bin;
        try {
            bin = java.nio.file.Path.of(pasta).toRealPath(); // the starter names its home by its real path
        } catch (java.io.IOException e) {
            bin = java.nio.file.Path.of(pasta).toAbsolutePath().normalize();
        }
        String home = "-Djpasta.home=" + bin.getParent().getParent();
        return pidsWhose(cmd -> cmd.contains(JPASTA_MAIN) && cmd.contains(home + " "));
    }

    private static List<Long> pidsWhose(Predicate<String> cmdline) {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                String name = p.getFileName().toString();
                if (name.chars().allMatch(Character::isDigit) && cmdline.test(cmdline(Long.parseLong(name)))) {
                    pids.add(Long.parseLong(name));
                }
            }
        } catch (IOException e) {
            return pids;
        }
        return pids;
    }

    /** @return the command line of {@code pid} with spaces between the arguments, or "" if it is gone */
    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    /** Ends the session: its pause process, whatever else of it runs, and its state (scripts/podman-env stop). */
    private void stopSession() {
        sb.root(Duration.ofSeconds(30), "podman-env-stop", List.of(script, "stop", sb.name()));
    }

    @Override
    public void close() {
        cli(Duration.ofSeconds(60), "rm", "-a", "-f", "-t", "0");
        if (service != null) {
            service.close();
            try {
                Files.deleteIfExists(API_LINK);
            } catch (IOException e) {
                System.err.println("cannot remove " + API_LINK + ": " + e);
            }
        }
        stopSession();
    }
}
