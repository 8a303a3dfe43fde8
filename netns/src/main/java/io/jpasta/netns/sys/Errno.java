package io.jpasta.netns.sys;

import java.io.IOException;

/** Linux errno values (x86_64, asm-generic/errno*.h) and the one place a negative result becomes an exception. */
public final class Errno {
    private Errno() {
    }

    public static final int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, EBADF = 9, ECHILD = 10,
            EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17, ENODEV = 19, ENOTDIR = 20,
            EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOSPC = 28, EPIPE = 32, ERANGE = 34, ENOSYS = 38, EPROTO = 71,
            ENOTSOCK = 88, EMSGSIZE = 90, EPROTONOSUPPORT = 93, EOPNOTSUPP = 95, EAFNOSUPPORT = 97,
            EADDRINUSE = 98, EADDRNOTAVAIL = 99, ENETDOWN = 100, ENETUNREACH = 101, ECONNABORTED = 103,
            ECONNRESET = 104, ENOBUFS = 105, EISCONN = 106, ENOTCONN = 107, ETIMEDOUT = 110, ECONNREFUSED = 111,
            EHOSTUNREACH = 113, EALREADY = 114, EINPROGRESS = 115;

    /** @return the C library's text for {@code errno} ("No such file or directory") */
    public static String text(int errno) {
        return Sys.strerror(errno);
    }

    /**
     * @param call what was attempted, as the user should read it ("TUNSETIFF", "open /dev/net/tun")
     * @param rc   a negative result of a {@link Sys} call
     * @return an exception naming the call and the error
     */
    public static IOException io(String call, long rc) {
        return new SysException(call, (int) -rc);
    }

    /**
     * @return {@code rc} when it is not negative
     * @throws IOException naming {@code call} otherwise
     */
    public static long check(String call, long rc) throws IOException {
        if (rc < 0) {
            throw io(call, rc);
        }
        return rc;
    }

    /** An {@link IOException} that keeps the errno for callers that branch on it. */
    public static final class SysException extends IOException {
        private final int errno;

        SysException(String call, int errno) {
            super(call + ": " + text(errno));
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }
}
