/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pieces of confinement shared by jpasta-nsd (nsd.c) and the JVM's library (confine.c): seccomp filters written
 * as classic BPF by hand, and capability dropping. Everything here is a raw system call, so it may also run in a
 * signal handler (confine.c applies it to every thread of the JVM that way).
 *
 * A filter starts with the architecture check: seccomp matches system call numbers, and a number means another
 * call under another ABI (i386's int 0x80 on x86_64, or x32's numbers with bit 30 set), so a filter that did not
 * check would let a foreign-ABI call through under the wrong name. Those are refused like any other.
 */
#ifndef CONFINE_H
#define CONFINE_H

#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define CONFINE_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define CONFINE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "no seccomp architecture check for this target: add its AUDIT_ARCH_ here"
#endif

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif

#define SC_NR offsetof(struct seccomp_data, nr)
#define SC_ARCH offsetof(struct seccomp_data, arch)
/* the low 32 bits of argument N (little-endian targets only, both of the above) */
#define SC_ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))

#define SC_LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define SC_RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define SC_ERRNO(e) SC_RET(SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
/* if A == nr, return @action; two instructions, so lists need no computed jump offsets */
#define SC_IF(nr, action) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), SC_RET(action)

/* Refuses other ABIs and x32 numbers, then leaves the system call number in A. Four instructions. */
#define SC_ARCH_CHECK(deny)                                                                              \
	SC_LD(SC_ARCH), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CONFINE_AUDIT_ARCH, 1, 0), SC_RET(deny),     \
		SC_LD(SC_NR)
#define SC_X32_CHECK(deny) BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1), SC_RET(deny)

/* 1ULL << CAP_x, for the keep masks */
#define CAP_BIT(c) (1ULL << (c))

/*
 * Installs @n instructions of @prog with @flags (SECCOMP_FILTER_FLAG_TSYNC: every thread). Sets no_new_privs
 * first: the kernel requires it of a process without CAP_SYS_ADMIN, and it is part of the confinement anyway.
 *
 * @return 0, -errno, or with TSYNC the positive id of a thread that could not be synchronised
 */
static inline long confine_seccomp(const struct sock_filter *prog, unsigned short n, unsigned int flags)
{
	struct sock_fprog fprog = { .len = n, .filter = (struct sock_filter *)prog };
	long rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
	return rc < 0 ? -errno : rc;
}

/*
 * Leaves the calling thread only the capabilities of @keep that it already has: removes every other one from the
 * bounding set (while CAP_SETPCAP, which that needs, is still effective), then from the effective, permitted and
 * inheritable sets and the ambient set. Capabilities are per thread: call it on each. A thread with nothing beyond
 * @keep in its permitted set is left as it is (its bounding set too: without CAP_SETPCAP it could not be changed).
 *
 * @return 0 or -errno of capget/capset (a bounding set the thread may not change is left as it is)
 */
static inline int confine_caps(uint64_t keep)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	uint64_t perm;
	int cap;

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	perm = (uint64_t)data[1].permitted << 32 | data[0].permitted;
	if (!(perm & ~keep) && !data[0].inheritable && !data[1].inheritable)
		return 0; /* nothing to drop (an unprivileged caller's JVM): the bounding set needs CAP_SETPCAP anyway */
	perm &= keep;
	for (cap = 0; cap < 64 && (data[0].effective & CAP_BIT(CAP_SETPCAP)); cap++) {
		if (keep & CAP_BIT(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno == EINVAL)
			break; /* past the kernel's last capability */
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	data[0].effective = data[0].permitted = (uint32_t)perm;
	data[1].effective = data[1].permitted = (uint32_t)(perm >> 32);
	data[0].inheritable = data[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

#endif
