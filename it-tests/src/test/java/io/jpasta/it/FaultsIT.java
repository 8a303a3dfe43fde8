package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Faults: one of jpasta's own processes killed (the JVM, nsd), and a connection reset mid-stream from either end.
 * Nothing is left running, the survivors say why they stop, and a reset reaches the other end as a reset, not as a
 * clean end of stream or a hang.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FaultsIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final Duration SHORT = Duration.ofSeconds(20);
    private static final Duration GONE = Duration.ofSeconds(3);
    private static final String REMOTE = "198.51.100.200";
    /** A server that sends 1 MiB then resets the connection (SO_LINGER 0), and says so. */
    private static final String RESETTING_SERVER = """
            import socket, struct
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("%s", %d)); s.listen(1)
            c, _ = s.accept(); c.sendall(b"x" * (1 << 20))
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); c.close()
            print("server reset", flush=True)
            """;
    /** A client that reads until the end and says how it ended: "eof N" or "reset N". */
    private static final String READING_CLIENT = """
            import socket, time
            c = socket.create_connection(("%s", %d)); n = 0
            try:
                while True:
                    b = c.recv(65536)
                    if not b: print("eof", n); break
                    n += len(b)
                    time.sleep(0.001)
            except ConnectionResetError:
                print("reset", n)
            """;

    private Sandbox sb;

    @BeforeAll
    void setUp() {
        sb = SANDBOX.get();
    }

    /** Starts pasta with {@code sleep 300} as its command. @return the starter, once nsd and the command run */
    private Proc pastaWithCommand(String label) {
        Proc p = sb.startUser(label, Pasta.underTest(), "--config-net", "--", "sleep", "300");
        assertNotNull(Poll.until(SHORT, () -> descendants(p.pid()).stream().anyMatch(d -> cmdline(d).startsWith(
                "sleep"))), "the command never started");
        return p;
    }

    @Test
    void theJvmKilledLeavesNoNsdInitOrCommandBehind() {
        try (Proc p = pastaWithCommand("kill-jvm")) {
            List<Long> all = descendants(p.pid());
            long jvm = all.stream().filter(d -> cmdline(d).contains("io.jpasta.launcher.Main")).findFirst()
                    .orElseThrow();
            Proc.kill("-KILL", Long.toString(jvm));
            Proc.Result r = p.await(SHORT);
            assertNotEquals(0, r.exit(), "the starter reports the JVM's death:" + r.describe());
            assertNotNull(Poll.until(GONE, () -> all.stream().noneMatch(FaultsIT::alive)),
                    "left running after the JVM was killed: " + all.stream().filter(FaultsIT::alive)
                            .map(d -> d + " " + cmdline(d)).toList());
        }
    }

    @Test
    void nsdKilledEndsJpastaWithAMessageAndNothingLeft() {
        try (Proc p = pastaWithCommand("kill-nsd")) {
            List<Long> all = descendants(p.pid());
            long nsd = all.stream().filter(d -> cmdline(d).contains("jpasta-nsd")).findFirst().orElseThrow();
            Proc.kill("-KILL", Long.toString(nsd));
            Proc.Result r = p.await(SHORT);
            assertNotEquals(0, r.exit(), r.describe());
            assertTrue(r.err().contains("Namespace helper exited (jpasta-nsd, pid " + nsd + ", killed by signal 9)"),
                    "says why it stops, and how nsd ended:" + r.describe());
            assertNotNull(Poll.until(GONE, () -> all.stream().noneMatch(FaultsIT::alive)),
                    "left running after nsd was killed: " + all.stream().filter(FaultsIT::alive)
                            .map(d -> d + " " + cmdline(d)).toList());
        }
    }

    @Test
    void aRemotePeerResettingMidStreamResetsTheGuestsConnection() throws IOException {
        Path server = script("server.py", RESETTING_SERVER.formatted(REMOTE, 5500));
        Path client = script("client.py", READING_CLIENT.formatted(REMOTE, 5500));
        try (Proc srv = sb.startRoot("remote", "reset-server", "python3", server.toString())) {
            awaitListening(5500);
            Proc.Result r = sb.user(SHORT, "pasta-client", Pasta.underTest(), "--config-net", "--", "python3",
                    client.toString());
            assertEquals(0, r.exit(), r.describe());
            assertTrue(r.out().startsWith("reset "), "the guest sees the reset, not an end of stream:"
                    + r.describe());
            assertEquals("server reset\n", srv.await(SHORT).out());
        }
    }

    @Test
    void theGuestResettingMidStreamResetsTheRemotePeer() throws IOException {
        Path server = script("server2.py", READING_CLIENT.replace("c = socket.create_connection((\"%s\", %d))",
                "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
                        + "s.bind((\"%s\", %d)); s.listen(1); c, _ = s.accept()").formatted(REMOTE, 5501));
        Path client = script("client2.py", RESETTING_SERVER.replace("s.bind((\"%s\", %d)); s.listen(1)\n"
                + "c, _ = s.accept();", "c = socket.create_connection((\"%s\", %d));").formatted(REMOTE, 5501));
        try (Proc srv = sb.startRoot("remote", "reading-server", "python3", server.toString())) {
            awaitListening(5501);
            Proc.Result r = sb.user(SHORT, "pasta-resetter", Pasta.underTest(), "--config-net", "--", "python3",
                    client.toString());
            assertEquals(0, r.exit(), r.describe());
            Proc.Result s = srv.await(SHORT);
            assertTrue(s.out().startsWith("reset "), "the remote peer sees the guest's reset:" + s.describe());
        }
    }

    private Path script(String name, String text) throws IOException {
        Path p = sb.userDir("faults").resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private void awaitListening(int port) {
        assertNotNull(Poll.until(Duration.ofSeconds(10), () -> !sb.root(Duration.ofSeconds(5), "ss",
                sb.asRoot("remote", "ss", "-Hltn", "sport = :" + port)).out().isBlank()),
                "nothing listens on port " + port);
    }

    /** @return every descendant of {@code pid}, depth first (from /proc/PID/task/TID/children) */
    static List<Long> descendants(long pid) {
        List<Long> out = new ArrayList<>();
        List<Long> todo = new ArrayList<>(List.of(pid));
        while (!todo.isEmpty()) {
            long p = todo.removeLast();
            try (var tasks = Files.list(Path.of("/proc", "" + p, "task"))) {
                for (Path t : tasks.toList()) {
                    for (String c : Files.readString(t.resolve("children")).trim().split("\\s+")) {
                        if (!c.isEmpty()) {
                            out.add(Long.parseLong(c));
                            todo.add(Long.parseLong(c));
                        }
                    }
                }
            } catch (IOException e) {
                // gone meanwhile
            }
        }
        return out;
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", "" + pid, "cmdline"))).replace('\0', ' ').strip();
        } catch (IOException e) {
            return "";
        }
    }
}
