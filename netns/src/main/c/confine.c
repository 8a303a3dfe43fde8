// SPDX-License-Identifier: Apache-2.0
/*
 * The JVM's confinement once jpasta is ready (Java side: io.jpasta.netns.sys.Confine): a seccomp deny-list,
 * capabilities and a Landlock domain. Part of libjpasta.so; same conventions as sys.c (>= 0 or -errno).
 *
 * The JVM is multithreaded and its threads are not ours (compiler, GC, VM threads). Seccomp synchronises the
 * filter to every thread itself (SECCOMP_FILTER_FLAG_TSYNC, which also sets no_new_privs on each). Capabilities
 * and landlock_restrict_self() apply to the calling thread only (Landlock learns to synchronise threads only in
 * ABI 8), so every thread is made to call them on itself: a real-time signal is sent to each thread listed in
 * /proc/self/task and its handler does the work, as glibc does for setuid() across threads. A thread created
 * meanwhile by one not yet restricted shows up in the next pass over the list; one created by a restricted
 * thread inherits its domain.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jni.h>
#include <linux/landlock.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "confine.h"

#define FN(ret, name) JNIEXPORT ret JNICALL Java_io_jpasta_netns_sys_Confine_##name
#define CLS JNIEnv *env, jclass cls

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#define CLONE_NEW_ANY                                                                                    \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |     \
	 CLONE_NEWNET | CLONE_NEWTIME)

#define DENY (SECCOMP_RET_ERRNO | EPERM)
#define ALLOW SECCOMP_RET_ALLOW

/*
 * What a compromised jpasta could use to reach beyond its job, refused with EPERM: running programs, tracing or
 * reading other processes, mounts and namespaces, kernel code and BPF, keyrings, perf, userfaultfd, swap, reboot,
 * process accounting. clone() may not
 * create namespaces; clone3() passes its flags in memory the filter cannot read, so it answers ENOSYS, on which
 * glibc (2.34+) falls back to clone() for threads. Every other call passes: the JVM's own set is large and moves
 * with the JIT and the GC. A filter that only compares numbers is folded by the kernel into a per-call bitmap
 * (seccomp's action cache), so allowed calls do not run it at all.
 */
static const struct sock_filter jvm_filter[] = {
	SC_ARCH_CHECK(DENY),
#ifdef __x86_64__
	SC_X32_CHECK(DENY),
#endif
	SC_IF(__NR_execve, DENY),
	SC_IF(__NR_execveat, DENY),
	SC_IF(__NR_ptrace, DENY),
	SC_IF(__NR_process_vm_readv, DENY),
	SC_IF(__NR_process_vm_writev, DENY),
	SC_IF(__NR_mount, DENY),
	SC_IF(__NR_umount2, DENY),
	SC_IF(__NR_pivot_root, DENY),
	SC_IF(__NR_chroot, DENY),
	SC_IF(__NR_open_tree, DENY),
	SC_IF(__NR_move_mount, DENY),
	SC_IF(__NR_fsopen, DENY),
	SC_IF(__NR_fsconfig, DENY),
	SC_IF(__NR_fsmount, DENY),
	SC_IF(__NR_fspick, DENY),
	SC_IF(__NR_mount_setattr, DENY),
	SC_IF(__NR_unshare, DENY),
	SC_IF(__NR_setns, DENY),
	SC_IF(__NR_bpf, DENY),
	SC_IF(__NR_kexec_load, DENY),
	SC_IF(__NR_kexec_file_load, DENY),
	SC_IF(__NR_keyctl, DENY),
	SC_IF(__NR_add_key, DENY),
	SC_IF(__NR_request_key, DENY),
	SC_IF(__NR_init_module, DENY),
	SC_IF(__NR_finit_module, DENY),
	SC_IF(__NR_delete_module, DENY),
	SC_IF(__NR_perf_event_open, DENY),
	SC_IF(__NR_userfaultfd, DENY),
	SC_IF(__NR_swapon, DENY),
	SC_IF(__NR_swapoff, DENY),
	SC_IF(__NR_reboot, DENY),
	SC_IF(__NR_acct, DENY),
	SC_IF(__NR_clone3, SECCOMP_RET_ERRNO | ENOSYS),
	/* clone(flags, ...): no namespaces */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 3),
	SC_LD(SC_ARG_LO(0)),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEW_ANY, 0, 1),
	SC_RET(DENY),
	SC_RET(ALLOW),
};

FN(jint, seccompDenyList)(CLS)
{
	(void)env; (void)cls;
	return (jint)confine_seccomp(jvm_filter, sizeof(jvm_filter) / sizeof(jvm_filter[0]),
				     SECCOMP_FILTER_FLAG_TSYNC);
}

FN(jint, landlockAbi)(CLS)
{
	long v;

	(void)env; (void)cls;
	v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return v < 0 ? -errno : (jint)v;
}

FN(jint, landlockRuleset)(CLS, jlong handledFs)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = (uint64_t)handledFs };
	long fd;

	(void)env; (void)cls;
	/* only the first field: a kernel of an older ABI refuses a larger struct that it does not know */
	fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr.handled_access_fs), 0);
	if (fd >= 0)
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	return fd < 0 ? -errno : (jint)fd;
}

/* Allows @access beneath @path (a directory) or on it (a file). @return 0 or -errno (-ENOENT: no such path) */
FN(jint, landlockAllow)(CLS, jint ruleset, jstring path, jlong access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = (uint64_t)access };
	const char *p = (*env)->GetStringUTFChars(env, path, NULL);
	int err = 0;

	(void)cls;
	if (!p)
		return -ENOMEM;
	pb.parent_fd = open(p, O_PATH | O_CLOEXEC);
	(*env)->ReleaseStringUTFChars(env, path, p);
	if (pb.parent_fd < 0)
		return -errno;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0))
		err = errno;
	close(pb.parent_fd);
	return -err;
}

/* --- every thread restricts itself --- */

#define MAX_THREADS 4096
#define ACK_WAIT_NS 500000000L /* per pass: a signal is handled at the thread's next return to user space */

static int ll_fd = -1;
static uint64_t keep_caps;
static atomic_int acked[MAX_THREADS];
static atomic_int n_acked, n_failed;

static void restrict_self(int sig)
{
	int saved = errno, i;

	(void)sig;
	if (confine_caps(keep_caps))
		atomic_fetch_add(&n_failed, 1);
	else if (ll_fd >= 0 && syscall(SYS_landlock_restrict_self, ll_fd, 0))
		atomic_fetch_add(&n_failed, 1);
	i = atomic_fetch_add(&n_acked, 1);
	if (i < MAX_THREADS)
		atomic_store(&acked[i], (int)syscall(SYS_gettid));
	errno = saved;
}

static int was_acked(int tid)
{
	int i, n = atomic_load(&n_acked);

	for (i = 0; i < n && i < MAX_THREADS; i++)
		if (atomic_load(&acked[i]) == tid)
			return 1;
	return 0;
}

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* @return true if thread @tid is gone */
static int gone(int tid)
{
	char task[64];

	snprintf(task, sizeof(task), "/proc/self/task/%d", tid);
	return access(task, F_OK) != 0;
}

/*
 * One pass: signals every thread listed in /proc/self/task that has not restricted itself yet, all at once, then
 * waits for them together (one round of scheduling, not one per thread: 14 threads one after the other took 10-15
 * ms on this loaded machine). @return threads signalled, and in @missed those that did not answer in time
 */
static int restrict_pass(int sig, int self, int *missed)
{
	static int sent[MAX_THREADS];
	struct timespec pause = { 0, 20000 };
	long deadline = now_ns() + ACK_WAIT_NS;
	int n = 0, i, waiting, round = 0;
	struct dirent *e;
	DIR *d = opendir("/proc/self/task");

	*missed = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < MAX_THREADS) {
		int tid = atoi(e->d_name);

		if (tid > 0 && tid != self && !was_acked(tid) && !syscall(SYS_tgkill, getpid(), tid, sig))
			sent[n++] = tid;
	}
	closedir(d);
	do {
		for (i = 0, waiting = 0; i < n; i++) {
			/* now and then, forget a thread that exited before its handler ran */
			if (sent[i] && round % 64 == 63 && !was_acked(sent[i]) && gone(sent[i]))
				sent[i] = 0;
			waiting += sent[i] && !was_acked(sent[i]);
		}
		round++;
		if (waiting)
			nanosleep(&pause, NULL);
	} while (waiting && now_ns() < deadline);
	for (i = 0; i < n; i++)
		*missed += sent[i] && !was_acked(sent[i]) && !gone(sent[i]);
	return n;
}

/*
 * Drops every capability but @keepCaps on every thread, and when @ruleset >= 0 puts every thread in its Landlock
 * domain (each thread must have no_new_privs: seccompDenyList() with TSYNC gave it to all).
 *
 * @return -errno, or (threads that did not answer or failed) << 32 | threads that ran the handler
 */
FN(jlong, restrictAllThreads)(CLS, jint ruleset, jlong keepCaps)
{
	struct sigaction sa = { .sa_handler = restrict_self, .sa_flags = SA_RESTART | SA_ONSTACK };
	int sig = SIGRTMAX - 1, self = (int)syscall(SYS_gettid), pass, missed = 0;

	(void)env; (void)cls;
	ll_fd = ruleset;
	keep_caps = (uint64_t)keepCaps;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		return -errno;
	for (pass = 0; pass < 8; pass++) {
		int sent = restrict_pass(sig, self, &missed);

		if (sent < 0)
			return sent;
		if (!sent)
			break;
	}
	restrict_self(sig);
	/* the handler stays: a late signal to a thread that missed its deadline must not kill the process */
	return (jlong)(missed + atomic_load(&n_failed)) << 32 | (jlong)atomic_load(&n_acked);
}
