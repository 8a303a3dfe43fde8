package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The loopback bypass end to end: the built {@code dist/bin/pasta}, run as the unprivileged user {@code jpasta-test},
 * forwarding with {@code -t} from the host's loopback into the namespace and with {@code -T} from the namespace's
 * loopback to the host, checked with SHA-256 of what each end sent and received. Traffic stays on the loopback
 * interfaces of the host and of pasta's own namespace, yet pasta copies the host it starts on and {@code auto} scans
 * the host's ports, so the host is a sandbox's, never the machine's: pasta runs in the sandbox's host namespace
 * through {@link Proc} (its own process group, killed at the end; logs in {@code target/it-logs/SpliceIT}), and the
 * test thread moves into that namespace for each test ({@link NetnsThread}), so that the test's own sockets are the
 * host's clients and servers.
 *
 * <p>Covered: sizes up to 1 GiB, a command that exits right after writing, 1000 concurrent connections, half-close
 * each way in both directions with the data after the FIN checked, a server closing first, resets each way, port
 * mappings, excludes, {@code ADDR/} binding for each family, {@code auto} both ways, a busy explicit port, and
 * flow table exhaustion (a 4-flow table through {@code JPASTA_JAVA_OPTS=-Djpasta.flows=4}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SpliceIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final long DEADLINE_MS = 20_000;
    private static final Duration DEADLINE = Duration.ofMillis(DEADLINE_MS);
    private static final Path LOGS = Path.of("target", "it-logs", "SpliceIT").toAbsolutePath();

    private final List<Proc> procs = new ArrayList<>();
    private Path dir;
    /** A directory the test user may write to: the namespace side's programs leave "ready" files there. */
    private Path shared;
    private String pasta;
    private NetnsThread inSandbox;

    @BeforeEach
    void setUp() throws IOException {
        Sandbox.require("root".equals(System.getProperty("user.name")), "SpliceIT runs pasta as "
                + Sandbox.TEST_USER + " and must run as root");
        pasta = Pasta.underTest();
        inSandbox = NetnsThread.enter(SANDBOX.get().name() + "-h");
        dir = Files.createTempDirectory("jpasta-splice-it", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        shared = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path py = dir.resolve("peer.py");
        Files.writeString(py, PEER_PY);
        py.toFile().setReadable(true, false);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            for (Proc p : procs) {
                p.close(); // kills the whole group: runuser, pasta, and what pasta started
            }
            if (dir != null) {
                try (var files = Files.walk(dir)) {
                    files.sorted((a, b) -> b.compareTo(a)).forEach(f -> f.toFile().delete());
                }
            }
        } finally {
            if (inSandbox != null) {
                inSandbox.close();
            }
        }
    }

    // ---- tests ----

    @Test
    void tForwardsHostLoopbackToTheNamespaceOverIpv4AndIpv6() throws Exception {
        int port = freePort();
        pasta("-t", "" + port, "--", "socat", "TCP6-LISTEN:" + port + ",reuseaddr,fork,ipv6only=0",
                "SYSTEM:sha256sum");
        awaitSha256Server("127.0.0.1", port);
        for (String host : List.of("127.0.0.1", "::1")) {
            for (int size : new int[] {1024, 10 << 20}) {
                byte[] data = random(size, size);
                assertEquals(hex(sha256(data)), sendAndReadLine(host, port, data), host + " " + size + " bytes");
            }
        }
    }

    @Test
    void tCarriesOneGibibyteIntact() throws Exception {
        int port = freePort();
        pasta("-t", "" + port, "--", "socat", "TCP-LISTEN:" + port + ",reuseaddr,fork", "SYSTEM:sha256sum");
        awaitSha256Server("127.0.0.1", port);
        byte[] chunk = random(1 << 20, 7);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            long t0 = System.nanoTime();
            for (int i = 0; i < 1024; i++) {
                chunk[0] = (byte) i; // every MiB differs
                out.write(chunk);
                md.update(chunk);
            }
            s.shutdownOutput();
            String line = readLine(s.getInputStream());
            System.out.printf("1 GiB through -t in %.2f s%n", (System.nanoTime() - t0) / 1e9);
            assertEquals(hex(md.digest()), line);
        }
    }

    @Test
    void serverInTheNamespaceSendsAndExitsAndNothingIsLost() throws Exception {
        int port = freePort();
        byte[] data = random(10 << 20, 3);
        Path file = dir.resolve("payload");
        Files.write(file, data);
        file.toFile().setReadable(true, false);
        Proc p = pasta("-t", "" + port, "--", "socat", "-u", "OPEN:" + file, "TCP-LISTEN:" + port + ",reuseaddr");
        byte[][] box = new byte[1][];
        assertNotNull(Poll.until(DEADLINE, () -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                box[0] = s.getInputStream().readAllBytes();
                return box[0].length > 0;
            } catch (IOException e) {
                return false; // the server is not listening yet: the spliced connect was refused
            }
        }), "no data from the namespace's server");
        byte[] got = box[0];
        assertArrayEquals(sha256(data), sha256(got), "bytes received " + got.length);
        Proc.Result r = p.await(DEADLINE);
        assertEquals(0, r.exit(), "pasta exits after the command with its status" + r.describe());
    }

    @Test
    void bigTFromTheNamespaceReachesAHostServiceAndTheCommandMayExitRightAfterWriting() throws Exception {
        byte[] data = random(10 << 20, 5);
        Path file = dir.resolve("payload");
        Files.write(file, data);
        file.toFile().setReadable(true, false);
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            Proc p = pasta("-T", "" + port, "--", "socat", "-u", "OPEN:" + file, "TCP:127.0.0.1:" + port);
            server.setSoTimeout((int) DEADLINE_MS);
            try (Socket s = server.accept()) {
                byte[] got = s.getInputStream().readAllBytes();
                assertArrayEquals(sha256(data), sha256(got), "bytes received " + got.length);
            }
            Proc.Result r = p.await(DEADLINE);
            assertEquals(0, r.exit(), r.describe());
        }
    }

    @Test
    void bigTRepliesFlowBackAndHalfCloseFromTheNamespaceSide() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            Proc p = pasta("-T", "" + port, "--", "sh", "-c", "printf hello | socat - TCP:127.0.0.1:" + port);
            server.setSoTimeout((int) DEADLINE_MS);
            try (Socket s = server.accept()) {
                // the client half-closed after "hello": we read it and its FIN, and still answer
                assertEquals("hello", new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                s.getOutputStream().write("world".getBytes(StandardCharsets.US_ASCII));
            }
            Proc.Result r = p.await(DEADLINE);
            assertEquals(0, r.exit(), r.describe());
            assertEquals("world", r.out(), r.describe());
        }
    }

    @Test
    void tClientHalfClosesFirstAndTheServerAnswersAfterItsFin() throws Exception {
        int port = freePort();
        byte[] data = payload(4 << 20);
        Proc p = pasta("-t", "" + port, "--", "python3", peer(), "server", "echo-after-eof", "127.0.0.1", "" + port,
                "0", ready("srv"));
        awaitReady("srv", p);
        try (Socket s = new Socket("127.0.0.1", port)) {
            sendHalfCloseAndExpectEcho(s, data);
        }
        Proc.Result r = p.await(DEADLINE);
        assertTrue(r.out().contains("echoed " + data.length), r.describe());
    }

    @Test
    void tServerHalfClosesFirstAndStillReadsWhatTheClientSendsAfter() throws Exception {
        int port = freePort();
        byte[] data = payload(4 << 20);
        Proc p = pasta("-t", "" + port, "--", "python3", peer(), "server", "half-close-first", "127.0.0.1",
                "" + port, "" + data.length, ready("srv"));
        awaitReady("srv", p);
        try (Socket s = new Socket("127.0.0.1", port)) {
            expectUntilFinThenSend(s, data);
            assertEquals(-1, s.getInputStream().read(), "the server closes once it has read everything");
        }
        Proc.Result r = p.await(DEADLINE);
        assertTrue(r.out().contains("got " + data.length + " " + hex(sha256(data))), r.describe());
    }

    @Test
    void bigTClientHalfClosesFirstAndTheHostServerAnswersAfterItsFin() throws Exception {
        byte[] data = payload(4 << 20);
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Proc p = pasta("-T", "" + server.getLocalPort(), "--", "python3", peer(), "client", "half-close-first",
                    "127.0.0.1", "" + server.getLocalPort(), "" + data.length);
            try (Socket s = accept(server)) {
                expectUntilFinThenSend(s, data);
            }
            Proc.Result r = p.await(DEADLINE);
            assertTrue(r.out().contains("got " + data.length + " " + hex(sha256(data))), r.describe());
        }
    }

    @Test
    void bigTHostServerHalfClosesFirstAndStillReadsWhatTheClientSendsAfter() throws Exception {
        byte[] data = payload(4 << 20);
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Proc p = pasta("-T", "" + server.getLocalPort(), "--", "python3", peer(), "client", "echo-after-eof",
                    "127.0.0.1", "" + server.getLocalPort(), "0");
            try (Socket s = accept(server)) {
                sendHalfCloseAndExpectEcho(s, data);
            }
            Proc.Result r = p.await(DEADLINE);
            assertTrue(r.out().contains("echoed " + data.length), r.describe());
        }
    }

    @Test
    void serverClosingFirstGivesTheClientEndOfStreamThenAResetForWhatItSendsOn() throws Exception {
        int port = freePort();
        Proc p = pasta("-t", "" + port, "--", "python3", peer(), "server", "close-first", "127.0.0.1", "" + port,
                "1000", ready("srv"));
        awaitReady("srv", p);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout((int) DEADLINE_MS);
            assertArrayEquals(payload(1000), s.getInputStream().readAllBytes());
            // the server is gone: its kernel answers our data with a RST, which pasta passes on to us
            OutputStream out = s.getOutputStream();
            byte[] chunk = new byte[64 << 10];
            assertNotNull(Poll.until(DEADLINE, () -> {
                try {
                    out.write(chunk);
                    return false;
                } catch (IOException e) {
                    return true; // reset by peer, or broken pipe once the reset has closed our socket
                }
            }), "writes after the server closed never failed");
        }
        assertTrue(p.await(DEADLINE).out().contains("closed"));
    }

    @Test
    void tClientResetReachesTheServerInTheNamespace() throws Exception {
        int port = freePort();
        Proc p = pasta("-t", "" + port, "--", "python3", peer(), "server", "expect-reset", "127.0.0.1", "" + port,
                "0", ready("srv"));
        awaitReady("srv", p);
        Socket s = new Socket("127.0.0.1", port);
        s.getOutputStream().write(payload(100_000));
        s.setSoLinger(true, 0);
        s.close(); // RST, likely before pasta's connect in the namespace completes
        Proc.Result r = p.await(DEADLINE);
        assertFalse(r.timedOut(), r.describe());
        assertTrue(r.out().contains("reset") || r.out().contains("eof"), "the server saw neither: " + r.describe());
    }

    @Test
    void tClientResetAfterItsDataArrivedIsAResetForTheServer() throws Exception {
        int port = freePort();
        int size = 100_000;
        Proc p = pasta("-t", "" + port, "--", "python3", peer(), "server", "expect-reset", "127.0.0.1", "" + port,
                "" + size, ready("srv"));
        awaitReady("srv", p);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(payload(size));
            awaitReady("srv-data", p); // the server read it all: the connection is spliced and idle
            s.setSoLinger(true, 0);
        } // close: RST
        Proc.Result r = p.await(DEADLINE);
        assertTrue(r.out().contains("reset after " + size), "the server did not see the reset: " + r.describe());
    }

    @Test
    void tServerResetReachesTheHostClient() throws Exception {
        int port = freePort();
        Proc p = pasta("-t", "" + port, "--", "python3", peer(), "server", "reset", "127.0.0.1", "" + port,
                "1000", ready("srv"));
        awaitReady("srv", p);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout((int) DEADLINE_MS);
            endOfStreamOrReset(s.getInputStream());
        }
        assertTrue(p.await(DEADLINE).out().contains("reset sent"));
    }

    @Test
    void bigTClientResetReachesTheHostServer() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            Proc p = pasta("-T", "" + port, "--", "python3", peer(), "client", "reset", "127.0.0.1", "" + port,
                    "100000");
            try (Socket s = accept(server)) {
                s.setSoTimeout((int) DEADLINE_MS);
                endOfStreamOrReset(s.getInputStream());
            }
            Proc.Result r = p.await(DEADLINE);
            assertTrue(r.out().contains("reset sent"), r.describe());
        }
    }

    @Test
    void fullFlowTableResetsNewClientsAndAFreedFlowServesTheNext() throws Exception {
        int port = freePort();
        Path py = echoServer(port);
        Path log = shared.resolve("pasta.log");
        // a table of 4 flows (a test knob of the launcher), so that exhaustion takes 4 connections, not 128k
        Proc p = pastaWithEnv(List.of("JPASTA_JAVA_OPTS=-D" + "jpasta.flows=4"), "-d", "-l", log.toString(),
                "--stats", "1", "-t", "" + port, "--", "python3", py.toString());
        assertNotNull(Poll.until(DEADLINE, () -> echoes(port, random(16, 1))), "echo server not reachable");
        List<Socket> held = new ArrayList<>();
        try {
            for (int k = 0; k < 4; k++) {
                Socket s = new Socket("127.0.0.1", port);
                held.add(s);
                s.setSoTimeout((int) DEADLINE_MS);
                assertTrue(echoesOn(s, random(16, k)), "connection " + k + " while the table has room");
            }
            try (Socket s = new Socket("127.0.0.1", port)) { // the listener accepts; pasta has no flow for it
                s.setSoTimeout((int) DEADLINE_MS);
                IOException e = assertThrows(IOException.class, () -> s.getInputStream().read(),
                        "a refused client must see a reset, not an orderly end or a hang");
                assertTrue(String.valueOf(e.getMessage()).contains("reset"), e.toString());
            }
            // an orderly end gives the flow back: the next client is served
            Socket first = held.removeFirst();
            first.shutdownOutput();
            assertEquals(-1, first.getInputStream().read());
            first.close();
            assertNotNull(Poll.until(DEADLINE, () -> echoes(port, random(16, 5))),
                    "no connection served after one ended");
            assertNotNull(Poll.until(DEADLINE, () -> read(log).contains("drop flow table full 1")),
                    "--stats never counted the refusal:\n" + read(log));
            assertTrue(read(log).contains("Flow table full"), "no debug line for the full table:\n" + read(log));
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        assertTrue(p.isAlive(), "pasta survived exhaustion");
    }

    /**
     * Out of descriptors, the listener cannot accept: a client left in the (level-triggered) backlog would hang and
     * the loop would spin on it. pasta with a 200-descriptor limit serves what it can and resets the rest, and serves
     * again once connections end.
     */
    @Test
    void outOfDescriptorsResetsNewClientsAndRecovers() throws Exception {
        int port = freePort();
        Path py = echoServer(port);
        Path log = shared.resolve("pasta-emfile.log");
        Proc p = pastaWithPrefix(List.of("prlimit", "--nofile=200:200"), "-l", log.toString(), "-t", "" + port,
                "--", "python3", py.toString());
        assertNotNull(Poll.until(DEADLINE, () -> echoes(port, random(16, 1))), "echo server not reachable");
        List<Socket> held = new ArrayList<>();
        int served = 0, refused = 0;
        try {
            for (int k = 0; k < 150 && refused < 20; k++) { // each connection holds 6 descriptors of pasta's
                Socket s = new Socket("127.0.0.1", port);
                s.setSoTimeout((int) DEADLINE_MS);
                try {
                    if (echoesOn(s, random(16, k))) {
                        held.add(s);
                        served++;
                        continue;
                    }
                } catch (java.net.SocketTimeoutException e) {
                    s.close();
                    fail("connection " + k + " hung after " + served + " served and " + refused + " refused");
                } catch (IOException e) {
                    // reset: refused, as it should be once descriptors run out
                }
                s.close();
                refused++;
            }
            assertTrue(refused > 0, "the limit was never reached (" + served + " served)");
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        assertNotNull(Poll.until(DEADLINE, () -> echoes(port, random(16, 7))), "nothing served after the others left");
        assertTrue(p.isAlive(), "pasta survived running out of descriptors");
        assertTrue(read(log).contains("Too many open files"), "no warning in the log:\n" + read(log));
    }

    @Test
    void excludedPortOfARangeIsNotForwardedTheOthersAre() throws Exception {
        int base = freeRange(6);
        StringBuilder sh = new StringBuilder();
        for (int k = 0; k < 6; k++) {
            sh.append("socat TCP-LISTEN:").append(base + k).append(",reuseaddr,fork SYSTEM:'echo ")
                    .append(base + k).append("' & ");
        }
        sh.append("wait");
        pasta("-t", base + "-" + (base + 5) + ",~" + (base + 3), "--", "sh", "-c", sh.toString());
        for (int k = 0; k < 6; k++) {
            if (k != 3) {
                awaitReply("127.0.0.1", base + k, "" + (base + k));
            }
        }
        // pasta is up and forwarding; the excluded port has no listener on the host at all
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", base + 3).close());
        assertThrows(ConnectException.class, () -> new Socket("::1", base + 3).close());
        try (ServerSocket free = new ServerSocket()) {
            free.bind(new InetSocketAddress(InetAddress.getByName("::"), base + 3)); // would fail if pasta held it
        }
    }

    @Test
    void ipv4AddressBindingListensOnThatAddressOnly() throws Exception {
        addressBinding("127.0.0.1", "::1");
    }

    @Test
    void ipv6AddressBindingListensOnThatAddressOnly() throws Exception {
        addressBinding("::1", "127.0.0.1");
    }

    /** {@code -t ADDR/PORT}: clients of {@code bound} get through, clients of {@code other} are refused. */
    private void addressBinding(String bound, String other) throws Exception {
        int port = freePort();
        pasta("-t", bound + "/" + port, "--", "socat", "TCP6-LISTEN:" + port + ",reuseaddr,fork,ipv6only=0",
                "SYSTEM:'echo ok'");
        awaitReply(bound, port, "ok");
        assertThrows(ConnectException.class, () -> new Socket(other, port).close(),
                "-t " + bound + "/" + port + " must not listen on " + other);
    }

    @Test
    void clientResetDoesNotDisturbLaterConnections() throws Exception {
        int port = freePort();
        pasta("-t", "" + port, "--", "socat", "TCP-LISTEN:" + port + ",reuseaddr,fork", "SYSTEM:sha256sum");
        awaitSha256Server("127.0.0.1", port);
        for (int i = 0; i < 20; i++) {
            Socket s = new Socket("127.0.0.1", port);
            s.getOutputStream().write(random(100_000, i));
            s.setSoLinger(true, 0);
            s.close(); // RST
        }
        byte[] data = random(1 << 20, 99);
        assertEquals(hex(sha256(data)), sendAndReadLine("127.0.0.1", port, data));
    }

    @Test
    void thousandConcurrentConnectionsEachGetTheirOwnBytesBack() throws Exception {
        int port = freePort();
        Path py = echoServer(port);
        pasta("-t", "" + port, "--", "python3", py.toString());
        assertNotNull(Poll.until(DEADLINE, () -> echoes(port, random(16, 1))), "echo server not reachable");
        int n = 1000;
        List<Socket> socks = new ArrayList<>();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                socks.add(new Socket("127.0.0.1", port)); // all open at once
            }
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Socket s = socks.get(i);
                byte[] data = random(4096, 1000 + i);
                results.add(ex.submit(() -> {
                    s.setSoTimeout((int) DEADLINE_MS);
                    s.getOutputStream().write(data);
                    s.shutdownOutput();
                    return java.util.Arrays.equals(data, s.getInputStream().readAllBytes());
                }));
            }
            int ok = 0;
            for (Future<Boolean> f : results) {
                ok += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertEquals(n, ok, "connections that got their own bytes back");
        } finally {
            for (Socket s : socks) {
                s.close();
            }
        }
    }

    @Test
    void portRangeMapsEachPortToItsTarget() throws Exception {
        int base = freePort();
        int target = base + 100 < 65000 ? base + 100 : base - 100;
        StringBuilder sh = new StringBuilder();
        for (int k = 0; k < 3; k++) {
            sh.append("socat TCP-LISTEN:").append(target + k).append(",reuseaddr,fork SYSTEM:'echo ")
                    .append(target + k).append("' & ");
        }
        sh.append("wait");
        pasta("-t", base + "-" + (base + 2) + ":" + target + "-" + (target + 2), "--", "sh", "-c", sh.toString());
        for (int k = 0; k < 3; k++) {
            awaitReply("127.0.0.1", base + k, "" + (target + k));
        }
    }

    @Test
    void explicitPortThatCannotBeBoundFailsLikePasta() throws Exception {
        // busy on both families, on IPv4 only, and one of two ports: each fails as pasta 2026 fails
        for (String busyAddr : new String[] {"::", "0.0.0.0"}) {
            try (ServerSocket busy = new ServerSocket()) {
                busy.bind(new InetSocketAddress(InetAddress.getByName(busyAddr), 0));
                int port = busy.getLocalPort();
                int free; // a port nothing listens on, bound before the busy one
                try (ServerSocket probe = new ServerSocket(0)) {
                    free = probe.getLocalPort();
                }
                for (String spec : new String[] {"" + port, free + "," + port}) {
                    Proc.Result r = pasta("-t", spec, "--", "true").await(DEADLINE);
                    assertEquals(1, r.exit(), busyAddr + " " + spec + r.describe());
                    assertTrue(r.err().contains("Listen failed for HOST TCP port */" + port
                            + ": Address already in use\nCouldn't listen on requested ports\n"), r.describe());
                }
            }
        }
    }

    @Test
    void aRangeOfAnExcludeOnlySpecFailsOnlyWhenNoneOfItsPortsCanBeBound() throws Exception {
        // what pasta 2026 prints for the same specs, run by hand in a sandbox: a busy port of the range is a warning,
        // a range with none bound fails the start; as the test user, ~80 fails at once on 1-79 (privileged)
        Proc.Result priv = pasta("-t", "~80", "--", "true").await(DEADLINE);
        assertEquals(1, priv.exit(), priv.describe());
        List<String> err = priv.errLines();
        assertEquals(81, err.size(), priv.describe());
        assertEquals("Listen failed for HOST TCP port */1: Permission denied", err.get(0));
        assertEquals("Listen failed for HOST TCP port */79: Permission denied", err.get(78));
        assertEquals(List.of("All listens failed for HOST TCP */1-79", "Couldn't listen on requested ports"),
                err.subList(79, 81));
        int p = freeNonEphemeralPort();
        String spec = "~1-" + (p - 1) + ",~" + (p + 2) + "-65535"; // forwards p and p + 1 only
        try (ServerSocket busy = new ServerSocket(p, 50, InetAddress.getByName("::"))) {
            Proc one = pasta("-t", spec, "--", "sh", "-c", "echo ran");
            Proc.Result r = one.await(DEADLINE);
            assertEquals(0, r.exit(), r.describe());
            assertEquals(List.of("Listen failed for HOST TCP port */" + p + ": Address already in use"), r.errLines());
            // busy on IPv4 only: the dual-stack socket cannot bind, and pasta takes that as the port failing
            try (ServerSocket busy2 = new ServerSocket(p + 1, 50, InetAddress.getByName("0.0.0.0"))) {
                Proc.Result none = pasta("-t", spec, "--", "true").await(DEADLINE);
                assertEquals(1, none.exit(), none.describe());
                assertEquals(List.of("Listen failed for HOST TCP port */" + p + ": Address already in use",
                        "Listen failed for HOST TCP port */" + (p + 1) + ": Address already in use",
                        "All listens failed for HOST TCP */" + p + "-" + (p + 1), "Couldn't listen on requested ports"),
                        none.errLines());
            }
        }
    }

    @Test
    void tAutoFollowsAPortThatStartsListeningInTheNamespace() throws Exception {
        int port = freeNonEphemeralPort();
        // the server starts listening only after pasta is up: the one-second scan must pick it up
        pasta("-t", "auto", "--", "sh", "-c", "sleep 1; exec socat TCP-LISTEN:" + port + ",reuseaddr,fork "
                + "SYSTEM:'echo auto'");
        awaitReply("127.0.0.1", port, "auto");
    }

    @Test
    void bigTAutoForwardsAHostPortIntoTheNamespace() throws Exception {
        try (ServerSocket server = new ServerSocket(freeNonEphemeralPort(), 50, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write("host\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the test fails on the namespace side
                }
            });
            // bounded retry loop inside the namespace: 100 attempts
            Proc p = pasta("-T", "auto", "--", "sh", "-c", "for i in $(seq 100); do r=$(socat -u TCP:127.0.0.1:"
                    + port + " - 2>/dev/null) && [ -n \"$r\" ] && break; sleep 0.1; done; echo got:$r");
            Proc.Result r = p.await(DEADLINE);
            assertTrue(r.out().contains("got:host"), r.describe());
        }
    }

    // ---- helpers ----

    /** Starts pasta in the foreground as the test user, in a process group of its own (see {@link Proc}). */
    private Proc pasta(String... args) {
        return pastaWithEnv(List.of(), args);
    }

    /** Like {@link #pasta(String...)}, run through {@code prefix} (a command that then runs pasta, e.g. prlimit). */
    private Proc pastaWithPrefix(List<String> prefix, String... args) {
        List<String> cmd = asTestUser();
        cmd.addAll(prefix);
        cmd.addAll(List.of(pasta, "-f"));
        cmd.addAll(List.of(args));
        Proc p = Proc.start(cmd, dir, LOGS, "pasta", null);
        procs.add(p);
        return p;
    }

    /** Like {@link #pasta(String...)}, with {@code NAME=VALUE} settings in pasta's environment. */
    private Proc pastaWithEnv(List<String> env, String... args) {
        List<String> cmd = asTestUser("env");
        cmd.addAll(env);
        cmd.addAll(List.of(pasta, "-f"));
        cmd.addAll(List.of(args));
        Proc p = Proc.start(cmd, dir, LOGS, "pasta", null);
        procs.add(p);
        return p;
    }

    /** @return a command line that runs {@code argv} as the test user in the sandbox's host namespace */
    private static List<String> asTestUser(String... argv) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", SANDBOX.get().name() + "-h", "runuser",
                "-u", Sandbox.TEST_USER, "--"));
        cmd.addAll(List.of(argv));
        return cmd;
    }

    /** Polls (bounded) until a connection through the forward gets a SHA-256 line back. */
    private static void awaitSha256Server(String host, int port) {
        byte[] probe = "probe".getBytes(StandardCharsets.US_ASCII);
        assertNotNull(Poll.until(DEADLINE, () -> {
            try {
                return sendAndReadLine(host, port, probe).equals(hex(sha256(probe)));
            } catch (IOException e) {
                return false; // not listening yet on one side or the other
            }
        }), "forward to port " + port + " never answered");
    }

    /** Polls (bounded) until a connection to {@code host:port} reads {@code expected} as its first word. */
    private static void awaitReply(String host, int port, String expected) {
        assertNotNull(Poll.until(DEADLINE, () -> expected.equals(replyOrEmpty(host, port))),
                "[" + host + "]:" + port + " never answered " + expected);
    }

    /** @return the first word a connection to {@code host:port} reads, or "" if it cannot connect or read */
    private static String replyOrEmpty(String host, int port) {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout((int) DEADLINE_MS);
            return readLine(s.getInputStream());
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The namespace's (or host's) end of the half-close and reset tests, as the test user: one connection, as
     * server (after writing {@code READY} once listening) or client, doing one of these and printing the result:
     * {@code echo-after-eof} reads to end of stream, then sends it all back; {@code half-close-first} sends
     * {@code SIZE} bytes, shuts down its write side, reads to end of stream ("got N SHA256"); {@code close-first}
     * sends and closes; {@code reset} sends and closes with SO_LINGER 0 (RST); {@code expect-reset} reads until a
     * reset or end of stream. Every wait is bounded by a 20 s socket timeout ("timeout").
     */
    private static final String PEER_PY = """
            import hashlib, socket, struct, sys, time
            role, mode, host, port, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
            ready = sys.argv[6] if len(sys.argv) > 6 else None
            fam = socket.AF_INET6 if ':' in host else socket.AF_INET
            def payload(n):
                return (bytes(range(251)) * (n // 251 + 1))[:n]
            def read_all(s):
                h, n = hashlib.sha256(), 0
                while True:
                    b = s.recv(1 << 16)
                    if not b:
                        return n, h.hexdigest(), h
                    n += len(b)
                    h.update(b)
            if role == 'server':
                l = socket.socket(fam, socket.SOCK_STREAM)
                l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                l.bind((host, port))
                l.listen(8)
                open(ready, 'w').close()
                l.settimeout(20)
                s, _ = l.accept()
                l.close()
            else:
                s = socket.create_connection((host, port), timeout=20)
            s.settimeout(20)
            try:
                if mode == 'echo-after-eof':
                    data = bytearray()
                    while True:
                        b = s.recv(1 << 16)
                        if not b:
                            break
                        data += b
                    s.sendall(data)
                    s.close()
                    print('echoed', len(data))
                elif mode == 'half-close-first':
                    s.sendall(payload(size))
                    s.shutdown(socket.SHUT_WR)
                    n, h, _ = read_all(s)
                    print('got', n, h)
                elif mode == 'close-first':
                    s.sendall(payload(size))
                    s.close()
                    print('closed')
                elif mode == 'reset':
                    s.sendall(payload(size))
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                    s.close()
                    print('reset sent')
                elif mode == 'expect-reset':
                    n = 0
                    try:
                        while True:
                            b = s.recv(1 << 16)
                            if not b:
                                print('eof', n)
                                break
                            n += len(b)
                            if size and n >= size and ready:
                                open(ready.replace('.ready', '-data.ready'), 'w').close()
                    except ConnectionResetError:
                        print('reset after', n)
            except socket.timeout:
                print('timeout')
            sys.stdout.flush()
            """;

    /** @return the path of the peer script ({@link #PEER_PY}) */
    private String peer() {
        return dir.resolve("peer.py").toString();
    }

    /** @return the path of the file a peer named {@code name} creates once it listens */
    private String ready(String name) {
        return shared.resolve(name + ".ready").toString();
    }

    /** Waits (bounded) until the peer {@code name} listens; fails with pasta's output if it never does. */
    private void awaitReady(String name, Proc pasta) {
        Path f = shared.resolve(name + ".ready");
        if (Poll.until(DEADLINE, () -> Files.exists(f) || !pasta.isAlive()) == null || !Files.exists(f)) {
            fail("peer " + name + " never listened:" + pasta.await(Duration.ZERO).describe());
        }
    }

    /** Our end when the peer answers after our FIN: sends {@code data}, half-closes, expects it all back. */
    private static void sendHalfCloseAndExpectEcho(Socket s, byte[] data) throws IOException {
        s.setSoTimeout((int) DEADLINE_MS);
        s.getOutputStream().write(data);
        s.shutdownOutput();
        assertArrayEquals(data, s.getInputStream().readAllBytes(), "echo sent after our FIN");
    }

    /**
     * Our end when the peer half-closes first: expects {@code data} and then its FIN, then sends {@code data} on our
     * half, which must still carry it, and half-closes too.
     */
    private static void expectUntilFinThenSend(Socket s, byte[] data) throws IOException {
        s.setSoTimeout((int) DEADLINE_MS);
        assertArrayEquals(data, s.getInputStream().readAllBytes(), "everything before the peer's FIN");
        s.getOutputStream().write(data);
        s.shutdownOutput();
    }

    /** @return the next connection to {@code server}, waiting at most the deadline */
    private static Socket accept(ServerSocket server) throws IOException {
        server.setSoTimeout((int) DEADLINE_MS);
        return server.accept();
    }

    /** The bytes every peer sends: 0, 1, ..., 250, 0, 1, ... */
    private static byte[] payload(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i % 251);
        }
        return b;
    }

    /** Reads until end of stream or a reset (both are how a reset may show); a timeout fails the test. */
    private static void endOfStreamOrReset(InputStream in) {
        try {
            in.readAllBytes();
        } catch (SocketTimeoutException e) {
            fail("neither end of stream nor a reset within " + DEADLINE_MS + " ms");
        } catch (IOException e) {
            assertTrue(String.valueOf(e.getMessage()).contains("reset"), "not a reset: " + e);
        }
    }

    /** @return the first of {@code n} consecutive ports that are all free on the host */
    private static int freeRange(int n) throws IOException {
        Random rnd = new Random();
        for (int attempt = 0; attempt < 100; attempt++) {
            int base = 20000 + rnd.nextInt(30000);
            List<ServerSocket> held = new ArrayList<>();
            try {
                for (int k = 0; k < n; k++) {
                    ServerSocket s = new ServerSocket();
                    held.add(s);
                    s.bind(new InetSocketAddress(InetAddress.getByName("::"), base + k));
                }
                return base;
            } catch (IOException e) {
                // taken: try another range
            } finally {
                for (ServerSocket s : held) {
                    s.close();
                }
            }
        }
        throw new IOException("no " + n + " consecutive free ports found in 100 attempts");
    }

    /** Writes the asyncio echo server for {@code port} (127.0.0.1 in the namespace) and returns its path. */
    private Path echoServer(int port) throws IOException {
        String server = """
                import asyncio
                async def echo(r, w):
                    while True:
                        b = await r.read(65536)
                        if not b:
                            break
                        w.write(b)
                        await w.drain()
                    w.close()
                async def main():
                    s = await asyncio.start_server(echo, '127.0.0.1', %d, backlog=2048)
                    await s.serve_forever()
                asyncio.run(main())
                """.formatted(port);
        Path py = dir.resolve("echo.py");
        Files.writeString(py, server);
        py.toFile().setReadable(true, false);
        return py;
    }

    /** @return true if {@code data} written on the open connection {@code s} comes back, the connection kept open */
    private static boolean echoesOn(Socket s, byte[] data) throws IOException {
        s.getOutputStream().write(data);
        return java.util.Arrays.equals(data, s.getInputStream().readNBytes(data.length));
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean echoes(int port, byte[] data) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(data);
            s.shutdownOutput();
            return java.util.Arrays.equals(data, s.getInputStream().readAllBytes());
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends {@code data}, half-closes, and returns the first word of the reply (sha256sum prints "HASH  -"). */
    private static String sendAndReadLine(String host, int port, byte[] data) throws IOException {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout((int) DEADLINE_MS);
            s.getOutputStream().write(data);
            s.shutdownOutput();
            return readLine(s.getInputStream());
        }
    }

    private static String readLine(InputStream in) throws IOException {
        String all = new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
        int sp = all.indexOf(' ');
        return sp < 0 ? all : all.substring(0, sp);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * @return a free port below the ephemeral range (32768 and up): {@code auto} leaves that range out, as pasta
     *         2026 does, so that the ports of clients that happen to listen are not forwarded
     */
    private static int freeNonEphemeralPort() throws IOException {
        Random r = new Random();
        for (int i = 0; i < 100; i++) {
            int port = 20000 + r.nextInt(12000);
            try (ServerSocket s = new ServerSocket(port)) {
                return s.getLocalPort();
            } catch (IOException e) {
                // taken: try another
            }
        }
        throw new IOException("no free port in 20000-31999");
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
