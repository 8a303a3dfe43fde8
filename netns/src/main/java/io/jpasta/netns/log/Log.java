package io.jpasta.netns.log;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * pasta's logging, the one way every module logs: lines on stderr until daemonized, {@code -q} keeps only errors
 * and warnings, {@code -d} adds debug lines and timestamps, {@code --trace} adds trace lines, {@code -l FILE} writes
 * to a file instead (started over when it passes {@code --log-size}).
 *
 * <p>Hot paths guard their lines with {@code if (Log.trace)} or {@code if (Log.debug)}: a plain static field that
 * only {@link #configure} writes, before the loop starts, so a guard that is off costs one load and builds no
 * string. Addresses are printed as addresses ({@link #addr}), never as a record's {@code toString()}.
 */
public final class Log {
    private Log() {
    }

    public static boolean debug, trace, quiet;
    private static PrintStream out = System.err;
    private static Path file;
    private static long fileSize, maxSize = 1 << 20;
    /** Timestamps count from the starter's exec ({@code -Djpasta.t0}, CLOCK_MONOTONIC as System.nanoTime reads it). */
    private static final long START = Long.getLong("jpasta.t0", System.nanoTime());
    private static Consumer<String> sink;

    /** Applies {@code -d}, {@code --trace}, {@code -q}. */
    public static void configure(boolean dbg, boolean trc, boolean q) {
        trace = trc;
        debug = dbg || trc;
        quiet = q && !debug;
    }

    /**
     * Sends log lines to {@code path} (pasta's {@code -l}); {@code size} bytes at most, then truncated.
     *
     * @throws IOException whose message is the system's reason (strerror's text) for a file it cannot open
     */
    public static void toFile(String path, long size) throws IOException {
        file = Path.of(path);
        maxSize = size > 0 ? size : maxSize;
        OutputStream os = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        out = new PrintStream(os, true, StandardCharsets.UTF_8);
        fileSize = 0;
    }

    /**
     * Sends log lines to {@code sink} instead of stderr or the file, or back there with null: for tests that check
     * what a module logs.
     */
    public static synchronized void sink(Consumer<String> lines) {
        sink = lines;
    }

    /** After daemonizing stderr is /dev/null: without {@code -l}, log lines have nowhere to go. */
    public static void detached() {
        if (file == null) {
            out = null;
        }
    }

    public static void err(String msg) {
        emit(msg);
    }

    public static void warn(String msg) {
        emit(msg);
    }

    public static void info(String msg) {
        if (!quiet) {
            emit(msg);
        }
    }

    public static void debug(String msg) {
        if (debug) {
            emit(msg);
        }
    }

    public static void trace(String msg) {
        if (trace) {
            emit(msg);
        }
    }

    /**
     * @param hi high 64 bits of an address in the flow table's form (IPv4 as ::ffff:a.b.c.d)
     * @param lo low 64 bits
     * @return the address as {@code ip} prints it: dotted quad for IPv4, RFC 5952 text for IPv6
     */
    public static String addr(long hi, long lo) {
        if (hi == 0 && (lo >>> 32) == 0xffffL) {
            int v4 = (int) lo;
            return (v4 >>> 24) + "." + (v4 >>> 16 & 0xff) + "." + (v4 >>> 8 & 0xff) + "." + (v4 & 0xff);
        }
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        try {
            return compress(InetAddress.getByAddress(b).getHostAddress());
        } catch (UnknownHostException e) {
            return "?"; // cannot happen for 16 bytes
        }
    }

    /** @return {@code a} as {@code ip} prints it, or "none" */
    public static String addr(InetAddress a) {
        return a == null ? "none" : compress(a.getHostAddress());
    }

    /** @return {@code addr:port}, IPv6 in brackets */
    public static String addrPort(long hi, long lo, int port) {
        String a = addr(hi, lo);
        return (a.indexOf(':') >= 0 ? "[" + a + "]" : a) + ":" + port;
    }

    /** The JDK prints IPv6 without "::" and with a scope suffix: shorten the longest run of zeros (RFC 5952 §4.2). */
    private static String compress(String text) {
        int pct = text.indexOf('%');
        String s = pct >= 0 ? text.substring(0, pct) : text;
        if (s.indexOf(':') < 0) {
            return s;
        }
        String[] g = s.split(":");
        int best = -1, bestLen = 1;
        for (int i = 0; i < g.length; ) {
            int j = i;
            while (j < g.length && Integer.parseInt(g[j], 16) == 0) {
                j++;
            }
            if (j - i > bestLen) {
                best = i;
                bestLen = j - i;
            }
            i = Math.max(j, i + 1);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < g.length; i++) {
            if (i == best) {
                sb.append(i == 0 ? "::" : ":");
                i += bestLen - 1;
                continue;
            }
            sb.append(Integer.toHexString(Integer.parseInt(g[i], 16)));
            if (i < g.length - 1) {
                sb.append(':');
            }
        }
        return sb.toString();
    }

    private static synchronized void emit(String msg) {
        if (sink != null) {
            sink.accept(msg);
            return;
        }
        PrintStream o = out;
        if (o == null) {
            return;
        }
        String line;
        if (debug) {
            long us = (System.nanoTime() - START) / 1000;
            String frac = Long.toString(1_000_000 + us % 1_000_000).substring(1, 5);
            // no string concatenation: its call sites are linked at first use (milliseconds each without the AOT
            // cache), which would skew the start-up timeline that -d prints
            line = new StringBuilder(msg.length() + 16).append(us / 1_000_000).append('.').append(frac).append(": ")
                    .append(msg).toString();
        } else {
            line = msg;
        }
        if (file != null) {
            fileSize += line.length() + 1;
            if (fileSize > maxSize) {
                try {
                    toFile(file.toString(), maxSize);
                } catch (IOException e) {
                    out = null;
                    return;
                }
                o = out;
            }
        }
        o.println(line);
    }
}
