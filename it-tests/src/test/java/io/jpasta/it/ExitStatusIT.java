package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Command mode's exit status: the command's own, 128+N when a signal N killed it, the same as the reference
 * gives; {@code --version} and {@code --help}; the default login shell; no hang on a command that ends at once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExitStatusIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Sandbox sb;

    @BeforeAll
    void setUp() {
        sb = SANDBOX.get();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 42})
    void commandExitStatusIsPastas(int status) {
        Proc.Result ref = sb.user(TIMEOUT, "exit" + status, Pasta.reference(), "--config-net", "--", "sh", "-c",
                "exit " + status);
        Proc.Result r = sb.user(TIMEOUT, "exit" + status, Pasta.underTest(), "--config-net", "--", "sh", "-c",
                "exit " + status);
        assertEquals(status, ref.exit(), "reference:" + ref.describe());
        assertEquals(status, r.exit(), r.describe());
    }

    /**
     * The rule, checked on the binary under test only: Debian's pasta runs the command as init of a new
     * PID namespace, where a signal the process sends itself is ignored, so the reference exits 0 here.
     */
    @ParameterizedTest
    @CsvSource({"KILL, 137", "TERM, 143", "INT, 130", "SEGV, 139"})
    void commandKilledBySignalGives128PlusSignal(String signal, int status) {
        Proc.Result r = sb.user(TIMEOUT, "sig" + signal, Pasta.underTest(), "--config-net", "--", "sh", "-c",
                "kill -" + signal + " $$");
        assertEquals(status, r.exit(), r.describe());
    }

    @Test
    void commandKilledFromOutsideGives137LikeReference() {
        assertEquals(137, killSleepFromOutside(Pasta.reference()).exit());
        Proc.Result r = killSleepFromOutside(Pasta.underTest());
        assertEquals(137, r.exit(), r.describe());
    }

    /** Runs {@code pasta -- sleep 60}, waits for the sleep to appear below pasta, and SIGKILLs it as root. */
    private Proc.Result killSleepFromOutside(String pasta) {
        try (Proc p = sb.startUser("sleepkill", pasta, "--config-net", "--", "sleep", "60")) {
            long[] sleep = {-1};
            Duration found = Poll.until(Duration.ofSeconds(15), () -> {
                sleep[0] = ProcessHandle.of(p.pid()).stream().flatMap(ProcessHandle::descendants)
                        .filter(h -> h.info().command().map(c -> c.endsWith("/sleep")).orElse(false))
                        .mapToLong(ProcessHandle::pid).findFirst().orElse(-1);
                return sleep[0] > 0 || !p.isAlive();
            });
            assertTrue(found != null && sleep[0] > 0,
                    () -> "no sleep below pasta:" + p.await(Duration.ZERO).describe());
            Proc.kill("-KILL", Long.toString(sleep[0]));
            return p.await(TIMEOUT);
        }
    }

    @Test
    void versionPrintsPastaFirstAndExitsZero() {
        Proc.Result r = sb.user(TIMEOUT, "version", Pasta.underTest(), "--version");
        assertEquals(0, r.exit(), r.describe());
        assertTrue(r.firstOutLine().startsWith("pasta "), "first line should start with 'pasta ':" + r.describe());
    }

    /** The issue asks for status 0 here; Debian's 2023 pasta prints its usage on stderr and exits 1. */
    @Test
    void helpPrintsUsageOnStdoutAndExitsZero() {
        Proc.Result r = sb.user(TIMEOUT, "help", Pasta.underTest(), "--help");
        assertEquals(0, r.exit(), r.describe());
        assertTrue(r.out().contains("Usage:") && r.out().contains("--config-net"), "usage on stdout:" + r.describe());
    }

    @Test
    void configNetTrueReturnsPromptly() {
        Proc.Result r = sb.user(Duration.ofSeconds(10), "true", Pasta.underTest(), "--config-net", "--", "true");
        assertFalse(r.timedOut(), "pasta --config-net -- true hung:" + r.describe());
        assertEquals(0, r.exit(), r.describe());
    }

    @Test
    void withoutCommandRunsShellAsLoginShell() {
        // scripts/sandbox sets SHELL=/bin/sh for the test user; a login shell sees $0 starting with '-'
        String input = "echo \"$0\"; exit 5\n";
        Proc.Result ref = sb.userWithInput(TIMEOUT, "shell", input, Pasta.reference(), "--config-net");
        Proc.Result r = sb.userWithInput(TIMEOUT, "shell", input, Pasta.underTest(), "--config-net");
        assertEquals(5, ref.exit(), "reference:" + ref.describe());
        assertEquals("-/bin/sh", ref.firstOutLine(), "reference:" + ref.describe());
        assertEquals(5, r.exit(), r.describe());
        assertEquals(ref.firstOutLine(), r.firstOutLine(), "$0 of the login shell, as the reference sets it:"
                + r.describe());
    }
}
