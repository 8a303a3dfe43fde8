package io.jpasta.launcher;

import io.jpasta.netns.Nsd;
import io.jpasta.netns.Resolv;
import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Confine;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the JVM gives up once jpasta is ready (the command released, or the caller told): from then on it only
 * moves data between descriptors it holds, asks nsd for sockets, and writes its log.
 * <ul>
 * <li>seccomp, on every thread, with no_new_privs: exec, ptrace, mounts, namespaces, BPF, kexec, keyrings,
 * modules, perf and userfaultfd fail with EPERM (a deny-list: the JVM's own system calls change with the JIT and
 * the GC; nsd, which is small, has an allow-list);</li>
 * <li>capabilities, on every thread: all but CAP_NET_ADMIN, CAP_NET_BIND_SERVICE and CAP_NET_RAW (a caller such
 * as podman may run jpasta as root of its user namespace; an unprivileged caller has none to drop);</li>
 * <li>Landlock (kernel 5.13 or later, silently skipped without it), on every thread: of the filesystem, only
 * reading jpasta's own directory, the JDK, /proc/self and the few system facts the JVM reads again while it runs
 * ({@link #JVM_READS}), reading files in the directory of resolv.conf (following the host, jpasta reads it again
 * when it changes, and resolvers replace it with a new file), writing the {@code -l}, {@code -p} and {@code -P}
 * files, and removing files in the directories of the control sockets ({@code -c}, {@code --api}), which jpasta
 * removes at exit. Nothing else is opened after ready: options, the tap, the pid file and the control sockets are
 * all dealt with before.</li>
 * </ul>
 * The command never runs under any of this: nsd starts it, before nsd confines itself. {@code --no-confine} keeps
 * all of it off, for debugging.
 *
 * <p>Tests reach the confined process through the system property {@value #TRY_PROPERTY}: a comma-separated list
 * of {@code exec:PATH}, {@code open:PATH} (read), {@code write:PATH} (create or write) and {@code nsd-exec}
 * (nsd's probe), each tried once after ready and logged with its result: {@code tried exec /bin/true: Operation
 * not permitted}.
 */
final class Confinement {
    private Confinement() {
    }

    /** The test hook's system property (set through the starter's {@code JPASTA_JAVA_OPTS}). */
    static final String TRY_PROPERTY = "jpasta.test.tryAfterReady";

    private static final long KEEP_CAPS = 1L << Confine.CAP_NET_ADMIN | 1L << Confine.CAP_NET_BIND_SERVICE
            | 1L << Confine.CAP_NET_RAW;
    private static final long READ = Confine.FS_READ_FILE | Confine.FS_READ_DIR;
    private static final long WRITE = Confine.FS_WRITE_FILE | Confine.FS_TRUNCATE;
    /**
     * Read-only system facts the JVM itself reads again after start (strace over a bulk transfer showed
     * overcommit_memory; memory and CPU counts and cgroup limits are re-read by its ergonomics as it runs).
     */
    static final List<String> JVM_READS = List.of("/proc/meminfo", "/proc/sys/vm/overcommit_memory",
            "/sys/devices/system/cpu", "/sys/fs/cgroup");

    /**
     * Confines the JVM unless {@code --no-confine}: seccomp at once (every thread, a tenth of a millisecond), then
     * capabilities and Landlock on a thread of its own, so that the loop serves a first client meanwhile (signalling
     * every thread and waiting for each to run took 2-8 ms on this loaded machine). The test hook, if its property is
     * set, runs on the loop thread (nsd's client is the loop's) once that is done.
     */
    static void afterReady(Options opt, Nsd nsd, Loop loop) {
        Thread restrict = null;
        if (!opt.noConfine()) {
            long t0 = System.nanoTime();
            int seccomp = Confine.seccompDenyList();
            long took = System.nanoTime() - t0;
            restrict = Thread.ofPlatform().daemon().name("confine").start(() -> restrictThreads(opt, seccomp, took));
        }
        String tries = System.getProperty(TRY_PROPERTY);
        if (tries != null) {
            Thread done = restrict;
            loop.whenIdle(() -> {
                if (done != null) {
                    try {
                        done.join(HOOK_WAIT_MS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                tryAll(tries, nsd);
            });
        }
    }

    /** Loads the native half's class and binds a first call: done at start by Main's warm-up thread. */
    static void warmUp() {
        Confine.landlockAbi();
    }

    /** How long the test hook waits for the restricting thread: far more than it takes. */
    private static final long HOOK_WAIT_MS = 10_000;

    private static void restrictThreads(Options opt, int seccomp, long seccompNs) {
        long t0 = System.nanoTime();
        int abi = Confine.landlockAbi();
        int ruleset = abi > 0 && seccomp == 0 ? ruleset(abi, opt) : -1;
        long t1 = System.nanoTime();
        long r = Confine.restrictAllThreads(ruleset, KEEP_CAPS);
        if (ruleset >= 0) {
            Sys.close(ruleset);
        }
        if (Log.debug) {
            Log.debug("confined: seccomp " + (seccomp == 0 ? "on" : "off (" + result(seccomp) + ")")
                    + ", Landlock " + (ruleset >= 0 ? "ABI " + abi : "off (" + result(abi > 0 ? ruleset : abi) + ")")
                    + ", threads " + (r < 0 ? result((int) r) : (r & 0xffffffffL) + " restricted, " + (r >>> 32)
                    + " failed") + "; took " + seccompNs / 1000 + " + " + (t1 - t0) / 1000 + " + "
                    + (System.nanoTime() - t1) / 1000 + " us");
        }
    }

    /** @return a ruleset fd granting what {@link Confinement} says, or -errno */
    private static int ruleset(int abi, Options opt) {
        long handled = Confine.handledFs(abi);
        int fd = Confine.landlockRuleset(handled);
        if (fd < 0) {
            return fd;
        }
        List<String> read = new ArrayList<>(List.of(System.getProperty("java.home"), "/proc/self"));
        String home = System.getProperty("jpasta.home");
        if (home != null) {
            read.add(home);
        }
        read.addAll(JVM_READS);
        for (String p : read) {
            // directory rights on a file make the whole rule invalid
            Confine.landlockAllow(fd, p, Files.isDirectory(Path.of(p)) ? READ : Confine.FS_READ_FILE);
        }
        for (String p : new String[] {opt.logFile(), opt.pcapFile(), opt.pidFile()}) {
            if (p != null) {
                Confine.landlockAllow(fd, p, WRITE & handled);
            }
        }
        if (!opt.noFollowHost()) {
            // followed live: resolvers replace the file (a new inode), so the rule is on the directory
            try {
                Path dir = Resolv.RESOLV_CONF.toRealPath().getParent();
                if (dir != null) {
                    Confine.landlockAllow(fd, dir.toString(), Confine.FS_READ_FILE);
                }
            } catch (IOException e) {
                // no resolv.conf now: FollowHost reads none either
            }
        }
        for (String p : new String[] {opt.confPath(), opt.apiPath()}) {
            Path dir = p == null ? null : Path.of(p).toAbsolutePath().getParent();
            if (dir != null) {
                Confine.landlockAllow(fd, dir.toString(), Confine.FS_REMOVE_FILE);
            }
        }
        return fd;
    }

    private static String result(int rc) {
        return rc < 0 ? Errno.text(-rc) : "thread " + rc;
    }

    private static void tryAll(String tries, Nsd nsd) {
        for (String t : tries.split(",")) {
            int colon = t.indexOf(':');
            String what = colon < 0 ? t : t.substring(0, colon);
            String path = colon < 0 ? "" : t.substring(colon + 1);
            int rc = switch (what) {
                case "exec" -> tryExec(path);
                case "open" -> tryOpen(path, Linux.O_RDONLY);
                case "write" -> tryOpen(path, Linux.O_WRONLY | Linux.O_CREAT);
                case "nsd-exec" -> tryNsd(nsd);
                default -> -Errno.EINVAL;
            };
            Log.warn("tried " + what + (path.isEmpty() ? "" : " " + path) + ": "
                    + (rc < 0 ? Errno.text(-rc) : "ok"));
        }
    }

    private static int tryExec(String path) {
        long r = Sys.spawn(path, path.getBytes(StandardCharsets.UTF_8));
        if (r < 0) {
            return (int) r;
        }
        Sys.close((int) r);
        Sys.waitpid((int) (r >>> 32), 0);
        return 0;
    }

    private static int tryOpen(String path, int flags) {
        int fd = Sys.open(path, flags | Linux.O_CLOEXEC, 0644);
        if (fd >= 0) {
            Sys.close(fd);
        }
        return fd < 0 ? fd : 0;
    }

    private static int tryNsd(Nsd nsd) {
        try {
            return nsd.probe();
        } catch (IOException e) {
            return -Errno.EIO;
        }
    }
}
