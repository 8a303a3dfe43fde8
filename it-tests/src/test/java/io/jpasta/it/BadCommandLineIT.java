package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Command lines pasta must refuse: each ends with status 1, the first message on stderr as current upstream pasta
 * (2026-07) prints it, and nothing left running. The expected lines are in the table, so the test runs where no
 * reference binary is installed; where the upstream binary is present ({@code -Djpasta.upstream=PATH}, default
 * /work/shared/ref/pasta-2026-07/pasta), it is run on every line too and must agree with the table, so the table
 * cannot drift from the real thing. The program's own path is printed as "pasta" before comparing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadCommandLineIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String LONG_NAME = "a".repeat(25);
    private static final String UPSTREAM = System.getProperty("jpasta.upstream",
            "/work/shared/ref/pasta-2026-07/pasta");

    private Sandbox sb;

    @BeforeAll
    void setUp() {
        sb = SANDBOX.get();
    }

    private static Arguments line(String message, String... options) {
        return Arguments.of(message, List.of(options));
    }

    /** @return refused command lines (options only; the binary is prepended) and upstream's first message */
    static Stream<Arguments> badLines() {
        return Stream.of(
                line("pasta: unrecognized option '--bogus'", "--bogus", "--", "true"),
                line("pasta: invalid option -- 'Z'", "-Z", "--", "true"),
                line("--one-off is for passt mode only", "-1", "--", "true"),
                line("-s is for passt / vhost-user mode only", "-s", "/tmp/x", "--", "true"),
                line("MTU 70000 too large (max 65521)", "--mtu", "70000", "--", "true"),
                line("MTU 100000 too large (max 65521)", "--mtu", "100000", "--", "true"),
                line("Invalid guest address: 300.1.1.1", "--address", "300.1.1.1", "--", "true"),
                line("Invalid guest address: nonsense", "--address", "nonsense", "--", "true"),
                line("Invalid guest address: 2001:db8::zz", "-a", "2001:db8::zz", "--", "true"),
                line("Invalid prefix length: 255.0.255.0", "--netmask", "255.0.255.0", "--", "true"),
                line("Invalid prefix length: 33", "-n", "33", "--", "true"),
                line("Invalid gateway address: 1.2.3.999", "--gateway", "1.2.3.999", "--", "true"),
                line("Invalid gateway address: bad", "--gateway", "bad", "--", "true"),
                line("Invalid interface name nosuchif0: No such device", "--interface", "nosuchif0", "--", "true"),
                line("Invalid interface name: " + LONG_NAME, "--ns-ifname", LONG_NAME, "--", "true"),
                line("Invalid interface name: ", "-I", "", "--", "true"),
                line("Invalid or redundant outbound address: bogus", "--outbound", "bogus", "--", "true"),
                line("Invalid interface name: " + LONG_NAME, "--outbound-if4", LONG_NAME, "--", "true"),
                line("Invalid interface name: " + LONG_NAME, "--outbound-if6", LONG_NAME, "--", "true"),
                line("Cannot use DNS address bogus", "--dns", "bogus", "--", "true"),
                line("Invalid DNS forwarding address: bogus", "--dns-forward", "bogus", "--", "true"),
                line("Invalid address to remap to host: 300.1.1.1", "--map-guest-addr", "300.1.1.1", "--", "true"),
                line("Invalid port specifier '70000'", "--tcp-ports", "70000", "--", "true"),
                line("Invalid port specifier 'bogus'", "--tcp-ports", "bogus", "--", "true"),
                line("Invalid port specifier '10-5'", "--tcp-ports", "10-5", "--", "true"),
                line("Invalid port specifier '22-80:32-150'", "-t", "22-80:32-150", "--", "true"),
                line("Invalid port specifier '1.2.3.4.5/80'", "-t", "1.2.3.4.5/80", "--", "true"),
                line("Invalid port specifier '70000'", "--udp-ports", "70000", "--", "true"),
                line("Invalid port specifier '99999'", "--tcp-ns", "99999", "--", "true"),
                line("Invalid port specifier '1-2-3'", "-T", "1-2-3", "--", "true"),
                line("Invalid port specifier '65536'", "-U", "65536", "--", "true"),
                line("Forwarding rule attempts to map from port 0", "-t", "0", "--", "true"),
                line("Forwarding rule attempts to map to port 0", "-t", "5:0", "--", "true"),
                line("-t none conflicts with previous options", "-t", "80", "-t", "none", "--", "true"),
                line("Forwarding configuration conflict: TCP [*]:80  =>  80  versus TCP [*]:80  =>  80 ",
                        "-t", "80", "-t", "80", "--", "true"),
                line("Forwarding configuration conflict: TCP [*]:85  =>  85  versus TCP [*]:80-90  =>  80-90 ",
                        "-t", "80-90", "-t", "85", "--", "true"),
                line("Forwarding configuration conflict: TCP [*]:80  =>  80  versus TCP [1.2.3.4]:80  =>  80 ",
                        "-t", "1.2.3.4/80", "-t", "80", "--", "true"),
                line("Forwarding configuration conflict: UDP [*]%lo:53  =>  53  versus UDP [*]%lo:53  =>  53 ",
                        "-U", "53", "-U", "53", "--", "true"),
                line("Invalid prefix length: 198.51.100.9/40", "-a", "198.51.100.9/40", "--", "true"),
                line("Invalid guest address: 198.51.100.9/abc", "-a", "198.51.100.9/abc", "--", "true"),
                line("Redundant prefix length specification", "-a", "198.51.100.9/24", "-n", "24", "--", "true"),
                line("Redundant prefix length specification", "-n", "24", "-a", "198.51.100.9/24", "--", "true"),
                line("Invalid guest address: 255.255.255.255", "-a", "255.255.255.255", "--", "true"),
                line("Invalid interface name nosuch0: No such device", "-i", "lo", "-i", "nosuch0", "--", "true"),
                line("Invalid --runas option: ", "--runas", ":x", "--", "true"),
                line("Invalid --runas option: x", "--runas", "x:", "--", "true"),
                line("Cannot use DNS search domain ", "-S", "", "--", "true"),
                line("pasta: option '--s' is ambiguous; possibilities: '--stderr' '--socket' '--search' "
                        + "'--splice-only' '--socket-path' '--stats'", "--s", "--", "true"),
                line("--splice-only is incompatible with --no-splice", "--splice-only", "--no-splice", "--", "true"),
                line("-s is for passt / vhost-user mode only", "--socket", "/tmp/x", "--", "true"),
                line("-s is for passt / vhost-user mode only", "--socket-path", "/tmp/x", "--", "true"),
                line("--repair-path is for vhost-user mode only", "--repair-path", "/tmp/x", "--", "true"),
                line("--migrate-exit is for vhost-user mode only", "--migrate-exit", "--", "true"),
                line("--migrate-no-linger is for vhost-user mode only", "--migrate-no-linger", "--", "true"),
                line("--no-copy-routes will be dropped soon", "--no-copy-routes", "--", "true"),
                line("Invalid --log-size: 1", "--log-size", "1", "--", "true"),
                line("Invalid --runas option: nosuchuser-jpasta", "--runas", "nosuchuser-jpasta", "--", "true"),
                line("Both --netns and PID or command given", "--netns", "/nonexistent/jpasta-ns", "--", "true"),
                line("Couldn't open network namespace /nonexistent/jpasta-ns: No such file or directory",
                        "--netns", "/nonexistent/jpasta-ns"),
                line("Couldn't open user namespace /nonexistent/u: No such file or directory",
                        "--userns", "/nonexistent/u", "--netns", "/nonexistent/n"),
                line("Couldn't open user namespace /proc/999999999/ns/user: No such file or directory", "999999999"),
                line("Couldn't open PID file /bad/path: No such file or directory", "-P", "/bad/path", "--", "true"),
                line("Couldn't open log file /nonexistent/x.log: No such file or directory",
                        "-l", "/nonexistent/x.log", "--", "true"));
    }

    @ParameterizedTest(name = "pasta {1}")
    @MethodSource("badLines")
    void badCommandLineExitsOneWithUpstreamsMessageAndLeavesNothingRunning(String message, List<String> options) {
        List<Long> before = Podman.jpastaPidsOf(Pasta.underTest());
        Proc.Result r = run(Pasta.underTest(), options);
        assertEquals(1, r.exit(), r.describe());
        assertEquals(message, Pasta.normalise(r.firstErrLine(), Pasta.underTest()), "first message on stderr:"
                + r.describe());
        assertTrue(Poll.until(Duration.ofSeconds(2), () -> before.containsAll(Podman.jpastaPidsOf(Pasta.underTest()))) != null,
                "a jpasta process was left running: " + Podman.jpastaPidsOf(Pasta.underTest()) + " (before: " + before + ")");
        if (Files.isExecutable(Path.of(UPSTREAM))) {
            Proc.Result up = run(UPSTREAM, options);
            assertEquals(1, up.exit(), "upstream pasta accepts this line: not a bad command line" + up.describe());
            assertEquals(message, Pasta.normalise(up.firstErrLine(), UPSTREAM), "the table says what upstream"
                    + " prints:" + up.describe());
        }
    }

    private Proc.Result run(String pasta, List<String> options) {
        List<String> argv = new ArrayList<>();
        argv.add(pasta);
        argv.addAll(options);
        return sb.user(TIMEOUT, "bad", argv.toArray(String[]::new));
    }
}
