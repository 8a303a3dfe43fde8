package io.jpasta.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ICMP and ICMPv6 echo from the namespace through the built {@code dist/bin/pasta}, run as the unprivileged user
 * {@code jpasta-test}, in a sandbox of two network namespaces this test creates: "host" (198.51.100.2/30,
 * 2001:db8:1::2/64, default routes via .1 / ::1, ping sockets allowed to every group) and "remote" (the gateways,
 * plus 198.51.100.200 and 2001:db8:2::10 on its loopback). Real {@code ping} from iputils, in pasta's namespace.
 * The pcap of a failed run is kept in the printed directory.
 */
class IcmpEchoIT {
    static final String USER = "jpasta-test";
    static final String HOST_NS = "icmp-h-" + ProcessHandle.current().pid();
    static final String REMOTE_NS = "icmp-r-" + ProcessHandle.current().pid();
    static final long RUN_TIMEOUT_S = 60;

    static Path pasta;
    static Path work;
    static boolean sandboxUp;

    record Result(int status, String output) {
    }

    @BeforeAll
    static void sandbox() throws Exception {
        Assumptions.assumeTrue(ProcessHandle.current().info().user().orElse("").equals("root"),
                () -> skip("the sandbox needs root to create namespaces"));
        for (String tool : new String[] {"/usr/bin/ping", "/usr/sbin/runuser", "/usr/sbin/ip"}) {
            Assumptions.assumeTrue(Files.isExecutable(Path.of(tool)), () -> skip(tool + " is missing"));
        }
        Assumptions.assumeTrue(sh("id", USER).status() == 0, () -> skip("user " + USER + " does not exist"));
        pasta = Path.of(System.getProperty("jpasta.dist", "../dist"), "bin", "pasta").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isExecutable(pasta), () -> skip(pasta + " not built (scripts/build)"));
        Result v = sh("runuser", "-u", USER, "--", pasta.toString(), "--version");
        assertEquals(0, v.status(), USER + " cannot run " + pasta + ": " + v.output());

        work = Files.createTempDirectory("icmp-it-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx"));
        try {
            sandboxUp = true;
            must("ip", "netns", "add", HOST_NS);
            must("ip", "netns", "add", REMOTE_NS);
            // the veth pair is created inside the sandbox: the init namespace never sees it
            must("ip", "-n", HOST_NS, "link", "add", "eth0", "type", "veth", "peer", "name", "up0",
                    "netns", REMOTE_NS);
            must("ip", "-n", HOST_NS, "link", "set", "lo", "up");
            must("ip", "-n", REMOTE_NS, "link", "set", "lo", "up");
            must("ip", "-n", HOST_NS, "addr", "add", "198.51.100.2/30", "dev", "eth0");
            must("ip", "-n", HOST_NS, "addr", "add", "2001:db8:1::2/64", "dev", "eth0", "nodad");
            must("ip", "-n", HOST_NS, "link", "set", "eth0", "up");
            must("ip", "-n", REMOTE_NS, "addr", "add", "198.51.100.1/30", "dev", "up0");
            must("ip", "-n", REMOTE_NS, "addr", "add", "2001:db8:1::1/64", "dev", "up0", "nodad");
            must("ip", "-n", REMOTE_NS, "link", "set", "up0", "up");
            must("ip", "-n", REMOTE_NS, "addr", "add", "198.51.100.200/32", "dev", "lo");
            must("ip", "-n", REMOTE_NS, "addr", "add", "2001:db8:2::10/128", "dev", "lo");
            must("ip", "-n", HOST_NS, "route", "add", "default", "via", "198.51.100.1");
            must("ip", "-n", HOST_NS, "-6", "route", "add", "default", "via", "2001:db8:1::1");
            pingGroupRange("0 2147483647");
            // the remote network answers before pasta is involved, or the sandbox is broken
            awaitReachable("198.51.100.200");
            awaitReachable("2001:db8:2::10");
        } catch (Throwable t) {
            teardown();
            throw t;
        }
    }

    @AfterAll
    static void teardown() throws Exception {
        if (sandboxUp) {
            sandboxUp = false;
            // deleting the namespaces deletes the veth pair and the addresses with them
            sh("ip", "netns", "del", REMOTE_NS);
            sh("ip", "netns", "del", HOST_NS);
        }
        if (work != null && Files.isDirectory(work)) {
            boolean keep;
            try (Stream<Path> s = Files.list(work)) {
                keep = s.anyMatch(p -> p.getFileName().toString().startsWith("failed-"));
            }
            if (keep) {
                System.out.println("IcmpEchoIT: captures of failed runs kept in " + work);
            } else {
                try (Stream<Path> s = Files.walk(work)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    @Test
    void pingRemoteHostGetsReplies() throws Exception {
        assertPings("remote4", "ping", "-c", "3", "-W", "2", "198.51.100.200");
    }

    @Test
    void ping6RemoteHostGetsReplies() throws Exception {
        assertPings("remote6", "ping", "-6", "-c", "3", "-W", "2", "2001:db8:2::10");
    }

    @Test
    void pingGatewayGetsReplies() throws Exception {
        assertPings("gateway4", "ping", "-c", "3", "-W", "2", "198.51.100.1");
    }

    @Test
    void ping6GatewayGetsReplies() throws Exception {
        assertPings("gateway6", "ping", "-6", "-c", "3", "-W", "2", "2001:db8:1::1");
    }

    @Test
    void largeEchoPayloadComesBackWhole() throws Exception {
        assertPings("large4", "ping", "-c", "3", "-W", "2", "-s", "8000", "198.51.100.200");
    }

    @Test
    void noIcmpGetsNoReplies() throws Exception {
        Result r = pastaRun("noicmp", List.of("--no-icmp"), "ping", "-c", "1", "-W", "1", "198.51.100.200");
        assertEquals(1, r.status(), "ping gets no reply with --no-icmp:\n" + r.output());
        assertTrue(r.output().contains("0 received"), r.output());
        keepIfFailed("noicmp", false);
    }

    @Test
    void pingSocketsRefusedToTheUserIsLoggedNotFatal() throws Exception {
        pingGroupRange("1 0");      // the kernel default: nobody may open ping sockets
        try {
            Result r = pastaRun("refused", List.of("-d"),
                    "sh", "-c", "ping -c 1 -W 1 198.51.100.200; ping -6 -c 1 -W 1 2001:db8:2::10; echo done");
            assertEquals(0, r.status(), "pasta keeps running and exits with the command's status:\n" + r.output());
            assertTrue(r.output().contains("done"), r.output());
            assertTrue(r.output().contains("ping_group_range"), "a debug line says why:\n" + r.output());
            assertTrue(r.output().contains("0 received"), r.output());
            keepIfFailed("refused", false);
        } finally {
            pingGroupRange("0 2147483647");
        }
    }

    // --- helpers ---

    private static void assertPings(String name, String... command) throws Exception {
        Result r = pastaRun(name, List.of(), command);
        boolean ok = r.status() == 0 && r.output().contains(" 3 received") && r.output().contains(" 0% packet loss");
        keepIfFailed(name, !ok);
        assertTrue(ok, "pasta --config-net -- " + String.join(" ", command) + " exited " + r.status() + ":\n"
                + r.output());
    }

    /** Runs {@code pasta --config-net [extra] -p PCAP -- command} as the unprivileged user in the host netns. */
    private static Result pastaRun(String name, List<String> extra, String... command) throws Exception {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", HOST_NS, "runuser", "-u", USER, "--",
                pasta.toString(), "--config-net", "-p", work.resolve(name + ".pcap").toString()));
        argv.addAll(extra);
        argv.add("--");
        argv.addAll(List.of(command));
        return sh(argv.toArray(String[]::new));
    }

    private static void keepIfFailed(String name, boolean failed) throws IOException {
        Path pcap = work.resolve(name + ".pcap");
        if (failed && Files.exists(pcap)) {
            Files.move(pcap, work.resolve("failed-" + name + ".pcap"));
        }
    }

    private static void pingGroupRange(String range) throws Exception {
        must("ip", "netns", "exec", HOST_NS, "sysctl", "-qw", "net.ipv4.ping_group_range=" + range);
    }

    /** Polls with single pings (each bounded by -W 1) until one is answered, for at most 10 s. */
    private static void awaitReachable(String addr) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Result r;
        do {
            r = sh("ip", "netns", "exec", HOST_NS, "ping", "-c", "1", "-W", "1", addr);
        } while (r.status() != 0 && System.nanoTime() < deadline);
        assertEquals(0, r.status(), "sandbox: " + addr + " unreachable from the host namespace:\n" + r.output());
    }

    private static void must(String... argv) throws Exception {
        Result r = sh(argv);
        assertEquals(0, r.status(), String.join(" ", argv) + ": " + r.output());
    }

    /** Runs a command with a deadline; on timeout kills it and what it started, by handle. */
    private static Result sh(String... argv) throws Exception {
        Path out = Files.createTempFile("icmp-it-out", ".txt");
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(RUN_TIMEOUT_S, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                return new Result(-1, "timed out after " + RUN_TIMEOUT_S + " s: " + String.join(" ", argv) + "\n"
                        + Files.readString(out, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static String skip(String reason) {
        String msg = "IcmpEchoIT skipped: " + reason;
        System.out.println(msg);
        return msg;
    }
}
