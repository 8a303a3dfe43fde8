/**
 * Namespaces: the client of jpasta-nsd, netlink, and quitting when the namespace goes away.
 *
 * <h2>jpasta-nsd: the only code that enters namespaces</h2>
 *
 * <p>The kernel refuses {@code unshare(CLONE_NEWUSER)} and {@code setns()} into a user namespace to a multithreaded
 * process, and the JVM always is one. {@link io.jpasta.netns.Nsd} therefore starts {@code jpasta-nsd}
 * ({@code src/main/c/nsd.c}, single-threaded C) through {@code Sys.spawn}: empty signal mask, default dispositions,
 * only its end of a SOCK_SEQPACKET socketpair open (as fd 3). In spawn mode it unshares the user namespace (root
 * maps to the caller), clones the command's side into new net, uts, ipc, pid and mount namespaces (hostname, a fresh
 * /proc, PR_SET_PDEATHSIG) where a small init (PID 1) waits for GO and then runs the command as PID 2, and joins
 * that network namespace itself; in join modes it enters the user (unless none) and network namespace of a PID or a
 * path. It then answers fixed-size requests (nsd.h): a tap device, netlink and other sockets (batches of up to 32,
 * bound and listening if asked), files opened in its view of /proc, sysctl writes, GO; descriptors come back with
 * SCM_RIGHTS. It reports HELLO once (set-up done, or what failed, in pasta's words) and EXIT with the command's wait
 * status. Starting it does not wait: the kernel builds namespaces while the JVM reads the host's state, and
 * {@code awaitReady()} collects HELLO. It exits on EOF of its socket (the JVM went away), and its command with it.
 *
 * <p>Before HELLO, set-up done and the command cloned (so that the command inherits none of it), nsd confines
 * itself (nsd.c, {@code confine()}; {@code src/main/c/confine.h} holds what it shares with the JVM's own
 * confinement, {@link io.jpasta.netns.sys.Confine}): descriptors it inherited beyond fd 3 closed at start and
 * /dev/null on 0-2; of its capabilities (all of them in the user namespace it created or joined) only
 * CAP_NET_ADMIN (the tap, the netlink sockets whose opener rtnetlink checks, namespace sysctls) and
 * CAP_NET_BIND_SERVICE (-T/-U ports below 1024) stay, in every set including the bounding set; no_new_privs;
 * Landlock, leaving it /proc and /dev/net/tun (its open and write requests would otherwise reach every file the
 * confined JVM may not); and a seccomp allow-list of the calls its request loop makes (poll, recvfrom, sendmsg, read, write, close, openat,
 * socket of four families, setsockopt, bind, listen, ioctl TUNSETIFF and SIOCGIFINDEX only, wait4, exit), with
 * the architecture check; anything else fails with EPERM. HELLO's text says what could not be applied (a kernel
 * without seccomp) or "--no-confine" when {@link io.jpasta.netns.Nsd#confine} turned it off;
 * {@link io.jpasta.netns.Nsd#probe} lets tests see a refused call.
 *
 * <p>{@link io.jpasta.netns.NsQuit} notices the namespace going away: inotify on the directory of a
 * {@code --netns} path, or for a PID and for {@code /proc/PID/...} paths a pidfd, readable as soon as the process
 * exits, even while it is a zombie (a confined JVM may not look at another process's /proc entries); a 1 s check of
 * the path where neither works.
 *
 * <h2>Netlink: host state in, namespace configuration out</h2>
 *
 * <p>{@link io.jpasta.netns.Netlink} speaks rtnetlink (NETLINK_ROUTE) over one socket: opened here for the host
 * ({@code Netlink.open()}, the JVM stays in the caller's namespace), or received from nsd for the namespace (the
 * socket talks to the namespace it was created in, whoever holds it). Messages are built and parsed in Java by
 * {@code NetlinkWire} in one 64 KiB direct ByteBuffer per socket; the only native calls are sendto/recvfrom. Each
 * request carries NLM_F_ACK and a fresh sequence number; replies of other sequence numbers are skipped; a request
 * ends at NLMSG_ERROR (0 or -errno), a dump at NLMSG_DONE. Every receive has a 5 s timeout and every conversation
 * a datagram limit, and every length in a reply is checked before use, so a broken or silent kernel peer gives an
 * IOException, never a hang. Dumps are the setup path: they allocate records freely.
 *
 * <p>Start-up cost: host state is read on every start while the kernel builds the namespace, so this package keeps
 * off what the JVM makes at first use and the AOT cache does not keep: MemorySegment access (its access forms are
 * spun on first use, 20-35 ms; ByteBuffer's accessors are archived), java.util.regex, streams and lambdas. What is
 * left is InetAddress's class initialisation (the records hold InetAddress) and the system calls.
 *
 * <p>Start-up data flow:
 * <pre>
 *  host netlink ──dumps──► links, addrs, routes ──HostState.of──► template interface per family (or absent:
 *                                                                  local mode, HostState.LOCAL_*)
 *  /etc/resolv.conf ──Resolv.parse──► name servers, search list
 *  Conf (launcher) ──► IfConfig (name, MTU, MAC, addresses, routes) ──NsNetConfig.apply──► namespace netlink
 * </pre>
 *
 * <p>Template interface (pasta's rule): {@code -i}/{@code --outbound-if4/6} if given, else the interface of the
 * lowest-metric default route of the family, else that of the first route; never loopback. IPv4 needs a global
 * address on it, IPv6 a global or link-local one; otherwise the family is absent.
 *
 * <p>{@code NsNetConfig.apply} order: lo up; MTU, MAC, {@code addr_gen_mode none} (IPv6) while the tap is down;
 * tap up; the EUI-64 link-local address with IFA_F_NODAD (the address the kernel would make, but usable at once
 * instead of after a second of duplicate address detection); the addresses (IPv6 with NODAD); the routes, those
 * without a gateway first, RTNH_F_ONLINK for a gateway nothing else puts on the link, EEXIST accepted (the kernel's
 * own prefix routes). Any other refusal is an IOException naming the step.
 *
 * <h2>Following the host</h2>
 *
 * <p>{@link io.jpasta.netns.HostWatch} tells the launcher that the host may have changed: a NETLINK_ROUTE socket
 * bound to the RTMGRP_LINK, IPV4/IPV6_IFADDR and IPV4/IPV6_ROUTE groups (unprivileged; ENOBUFS after an overflow
 * counts as a change), and inotify on resolv.conf (the file's inode, renewed after every event, and its directory
 * for replacement by rename). It does not parse notifications: the launcher reads the state again with
 * {@link io.jpasta.netns.HostState#read}. {@link io.jpasta.netns.IfDiff} is what changes between two
 * {@link io.jpasta.netns.IfConfig}s, and {@code NsNetConfig.update} applies it: routes that went away, then
 * addresses (ESRCH and EADDRNOTAVAIL are fine: the guest or the kernel removed them already), the MTU, new
 * addresses, and every wanted route again with EEXIST accepted (the kernel drops gateway routes with the address
 * that made their gateway reachable). What the guest added itself was never in an IfConfig and stays.
 */
package io.jpasta.netns;
