package io.jpasta.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ICMP and ICMPv6 echo from the namespace through the pasta under test, run as the unprivileged user
 * {@code jpasta-test} in the sandbox of {@code scripts/sandbox} ({@link Sandbox}): the "host" namespace has
 * 198.51.100.2/30 and 2001:db8:1::2/64 with default routes via .1 / ::1 and ping sockets allowed to every group,
 * the "remote" one the gateways plus 198.51.100.200 and 2001:db8:2::10 on its loopback. Real {@code ping} from
 * iputils, in pasta's namespace. The capture of a failed ping run is kept in the class's log directory.
 */
class IcmpEchoIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);
    static final String ALL_GROUPS = "0 2147483647";

    static Sandbox sb;
    static String pasta;

    @BeforeAll
    static void sandbox() {
        Sandbox.require(Files.isExecutable(Path.of("/usr/bin/ping")), "/usr/bin/ping is missing");
        sb = SANDBOX.get();
        pasta = Pasta.underTest();
        Proc.Result v = sb.user(RUN_TIMEOUT, "version", pasta, "--version");
        assertEquals(0, v.exit(), Sandbox.TEST_USER + " cannot run " + pasta + ":" + v.describe());
        // the remote network answers before pasta is involved, or the sandbox is broken
        awaitReachable("198.51.100.200");
        awaitReachable("2001:db8:2::10");
    }

    @Test
    void pingRemoteHostGetsReplies() {
        assertPings("remote4", "ping", "-c", "3", "-W", "2", "198.51.100.200");
    }

    @Test
    void ping6RemoteHostGetsReplies() {
        assertPings("remote6", "ping", "-6", "-c", "3", "-W", "2", "2001:db8:2::10");
    }

    @Test
    void pingGatewayGetsReplies() {
        assertPings("gateway4", "ping", "-c", "3", "-W", "2", "198.51.100.1");
    }

    @Test
    void ping6GatewayGetsReplies() {
        assertPings("gateway6", "ping", "-6", "-c", "3", "-W", "2", "2001:db8:1::1");
    }

    @Test
    void largeEchoPayloadComesBackWhole() {
        assertPings("large4", "ping", "-c", "3", "-W", "2", "-s", "8000", "198.51.100.200");
    }

    @Test
    void noIcmpGetsNoReplies() {
        Proc.Result r = pastaRun("noicmp", List.of("--no-icmp"), "ping", "-c", "1", "-W", "1", "198.51.100.200");
        assertEquals(1, r.exit(), "ping gets no reply with --no-icmp:" + r.describe());
        assertTrue(r.outAndErr().contains("0 received"), r.describe());
    }

    @Test
    void pingSocketsRefusedToTheUserIsLoggedNotFatal() {
        pingGroupRange("1 0");      // the kernel default: nobody may open ping sockets
        try {
            Proc.Result r = pastaRun("refused", List.of("-d"),
                    "sh", "-c", "ping -c 1 -W 1 198.51.100.200; ping -6 -c 1 -W 1 2001:db8:2::10; echo done");
            assertEquals(0, r.exit(), "pasta keeps running and exits with the command's status:" + r.describe());
            assertTrue(r.outAndErr().contains("done"), r.describe());
            assertTrue(r.outAndErr().contains("ping_group_range"), "a debug line says why:" + r.describe());
            assertTrue(r.outAndErr().contains("0 received"), r.describe());
        } finally {
            pingGroupRange(ALL_GROUPS);
        }
    }

    // --- helpers ---

    private static void assertPings(String name, String... command) {
        Proc.Result r = pastaRun(name, List.of(), command);
        boolean ok = r.exit() == 0 && r.outAndErr().contains(" 3 received")
                && r.outAndErr().contains(" 0% packet loss");
        if (!ok) {
            sb.keep(capture(name));
        }
        assertTrue(ok, "pasta --config-net -- " + String.join(" ", command) + " exited " + r.exit() + ":"
                + r.describe());
    }

    /** Runs {@code pasta --config-net -p PCAP [extra] -- command} as the test user in the host namespace. */
    private static Proc.Result pastaRun(String name, List<String> extra, String... command) {
        List<String> argv = new ArrayList<>(List.of(pasta, "--config-net", "-p", capture(name).toString()));
        argv.addAll(extra);
        argv.add("--");
        argv.addAll(List.of(command));
        return sb.user(RUN_TIMEOUT, name, argv.toArray(String[]::new));
    }

    private static Path capture(String name) {
        return sb.work().resolve(name + ".pcap");
    }

    private static void pingGroupRange(String range) {
        Proc.Result r = sb.root(RUN_TIMEOUT, "ping_group_range",
                sb.asRoot("host", "sysctl", "-qw", "net.ipv4.ping_group_range=" + range));
        assertEquals(0, r.exit(), r.describe());
    }

    /** Pings {@code addr} from the host namespace, once a try (each bounded by -W 1), for at most 10 s. */
    private static void awaitReachable(String addr) {
        Proc.Result[] last = new Proc.Result[1];
        Duration took = Poll.until(Duration.ofSeconds(10), () -> {
            last[0] = sb.root(RUN_TIMEOUT, "reachable", sb.asRoot("host", "ping", "-c", "1", "-W", "1", addr));
            return last[0].exit() == 0;
        });
        assertNotNull(took, "sandbox: " + addr + " unreachable from the host namespace:" + last[0].describe());
    }
}
