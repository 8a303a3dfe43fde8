package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The JSON control API ({@code --api}) through its real client, {@code dist/bin/jpasta-ctl}: one pasta with N flows of
 * every kind held open (TCP and UDP through the tap and spliced, ICMP echo), each listed with the bytes the test
 * sent; {@code watch} sees a connection open and close; a client that never reads stalls nobody; bad requests get
 * an error; the JSON library is not loaded until a client asks something.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ApiIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final Duration SHORT = Duration.ofSeconds(20);
    private static final String REMOTE = "198.51.100.200";
    private static final int TCP_REMOTE = 5400, UDP_REMOTE = 5401, TCP_FWD = 18090, UDP_FWD = 18091;
    private static final int DOWNLOAD = 100_000, UDP_TAP = 300, SPLICED = 7000, UDP_SPLICED = 500, PINGS = 3;
    /** Flows of each kind the test opens. */
    private static final int N = 3;
    private static final String NS_SCRIPT = """
            socat TCP-LISTEN:%1$d,reuseaddr,fork EXEC:cat &
            socat UDP-RECVFROM:%2$d,reuseaddr,fork EXEC:cat &
            pings=
            for i in $(seq %9$d); do
                socat -u TCP:%3$s:%4$d - > /dev/null &
                (head -c %5$d /dev/zero; sleep 90) | socat - UDP:%3$s:%6$d > /dev/null &
                ping -c %7$d -i 0.2 %3$s > /dev/null &
                pings="$pings $!"
            done
            wait $pings
            touch %8$s/ns-ready
            sleep 90
            """;

    private Sandbox sb;
    private Path shared, sock, classLog;
    private String ctl;
    private final List<Proc> procs = new ArrayList<>();

    @BeforeAll
    void setUp() throws IOException {
        sb = SANDBOX.get();
        ctl = Path.of(Pasta.underTest()).resolveSibling("jpasta-ctl").toString();
        shared = sb.userDir("api");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        sock = shared.resolve("api.sock");
        classLog = shared.resolve("classes.log");
        procs.add(sb.startRoot("remote", "tcp-server", "socat", "TCP-LISTEN:" + TCP_REMOTE + ",bind=" + REMOTE
                + ",reuseaddr,fork", "SYSTEM:head -c " + DOWNLOAD + " /dev/zero; sleep 90"));
        procs.add(sb.startRoot("remote", "udp-echo", "socat", "UDP-RECVFROM:" + UDP_REMOTE + ",bind=" + REMOTE
                + ",fork", "EXEC:cat"));
        awaitListening("remote", "-Hltn", TCP_REMOTE);
        Path script = shared.resolve("ns.sh");
        Files.writeString(script, NS_SCRIPT.formatted(TCP_FWD, UDP_FWD, REMOTE, TCP_REMOTE, UDP_TAP, UDP_REMOTE,
                PINGS, shared, N));
        Proc pasta = sb.startUser("pasta", "env", "JPASTA_JAVA_OPTS=-Xlog:class+load:file=" + classLog,
                Pasta.underTest(), "--config-net", "--api", sock.toString(), "-t", "" + TCP_FWD, "-u", "" + UDP_FWD,
                "--", "sh", script.toString());
        procs.add(pasta);
        if (Poll.until(SHORT, () -> Files.exists(shared.resolve("ns-ready")) || !pasta.isAlive()) == null
                || !pasta.isAlive()) {
            fail("pasta did not come up" + pasta.await(Duration.ZERO).describe());
        }
    }

    @AfterAll
    void stop() {
        procs.reversed().forEach(Proc::close);
    }

    /** Runs jpasta-ctl as the test user. */
    private Proc.Result ctl(String... args) {
        List<String> argv = new ArrayList<>(List.of(ctl));
        argv.addAll(List.of(args));
        return sb.user(SHORT, "ctl", argv.toArray(String[]::new));
    }

    @Test
    void theJsonLibraryIsNotLoadedBeforeTheFirstRequest() throws IOException {
        // this class's tests run in method order by name is not guaranteed: check the log up to the first request
        String log = Files.readString(classLog);
        int first = log.indexOf("io.jpasta.launcher.control.Api ");
        String before = first < 0 ? log : log.substring(0, first);
        assertFalse(before.contains("com.fasterxml"), "jackson loaded before any API request");
        assertTrue(log.contains("io.jpasta.launcher.control.ApiServer "), "the API's socket server is up");
        assertEquals(0, ctl(sock.toString(), "stats").exit());
        assertNotNull(Poll.until(SHORT, () -> read(classLog).contains("com.fasterxml.jackson.core.JsonFactory ")),
                "jackson loaded for the first request");
    }

    @Test
    void flowsOfEveryKindAreListedWithTheBytesTheyMoved() {
        for (int i = 0; i < N; i++) {
            procs.add(sb.startUser("tcp-splice" + i, "sh", "-c", "(head -c " + SPLICED + " /dev/zero; sleep 90) | "
                    + "socat - TCP:127.0.0.1:" + TCP_FWD + " > /dev/null"));
            procs.add(sb.startUser("udp-splice" + i, "sh", "-c", "(head -c " + UDP_SPLICED + " /dev/zero; sleep 90) | "
                    + "socat - UDP:127.0.0.1:" + UDP_FWD + " > /dev/null"));
        }
        AtomicReference<String> last = new AtomicReference<>("");
        Duration took = Poll.until(SHORT, () -> {
            Proc.Result r = ctl("--json", sock.toString(), "flows");
            last.set(r.out());
            List<Map<String, String>> flows = r.out().lines().map(ApiIT::fields).toList();
            return has(flows, "tcp", "tap", 0, DOWNLOAD) && has(flows, "udp", "tap", UDP_TAP, UDP_TAP)
                    && has(flows, "tcp", "splice", SPLICED, SPLICED) && has(flows, "udp", "splice", UDP_SPLICED,
                    UDP_SPLICED) && flows.stream().filter(f -> "icmp".equals(f.get("proto"))
                    && "ping".equals(f.get("path")) && ("" + PINGS).equals(f.get("packets_out"))
                    && ("" + PINGS).equals(f.get("packets_in"))).count() == N
                    && flows.getLast().get("end") != null;
        });
        assertNotNull(took, "flows never showed the bytes sent:\n" + last.get());
        Proc.Result table = ctl(sock.toString(), "flows");
        assertEquals(0, table.exit(), table.describe());
        assertTrue(table.out().startsWith("PROTO  PATH"), table.out());
        assertTrue(table.out().contains(" " + DOWNLOAD + " "), table.out());
    }

    /** @return true if exactly {@link #N} flows of {@code proto} on {@code path} moved {@code out} and {@code in} */
    private static boolean has(List<Map<String, String>> flows, String proto, String path, long out, long in) {
        return flows.stream().filter(f -> proto.equals(f.get("proto")) && path.equals(f.get("path"))
                && ("" + out).equals(f.get("bytes_out")) && ("" + in).equals(f.get("bytes_in"))).count() == N;
    }

    @Test
    void watchSeesAConnectionOpenAndClose() {
        try (Proc watch = sb.startUser("watch", ctl, "--json", sock.toString(), "watch")) {
            assertNotNull(Poll.until(SHORT, () -> watch.isAlive() && read(watch.outFile()).contains("watching")),
                    "watch did not start");
            Proc.Result once = sb.user(SHORT, "once", "sh", "-c", "echo hi | socat -t 1 - TCP:127.0.0.1:" + TCP_FWD);
            assertEquals("hi\n", once.out(), once.describe());
            assertNotNull(Poll.until(SHORT, () -> {
                String out = read(watch.outFile());
                return out.contains("\"event\":\"open\",\"flow\"") && out.lines().anyMatch(l ->
                        l.contains("\"event\":\"close\"") && l.contains("\"path\":\"splice\"")
                                && l.contains("\"bytes_out\":3"));
            }), "no open and close events:\n" + read(watch.outFile()));
        }
    }

    @Test
    void aClientThatNeverReadsStallsNobody() throws IOException {
        try (SocketChannel hog = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            hog.configureBlocking(false);
            byte[] ask = "{\"cmd\":\"forwards\"}\n".repeat(200).getBytes(StandardCharsets.US_ASCII);
            long t0 = System.nanoTime();
            try {
                for (int i = 0; i < 200 && System.nanoTime() - t0 < 5_000_000_000L; i++) {
                    hog.write(ByteBuffer.wrap(ask)); // far more replies than its buffers hold; never reads any
                }
            } catch (IOException e) {
                // the server closed it: a client that reads no reply may be dropped
            }
            long start = System.nanoTime();
            Proc.Result r = ctl(sock.toString(), "stats");
            assertEquals(0, r.exit(), r.describe());
            assertTrue(r.out().contains(" in use of "), r.out());
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("api ") && l.contains("drop reply did not fit")),
                    "the client that read no reply was dropped, counted:\n" + r.out());
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "answered while a client hogged its buffers");
        }
    }

    @Test
    void badRequestsGetAnErrorAndTheConnectionCarriesOn() throws IOException {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            c.write(ByteBuffer.wrap("nonsense\n{\"cmd\":\"reboot\"}\n{\"cmd\":\"stats\"}\n".getBytes(
                    StandardCharsets.US_ASCII)));
            String replies = readLines(c, 3);
            List<String> lines = replies.lines().toList();
            assertTrue(lines.get(0).startsWith("{\"error\":\"malformed request"), replies);
            assertEquals("{\"error\":\"unknown command: reboot\"}", lines.get(1));
            assertTrue(lines.get(2).startsWith("{\"stats\":"), replies);
        }
        Proc.Result r = ctl(sock.toString(), "add", "-t", "0");
        assertEquals(1, r.exit(), r.describe());
        assertTrue(r.err().contains("Forwarding rule attempts to map from port 0"), r.describe());
    }

    private static String readLines(SocketChannel c, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(65536);
        long deadline = System.nanoTime() + SHORT.toNanos();
        String s = "";
        while (s.lines().count() < n && System.nanoTime() < deadline) {
            if (c.read(b) < 0) {
                break;
            }
            s = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
        }
        return s;
    }

    /** @return the fields of one line of the API: nested objects flattened with dots */
    static Map<String, String> fields(String line) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        // the API's lines are flat but for from/to/peer objects of plain values: a small reader is enough here
        String s = line.strip();
        String prefix = "";
        int i = 1;
        while (i < s.length()) {
            char ch = s.charAt(i);
            if (ch == '}') {
                prefix = "";
                i++;
                continue;
            }
            if (ch == ',' || ch == ' ') {
                i++;
                continue;
            }
            int k1 = s.indexOf('"', i) + 1, k2 = s.indexOf('"', k1);
            String key = s.substring(k1, k2);
            i = k2 + 2; // past the quote and the colon
            if (s.charAt(i) == '{') {
                prefix = key + ".";
                i++;
                continue;
            }
            int end;
            if (s.charAt(i) == '"') {
                end = s.indexOf('"', i + 1) + 1;
                m.put(prefix + key, s.substring(i + 1, end - 1));
            } else {
                end = i;
                while (end < s.length() && ",}".indexOf(s.charAt(end)) < 0) {
                    end++;
                }
                m.put(prefix + key, s.substring(i, end));
            }
            i = end;
        }
        return m;
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private void awaitListening(String where, String ssFlags, int port) {
        assertNotNull(Poll.until(Duration.ofSeconds(10), () -> !sb.root(Duration.ofSeconds(5), "ss",
                sb.asRoot(where, "ss", ssFlags, "sport = :" + port)).out().isBlank()),
                "nothing listens on port " + port + " in the " + where + " namespace");
    }
}
