package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
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
 * A host that cannot give pasta what it needs: no {@code /dev/net/tun} (a mount namespace with an empty /dev/net),
 * unprivileged user namespaces disabled ({@code user.max_user_namespaces} 0 in an enclosing user namespace, see
 * {@code userns-off.sh}), a tap name the kernel refuses. Each ends with status 1, pasta's messages on stderr and
 * nothing left running; where the upstream binary is installed it is run the same way and must print the same.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostFaultsIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String UPSTREAM = System.getProperty("jpasta.upstream",
            "/work/shared/ref/pasta-2026-07/pasta");

    private Sandbox sb;
    private String usernsOff;

    @BeforeAll
    void setUp() throws IOException {
        sb = SANDBOX.get();
        Path script = sb.userDir("faults").resolve("userns-off.sh");
        try (InputStream in = HostFaultsIT.class.getResourceAsStream("/it/userns-off.sh")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        usernsOff = script.toString();
    }

    static Stream<Arguments> faults() {
        return Stream.of(
                Arguments.of("no-tun", "Failed to open() /dev/net/tun: No such file or directory\n"
                        + "Failed to set up tap device in namespace\n"),
                Arguments.of("userns-off", "Couldn't create user namespace: No space left on device\n"),
                Arguments.of("tap-is-lo", "TUNSETIFF ioctl on /dev/net/tun failed: Invalid argument\n"
                        + "Failed to set up tap device in namespace\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("faults")
    void refusedWithPastasMessagesAndNothingLeftRunning(String fault, String stderr) {
        List<Long> before = Podman.jpastaPidsOf(Pasta.underTest());
        Proc.Result r = run(fault, Pasta.underTest());
        assertEquals(1, r.exit(), r.describe());
        assertEquals(stderr, Pasta.normalise(r.err(), Pasta.underTest()), r.describe());
        assertTrue(Poll.until(Duration.ofSeconds(2), () -> before.containsAll(Podman.jpastaPidsOf(Pasta.underTest()))) != null,
                "a jpasta process was left running: " + Podman.jpastaPidsOf(Pasta.underTest()) + " (before: " + before + ")");
        if (Files.isExecutable(Path.of(UPSTREAM))) {
            Proc.Result up = run(fault, UPSTREAM);
            assertEquals(1, up.exit(), up.describe());
            assertEquals(stderr, Pasta.normalise(up.err(), UPSTREAM), "the table says what upstream prints:"
                    + up.describe());
        }
    }

    private Proc.Result run(String fault, String pasta) {
        List<String> cmd = List.of(pasta, "--config-net", "--", "true");
        String uid = String.valueOf(Sandbox.testUid());
        return switch (fault) {
            case "no-tun" -> sb.root(TIMEOUT, fault, sb.asRoot("host", concat(List.of("unshare", "--mount",
                    "--propagation", "private", "sh", "-c", "mount -t tmpfs tmpfs /dev/net && exec setpriv --reuid="
                    + uid + " --regid=" + uid + " --clear-groups \"$@\"", "sh"), cmd)));
            case "userns-off" -> sb.root(TIMEOUT, fault, sb.asRoot("host", concat(List.of(usernsOff, uid), cmd)));
            default -> sb.user(TIMEOUT, fault, pasta, "--config-net", "-I", "lo", "--", "true");
        };
    }

    private static String[] concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all.toArray(String[]::new);
    }
}
