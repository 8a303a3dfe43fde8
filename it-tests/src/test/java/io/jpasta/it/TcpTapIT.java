package io.jpasta.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TCP through the tap, end to end: the built {@code pasta} runs as the unprivileged user {@code jpasta-test} inside
 * a network namespace that plays the host (198.51.100.2/30 and 2001:db8:1::2/64 on a veth with default routes via
 * 198.51.100.1 and 2001:db8:1::1, and server addresses 203.0.113.5 and 2001:db8:3::5 on the veth's peer, which pasta
 * does not copy into its namespace). Clients in pasta's
 * namespace reach servers on 203.0.113.5 through the tap, so every byte crosses the TCP engine.
 *
 * <p>The sandbox is private to this class (namespace {@code tcphelper-it-PID}); it is removed in {@link #down()}.
 */
class TcpTapIT {
    private static final String USER = "jpasta-test";
    private static final String SERVER = "203.0.113.5";
    private static final String SERVER6 = "2001:db8:3::5";
    private static final long TIMEOUT_S = 60;
    private static final String NS = "tcphelper-it-" + ProcessHandle.current().pid();

    private static Path pasta;
    private static Path dir;
    private static boolean up;

    @BeforeAll
    static void sandbox() throws Exception {
        pasta = Path.of(System.getProperty("jpasta.dist", "dist"), "bin", "pasta").toAbsolutePath();
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root || !Files.isExecutable(pasta) || run(List.of("id", USER), 5).code != 0) {
            System.out.println("TcpTapIT skipped: needs root, user " + USER + " and " + pasta);
            Assumptions.abort("sandbox not available");
        }
        dir = Files.createTempDirectory("tcphelper-it");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        sh("ip netns add " + NS);
        up = true;
        sh("ip -n " + NS + " link set lo up");
        sh("ip -n " + NS + " link add up0 type veth peer name up1");
        sh("ip -n " + NS + " link set up0 up");
        sh("ip -n " + NS + " link set up1 up");
        sh("ip -n " + NS + " addr add 198.51.100.2/30 dev up0");
        sh("ip -n " + NS + " addr add " + SERVER + "/32 dev up1");
        sh("ip -n " + NS + " route add default via 198.51.100.1");
        sh("ip -n " + NS + " addr add 2001:db8:1::2/64 dev up0 nodad");
        sh("ip -n " + NS + " addr add " + SERVER6 + "/128 dev up1 nodad");
        sh("ip -n " + NS + " -6 route add default via 2001:db8:1::1 dev up0");
    }

    @AfterAll
    static void down() throws Exception {
        if (up) {
            // servers of a failed test may still run in the namespace: end them by PID, then remove it
            Result pids = run(List.of("ip", "netns", "pids", NS), 5);
            for (String pid : pids.out.split("\\s+")) {
                if (!pid.isBlank()) {
                    ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
            run(List.of("ip", "netns", "del", NS), 10);
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void oneKibFromNamespaceArrivesWhole() throws Exception {
        sendFromNamespace(1024, 5101, false);
    }

    @Test
    void tenMibFromNamespaceArriveWhole() throws Exception {
        sendFromNamespace(10 << 20, 5102, false);
    }

    @Test
    void tenMibFromHostServerArriveWholeInNamespace() throws Exception {
        receiveInNamespace(10 << 20, 5103, false);
    }

    @Test
    void oneKibFromHostServerArrivesWholeInNamespace() throws Exception {
        receiveInNamespace(1024, 5104, false);
    }

    @Test
    void tenMibOverIpv6ArriveWholeBothWays() throws Exception {
        sendFromNamespace(10 << 20, 5108, true);
        receiveInNamespace(10 << 20, 5109, true);
    }

    @Test
    void refusedPortGivesTheGuestRst() throws Exception {
        Result r = pasta("curl", "-sS", "--max-time", "10", "http://" + SERVER + ":5999/");
        assertEquals(7, r.code, "curl: could not connect (RST), not a timeout: " + r.err);
    }

    @Test
    void tenMibFromRemoteClientToTPortArriveWholeWithTheClientsAddress() throws Exception {
        Path src = randomFile("in.bin", 10 << 20);
        // a non-loopback client of a -t port takes the tap path: the guest sees the client's own address
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", NS, "runuser", "-u", USER, "--",
                pasta.toString(), "--config-net", "-t", "5105", "--", "sh", "-c",
                "socat -u TCP-LISTEN:5105 SYSTEM:'sha256sum >&2; echo peer=$SOCAT_PEERADDR >&2'"));
        java.util.concurrent.CompletableFuture<Result> ns = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return run(c, TIMEOUT_S);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        awaitListening(5105);
        // pasta's listener accepts at once; until the server in the namespace listens, the guest answers our SYN
        // with a RST and the client sees its connection reset: try again (bounded) until one goes through
        Result client = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        do {
            client = run(List.of("ip", "netns", "exec", NS, "socat", "-u", "OPEN:" + src,
                    "TCP:198.51.100.2:5105,bind=" + SERVER + ",retry=50,interval=0.1"), TIMEOUT_S);
        } while (client.code != 0 && System.nanoTime() - deadline < 0);
        assertEquals(0, client.code, client.err);
        Result r = ns.get(TIMEOUT_S, TimeUnit.SECONDS);
        assertEquals(0, r.code, r.err);
        assertTrue(r.err.contains(sha256(src)), "namespace received the same bytes: " + r.err);
        assertTrue(r.err.contains("peer=" + SERVER), "source address preserved: " + r.err);
    }

    @Test
    void noSpliceSendsLoopbackClientsThroughTheTapFromTheGateway() throws Exception {
        String peer = serveOnceAndConnect(5106, "127.0.0.1", "--no-splice", "--config-net");
        assertTrue(peer.contains("hi 198.51.100.1"), "through the tap, a loopback client appears as the gateway: "
                + peer);
    }

    @Test
    void spliceOnlyForwardsLoopbackWithoutAnyTap() throws Exception {
        String out = serveOnceAndConnect(5107, "127.0.0.1", "--splice-only");
        assertTrue(out.contains("hi 127.0.0.1"), "spliced: the namespace sees its own loopback: " + out);
    }

    /**
     * Runs {@code pasta OPTIONS -t PORT} with a one-shot server that answers "hi PEER" and lists the namespace's
     * links on stderr, connects from the sandbox to {@code host:PORT} (retrying until the server listens), and
     * returns what the client read.
     */
    private String serveOnceAndConnect(int port, String host, String... options) throws Exception {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", NS, "runuser", "-u", USER, "--",
                pasta.toString()));
        c.addAll(List.of(options));
        c.addAll(List.of("-t", "" + port, "--", "sh", "-c", "ip -br link >&2; socat -T10 TCP-LISTEN:" + port
                + " SYSTEM:'echo hi $SOCAT_PEERADDR'"));
        java.util.concurrent.CompletableFuture<Result> ns = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return run(c, TIMEOUT_S);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        awaitListening(port);
        // pasta's listener accepts at once; until the server in the namespace listens, the connection is closed
        // again without a reply: try again (bounded) until the server answers
        Result client = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() - deadline < 0) {
            client = run(List.of("ip", "netns", "exec", NS, "socat", "-T10", "-",
                    "TCP:" + host + ":" + port + ",retry=50,interval=0.1"), TIMEOUT_S);
            if (client.out.contains("hi")) {
                break;
            }
        }
        Result r = ns.get(TIMEOUT_S, TimeUnit.SECONDS);
        assertEquals(0, r.code, r.err);
        if (List.of(options).contains("--splice-only")) {
            assertTrue(!r.err.contains("up0"), "no tap with --splice-only: " + r.err);
        }
        return client.out;
    }

    /** {@code socat} address of the sandbox's server, for listening and for connecting. */
    private static String listen(int port, boolean v6) {
        return v6 ? "TCP6-LISTEN:" + port + ",bind=[" + SERVER6 + "],reuseaddr"
                : "TCP-LISTEN:" + port + ",bind=" + SERVER + ",reuseaddr";
    }

    private static String connect(int port, boolean v6) {
        return v6 ? "TCP6:[" + SERVER6 + "]:" + port : "TCP:" + SERVER + ":" + port;
    }

    /** A client in pasta's namespace uploads {@code size} random bytes; the server on the host side gets them all. */
    private void sendFromNamespace(int size, int port, boolean v6) throws Exception {
        Path src = randomFile("up" + port + ".bin", size);
        Path dst = dir.resolve("recv" + port + ".bin");
        Process server = inNs("socat", "-u", listen(port, v6), "OPEN:" + dst + ",creat,trunc");
        try {
            awaitListening(port);
            Result r = pasta("socat", "-u", "OPEN:" + src, connect(port, v6));
            assertEquals(0, r.code, r.err);
            assertTrue(server.waitFor(TIMEOUT_S, TimeUnit.SECONDS), "server saw the end of the stream");
            assertEquals(sha256(src), sha256(dst));
        } finally {
            server.destroyForcibly();
        }
    }

    /** A client in pasta's namespace downloads {@code size} random bytes from the host side, sha256 compared. */
    private void receiveInNamespace(int size, int port, boolean v6) throws Exception {
        Path src = randomFile("down" + port + ".bin", size);
        Process server = inNs("socat", "-u", "OPEN:" + src, listen(port, v6));
        try {
            awaitListening(port);
            Result r = pasta("sh", "-c", "socat -u " + connect(port, v6) + " - | sha256sum");
            assertEquals(0, r.code, r.err);
            assertEquals(sha256(src), r.out.trim().split("\\s+")[0]);
        } finally {
            server.destroyForcibly();
        }
    }

    private static Path randomFile(String name, int size) throws IOException {
        byte[] b = new byte[size];
        new Random(size ^ name.hashCode()).nextBytes(b);
        Path p = dir.resolve(name);
        Files.write(p, b);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        return p;
    }

    private static String sha256(Path p) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    private static void awaitListening(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() - deadline < 0) {
            Result r = run(List.of("ip", "netns", "exec", NS, "ss", "-Hltn", "sport = :" + port), 5);
            if (!r.out.isBlank()) {
                return;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("server on port " + port + " not listening");
    }

    private static Process inNs(String... cmd) throws IOException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", NS));
        c.addAll(List.of(cmd));
        return new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile())
                .start();
    }

    /** Runs {@code cmd} in a new pasta namespace ({@code --config-net}) as the unprivileged user. */
    private static Result pasta(String... cmd) throws Exception {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", NS, "runuser", "-u", USER, "--",
                pasta.toString(), "--config-net", "--"));
        c.addAll(List.of(cmd));
        return run(c, TIMEOUT_S);
    }

    private static void sh(String cmd) throws Exception {
        Result r = run(List.of("sh", "-c", cmd), 10);
        if (r.code != 0) {
            throw new IOException(cmd + ": " + r.err);
        }
    }

    private record Result(int code, String out, String err) {
    }

    private static Result run(List<String> cmd, long timeoutS) throws Exception {
        Path out = Files.createTempFile("tcphelper", ".out"), err = Files.createTempFile("tcphelper", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                return new Result(-1, Files.readString(out), "timed out: " + String.join(" ", cmd) + "\n"
                        + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
