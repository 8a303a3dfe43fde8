package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
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

/**
 * The loopback bypass end to end: the built {@code dist/bin/pasta}, run as the unprivileged user {@code jpasta-test},
 * forwarding with {@code -t} from the host's loopback into the namespace and with {@code -T} from the namespace's
 * loopback to the host, checked with SHA-256 of what each end sent and received. Traffic stays on the loopback
 * interfaces of the host and of pasta's own namespace.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SpliceIT {
    private static final String USER = "jpasta-test";
    private static final long DEADLINE_MS = 20_000;
    private static final Path DIST = Path.of(System.getProperty("jpasta.dist", "../dist")).toAbsolutePath().normalize();

    private final List<Process> procs = new ArrayList<>();
    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        if (!Files.isExecutable(DIST.resolve("bin/pasta"))) {
            fail("no " + DIST + "/bin/pasta: run scripts/build first");
        }
        dir = Files.createTempDirectory("jpasta-splice-it", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : procs) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(f -> f.toFile().delete());
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
        Process p = pasta("-t", "" + port, "--", "socat", "-u", "OPEN:" + file, "TCP-LISTEN:" + port + ",reuseaddr");
        byte[] got = null;
        long end = System.currentTimeMillis() + DEADLINE_MS;
        while (got == null || got.length == 0) {
            assertTrue(System.currentTimeMillis() < end, "no data from the namespace's server");
            try (Socket s = new Socket("127.0.0.1", port)) {
                got = s.getInputStream().readAllBytes();
            } catch (IOException e) {
                got = null; // the server is not listening yet: the spliced connect was refused
            }
        }
        assertArrayEquals(sha256(data), sha256(got), "bytes received " + got.length);
        assertTrue(p.waitFor(DEADLINE_MS, TimeUnit.MILLISECONDS), "pasta exits after the command");
        assertEquals(0, p.exitValue());
    }

    @Test
    void bigTFromTheNamespaceReachesAHostServiceAndTheCommandMayExitRightAfterWriting() throws Exception {
        byte[] data = random(10 << 20, 5);
        Path file = dir.resolve("payload");
        Files.write(file, data);
        file.toFile().setReadable(true, false);
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            Process p = pasta("-T", "" + port, "--", "socat", "-u", "OPEN:" + file, "TCP:127.0.0.1:" + port);
            server.setSoTimeout((int) DEADLINE_MS);
            try (Socket s = server.accept()) {
                byte[] got = s.getInputStream().readAllBytes();
                assertArrayEquals(sha256(data), sha256(got), "bytes received " + got.length);
            }
            assertTrue(p.waitFor(DEADLINE_MS, TimeUnit.MILLISECONDS));
            assertEquals(0, p.exitValue());
        }
    }

    @Test
    void bigTRepliesFlowBackAndHalfCloseFromTheNamespaceSide() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            Process p = pasta("-T", "" + port, "--", "sh", "-c", "printf hello | socat - TCP:127.0.0.1:" + port);
            server.setSoTimeout((int) DEADLINE_MS);
            try (Socket s = server.accept()) {
                // the client half-closed after "hello": we read it and its FIN, and still answer
                assertEquals("hello", new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                s.getOutputStream().write("world".getBytes(StandardCharsets.US_ASCII));
            }
            assertTrue(p.waitFor(DEADLINE_MS, TimeUnit.MILLISECONDS));
            assertEquals(0, p.exitValue());
            assertEquals("world", new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void serverClosingFirstIsSeenAsEndOfStreamWhileTheClientMaySendOn() throws Exception {
        int port = freePort();
        pasta("-t", "" + port, "--", "socat", "TCP-LISTEN:" + port + ",reuseaddr,fork",
                "SYSTEM:'printf bye; exec cat >/dev/null'");
        String got = "";
        long end = System.currentTimeMillis() + DEADLINE_MS;
        while (!got.equals("bye")) {
            assertTrue(System.currentTimeMillis() < end, "server not reachable");
            try (Socket s = new Socket("127.0.0.1", port)) {
                byte[] b = new byte[3];
                int n = s.getInputStream().readNBytes(b, 0, 3);
                got = new String(b, 0, n, StandardCharsets.US_ASCII);
                if (got.equals("bye")) {
                    s.getOutputStream().write(new byte[100_000]); // the server still reads: half-closed, not gone
                    s.shutdownOutput();
                    assertEquals(-1, s.getInputStream().read(), "server's side is closed after cat ends");
                }
            } catch (IOException e) {
                got = "";
            }
        }
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
        pasta("-t", "" + port, "--", "python3", py.toString());
        long end = System.currentTimeMillis() + DEADLINE_MS;
        while (!echoes(port, random(16, 1))) {
            assertTrue(System.currentTimeMillis() < end, "echo server not reachable");
        }
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
            String got = "";
            long end = System.currentTimeMillis() + DEADLINE_MS;
            while (got.isEmpty()) {
                assertTrue(System.currentTimeMillis() < end, "port " + (base + k) + " not forwarded");
                try (Socket s = new Socket("127.0.0.1", base + k)) {
                    got = readLine(s.getInputStream());
                } catch (IOException e) {
                    got = "";
                }
            }
            assertEquals("" + (target + k), got);
        }
    }

    @Test
    void explicitPortThatCannotBeBoundFailsLikePasta() throws Exception {
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress(InetAddress.getByName("::"), 0));
            int port = busy.getLocalPort();
            Process p = pasta("-t", "" + port, "--", "true");
            assertTrue(p.waitFor(DEADLINE_MS, TimeUnit.MILLISECONDS));
            assertEquals(1, p.exitValue());
            String err = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(err.contains("Failed to bind any port for '-t " + port + "', exiting"), err);
        }
    }

    @Test
    void tAutoFollowsAPortThatStartsListeningInTheNamespace() throws Exception {
        int port = freePort();
        // the server starts listening only after pasta is up: the one-second scan must pick it up
        pasta("-t", "auto", "--", "sh", "-c", "sleep 1; exec socat TCP-LISTEN:" + port + ",reuseaddr,fork "
                + "SYSTEM:'echo auto'");
        String got = "";
        long end = System.currentTimeMillis() + DEADLINE_MS;
        while (!got.equals("auto")) {
            assertTrue(System.currentTimeMillis() < end, "port " + port + " never forwarded by -t auto");
            try (Socket s = new Socket("127.0.0.1", port)) {
                got = readLine(s.getInputStream());
            } catch (IOException e) {
                got = "";
            }
        }
    }

    @Test
    void bigTAutoForwardsAHostPortIntoTheNamespace() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write("host\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the test fails on the namespace side
                }
            });
            // bounded retry loop inside the namespace: 100 attempts
            Process p = pasta("-T", "auto", "--", "sh", "-c", "for i in $(seq 100); do r=$(socat -u TCP:127.0.0.1:"
                    + port + " - 2>/dev/null) && [ -n \"$r\" ] && break; sleep 0.1; done; echo got:$r");
            assertTrue(p.waitFor(DEADLINE_MS, TimeUnit.MILLISECONDS));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(out.contains("got:host"), out);
        }
    }

    // ---- helpers ----

    private Process pasta(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("runuser", "-u", USER, "--", DIST + "/bin/pasta", "-f"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        procs.add(p);
        return p;
    }

    /** Polls (bounded) until a connection through the forward gets a SHA-256 line back. */
    private static void awaitSha256Server(String host, int port) {
        byte[] probe = "probe".getBytes(StandardCharsets.US_ASCII);
        long end = System.currentTimeMillis() + DEADLINE_MS;
        for (;;) {
            try {
                if (sendAndReadLine(host, port, probe).equals(hex(sha256(probe)))) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet on one side or the other
            }
            assertTrue(System.currentTimeMillis() < end, "forward to port " + port + " never answered");
            Thread.onSpinWait();
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
