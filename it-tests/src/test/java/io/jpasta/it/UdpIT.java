package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * UDP through the built {@code pasta}, end to end, in the sandbox ({@code scripts/sandbox}): DNS through
 * {@code --dns-forward} and through the sandbox's own resolver configuration (dnsmasq on the remote network or on
 * the host's loopback, never the machine's resolver), request/response with the source port kept, 100 000 requests
 * with none lost, 10 MiB each way in 1400- and 65000-byte datagrams with every datagram checked, {@code -u} and
 * {@code -U} with ranges, mappings and {@code auto}, ICMP port unreachable reaching the client, and flow expiry
 * closing the host socket. The peers are {@code udp-peer.py} (a test resource) and real clients (dig, getent,
 * socat); every server ends by itself after seconds without traffic and is killed with its group at the end.
 */
@SuppressWarnings("try") // servers are try-with-resources for their cleanup; the bodies talk to them by address
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UdpIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final Duration RUN = Duration.ofSeconds(60);
    private static final Duration READY = Duration.ofSeconds(10);
    private static final String REMOTE4 = "198.51.100.200", REMOTE6 = "2001:db8:2::10";
    private static final int MIB10 = 10 << 20;

    private Sandbox sb;
    private String pasta;
    private Path dir;
    private String tool;
    private final AtomicInteger ready = new AtomicInteger();
    private final List<Proc> servers = new ArrayList<>();

    @BeforeAll
    void setUp() throws IOException {
        pasta = Pasta.underTest();
        sb = SANDBOX.get();
        dir = sb.userDir("udp");
        Path py = dir.resolve("udp-peer.py");
        try (InputStream in = UdpIT.class.getResourceAsStream("/it/udp-peer.py")) {
            Files.copy(in, py, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(py, PosixFilePermissions.fromString("rwxr-xr-x"));
        tool = py.toString();
        sb.onClose(() -> servers.forEach(Proc::close));
    }

    /**
     * Starts a udp-peer.py server and waits until it is bound.
     *
     * @param where "remote" or "host" (root there), or "user" (the test user in the host namespace)
     */
    private Proc server(String where, String mode, String addrs, int port) {
        Path flag = dir.resolve("ready-" + ready.incrementAndGet());
        String[] argv = {"python3", tool, mode, addrs, Integer.toString(port), "15", flag.toString()};
        Proc p = where.equals("user") ? sb.startUser(mode + port, argv) : sb.startRoot(where, mode + port, argv);
        servers.add(p);
        if (Poll.until(READY, () -> Files.exists(flag) || !p.isAlive()) == null || !Files.exists(flag)) {
            fail("server " + mode + " on " + addrs + " port " + port + " never bound:" + p.await(Duration.ZERO)
                    .describe());
        }
        return p;
    }

    /** Runs {@code sh -c script} as the command of a pasta with {@code options}, as the test user. */
    private Proc.Result inNs(String script, String... options) {
        List<String> argv = new ArrayList<>(List.of(pasta, "--config-net"));
        argv.addAll(List.of(options));
        argv.addAll(List.of("--", "sh", "-c", script));
        return sb.user(RUN, "pasta", argv.toArray(String[]::new));
    }

    /**
     * A dnsmasq answering example.test with 203.0.113.7 and 2001:db8:3::7, and NXDOMAIN for any other name under
     * .test, as root in {@code where}.
     */
    private Proc dnsmasq(String where, String... listen) {
        List<String> argv = new ArrayList<>(List.of("dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
                "--conf-file=/dev/null", "--pid-file=", "--bind-interfaces", "--log-queries", "--log-facility=-",
                "--host-record=example.test,203.0.113.7,2001:db8:3::7", "--local=/test/"));
        for (String a : listen) {
            argv.add("--listen-address=" + a);
        }
        Proc p = sb.startRoot(where, "dnsmasq", argv.toArray(String[]::new));
        servers.add(p);
        String probe = "dig +short +time=1 +tries=1 @" + listen[0] + " example.test A";
        Duration up = Poll.until(READY, () -> !p.isAlive()
                || sb.root(Duration.ofSeconds(5), "probe", sb.asRoot(where, "sh", "-c", probe)).out()
                .contains("203.0.113.7"));
        assertTrue(up != null && p.isAlive(), () -> "dnsmasq did not answer:" + p.await(Duration.ZERO).describe());
        return p;
    }

    // ---- DNS ----

    @Test
    void dnsForwardAnswersQueriesOfBothFamilies() {
        try (Proc dns = dnsmasq("remote", REMOTE4, REMOTE6)) {
            Proc.Result r = inNs("dig +short +time=2 +tries=1 @169.254.1.1 example.test A;"
                    + " dig +short +time=2 +tries=1 @2001:db8:9::53 example.test AAAA",
                    "--dns-forward", "169.254.1.1", "--dns-forward", "2001:db8:9::53");
            assertEquals(0, r.exit(), r.describe());
            assertEquals(List.of("203.0.113.7", "2001:db8:3::7"), r.out().lines().toList(), r.describe());
        }
    }

    @Test
    void getentResolvesThroughTheHostsResolverAndNxdomainIsFast() {
        try (Proc dns = dnsmasq("remote", REMOTE4, REMOTE6)) {
            Proc.Result r = inNs("getent ahostsv4 example.test | head -n 1; getent hosts example.test;"
                    + " t0=$(date +%s%N); getent hosts nosuch.example.test; echo \"rc=$? ms=$((($(date +%s%N) - t0)"
                    + " / 1000000))\"");
            assertEquals(0, r.exit(), r.describe());
            List<String> lines = r.out().lines().toList();
            assertTrue(lines.get(0).startsWith("203.0.113.7"), r.describe());
            assertTrue(lines.get(1).startsWith("2001:db8:3::7"), r.describe());
            String last = lines.getLast();
            assertTrue(last.startsWith("rc=2 "), "a missing name is NXDOMAIN (exit 2):" + r.describe());
            long ms = Long.parseLong(last.substring(last.indexOf("ms=") + 3));
            assertTrue(ms < 2000, "NXDOMAIN took " + ms + " ms");
            System.out.println("NXDOMAIN answered in " + ms + " ms");
        }
    }

    @Test
    void aLoopbackResolverOfTheHostIsReachedThroughDnsForwardAndTheGateway() throws Exception {
        try (AutoCloseable conf = sb.resolvConf("nameserver 127.0.0.53\n");
             Proc dns = dnsmasq("host", "127.0.0.53")) {
            Proc.Result fwd = inNs("dig +short +time=2 +tries=1 @169.254.1.1 example.test A",
                    "--dns-forward", "169.254.1.1");
            assertEquals(List.of("203.0.113.7"), fwd.out().lines().toList(), fwd.describe());
            // without --dns-forward, DNS to the gateway reaches the host's resolver at its loopback address
            Proc.Result gw = inNs("dig +short +time=2 +tries=1 @198.51.100.1 example.test AAAA");
            assertEquals(List.of("2001:db8:3::7"), gw.out().lines().toList(), gw.describe());
            assertTrue(dns.isAlive(), "dnsmasq served both");
        }
    }

    // ---- flows from the namespace ----

    @Test
    void theRemoteSeesTheGuestsAddressAndSourcePort() {
        try (Proc echo = server("remote", "echo", REMOTE4 + "," + REMOTE6, 7010)) {
            Proc.Result r = inNs("echo hi | socat -t2 - UDP4:" + REMOTE4 + ":7010,sourceport=40123;"
                    + " echo hi6 | socat -t2 - UDP6:[" + REMOTE6 + "]:7010,sourceport=40124");
            assertEquals(0, r.exit(), r.describe());
            assertEquals(List.of("from 198.51.100.2:40123 hi", "from 2001:db8:1::2:40124 hi6"),
                    r.out().lines().toList(), r.describe());
        }
    }

    @Test
    void aHundredThousandRequestsGetTheirAnswersWithNoneLost() {
        try (Proc echo = server("remote", "echo", REMOTE4, 7011)) {
            Proc.Result r = inNs("python3 " + tool + " rr " + REMOTE4 + " 7011 100000 16");
            assertEquals(0, r.exit(), r.describe());
            assertTrue(r.out().contains("answered 100000 resent 0 bad 0"), "none lost:" + r.describe());
        }
    }

    @Test
    void tenMebibytesEachWayInSmallDatagramsArriveIntact() {
        bulk(REMOTE4, 1400);
    }

    @Test
    void tenMebibytesEachWayInLargeDatagramsArriveIntact() {
        bulk(REMOTE4, 65000);
    }

    @Test
    void largeIpv6DatagramsArriveIntactBothWays() {
        bulk(REMOTE6, 65000);
    }

    /** 10 MiB from the namespace to a sink and 10 MiB from a source to the namespace, every datagram checked. */
    private void bulk(String remote, int size) {
        try (Proc sink = server("remote", "sink", remote, 7020);
             Proc source = server("remote", "source", remote, 7021)) {
            Proc.Result r = inNs("python3 " + tool + " push " + remote + " 7020 " + MIB10 + " " + size
                    + " && python3 " + tool + " pull " + remote + " 7021 " + MIB10 + " " + size);
            assertEquals(0, r.exit(), r.describe());
            int count = (MIB10 + size - 1) / size;
            assertTrue(r.out().contains("push datagrams " + count + " "), r.describe());
            assertTrue(r.out().contains("pull datagrams " + count + " "), r.describe());
            System.out.println("UDP " + size + "-byte datagrams to/from " + remote + ": " + r.out().strip()
                    .replace('\n', ';'));
        }
    }

    @Test
    void aClosedPortIsReportedAsConnectionRefused() {
        Proc.Result r = inNs("echo x | socat -t3 - UDP4:" + REMOTE4 + ":7999; echo rc4=$?;"
                + " echo x | socat -t3 - UDP6:[" + REMOTE6 + "]:7999; echo rc6=$?");
        assertTrue(r.out().contains("rc4=1") && r.out().contains("rc6=1"), r.describe());
        assertEquals(2, r.err().lines().filter(l -> l.contains("Connection refused")).count(),
                "both clients learn it from the ICMP error, at once:" + r.describe());
        assertTrue(r.took().toMillis() < 3000, "refused without waiting for a timeout:" + r.describe());
    }

    @Test
    void anIdleFlowExpiresAndItsHostSocketCloses() {
        try (Proc echo = server("remote", "echo", REMOTE4, 7012)) {
            List<String> argv = List.of("env", "JPASTA_JAVA_OPTS=-Djpasta.udp.idleSeconds=1", pasta,
                    "--config-net", "--", "sh", "-c", "echo x | socat -t1 - UDP4:" + REMOTE4
                            + ":7012,sourceport=40777; sleep 6");
            try (Proc p = sb.startUser("expiry", argv.toArray(String[]::new))) {
                String ss = "ss -Hun 'sport = :40777'";
                Duration open = Poll.until(READY, () -> !hostRoot(ss).isBlank());
                assertNotNull(open, "the flow's host socket never appeared");
                Duration gone = Poll.until(Duration.ofSeconds(4), () -> hostRoot(ss).isBlank());
                assertNotNull(gone, "the host socket of an idle flow stays open: " + hostRoot(ss));
                assertEquals(0, p.await(RUN).exit());
            }
        }
    }

    private String hostRoot(String script) {
        return sb.root(Duration.ofSeconds(5), "ss", sb.asRoot("host", "sh", "-c", script)).out();
    }

    // ---- forwarding ----

    @Test
    void udpPortsForwardWithRangesAndMappingsKeepingThePeersAddress() {
        Path r0 = dir.resolve("fwd0"), r1 = dir.resolve("fwd1");
        String script = "python3 " + tool + " echo 0.0.0.0,:: 6000 5 " + r0 + " & python3 " + tool
                + " echo 0.0.0.0,:: 6001 5 " + r1 + " & wait";
        try (Proc p = sb.startUser("pasta-u", pasta, "--config-net", "-u", "5000-5001:6000-6001", "--", "sh", "-c",
                script)) {
            assertNotNull(Poll.until(READY, () -> Files.exists(r0) && Files.exists(r1)), "servers never bound");
            assertEquals("from 198.51.100.200:41001 a", ask("remote", "UDP4:198.51.100.2:5001,bind="
                    + REMOTE4 + ":41001", "a"), "the remote's address and port are kept");
            assertEquals("from 2001:db8:2::10:41002 b", ask("remote", "UDP6:[2001:db8:1::2]:5000,bind=["
                    + REMOTE6 + "]:41002", "b"));
            assertEquals("from 127.0.0.1:41003 c", ask("user", "UDP4:127.0.0.1:5000,sourceport=41003", "c"),
                    "a loopback client is spliced to the namespace's loopback, source port kept");
            assertEquals("from ::1:41004 d", ask("user", "UDP6:[::1]:5001,sourceport=41004", "d"));
            p.await(RUN);
        }
    }

    @Test
    void namespaceToHostForwardingKeepsTheSourcePort() {
        try (Proc explicit = server("user", "echo", "127.0.0.1,::1", 7100)) {
            Proc.Result r = inNs("echo a | socat -t1 - UDP4:127.0.0.1:7100,sourceport=41010;"
                    + " echo b | socat -t1 - UDP6:[::1]:7100,sourceport=41013", "-U", "7100");
            assertEquals(List.of("from 127.0.0.1:41010 a", "from ::1:41013 b"), r.out().lines().toList(),
                    r.describe());
            assertTrue(explicit.isAlive());
        }
    }

    @Test
    void autoForwardsWhatEitherSideBinds() {
        try (Proc hostSide = server("user", "echo", "127.0.0.1", 7101)) {
            Path r = dir.resolve("auto-ns");
            // -U auto (the default) found 7101 bound on the host at start; the guest binds 6100 for -u auto
            String script = "echo c | socat -t1 - UDP4:127.0.0.1:7101,sourceport=41011;"
                    + " python3 " + tool + " echo 127.0.0.1 6100 4 " + r;
            try (Proc p = sb.startUser("pasta-auto", pasta, "--config-net", "--", "sh", "-c", script)) {
                assertNotNull(Poll.until(READY, () -> Files.exists(r) || !p.isAlive()), "never got to auto -u");
                String[] got = {""};
                // the namespace is scanned once a second: the host's listener follows within about that
                Duration took = Poll.until(Duration.ofSeconds(3), () -> (got[0] = ask("user",
                        "UDP4:127.0.0.1:6100,sourceport=41012", "d")).startsWith("from"));
                assertEquals("from 127.0.0.1:41012 d", got[0], "-u auto follows the port the namespace bound");
                System.out.println("-u auto forwarded a newly bound port after " + took.toMillis() + " ms");
                Proc.Result res = p.await(RUN);
                assertEquals("from 127.0.0.1:41011 c", res.out().lines().findFirst().orElse(""),
                        "-U auto forwards what the host bound:" + res.describe());
            }
        }
    }

    /** Sends {@code text} with socat from {@code where} ("remote" as root, "user" in the host namespace). */
    private String ask(String where, String address, String text) {
        String script = "echo " + text + " | socat -t1 - " + address;
        Proc.Result r = where.equals("user") ? sb.user(Duration.ofSeconds(10), "ask", "sh", "-c", script)
                : sb.root(Duration.ofSeconds(10), "ask", sb.asRoot(where, "sh", "-c", script));
        return r.out().strip();
    }

    @Test
    void noUdpDropsTheGuestsDatagrams() {
        try (Proc echo = server("remote", "echo", REMOTE4, 7013)) {
            Proc.Result r = inNs("echo x | socat -t1 - UDP4:" + REMOTE4 + ":7013; echo rc=$?", "--no-udp");
            assertTrue(r.out().strip().endsWith("rc=0") && !r.out().contains("from"), "no answer:" + r.describe());
            assertNotEquals(-1, r.exit());
        }
    }
}
