package io.jpasta.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Rootless podman 5 of {@code scripts/podman-env}, run inside a {@link Sandbox} (its host namespace) as the test
 * user, with the built jpasta as its pasta ({@code CONTAINERS_HELPER_BINARY_DIR}). Starts its Docker-compatible API
 * service for Testcontainers, imports the test image (no registry here) and, at {@link #close()}, removes every
 * container and ends the user's podman processes (the pause process outlives each command).
 */
final class Podman implements AutoCloseable {
    static final String IMAGE = "localhost/jpasta-test:latest";
    /** Where the API service listens, seen from outside the environment (see scripts/podman-env). */
    static final Path SOCKET = Path.of("/var/cache/jpasta/podman/rootfs/srv/podman/podman.sock");
    private static final Duration CLI = Duration.ofSeconds(90);

    private final Sandbox sb;
    private final String script;
    private Proc service;

    private Podman(Sandbox sb) {
        this.sb = sb;
        this.script = Sandbox.repo().resolve("scripts/podman-env").toString();
    }

    /**
     * Builds (or checks) the environment and starts podman in {@code sb}; skips the calling test class with a printed
     * reason if this machine cannot build it (no Debian mirror, say).
     */
    static Podman start(Sandbox sb) {
        Podman p = new Podman(sb);
        Proc.Result build = sb.root(Duration.ofMinutes(10), "podman-env-build", List.of(p.script, "build"));
        Sandbox.require(build.exit() == 0, "scripts/podman-env build failed:" + build.describe());
        p.stopUserProcesses();
        Proc.Result images = p.cli("images", "--format", "{{.Repository}}:{{.Tag}}");
        if (!images.out().contains(IMAGE)) {
            Proc.Result imp = p.cli("import", "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                    + "/sbin:/bin", "--change", "CMD [\"/bin/sh\"]", "/srv/jpasta-image.tar", IMAGE);
            if (imp.exit() != 0) {
                throw new IllegalStateException("podman import failed:" + imp.describe());
            }
        }
        p.cli("rm", "-a", "-f");
        return p;
    }

    /** Runs podman with {@code args} as the test user. */
    Proc.Result cli(String... args) {
        return cli(CLI, args);
    }

    Proc.Result cli(Duration timeout, String... args) {
        List<String> argv = new ArrayList<>(List.of(script, "run", sb.name(), "-u", "--", "podman"));
        argv.addAll(List.of(args));
        return sb.root(timeout, "podman-" + (args.length > 0 ? args[0] : ""), argv);
    }

    /** Starts podman's API service on {@link #SOCKET} and waits until the socket exists. */
    void startService() {
        if (service != null) {
            return;
        }
        try {
            Files.deleteIfExists(SOCKET);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        service = Proc.start(List.of(script, "run", sb.name(), "-u", "--", "podman", "system", "service",
                "--time=0", "unix:///srv/podman/podman.sock"), sb.work(), sb.logs(), "podman-service", null);
        if (Poll.until(Duration.ofSeconds(20), () -> Files.exists(SOCKET) || !service.isAlive()) == null
                || !Files.exists(SOCKET)) {
            throw new IllegalStateException("podman system service did not start:"
                    + service.await(Duration.ZERO).describe());
        }
    }

    /**
     * @return the pid of the jpasta JVM that serves the network namespace at {@code nsPath} (podman's path for it),
     *         or -1 if none does: the proof that jpasta, not another pasta, carried a test's traffic
     */
    static long jpastaServing(String nsPath) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String cmd = cmdline(p);
                if (cmd.contains("io.jpasta.launcher.Main") && cmd.contains(nsPath)) {
                    return Long.parseLong(name);
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    /** @return the pids of every jpasta JVM running now */
    static List<Long> jpastaPids() {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.toList()) {
                String name = p.getFileName().toString();
                if (name.chars().allMatch(Character::isDigit) && cmdline(p).contains("io.jpasta.launcher.Main")) {
                    pids.add(Long.parseLong(name));
                }
            }
        } catch (IOException e) {
            return pids;
        }
        return pids;
    }

    private static String cmdline(Path proc) {
        try {
            return new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    /** Ends the test user's podman processes and clears podman's runtime state (scripts/podman-env stop). */
    private void stopUserProcesses() {
        sb.root(Duration.ofSeconds(30), "podman-env-stop", List.of(script, "stop"));
    }

    @Override
    public void close() {
        cli(Duration.ofSeconds(60), "rm", "-a", "-f", "-t", "0");
        cli(Duration.ofSeconds(60), "network", "prune", "-f");
        if (service != null) {
            service.close();
        }
        stopUserProcesses();
    }
}
