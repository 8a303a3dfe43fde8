package io.jpasta.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TCP through the tap, end to end, in the class's {@link Sandbox}: the built {@code pasta} runs as the test user in
 * the namespace that plays the host, and its clients reach the servers of the remote network (198.51.100.200,
 * 2001:db8:2::10, routed through the host's uplink, so not copied into pasta's namespace) through the tap: every
 * byte crosses the TCP engine. What arrives is compared by SHA-256; servers run as root in the remote namespace.
 */
class TcpTapIT {
    private static final String SERVER = "198.51.100.200", SERVER6 = "2001:db8:2::10";
    /** The host's address on the uplink, where {@code -t} listeners take remote clients. */
    private static final String HOST = "198.51.100.2";
    private static final Duration RUN = Duration.ofSeconds(60), LISTEN = Duration.ofSeconds(10),
            SHORT = Duration.ofSeconds(10), RETRY = Duration.ofSeconds(20);

    @RegisterExtension
    static final SandboxExtension NET = new SandboxExtension();

    private static Sandbox sb() {
        return NET.sandbox();
    }

    @Test
    void oneKibFromNamespaceArrivesWhole() {
        sendFromNamespace(1024, 5101, false);
    }

    @Test
    void tenMibFromNamespaceArriveWhole() {
        sendFromNamespace(10 << 20, 5102, false);
    }

    @Test
    void tenMibFromRemoteServerArriveWholeInNamespace() {
        receiveInNamespace(10 << 20, 5103, false);
    }

    @Test
    void oneKibFromRemoteServerArrivesWholeInNamespace() {
        receiveInNamespace(1024, 5104, false);
    }

    @Test
    void tenMibOverIpv6ArriveWholeBothWays() {
        sendFromNamespace(10 << 20, 5108, true);
        receiveInNamespace(10 << 20, 5109, true);
    }

    @Test
    void refusedPortGivesTheGuestRst() {
        Proc.Result r = sb().user(RUN, "refused", Pasta.underTest(), "--config-net", "--", "curl", "-sS",
                "--max-time", "10", "http://" + SERVER + ":5999/");
        assertEquals(7, r.exit(), "curl: could not connect (RST), not a timeout:" + r.describe());
    }

    @Test
    void tenMibFromRemoteClientToTPortArriveWholeWithTheClientsAddress() {
        Path src = randomFile("in.bin", 10 << 20);
        // a non-loopback client of a -t port takes the tap path: the guest sees the client's own address
        try (Proc ns = sb().startUser("t-5105", Pasta.underTest(), "--config-net", "-t", "5105", "--", "sh", "-c",
                "socat -u TCP-LISTEN:5105 SYSTEM:'sha256sum >&2; echo peer=$SOCAT_PEERADDR >&2'")) {
            awaitListening("host", 5105, ns);
            // pasta's listener accepts at once; until the server in the namespace listens, the guest answers our
            // SYN with a RST and the client sees its connection reset: try again (bounded) until one goes through
            Proc.Result[] client = new Proc.Result[1];
            Poll.until(RETRY, () -> {
                client[0] = sb().root(RUN, "remote-client", sb().asRoot("remote", "socat", "-u", "OPEN:" + src,
                        "TCP:" + HOST + ":5105,bind=" + SERVER));
                return client[0].exit() == 0 || !ns.isAlive();
            });
            assertEquals(0, client[0].exit(), "the remote client's upload:" + client[0].describe());
            Proc.Result r = ns.await(RUN);
            assertEquals(0, r.exit(), r.describe());
            assertTrue(r.err().contains(sha256(src)), "the namespace received the same bytes:" + r.describe());
            assertTrue(r.err().contains("peer=" + SERVER), "source address kept:" + r.describe());
        }
    }

    @Test
    void noSpliceSendsLoopbackClientsThroughTheTapFromTheGateway() {
        String peer = serveOnceAndConnect(5106, "--no-splice", "--config-net");
        assertTrue(peer.contains("hi 198.51.100.1"), "through the tap, a loopback client appears as the gateway: "
                + peer);
    }

    @Test
    void spliceOnlyForwardsLoopbackWithoutAnyTap() {
        String out = serveOnceAndConnect(5107, "--splice-only");
        assertTrue(out.contains("hi 127.0.0.1"), "spliced: the namespace sees its own loopback: " + out);
    }

    /**
     * Runs {@code pasta OPTIONS -t PORT} with a one-shot server that answers "hi PEER" and lists the namespace's
     * links on stderr, connects from the host's loopback to the port (retrying until the server answers: pasta's
     * listener accepts before the server in the namespace listens), and returns what the client read.
     */
    private String serveOnceAndConnect(int port, String... options) {
        List<String> argv = new ArrayList<>(List.of(Pasta.underTest()));
        argv.addAll(List.of(options));
        argv.addAll(List.of("-t", "" + port, "--", "sh", "-c", "ip -br link >&2; socat -T10 TCP-LISTEN:" + port
                + " SYSTEM:'echo hi $SOCAT_PEERADDR'"));
        try (Proc ns = sb().startUser("serve-" + port, argv.toArray(String[]::new))) {
            awaitListening("host", port, ns);
            Proc.Result[] client = new Proc.Result[1];
            Poll.until(RETRY, () -> {
                client[0] = sb().root(RUN, "loopback-client-" + port, sb().asRoot("host", "socat", "-T10", "-",
                        "TCP:127.0.0.1:" + port));
                return client[0].out().contains("hi") || !ns.isAlive();
            });
            Proc.Result r = ns.await(RUN);
            assertEquals(0, r.exit(), r.describe());
            if (List.of(options).contains("--splice-only")) {
                assertFalse(r.err().contains("up0"), "no tap with --splice-only:" + r.describe());
            }
            return client[0].out();
        }
    }

    /** {@code socat} address of the remote server, for listening and for connecting. */
    private static String listen(int port, boolean v6) {
        return v6 ? "TCP6-LISTEN:" + port + ",bind=[" + SERVER6 + "],reuseaddr"
                : "TCP4-LISTEN:" + port + ",bind=" + SERVER + ",reuseaddr";
    }

    private static String connect(int port, boolean v6) {
        return v6 ? "TCP6:[" + SERVER6 + "]:" + port : "TCP4:" + SERVER + ":" + port;
    }

    /** A client in pasta's namespace uploads {@code size} random bytes; the remote server gets them all. */
    private void sendFromNamespace(int size, int port, boolean v6) {
        Path src = randomFile("up" + port + ".bin", size);
        Path dst = NET.testDir().resolve("recv" + port + ".bin");
        try (Proc server = Proc.start(sb().asRoot("remote", "socat", "-u", listen(port, v6),
                "OPEN:" + dst + ",creat,trunc"), sb().work(), sb().logs(), "server-" + port, null)) {
            awaitListening("remote", port, server);
            Proc.Result r = sb().user(RUN, "upload-" + port, Pasta.underTest(), "--config-net", "--", "socat", "-u",
                    "OPEN:" + src, connect(port, v6));
            assertEquals(0, r.exit(), r.describe());
            Proc.Result s = server.await(SHORT);
            assertEquals(0, s.exit(), "the server saw the end of the stream:" + s.describe());
            assertEquals(sha256(src), sha256(dst));
        }
    }

    /** A client in pasta's namespace downloads {@code size} random bytes from the remote server, SHA-256 compared. */
    private void receiveInNamespace(int size, int port, boolean v6) {
        Path src = randomFile("down" + port + ".bin", size);
        try (Proc server = Proc.start(sb().asRoot("remote", "socat", "-u", "OPEN:" + src, listen(port, v6)),
                sb().work(), sb().logs(), "server-" + port, null)) {
            awaitListening("remote", port, server);
            Proc.Result r = sb().user(RUN, "download-" + port, Pasta.underTest(), "--config-net", "--", "sh", "-c",
                    "socat -u " + connect(port, v6) + " - | sha256sum");
            assertEquals(0, r.exit(), r.describe());
            assertEquals(sha256(src), r.out().trim().split("\\s+")[0], r.describe());
        }
    }

    /** @return {@code size} random bytes in a file of the test's directory that the test user can read */
    private static Path randomFile(String name, int size) {
        byte[] b = new byte[size];
        new Random(size ^ name.hashCode()).nextBytes(b);
        Path p = NET.testDir().resolve(name);
        try {
            Files.write(p, b);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    private static String sha256(Path p) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until something listens on TCP {@code port} in {@code where} ("host" or "remote"), while {@code p} runs. */
    private static void awaitListening(String where, int port, Proc p) {
        Duration took = Poll.until(LISTEN, () -> !p.isAlive() || !sb().root(SHORT, "ss-" + port,
                sb().asRoot(where, "ss", "-Hltn", "sport = :" + port)).out().isBlank());
        assertNotNull(took, "nothing listens on port " + port + " in " + where + " after " + LISTEN);
        // the message only once it failed: awaiting a process ends it
        assertTrue(p.isAlive(), () -> "ended before listening on port " + port + ":"
                + p.await(Duration.ZERO).describe());
    }
}
