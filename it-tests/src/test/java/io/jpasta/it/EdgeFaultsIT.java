package io.jpasta.it;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults and edge conditions beside {@link FaultsIT} and {@link LimitsIT}, through the real binary in a sandbox: the
 * {@code --netns} file deleted mid-transfer, the host's default route removed and restored under an open connection,
 * the guest's window scaling off and at 14, MTU 1280 both ways over IPv4 and IPv6, and a full flow table on the tap
 * path ({@code -Djpasta.flows=4}). Every transfer is checked byte for byte (SHA-256 both ways).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EdgeFaultsIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final String REMOTE = "198.51.100.200", REMOTE6 = "2001:db8:2::10";

    private Sandbox sb;
    private final List<Proc> procs = new ArrayList<>();

    @BeforeAll
    void setUp() {
        sb = SANDBOX.get();
    }

    @AfterEach
    void endProcesses() {
        procs.forEach(Proc::close);
        procs.clear();
    }

    private Proc user(String label, String... argv) {
        Proc p = sb.startUser(label, argv);
        procs.add(p);
        return p;
    }

    private Proc remote(String label, String... argv) {
        Proc p = sb.startRoot("remote", label, argv);
        procs.add(p);
        return p;
    }

    private static void awaitListening(Proc server) {
        assertNotNull(Poll.until(Duration.ofSeconds(10), () -> server.stdout().contains("listening")),
                () -> "server did not start:" + server.await(Duration.ZERO).describe());
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** A remote server: reads an 8-byte length and that many bytes, answers their SHA-256, then sends that many bytes. */
    private Proc checksumServer(String bind, int port) {
        Proc p = remote("sha-server-" + port, "python3", "-c", String.join("\n",
                "import socket, hashlib, random",
                "s = socket.socket(socket.AF_INET6 if ':' in '" + bind + "' else socket.AF_INET)",
                "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
                "s.bind(('" + bind + "', " + port + ")); s.listen(8); print('listening', flush=True)",
                "def readn(c, n):",
                "    b = bytearray()",
                "    while len(b) < n:",
                "        d = c.recv(min(1 << 20, n - len(b)))",
                "        if not d: raise EOFError",
                "        b += d",
                "    return bytes(b)",
                "while True:",
                "    c, _ = s.accept()",
                "    n = int.from_bytes(readn(c, 8), 'big')",
                "    c.sendall(hashlib.sha256(readn(c, n)).digest())",
                "    c.sendall(random.Random(n).randbytes(n)); c.close()"));
        awaitListening(p);
        return p;
    }

    /**
     * Runs a guest that optionally writes sysctls of its namespace, sends {@code bytes} random bytes to the checksum
     * server and reads as many back, checking both digests; it prints "ok", and the window scale its socket
     * negotiated (TCP_INFO: tcpi_options bit 4, tcpi_rcv_wscale).
     */
    private Proc.Result checkedTransfer(String label, List<String> pastaArgs, String sysctls, String addr, int port,
                                        int bytes) {
        List<String> argv = new ArrayList<>(List.of(Pasta.underTest(), "--config-net"));
        argv.addAll(pastaArgs);
        argv.addAll(List.of("--", "python3", "-c", String.join("\n",
                "import socket, hashlib, random, os, struct",
                sysctls,
                "n = " + bytes,
                "up = random.Random(7).randbytes(n)",
                "c = socket.create_connection(('" + addr + "', " + port + "), timeout=30)",
                "info = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)",
                "ws = (info[6] >> 4) if info[5] & 4 else 'none'",
                "c.sendall(n.to_bytes(8, 'big') + up)",
                "b = bytearray()",
                "while True:",
                "    d = c.recv(1 << 20)",
                "    if not d: break",
                "    b += d",
                "ok = b[:32] == hashlib.sha256(up).digest() and bytes(b[32:]) == random.Random(n).randbytes(n)",
                "print('ok' if ok else 'MISMATCH', len(b) - 32, 'wscale', ws, flush=True)")));
        return sb.user(Duration.ofSeconds(120), label, argv.toArray(String[]::new));
    }

    /**
     * {@code --netns FILE} in the foreground ({@code -f}, so that its status is the test's to see), a transfer
     * running through it from a process of that namespace, and the file deleted: pasta exits 0 within a second.
     */
    @Test
    void deletingTheNetnsFileMidTransferEndsPastaWithZeroWithinASecond() throws IOException {
        Proc echo = remote("echo-server5", "socat", "TCP-LISTEN:7320,bind=" + REMOTE + ",reuseaddr,fork", "EXEC:cat");
        Proc holder = user("holder", "unshare", "-rn", "sleep", "120");
        Path comm = Path.of("/proc", Long.toString(holder.pid()), "comm");
        assertNotNull(Poll.until(Duration.ofSeconds(10), () -> "sleep".equals(read(comm))), "holder not started");
        long target = holder.pid();
        Path nsFile = Files.createDirectories(sb.work().resolve("ns")).resolve("net" + target);
        Files.createFile(nsFile);
        Proc.Result mount = sb.root(Duration.ofSeconds(10), "mount",
                List.of("mount", "--bind", "/proc/" + target + "/ns/net", nsFile.toString()));
        assertEquals(0, mount.exit(), mount.describe());
        sb.onClose(() -> sb.root(Duration.ofSeconds(10), "umount", List.of("umount", "-l", nsFile.toString())));
        Proc pasta = user("pasta-netns", Pasta.underTest(), "-f", "--config-net", "--userns",
                "/proc/" + target + "/ns/user", "--netns", nsFile.toString());
        // a client in the namespace streams to the remote echo server through pasta until told to stop
        Proc client = user("client", "nsenter", "-t", Long.toString(target), "-U", "-n", "--preserve-credentials",
                "python3", "-c", String.join("\n",
                        "import socket, time",
                        "for i in range(100):",
                        "    try: c = socket.create_connection(('" + REMOTE + "', 7320), timeout=5); break",
                        "    except OSError: time.sleep(0.1)",
                        "n = 0",
                        "try:",
                        "    while True:",
                        "        c.sendall(b'q' * 65536); k = 0",
                        "        while k < 65536:", // all of it back before more: no deadlock on full buffers
                        "            d = c.recv(65536 - k)",
                        "            if not d: raise EOFError",
                        "            k += len(d)",
                        "        n += k",
                        "        if n == 1 << 20: print('streaming', flush=True)",
                        "except (OSError, EOFError) as e: print('ended', n, type(e).__name__, flush=True)"));
        assertNotNull(Poll.until(Duration.ofSeconds(30), () -> client.stdout().contains("streaming")),
                () -> "no transfer through pasta:" + client.await(Duration.ZERO).describe()
                        + pasta.await(Duration.ZERO).describe());
        Proc.Result umount = sb.root(Duration.ofSeconds(10), "umount", List.of("umount", nsFile.toString()));
        assertEquals(0, umount.exit(), umount.describe());
        long t0 = System.nanoTime();
        Files.delete(nsFile);
        Duration took = Poll.until(Duration.ofSeconds(5), () -> !pasta.isAlive());
        Proc.Result r = pasta.await(Duration.ofSeconds(5));
        System.out.println("--netns file deleted mid-transfer: pasta exited " + r.exit() + " after "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertNotNull(took, "pasta still runs 5 s after its --netns file was deleted:" + r.describe());
        assertEquals(0, r.exit(), r.describe());
        assertTrue(took.toMillis() <= 1000, "pasta took " + took.toMillis() + " ms to exit");
        echo.close();
    }

    /**
     * The host's default route removed mid-run and restored: meanwhile the guest's new connections fail at once
     * (the host cannot route them: a RST), its open connection waits; after, the open connection carries on and new
     * ones are served.
     */
    @Test
    void theHostsDefaultRouteRemovedAndRestoredMidRun() throws IOException {
        Proc echo = remote("echo-server6", "socat", "TCP-LISTEN:7321,bind=" + REMOTE + ",reuseaddr,fork", "EXEC:cat");
        Path cut = sb.work().resolve("cut"), restored = sb.work().resolve("restored");
        Proc g = user("guest-route", Pasta.underTest(), "--config-net", "--", "python3", "-c", String.join("\n",
                "import socket, os, time",
                "for i in range(100):",
                "    try: c = socket.create_connection(('" + REMOTE + "', 7321), timeout=5); break",
                "    except OSError: time.sleep(0.1)",
                "c.sendall(b'one'); assert c.recv(10) == b'one'; print('connected', flush=True)",
                "while not os.path.exists('" + cut + "'): time.sleep(0.05)",
                "try: socket.create_connection(('" + REMOTE + "', 7321), timeout=5); print('during connected')",
                "except OSError as e: print('during', type(e).__name__, flush=True)",
                "c.sendall(b'two')",
                "while not os.path.exists('" + restored + "'): time.sleep(0.05)",
                "c.settimeout(30); print('old', c.recv(10).decode(), flush=True)",
                "d = socket.create_connection(('" + REMOTE + "', 7321), timeout=5); d.sendall(b'new')",
                "print('new', d.recv(10).decode(), flush=True)"));
        assertNotNull(Poll.until(Duration.ofSeconds(30), () -> g.stdout().contains("connected")),
                () -> "guest never connected:" + g.await(Duration.ZERO).describe());
        Proc.Result del = sb.root(Duration.ofSeconds(10), "route-del", sb.asRoot("host", "ip", "route", "del",
                "default"));
        assertEquals(0, del.exit(), del.describe());
        try {
            Files.writeString(cut, "");
            assertNotNull(Poll.until(Duration.ofSeconds(20), () -> g.stdout().contains("during")),
                    () -> "no attempt during the outage:" + g.await(Duration.ZERO).describe());
        } finally {
            Proc.Result add = sb.root(Duration.ofSeconds(10), "route-add", sb.asRoot("host", "ip", "route", "add",
                    "default", "via", "198.51.100.1"));
            assertEquals(0, add.exit(), add.describe());
        }
        Files.writeString(restored, "");
        Proc.Result r = g.await(Duration.ofSeconds(60));
        assertEquals(0, r.exit(), r.describe());
        assertTrue(r.out().contains("during ConnectionRefusedError"), "refused while unroutable:" + r.describe());
        assertTrue(r.out().contains("old two"), "the open connection carried on:" + r.describe());
        assertTrue(r.out().contains("new new"), "new connections served again:" + r.describe());
        echo.close();
    }

    @Test
    void mtu1280CarriesDataIntactBothWaysOverIpv4AndIpv6() {
        Proc s4 = checksumServer(REMOTE, 7310);
        Proc s6 = checksumServer(REMOTE6, 7311);
        for (String addr : new String[] {REMOTE, REMOTE6}) {
            Proc.Result r = checkedTransfer("mtu1280", List.of("-m", "1280"), "", addr, addr.equals(REMOTE) ? 7310
                    : 7311, 4 << 20);
            assertEquals(0, r.exit(), r.describe());
            assertTrue(r.out().startsWith("ok " + (4 << 20)), r.describe());
        }
        s4.close();
        s6.close();
    }

    @Test
    void windowScaleZeroAndFourteenCarryDataIntact() {
        Proc s4 = checksumServer(REMOTE, 7312);
        Proc.Result none = checkedTransfer("ws0", List.of(),
                "open('/proc/sys/net/ipv4/tcp_window_scaling', 'w').write('0')", REMOTE, 7312, 4 << 20);
        assertEquals(0, none.exit(), none.describe());
        assertTrue(none.out().startsWith("ok " + (4 << 20) + " wscale none"), none.describe());
        Proc.Result max = checkedTransfer("ws14", List.of(),
                "open('/proc/sys/net/ipv4/tcp_rmem', 'w').write('4096 131072 1073741824')", REMOTE, 7312, 8 << 20);
        assertEquals(0, max.exit(), max.describe());
        assertTrue(max.out().startsWith("ok " + (8 << 20) + " wscale 14"), max.describe());
        s4.close();
    }

    /**
     * A 4-flow table (the launcher's test knob {@code -Djpasta.flows}): the guest's fifth and sixth connections
     * through the tap are refused with a RST (the client's connect fails at once, no hang), counted in --stats, and
     * once the guest closes one connection the next is served.
     */
    @Test
    void fullFlowTableRefusesTheGuestsNextConnectionAndServesAgainWhenOneEnds() throws IOException {
        Proc server = remote("echo-server3", "socat", "TCP-LISTEN:7305,bind=" + REMOTE + ",reuseaddr,fork",
                "EXEC:cat");
        Path log = sb.work().resolve("pasta.log");
        Proc.Result r = sb.user(Duration.ofSeconds(60), "guest", "env", "JPASTA_JAVA_OPTS=-Djpasta.flows=4",
                Pasta.underTest(), "--config-net", "-l", log.toString(), "--stats", "1", "--", "python3", "-c",
                String.join("\n",
                        "import socket, time",
                        "for i in range(50):",
                        "    try: socket.create_connection(('" + REMOTE + "', 7305), timeout=5).close(); break",
                        "    except OSError: time.sleep(0.1)",
                        "time.sleep(0.5)",
                        "held, refused = [], []",
                        "for i in range(6):",
                        "    try:",
                        "        c = socket.create_connection(('" + REMOTE + "', 7305), timeout=5)",
                        "        c.sendall(b'ping'); assert c.recv(10) == b'ping'; held.append(c)",
                        "    except OSError as e: refused.append(type(e).__name__)",
                        "print('held', len(held), 'refused', ' '.join(refused), flush=True)",
                        "held.pop().close(); time.sleep(0.5)",
                        "c = socket.create_connection(('" + REMOTE + "', 7305), timeout=5); c.sendall(b'pong')",
                        "print('after', c.recv(10).decode(), flush=True); time.sleep(1.5)"));
        assertEquals(0, r.exit(), r.describe());
        assertTrue(r.out().contains("held 4 refused ConnectionRefusedError ConnectionRefusedError"), r.describe());
        assertTrue(r.out().contains("after pong"), r.describe());
        String stats = Files.readString(log);
        assertTrue(stats.contains("drop flow table full 2"), "--stats counts the refusals:\n" + stats);
        server.close();
    }
}
