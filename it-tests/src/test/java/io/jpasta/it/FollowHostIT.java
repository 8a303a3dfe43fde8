package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Following the host live (issue 18), end to end: the built {@code pasta} runs {@code sleep} as the test user in
 * a fresh sandbox per test, with {@code --config-net -d -l LOG}; the test changes the sandbox's host namespace
 * (addresses, routes, MTU, links, resolv.conf) as root and looks into pasta's namespace with {@code nsenter -n}
 * (as root, from outside) for what changed there, and runs real clients (socat) in it toward servers in the
 * remote namespace. "Within 1 s" is measured from the moment the host's change is complete.
 */
class FollowHostIT {
    private static final Duration RUN = Duration.ofSeconds(60);
    private static final Duration SHORT = Duration.ofSeconds(10);
    /** What the issue asks: the namespace follows within 1 s */
    private static final Duration FOLLOW = Duration.ofSeconds(1);

    private Sandbox sb;
    private Proc pasta;
    private long nsPid;
    private Path log;
    private final List<Proc> servers = new ArrayList<>();

    @BeforeEach
    void sandbox(TestInfo test) {
        sb = Sandbox.create(getClass().getSimpleName());
        Sandbox.require(Sandbox.run("sh", "-c", "command -v socat && command -v nsenter") == 0,
                "socat and nsenter are needed");
        log = sb.userDir("log").resolve("pasta-" + test.getTestMethod().orElseThrow().getName() + ".log");
    }

    @AfterEach
    void cleanUp() {
        servers.forEach(Proc::close);
        servers.clear();
        if (pasta != null) {
            pasta.close();
            pasta = null;
        }
        if (sb != null) {
            sb.keep(log);
            sb.close();
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    /** Starts pasta running {@code sleep} in its namespace; waits until the command runs there. */
    private void start(String... options) {
        startWith(true, options);
    }

    private void startWith(boolean configNet, String... options) {
        List<String> argv = new ArrayList<>(List.of(Pasta.underTest(), "-d", "-l", log.toString()));
        if (configNet) {
            argv.add("--config-net");
        }
        argv.addAll(Arrays.asList(options));
        argv.addAll(List.of("--", "sleep", "300"));
        pasta = sb.startUser("pasta", argv.toArray(String[]::new));
        Duration took = Poll.until(SHORT, () -> command().isPresent() || !pasta.isAlive());
        assertTrue(took != null && pasta.isAlive(), () -> "pasta did not start its command:"
                + pasta.await(Duration.ZERO).describe());
        nsPid = command().orElseThrow();
    }

    /** @return the pid of pasta's command ({@code sleep}), whose network namespace is pasta's */
    private Optional<Long> command() {
        return ProcessHandle.of(pasta.pid()).stream().flatMap(ProcessHandle::descendants)
                .filter(p -> p.info().command().orElse("").endsWith("/sleep")).map(ProcessHandle::pid).findFirst();
    }

    /** @return the JVM's pid (pasta's process that owns every socket) */
    private long jvm() {
        return ProcessHandle.of(pasta.pid()).stream().flatMap(ProcessHandle::descendants)
                .filter(p -> p.info().command().orElse("").endsWith("/java")).map(ProcessHandle::pid).findFirst()
                .orElseThrow();
    }

    /** Runs {@code argv} as root in pasta's namespace. */
    private Proc.Result ns(String label, String... argv) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(nsPid), "-n"));
        cmd.addAll(Arrays.asList(argv));
        return sb.root(SHORT, label, cmd);
    }

    /** Runs {@code argv} as root in the sandbox's host ("host") or remote ("remote") namespace; it must succeed. */
    private void change(String where, String... argv) {
        Proc.Result r = sb.root(SHORT, where + "-" + argv[0], sb.asRoot(where, argv));
        assertEquals(0, r.exit(), r.describe());
    }

    /** @return the namespace's addresses and routes on up0, one per line, as {@code ip -o} shows them */
    private String nsState() {
        Proc.Result a = ns("ns-addr", "ip", "-o", "addr", "show", "dev", "up0", "scope", "global");
        Proc.Result r4 = ns("ns-route4", "ip", "-4", "route", "show", "dev", "up0");
        Proc.Result r6 = ns("ns-route6", "ip", "-6", "route", "show", "dev", "up0");
        return a.out() + r4.out() + r6.out();
    }

    /** Waits until {@code check} holds of the namespace's state, at most {@code limit}. @return the time taken */
    private Duration await(Duration limit, String what, java.util.function.Predicate<String> check) {
        String[] last = {""};
        Duration took = Poll.until(limit, () -> check.test(last[0] = nsState()));
        assertNotNull(took, () -> "namespace did not get " + what + " within " + limit + "; it has:\n" + last[0]
                + "\npasta's log:\n" + readLog());
        return took;
    }

    private String readLog() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Starts a TCP server at {@code addr:port} in the remote namespace that says {@code word} to each client. */
    private void tcpServer(String addr, int port, String word) {
        boolean v6 = addr.contains(":");
        String listen = (v6 ? "TCP6-LISTEN:" + port + ",bind=[" + addr + "]" : "TCP4-LISTEN:" + port + ",bind="
                + addr) + ",reuseaddr,fork";
        server("remote", port, "-Hltn", "socat", "-T20", listen, "SYSTEM:echo " + word);
    }

    private void server(String where, int port, String ssFlags, String... argv) {
        Proc p = sb.startRoot(where, "server-" + port, argv);
        servers.add(p);
        Duration took = Poll.until(SHORT, () -> !p.isAlive() || !sb.root(SHORT, "ss-" + port,
                sb.asRoot(where, "ss", ssFlags, "sport = :" + port)).out().isBlank());
        assertTrue(took != null && p.isAlive(), () -> "server on port " + port + " does not listen:"
                + p.await(Duration.ZERO).describe());
    }

    /** @return what a client in pasta's namespace gets from {@code target} (a socat address) */
    private Proc.Result client(String target) {
        return ns("client", "socat", "-T5", "-", target);
    }

    private static String measured(Duration took) {
        return took.toMillis() + " ms";
    }

    // ----------------------------------------------------------------------------------------------------- tests

    @Test
    void hostWithoutAddressOrDefaultRouteAtStartGetsThemAndTheNamespaceFollows() {
        change("host", "ip", "-4", "route", "flush", "dev", "up0");
        change("host", "ip", "-6", "route", "del", "default", "dev", "up0");
        change("host", "ip", "addr", "flush", "dev", "up0", "scope", "global");
        start();
        String before = nsState();
        assertTrue(!before.contains("198.51.100.2") && !before.contains("default via 198.51.100.1"), before);
        tcpServer("198.51.100.200", 5401, "hello4");
        tcpServer("2001:db8:2::10", 5402, "hello6");

        change("host", "ip", "addr", "add", "198.51.100.2/30", "dev", "up0");
        change("host", "ip", "addr", "add", "2001:db8:1::2/64", "dev", "up0", "nodad");
        change("host", "ip", "route", "add", "default", "via", "198.51.100.1");
        change("host", "ip", "-6", "route", "add", "default", "via", "2001:db8:1::1");
        Duration took = await(FOLLOW, "the host's new addresses and default routes", s -> s.contains("198.51.100.2/30")
                && s.contains("2001:db8:1::2/64") && s.contains("default via 198.51.100.1")
                && s.contains("default via 2001:db8:1::1"));
        System.out.println("FollowHostIT: addresses and routes followed in " + measured(took));

        Proc.Result r4 = client("TCP4:198.51.100.200:5401");
        assertEquals("hello4", r4.out().strip(), r4.describe());
        Proc.Result r6 = client("TCP6:[2001:db8:2::10]:5402");
        assertEquals("hello6", r6.out().strip(), r6.describe());
    }

    @Test
    void renumberedHostIsFollowedOldTapConnectionIsResetSplicedOneSurvives() throws IOException {
        change("remote", "ip", "addr", "add", "198.51.100.5/30", "dev", "dn0");
        change("remote", "ip", "addr", "add", "2001:db8:3::1/64", "dev", "dn0", "nodad");
        start("-T", "5413");
        // an echo server on the remote network (tap path) and one on the host's loopback (spliced with -T)
        server("remote", 5411, "-Hltn", "socat", "-T30", "TCP4-LISTEN:5411,bind=198.51.100.200,reuseaddr,fork",
                "PIPE");
        server("host", 5413, "-Hltn", "socat", "-T30", "TCP4-LISTEN:5413,bind=127.0.0.1,reuseaddr,fork", "PIPE");
        tcpServer("198.51.100.200", 5412, "new4");
        tcpServer("2001:db8:2::10", 5414, "new6");
        Path go = sb.work().resolve("go");
        // each client sends a line once the host is renumbered ("go" exists), and prints what comes back
        String after = "i=0; while [ ! -e " + go + " ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; "
                + "echo after; sleep 2";
        Proc tapClient = Proc.start(List.of("nsenter", "-t", Long.toString(nsPid), "-n", "sh", "-c",
                "(" + after + ") | socat -t5 -T20 - TCP4:198.51.100.200:5411"), sb.work(), sb.logs(), "tap-client",
                null);
        servers.add(tapClient);
        Proc spliced = Proc.start(List.of("nsenter", "-t", Long.toString(nsPid), "-n", "sh", "-c",
                "(" + after + ") | socat -t5 -T20 - TCP4:127.0.0.1:5413"), sb.work(), sb.logs(), "spliced-client",
                null);
        servers.add(spliced);
        assertNotNull(Poll.until(SHORT, () -> sb.root(SHORT, "ss-est", sb.asRoot("remote", "ss", "-Htn",
                "state", "established", "sport = :5411")).out().contains("198.51.100.2")),
                "the tap client's connection is established from the host's old address");
        assertNotNull(Poll.until(SHORT, () -> !sb.root(SHORT, "ss-est", sb.asRoot("host", "ss", "-Htn",
                "state", "established", "sport = :5413")).out().isBlank()), "the spliced connection is established");

        renumber();
        Duration took = await(FOLLOW, "the new addresses and gateways", s -> s.contains("198.51.100.6/30")
                && s.contains("2001:db8:3::2/64") && s.contains("default via 198.51.100.5")
                && s.contains("default via 2001:db8:3::1") && !s.contains("198.51.100.2/")
                && !s.contains("2001:db8:1::2/"));
        System.out.println("FollowHostIT: renumbering followed in " + measured(took));
        Files.writeString(go, "");

        Proc.Result old = tapClient.await(Duration.ofSeconds(30));
        assertNotEquals(0, old.exit(), "the connection from the vanished address ends in an error:" + old.describe());
        // the guest's socket was reset: socat hears of it as ECONNRESET, or as EPIPE on its next write
        assertTrue(old.err().contains("Connection reset") || old.err().contains("Broken pipe"),
                "reset, not timed out:" + old.describe());
        Proc.Result sp = spliced.await(Duration.ofSeconds(30));
        assertEquals("after", sp.out().strip(), "the spliced connection on loopback still carries data:"
                + sp.describe());
        Proc.Result r4 = client("TCP4:198.51.100.200:5412");
        assertEquals("new4", r4.out().strip(), r4.describe());
        Proc.Result r6 = client("TCP6:[2001:db8:2::10]:5414");
        assertEquals("new6", r6.out().strip(), r6.describe());
    }

    /** Renumbers the sandbox's host: 198.51.100.6/30 via .5, 2001:db8:3::2/64 via 2001:db8:3::1. */
    private void renumber() {
        change("host", "ip", "addr", "add", "198.51.100.6/30", "dev", "up0");
        change("host", "ip", "addr", "del", "198.51.100.2/30", "dev", "up0");
        change("host", "ip", "route", "replace", "default", "via", "198.51.100.5");
        change("host", "ip", "addr", "add", "2001:db8:3::2/64", "dev", "up0", "nodad");
        change("host", "ip", "addr", "del", "2001:db8:1::2/64", "dev", "up0");
        change("host", "ip", "-6", "route", "replace", "default", "via", "2001:db8:3::1");
    }

    @Test
    void withoutConfigNetRouterAdvertisementsAndDhcpAnswerWithTheRenumberedHost() throws IOException {
        Sandbox.require(Files.isExecutable(Path.of("/usr/bin/busybox")), "busybox (udhcpc) is missing");
        change("remote", "ip", "addr", "add", "198.51.100.5/30", "dev", "dn0");
        change("remote", "ip", "addr", "add", "2001:db8:3::1/64", "dev", "dn0", "nodad");
        startWith(false);
        // the guest configures itself: SLAAC from our router advertisements, DHCP with udhcpc
        assertEquals(0, ns("link-up", "ip", "link", "set", "up0", "up").exit());
        await(SHORT, "a SLAAC address in the host's prefix", s -> s.contains("inet6 2001:db8:1:"));
        Path script = sb.work().resolve("udhcpc.sh");
        Files.writeString(script, "#!/bin/sh\n[ \"$1\" = bound ] && echo \"lease ip=$ip router=$router\"\nexit 0\n");
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        String[] udhcpc = {"timeout", "20", "busybox", "udhcpc", "-i", "up0", "-f", "-q", "-n", "-t", "5", "-T", "1",
            "-s", script.toString()};
        Proc.Result before = ns("udhcpc", udhcpc);
        assertTrue(before.out().contains("lease ip=198.51.100.2 router=198.51.100.1"), before.describe());

        renumber();
        Duration took = await(FOLLOW, "a SLAAC address in the new prefix", s -> s.contains("inet6 2001:db8:3:"));
        System.out.println("FollowHostIT: new prefix advertised and taken in " + measured(took));
        Proc.Result after = ns("udhcpc", udhcpc);
        assertTrue(after.out().contains("lease ip=198.51.100.6 router=198.51.100.5"), after.describe());
    }

    @Test
    void mtuChangeOfTheUplinkReachesPastaAndTheTapKeepsPastasMtu() {
        start();
        String mtuBefore = ns("ns-link", "ip", "-o", "link", "show", "dev", "up0").out();
        assertTrue(mtuBefore.contains("mtu 65520"), mtuBefore);
        change("host", "ip", "link", "set", "up0", "mtu", "1400");
        assertNotNull(Poll.until(FOLLOW, () -> readLog().contains("up0 mtu 1400")),
                () -> "pasta did not see the MTU change:\n" + readLog());
        String mtuAfter = ns("ns-link", "ip", "-o", "link", "show", "dev", "up0").out();
        assertTrue(mtuAfter.contains("mtu 65520"), "the tap's MTU is pasta's, not the host's: " + mtuAfter);
        tcpServer("198.51.100.200", 5421, "still");
        Proc.Result r = client("TCP4:198.51.100.200:5421");
        assertEquals("still", r.out().strip(), r.describe());
    }

    @Test
    void templateGoingDownAndAnotherInterfaceTakingTheDefaultRouteIsFollowed() {
        change("host", "ip", "link", "add", "up1", "type", "veth", "peer", "name", "dn1");
        change("host", "ip", "link", "set", "dn1", "netns", sb.name() + "-r");
        change("host", "ip", "addr", "add", "203.0.113.2/24", "dev", "up1");
        change("host", "ip", "link", "set", "up1", "up");
        change("remote", "ip", "addr", "add", "203.0.113.1/24", "dev", "dn1");
        change("remote", "ip", "link", "set", "dn1", "up");
        start("-4");
        tcpServer("198.51.100.200", 5431, "via-up1");

        change("host", "ip", "link", "set", "up0", "down");
        change("host", "ip", "route", "add", "default", "via", "203.0.113.1", "dev", "up1");
        Duration took = await(FOLLOW, "up1's address and default route", s -> s.contains("203.0.113.2/24")
                && s.contains("default via 203.0.113.1") && !s.contains("198.51.100.2/"));
        System.out.println("FollowHostIT: new template followed in " + measured(took));
        Proc.Result r = client("TCP4:198.51.100.200:5431");
        assertEquals("via-up1", r.out().strip(), r.describe());
    }

    @Test
    void rewrittenResolvConfMovesTheDnsForwardTarget() throws Exception {
        change("remote", "ip", "addr", "add", "198.51.100.201/32", "dev", "lo");
        for (String[] s : new String[][] {{"198.51.100.200", "first"}, {"198.51.100.201", "second"}}) {
            Proc p = sb.startRoot("remote", "dns-" + s[1], "socat", "-T30",
                    "UDP4-RECVFROM:53,bind=" + s[0] + ",reuseaddr,fork", "SYSTEM:echo " + s[1]);
            servers.add(p);
        }
        assertNotNull(Poll.until(SHORT, () -> sb.root(SHORT, "ss-dns", sb.asRoot("remote", "ss", "-Hlun",
                "sport = :53")).out().lines().count() >= 2), "both resolvers listen");
        start("--dns-forward", "203.0.113.53");
        Supplier<String> ask = () -> ns("dns", "sh", "-c", "echo q | socat -T2 - UDP4:203.0.113.53:53").out()
                .strip();
        // socat waits 0.5 s for the answer: the first one, from a freshly forked server, may miss that on a busy
        // machine, so ask again until one arrives
        assertNotNull(Poll.until(SHORT, () -> "first".equals(ask.get())), "the first name server of resolv.conf "
                + "answers");

        try (AutoCloseable restore = sb.resolvConf("nameserver 198.51.100.201\n")) {
            long t0 = System.nanoTime();
            String[] got = {""};
            Duration took = Poll.until(Duration.ofSeconds(5), () -> "second".equals(got[0] = ask.get()));
            assertNotNull(took, () -> "DNS still goes to " + got[0] + ":\n" + readLog());
            Duration sinceWrite = Duration.ofNanos(System.nanoTime() - t0);
            System.out.println("FollowHostIT: resolv.conf followed in " + measured(sinceWrite));
            assertTrue(readLog().contains("Host resolvers now 198.51.100.201, search none"), readLog());
            assertTrue(sinceWrite.compareTo(FOLLOW.plus(Duration.ofSeconds(2))) < 0,
                    "followed within 1 s, plus at most one client's timeout: " + measured(sinceWrite));
        }
    }

    @Test
    void noFollowHostKeepsTheSnapshotOfTheStart() {
        start("--no-follow-host");
        String before = nsState();
        assertTrue(before.contains("198.51.100.2/30"), before);
        change("host", "ip", "addr", "add", "198.51.100.6/30", "dev", "up0");
        change("host", "ip", "addr", "del", "198.51.100.2/30", "dev", "up0");
        // what following would have done within 1 s has not happened after 2 s
        assertEquals(null, Poll.until(Duration.ofSeconds(2), () -> !nsState().equals(before)),
                "the namespace changed:\n" + nsState());
        assertTrue(!readLog().contains("Host IPv4"), readLog());
    }

    @Test
    void thousandChangesInABurstAreAppliedOnceOrAFewTimesWithoutBusyLoopOrLeak() throws IOException {
        start();
        long jvm = jvm();
        burst("203.0.113.250/32", "203.0.113.1/32");
        long fdsAfterOne = fds(jvm);
        long applied = readLog().lines().filter(l -> l.contains("Namespace up0:")).count();
        assertTrue(applied >= 1 && applied <= 10, "applied " + applied + " times:\n" + readLog());
        // idle again: no CPU spent while nothing changes, and no descriptor left behind by a second burst
        long cpu0 = cpuTicks(jvm);
        try {
            Thread.sleep(1000); // not a synchronisation: the second over which the CPU time is measured
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long cpu = cpuTicks(jvm) - cpu0;
        assertTrue(cpu < 50, "pasta used " + cpu + " ticks of CPU in an idle second");
        burst("203.0.113.1/32", "203.0.113.250/32");
        assertEquals(fdsAfterOne, fds(jvm), "descriptors of pasta after one burst and after another");
    }

    /**
     * Runs 1000 changes of up0 in one {@code ip -batch}: 999 additions and removals of 203.0.113.N/32 that leave
     * {@code stays} and not {@code goes}, and an MTU change; waits for the namespace to show the end state.
     */
    private void burst(String stays, String goes) throws IOException {
        int keep = Integer.parseInt(stays.substring(stays.lastIndexOf('.') + 1, stays.indexOf('/')));
        StringBuilder batch = new StringBuilder();
        for (int round = 0; round < 4; round++) {
            for (int i = 1; i <= 250; i++) {
                if (round == 3 && i == keep) {
                    continue; // stays
                }
                batch.append(round % 2 == 0 ? "addr add" : "addr del").append(" 203.0.113.").append(i)
                        .append("/32 dev up0\n");
            }
        }
        batch.append("link set up0 mtu ").append(keep == 250 ? 1400 : 1500).append('\n');
        Path file = sb.work().resolve("burst.batch");
        Files.writeString(file, batch);
        assertEquals(1000, batch.toString().lines().count());
        // -force: go on after a command that fails (an address the first round finds there already)
        sb.root(SHORT, "host-batch", sb.asRoot("host", "ip", "-force", "-batch", file.toString()));
        Duration took = await(FOLLOW, "the burst's end state", s -> s.contains(stays + " ")
                && !s.contains(goes + " "));
        System.out.println("FollowHostIT: 1000 changes followed in " + measured(took));
    }

    private static long fds(long pid) throws IOException {
        try (var s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return s.count();
        }
    }

    /** @return user plus system time of {@code pid}, in clock ticks (proc(5): fields 14 and 15 of stat) */
    private static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
