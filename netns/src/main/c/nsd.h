/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wire protocol between the JVM and jpasta-nsd over a SOCK_SEQPACKET socketpair (nsd's fd 3).
 * Native byte order. The Java side mirrors these offsets in io.jpasta.netns.Nsd.
 *
 * JVM -> nsd: one struct nsd_req per datagram.
 * nsd -> JVM: one struct nsd_rep per datagram, descriptors attached with SCM_RIGHTS:
 *   NSD_HELLO once, after namespace setup (rc < 0: setup failed, data says what; val: command PID; on
 *             success, data: empty when confined, else what was not, e.g. "seccomp" or "--no-confine")
 *   NSD_REPLY once per request, in request order (rc >= 0 or -errno; fds attached on success)
 *   NSD_EXIT  when the command ends (val: raw wait status), at any time after NSD_GO
 */
#ifndef NSD_H
#define NSD_H

#include <stdint.h>

#define NSD_FD 3
#define NSD_MAX_FDS 32

enum nsd_op {
	NSD_TAP = 1,     /* data: interface name. reply: tap fd; val: ifindex; data: actual name */
	NSD_NETLINK = 2, /* a[0]: netlink protocol. reply: netlink socket fd in the namespace */
	NSD_SOCKET = 3,  /* a[0..2]: family, type, protocol; a[3]: count (1..32); a[4]: listen backlog (0: no
			  * listen); a[5]: NSD_SOCK_* flags; data: sockaddr to bind (len 0: unbound).
			  * reply: rc = count, that many fds */
	NSD_OPEN = 4,    /* a[0]: open flags; data: path, resolved in the namespace's view. reply: fd */
	NSD_WRITE = 5,   /* data: path NUL content: write content to path (sysctls of the namespace) */
	NSD_GO = 6,      /* release the command. reply: val: its PID */
	NSD_PROBE = 7,   /* tests only: try a system call nsd never needs, harmlessly. reply: rc: its -errno */
};

enum nsd_msg {
	NSD_REPLY = 1,
	NSD_HELLO = 2,
	NSD_EXIT = 3,
};

#define NSD_SOCK_REUSEADDR 1
#define NSD_SOCK_V6ONLY 2
#define NSD_SOCK_FREEBIND 4

struct nsd_req {
	uint32_t op;
	int32_t a[6];
	uint32_t len;
	uint8_t data[224];
};

struct nsd_rep {
	uint32_t type;
	int32_t rc;
	int32_t val;
	uint32_t len;
	uint8_t data[112];
};

_Static_assert(sizeof(struct nsd_req) == 256, "nsd_req layout");
_Static_assert(sizeof(struct nsd_rep) == 128, "nsd_rep layout");

#endif
