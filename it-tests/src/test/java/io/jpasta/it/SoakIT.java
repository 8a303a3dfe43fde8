package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Soak: mixed load for a long time (system property {@code jpasta.soak.seconds}; {@code scripts/test --long} asks
 * for an hour; without it the test is skipped): short and long TCP connections through the tap and spliced, UDP
 * request/response, pings, every byte checked by the load itself ({@code soak-load.py}). The JVM's descriptors,
 * RSS and CPU are sampled every {@code jpasta.soak.sampleSeconds} (60) into {@code soak.tsv} and plotted in
 * {@code soak.svg} under target/it-logs/SoakIT. Passes when no byte was wrong, no connection failed, the
 * descriptors stay flat after the first sample, and RSS grows no more than the heap it touches (then, in runs of
 * half an hour or more, stays flat over the last third).
 */
class SoakIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final String REMOTE = "198.51.100.200";
    /** One echo through pasta's spliced forward of 18200: prints "ok" once the namespace's server answers. */
    private static final String ECHO_PROBE = """
            import socket
            try:
                with socket.create_connection(("127.0.0.1", 18200), timeout=2) as c:
                    c.sendall(b"probe"); c.shutdown(socket.SHUT_WR)
                    print("ok" if c.recv(5) == b"probe" else "bad", end="")
            except OSError as e:
                print(e, end="")
            """;

    @Test
    void mixedLoadMovesEveryByteRightAndNothingGrows() throws Exception {
        long seconds = Long.getLong("jpasta.soak.seconds", 0);
        assumeTrue(seconds > 0, "soak skipped: -Djpasta.soak.seconds=N runs it (scripts/test --long)");
        long sample = Long.getLong("jpasta.soak.sampleSeconds", Math.min(60, Math.max(5, seconds / 10)));
        Sandbox sb = SANDBOX.get();
        Path dir = sb.userDir("soak");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path load = dir.resolve("soak-load.py");
        try (InputStream in = SoakIT.class.getResourceAsStream("/it/soak-load.py")) {
            Files.copy(in, load, StandardCopyOption.REPLACE_EXISTING);
        }
        String py = load.toString();
        List<Proc> procs = new ArrayList<>();
        try {
            procs.add(sb.startRoot("remote", "tcp-echo", "python3", py, "tcp-server", REMOTE, "5600"));
            procs.add(sb.startRoot("remote", "udp-echo", "python3", py, "udp-server", REMOTE, "5601"));
            // the namespace's clients start with pasta: the remote's servers must listen by then
            for (String ss : new String[] {"-Hltn sport = :5600", "-Hlun sport = :5601"}) {
                assertNotNull(Poll.until(Duration.ofSeconds(20), () -> !sb.root(Duration.ofSeconds(5), "ss",
                        sb.asRoot("remote", ("ss " + ss).split(" "))).out().isBlank()), "remote server: " + ss);
            }
            String s = Long.toString(seconds);
            String nsLoad = String.join(" & ", "python3 " + py + " tcp-server 0.0.0.0 18200",
                    "python3 " + py + " udp-server 0.0.0.0 18201",
                    "python3 " + py + " tcp-short " + REMOTE + " 5600 " + s + " > " + dir + "/ns-tcp-short.txt",
                    "python3 " + py + " tcp-long " + REMOTE + " 5600 " + s + " > " + dir + "/ns-tcp-long.txt",
                    "python3 " + py + " udp " + REMOTE + " 5601 " + s + " > " + dir + "/ns-udp.txt",
                    "ping -q -i 1 -w " + s + " " + REMOTE + " > " + dir + "/ns-ping.txt")
                    + "; sleep " + (seconds + 15);
            Proc pasta = sb.startUser("pasta", Pasta.underTest(), "--config-net", "-t", "18200", "-u", "18201",
                    "--", "sh", "-c", nsLoad);
            procs.add(pasta);
            // pasta's listener answers before the namespace's echo server listens, and a connection in between is
            // reset (as pasta resets it): the clients count every failure, so they start once an echo came back
            assertNotNull(Poll.until(Duration.ofSeconds(20), () -> sb.user(Duration.ofSeconds(5), "probe", "python3",
                    "-c", ECHO_PROBE).out().equals("ok")), "no echo through 18200");
            long jvm = FaultsIT.descendants(pasta.pid()).stream()
                    .filter(d -> FaultsIT.cmdline(d).contains("io.jpasta.launcher.Main")).findFirst().orElseThrow();
            List<Proc> clients = List.of(
                    sb.startUser("splice-short", "python3", py, "tcp-short", "127.0.0.1", "18200", s),
                    sb.startUser("splice-long", "python3", py, "tcp-long", "127.0.0.1", "18200", s),
                    sb.startUser("splice-udp", "python3", py, "udp", "127.0.0.1", "18201", s),
                    sb.startRoot("remote", "tap-short", "python3", py, "tcp-short", "198.51.100.2", "18200", s),
                    sb.startRoot("remote", "tap-udp", "python3", py, "udp", "198.51.100.2", "18201", s));
            procs.addAll(clients);
            List<long[]> samples = new ArrayList<>(); // seconds, fds, rss KiB, cpu ticks
            long t0 = System.nanoTime();
            while ((System.nanoTime() - t0) / 1_000_000_000L < seconds + 5) {
                samples.add(sampleOf(jvm, (System.nanoTime() - t0) / 1_000_000_000L));
                Thread.sleep(sample * 1000);
            }
            List<String> results = new ArrayList<>();
            for (Proc c : clients) {
                results.add(c.await(Duration.ofSeconds(60)).out().strip());
            }
            assertNotNull(Poll.until(Duration.ofSeconds(30), () -> Files.exists(dir.resolve("ns-ping.txt"))
                    && read(dir.resolve("ns-udp.txt")).startsWith("ok")), "the namespace's clients never ended");
            for (String f : new String[] {"ns-tcp-short.txt", "ns-tcp-long.txt", "ns-udp.txt"}) {
                results.add(read(dir.resolve(f)).strip());
            }
            Path report = write(sb.logs(), samples, results, read(dir.resolve("ns-ping.txt")));
            for (String r : results) {
                assertTrue(r.matches("ok [1-9][0-9]* bad 0 lost [0-9]+"), "every byte right: " + r + " (" + report
                        + ")");
                String[] w = r.split(" ");
                assertTrue(Long.parseLong(w[5]) <= Long.parseLong(w[1]) / 100 + 5, "UDP lost at most 1 %: " + r);
            }
            assertTrue(read(dir.resolve("ns-ping.txt")).contains(" 0% packet loss"), "pings: "
                    + read(dir.resolve("ns-ping.txt")));
            long[] first = samples.get(1), last = samples.getLast();
            assertTrue(last[1] <= first[1] + 32, "descriptors grew: " + first[1] + " -> " + last[1]);
            // the heap is touched as load allocates (the 64 MiB young generation fills over the first ~17 min of
            // this load: 59 -> 107 MiB, then flat): bounded by it, then flat
            assertTrue(last[2] <= first[2] + 80 * 1024, "RSS grew past the heap: " + first[2] + " -> " + last[2]
                    + " KiB");
            if (seconds >= 1800) {
                long[] third = samples.get(samples.size() * 2 / 3);
                assertTrue(last[2] - third[2] <= 8 * 1024, "RSS still growing in the last third: " + third[2]
                        + " -> " + last[2] + " KiB");
            }
        } finally {
            procs.reversed().forEach(Proc::close);
        }
    }

    private static long[] sampleOf(long pid, long at) throws IOException {
        long fds;
        try (var s = Files.list(Path.of("/proc", "" + pid, "fd"))) {
            fds = s.count();
        }
        long rss = 0;
        for (String l : Files.readAllLines(Path.of("/proc", "" + pid, "status"))) {
            if (l.startsWith("VmRSS:")) {
                rss = Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        String stat = Files.readString(Path.of("/proc", "" + pid, "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long cpu = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime, in clock ticks
        return new long[] {at, fds, rss, cpu};
    }

    /** Writes soak.tsv and soak.svg (descriptors, RSS and CPU over time). @return the directory */
    private static Path write(Path logs, List<long[]> samples, List<String> results, String ping) throws IOException {
        StringBuilder tsv = new StringBuilder("seconds\tfds\trss_kib\tcpu_ticks\n");
        for (long[] s : samples) {
            tsv.append(s[0]).append('\t').append(s[1]).append('\t').append(s[2]).append('\t').append(s[3])
                    .append('\n');
        }
        tsv.append("# clients: ").append(String.join(" | ", results)).append("\n# ping: ")
                .append(ping.strip().replace('\n', ' ')).append('\n');
        Files.writeString(logs.resolve("soak.tsv"), tsv);
        Files.writeString(logs.resolve("soak.svg"), svg(samples));
        return logs;
    }

    private static String svg(List<long[]> samples) {
        int w = 720, h = 200;
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-size='11'>%n", w, h * 3 + 30));
        String[] names = {"descriptors", "RSS (KiB)", "CPU (ticks per sample)"};
        long tMax = Math.max(1, samples.getLast()[0]);
        for (int k = 0; k < 3; k++) {
            long max = 1;
            for (int i = 0; i < samples.size(); i++) {
                max = Math.max(max, value(samples, i, k));
            }
            int top = k * h + 10;
            sb.append(String.format(Locale.ROOT, "<text x='5' y='%d'>%s, max %d</text>%n", top + 10, names[k], max));
            sb.append("<polyline fill='none' stroke='black' points='");
            for (int i = 0; i < samples.size(); i++) {
                double x = 40 + (w - 60) * (double) samples.get(i)[0] / tMax;
                double y = top + h - 20 - (h - 40) * (double) value(samples, i, k) / max;
                sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            sb.append("'/>\n");
        }
        return sb.append("</svg>\n").toString();
    }

    private static long value(List<long[]> samples, int i, int k) {
        if (k < 2) {
            return samples.get(i)[k + 1];
        }
        return i == 0 ? 0 : samples.get(i)[3] - samples.get(i - 1)[3];
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
