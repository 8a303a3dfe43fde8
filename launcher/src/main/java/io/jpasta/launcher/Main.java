package io.jpasta.launcher;

import io.jpasta.netns.Nsd;
import io.jpasta.netns.NsQuit;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * pasta's entry point, started by the C starter ({@code dist/bin/pasta}): options, host state, namespace set-up
 * through jpasta-nsd, then the event loop. Exit statuses are pasta's: 0, 1 for errors, the command's own status in
 * command mode (128 + N when signal N killed it).
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        Thread.ofPlatform().daemon().name("warm-up").start(Main::warmUp);
        int status;
        try {
            status = run(args);
        } catch (ExitRequest e) {
            PrintStream ps = e.toStdout() ? System.out : System.err;
            ps.print(e.text());
            ps.flush();
            status = e.status();
        } catch (Nsd.SetupException e) {
            Log.err(e.getMessage());
            status = 1;
        } catch (IOException e) {
            Log.err(e.getMessage());
            status = 1;
        }
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }

    static int run(String[] args) throws ExitRequest, IOException {
        Options opt = Options.parse(args);
        Log.configure(opt.debug(), opt.trace(), opt.quiet());
        if (opt.logFile() != null) {
            Log.toFile(opt.logFile(), opt.logSize());
        }
        Sys.load();

        String home = System.getProperty("jpasta.home", ".");
        String nsdPath = home + "/lib/jpasta-nsd";
        boolean commandMode = opt.netns() == null && opt.pid().isEmpty();

        Nsd nsd;
        NsQuit quit = null;
        if (commandMode) {
            nsd = spawn(nsdPath, opt);
        } else if (opt.netns() != null) {
            nsd = Nsd.joinNetns(nsdPath, opt.netns(), opt.userns() != null ? opt.userns() : "none");
            if (!opt.noNetnsQuit()) {
                quit = NsQuit.watchPath(opt.netns());
            }
        } else {
            int pid = opt.pid().getAsInt();
            String userns = opt.userns() != null ? opt.userns() : opt.netnsOnly() ? "none" : "auto";
            nsd = Nsd.joinPid(nsdPath, pid, userns);
            if (!opt.noNetnsQuit()) {
                quit = NsQuit.watchPid(pid);
            }
        }
        Log.debug("namespace ready, helper pid " + nsd.pid());

        String tapName = opt.nsIfname() != null ? opt.nsIfname() : "tap0";
        Nsd.TapDevice tap = nsd.tap(tapName);
        Log.debug("tap " + tap.name() + " index " + tap.ifindex() + " fd " + tap.fd());

        Loop loop = new Loop(nsd, tap.fd(), quit, (frame, len, now) -> { }, commandMode);

        // --- splice wiring (issue 6): -t/-T listeners and spliced connections, bound before the command starts ---
        Listeners.namespaceLoopbackUp(nsd); // until the netlink set-up of the namespace lands
        io.jpasta.splice.Splice splice = new io.jpasta.splice.Splice(
                new io.jpasta.splice.NativeSpliceIo(loop.epoll()),
                new io.jpasta.splice.FlowSlots.FreeSlots(Listeners.SPLICE_CAPACITY));
        Listeners listeners = new Listeners(nsd, loop.epoll(), splice, opt.tcpToNs(), opt.tcpFromNs(), false);
        listeners.start();
        loop.splice(listeners, splice);
        // --- end of splice wiring ---

        if (commandMode) {
            nsd.go();
        } else {
            if (opt.pidFile() != null) {
                writePidFile(opt.pidFile());
            }
            if (!opt.foreground()) {
                Daemon.detach();
            }
        }
        int status = loop.run();
        nsd.close();
        return status;
    }

    /**
     * Touches the off-heap access paths of the data path on a second thread while the main thread waits for the
     * kernel to build namespaces: the JDK spins MemorySegment's access forms at first use (about 20-35 ms, not kept
     * by the AOT cache), and this way that happens in parallel instead of on the way to the first frame.
     */
    private static void warmUp() {
        MemorySegment seg = Arena.ofAuto().allocate(64, 8);
        ValueLayout.OfShort beShort = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        ValueLayout.OfInt beInt = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        seg.set(ValueLayout.JAVA_BYTE, 1, (byte) 1);
        seg.set(beShort, 2, (short) seg.get(ValueLayout.JAVA_BYTE, 1));
        seg.set(beInt, 4, seg.get(beShort, 2));
        seg.set(ValueLayout.JAVA_INT_UNALIGNED, 8, seg.get(beInt, 4));
        seg.set(ValueLayout.JAVA_LONG_UNALIGNED, 16, seg.get(ValueLayout.JAVA_INT_UNALIGNED, 8));
        MemorySegment.copy(seg, 0, seg, 32, 16);
    }

    private static Nsd spawn(String nsdPath, Options opt) throws IOException {
        List<String> cmd = opt.command();
        String path;
        List<String> argv;
        if (cmd.isEmpty()) {
            String shell = System.getenv("SHELL");
            path = shell == null || shell.isEmpty() ? "/bin/sh" : shell;
            argv = List.of("-" + path.substring(path.lastIndexOf('/') + 1)); // a login shell, as pasta starts it
        } else {
            path = cmd.get(0);
            argv = cmd;
        }
        String hostname = opt.hostname() != null ? opt.hostname() : "pasta-" + hostHostname();
        return Nsd.spawn(nsdPath, hostname, path, argv);
    }

    private static String hostHostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "pasta";
        }
    }

    private static void writePidFile(String file) throws IOException {
        try {
            Files.writeString(Path.of(file), Sys.getpid() + "\n");
        } catch (IOException e) {
            throw new IOException("Failed to open PID file " + file + ": " + e.getMessage(), e);
        }
    }
}
