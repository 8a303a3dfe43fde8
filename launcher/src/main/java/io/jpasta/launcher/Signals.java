package io.jpasta.launcher;

import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * SIGTERM and SIGQUIT end pasta with status 0; SIGINT and SIGHUP too, except in command mode, where the command
 * owns the terminal and pasta ends when it does. A C handler (libjpasta) writes the signal's number into a pipe
 * that the loop watches; the JVM's own handlers (shutdown hooks on TERM, thread dumps on QUIT) are replaced.
 */
final class Signals {
    private Signals() {
    }

    private static final int[] HANDLED = {Linux.SIGTERM, Linux.SIGQUIT, Linux.SIGINT, Linux.SIGHUP};

    /** @return a non-blocking, close-on-exec pipe: read end, write end */
    static int[] pipe() throws IOException {
        ByteBuffer fds = Sys.buffer(8);
        Errno.check("pipe2", Sys.pipe2(Sys.address(fds), Linux.O_NONBLOCK | Linux.O_CLOEXEC));
        return new int[] {fds.getInt(0), fds.getInt(4)};
    }

    /** Routes pasta's signals to {@code pipeWriteFd}. */
    static void install(int pipeWriteFd) throws IOException {
        for (int sig : HANDLED) {
            Errno.check("sigaction", Sys.signalToPipe(sig, pipeWriteFd));
        }
    }
}
