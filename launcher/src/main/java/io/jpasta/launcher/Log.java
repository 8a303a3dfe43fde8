package io.jpasta.launcher;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * pasta's logging: lines on stderr until daemonized, {@code -q} keeps only errors and warnings, {@code -d} adds
 * debug lines and timestamps, {@code --trace} adds trace lines, {@code -l FILE} writes to a file instead (rotated
 * when it passes {@code --log-size}). Guards are plain static booleans read on the hot path; off costs a load.
 */
public final class Log {
    private Log() {
    }

    public static boolean debug, trace, quiet;
    private static PrintStream out = System.err;
    private static Path file;
    private static long fileSize, maxSize = 1 << 20;
    private static final long START = System.nanoTime();

    /** Applies {@code -d}, {@code --trace}, {@code -q}. */
    public static void configure(boolean dbg, boolean trc, boolean q) {
        trace = trc;
        debug = dbg || trc;
        quiet = q && !debug;
    }

    /** Sends log lines to {@code path} (pasta's {@code -l}); {@code size} bytes at most, then truncated. */
    public static void toFile(String path, long size) throws IOException {
        file = Path.of(path);
        maxSize = size > 0 ? size : maxSize;
        OutputStream os = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        out = new PrintStream(os, true, StandardCharsets.UTF_8);
        fileSize = 0;
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

    private static synchronized void emit(String msg) {
        PrintStream o = out;
        if (o == null) {
            return;
        }
        String line;
        if (debug) {
            long us = (System.nanoTime() - START) / 1000;
            String frac = Long.toString(1_000_000 + us % 1_000_000).substring(1, 5);
            line = us / 1_000_000 + "." + frac + ": " + msg;
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
