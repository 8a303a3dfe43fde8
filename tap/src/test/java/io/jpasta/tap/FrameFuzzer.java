package io.jpasta.tap;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A mutation fuzzer for tap frames, shared by the fuzz tests of every module that takes frames from the guest.
 *
 * <p>Seeds: the frame fixtures ({@code frames/*.bin}) and every frame of the reference captures of pasta
 * ({@code captures/*.pcap}, copied from {@code ../shared/captures}). {@link #next} picks an entry of the corpus and
 * applies one to four mutations (bit flips, interesting bytes and 16/32-bit values at header offsets, truncation,
 * extension, chunk insertion and removal, splicing with another entry) and then, most of the time, fixes the IPv4
 * header checksum and the TCP/UDP/ICMP checksums so that the mutation reaches past the checks into the services
 * and engines. Guidance without instrumentation: the test tells {@link #outcome} what an input did (which counters
 * moved, what was sent); inputs with an outcome never seen before join the corpus.
 *
 * <p>Inputs per test: {@code -Djpasta.fuzz.inputs=N} ({@code scripts/test --long} asks for ten million), else the
 * test's default. An input that breaks a property is written to {@code target/fuzz-failures/} and named in the
 * failure message (in hex too), to become a byte fixture of a regression test beside the fix.
 */
public final class FrameFuzzer {
    private static final int MAX_CORPUS = 8192;
    private static final int[] BYTES = {0, 1, 2, 4, 5, 6, 8, 0x0f, 0x10, 0x11, 0x20, 0x3a, 0x40, 0x45, 0x46, 0x4f,
        0x60, 0x7f, 0x80, 0x86, 0x87, 0x88, 0xfe, 0xff};
    private static final int[] SHORTS = {0, 1, 2, 7, 8, 20, 40, 53, 67, 68, 546, 547, 576, 1280, 1500, 0x0800,
        0x0806, 0x86dd, 0x2000, 0x3fff, 0x4000, 0x7fff, 0x8000, 0xfff0, 0xfffe, 0xffff};
    private static final int[] INTS = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0};

    private final SplittableRandom rnd;
    private final List<byte[]> corpus = new ArrayList<>();
    private final Set<Long> outcomes = new HashSet<>();
    private byte[] last;
    private final java.util.Map<io.jpasta.netns.log.Counters, long[]> lastSeen = new java.util.IdentityHashMap<>();

    /** @param seed the random seed: the same seed gives the same inputs */
    public FrameFuzzer(long seed, List<byte[]> seeds) {
        rnd = new SplittableRandom(seed);
        corpus.addAll(seeds);
    }

    /** @return the number of inputs a fuzz test runs: {@code -Djpasta.fuzz.inputs}, else {@code normal} */
    public static int inputs(int normal) {
        return Integer.getInteger("jpasta.fuzz.inputs", normal);
    }

    /** @return the fixtures and the frames of the reference captures, without duplicates */
    public static List<byte[]> seeds() {
        Set<String> seen = new LinkedHashSet<>();
        List<byte[]> out = new ArrayList<>();
        for (String name : frameFixtureNames()) {
            add(out, seen, Frames.bytes(name));
        }
        for (String pcap : new String[] {"l2-services", "dhcpv6", "l4"}) {
            for (byte[] f : pcapFrames(resource("/captures/" + pcap + ".pcap"))) {
                add(out, seen, f);
            }
        }
        return out;
    }

    private static void add(List<byte[]> out, Set<String> seen, byte[] f) {
        if (f != null && seen.add(HexFormat.of().formatHex(f))) {
            out.add(f);
        }
    }

    /** @return the names of the {@code frames/*.bin} fixtures, from the directory or the test jar holding them */
    private static List<String> frameFixtureNames() {
        java.net.URL readme = Objects.requireNonNull(Frames.class.getResource("/frames/README.md"));
        List<String> names = new ArrayList<>();
        try {
            if (readme.getProtocol().equals("jar")) {
                java.net.JarURLConnection c = (java.net.JarURLConnection) readme.openConnection();
                c.setUseCaches(false);
                try (java.util.jar.JarFile jar = c.getJarFile()) {
                    jar.stream().map(java.util.jar.JarEntry::getName)
                            .filter(n -> n.startsWith("frames/") && n.endsWith(".bin"))
                            .forEach(n -> names.add(n.substring(7, n.length() - 4)));
                }
            } else {
                try (var files = Files.list(Path.of(readme.toURI()).getParent())) {
                    files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".bin"))
                            .forEach(n -> names.add(n.substring(0, n.length() - 4)));
                }
            }
        } catch (IOException | java.net.URISyntaxException e) {
            throw new IllegalStateException("listing the frame fixtures", e);
        }
        names.sort(null);
        return names;
    }

    /** @return the bytes of a test resource */
    public static byte[] resource(String name) {
        try (InputStream in = FrameFuzzer.class.getResourceAsStream(name)) {
            return Objects.requireNonNull(in, name).readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the records of a classic little-endian pcap file (24-byte file header, 16-byte record headers) */
    public static List<byte[]> pcapFrames(byte[] pcap) {
        List<byte[]> frames = new ArrayList<>();
        for (int o = 24; o + 16 <= pcap.length; ) {
            int incl = le32(pcap, o + 8);
            o += 16;
            if (incl < 0 || o + incl > pcap.length) {
                break;
            }
            frames.add(Arrays.copyOfRange(pcap, o, o + incl));
            o += incl;
        }
        return frames;
    }

    private static int le32(byte[] b, int o) {
        return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff) << 16 | (b[o + 3] & 0xff) << 24;
    }

    /** @return the random source, for the test's own choices (events, clock), so a seed replays everything */
    public SplittableRandom random() {
        return rnd;
    }

    /** @return the next input: a mutated corpus entry */
    public byte[] next() {
        byte[] f = corpus.get(rnd.nextInt(corpus.size())).clone();
        int n = 1 + rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
            f = mutate(f);
        }
        if (rnd.nextInt(8) != 0) {
            Checksums.fix(f);
        }
        last = f;
        return f;
    }

    /**
     * Reports what the last input did; an outcome seen for the first time keeps the input in the corpus.
     *
     * @param signature a digest of the observable effects (counters that moved, result, frames sent)
     * @return true if the outcome was new
     */
    public boolean outcome(long signature) {
        if (!outcomes.add(signature) || last == null) {
            return false;
        }
        if (corpus.size() < MAX_CORPUS) {
            corpus.add(last);
        } else {
            corpus.set(rnd.nextInt(corpus.size()), last);
        }
        return true;
    }

    /**
     * @return a bit per event and drop reason of {@code k} that moved since the previous call with the same
     *         counters (events in the low 32 bits, drop reasons above), for {@link #outcome}
     */
    public long moved(io.jpasta.netns.log.Counters k) {
        long[] prev = lastSeen.computeIfAbsent(k, x -> new long[x.events() + x.reasons()]);
        long bits = 0;
        for (int e = 0; e < k.events(); e++) {
            if (k.get(e) != prev[e]) {
                bits |= 1L << (e & 31);
                prev[e] = k.get(e);
            }
        }
        for (int r = 0; r < k.reasons(); r++) {
            int i = k.events() + r;
            if (k.drops(r) != prev[i]) {
                bits |= 1L << (32 + (r & 31));
                prev[i] = k.drops(r);
            }
        }
        return bits;
    }

    /** Prints the run's figures: inputs, time, inputs per second, drops, corpus size. */
    public void report(String what, int n, long dropped, long startNs) {
        double s = (System.nanoTime() - startNs) / 1e9;
        System.out.printf("fuzz %s: %d inputs in %.1f s (%.0f/s), %d dropped, corpus %d%n", what, n, s, n / s,
                dropped, corpus.size());
    }

    /** @return entries in the corpus now */
    public int corpusSize() {
        return corpus.size();
    }

    /** Writes {@code input} to {@code target/fuzz-failures/NAME.bin} and returns a message naming it. */
    public static String saveFailure(String name, byte[] input, Throwable why) {
        Path dir = Path.of("target", "fuzz-failures");
        Path file = dir.resolve(name + ".bin");
        try {
            Files.createDirectories(dir);
            Files.write(file, input);
        } catch (IOException e) {
            why.addSuppressed(e);
        }
        return name + ": " + why + "; input saved to " + file.toAbsolutePath() + ": "
                + HexFormat.of().formatHex(input);
    }

    private byte[] mutate(byte[] f) {
        int len = f.length;
        switch (rnd.nextInt(11)) {
            case 0 -> {
                if (len > 0) {
                    int o = offset(len);
                    f[o] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 1 -> {
                if (len > 0) {
                    f[offset(len)] = (byte) rnd.nextInt(256);
                }
            }
            case 2 -> {
                if (len > 0) {
                    f[offset(len)] = (byte) BYTES[rnd.nextInt(BYTES.length)];
                }
            }
            case 3 -> {
                if (len > 1) {
                    int o = Math.min(offset(len), len - 2);
                    int v = rnd.nextInt(4) == 0 ? len - rnd.nextInt(60) + 30 : SHORTS[rnd.nextInt(SHORTS.length)];
                    f[o] = (byte) (v >>> 8);
                    f[o + 1] = (byte) v;
                }
            }
            case 4 -> {
                if (len > 3) {
                    int o = Math.min(offset(len), len - 4);
                    int v = rnd.nextBoolean() ? INTS[rnd.nextInt(INTS.length)] : rnd.nextInt();
                    for (int i = 0; i < 4; i++) {
                        f[o + i] = (byte) (v >>> (24 - 8 * i));
                    }
                }
            }
            case 5 -> f = Arrays.copyOf(f, len == 0 ? 0 : rnd.nextInt(len));
            case 6 -> {
                int extra = rnd.nextInt(8) == 0 ? rnd.nextInt(3000) : rnd.nextInt(64);
                byte[] g = Arrays.copyOf(f, Math.min(len + extra, 65600));
                for (int i = len; i < g.length; i++) {
                    g[i] = (byte) (rnd.nextBoolean() ? 0 : rnd.nextInt(256));
                }
                f = g;
            }
            case 7 -> {
                // insert a chunk copied from elsewhere in the frame (repeated options, extension headers)
                if (len > 0) {
                    int from = rnd.nextInt(len), n = 1 + rnd.nextInt(Math.min(40, len - from)), at = offset(len);
                    byte[] g = new byte[len + n];
                    System.arraycopy(f, 0, g, 0, at);
                    System.arraycopy(f, from, g, at, n);
                    System.arraycopy(f, at, g, at + n, len - at);
                    f = g;
                }
            }
            case 8 -> {
                if (len > 1) {
                    int at = offset(len), n = 1 + rnd.nextInt(Math.min(40, len - at));
                    byte[] g = new byte[len - n];
                    System.arraycopy(f, 0, g, 0, at);
                    System.arraycopy(f, at + n, g, at, len - at - n);
                    f = g;
                }
            }
            case 9 -> {
                byte[] o = corpus.get(rnd.nextInt(corpus.size()));
                int cut = rnd.nextInt(Math.min(len, o.length) + 1);
                byte[] g = Arrays.copyOf(f, Math.max(cut, o.length));
                System.arraycopy(o, cut, g, cut, o.length - cut);
                f = g;
            }
            default -> {
                // a run of one random byte over a header field or options area
                if (len > 0) {
                    int at = offset(len), n = 1 + rnd.nextInt(Math.min(16, len - at));
                    Arrays.fill(f, at, at + n, (byte) BYTES[rnd.nextInt(BYTES.length)]);
                }
            }
        }
        return f;
    }

    /** @return an offset in a frame of {@code len} bytes, most often among the headers (the first 120 bytes) */
    private int offset(int len) {
        return rnd.nextInt(4) != 0 ? rnd.nextInt(Math.min(len, 120)) : rnd.nextInt(len);
    }
}
