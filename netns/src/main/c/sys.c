// SPDX-License-Identifier: Apache-2.0
/*
 * libjpasta: the JVM's only door to the kernel.
 *
 * One thin wrapper per system call, in the style of Netty's epoll transport: every function returns a
 * value >= 0 on success or -errno on failure, retries EINTR itself, takes file descriptors as int and
 * buffers as addresses of off-heap memory (jlong) plus lengths. No callbacks into Java, no exceptions
 * thrown from here, no object arrays on the data path. The Java side is io.jpasta.netns.sys.Sys.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jni.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PTR(a) ((void *)(intptr_t)(a))
#define RET(expr)                                                                                        \
	do {                                                                                             \
		long r_;                                                                                 \
		do {                                                                                     \
			r_ = (long)(expr);                                                               \
		} while (r_ < 0 && errno == EINTR);                                                      \
		return r_ < 0 ? -errno : r_;                                                             \
	} while (0)

#define FN(ret, name) JNIEXPORT ret JNICALL Java_io_jpasta_netns_sys_Sys_##name
#define CLS JNIEnv *env, jclass cls

extern char **environ;

FN(jint, socket)(CLS, jint domain, jint type, jint proto)
{
	(void)env; (void)cls;
	RET(socket(domain, type, proto));
}

FN(jint, bind)(CLS, jint fd, jlong addr, jint len)
{
	(void)env; (void)cls;
	RET(bind(fd, PTR(addr), (socklen_t)len));
}

FN(jint, connect)(CLS, jint fd, jlong addr, jint len)
{
	(void)env; (void)cls;
	RET(connect(fd, PTR(addr), (socklen_t)len));
}

FN(jint, listen)(CLS, jint fd, jint backlog)
{
	(void)env; (void)cls;
	RET(listen(fd, backlog));
}

FN(jint, fchmod)(CLS, jint fd, jint mode)
{
	(void)env; (void)cls;
	RET(fchmod(fd, (mode_t)mode));
}

FN(jint, accept4)(CLS, jint fd, jlong addr, jlong lenAddr, jint flags)
{
	(void)env; (void)cls;
	RET(accept4(fd, PTR(addr), PTR(lenAddr), flags));
}

FN(jint, close)(CLS, jint fd)
{
	(void)env; (void)cls;
	/* close() must not be retried on EINTR: the descriptor is gone either way (Linux). */
	return close(fd) < 0 && errno != EINTR ? -errno : 0;
}

FN(jint, shutdown)(CLS, jint fd, jint how)
{
	(void)env; (void)cls;
	RET(shutdown(fd, how));
}

FN(jlong, read)(CLS, jint fd, jlong buf, jlong len)
{
	(void)env; (void)cls;
	RET(read(fd, PTR(buf), (size_t)len));
}

FN(jlong, write)(CLS, jint fd, jlong buf, jlong len)
{
	(void)env; (void)cls;
	RET(write(fd, PTR(buf), (size_t)len));
}

FN(jlong, pread)(CLS, jint fd, jlong buf, jlong len, jlong off)
{
	(void)env; (void)cls;
	RET(pread(fd, PTR(buf), (size_t)len, (off_t)off));
}

FN(jlong, readv)(CLS, jint fd, jlong iov, jint cnt)
{
	(void)env; (void)cls;
	RET(readv(fd, PTR(iov), cnt));
}

FN(jlong, writev)(CLS, jint fd, jlong iov, jint cnt)
{
	(void)env; (void)cls;
	RET(writev(fd, PTR(iov), cnt));
}

FN(jlong, sendto)(CLS, jint fd, jlong buf, jlong len, jint flags, jlong addr, jint alen)
{
	(void)env; (void)cls;
	RET(sendto(fd, PTR(buf), (size_t)len, flags, PTR(addr), (socklen_t)alen));
}

FN(jlong, recvfrom)(CLS, jint fd, jlong buf, jlong len, jint flags, jlong addr, jlong alenAddr)
{
	(void)env; (void)cls;
	RET(recvfrom(fd, PTR(buf), (size_t)len, flags, PTR(addr), PTR(alenAddr)));
}

FN(jlong, sendmsg)(CLS, jint fd, jlong msg, jint flags)
{
	(void)env; (void)cls;
	RET(sendmsg(fd, PTR(msg), flags));
}

FN(jlong, recvmsg)(CLS, jint fd, jlong msg, jint flags)
{
	(void)env; (void)cls;
	RET(recvmsg(fd, PTR(msg), flags));
}

FN(jint, sendmmsg)(CLS, jint fd, jlong vec, jint vlen, jint flags)
{
	(void)env; (void)cls;
	RET(sendmmsg(fd, PTR(vec), (unsigned)vlen, flags));
}

FN(jint, recvmmsg)(CLS, jint fd, jlong vec, jint vlen, jint flags)
{
	(void)env; (void)cls;
	RET(recvmmsg(fd, PTR(vec), (unsigned)vlen, flags, NULL));
}

FN(jint, setsockopt)(CLS, jint fd, jint level, jint name, jlong val, jint len)
{
	(void)env; (void)cls;
	RET(setsockopt(fd, level, name, PTR(val), (socklen_t)len));
}

FN(jint, setsockoptInt)(CLS, jint fd, jint level, jint name, jint val)
{
	(void)env; (void)cls;
	RET(setsockopt(fd, level, name, &val, sizeof(val)));
}

FN(jint, getsockopt)(CLS, jint fd, jint level, jint name, jlong val, jlong lenAddr)
{
	(void)env; (void)cls;
	RET(getsockopt(fd, level, name, PTR(val), PTR(lenAddr)));
}

FN(jint, getsockoptInt)(CLS, jint fd, jint level, jint name)
{
	int v = 0;
	socklen_t sl = sizeof(v);

	(void)env; (void)cls;
	if (getsockopt(fd, level, name, &v, &sl) < 0)
		return -errno;
	return v;
}

FN(jint, getsockname)(CLS, jint fd, jlong addr, jlong lenAddr)
{
	(void)env; (void)cls;
	RET(getsockname(fd, PTR(addr), PTR(lenAddr)));
}

FN(jint, getpeername)(CLS, jint fd, jlong addr, jlong lenAddr)
{
	(void)env; (void)cls;
	RET(getpeername(fd, PTR(addr), PTR(lenAddr)));
}

FN(jint, fcntl)(CLS, jint fd, jint cmd, jlong arg)
{
	(void)env; (void)cls;
	RET(fcntl(fd, cmd, (long)arg));
}

FN(jint, ioctl)(CLS, jint fd, jlong req, jlong arg)
{
	(void)env; (void)cls;
	RET(ioctl(fd, (unsigned long)req, PTR(arg)));
}

FN(jint, pipe2)(CLS, jlong fds, jint flags)
{
	(void)env; (void)cls;
	RET(pipe2(PTR(fds), flags));
}

FN(jlong, splice)(CLS, jint in, jint out, jlong len, jint flags)
{
	(void)env; (void)cls;
	RET(splice(in, NULL, out, NULL, (size_t)len, (unsigned)flags));
}

FN(jint, epollCreate)(CLS)
{
	(void)env; (void)cls;
	RET(epoll_create1(EPOLL_CLOEXEC));
}

FN(jint, epollCtl)(CLS, jint ep, jint op, jint fd, jint events, jlong data)
{
	struct epoll_event ev = { .events = (uint32_t)events, .data.u64 = (uint64_t)data };

	(void)env; (void)cls;
	RET(epoll_ctl(ep, op, fd, &ev));
}

/* struct epoll_event is packed on x86_64: 4 bytes events, 8 bytes data, 12 bytes per entry. */
FN(jint, epollWait)(CLS, jint ep, jlong events, jint max, jint timeoutMs)
{
	(void)env; (void)cls;
	RET(epoll_wait(ep, PTR(events), max, timeoutMs));
}

FN(jint, eventfd)(CLS, jint init, jint flags)
{
	(void)env; (void)cls;
	RET(eventfd((unsigned)init, flags));
}

/* Private anonymous memory: the kernel supplies zeroed pages on first touch, so nothing is written (or faulted in)
 * before use. Returns the address, or -errno. */
FN(jlong, mapAnonymous)(CLS, jlong len)
{
	(void)env; (void)cls;
	void *p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? -errno : (jlong)(intptr_t)p;
}

FN(jint, timerfdCreate)(CLS)
{
	(void)env; (void)cls;
	RET(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
}

FN(jint, timerfdSet)(CLS, jint fd, jlong initialNs, jlong intervalNs)
{
	struct itimerspec it = {
		.it_value = { .tv_sec = initialNs / 1000000000L, .tv_nsec = initialNs % 1000000000L },
		.it_interval = { .tv_sec = intervalNs / 1000000000L, .tv_nsec = intervalNs % 1000000000L },
	};

	(void)env; (void)cls;
	RET(timerfd_settime(fd, 0, &it, NULL));
}

FN(jint, inotifyInit)(CLS, jint flags)
{
	(void)env; (void)cls;
	RET(inotify_init1(flags));
}

FN(jint, pidfdOpen)(CLS, jint pid)
{
	int fd;

	(void)env; (void)cls;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

FN(jint, inotifyAddWatch)(CLS, jint fd, jstring path, jint mask)
{
	const char *p = (*env)->GetStringUTFChars(env, path, NULL);
	int rc;

	(void)cls;
	if (!p)
		return -ENOMEM;
	do {
		rc = inotify_add_watch(fd, p, (uint32_t)mask);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		rc = -errno;
	(*env)->ReleaseStringUTFChars(env, path, p);
	return rc;
}

FN(jint, open)(CLS, jstring path, jint flags, jint mode)
{
	const char *p = (*env)->GetStringUTFChars(env, path, NULL);
	int rc;

	(void)cls;
	if (!p)
		return -ENOMEM;
	do {
		rc = open(p, flags, mode);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		rc = -errno;
	(*env)->ReleaseStringUTFChars(env, path, p);
	return rc;
}

FN(jint, access)(CLS, jstring path, jint mode)
{
	const char *p = (*env)->GetStringUTFChars(env, path, NULL);
	int rc;

	(void)cls;
	if (!p)
		return -ENOMEM;
	rc = access(p, mode) < 0 ? -errno : 0;
	(*env)->ReleaseStringUTFChars(env, path, p);
	return rc;
}

FN(jint, dup2)(CLS, jint oldfd, jint newfd)
{
	(void)env; (void)cls;
	RET(dup2(oldfd, newfd));
}

FN(jint, kill)(CLS, jint pid, jint sig)
{
	(void)env; (void)cls;
	RET(kill(pid, sig));
}

/**
 * @return -errno; 0 when no child changed state (WNOHANG); else (pid << 32) | raw wait status
 */
FN(jlong, waitpid)(CLS, jint pid, jint options)
{
	int status = 0;
	pid_t r;

	(void)env; (void)cls;
	do {
		r = waitpid(pid, &status, options);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	return ((jlong)r << 32) | (uint32_t)status;
}

FN(jint, getpid)(CLS)
{
	(void)env; (void)cls;
	return getpid();
}

FN(jint, getuid)(CLS)
{
	(void)env; (void)cls;
	return (jint)getuid();
}

FN(jint, getgid)(CLS)
{
	(void)env; (void)cls;
	return (jint)getgid();
}

FN(jint, setsid)(CLS)
{
	(void)env; (void)cls;
	RET(setsid());
}

FN(jint, isatty)(CLS, jint fd)
{
	(void)env; (void)cls;
	return isatty(fd);
}

FN(jlong, monotonicNs)(CLS)
{
	struct timespec ts;

	(void)env; (void)cls;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (jlong)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

FN(jlong, realtimeNs)(CLS)
{
	struct timespec ts;

	(void)env; (void)cls;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (jlong)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

FN(jstring, strerror)(CLS, jint err)
{
	(void)cls;
	return (*env)->NewStringUTF(env, strerror(err));
}

/**
 * Starts @path with @argv (NUL-separated strings, last one NUL-terminated) and a fresh AF_UNIX
 * SOCK_SEQPACKET socketpair whose child end is its fd 3; every other descriptor is closed, the signal
 * mask is empty and every signal has its default disposition (the JVM's are none of the child's business).
 *
 * @return -errno, or (pid << 32) | our end of the socketpair (close-on-exec)
 */
FN(jlong, spawn)(CLS, jstring path, jbyteArray argv)
{
	const char *p = NULL;
	char *args = NULL, **av = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int sv[2] = { -1, -1 }, n = 0, i, rc;
	jsize len;
	sigset_t all, none;
	pid_t pid;

	(void)cls;
	len = (*env)->GetArrayLength(env, argv);
	args = malloc((size_t)len + 1);
	if (!args)
		return -ENOMEM;
	(*env)->GetByteArrayRegion(env, argv, 0, len, (jbyte *)args);
	args[len] = 0;
	for (i = 0; i < len; i++)
		n += !args[i];
	av = calloc((size_t)n + 2, sizeof(*av));
	if (!av) {
		free(args);
		return -ENOMEM;
	}
	for (i = 0, n = 0; i < len; i += (int)strlen(args + i) + 1)
		av[n++] = args + i;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		goto out;
	}
	p = (*env)->GetStringUTFChars(env, path, NULL);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
	posix_spawn_file_actions_addclosefrom_np(&fa, 4);
	posix_spawnattr_init(&attr);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawn(&pid, p, &fa, &attr, av, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	(*env)->ReleaseStringUTFChars(env, path, p);
	close(sv[1]);
	if (rc) {
		close(sv[0]);
		rc = -rc;
		goto out;
	}
	free(av);
	free(args);
	return ((jlong)pid << 32) | (uint32_t)sv[0];
out:
	free(av);
	free(args);
	return rc;
}

/**
 * Receives one datagram and up to @maxFds descriptors (SCM_RIGHTS, made close-on-exec).
 * @fds receives the count in its first int, then the descriptors.
 * @return bytes received (0 on EOF) or -errno
 */
FN(jint, recvFds)(CLS, jint fd, jlong buf, jint len, jlong fds, jint maxFds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 64)];
	struct iovec iov = { .iov_base = PTR(buf), .iov_len = (size_t)len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf };
	struct cmsghdr *c;
	int *out = PTR(fds), n = 0;
	ssize_t r;

	(void)env; (void)cls;
	if (maxFds > 64)
		maxFds = 64;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)maxFds);
	do {
		r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int cnt = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int)), k;
		int *in = (int *)CMSG_DATA(c);

		for (k = 0; k < cnt; k++) {
			if (n < maxFds)
				out[1 + n++] = in[k];
			else
				close(in[k]);
		}
	}
	out[0] = n;
	return (jint)r;
}

/** Copies @len bytes between off-heap addresses (for tests and setup, not the data path). */
FN(void, copy)(CLS, jlong dst, jlong src, jlong len)
{
	(void)env; (void)cls;
	memmove(PTR(dst), PTR(src), (size_t)len);
}

/** Sets O_NONBLOCK on @fd. @return 0 or -errno */
FN(jint, setNonBlocking)(CLS, jint fd)
{
	int fl = fcntl(fd, F_GETFL);

	(void)env; (void)cls;
	if (fl < 0)
		return -errno;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

/** @return the address of a direct ByteBuffer's memory, for passing it to the calls above */
FN(jlong, address)(CLS, jobject buf)
{
	(void)cls;
	return (jlong)(intptr_t)(*env)->GetDirectBufferAddress(env, buf);
}

static int signal_pipe = -1;

static void signal_to_pipe(int sig)
{
	unsigned char s = (unsigned char)sig;
	int saved = errno;

	if (write(signal_pipe, &s, 1) < 0) {
		/* the pipe is full: the loop has signals to read already */
	}
	errno = saved;
}

/**
 * Makes @sig write its number as one byte to @fd (the write end of a non-blocking pipe the event loop
 * watches), replacing the JVM's handler: pasta's signals end the loop, not the JVM's shutdown sequence.
 * @return 0 or -errno
 */
FN(jint, signalToPipe)(CLS, jint sig, jint fd)
{
	struct sigaction sa = { .sa_handler = signal_to_pipe, .sa_flags = SA_RESTART };

	(void)env; (void)cls;
	signal_pipe = fd;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL) < 0 ? -errno : 0;
}
