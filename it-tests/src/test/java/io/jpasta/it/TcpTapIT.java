package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TCP through the tap, end to end, in the sandbox: the built {@code pasta} runs as the test user in the namespace
 * that plays the host; servers run on the remote network's 198.51.100.200 and 2001:db8:2::10, which pasta does not
 * copy into its namespace, so clients there reach them through the tap and every byte crosses the TCP engine.
 * Contents are compared by SHA-256.
 */
@SuppressWarnings("try") // servers are try-with-resources for their cleanup
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TcpTapIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final String SERVER = "198.51.100.200";
    private static final String SERVER6 = "2001:db8:2::10";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Sandbox sb;
    private String pasta;
    private Path dir;

    @BeforeAll
    void setUp() {
        sb = SANDBOX.get();
        pasta = Pasta.underTest();
        dir = sb.userDir("data");
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
    void refusedPortGivesTheGuestRst() {
        Proc.Result r = inPasta("curl", "-sS", "--max-time", "10", "http://" + SERVER + ":5999/");
        assertEquals(7, r.exit(), "curl: could not connect (RST), not a timeout:" + r.describe());
    }

    @Test
    void tenMibFromRemoteClientToTPortArriveWholeWithTheClientsAddress() throws Exception {
        Path src = randomFile("in.bin", 10 << 20);
        // a non-loopback client of a -t port takes the tap path: the guest sees the client's own address
        try (Proc ns = sb.startUser("pasta-t", pasta, "--config-net", "-t", "5105", "--", "sh", "-c",
                "socat -u TCP-LISTEN:5105 SYSTEM:'sha256sum >&2; echo peer=$SOCAT_PEERADDR >&2'")) {
            awaitListening("host", 5105);
            // pasta's listener accepts at once; until the server in the namespace listens, the guest answers our
            // SYN with a RST and the client sees its connection reset: try again (bounded) until one goes through
            Proc.Result client = sb.root(TIMEOUT, "client", sb.asRoot("remote", "sh", "-c",
                    "for i in $(seq 100); do socat -u OPEN:" + src + " TCP:198.51.100.2:5105,bind=" + SERVER
                            + " && exit 0; sleep 0.1; done; exit 1"));
            assertEquals(0, client.exit(), client.describe());
            Proc.Result r = ns.await(TIMEOUT);
            assertEquals(0, r.exit(), r.describe());
            assertTrue(r.err().contains(sha256(src)), "namespace received the same bytes:" + r.describe());
            assertTrue(r.err().contains("peer=" + SERVER), "source address preserved:" + r.describe());
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
     * links on stderr, connects from the sandbox host's loopback to PORT until the server answers (bounded), and
     * returns what the client read.
     */
    private String serveOnceAndConnect(int port, String... options) {
        List<String> argv = new ArrayList<>(List.of(pasta));
        argv.addAll(List.of(options));
        argv.addAll(List.of("-t", "" + port, "--", "sh", "-c", "ip -br link >&2; socat -T10 TCP-LISTEN:" + port
                + " SYSTEM:'echo hi $SOCAT_PEERADDR'"));
        try (Proc ns = sb.startUser("pasta-" + port, argv.toArray(String[]::new))) {
            awaitListening("host", port);
            // pasta's listener accepts at once; until the server in the namespace listens, the connection is closed
            // again without a reply: try again (bounded) until the server answers
            Proc.Result client = sb.user(TIMEOUT, "client-" + port, "sh", "-c", "for i in $(seq 100); do "
                    + "r=$(socat -T10 - TCP:127.0.0.1:" + port + " </dev/null 2>/dev/null); "
                    + "case $r in hi*) echo \"$r\"; exit 0;; esac; sleep 0.1; done; exit 1");
            assertEquals(0, client.exit(), client.describe());
            Proc.Result r = ns.await(TIMEOUT);
            assertEquals(0, r.exit(), r.describe());
            if (List.of(options).contains("--splice-only")) {
                assertFalse(r.err().contains("up0"), "no tap with --splice-only:" + r.describe());
            }
            return client.out();
        }
    }

    /** {@code socat} address of the sandbox's server, for listening and for connecting. */
    private static String listen(int port, boolean v6) {
        return v6 ? "TCP6-LISTEN:" + port + ",bind=[" + SERVER6 + "],reuseaddr"
                : "TCP-LISTEN:" + port + ",bind=" + SERVER + ",reuseaddr";
    }

    private static String connect(int port, boolean v6) {
        return v6 ? "TCP6:[" + SERVER6 + "]:" + port : "TCP:" + SERVER + ":" + port;
    }

    /** A client in pasta's namespace uploads {@code size} random bytes; the remote server gets them all. */
    private void sendFromNamespace(int size, int port, boolean v6) throws Exception {
        Path src = randomFile("up" + port + ".bin", size);
        Path dst = dir.resolve("recv" + port + ".bin");
        try (Proc server = sb.startRoot("remote", "server-" + port, "socat", "-u", listen(port, v6),
                "OPEN:" + dst + ",creat,trunc")) {
            awaitListening("remote", port);
            Proc.Result r = inPasta("socat", "-u", "OPEN:" + src, connect(port, v6));
            assertEquals(0, r.exit(), r.describe());
            Proc.Result s = server.await(TIMEOUT);
            assertEquals(0, s.exit(), "the server saw the end of the stream:" + s.describe());
            assertEquals(sha256(src), sha256(dst));
        }
    }

    /** A client in pasta's namespace downloads {@code size} random bytes from the remote server. */
    private void receiveInNamespace(int size, int port, boolean v6) throws Exception {
        Path src = randomFile("down" + port + ".bin", size);
        try (Proc server = sb.startRoot("remote", "server-" + port, "socat", "-u", "OPEN:" + src,
                listen(port, v6))) {
            awaitListening("remote", port);
            Proc.Result r = inPasta("sh", "-c", "socat -u " + connect(port, v6) + " - | sha256sum");
            assertEquals(0, r.exit(), r.describe());
            assertEquals(sha256(src), r.out().trim().split("\\s+")[0]);
        }
    }

    private Path randomFile(String name, int size) throws IOException {
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

    /** Waits (bounded) until something listens on TCP {@code port} in the sandbox's host or remote namespace. */
    private void awaitListening(String where, int port) {
        assertNotNull(Poll.until(Duration.ofSeconds(10), () -> !sb.root(Duration.ofSeconds(5), "ss",
                sb.asRoot(where, "ss", "-Hltn", "sport = :" + port)).out().isBlank()),
                "nothing listens on port " + port + " in the " + where + " namespace");
    }

    /** Runs {@code cmd} in a new pasta namespace ({@code --config-net}) as the test user. */
    private Proc.Result inPasta(String... cmd) {
        List<String> argv = new ArrayList<>(List.of(pasta, "--config-net", "--"));
        argv.addAll(List.of(cmd));
        return sb.user(TIMEOUT, "pasta", argv.toArray(String[]::new));
    }
}
