package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Forty command lines pasta must refuse: each ends with status 1 and the same first message on stderr as the
 * reference prints (Debian's "Failed to send ... to syslog" lines ignored, the binary's own path printed as
 * "pasta"). The reference is checked too, so a line that it accepts is reported as a bad test case, not as a
 * bug of the binary under test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadCommandLineIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String LONG_NAME = "a".repeat(25);

    private Sandbox sb;

    @BeforeAll
    void setUp() {
        sb = Sandbox.create(getClass().getSimpleName());
    }

    @AfterAll
    void tearDown() {
        if (sb != null) {
            sb.close();
        }
    }

    /** @return the forty refused command lines (options only; the binary is prepended) */
    static Stream<List<String>> badLines() {
        return Stream.of(
                List.of("--bogus", "--", "true"),
                List.of("-Z", "--", "true"),
                List.of("-1", "--", "true"),
                List.of("-s", "/tmp/x", "--", "true"),
                List.of("--mtu", "70000", "--", "true"),
                List.of("--mtu", "10", "--", "true"),
                List.of("--mtu", "0", "--mtu", "1", "--", "true"),
                List.of("--address", "300.1.1.1", "--", "true"),
                List.of("--address", "nonsense", "--", "true"),
                List.of("-a", "2001:db8::zz", "--", "true"),
                List.of("-a", "198.51.100.9", "-a", "198.51.100.10", "--", "true"),
                List.of("--netmask", "255.0.255.0", "--", "true"),
                List.of("-n", "33", "--", "true"),
                List.of("--gateway", "1.2.3.999", "--", "true"),
                List.of("--gateway", "bad", "--", "true"),
                List.of("--interface", "nosuchif0", "--", "true"),
                List.of("--ns-ifname", LONG_NAME, "--", "true"),
                List.of("-I", "", "--", "true"),
                List.of("--outbound", "bogus", "--", "true"),
                List.of("-o", "198.51.100.2", "-o", "198.51.100.3", "--", "true"),
                List.of("--outbound-if4", LONG_NAME, "--", "true"),
                List.of("--outbound-if6", LONG_NAME, "--", "true"),
                List.of("--dns", "bogus", "--", "true"),
                List.of("--dns-forward", "bogus", "--", "true"),
                List.of("--dns-forward", "198.51.100.53", "--dns-forward", "198.51.100.54", "--", "true"),
                List.of("--tcp-ports", "70000", "--", "true"),
                List.of("--tcp-ports", "bogus", "--", "true"),
                List.of("--tcp-ports", "10-5", "--", "true"),
                List.of("-t", "22-80:32-150", "--", "true"),
                List.of("-t", "1.2.3.4.5/80", "--", "true"),
                List.of("--udp-ports", "70000", "--", "true"),
                List.of("--tcp-ns", "99999", "--", "true"),
                List.of("-T", "all", "--", "true"),
                List.of("--log-size", "1", "--", "true"),
                List.of("--runas", "nosuchuser-jpasta", "--", "true"),
                List.of("--quiet", "--debug", "--", "true"),
                List.of("-4", "-6", "--", "true"),
                List.of("--netns", "/nonexistent/jpasta-ns", "--", "true"),
                List.of("--netns", "/nonexistent/jpasta-ns"),
                List.of("999999999"));
    }

    @ParameterizedTest(name = "pasta {0}")
    @MethodSource("badLines")
    void badCommandLineExitsOneWithReferenceMessage(List<String> options) {
        Proc.Result ref = run(Pasta.reference(), options);
        Proc.Result r = run(Pasta.underTest(), options);
        assertEquals(1, ref.exit(), "the reference accepts this line: not a bad command line" + ref.describe());
        String expected = Pasta.normalise(ref.firstErrLine(), Pasta.reference());
        assertEquals(1, r.exit(), r.describe());
        assertEquals(expected, Pasta.normalise(r.firstErrLine(), Pasta.underTest()),
                "first message on stderr:" + r.describe());
    }

    private Proc.Result run(String pasta, List<String> options) {
        List<String> argv = new ArrayList<>();
        argv.add(pasta);
        argv.addAll(options);
        return sb.user(TIMEOUT, "bad", argv.toArray(String[]::new));
    }
}
