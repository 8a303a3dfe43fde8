/**
 * Namespaces: the client of jpasta-nsd, netlink, and quitting when the namespace goes away. (Theory of operation below.)
 *
 * <h2>Netlink: host state in, namespace configuration out</h2>
 *
 * <p>{@link io.jpasta.netns.Netlink} speaks rtnetlink (NETLINK_ROUTE) over one socket: opened here for the host
 * ({@code Netlink.open()}, the JVM stays in the caller's namespace), or received from nsd for the namespace (the
 * socket talks to the namespace it was created in, whoever holds it). Messages are built and parsed in Java by
 * {@code NetlinkWire} in one 64 KiB off-heap buffer per socket; the only native calls are sendto/recvfrom. Each
 * request carries NLM_F_ACK and a fresh sequence number; replies of other sequence numbers are skipped; a request
 * ends at NLMSG_ERROR (0 or -errno), a dump at NLMSG_DONE. Every receive has a 5 s timeout and every conversation
 * a datagram limit, and every length in a reply is checked before use, so a broken or silent kernel peer gives an
 * IOException, never a hang. Dumps are the setup path: they allocate records freely.
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
 */
package io.jpasta.netns;
