package io.jpasta.it;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soak run of {@code scripts/test --long}: one pasta ({@code --config-net -t 7403 -T 7402}) under mixed load for
 * {@code -Djpasta.soak.minutes} minutes (60 there; the normal suite skips this test): short and long TCP through the
 * tap, UDP request/response and pings from the guest to the remote network, short TCP spliced from the guest to a
 * host loopback server, and short TCP into the guest from the remote network (tap) and from the host's loopback
 * (splice); every byte is compared with what comes back ({@code soak/load.py}). Every
 * {@code -Djpasta.soak.sampleSeconds} (60) the JVM's descriptor count, RSS and CPU time are sampled into
 * {@code target/soak/TIME/samples.tsv} with a plot beside it ({@code samples.svg}). They must stay flat: from the
 * first sample after 1.5 minutes on (the pings' ICMP flows, one per ping, live 60 s), descriptors within 16 and RSS
 * within 32 MiB of that sample, CPU per interval within twice that interval's plus 5 points.
 */
class SoakIT {
    private static final String REMOTE = "198.51.100.200";
    /** When the load's flows have reached their steady number: the ICMP idle timeout (60 s) and a margin. */
    private static final double STEADY_MINUTES = 1.5;

    record Sample(double minutes, long fds, long rssKib, double cpuPercent) {
    }

    @Test
    void mixedLoadKeepsDescriptorsMemoryAndCpuFlat() throws IOException {
        String minutesProp = System.getProperty("jpasta.soak.minutes");
        if (minutesProp == null) {
            System.out.println("SoakIT skipped: it runs under scripts/test --long (-Djpasta.soak.minutes=N)");
            Assumptions.abort("soak runs only with -Djpasta.soak.minutes");
        }
        double minutes = Double.parseDouble(minutesProp);
        long sampleS = Long.getLong("jpasta.soak.sampleSeconds", 60);
        long seconds = Math.round(minutes * 60);
        Path dir = Path.of("target", "soak", LocalDateTime.now().format(DateTimeFormatter.ofPattern(
                "yyyyMMdd-HHmmss"))).toAbsolutePath();
        Files.createDirectories(dir);
        try (Sandbox sb = Sandbox.create(getClass().getSimpleName())) {
            Path load = sb.work().resolve("load.py");
            try (InputStream in = Objects.requireNonNull(getClass().getResourceAsStream("/soak/load.py"))) {
                Files.write(load, in.readAllBytes());
            }
            List<Proc> procs = new ArrayList<>();
            try {
                Proc servers = sb.startRoot("remote", "servers", "python3", load.toString(), "servers", REMOTE);
                procs.add(servers);
                Proc hostEcho = sb.startRoot("host", "host-echo", "python3", load.toString(), "tcp-echo",
                        "127.0.0.1", "7402");
                procs.add(hostEcho);
                for (Proc p : List.of(servers, hostEcho)) {
                    assertNotNull(Poll.until(Duration.ofSeconds(20), () -> p.stdout().contains("listening")),
                            () -> "server did not start:" + p.await(Duration.ZERO).describe());
                }
                Proc guest = sb.startUser("guest", Pasta.underTest(), "--config-net", "-t", "7403", "-T", "7402",
                        "--", "python3", load.toString(), "guest", Long.toString(seconds));
                procs.add(guest);
                assertNotNull(Poll.until(Duration.ofSeconds(30), () -> guest.stdout().contains("listening")),
                        () -> "guest did not start:" + guest.await(Duration.ZERO).describe());
                long jvm = ProcessHandle.of(guest.pid()).orElseThrow().descendants()
                        .filter(h -> h.info().command().orElse("").endsWith("/java")).findFirst().orElseThrow()
                        .pid();
                Proc remoteClient = sb.startRoot("remote", "remote-client", "python3", load.toString(), "client",
                        "198.51.100.2", "7403", Long.toString(seconds));
                Proc hostClient = sb.startRoot("host", "host-client", "python3", load.toString(), "client",
                        "127.0.0.1", "7403", Long.toString(seconds));
                procs.add(remoteClient);
                procs.add(hostClient);

                List<Sample> samples = new ArrayList<>();
                long t0 = System.nanoTime();
                long lastTicks = FaultsIT.cpuTicks(jvm), lastNs = t0;
                for (long k = 1; k * sampleS <= seconds; k++) {
                    long at = t0 + k * sampleS * 1_000_000_000L;
                    Poll.until(Duration.ofNanos(Math.max(0, at - System.nanoTime())), () -> !guest.isAlive());
                    if (!guest.isAlive()) {
                        break;
                    }
                    long now = System.nanoTime(), ticks = FaultsIT.cpuTicks(jvm);
                    samples.add(new Sample((now - t0) / 60e9, fds(jvm), FaultsIT.rssKib(jvm),
                            100.0 * (ticks - lastTicks) / ((now - lastNs) / 1e7)));
                    lastTicks = ticks;
                    lastNs = now;
                    write(dir, samples);
                }
                Proc.Result g = guest.await(Duration.ofSeconds(seconds + 120));
                Proc.Result rc = remoteClient.await(Duration.ofSeconds(60));
                Proc.Result hc = hostClient.await(Duration.ofSeconds(60));
                String totals = Stream.of(g, rc, hc).flatMap(r -> r.out().lines())
                        .filter(l -> l.startsWith("totals")).reduce("", (a, b) -> a + b + "\n");
                Files.writeString(dir.resolve("totals.txt"), totals);
                System.out.print("soak " + minutes + " min, samples in " + dir + ":\n" + totals);
                samples.forEach(s -> System.out.printf("  %.1f min: %d fds, %d KiB RSS, %.1f %% CPU%n", s.minutes(),
                        s.fds(), s.rssKib(), s.cpuPercent()));
                assertEquals(0, g.exit(), g.describe());
                assertEquals(0, rc.exit(), rc.describe());
                assertEquals(0, hc.exit(), hc.describe());
                assertTrue(samples.size() >= 2, "at least two samples: run at least two intervals");
                // the baseline: the first sample after the ICMP flows of the pings (one per ping, idle for 60 s
                // before they expire, as in pasta) reached their steady number, if the run is that long
                Sample first = samples.stream().filter(s -> s.minutes() >= STEADY_MINUTES).findFirst()
                        .orElse(samples.getFirst());
                for (Sample s : samples.subList(samples.indexOf(first), samples.size())) {
                    assertTrue(s.fds() - first.fds() <= 16, "descriptors grew: " + samples);
                    assertTrue(s.rssKib() - first.rssKib() <= 32 * 1024, "RSS grew: " + samples);
                    assertTrue(s.cpuPercent() <= 2 * first.cpuPercent() + 5, "CPU grew: " + samples);
                }
            } finally {
                procs.forEach(Proc::close);
            }
        }
    }

    private static long fds(long pid) {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return s.count();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Writes the samples as TSV and as an SVG plot: three lines, each scaled to its own maximum, labelled. */
    private static void write(Path dir, List<Sample> samples) {
        StringBuilder tsv = new StringBuilder("minutes\tfds\trss_kib\tcpu_percent\n");
        for (Sample s : samples) {
            tsv.append(String.format("%.2f\t%d\t%d\t%.1f%n", s.minutes(), s.fds(), s.rssKib(), s.cpuPercent()));
        }
        int w = 640, h = 360, left = 60, right = 20, top = 30, bottom = 40;
        double maxT = Math.max(samples.getLast().minutes(), 1e-9);
        String[] names = {"descriptors", "RSS (KiB)", "CPU (%)"};
        String[] colours = {"#1f77b4", "#d62728", "#2ca02c"};
        StringBuilder svg = new StringBuilder();
        svg.append(String.format("<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d'>%n", w, h));
        svg.append("<rect width='100%' height='100%' fill='white'/>\n");
        svg.append(String.format("<text x='%d' y='20' font-family='sans-serif' font-size='14'>jpasta soak: each line"
                + " relative to its maximum (label), over %.1f min</text>%n", left, maxT));
        svg.append(String.format("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", left, h - bottom,
                w - right, h - bottom));
        svg.append(String.format("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>%n", left, top, left,
                h - bottom));
        for (int k = 0; k < 3; k++) {
            double max = 1e-9;
            for (Sample s : samples) {
                max = Math.max(max, value(s, k));
            }
            StringBuilder pts = new StringBuilder();
            for (Sample s : samples) {
                double x = left + (w - left - right) * s.minutes() / maxT;
                double y = h - bottom - (h - top - bottom) * value(s, k) / max;
                pts.append(String.format("%.1f,%.1f ", x, y));
            }
            svg.append(String.format("<polyline fill='none' stroke='%s' stroke-width='2' points='%s'/>%n",
                    colours[k], pts.toString().trim()));
            svg.append(String.format("<text x='%d' y='%d' fill='%s' font-family='sans-serif' font-size='12'>%s, max"
                    + " %.0f</text>%n", left + 10 + 190 * k, h - 10, colours[k], names[k], max));
        }
        svg.append("</svg>\n");
        try {
            Files.writeString(dir.resolve("samples.tsv"), tsv);
            Files.writeString(dir.resolve("samples.svg"), svg);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double value(Sample s, int k) {
        return switch (k) {
            case 0 -> s.fds();
            case 1 -> s.rssKib();
            default -> s.cpuPercent();
        };
    }
}
