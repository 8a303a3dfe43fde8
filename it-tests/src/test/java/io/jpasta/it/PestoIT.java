package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code -c, --conf-path}: upstream's unchanged {@code pesto} (commit 06fedeb, in {@code ../shared/ref/pasta-2026-07}
 * or {@code -Djpasta.pesto=PATH}) against the built pasta, in a sandbox. pasta runs as the test user in the sandbox's
 * host namespace, with servers in its namespace that answer their port number; clients connect over the host's
 * loopback (the splice path) and from the remote namespace to 198.51.100.2 (the tap path).
 *
 * <p>Covered: {@code pesto PATH} and every kind of change print exactly what they print against the reference pasta
 * 2026-07 for the same command lines (when it is there: {@code -Djpasta.ref2026=PATH}); a port added with
 * {@code -A} answers on both paths within 1 s, a deleted one refuses within 1 s and its open connections go on;
 * {@code -C} closes a table's listeners; {@code auto} ranges follow listening ports both ways; malformed,
 * truncated and stalled requests from a client of our own get pasta's answer (the connection closed) while the
 * loop carries on; the socket is 0600 and gone after exit.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PestoIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final Duration START = Duration.ofSeconds(20);
    private static final Duration SHORT = Duration.ofSeconds(15);
    private static final long IDLE_MS = 1500;
    /** Servers in pasta's namespace: each answers with "ns" and its port; 18070 echoes; UDP 18075 answers "udp". */
    private static final int P1 = 18080, P2 = 18081, AUTO_PORT = 18090, ECHO = 18070, HOST_PORT = 18100,
            UDP_PORT = 18075;
    private static final String NS_SCRIPT = """
            for p in %1$d %2$d %3$d; do
                socat TCP6-LISTEN:$p,ipv6only=0,reuseaddr,fork SYSTEM:"echo ns$p" &
            done
            socat TCP6-LISTEN:%4$d,ipv6only=0,reuseaddr,fork SYSTEM:cat &
            socat UDP6-RECVFROM:%7$d,ipv6only=0,reuseaddr,fork SYSTEM:"echo udp%7$d" &
            # through -T, once a rule lets it: the host's server on %5$d (bounded: 30 s), if the test wants it
            [ -e %6$s/want-T ] && (for i in $(seq 600); do r=$(socat -u TCP:127.0.0.1:%5$d - 2>/dev/null) && [ -n "$r" ] \
                && { echo "$r" > %6$s/got-T; break; }; sleep 0.05; done) &
            for i in $(seq 100); do ss -Htln | grep -q ":%4$d " && break; sleep 0.05; done
            touch %6$s/ns-ready
            wait
            """;

    private static Sandbox sb;
    private static String pasta, pesto;
    private static Optional<String> reference;
    private final List<Proc> procs = new ArrayList<>();
    private Path sock;
    private Path shared;

    @BeforeAll
    static void sandbox() {
        pesto = Sandbox.repo().resolve(System.getProperty("jpasta.pesto", "../shared/ref/pasta-2026-07/pesto"))
                .normalize().toString();
        Sandbox.require(Files.isExecutable(Path.of(pesto)), "pesto " + pesto + " is not there (-Djpasta.pesto=PATH)");
        pasta = Pasta.underTest();
        String ref = Sandbox.repo().resolve(System.getProperty("jpasta.ref2026", "../shared/ref/pasta-2026-07/pasta"))
                .normalize().toString();
        reference = Files.isExecutable(Path.of(ref)) ? Optional.of(ref) : Optional.empty();
        sb = SANDBOX.get();
    }

    @AfterEach
    void stop() throws IOException {
        for (Proc p : procs) {
            p.close();
        }
        procs.clear();
        if (shared != null) {
            try (var files = Files.list(shared)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    // ---- pesto shows and changes what it shows and changes against pasta ----

    @Test
    void pestoPrintsExactlyWhatItPrintsAgainstTheReference() throws Exception {
        if (reference.isEmpty()) {
            System.out.println("PestoIT: reference pasta 2026-07 not there (-Djpasta.ref2026=PATH): no comparison");
            return;
        }
        compare(List.of("-t", "18080", "-T", "18100", "-u", "5353"), List.of(List.of(), List.of("-s", "-A", "-t",
                "18081"), List.of("-s", "-D", "-t", "18080"), List.of("-s", "-C", "SPLICE"), List.of("-s", "-u",
                "6000", "-U", "6001"), List.of("-s", "-t", "18085-18095:19085-19095,~18090", "-T", "auto")));
        compare(List.of(), List.of(List.of(), List.of("-s", "-A", "-t", "20000-20010,auto")));
        compare(List.of("-4", "-t", "198.51.100.2%up0/18081", "-t", "18082-18084:19082-19084,~18083", "-u", "none",
                "-U", "5353", "-T", "none"), List.of(List.of(), List.of("-s", "-A", "-t", "7000-7002", "-U", "6000"),
                List.of("-s", "-C", "HOST")));
        compare(List.of("-6", "-t", "2001:db8:1::2/18080", "-u", "none", "-T", "none", "-U", "none"),
                List.of(List.of(), List.of("-s", "-A", "-t", "::1/18081")));
        // refused by pesto itself, from what the server showed it
        compare(List.of("-t", "18080", "-u", "none", "-T", "none", "-U", "none"), List.of(List.of("-A", "-t",
                "18080"), List.of("-C", "TAP"), List.of("-D", "-t", "9999"), List.of("-A", "-T", "127.0.0.1/5000")));
    }

    // ---- changes take effect at once, on both paths ----

    @Test
    void addedPortAnswersOnBothPathsWithinOneSecondAndDeletedPortRefuses() throws Exception {
        start("-t", "" + P1, "-u", "none", "-T", "none", "-U", "none");
        assertReach(true, P2, false, "-A", "-t", "" + P2);
        assertReach(true, P2, true, "-A", "-t", "" + (P2 + 1000)); // a change that keeps P2: still answering
        assertReach(false, P2, true, "-A", "-t", "" + (P2 + 2000));
        assertRefused(true, P2, "-D", "-t", "" + P2);
        assertRefused(false, P2, "-A", "-t", "" + (P2 + 3000));
        assertEquals("ns" + P1, connect(true, P1), "the other rule's listener stays");
        assertEquals("ns" + P1, connect(false, P1));
        assertEquals(show("  HOST", "    TCP [*]:" + P1 + "  =>  " + P1 + " ", "    TCP [*]:" + (P2 + 1000) + "  =>  "
                + (P2 + 1000) + " ", "    TCP [*]:" + (P2 + 2000) + "  =>  " + (P2 + 2000) + " ", "    TCP [*]:"
                + (P2 + 3000) + "  =>  " + (P2 + 3000) + " ", "  SPLICE"), pesto().out());
    }

    @Test
    void addedUdpPortAnswersOnBothPathsAndDeletedPortGoesQuiet() throws Exception {
        start("-t", "none", "-u", "none", "-T", "none", "-U", "none");
        assertEquals("", datagram(true, UDP_PORT), "no -u rule yet");
        assertEquals(0, pesto("-A", "-u", "" + UDP_PORT).exit());
        assertEquals("udp" + UDP_PORT, datagram(true, UDP_PORT), "spliced");
        assertEquals("udp" + UDP_PORT, datagram(false, UDP_PORT), "through the tap");
        assertEquals(0, pesto("-D", "-u", "" + UDP_PORT).exit());
        assertEquals("", datagram(true, UDP_PORT), "the listener is gone");
        assertEquals("", datagram(false, UDP_PORT));
    }

    /**
     * Sends one datagram to {@code port} (over the host's loopback, or from the remote namespace to 198.51.100.2),
     * up to 5 times 0.3 s apart until one is answered. @return the answer, or "" if none came
     */
    private String datagram(boolean loopback, int port) {
        String script = "for i in 1 2 3 4 5; do r=$(echo x | socat -T 0.3 - UDP:" + (loopback ? "127.0.0.1"
                : "198.51.100.2") + ":" + port + " 2>/dev/null); [ -n \"$r\" ] && break; done; echo \"$r\"";
        Proc.Result r = loopback ? sb.user(SHORT, "udp", "sh", "-c", script)
                : sb.root(SHORT, "udp", sb.asRoot("remote", "sh", "-c", script));
        assertEquals(0, r.exit(), r.describe());
        return r.out().strip();
    }

    @Test
    void openConnectionsGoOnAfterTheirRuleIsDeleted() throws Exception {
        start("-t", "" + ECHO, "-u", "none", "-T", "none", "-U", "none");
        for (boolean loopback : new boolean[] {true, false}) {
            if (!loopback) {
                Proc.Result added = pesto("-A", "-t", "" + ECHO);
                assertEquals(0, added.exit(), added.describe());
                // pesto sends the tables and goes: the server applies them when its loop reads them, within 1 s
                Proc.Result hi = sb.root(SHORT, "echo-check", sb.asRoot("remote", "sh", "-c", "for i in $(seq 100); do "
                        + "r=$(echo hi | socat -t 2 - TCP:198.51.100.2:" + ECHO + " 2>/dev/null); [ \"$r\" = hi ] "
                        + "&& break; sleep 0.01; done; echo \"$r\""));
                assertEquals("hi\n", hi.out(), "the rule added back answers on the tap path:" + hi.describe());
            }
            String client = "{ echo one; sleep 2; echo two; } | socat -t 5 - TCP:" + (loopback ? "127.0.0.1"
                    : "198.51.100.2") + ":" + ECHO;
            // the rule goes once the connection carried "one" (bounded: 5 s), while "two" is still to come
            String script = "(" + client + ") > /tmp/echo-$$ & c=$!; i=0; while [ $i -lt 100 ] && ! grep -q one "
                    + "/tmp/echo-$$; do sleep 0.05; i=$((i + 1)); done; " + pestoCmd(!loopback) + " -D -t " + ECHO
                    + " " + sock + "; wait $c; cat /tmp/echo-$$; rm -f /tmp/echo-$$";
            Proc.Result r = loopback ? sb.user(SHORT, "echo", "sh", "-c", script)
                    : sb.root(SHORT, "echo", sb.asRoot("remote", "sh", "-c", script));
            assertEquals("one\ntwo\n", r.out(), (loopback ? "spliced" : "tap") + r.describe());
            assertEquals("refused", connect(loopback, ECHO), "the listener is gone");
        }
    }

    @Test
    void clearingATableClosesItsListeners() throws Exception {
        start("-t", P1 + "," + P2, "-u", "none", "-T", "none", "-U", "none");
        assertEquals("ns" + P2, connect(true, P2));
        Proc.Result r = pesto("-C", "HOST");
        assertEquals(0, r.exit(), r.describe());
        assertRefused(true, P1);
        assertRefused(false, P2);
        assertEquals(show("  HOST", "  SPLICE"), pesto().out());
    }

    @Test
    void autoRangesFollowListeningPortsBothWays() throws Exception {
        shared = sb.userDir("shared");
        Files.writeString(shared.resolve("want-T"), "");
        start("-t", "none", "-u", "none", "-T", "none", "-U", "none");
        assertEquals("refused", connect(true, AUTO_PORT));
        assertReach(true, AUTO_PORT, false, "-A", "-t", (AUTO_PORT - 5) + "-" + (AUTO_PORT + 5) + ",auto");
        assertEquals("refused", connect(true, AUTO_PORT + 1), "nothing listens there in the namespace");
        assertEquals("ns" + AUTO_PORT, connect(false, AUTO_PORT));
        // -T: the host's server, found by the scan, reached by the namespace's client
        Proc server = sb.startUser("host-server", "socat", "TCP-LISTEN:" + HOST_PORT + ",reuseaddr,fork",
                "SYSTEM:echo host" + HOST_PORT);
        procs.add(server);
        Proc.Result r = pesto("-s", "-A", "-T", (HOST_PORT - 5) + "-" + (HOST_PORT + 5) + ",auto");
        assertTrue(r.out().contains("    TCP [*]%lo:" + (HOST_PORT - 5) + "-" + (HOST_PORT + 5) + "  =>  "
                + (HOST_PORT - 5) + "-" + (HOST_PORT + 5) + "  (auto-scan)\n"), r.describe());
        Path got = shared.resolve("got-T");
        assertNotNull(Poll.until(SHORT, () -> Files.exists(got)), "the namespace never reached the host server");
        assertEquals("host" + HOST_PORT + "\n", Files.readString(got));
    }

    // ---- bad clients ----

    @Test
    void malformedAndTruncatedRequestsAreRefusedAndTheLoopCarriesOn() throws Exception {
        start("-t", "" + P1, "-u", "none", "-T", "none", "-U", "none");
        String before = pesto().out();
        byte[] rule = dualStackTcpRule(P2);
        List<byte[]> bad = List.of(
                new byte[] {2, 0, 0, 0, 0, 0}, // the tap's pif: no table
                concat(new byte[] {1, 0, 0, 1, 0}, rule), // 256 rules
                concat(new byte[] {1, 0, 0, 0, 1}, dualStackTcpRule(0), new byte[] {0}), // port 0
                concat(new byte[] {1, 0, 0, 0, 2}, rule, rule, new byte[] {0})); // a rule twice: conflict
        for (byte[] msg : bad) {
            try (SocketChannel c = client()) {
                readGreeting(c);
                c.write(ByteBuffer.wrap(msg));
                assertTrue(closedByServer(c), "the server must close the connection");
            }
        }
        try (SocketChannel c = client()) { // truncated: the rule stops half way and the client goes
            readGreeting(c);
            c.write(ByteBuffer.wrap(concat(new byte[] {1, 0, 0, 0, 1}, java.util.Arrays.copyOf(rule, 20))));
        }
        assertEquals(before, pesto().out(), "nothing changed");
        assertEquals("ns" + P1, connect(true, P1));
        assertEquals("ns" + P1, connect(false, P1));
        // and a good request from the same client code works
        try (SocketChannel c = client()) {
            readGreeting(c);
            c.write(ByteBuffer.wrap(concat(new byte[] {1, 0, 0, 0, 1}, rule, new byte[] {0})));
            assertTrue(closedByServer(c));
        }
        assertEquals("ns" + P2, connect(true, P2));
    }

    @Test
    void stalledClientIsClosedAfterTheIdleTimeoutWhileTheLoopServesConnections() throws Exception {
        start("-t", "" + P1, "-u", "none", "-T", "none", "-U", "none");
        try (SocketChannel stalled = client()) {
            readGreeting(stalled);
            stalled.write(ByteBuffer.wrap(new byte[] {1, 0, 0})); // and then nothing
            long t0 = System.nanoTime();
            Proc waiting = sb.startUser("pesto-waiting", pesto, sock.toString());
            procs.add(waiting);
            assertEquals("ns" + P1, connect(true, P1), "the loop goes on while a client stalls");
            Proc.Result r = waiting.await(SHORT);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, r.exit(), r.describe());
            assertTrue(ms >= IDLE_MS - 300, "the next client waits for the stalled one: " + ms + " ms");
            assertTrue(closedByServer(stalled), "the stalled client was closed");
        }
    }

    // ---- the socket file ----

    @Test
    void socketIsPrivateToTheUserAndRemovedAtExit() throws Exception {
        Proc p = start("-t", "none", "-u", "none", "-T", "none", "-U", "none");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
        assertEquals(Sandbox.TEST_USER, Files.getOwner(sock).getName());
        p.signal("TERM");
        Proc.Result r = p.await(SHORT);
        assertEquals(0, r.exit(), r.describe());
        assertTrue(r.err().contains("UNIX domain socket bound at " + sock), r.describe());
        assertTrue(Files.notExists(sock), "socket file left behind");
    }

    // ---- helpers ----

    /** Starts pasta with {@code opts} and {@code -c}, the namespace's servers as its command; waits for both. */
    private Proc start(String... opts) throws IOException {
        shared = sb.userDir("shared");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        sock = sb.userDir("ctl").resolve("pesto.sock");
        Path script = shared.resolve("ns.sh");
        Files.writeString(script, NS_SCRIPT.formatted(P1, P2, AUTO_PORT, ECHO, HOST_PORT, shared, UDP_PORT));
        List<String> argv = new ArrayList<>(List.of("env", "JPASTA_JAVA_OPTS=-Djpasta.control.idleMs=" + IDLE_MS,
                pasta, "--config-net", "-c", sock.toString()));
        argv.addAll(List.of(opts));
        argv.addAll(List.of("--", "sh", script.toString()));
        Proc p = sb.startUser("pasta", argv.toArray(String[]::new));
        procs.add(p);
        Path ready = shared.resolve("ns-ready");
        if (Poll.until(START, () -> Files.exists(ready) && Files.exists(sock) || !p.isAlive()) == null
                || !p.isAlive()) {
            fail("pasta did not come up" + p.await(Duration.ZERO).describe());
        }
        return p;
    }

    /** Runs pesto with {@code args} and the socket path, as the test user. */
    private Proc.Result pesto(String... args) {
        List<String> argv = new ArrayList<>(List.of(pesto));
        argv.addAll(List.of(args));
        argv.add(sock.toString());
        return sb.user(SHORT, "pesto", argv.toArray(String[]::new));
    }

    /** @return how a shell in the host (user) or remote (root) namespace runs pesto as the test user */
    private String pestoCmd(boolean remote) {
        return remote ? "runuser -u " + Sandbox.TEST_USER + " -- " + pesto : pesto;
    }

    /** @return what pesto shows for these lines under its header */
    private String show(String... lines) {
        return "passt/pasta configuration (" + sock + ")\n" + String.join("\n", lines) + "\n";
    }

    /**
     * Runs pesto with {@code args}, then connects at once to {@code port} (over the host's loopback, or from the
     * remote namespace to 198.51.100.2) until it answers, and checks it answered within 1 s.
     *
     * @param already true if the port answered before the change too
     */
    private void assertReach(boolean loopback, int port, boolean already, String... args) {
        String r = changeThenConnect(loopback, port, "[ $rc -eq 0 ] && [ -n \"$r\" ]", args);
        assertTrue(r.startsWith("ns" + port + "\n"), (loopback ? "spliced" : "tap") + " port " + port + ": " + r);
        assertTrue(ms(r) < 1000, "answered only after " + ms(r) + " ms" + (already ? " (it answered before)" : ""));
    }

    /** Like {@link #assertReach}, for a port that must refuse within 1 s after the change. */
    private void assertRefused(boolean loopback, int port, String... args) {
        String r = changeThenConnect(loopback, port, "echo \"$r\" | grep -q 'Connection refused'", args);
        assertTrue(r.contains("Connection refused"), (loopback ? "spliced" : "tap") + " port " + port + ": " + r);
        assertTrue(ms(r) < 1000, "refused only after " + ms(r) + " ms");
    }

    private String changeThenConnect(boolean loopback, int port, String until, String... args) {
        String change = args.length == 0 ? "true" : pestoCmd(!loopback) + " " + String.join(" ", args) + " " + sock;
        String script = change + " || { echo pesto failed; exit 3; }\n"
                + "t0=$(date +%s%N); i=0\n"
                + "while [ $i -lt 200 ]; do\n"
                + "  r=$(socat -T 2 -u TCP:" + (loopback ? "127.0.0.1" : "198.51.100.2") + ":" + port
                + ",connect-timeout=1 - 2>&1); rc=$?\n"
                + "  " + until + " && break\n"
                + "  i=$((i + 1)); sleep 0.01\n"
                + "done\n"
                + "echo \"$r\"; echo \"ms=$(( ($(date +%s%N) - t0) / 1000000 )) tries=$i\"\n";
        Proc.Result r = loopback ? sb.user(SHORT, "reach", "sh", "-c", script)
                : sb.root(SHORT, "reach", sb.asRoot("remote", "sh", "-c", script));
        assertEquals(0, r.exit(), r.describe());
        return r.out();
    }

    private static long ms(String out) {
        int at = out.lastIndexOf("ms=");
        return Long.parseLong(out.substring(at + 3, out.indexOf(' ', at)));
    }

    /** @return the answer of the server at {@code port}, "refused", or what went wrong */
    private String connect(boolean loopback, int port) {
        String host = loopback ? "127.0.0.1" : "198.51.100.2";
        String script = "socat -T 2 -u TCP:" + host + ":" + port + ",connect-timeout=2 - 2>&1";
        Proc.Result r = loopback ? sb.user(SHORT, "connect", "sh", "-c", script)
                : sb.root(SHORT, "connect", sb.asRoot("remote", "sh", "-c", script));
        return r.out().contains("Connection refused") ? "refused" : r.out().strip();
    }

    /**
     * Runs pasta {@code opts} with the reference and with the pasta under test, and the same pesto commands against
     * each; the outputs (status, stdout, stderr) must be identical.
     */
    private void compare(List<String> opts, List<List<String>> commands) throws IOException {
        String ours = transcript(pasta, opts, commands);
        String theirs = transcript(reference.orElseThrow(), opts, commands);
        assertEquals(theirs, ours, "pesto against " + opts);
    }

    private String transcript(String server, List<String> opts, List<List<String>> commands) throws IOException {
        sock = sb.userDir("ctl").resolve("pesto.sock");
        Files.deleteIfExists(sock);
        List<String> argv = new ArrayList<>(List.of(server, "--config-net", "-c", sock.toString()));
        argv.addAll(opts);
        argv.addAll(List.of("--", "sleep", "60"));
        Proc p = sb.startUser("server", argv.toArray(String[]::new));
        procs.add(p);
        // the reference binds early and listens later: wait until pesto gets an answer
        assertNotNull(Poll.until(START, () -> pesto().exit() == 0 || !p.isAlive()), "no answer from " + server);
        StringBuilder sb2 = new StringBuilder();
        for (List<String> c : commands) {
            Proc.Result r = pesto(c.toArray(String[]::new));
            sb2.append("$ pesto ").append(String.join(" ", c)).append("\n").append(r.out()).append(r.err())
                    .append("exit ").append(r.exit()).append('\n');
        }
        p.close();
        procs.remove(p);
        return sb2.toString();
    }

    private SocketChannel client() throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(sock));
        return c;
    }

    /** Reads the hello and the tables up to the end mark, checking the magic and version. */
    private static void readGreeting(SocketChannel c) throws IOException {
        ByteBuffer hello = readFully(c, 20);
        assertEquals("basil:s", new String(hello.array(), 0, 7, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(2, hello.getInt(8));
        for (int pif = readFully(c, 1).get(0); pif != 0; pif = readFully(c, 1).get(0)) {
            int count = readFully(c, 136).getInt(132);
            readFully(c, count * 56);
        }
    }

    private static ByteBuffer readFully(SocketChannel c, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                throw new IOException("EOF after " + b.position() + " of " + n + " bytes");
            }
        }
        return b;
    }

    /** @return true if the server closed the connection (EOF, or a reset for what it left unread) within 5 s */
    private static boolean closedByServer(SocketChannel c) {
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(5000);
                c.close(); // unblocks the read below: the server did not close in time
            } catch (InterruptedException | IOException e) {
                // the read returned first
            }
        });
        try {
            return c.read(ByteBuffer.allocate(1)) < 0;
        } catch (IOException e) {
            // a reset by the server, unless it is the watchdog's close
            return !(e instanceof java.nio.channels.AsynchronousCloseException);
        } finally {
            watchdog.interrupt();
        }
    }

    /** @return the wire image of a TCP rule for {@code port} on any address of both families */
    private static byte[] dualStackTcpRule(int port) {
        ByteBuffer r = ByteBuffer.allocate(56);
        r.position(48);
        r.putShort((short) port).putShort((short) port).putShort((short) port).put((byte) 6).put((byte) 1);
        return r.array();
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }
}
