package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TCP through the tap at volume and at the edges, end to end in a {@link Sandbox}: the built {@code pasta} runs as
 * the test user in {@code NAME-h} with {@code --config-net}; the remote network's servers and clients run as root in
 * {@code NAME-r} (198.51.100.200, 2001:db8:2::10, reached through the uplink). Connections from pasta's namespace
 * to the remote, and from remote clients to {@code -t} ports (non-loopback clients: never spliced), cross the TCP
 * engine.
 *
 * <p>Bulk data is a deterministic stream (AES-CTR over zeros from {@code openssl enc}, cut to 1 GiB by
 * {@code head}), generated on the sending side and hashed with {@code openssl dgst} on the receiving side, so no
 * file of that size is written; its SHA-256 is computed once for the class. Every wait is bounded, every process
 * is the sandbox's and goes with it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpTapBulkIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final String REMOTE4 = "198.51.100.200", REMOTE6 = "2001:db8:2::10";
    /** pasta's namespace has the host's addresses: remote clients of {@code -t} ports connect to these. */
    private static final String HOST4 = "198.51.100.2", HOST6 = "2001:db8:1::2";
    private static final long GIB = 1L << 30;
    /** The bulk stream: 1 GiB of AES-128-CTR keystream, the same on every run. */
    private static final String GEN = "openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f"
            + " -iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null | head -c " + GIB;
    private static final String DIGEST = "openssl dgst -sha256 -r";
    /** socat's read size for bulk transfers (its 8 KiB default makes the tools, not pasta, the bottleneck). */
    private static final String SOCAT = "socat -b 262144";
    private static final Duration BULK = Duration.ofSeconds(90);
    private static final Duration SHORT = Duration.ofSeconds(20);
    private static final int CONNECTIONS = 1000;

    private static Sandbox sb;
    private static String pasta;
    private static String gibSha;

    @BeforeAll
    static void setUp() {
        pasta = Pasta.underTest();
        Sandbox.require(Sandbox.run("sh", "-c", "command -v openssl && command -v socat && command -v nsenter") == 0,
                "openssl, socat and nsenter are needed");
        sb = SANDBOX.get();
        Proc.Result r = sb.root(BULK, "digest-of-stream", List.of("sh", "-c", GEN + " | " + DIGEST));
        assertEquals(0, r.exit(), r.describe());
        gibSha = hash(r.out());
        assertEquals(64, gibSha.length(), r.describe());
    }

    // ---- 1 GiB each way ----

    @Test
    void gibFromNamespaceArrivesWholeAndTheDigestComesBackOverIpv4() {
        uploadWithReply(5201, false);
    }

    @Test
    void gibFromNamespaceArrivesWholeAndTheDigestComesBackOverIpv6() {
        uploadWithReply(5202, true);
    }

    @Test
    void gibFromNamespaceArrivesWholeWhenTheCommandExitsRightAfterWriting() {
        int port = 5203;
        // the remote hashes what it receives; the namespace's command ends as soon as its last write returned,
        // which also ends pasta's command: the bytes still in flight must arrive all the same
        try (Proc server = remote("server", "sh", "-c", SOCAT + " -u " + listen(port, false) + " - | " + DIGEST)) {
            awaitRemoteListening(port);
            Proc.Result up = sb.user(BULK, "upload-and-exit", pasta, "--config-net", "--", "sh", "-c",
                    GEN + " | " + SOCAT + " -u - " + connect(port, false));
            assertEquals(0, up.exit(), up.describe());
            Proc.Result got = server.await(BULK);
            assertEquals(0, got.exit(), got.describe());
            assertEquals(gibSha, hash(got.out()), "the remote received the stream whole" + got.describe());
        }
    }

    @Test
    void gibFromRemoteClientToTPortArrivesWholeInNamespaceOverIpv4() {
        inboundToTPort(5204, false);
    }

    @Test
    void gibFromRemoteClientToTPortArrivesWholeInNamespaceOverIpv6() {
        inboundToTPort(5205, true);
    }

    /**
     * A client in pasta's namespace sends 1 GiB, half-closes, and reads the digest the remote server computed of
     * what it received: both ends see the same bytes, and the reply still arrives after the client's FIN.
     */
    private void uploadWithReply(int port, boolean v6) {
        try (Proc server = remote("server", "socat", "-b", "262144", "-t", "30", listen(port, v6),
                "SYSTEM:" + DIGEST)) {
            awaitRemoteListening(port);
            Proc.Result up = sb.user(BULK, "upload", pasta, "--config-net", "--", "sh", "-c",
                    GEN + " | " + SOCAT + " -t 30 - " + connect(port, v6));
            assertEquals(0, up.exit(), up.describe());
            assertEquals(gibSha, hash(up.out()), "digest the remote computed, read back in the namespace"
                    + up.describe());
            Proc.Result s = server.await(SHORT);
            assertEquals(0, s.exit(), s.describe());
        }
    }

    /**
     * A remote client sends 1 GiB to a {@code -t} port; the server in pasta's namespace hashes what it receives.
     * The client is not on the host's loopback, so the connection goes through the tap toward the guest's address
     * of the client's family.
     */
    private void inboundToTPort(int port, boolean v6) {
        String listen = (v6 ? "TCP6-LISTEN:" : "TCP-LISTEN:") + port;
        try (Proc ns = sb.startUser("ns-server", pasta, "--config-net", "-t", "" + port, "--", "sh", "-c",
                SOCAT + " -u " + listen + " - | " + DIGEST)) {
            awaitNamespaceListening(ns, port);
            String target = v6 ? "TCP6:[" + HOST6 + "]:" + port : "TCP:" + HOST4 + ":" + port;
            Proc.Result client = sb.root(BULK, "remote-client", sb.asRoot("remote", "sh", "-c",
                    GEN + " | " + SOCAT + " -u - " + target));
            assertEquals(0, client.exit(), client.describe());
            Proc.Result got = ns.await(BULK);
            assertEquals(0, got.exit(), got.describe());
            assertEquals(gibSha, hash(got.out()), "the namespace received the stream whole" + got.describe());
        }
    }

    // ---- many connections at once ----

    @Test
    void thousandConcurrentConnectionsFromNamespaceEachEchoedWhole() throws IOException {
        int port = 5210;
        try (Proc server = manyConnectionsServer("many-server", "serve", port, CONNECTIONS)) {
            // the client holds all connections open before sending on any: pasta carries them all at once
            Proc.Result c = sb.user(BULK, "many-client", pasta, "--config-net", "--", "sh", "-c",
                    "ulimit -n 4096 && exec " + manyConnectionsClient("connect", port, CONNECTIONS));
            assertEquals(0, c.exit(), c.describe());
            assertEquals("ok=" + CONNECTIONS, c.firstOutLine(), c.describe());
            Proc.Result s = server.await(SHORT);
            assertEquals(0, s.exit(), s.describe());
            assertTrue(s.firstOutLine().startsWith("open=" + CONNECTIONS + " "),
                    "the server had every connection open at once" + s.describe());
        }
    }

    /**
     * Churn: connections opened one after the other, each closed before the next. A flow that closes and the next
     * SYN often fall in one batch of events; before flow indices waited for the end of the batch, the closed
     * socket's hang-up event reached the new flow that took its index and failed its connect ("Connection
     * refused" after a few hundred connections).
     */
    @Test
    void thousandsOfSequentialConnectionsFromNamespaceEachEchoedWhole() throws IOException {
        int port = 5211;
        int n = 3000;
        try (Proc server = manyConnectionsServer("echo-server", "echo", port, n)) {
            Proc.Result c = sb.user(BULK, "sequential-client", pasta, "--config-net", "--", "sh", "-c",
                    "exec " + manyConnectionsClient("sequential", port, n));
            assertEquals(0, c.exit(), c.describe());
            assertEquals("ok=" + n, c.firstOutLine(), c.describe());
            assertEquals(0, server.await(SHORT).exit());
        }
    }

    /** Starts {@link ManyConnections} in server {@code mode} on the remote host and waits until it listens. */
    private Proc manyConnectionsServer(String name, String mode, int port, int n) throws IOException {
        Proc p = remote(name, JAVA, "-cp", copyProgram(ManyConnections.class).toString(),
                ManyConnections.class.getName(), mode, REMOTE4, "" + port, "" + n);
        try {
            awaitRemoteListening(port);
        } catch (RuntimeException | Error e) {
            p.close();
            throw e;
        }
        return p;
    }

    /** @return the shell command running {@link ManyConnections} in client {@code mode} toward the remote host */
    private String manyConnectionsClient(String mode, int port, int n) throws IOException {
        return JAVA + " -cp " + copyProgram(ManyConnections.class) + " " + ManyConnections.class.getName() + " "
                + mode + " " + REMOTE4 + " " + port + " " + n;
    }

    // ---- half-close ----

    @Test
    void namespaceClientHalfClosesFirstAndStillReceivesTheReply() {
        int port = 5220;
        // the server answers only at end of stream: the digest of what it got, after the client's FIN
        try (Proc server = remote("server", "socat", "-t", "10", listen(port, false), "SYSTEM:" + DIGEST)) {
            awaitRemoteListening(port);
            Proc.Result c = sb.user(SHORT, "half-close-client", pasta, "--config-net", "--", "sh", "-c",
                    "printf 'sent before shutdown\\n' | socat -t 10 - " + connect(port, false));
            assertEquals(0, c.exit(), c.describe());
            Proc.Result local = sb.root(SHORT, "digest", List.of("sh", "-c",
                    "printf 'sent before shutdown\\n' | " + DIGEST));
            assertEquals(hash(local.out()), hash(c.out()), "reply read after the client's shutdown" + c.describe());
            assertEquals(0, server.await(SHORT).exit());
        }
    }

    @Test
    void remoteServerHalfClosesFirstAndStillReceivesFromTheNamespace() throws IOException {
        int port = 5221;
        Path hello = Files.writeString(sb.work().resolve("hello.txt"), "hello\n");
        Path got = sb.work().resolve("got.txt");
        // the server sends its file and, at its end, shuts down its sending side while it keeps reading into
        // another; the client in the namespace waits for that FIN (cat ends) before it sends its own line
        try (Proc server = remote("server", "socat", "-t", "10", listen(port, false),
                "OPEN:" + hello + "!!CREATE:" + got)) {
            awaitRemoteListening(port);
            Proc.Result c = sb.user(SHORT, "half-closed-client", pasta, "--config-net", "--", "socat", "-t", "10",
                    connect(port, false), "SYSTEM:read l; echo got $l >&2; cat >/dev/null; echo sent after the FIN");
            assertEquals(0, c.exit(), c.describe());
            assertTrue(c.err().contains("got hello"), "the server's data before its FIN" + c.describe());
            Proc.Result s = server.await(SHORT);
            assertEquals(0, s.exit(), s.describe());
            assertEquals("sent after the FIN\n", Files.readString(got), "the client's data after the server's FIN");
        }
    }

    @Test
    void remoteClientOfTPortHalfClosesFirstAndStillReceivesTheReply() {
        int port = 5222;
        try (Proc ns = sb.startUser("ns-server", pasta, "--config-net", "-t", "" + port, "--", "socat", "-t", "10",
                "TCP-LISTEN:" + port, "SYSTEM:" + DIGEST)) {
            awaitNamespaceListening(ns, port);
            Proc.Result c = sb.root(SHORT, "half-close-remote-client", sb.asRoot("remote", "sh", "-c",
                    "printf 'sent before shutdown\\n' | socat -t 10 - TCP:" + HOST4 + ":" + port));
            assertEquals(0, c.exit(), c.describe());
            Proc.Result local = sb.root(SHORT, "digest", List.of("sh", "-c",
                    "printf 'sent before shutdown\\n' | " + DIGEST));
            assertEquals(hash(local.out()), hash(c.out()), "reply read after the client's shutdown" + c.describe());
            Proc.Result r = ns.await(SHORT);
            assertEquals(0, r.exit(), r.describe());
        }
    }

    @Test
    void namespaceServerHalfClosesFirstAndStillReceivesFromTheRemoteClient() throws IOException {
        int port = 5223;
        Path hello = Files.writeString(sb.work().resolve("hello-ns.txt"), "hello\n");
        Path got = sb.work().resolve("got-ns.txt");
        // as above with the roles swapped: the server in pasta's namespace sends and shuts down its sending side
        // first (pasta's FIN toward the remote client is a shutdown of the host socket), then reads the reply
        try (Proc ns = sb.startUser("ns-server", pasta, "--config-net", "-t", "" + port, "--", "socat", "-t", "10",
                "TCP-LISTEN:" + port, "OPEN:" + hello + "!!CREATE:" + got)) {
            awaitNamespaceListening(ns, port);
            Proc.Result c = sb.root(SHORT, "half-closed-remote-client", sb.asRoot("remote", "socat", "-t", "10",
                    "TCP:" + HOST4 + ":" + port,
                    "SYSTEM:read l; echo got $l >&2; cat >/dev/null; echo sent after the FIN"));
            assertEquals(0, c.exit(), c.describe());
            assertTrue(c.err().contains("got hello"), "the server's data before its FIN" + c.describe());
            Proc.Result r = ns.await(SHORT);
            assertEquals(0, r.exit(), r.describe());
            assertEquals("sent after the FIN\n", Files.readString(got), "the client's data after the server's FIN");
        }
    }

    // ---- --no-tcp ----

    @Test
    void noTcpLeavesConnectionsUnansweredWhilePingWorks() {
        int port = 5230;
        try (Proc server = remote("server", "socat", "-u", listen(port, false), "OPEN:/dev/null")) {
            awaitRemoteListening(port);
            Proc.Result r = sb.user(SHORT, "no-tcp", pasta, "--config-net", "--no-tcp", "--", "sh", "-c",
                    "curl -sS --connect-timeout 2 http://" + REMOTE4 + ":" + port + "/; echo curl=$?; "
                            + "ping -c 1 -W 5 " + REMOTE4 + " >/dev/null; echo ping=$?");
            assertEquals(0, r.exit(), r.describe());
            assertTrue(r.out().contains("ping=0"), "the tap is up and ICMP goes through" + r.describe());
            assertTrue(r.out().contains("curl=28"), "the connection attempt timed out: no SYN-ACK, no RST"
                    + r.describe());
            assertTrue(server.isAlive(), "the remote server never got a connection");
        }
    }

    // ---- helpers ----

    /** Starts {@code argv} as root in the remote network's namespace. */
    private static Proc remote(String label, String... argv) {
        return Proc.start(sb.asRoot("remote", argv), sb.work(), sb.logs(), label, null);
    }

    private static String listen(int port, boolean v6) {
        return v6 ? "TCP6-LISTEN:" + port + ",bind=[" + REMOTE6 + "],reuseaddr"
                : "TCP-LISTEN:" + port + ",bind=" + REMOTE4 + ",reuseaddr";
    }

    private static String connect(int port, boolean v6) {
        return v6 ? "TCP6:[" + REMOTE6 + "]:" + port : "TCP:" + REMOTE4 + ":" + port;
    }

    /** @return the hex digest in the first line of {@code openssl dgst -r} output, or "" */
    private static String hash(String out) {
        String line = out.lines().findFirst().orElse("").trim();
        return line.isEmpty() ? "" : line.split("\\s+")[0];
    }

    private static void awaitRemoteListening(int port) {
        Duration took = Poll.until(SHORT, () -> !sb.root(SHORT, "ss-remote", sb.asRoot("remote", "ss", "-Hltn",
                "sport = :" + port)).out().isBlank());
        assertNotNull(took, "remote server on port " + port + " listening");
    }

    /**
     * Waits until a process under {@code pasta} (the namespace's command or one of its children) listens on
     * {@code port} in pasta's namespace, looked at from inside with {@code nsenter}: pasta's own listener accepts at
     * once, and a connection that arrives before the server listens is reset by the guest.
     */
    private static void awaitNamespaceListening(Proc pastaProc, int port) {
        Duration took = Poll.until(SHORT, () -> {
            Optional<ProcessHandle> socat = ProcessHandle.of(pastaProc.pid()).stream()
                    .flatMap(ProcessHandle::descendants)
                    .filter(p -> p.info().command().orElse("").endsWith("/socat")).findFirst();
            return socat.isPresent() && !sb.root(SHORT, "ss-ns", List.of("nsenter", "-t", "" + socat.get().pid(),
                    "-n", "ss", "-Hltn", "sport = :" + port)).out().isBlank();
        });
        assertNotNull(took, "server in pasta's namespace on port " + port + " listening");
    }

    /**
     * Copies the class files of {@code main} (and its nested classes) into the sandbox's work directory, readable
     * by the test user, who may not be able to read the build directory.
     *
     * @return the class path to run it with
     */
    private static Path copyProgram(Class<?> main) throws IOException {
        Path src = Path.of(main.getProtectionDomain().getCodeSource().getLocation().getPath());
        String rel = main.getName().replace('.', '/');
        Path pkg = src.resolve(rel).getParent();
        Path dst = sb.work().resolve("classes");
        Path dstPkg = dst.resolve(rel).getParent();
        Files.createDirectories(dstPkg);
        List<Path> made = new ArrayList<>();
        try (Stream<Path> files = Files.list(pkg)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith(main.getSimpleName())).toList()) {
                made.add(Files.copy(f, dstPkg.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING));
            }
        }
        try (Stream<Path> all = Files.walk(dst)) {
            for (Path p : all.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
                        Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        assertNotEquals(List.of(), made, "class files of " + main);
        return dst;
    }
}
