package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
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
 * The address translations of TCP through the tap, end to end ({@code scripts/sandbox}): the built {@code pasta}
 * runs as the test user in the sandbox's host namespace with {@code --config-net}; a {@code socat} client in its
 * namespace sends 64 KiB of random bytes to a mapped address, and a {@code socat} server where the mapping should
 * lead (the host's loopback, the host's own address, the remote network) answers with the SHA-256 of what it got
 * and the peer address it saw. Every server is a child of the test, bounded by socat's own timeouts and killed with
 * its process group at the end of its test; addresses and routes a test adds are removed in its {@code finally}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AddrMapIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final Duration RUN = Duration.ofSeconds(40);
    private static final Duration LISTEN = Duration.ofSeconds(10);
    private static final Duration SHORT = Duration.ofSeconds(10);
    private static final int SIZE = 64 << 10;

    private Sandbox sb;
    private String pasta;
    private Path payload;
    private String payloadSha;

    @BeforeAll
    void setUp() throws IOException, NoSuchAlgorithmException {
        pasta = Pasta.underTest();
        sb = SANDBOX.get();
        byte[] b = new byte[SIZE];
        new Random(SIZE).nextBytes(b);
        payload = sb.work().resolve("payload.bin");
        Files.write(payload, b);
        Files.setPosixFilePermissions(payload, PosixFilePermissions.fromString("rw-r--r--"));
        payloadSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    // ---- (a) --map-host-loopback ----

    @Test
    void gatewayReachesAServerOnTheHostsLoopbackByDefault() {
        try (Proc server = serve("host", "127.0.0.1", 5301)) {
            exchange(server, "198.51.100.1", 5301, "127.0.0.1");
        }
    }

    @Test
    void ipv6GatewayReachesAServerOnTheHostsLoopbackByDefault() {
        try (Proc server = serve("host", "::1", 5302)) {
            exchange(server, "2001:db8:1::1", 5302, "::1");
        }
    }

    @Test
    void mapHostLoopbackAddressReachesTheHostsLoopback() {
        try (Proc server = serve("host", "127.0.0.1", 5303)) {
            exchange(server, "203.0.113.7", 5303, "127.0.0.1", "--map-host-loopback", "203.0.113.7");
        }
    }

    @Test
    void ipv6MapHostLoopbackAddressReachesTheHostsLoopback() {
        try (Proc server = serve("host", "::1", 5304)) {
            exchange(server, "2001:db8:9::7", 5304, "::1", "--map-host-loopback", "2001:db8:9::7");
        }
    }

    @Test
    void noMapGwLeavesTheHostsLoopbackUnreachable() {
        try (Proc server = serve("host", "127.0.0.1", 5305)) {
            // the gateway is then the real one (the remote namespace), where nothing listens: refused at once
            Proc.Result r = client("198.51.100.1", 5305, "--no-map-gw");
            assertNotEquals(0, r.exit(), "connection must fail:" + r.describe());
            assertTrue(r.err().contains("Connection refused"), "refused by the real gateway:" + r.describe());
            assertTrue(server.isAlive(), "the loopback server saw no connection");
        }
    }

    @Test
    void mapHostLoopbackNoneLeavesTheHostsLoopbackUnreachable() {
        try (Proc server = serve("host", "::1", 5306)) {
            Proc.Result r = client("2001:db8:1::1", 5306, "--map-host-loopback", "none");
            assertNotEquals(0, r.exit(), "connection must fail:" + r.describe());
            assertTrue(server.isAlive(), "the loopback server saw no connection");
        }
    }

    @Test
    void pingToTheMapHostLoopbackAddressIsAnsweredByTheHost() {
        // nobody has 203.0.113.7: unmapped, the echo goes to the remote network and dies there
        String ping = "ping -c 2 -W 2 203.0.113.7";
        Proc.Result off = sb.user(RUN, "ping-unmapped", pasta, "--config-net", "--", "sh", "-c", ping);
        assertNotEquals(0, off.exit(), "no reply without the mapping:" + off.describe());
        Proc.Result on = sb.user(RUN, "ping-mapped", pasta, "--config-net", "--map-host-loopback", "203.0.113.7",
                "--", "sh", "-c", ping);
        assertEquals(0, on.exit(), "the host's loopback answers:" + on.describe());
        assertTrue(on.out().contains("2 received"), on.describe());
    }

    // ---- (b) --map-guest-addr ----

    @Test
    void mapGuestAddrReachesAServerOnTheHostsOwnAddress() {
        try (Proc server = serve("host", "198.51.100.2", 5311)) {
            exchange(server, "203.0.113.8", 5311, "198.51.100.2", "--map-guest-addr", "203.0.113.8");
        }
    }

    @Test
    void ipv6MapGuestAddrReachesAServerOnTheHostsOwnAddress() {
        try (Proc server = serve("host", "2001:db8:1::2", 5312)) {
            exchange(server, "2001:db8:9::8", 5312, "2001:db8:1::2", "--map-guest-addr", "2001:db8:9::8");
        }
    }

    // ---- the reverse direction: clients of -t ports on the host itself, through the tap ----

    @Test
    void tClientWithTheHostsOwnAddressAppearsAsTheMapGuestAddrAddress() {
        assertEquals(literal("203.0.113.8"), inboundPeer("198.51.100.2", 5331, "--map-guest-addr", "203.0.113.8"));
    }

    @Test
    void tClientWithTheHostsOwnAddressAppearsAsTheGatewayWithoutMapGuestAddr() {
        assertEquals(literal("198.51.100.1"), inboundPeer("198.51.100.2", 5332));
    }

    @Test
    void tClientOnHostLoopbackAppearsAsTheMapHostLoopbackAddress() {
        assertEquals(literal("203.0.113.7"), inboundPeer("127.0.0.1", 5333, "--no-splice",
                "--map-host-loopback", "203.0.113.7"));
    }

    // ---- (c) --dns-forward / --dns-host ----

    @Test
    void dnsForwardReachesTheDnsHostOnPorts53And853() {
        for (int port : new int[] {53, 853}) {
            try (Proc server = serve("remote", "198.51.100.200", port)) {
                exchange(server, "203.0.113.53", port, "198.51.100.2",
                        "--dns-forward", "203.0.113.53", "--dns-host", "198.51.100.200");
            }
        }
    }

    // ---- (d) -o / --outbound-if4 ----

    @Test
    void outboundAddressIsTheSourceTheRemoteSees() {
        // a second address of the host, on an interface that is not pasta's template (so not copied to the guest)
        root("host", "ip", "link", "add", "vx0", "type", "veth", "peer", "name", "vx1");
        try {
            root("host", "ip", "addr", "add", "203.0.113.9/32", "dev", "vx0");
            root("host", "ip", "link", "set", "vx0", "up");
            root("host", "ip", "link", "set", "vx1", "up");
            root("remote", "ip", "route", "add", "203.0.113.9/32", "via", "198.51.100.2");
            try (Proc server = serve("remote", "198.51.100.200", 5321)) {
                exchange(server, "198.51.100.200", 5321, "203.0.113.9", "-o", "203.0.113.9");
            }
            // without -o the same connection leaves from the host's own address
            try (Proc server = serve("remote", "198.51.100.200", 5322)) {
                exchange(server, "198.51.100.200", 5322, "198.51.100.2");
            }
            // echo requests leave from -o too: answered while the remote routes 203.0.113.9 back, not after
            String ping = "ping -c 1 -W 2 198.51.100.200";
            Proc.Result routed = sb.user(RUN, "ping-o", pasta, "--config-net", "-o", "203.0.113.9", "--", "sh", "-c",
                    ping);
            assertEquals(0, routed.exit(), routed.describe());
            root("remote", "ip", "route", "del", "203.0.113.9/32");
            Proc.Result unrouted = sb.user(RUN, "ping-o-unrouted", pasta, "--config-net", "-o", "203.0.113.9", "--",
                    "sh", "-c", ping);
            assertNotEquals(0, unrouted.exit(), "the reply cannot come back to 203.0.113.9:" + unrouted.describe());
            Proc.Result plain = sb.user(RUN, "ping-plain", pasta, "--config-net", "--", "sh", "-c", ping);
            assertEquals(0, plain.exit(), "without -o the host's own address is the source:" + plain.describe());
        } finally {
            sb.root(SHORT, "cleanup", sb.asRoot("remote", "ip", "route", "del", "203.0.113.9/32"));
            sb.root(SHORT, "cleanup", sb.asRoot("host", "ip", "link", "del", "vx0"));
        }
    }

    @Test
    void outboundAddressTheHostDoesNotHaveGivesTheGuestRst() {
        Proc.Result r = client("198.51.100.200", 5323, "-o", "203.0.113.10");
        assertNotEquals(0, r.exit(), r.describe());
        assertTrue(r.err().contains("Connection refused"), "bind failed: the guest gets a RST:" + r.describe());
    }

    @Test
    void outboundInterfaceBindsOutboundSockets() {
        // an interface with no route to the remote network
        root("host", "ip", "link", "add", "vy0", "type", "veth", "peer", "name", "vy1");
        try {
            root("host", "ip", "link", "set", "vy0", "up");
            root("host", "ip", "link", "set", "vy1", "up");
            try (Proc server = serve("remote", "198.51.100.200", 5324)) {
                exchange(server, "198.51.100.200", 5324, "198.51.100.2", "--outbound-if4", "up0");
            }
            // bound to an interface with no route to the remote: the connect fails and the guest sees a RST
            try (Proc server = serve("remote", "198.51.100.200", 5325)) {
                Proc.Result r = client("198.51.100.200", 5325, "--outbound-if4", "vy0");
                assertNotEquals(0, r.exit(), r.describe());
                assertTrue(server.isAlive(), "the server saw no connection");
            }
        } finally {
            sb.root(SHORT, "cleanup", sb.asRoot("host", "ip", "link", "del", "vy0"));
        }
    }

    // ---- helpers ----

    /**
     * Runs pasta with {@code -t port} and a one-shot server in its namespace that tells each client the address it
     * sees, connects from the sandbox host's {@code clientAddr} until the server answers (pasta's listener accepts
     * before the server in the namespace listens; bounded), and returns the address the namespace saw.
     */
    private InetAddress inboundPeer(String clientAddr, int port, String... options) {
        List<String> argv = new ArrayList<>(List.of(pasta, "--config-net", "-t", Integer.toString(port)));
        argv.addAll(List.of(options));
        argv.addAll(List.of("--", "socat", "-T20", "TCP-LISTEN:" + port + ",reuseaddr",
                "SYSTEM:echo peer=$SOCAT_PEERADDR"));
        try (Proc ns = sb.startUser("inbound-" + port, argv.toArray(String[]::new))) {
            String target = clientAddr.contains(":") ? "TCP6:[" + clientAddr + "]:" + port
                    : "TCP4:" + clientAddr + ":" + port;
            InetAddress[] seen = new InetAddress[1];
            Duration took = Poll.until(RUN, () -> {
                Proc.Result c = sb.root(SHORT, "inbound-client-" + port,
                        sb.asRoot("host", "socat", "-t5", "-T5", "-u", target, "-"));
                seen[0] = peerSeen(c.out());
                return seen[0] != null || !ns.isAlive();
            });
            assertNotNull(took, "no answer from the namespace's server within " + RUN);
            assertNotNull(seen[0], "the namespace's server answered nothing:" + ns.await(SHORT).describe());
            Proc.Result r = ns.await(SHORT);
            assertEquals(0, r.exit(), "pasta exits with the server's status:" + r.describe());
            return seen[0];
        }
    }

    /**
     * Starts a one-shot server as root in {@code where} ("host" or "remote") on {@code addr:port} that answers with
     * the SHA-256 of what it received and the peer address it saw, and waits until it listens.
     */
    private Proc serve(String where, String addr, int port) {
        boolean v6 = addr.contains(":");
        String listen = (v6 ? "TCP6-LISTEN:" + port + ",bind=[" + addr + "]" : "TCP4-LISTEN:" + port + ",bind=" + addr)
                + ",reuseaddr";
        Proc p = Proc.start(sb.asRoot(where, "socat", "-T20", listen,
                "SYSTEM:sha256sum; echo peer=$SOCAT_PEERADDR"), sb.work(), sb.logs(), "serve-" + port, null);
        Duration took = Poll.until(LISTEN, () -> !p.isAlive() || !sb.root(SHORT, "ss-" + port,
                sb.asRoot(where, "ss", "-Hltn", "sport = :" + port)).out().isBlank());
        if (took == null || !p.isAlive()) {
            p.close();
            throw new AssertionError("server on " + addr + ":" + port + " in " + where + " does not listen:"
                    + p.await(Duration.ZERO).describe());
        }
        return p;
    }

    /** Runs, in pasta's namespace, a client sending the payload to {@code addr:port}; @return its result */
    private Proc.Result client(String addr, int port, String... options) {
        String target = addr.contains(":") ? "TCP6:[" + addr + "]:" + port : "TCP4:" + addr + ":" + port;
        List<String> argv = new ArrayList<>(List.of(pasta, "--config-net"));
        argv.addAll(List.of(options));
        argv.addAll(List.of("--", "sh", "-c", "exec socat -t10 -T15 - " + target + " < " + payload));
        return sb.user(RUN, "client-" + port, argv.toArray(String[]::new));
    }

    /**
     * The client sends the payload to {@code addr:port} through pasta with {@code options}; the server must have
     * received it whole and seen {@code peer} as the client's address.
     */
    private void exchange(Proc server, String addr, int port, String peer, String... options) {
        Proc.Result c = client(addr, port, options);
        assertEquals(0, c.exit(), "client through pasta " + String.join(" ", options) + c.describe());
        Proc.Result s = server.await(SHORT);
        assertEquals(0, s.exit(), "server" + s.describe());
        assertTrue(c.out().contains(payloadSha), "the server got the payload whole:" + c.describe());
        assertEquals(literal(peer), peerSeen(c.out()), "the server saw the client as " + peer + ":"
                + c.describe());
    }

    /** @return the address in socat's {@code peer=ADDR} line ({@code [x:x:...]} for IPv6), null if none */
    private static InetAddress peerSeen(String out) {
        return out.lines().filter(l -> l.startsWith("peer=")).findFirst()
                .map(l -> literal(l.substring(5).replace("[", "").replace("]", ""))).orElse(null);
    }

    /** @return the address of a numeric literal (getByName does no lookup for literals) */
    private static InetAddress literal(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    private void root(String where, String... argv) {
        Proc.Result r = sb.root(SHORT, argv[0], sb.asRoot(where, argv));
        assertNotNull(r);
        if (r.exit() != 0) {
            throw new UncheckedIOException(new IOException(String.join(" ", argv) + " in " + where + ":"
                    + r.describe()));
        }
    }
}
