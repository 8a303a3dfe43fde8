package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Once ready, the JVM runs under no-new-privileges and a seccomp filter (every thread): an attempt to run a
 * program fails with EPERM; {@code --no-confine} leaves it as it was; the command jpasta runs inherits no descriptor
 * of jpasta's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConfinementIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final Duration SHORT = Duration.ofSeconds(20);

    private Sandbox sb;

    @BeforeAll
    void setUp() {
        sb = SANDBOX.get();
    }

    /** Starts pasta with {@code opts} and {@code sleep 60}; @return it, once its JVM and command run */
    private Proc pasta(String label, String... opts) {
        List<String> argv = new java.util.ArrayList<>(List.of("env",
                "JPASTA_JAVA_OPTS=-Djpasta.test.tryExec=/bin/true", Pasta.underTest(), "--config-net"));
        argv.addAll(List.of(opts));
        argv.addAll(List.of("--", "sleep", "60"));
        Proc p = sb.startUser(label, argv.toArray(String[]::new));
        assertNotNull(Poll.until(SHORT, () -> FaultsIT.descendants(p.pid()).stream().anyMatch(d -> FaultsIT.cmdline(d)
                .equals("sleep 60")) && read(p.log(".err")).contains("test: execve")), "pasta never got ready:"
                + read(p.log(".err")));
        return p;
    }

    private static long jvm(Proc p) {
        return FaultsIT.descendants(p.pid()).stream().filter(d -> FaultsIT.cmdline(d).contains(
                "io.jpasta.launcher.Main")).findFirst().orElseThrow();
    }

    /** @return the fields of /proc/PID/status */
    private static Map<String, String> status(long pid) throws IOException {
        Map<String, String> m = new TreeMap<>();
        for (String l : Files.readAllLines(Path.of("/proc", "" + pid, "status"))) {
            int c = l.indexOf(':');
            m.put(l.substring(0, c), l.substring(c + 1).strip());
        }
        return m;
    }

    @Test
    void onceReadyTheJvmCannotRunAProgramAndHasNoNewPrivileges() throws IOException {
        try (Proc p = pasta("confined")) {
            long jvm = jvm(p);
            Map<String, String> st = status(jvm);
            assertEquals("1", st.get("NoNewPrivs"), st.toString());
            assertEquals("2", st.get("Seccomp"), "seccomp filter mode: " + st);
            assertTrue(read(p.log(".err")).contains("test: execve /bin/true: Operation not permitted"),
                    read(p.log(".err")));
            // every thread, not only the one that installed the filter
            try (var tasks = Files.list(Path.of("/proc", "" + jvm, "task"))) {
                for (Path t : tasks.toList()) {
                    String s = Files.readString(t.resolve("status"));
                    assertTrue(s.contains("Seccomp:\t2"), t + " is not filtered");
                }
            }
        }
    }

    @Test
    void noConfineLeavesTheJvmAsItWas() throws IOException {
        try (Proc p = sb.startUser("unconfined", "env", "JPASTA_JAVA_OPTS=-Djpasta.test.tryExec=/nonexistent/x",
                Pasta.underTest(), "--config-net", "--no-confine", "--", "sleep", "60")) {
            assertNotNull(Poll.until(SHORT, () -> FaultsIT.descendants(p.pid()).stream()
                    .anyMatch(d -> FaultsIT.cmdline(d).equals("sleep 60"))), "never ready");
            Map<String, String> st = status(jvm(p));
            assertEquals("0", st.get("NoNewPrivs"), st.toString());
            assertEquals("0", st.get("Seccomp"), st.toString());
            assertTrue(!read(p.log(".err")).contains("test: execve"), "no confinement, no test hook");
        }
    }

    @Test
    void theCommandInheritsNoDescriptorOfJpastas() throws IOException {
        try (Proc p = pasta("fds")) {
            long cmd = FaultsIT.descendants(p.pid()).stream().filter(d -> FaultsIT.cmdline(d).equals("sleep 60"))
                    .findFirst().orElseThrow();
            try (var fds = Files.list(Path.of("/proc", "" + cmd, "fd"))) {
                List<String> names = fds.map(f -> f.getFileName().toString()).sorted().toList();
                assertEquals(List.of("0", "1", "2"), names, "the command's descriptors");
            }
        }
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
