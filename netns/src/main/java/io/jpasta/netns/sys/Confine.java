package io.jpasta.netns.sys;

/**
 * The JVM's own confinement, native half ({@code netns/src/main/c/confine.c}): a seccomp deny-list on every thread,
 * capabilities dropped and a Landlock domain entered by every thread. Results are {@code >= 0} or {@code -errno}, as
 * in {@link Sys}. The policy (which paths, when) is the launcher's.
 */
public final class Confine {
    private Confine() {
    }

    /** Landlock filesystem rights ({@code LANDLOCK_ACCESS_FS_*}, linux/landlock.h), by the ABI that added them. */
    public static final long FS_EXECUTE = 1L, FS_WRITE_FILE = 1L << 1, FS_READ_FILE = 1L << 2, FS_READ_DIR = 1L << 3,
            FS_REMOVE_FILE = 1L << 5, FS_TRUNCATE = 1L << 14;
    /** Every right of ABI 1 (execute ... make_sym); ABI 2 adds REFER (bit 13), 3 TRUNCATE (14), 5 IOCTL_DEV (15). */
    private static final long FS_ABI1 = (1L << 13) - 1;
    private static final long FS_REFER = 1L << 13, FS_IOCTL_DEV = 1L << 15;

    /** Capabilities jpasta may still need after ready, for sockets and netlink (linux/capability.h numbers). */
    public static final int CAP_NET_BIND_SERVICE = 10, CAP_NET_ADMIN = 12, CAP_NET_RAW = 13;

    /**
     * Sets no_new_privs and installs, on every thread, the filter that refuses exec, ptrace, mounts, namespaces,
     * BPF, kexec, keyrings, modules, perf and userfaultfd with EPERM (confine.c lists them).
     *
     * @return 0, -errno, or the positive id of a thread that could not be synchronised
     */
    public static native int seccompDenyList();

    /** @return the kernel's Landlock ABI version (1 for 5.13), or -errno (-ENOSYS, -EOPNOTSUPP: none) */
    public static native int landlockAbi();

    /** @return a ruleset fd (close-on-exec) handling the rights {@code handledFs}, or -errno */
    public static native int landlockRuleset(long handledFs);

    /**
     * Allows {@code access} beneath directory {@code path}, or on file {@code path} (file rights only).
     *
     * @return 0 or -errno (-ENOENT when the path does not exist)
     */
    public static native int landlockAllow(int ruleset, String path, long access);

    /**
     * Makes every thread of the process drop every capability not in {@code keepCaps} (a mask of
     * {@code 1L << CAP_x}) and, if {@code ruleset >= 0}, enter that Landlock domain. Needs no_new_privs on every
     * thread ({@link #seccompDenyList} gives it).
     *
     * @return -errno, or {@code (threads that failed or did not answer) << 32 | threads that did it}
     */
    public static native long restrictAllThreads(int ruleset, long keepCaps);

    /** @return every filesystem right the kernel's Landlock ABI {@code abi} knows: what a ruleset handles */
    public static long handledFs(int abi) {
        long all = FS_ABI1;
        if (abi >= 2) {
            all |= FS_REFER;
        }
        if (abi >= 3) {
            all |= FS_TRUNCATE;
        }
        if (abi >= 5) {
            all |= FS_IOCTL_DEV;
        }
        return all;
    }
}
