package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Podman as jpasta's first client: real rootless podman 5.4 ({@code scripts/podman-env}, a Debian 13 root
 * filesystem entered in the sandbox's host namespace) with the built jpasta as its pasta. Each test starts
 * containers the way a podman user does and checks what the container and its peers see: the host's addresses and
 * routes, pasta's MTU and lo up, published TCP and UDP ports through both paths (loopback clients spliced, remote
 * clients through the tap with their address, 10 MiB checked with SHA-256), outbound TCP, UDP and ping, DNS through
 * 169.254.1.1 to the sandbox's resolver, host.containers.internal, {@code pasta:-T}, a bridge network's
 * rootless-netns, pasta ending with its container, {@code podman info}, and a bad pasta option. Each names the
 * process of the pasta under test that served it (by the namespace path podman gave it, or the program name in
 * pasta's messages), so a test cannot pass on another pasta. One test drives podman through its Docker-compatible
 * API with Testcontainers.
 *
 * <p>Podman and its pasta run in the sandbox's host namespace, not in the test JVM's, so every client of a published
 * port runs there too ({@code scripts/sandbox exec}: the test user on the host side, root on the remote network),
 * and Testcontainers talks to podman's API over a unix socket, which needs no network.
 *
 * <p>{@code -Djpasta.podman.pasta=DIR} runs the same tests with DIR/pasta as podman's pasta (the reference build
 * in {@code shared/ref/pasta-2026-07}): what proves a test right, independently of jpasta.
 */
@SuppressWarnings("try") // servers are try-with-resources for their cleanup
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PodmanIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final Duration SHORT = Duration.ofSeconds(30);
    private static final int SIZE = 10 << 20;

    private Sandbox sb;
    private Podman podman;
    private Path payload;
    private String payloadSha;
    private String tool;
    private final List<Proc> servers = new ArrayList<>();
    private int names;

    @BeforeAll
    void setUp() throws Exception {
        sb = SANDBOX.get();
        podman = Podman.start(sb);
        sb.onClose(() -> servers.forEach(Proc::close));
        Path dir = sb.userDir("podman");
        byte[] b = new byte[SIZE];
        new Random(7).nextBytes(b);
        payload = dir.resolve("payload.bin");
        Files.write(payload, b);
        Files.setPosixFilePermissions(payload, PosixFilePermissions.fromString("rw-r--r--"));
        payloadSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        Path py = dir.resolve("udp-peer.py");
        try (InputStream in = PodmanIT.class.getResourceAsStream("/it/udp-peer.py")) {
            Files.copy(in, py, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(py, PosixFilePermissions.fromString("rwxr-xr-x"));
        tool = py.toString();
    }

    /** Starts {@code cmd} in a detached container; @return its name, after checking that the pasta under test serves it */
    private String detached(String network, List<String> options, String... cmd) {
        String name = "c" + (++names);
        List<String> argv = new ArrayList<>(List.of("run", "-d", "--name", name, "--network", network));
        argv.addAll(options);
        argv.add(Podman.IMAGE);
        argv.addAll(List.of(cmd));
        Proc.Result r = podman.cli(argv.toArray(String[]::new));
        assertEquals(0, r.exit(), "podman run -d failed:" + r.describe());
        assertTrue(pastaOf(name) > 0, "no process of " + podman.pasta() + " serves " + name + "'s namespace "
                + netns(name));
        return name;
    }

    /** Runs {@code script} with sh in a container on {@code network} that the pasta under test serves. */
    private Proc.Result inContainer(String network, String script) {
        String c = detached(network, List.of(), "sleep", "120");
        Proc.Result r = podman.cli("exec", c, "sh", "-c", script);
        podman.cli("rm", "-f", "-t", "0", c);
        return r;
    }

    private String netns(String container) {
        return podman.cli("inspect", "--format", "{{.NetworkSettings.SandboxKey}}", container).out().strip();
    }

    /** @return the pid of the pasta under test that serves {@code container}'s network namespace, or -1 */
    private long pastaOf(String container) {
        String ns = netns(container);
        return ns.isEmpty() ? -1 : podman.serving(ns);
    }

    private Proc.Result userSh(String script) {
        return sb.user(SHORT, "client", "sh", "-c", script);
    }

    private Proc.Result remoteSh(String script) {
        return sb.root(SHORT, "remote-client", sb.asRoot("remote", "sh", "-c", script));
    }

    // ---- the container's network ----

    @Test
    void theContainerHasTheHostsAddressesAndRoutesJpastasMtuAndLoopbackUp() {
        String view = "ip -o addr show dev up0 scope global; ip route show default; ip -6 route show default";
        Proc.Result host = sb.root(SHORT, "host-view", sb.asRoot("host", "sh", "-c", view));
        String c = detached("pasta", List.of(), "sleep", "60");
        Proc.Result r = podman.cli("exec", c, "sh", "-c", view + "; ip -o link");
        assertEquals(0, r.exit(), r.describe());
        List<String> hostFacts = addressesAndGateways(host.out());
        assertTrue(hostFacts.containsAll(List.of("198.51.100.2/30", "2001:db8:1::2/64", "via 198.51.100.1",
                "via 2001:db8:1::1")), "the sandbox host's view: " + host.describe());
        assertEquals(hostFacts, addressesAndGateways(r.out()), "the container's addresses and default routes");
        // pasta's default MTU (65520), not the host's: the tap carries up to 64 KiB frames (podman's "Default MTU")
        assertTrue(r.out().lines().anyMatch(l -> l.contains(": up0:") && l.contains("mtu 65520")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains(": lo:") && l.contains("UP")), "lo is up: " + r.out());
        podman.cli("rm", "-f", "-t", "0", c);
    }

    /** @return the global addresses ("198.51.100.2/30") and default gateways ("via 198.51.100.1") in {@code ip} output */
    private static List<String> addressesAndGateways(String ipOutput) {
        List<String> facts = new ArrayList<>();
        Matcher m = Pattern.compile("inet6? (\\S+) .*scope global|^default (via \\S+)", Pattern.MULTILINE)
                .matcher(ipOutput);
        while (m.find()) {
            facts.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        return facts;
    }

    // ---- published ports ----

    @Test
    void publishedTcpPortsCarryTenMebibytesThroughBothPaths() {
        String sha = "socat -t 20 -T 20 TCP6-LISTEN:%d,ipv6only=0,fork,reuseaddr SYSTEM:sha256sum";
        String c = detached("pasta", List.of("-p", "8080-8081:80-81", "-p", "[::1]:8082:80"), "sh", "-c",
                String.format(sha, 80) + " & " + String.format(sha, 81) + " & wait");
        String want = payloadSha + "  -";
        assertNotNull(Poll.until(Duration.ofSeconds(10), () -> userSh("socat -t 10 - TCP:127.0.0.1:8080 < " + payload)
                .out().strip().equals(want)), "loopback client (spliced) through 8080");
        assertEquals(want, remoteSh("socat -t 10 - TCP:198.51.100.2:8081,bind=198.51.100.200 < " + payload).out()
                .strip(), "remote client (tap path) through the second port of the range");
        assertEquals(want, userSh("socat -t 10 - TCP6:[::1]:8082 < " + payload).out().strip(), "[::1]:8082");
        podman.cli("rm", "-f", "-t", "0", c);
    }

    @Test
    void publishedUdpPortsAnswerThroughBothPaths() {
        String c = detached("pasta", List.of("-p", "127.0.0.1:8083:80/udp", "-p", "8084:80/udp"), "socat", "-T",
                "60", "UDP-RECVFROM:80,fork", "SYSTEM:echo from-container");
        assertNotNull(Poll.until(Duration.ofSeconds(10), () -> userSh("echo x | socat -t 2 - UDP:127.0.0.1:8083")
                .out().contains("from-container")), "loopback client through 127.0.0.1:8083/udp");
        assertNotNull(Poll.until(Duration.ofSeconds(10), () -> remoteSh("echo x | socat -t 2 - UDP:198.51.100.2:8084,"
                + "bind=198.51.100.200").out().contains("from-container")), "remote client through 8084/udp");
        podman.cli("rm", "-f", "-t", "0", c);
    }

    // ---- from the container ----

    @Test
    void theContainerReachesTheRemoteNetworkOverTcpUdpAndPing() {
        try (Proc tcp = echoServer("remote", "TCP-LISTEN:7400,bind=198.51.100.200,fork,reuseaddr");
             Proc udp = udpEcho(7401)) {
            Proc.Result r = inContainer("pasta", "echo tcp | socat -t 3 - TCP:198.51.100.200:7400;"
                    + " echo udp | socat -t 3 - UDP:198.51.100.200:7401; ping -c 1 -W 3 198.51.100.200 >/dev/null"
                    + " && echo ping-ok");
            assertEquals(0, r.exit(), r.describe());
            assertTrue(r.out().contains("tcp"), r.describe());
            assertTrue(r.out().contains("from 198.51.100.2:"), "the remote saw the host's address:" + r.describe());
            assertTrue(r.out().contains("ping-ok"), r.describe());
        }
    }

    @Test
    void dnsThrough169_254_1_1ReachesTheSandboxResolver() {
        try (Proc dns = dnsmasq()) {
            Proc.Result r = inContainer("pasta", "grep nameserver /etc/resolv.conf | head -n 1;"
                    + " getent hosts example.test");
            assertEquals(0, r.exit(), r.describe());
            assertTrue(r.out().startsWith("nameserver 169.254.1.1"), r.describe());
            assertTrue(r.out().contains("example.test"), r.describe());
        }
    }

    @Test
    void hostContainersInternalReachesAServiceOnTheHost() {
        try (Proc host = echoServer("user", "TCP-LISTEN:7300,bind=198.51.100.2,fork,reuseaddr")) {
            Proc.Result r = inContainer("pasta", "grep -w host.containers.internal /etc/hosts;"
                    + " echo hi | socat -t 3 - TCP:host.containers.internal:7300");
            // podman names 169.254.1.2 (pasta's --map-guest-addr) when the host has no other address to name
            assertTrue(r.out().startsWith("169.254.1.2\t") || r.out().startsWith("169.254.1.2 "), r.describe());
            assertTrue(r.out().strip().endsWith("\nhi"), r.describe());
        }
    }

    @Test
    void pastaOptionsFromTheNetworkSpecReachThePasta() {
        try (Proc host = echoServer("user", "TCP-LISTEN:5000,bind=127.0.0.1,fork,reuseaddr")) {
            Proc.Result r = inContainer("pasta:-T,5000", "echo via-T | socat -t 3 - TCP:127.0.0.1:5000");
            assertEquals("via-T", r.out().strip(), r.describe());
        }
    }

    @Test
    void aBridgeNetworksRootlessNetnsRunsOnThePasta() {
        try (Proc tcp = echoServer("remote", "TCP-LISTEN:7402,bind=198.51.100.200,fork,reuseaddr")) {
            Proc.Result net = podman.cli("network", "create", "jpnet");
            assertEquals(0, net.exit(), net.describe());
            String c = "b" + (++names);
            Proc.Result run = podman.cli("run", "-d", "--name", c, "--network", "jpnet", Podman.IMAGE, "sleep", "60");
            assertEquals(0, run.exit(), run.describe());
            assertTrue(podman.serving("rootless-netns") > 0, "no process of " + podman.pasta() + " serves the rootless-netns");
            Proc.Result r = podman.cli("exec", c, "sh", "-c", "echo bridged | socat -t 3 - TCP:198.51.100.200:7402");
            assertEquals("bridged", r.out().strip(), r.describe());
            podman.cli("rm", "-f", "-t", "0", c);
            podman.cli("network", "rm", "-f", "jpnet");
        }
    }

    // ---- lifecycle ----

    @Test
    void pastaEndsWithinFiveSecondsOfPodmanRmF() {
        String c = detached("pasta", List.of("-p", "8085:80"), "sleep", "60");
        long pid = pastaOf(c);
        Proc.Result rm = podman.cli("rm", "-f", "-t", "0", c);
        assertEquals(0, rm.exit(), rm.describe());
        Duration gone = Poll.until(Duration.ofSeconds(5), () -> !Files.exists(Path.of("/proc", Long.toString(pid))));
        assertNotNull(gone, podman.pasta() + " (pid " + pid + ") still runs 5 s after podman rm -f");
        System.out.println("pasta ended " + gone.toMillis() + " ms after podman rm -f returned");
    }

    @Test
    void podmanInfoReportsThePastaAndItsVersion() {
        Proc.Result version = sb.user(SHORT, "pasta-version", podman.pasta().toString(), "--version");
        Proc.Result r = podman.cli("info", "--format", "{{.Host.Pasta.Executable}}|{{.Host.Pasta.Version}}");
        assertEquals(0, r.exit(), r.describe());
        assertEquals(podman.pasta() + "|" + version.firstOutLine(), r.out().lines().findFirst().orElse(""),
                r.describe());
        if (podman.isJpasta()) {
            assertTrue(r.out().contains("jpasta"), r.describe());
        }
    }

    @Test
    void aBadPastaOptionFailsTheWayPodmanReportsIt() {
        Proc.Result r = podman.cli("run", "--rm", "--network", "pasta:--no-such-option", Podman.IMAGE, "true");
        assertNotEquals(0, r.exit(), r.describe());
        assertTrue(r.err().contains("pasta failed with exit code 1"), r.describe());
        // getopt's message names the program as podman started it: the pasta under test
        assertTrue(r.err().contains(podman.pasta() + ": unrecognized option '--no-such-option'"), r.describe());
        assertTrue(r.err().contains("Usage:"), "podman shows pasta's usage text:" + r.describe());
    }

    // ---- through the Docker-compatible API ----

    @Test
    void testcontainersStartsAContainerOnThePasta() {
        podman.startService();
        assertTrue(DockerClientFactory.instance().isDockerAvailable(), "podman's API at " + Podman.API_LINK);
        try (GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(Podman.IMAGE))
                .withNetworkMode("pasta")
                .withCommand("socat", "TCP-LISTEN:80,fork,reuseaddr", "SYSTEM:echo via-api")
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
                        com.github.dockerjava.api.model.PortBinding.parse("8086:80")))) {
            c.start();
            String name = c.getContainerName().replaceFirst("^/", "");
            assertTrue(pastaOf(name) > 0, podman.pasta() + " serves the API's container " + name);
            assertNotNull(Poll.until(Duration.ofSeconds(10), () -> userSh("socat -t 2 - TCP:127.0.0.1:8086 </dev/null")
                    .out().contains("via-api")), "published port of a container made through the API");
        }
    }

    // ---- servers ----

    /** A socat echo server as root in the remote network or as the test user in the host namespace. */
    private Proc echoServer(String where, String listen) {
        String[] argv = {"socat", "-T", "60", listen, "EXEC:cat"};
        Proc p = where.equals("user") ? sb.startUser("echo", argv) : sb.startRoot(where, "echo", argv);
        servers.add(p);
        String port = listen.replaceAll("^TCP-LISTEN:(\\d+).*", "$1");
        String check = "ss -Htln 'sport = :" + port + "'";
        Poll.until(Duration.ofSeconds(10), () -> !sb.root(Duration.ofSeconds(5), "ss", sb.asRoot(
                where.equals("remote") ? "remote" : "host", "sh", "-c", check)).out().isBlank());
        return p;
    }

    private Proc udpEcho(int port) {
        Path flag = sb.work().resolve("udp-ready-" + port);
        Proc p = sb.startRoot("remote", "udp-echo", "python3", tool, "echo", "198.51.100.200", Integer.toString(port),
                "20", flag.toString());
        servers.add(p);
        Poll.until(Duration.ofSeconds(10), () -> Files.exists(flag));
        return p;
    }

    private Proc dnsmasq() {
        Proc p = sb.startRoot("remote", "dnsmasq", "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
                "--conf-file=/dev/null", "--pid-file=", "--bind-interfaces", "--listen-address=198.51.100.200",
                "--listen-address=2001:db8:2::10", "--host-record=example.test,203.0.113.7,2001:db8:3::7",
                "--local=/test/");
        servers.add(p);
        Poll.until(Duration.ofSeconds(10), () -> sb.root(Duration.ofSeconds(5), "probe", sb.asRoot("remote", "dig",
                "+short", "+time=1", "+tries=1", "@198.51.100.200", "example.test")).out().contains("203.0.113.7"));
        return p;
    }
}
