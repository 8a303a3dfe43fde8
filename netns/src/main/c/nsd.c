// SPDX-License-Identifier: Apache-2.0
/*
 * jpasta-nsd: the namespace daemon, the only jpasta code that enters namespaces.
 *
 * The kernel refuses unshare(CLONE_NEWUSER) and setns() into a user namespace to a multithreaded process,
 * and the JVM is always multithreaded. So this small, single-threaded program does that part: it enters
 * (or creates) the target namespaces once, then serves requests for file descriptors that must be created
 * inside them (tap device, netlink and other sockets, procfs files) and passes them to the JVM with
 * SCM_RIGHTS. The JVM owns every descriptor on the data path; nsd never touches traffic.
 *
 * Usage (by the JVM only; the socket to the JVM is fd 3):
 *   jpasta-nsd spawn HOSTNAME PATH ARGV0 [ARG...]   new user namespace (maps 0 -> our uid/gid), command in new
 *                                                   net+uts+ipc+pid+mount namespaces, held until NSD_GO
 *   jpasta-nsd pid PID USERNS                       join PID's network namespace; USERNS: "auto" (PID's user
 *                                                   namespace), "none", or a path
 *   jpasta-nsd netns PATH USERNS                    join the network namespace at PATH; USERNS: "none" or a path
 * Any of them may be preceded by --no-confine (jpasta's --no-confine: see confine() for what it leaves out).
 *
 * Lifetime: it exits when the JVM closes its end of the socket or dies (PR_SET_PDEATHSIG); the command has
 * PR_SET_PDEATHSIG(SIGKILL) toward nsd, so it never outlives us. Protocol: nsd.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/landlock.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif
/* newer than the build machine's headers (Linux 6.2 and 6.10) */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

#include "confine.h"
#include "nsd.h"

static pid_t child = -1;
static int go_w = -1;

/* Sends one message with up to @nfds descriptors, then closes them here: the JVM owns them now. */
static void reply(uint32_t type, int rc, int val, const void *data, size_t len, const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * NSD_MAX_FDS)];
	struct nsd_rep rep = { .type = type, .rc = rc, .val = val };
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int i;

	if (len > sizeof(rep.data))
		len = sizeof(rep.data);
	if (data)
		memcpy(rep.data, data, len);
	rep.len = (uint32_t)len;
	if (nfds > 0) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	while (sendmsg(NSD_FD, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

/*
 * Reports a setup failure to the JVM and exits. The message is complete as the user should read it: "what",
 * followed by ": strerror" when @with_errno, as current pasta does for every such message.
 */
static void fail(const char *what, int with_errno)
{
	char msg[sizeof(((struct nsd_rep *)0)->data)];
	int err = errno;

	if (with_errno)
		snprintf(msg, sizeof(msg), "%s: %s", what, strerror(err));
	else
		snprintf(msg, sizeof(msg), "%s", what);
	reply(NSD_HELLO, -err, 0, msg, strlen(msg) + 1, NULL, 0);
	_exit(1);
}

static void hello_fail(const char *what)
{
	fail(what, 1);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	size_t len = strlen(text);

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0 || (size_t)n != len) {
		int err = n < 0 ? errno : EIO;

		close(fd);
		return -err;
	}
	close(fd);
	return 0;
}

/* Creates a user namespace for ourselves in which our uid and gid are root, as unshare -r does. */
static void own_userns(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWUSER))
		hello_fail("Couldn't create user namespace");
	/* An unprivileged process may map only its own gid, and only after giving up setgroups(2). */
	if (write_file("/proc/self/setgroups", "deny") && errno != ENOENT)
		hello_fail("Couldn't write /proc/self/setgroups");
	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (write_file("/proc/self/uid_map", map))
		hello_fail("Couldn't write /proc/self/uid_map");
	snprintf(map, sizeof(map), "0 %u 1", gid);
	if (write_file("/proc/self/gid_map", map))
		hello_fail("Couldn't write /proc/self/gid_map");
}

static volatile pid_t cmd_pid;

static void pass_on(int sig)
{
	if (cmd_pid > 0)
		kill(cmd_pid, sig);
}

/*
 * PID 1 of the new PID namespace. The kernel protects a namespace's init from signals sent inside it, even
 * SIGKILL, so the command does not run as PID 1 (a `kill -9 $$` in it would be ignored): this small init
 * forks it, passes signals on, reaps orphans, and exits with the command's status (128 + N for signal N),
 * which nsd reports to the JVM. Its exit ends every other process of the namespace.
 */
static void init(const char *path, char **argv)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT };
	struct sigaction sa = { .sa_handler = pass_on };
	sigset_t none;
	size_t i;
	int status;
	pid_t p;

	sigemptyset(&none);
	p = fork();
	if (p < 0) {
		perror("pasta: fork");
		_exit(1);
	}
	if (p == 0) {
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(path, argv);
		fprintf(stderr, "pasta: Failed to start command or shell: %s\n", strerror(errno));
		_exit(1);
	}
	cmd_pid = p;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (;;) {
		pid_t r = wait(&status);

		if (r == p)
			break;
		if (r < 0 && errno != EINTR)
			_exit(1);
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* The command's side of the clone: set up its namespaces, wait for GO, exec. Never returns. */
static void command(int go_r, const char *hostname, const char *path, char **argv)
{
	char c;
	ssize_t n;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(NSD_FD);
	if (hostname[0] && sethostname(hostname, strlen(hostname)))
		perror("pasta: sethostname");
	/* A fresh /proc for the new PID namespace; mounts stay private to the new mount namespace. */
	if (!mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);

	do {
		n = read(go_r, &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(1); /* nsd went away before the namespace was ready */
	close(go_r);

	init(path, argv);
}

static void spawn(const char *hostname, const char *path, char **argv)
{
	char ns[64];
	int go[2], fd;
	long pid;

	own_userns();
	if (pipe2(go, O_CLOEXEC))
		hello_fail("pipe");

	pid = syscall(SYS_clone, CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNS | SIGCHLD,
		      NULL, NULL, NULL, NULL);
	if (pid < 0)
		hello_fail("Couldn't create namespaces for the command");
	if (pid == 0) {
		close(go[1]);
		command(go[0], hostname, path, argv);
	}
	close(go[0]);
	child = (pid_t)pid;
	go_w = go[1];

	snprintf(ns, sizeof(ns), "/proc/%ld/ns/net", pid);
	fd = open(ns, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		hello_fail("Couldn't join the command's network namespace");
	close(fd);
	/* ping sockets (ICMP echo without privileges) for the namespace's root, which is the caller */
	write_file("/proc/sys/net/ipv4/ping_group_range", "0 0");
}

/* @return true if @path names the user namespace we are already in (setns to it would fail with EINVAL) */
static int same_userns(int fd)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat("/proc/self/ns/user", &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* Joins @netns, and @userns first unless it is "none". Every failure names the path and the system's reason. */
static void join(const char *netns, const char *userns)
{
	char what[300];
	int ufd = -1, nfd;

	/* user namespace first, as pasta does: it is what a PID we may not use fails on */
	if (strcmp(userns, "none")) {
		ufd = open(userns, O_RDONLY | O_CLOEXEC);
		if (ufd < 0) {
			snprintf(what, sizeof(what), "Couldn't open user namespace %s", userns);
			hello_fail(what);
		}
	}
	nfd = open(netns, O_RDONLY | O_CLOEXEC);
	if (nfd < 0) {
		snprintf(what, sizeof(what), "Couldn't open network namespace %s", netns);
		hello_fail(what);
	}
	if (ufd >= 0) {
		if (!same_userns(ufd) && setns(ufd, CLONE_NEWUSER)) {
			snprintf(what, sizeof(what), "Couldn't switch to user namespace %s", userns);
			hello_fail(what);
		}
		close(ufd);
	}
	if (setns(nfd, CLONE_NEWNET)) {
		snprintf(what, sizeof(what), "Couldn't switch to network namespace %s", netns);
		hello_fail(what);
	}
	close(nfd);
}

static void do_tap(const struct nsd_req *req)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd, idx;

	memcpy(ifr.ifr_name, req->data, req->len < IFNAMSIZ - 1 ? req->len : IFNAMSIZ - 1);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		static const char what[] = "open /dev/net/tun";

		reply(NSD_REPLY, -errno, 0, what, sizeof(what), NULL, 0);
		return;
	}
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		static const char what[] = "TUNSETIFF";
		int err = errno;

		close(fd);
		reply(NSD_REPLY, -err, 0, what, sizeof(what), NULL, 0);
		return;
	}
	idx = (int)if_nametoindex(ifr.ifr_name);
	reply(NSD_REPLY, 0, idx, ifr.ifr_name, strlen(ifr.ifr_name) + 1, &fd, 1);
}

static void do_socket(const struct nsd_req *req)
{
	int fds[NSD_MAX_FDS], n = req->a[3], i, one = 1, err = 0;

	if (n < 1 || n > NSD_MAX_FDS || req->len > sizeof(req->data)) {
		reply(NSD_REPLY, -EINVAL, 0, NULL, 0, NULL, 0);
		return;
	}
	for (i = 0; i < n; i++) {
		int fd = socket(req->a[0], req->a[1] | SOCK_CLOEXEC, req->a[2]);

		if (fd < 0) {
			err = errno;
			break;
		}
		fds[i] = fd;
		if ((req->a[5] & NSD_SOCK_REUSEADDR) && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
			err = errno;
		if (!err && (req->a[5] & NSD_SOCK_V6ONLY) &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
			err = errno;
		if (!err && (req->a[5] & NSD_SOCK_FREEBIND) &&
		    setsockopt(fd, req->a[0] == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
			       req->a[0] == AF_INET6 ? IPV6_FREEBIND : IP_FREEBIND, &one, sizeof(one)))
			err = errno;
		if (!err && req->len && bind(fd, (const struct sockaddr *)req->data, req->len))
			err = errno;
		if (!err && req->a[4] > 0 && listen(fd, req->a[4]))
			err = errno;
		if (err) {
			i++;
			break;
		}
	}
	if (err) {
		while (i-- > 0)
			close(fds[i]);
		reply(NSD_REPLY, -err, 0, NULL, 0, NULL, 0);
		return;
	}
	reply(NSD_REPLY, n, 0, NULL, 0, fds, n);
}

#define DENY (SECCOMP_RET_ERRNO | EPERM)
#define ALLOW SECCOMP_RET_ALLOW

/*
 * The system calls nsd makes once set up, and nothing else (found with strace -f over the integration tests, glibc
 * 2.36: poll for poll() on x86_64, recvfrom for recv(), openat for open(); if_nametoindex() is an AF_UNIX socket,
 * ioctl SIOCGIFINDEX and close). Everything else fails with EPERM: set-up (unshare, clone, setns, mount, the
 * uid/gid maps) is over, and there is no exec, fork or memory allocation after it.
 */
static const struct sock_filter nsd_filter[] = {
	SC_ARCH_CHECK(DENY),
#ifdef __x86_64__
	SC_X32_CHECK(DENY),
	SC_IF(__NR_poll, ALLOW),
#endif
	SC_IF(__NR_ppoll, ALLOW),
	SC_IF(__NR_recvfrom, ALLOW),
	SC_IF(__NR_recvmsg, ALLOW),
	SC_IF(__NR_sendmsg, ALLOW),
	SC_IF(__NR_read, ALLOW),
	SC_IF(__NR_write, ALLOW),
	SC_IF(__NR_close, ALLOW),
	SC_IF(__NR_openat, ALLOW),
	SC_IF(__NR_setsockopt, ALLOW),
	SC_IF(__NR_bind, ALLOW),
	SC_IF(__NR_listen, ALLOW),
	SC_IF(__NR_wait4, ALLOW),
	SC_IF(__NR_exit_group, ALLOW),
	SC_IF(__NR_exit, ALLOW),
	SC_IF(__NR_rt_sigreturn, ALLOW),
	SC_IF(__NR_restart_syscall, ALLOW),
	/* socket(): only the families of our requests and of if_nametoindex() */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 10),
	SC_LD(SC_ARG_LO(0)),
	SC_IF(AF_INET, ALLOW),
	SC_IF(AF_INET6, ALLOW),
	SC_IF(AF_NETLINK, ALLOW),
	SC_IF(AF_UNIX, ALLOW),
	SC_RET(DENY),
	/* ioctl(): creating the tap and reading its index, nothing else */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 6),
	SC_LD(SC_ARG_LO(1)),
	SC_IF(TUNSETIFF, ALLOW),
	SC_IF(SIOCGIFINDEX, ALLOW),
	SC_RET(DENY),
	SC_RET(DENY),
};

/* Allows @access on or beneath @path in Landlock ruleset @rs. @return 0 or -1 */
static int landlock_allow(int rs, const char *path, uint64_t access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access };
	int rc;

	pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return -1;
	rc = (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	close(pb.parent_fd);
	return rc;
}

/*
 * Landlock for nsd (needs no_new_privs): what NSD_OPEN and NSD_WRITE may reach is /proc (the namespace's files and
 * sysctls, resolved as the final path, so /proc/self/root/... leads nowhere), and the tap is /dev/net/tun; nothing
 * else on the filesystem, so that the JVM's own Landlock domain cannot be side-stepped through nsd.
 *
 * @return 0, also where the kernel has no Landlock (skipped, as in the JVM), or -1
 */
static int confine_files(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	struct landlock_ruleset_attr attr = { 0 };
	uint64_t ioctl_dev = 0;
	int rs, rc;

	if (abi < 1)
		return 0;
	attr.handled_access_fs = (1ULL << 13) - 1; /* ABI 1: execute ... make_sym */
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		attr.handled_access_fs |= ioctl_dev = LANDLOCK_ACCESS_FS_IOCTL_DEV;
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr.handled_access_fs), 0);
	if (rs < 0)
		return -1;
	rc = landlock_allow(rs, "/proc", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
					     LANDLOCK_ACCESS_FS_WRITE_FILE);
	if (!rc)
		landlock_allow(rs, "/dev/net/tun", LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | ioctl_dev);
	if (!rc && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_landlock_restrict_self, rs, 0)))
		rc = -1;
	close(rs);
	return rc;
}

/*
 * Confines nsd once the namespaces are set up, before it serves any request. Capabilities: of those it holds
 * (all of them in the user namespace it created or joined), it keeps
 *  - CAP_NET_ADMIN: TUNSETIFF creating the tap (NSD_TAP); netlink sockets (NSD_NETLINK), because rtnetlink checks
 *    the capabilities of the socket's opener as well as the sender's; the namespace's sysctls (NSD_WRITE);
 *  - CAP_NET_BIND_SERVICE: -T/-U listeners (NSD_SOCKET) on ports below net.ipv4.ip_unprivileged_port_start;
 * and drops the rest, CAP_NET_RAW included (no request makes a raw or packet socket; netlink sockets are
 * SOCK_RAW but need no capability). Then no_new_privs, Landlock (confine_files()) and the allow-list above.
 *
 * @return NULL, or what could not be applied (nsd serves on regardless: jpasta keeps working on a kernel
 *         without seccomp, as pasta does)
 */
static const char *confine(void)
{
	if (confine_caps(CAP_BIT(CAP_NET_ADMIN) | CAP_BIT(CAP_NET_BIND_SERVICE)))
		return "capabilities";
	if (confine_files())
		return "Landlock";
	if (confine_seccomp(nsd_filter, sizeof(nsd_filter) / sizeof(nsd_filter[0]), 0))
		return "seccomp";
	return NULL;
}

/* NSD_PROBE: a harmless execveat() (fd -1 cannot be executed): EPERM when the filter refused it, else EBADF */
static int probe(void)
{
	return syscall(SYS_execveat, -1, "", NULL, NULL, AT_EMPTY_PATH) < 0 ? -errno : 0;
}

static void serve(const struct nsd_req *req, ssize_t len)
{
	char path[sizeof(req->data) + 1];
	int fd;

	if (len != sizeof(*req) || req->len > sizeof(req->data)) {
		reply(NSD_REPLY, -EINVAL, 0, NULL, 0, NULL, 0);
		return;
	}
	memcpy(path, req->data, req->len);
	path[req->len] = 0;

	switch (req->op) {
	case NSD_TAP:
		do_tap(req);
		break;
	case NSD_NETLINK:
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, req->a[0]);
		reply(NSD_REPLY, fd < 0 ? -errno : 0, 0, NULL, 0, &fd, fd < 0 ? 0 : 1);
		break;
	case NSD_SOCKET:
		do_socket(req);
		break;
	case NSD_OPEN:
		fd = open(path, req->a[0] | O_CLOEXEC);
		reply(NSD_REPLY, fd < 0 ? -errno : 0, 0, NULL, 0, &fd, fd < 0 ? 0 : 1);
		break;
	case NSD_WRITE: {
		size_t plen = strnlen(path, req->len);

		if (plen >= req->len) {
			reply(NSD_REPLY, -EINVAL, 0, NULL, 0, NULL, 0);
			break;
		}
		reply(NSD_REPLY, write_file(path, path + plen + 1), 0, NULL, 0, NULL, 0);
		break;
	}
	case NSD_PROBE:
		reply(NSD_REPLY, probe(), 0, NULL, 0, NULL, 0);
		break;
	case NSD_GO:
		if (go_w < 0) {
			reply(NSD_REPLY, child > 0 ? -EALREADY : -ECHILD, 0, NULL, 0, NULL, 0);
			break;
		}
		if (write(go_w, "g", 1) != 1) {
			reply(NSD_REPLY, -errno, 0, NULL, 0, NULL, 0);
			break;
		}
		close(go_w);
		go_w = -1;
		reply(NSD_REPLY, 0, child, NULL, 0, NULL, 0);
		break;
	default:
		reply(NSD_REPLY, -EOPNOTSUPP, 0, NULL, 0, NULL, 0);
	}
}

static void null_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int i;

	if (fd < 0)
		return;
	for (i = 0; i <= 2; i++)
		if (fd != i)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

/*
 * Joining an existing namespace, nsd runs no command and reports every error over its socket, so it needs none
 * of the caller's stdio, nor its session: it outlives the caller's wait when the JVM goes to the background, and
 *  - a caller such as podman reads the pipe it gave as stdout and stderr until EOF: holding it would hang that
 *    caller forever;
 *  - a caller's process group may be signalled as a whole after it returns (a shell's job control, a supervisor
 *    ending a command's group): nsd would die with it, and jpasta with nsd.
 */
static void detach(void)
{
	null_stdio();
	setsid();
}

int main(int argc, char **argv)
{
	struct pollfd pfd[2] = { { .fd = NSD_FD, .events = POLLIN }, { .fd = -1, .events = POLLIN } };
	struct nsd_req req;
	const char *unconfined = NULL;
	int confined = 1;
	sigset_t chld;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 1; /* the JVM died before we got here */
	if (fcntl(NSD_FD, F_GETFD) < 0) {
		fprintf(stderr, "jpasta-nsd: not started by jpasta (no socket on fd %d)\n", NSD_FD);
		return 1;
	}
	/* the JVM passes none but fd 3: whatever else is open was leaked to us, and the command would inherit it */
	syscall(SYS_close_range, NSD_FD + 1, ~0U, 0);
	if (argc >= 2 && !strcmp(argv[1], "--no-confine")) {
		confined = 0;
		argc--;
		argv++;
	}

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	if (argc >= 5 && !strcmp(argv[1], "spawn")) {
		spawn(argv[2], argv[3], argv + 4);
		pfd[1].fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
		null_stdio(); /* the command has the caller's; nsd reports over its socket only */
	} else if (argc == 4 && !strcmp(argv[1], "pid")) {
		char net[64], user[64];

		detach();

		snprintf(net, sizeof(net), "/proc/%s/ns/net", argv[2]);
		snprintf(user, sizeof(user), "/proc/%s/ns/user", argv[2]);
		join(net, !strcmp(argv[3], "auto") ? user : argv[3]);
	} else if (argc == 4 && !strcmp(argv[1], "netns")) {
		detach();
		join(argv[2], argv[3]);
	} else {
		errno = EINVAL;
		hello_fail("jpasta-nsd: bad usage");
	}
	if (confined)
		unconfined = confine();
	else
		unconfined = "--no-confine";
	/* data: what is not confined, for the JVM's debug log */
	reply(NSD_HELLO, 0, child > 0 ? child : 0, unconfined, unconfined ? strlen(unconfined) + 1 : 0, NULL, 0);

	for (;;) {
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			int status;

			while (read(pfd[1].fd, &si, sizeof(si)) > 0)
				;
			if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
				child = 0;
				reply(NSD_EXIT, 0, status, NULL, 0, NULL, 0);
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(NSD_FD, &req, sizeof(req), 0);
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				return 0; /* the JVM is gone: so are we, and the command with us */
			if (n > 0)
				serve(&req, n);
		}
	}
}
