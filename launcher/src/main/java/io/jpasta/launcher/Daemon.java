package io.jpasta.launcher;

import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Going to the background the way pasta does, with the starter standing in for pasta's parent: a new session,
 * /dev/null on fds 0-2 (so callers reading our output see EOF), then "ready" on the status pipe, on which the
 * starter exits 0. Everything the namespace needs is in place before this runs.
 */
final class Daemon {
    private Daemon() {
    }

    static void detach() throws IOException {
        Sys.setsid();
        int devnull = (int) Errno.check("open /dev/null", Sys.open("/dev/null", Linux.O_RDWR, 0));
        for (int fd = 0; fd <= 2; fd++) {
            Sys.dup2(devnull, fd);
        }
        if (devnull > 2) {
            Sys.close(devnull);
        }
        Log.detached();
        ready();
    }

    /** Tells the starter that set-up is complete: it exits 0 now. */
    static void ready() {
        String fdText = System.getProperty("jpasta.status");
        if (fdText == null) {
            return;
        }
        int fd = Integer.parseInt(fdText);
        ByteBuffer msg = Sys.buffer(8).put(0, "ready\n".getBytes(StandardCharsets.US_ASCII));
        Sys.write(fd, Sys.address(msg), 6);
        Sys.close(fd);
    }
}
