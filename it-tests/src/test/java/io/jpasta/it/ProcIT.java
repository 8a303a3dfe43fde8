package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The harness itself: the sandbox's network and user, its directories for the test user and for what a failed test
 * keeps, and Proc's outputs and process-group cleanup on timeout.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private Sandbox sb;

    @BeforeAll
    void setUp() {
        sb = SANDBOX.get();
    }

    @Test
    void userCommandRunsAsTestUserWithItsOwnPid() {
        Proc.Result r = sb.user(Duration.ofSeconds(10), "id", "sh", "-c", "id -un; echo $$; cat /proc/$$/stat");
        assertEquals(0, r.exit(), r.describe());
        String[] lines = r.out().split("\n");
        assertEquals(Sandbox.TEST_USER, lines[0], r.describe());
        // field 5 of /proc/PID/stat is the process group: the shell leads its own group
        String[] stat = lines[2].substring(lines[2].lastIndexOf(')') + 2).split(" ");
        assertEquals(lines[1], stat[2], "the command should lead its process group:" + r.describe());
    }

    @Test
    void hostNamespaceReachesRemoteServers() {
        Proc.Result r = sb.user(Duration.ofSeconds(20), "ping", "sh", "-c",
                "ping -c1 -W5 198.51.100.200 && ping -c1 -W5 2001:db8:2::10");
        assertEquals(0, r.exit(), r.describe());
    }

    @Test
    void timeoutKillsTheWholeProcessGroup() throws Exception {
        Path pids = sb.work().resolve("bg.pid");
        Proc.Result r = sb.user(Duration.ofMillis(1500), "timeout", "sh", "-c",
                "sleep 300 & echo $! > " + pids + "; wait");
        assertTrue(r.timedOut(), r.describe());
        long bg = Long.parseLong(Files.readString(pids).strip());
        assertNotNull(Poll.until(Duration.ofSeconds(5), () -> ProcessHandle.of(bg).map(h -> !h.isAlive()).orElse(true)),
                "background sleep " + bg + " survived the timeout");
    }

    @Test
    void outAndErrHoldsStdoutThenStderr() {
        Proc.Result r = sb.user(Duration.ofSeconds(10), "streams", "sh", "-c", "printf out; echo err >&2");
        assertEquals(0, r.exit(), r.describe());
        assertEquals("out\nerr\n", r.outAndErr(), r.describe());
    }

    @Test
    void userDirIsTheTestUsersAndKeepCopiesItIntoTheLogs() throws Exception {
        Path dir = sb.userDir("kept");
        Proc.Result r = sb.user(Duration.ofSeconds(10), "write", "sh", "-c",
                "mkdir " + dir + "/sub && echo one > " + dir + "/a && echo two > " + dir + "/sub/b");
        assertEquals(0, r.exit(), "the test user cannot write in " + dir + ":" + r.describe());
        Path copy = sb.keep(dir);
        assertEquals(sb.logs().resolve("kept"), copy);
        assertEquals("one\n", Files.readString(copy.resolve("a")));
        assertEquals("two\n", Files.readString(copy.resolve("sub/b")));
        assertNull(sb.keep(dir.resolve("missing")), "nothing to keep");
    }
}
