package io.jpasta.it;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Moves the calling thread, and only it, into another network namespace until {@link #close()}, so that a test's own
 * Java sockets are clients and servers inside a sandbox's host namespace instead of the machine's.
 *
 * <p>setns(2) with {@code CLONE_NEWNET} changes the namespace of one thread. A socket belongs to the namespace of
 * the thread that created it, for its whole life; threads and processes the moved thread starts inherit its
 * namespace. So: create sockets on this thread (virtual threads may then read and write them, but must not create
 * new ones: their carriers live in the machine's namespace), and always close, which moves the thread back. A
 * JUnit test thread that stayed behind would run every later class in a namespace that is about to be deleted;
 * {@link #close()} therefore throws an {@link Error} if it cannot move back.
 */
public final class NetnsThread implements AutoCloseable {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int O_RDONLY_CLOEXEC = 0x80000;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout ERRNO = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO_VALUE = ERRNO.varHandle(
            java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = downcall("open", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle SETNS = downcall("setns", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT));

    private final Thread thread;
    private final int home;
    private boolean closed;

    private NetnsThread(Thread thread, int home) {
        this.thread = thread;
        this.home = home;
    }

    /**
     * Moves the calling thread into the named network namespace ({@code /run/netns/NAME}, as {@code ip netns}
     * makes them).
     *
     * @return what moves it back on {@link #close()}
     */
    public static NetnsThread enter(String name) {
        int home = open("/proc/thread-self/ns/net");
        int target;
        try {
            target = open("/run/netns/" + name);
        } catch (IllegalStateException e) {
            close(home);
            throw e;
        }
        try {
            setns(target, "/run/netns/" + name);
        } catch (IllegalStateException e) {
            close(home);
            throw e;
        } finally {
            close(target);
        }
        return new NetnsThread(Thread.currentThread(), home);
    }

    /** Moves the thread back into the namespace it came from. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != thread) {
            throw new Error("NetnsThread closed on " + Thread.currentThread() + ", entered on " + thread);
        }
        closed = true;
        try {
            setns(home, "the thread's first namespace");
        } catch (IllegalStateException e) {
            throw new Error("the test thread cannot leave the sandbox's namespace", e);
        } finally {
            close(home);
        }
    }

    private static MethodHandle downcall(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd,
                Linker.Option.captureCallState("errno"));
    }

    private static int open(String path) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = a.allocate(ERRNO);
            int fd = (int) OPEN.invokeExact(errno, a.allocateFrom(path), O_RDONLY_CLOEXEC);
            if (fd < 0) {
                throw new IllegalStateException("open " + path + ": errno " + (int) ERRNO_VALUE.get(errno, 0L));
            }
            return fd;
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void setns(int fd, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = a.allocate(ERRNO);
            int r = (int) SETNS.invokeExact(errno, fd, CLONE_NEWNET);
            if (r != 0) {
                throw new IllegalStateException("setns into " + what + ": errno " + (int) ERRNO_VALUE.get(errno, 0L));
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void close(int fd) {
        try (Arena a = Arena.ofConfined()) {
            int r = (int) CLOSE.invokeExact(a.allocate(ERRNO), fd);
            assert r == 0;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
