package io.jpasta.tap.fuzz;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A deterministic mutation fuzzer for tap frames: each input is a seed frame (recorded pasta traffic, test
 * fixtures) changed by a few random edits aimed at what parsers trip on: lengths, offsets, flags, truncation and
 * extension, bit flips, bytes of another seed spliced in. The same seed number gives the same inputs, so a failure
 * found here is found again by re-running with the number it printed.
 *
 * <p>How many inputs a test runs: system property {@code jpasta.fuzz.inputs} (200 000 by default, the CI run;
 * {@code scripts/test --long} asks for 10 million).
 */
public final class Mutator {
    private final List<byte[]> seeds;
    private final SplittableRandom rnd;
    /** Largest input: a full 65535-byte IP packet in an Ethernet frame, and a little more. */
    static final int MAX = 65535 + 14 + 64;

    public Mutator(List<byte[]> seeds, long seed) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("no seeds");
        }
        this.seeds = List.copyOf(seeds);
        this.rnd = new SplittableRandom(seed);
    }

    /** @return the number of inputs a fuzz test runs */
    public static int inputs() {
        return Integer.getInteger("jpasta.fuzz.inputs", 200_000);
    }

    /** @return the next input */
    public byte[] next() {
        byte[] b = seeds.get(rnd.nextInt(seeds.size())).clone();
        int edits = 1 + rnd.nextInt(4);
        for (int i = 0; i < edits; i++) {
            b = edit(b);
        }
        if (rnd.nextBoolean()) {
            fixIpv4Checksum(b); // half the inputs get past the IPv4 header check, to the engines
        }
        return b;
    }

    /** Recomputes the IPv4 header checksum of an Ethernet frame, if it holds an IPv4 header that fits. */
    static void fixIpv4Checksum(byte[] b) {
        if (b.length < 34 || b[12] != 8 || b[13] != 0) {
            return;
        }
        int ihl = (b[14] & 0x0f) * 4;
        if (ihl < 20 || 14 + ihl > b.length) {
            return;
        }
        b[24] = 0;
        b[25] = 0;
        long sum = 0;
        for (int i = 14; i < 14 + ihl; i += 2) {
            sum += (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        int c = (int) ~sum & 0xffff;
        b[24] = (byte) (c >>> 8);
        b[25] = (byte) c;
    }

    private byte[] edit(byte[] b) {
        switch (rnd.nextInt(9)) {
            case 0 -> { // flip a bit
                if (b.length > 0) {
                    int i = rnd.nextInt(b.length);
                    b[i] ^= (byte) (1 << rnd.nextInt(8));
                }
            }
            case 1 -> { // a byte of the headers set to an interesting value
                if (b.length > 0) {
                    b[rnd.nextInt(Math.min(b.length, 80))] = (byte) pick(0, 1, 0x7f, 0x80, 0xff, 5, 6, 17, 58, 0x40);
                }
            }
            case 2 -> { // a 16-bit field of the headers (lengths, ports, checksums) set to an edge
                if (b.length > 2) {
                    int i = rnd.nextInt(Math.min(b.length, 80) - 1);
                    int v = pick(0, 1, 0xffff, 0x7fff, 0x8000, b.length, b.length - 14, b.length + 1, 20, 40, 8);
                    b[i] = (byte) (v >>> 8);
                    b[i + 1] = (byte) v;
                }
            }
            case 3 -> b = Arrays.copyOf(b, rnd.nextInt(b.length + 1)); // truncate
            case 4 -> { // extend with random or zero bytes
                int n = Math.min(MAX - b.length, rnd.nextInt(rnd.nextBoolean() ? 64 : 4096));
                int old = b.length;
                b = Arrays.copyOf(b, old + Math.max(0, n));
                if (rnd.nextBoolean()) {
                    for (int i = old; i < b.length; i++) {
                        b[i] = (byte) rnd.nextInt(256);
                    }
                }
            }
            case 5 -> { // a run of random bytes
                if (b.length > 0) {
                    int at = rnd.nextInt(b.length), n = Math.min(b.length - at, 1 + rnd.nextInt(16));
                    for (int i = at; i < at + n; i++) {
                        b[i] = (byte) rnd.nextInt(256);
                    }
                }
            }
            case 6 -> { // the tail of another seed spliced in
                byte[] o = seeds.get(rnd.nextInt(seeds.size()));
                int at = rnd.nextInt(b.length + 1), from = rnd.nextInt(o.length + 1);
                byte[] c = Arrays.copyOf(b, Math.min(MAX, at + o.length - from));
                System.arraycopy(o, from, c, at, c.length - at);
                b = c;
            }
            case 7 -> { // a byte inserted or removed in the headers: every offset after it shifts
                if (b.length > 1) {
                    int at = rnd.nextInt(Math.min(b.length, 80));
                    // never past MAX: the tests' frame buffers hold MAX bytes (10 million inputs made one 1 longer)
                    byte[] c = new byte[b.length + (rnd.nextBoolean() && b.length < MAX ? 1 : -1)];
                    System.arraycopy(b, 0, c, 0, at);
                    if (c.length > b.length) {
                        c[at] = (byte) rnd.nextInt(256);
                        System.arraycopy(b, at, c, at + 1, b.length - at);
                    } else {
                        System.arraycopy(b, at + 1, c, at, b.length - at - 1);
                    }
                    b = c;
                }
            }
            default -> { // unchanged: valid frames keep the engines' state moving
            }
        }
        return b;
    }

    private int pick(int... values) {
        return values[rnd.nextInt(values.length)];
    }

    /** @return the frames of the pcap resource {@code name} (classpath, e.g. "/captures/l4.pcap") */
    public static List<byte[]> pcap(String name) {
        try (InputStream in = Mutator.class.getResourceAsStream(name)) {
            ByteBuffer b = ByteBuffer.wrap(Objects.requireNonNull(in, name).readAllBytes());
            int magic = b.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
            if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
                b.order(ByteOrder.BIG_ENDIAN);
            }
            List<byte[]> frames = new ArrayList<>();
            for (int at = 24; at + 16 <= b.limit(); ) {
                int caplen = b.getInt(at + 8);
                if (caplen < 0 || at + 16 + caplen > b.limit()) {
                    break;
                }
                frames.add(Arrays.copyOfRange(b.array(), at + 16, at + 16 + caplen));
                at += 16 + caplen;
            }
            return frames;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return every frame of the three reference captures */
    public static List<byte[]> captures() {
        List<byte[]> all = new ArrayList<>();
        for (String p : new String[] {"l2-services.pcap", "dhcpv6.pcap", "l4.pcap"}) {
            all.addAll(pcap("/captures/" + p));
        }
        return all;
    }
}
