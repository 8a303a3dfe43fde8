/**
 * UDP flows and ICMP/ICMPv6 echo between the guest, the host's network and the namespace's loopback.
 *
 * <h2>UDP: theory of operation</h2>
 * UDP has no connections, so a flow ({@link io.jpasta.tap.flow.FlowType#UDP}) is a pair of endpoints that exchanged
 * a datagram, kept in the shared flow table like every other flow and closed by a timer: after 30 s without a
 * datagram either way, or 180 s once both sides sent more than one (a "stream"), as the kernel's conntrack does.
 * {@link io.jpasta.udp.Udp} runs three kinds of flow:
 * <ul>
 * <li>From the guest ({@code TAP_OUT}): the first datagram from the guest's address and port to a destination opens
 *     a host socket bound to the guest's source port if it is free there (else any port; always to the {@code -o}
 *     address and {@code --outbound-if4/6} interface when given), connected to the destination as
 *     {@link io.jpasta.tap.fwd.AddrMap} translates it ({@code --dns-forward} to the host's resolver, the gateway to
 *     the host's loopback, {@code --map-guest-addr} to the host's own address). Side 0 (the tap side) is hashed, so
 *     the next datagram finds the flow with one lookup. Replies on the socket go to the guest from the address and
 *     port it sent to. The socket has IP_RECVERR (IPV6_RECVERR): an ICMP error caused by a datagram of the guest
 *     (port or host unreachable, fragmentation needed, packet too big) comes out of the socket's error queue and
 *     goes to the guest as the same ICMP/ICMPv6 error, from the destination it addressed (or the router that sent
 *     it), quoting its datagram's headers and data, so that its socket reports ECONNREFUSED at once.</li>
 * <li>From a {@code -u} listener's remote peer ({@code TAP_IN}): the datagram goes to the guest through the tap with
 *     the peer's address and port (translated only where the guest could not answer them, AddrMap.toTap), to the
 *     target port. Both sides are hashed: the listener's (peer, port) for the next datagram, the tap side for the
 *     guest's answers, which leave through the listener with sendto(2) to the peer.</li>
 * <li>Spliced ({@code SPLICE}): a loopback peer of a {@code -u} listener (unless {@code --no-splice}), and every
 *     peer of a {@code -U} listener, talk to the other side's loopback socket to socket, never through the tap: a
 *     socket of the namespace from nsd's pool ({@code -u}) or a host socket ({@code -U}) bound to the peer's port if
 *     free there (the server sees the client's port) and connected to the target port; answers go back through the
 *     listener to the peer.</li>
 * </ul>
 *
 * <p>Batching, without allocation per datagram: sockets are read with recvmmsg(2) into 32 fixed slots whose data
 * starts 64 bytes in, so that a datagram for the guest becomes a frame in place (Ethernet, IP and UDP headers
 * written in front of it; the tap takes one frame per write(2)); datagrams of a spliced flow go on with one
 * sendmmsg(2) per run of one flow. The guest's small datagrams (up to 1984 bytes) are copied out of their tap frames
 * and sent per flow with one sendmmsg(2) at the end of each burst of tap frames (or before another flow's datagram,
 * to keep their order); larger ones go out at once from their frame. Frames to the guest: IPv4 without UDP
 * checksum, DF, TTL 255; IPv6 with its mandatory checksum.
 *
 * <p>Limits and drops ({@link io.jpasta.udp.Udp#stats()}, line "udp" of {@code --stats}): multicast, broadcast,
 * port 0 and unscoped link-local destinations; a full flow table; a socket that cannot be made (out of descriptors);
 * send and receive errors; datagrams too big for the tap's MTU; a peer of a family the guest has no address of.
 * Each is counted once under its reason and, with {@code --trace}, logged; {@code -d} logs each flow's opening and
 * end. Fragments never reach the engine (the classifier drops them).
 *
 * <h2>ICMP echo: theory of operation</h2>
 * jpasta has no IP stack and no privileges, so it cannot send raw ICMP. Linux offers unprivileged "ping sockets",
 * {@code socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)} and {@code socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6)},
 * to users whose group lies inside {@code net.ipv4.ping_group_range} (one sysctl for both families, per network
 * namespace; many distributions set {@code 0 2147483647}, the kernel default {@code 1 0} allows nobody). On such a
 * socket we write an ICMP echo message (header and data, no IP header); the kernel puts the socket's bound "port"
 * in the echo identifier, computes the checksum and routes it as any host traffic. Only echo replies carrying that
 * identifier are delivered back, as the ICMP message alone.
 *
 * <p>{@link io.jpasta.udp.Icmp} keeps one flow ({@link io.jpasta.tap.flow.FlowType#PING4} or {@code PING6}) per
 * (guest source address, echo identifier, destination). Side 0 is the tap side (the guest, its identifier, the
 * destination) and is hashed, so a request from the tap finds its flow with one lookup; side 1 is the host side
 * (the destination, the socket's identifier). A new flow opens a ping socket and binds it with
 * {@code sin_port} / {@code sin6_port} = the guest's identifier, so the remote sees the identifier the guest
 * chose. Identifiers are exclusive per family on the host: when the bind fails with EADDRINUSE (the guest pings
 * two destinations with one identifier, or a host process holds it) the socket is bound to port 0, the kernel
 * picks a free identifier, and replies get the guest's identifier written back before they reach the tap. The
 * socket is registered in the loop's epoll set as {@code T_ICMP} with the flow index.
 *
 * <p>Requests go out unchanged through {@code sendto(2)} to the destination, or to where
 * {@link io.jpasta.tap.fwd.AddrMap} says it is on the host: the {@code --map-host-loopback} address (the gateway
 * unless {@code --no-map-gw}) is pinged on 127.0.0.1 or ::1, the {@code --map-guest-addr} address on the host's own
 * address, as current pasta does through its flow table (the 2023 pasta left ICMP alone). Ping sockets are bound
 * to the {@code -o} address and the {@code --outbound-if4/6} interface of their family when given.
 *
 * <p>Replies are read into one buffer laid out as a frame (Ethernet, IPv4 or IPv6 header room, then the message), and completed in place: the echo
 * identifier set back to the guest's, an IP header from the destination the guest pinged to the guest's address
 * (IPv4: no options, identification 0, DF, TTL 255; IPv6: flow label 0, hop limit 255, as pasta), checksums
 * (the ICMPv6 one over the pseudo-header), Ethernet from our MAC to the guest's MAC as last learned, padded to the
 * 60-byte minimum. The reply's source is always the address the guest pinged, mapped or not.
 *
 * <h2>Limits, timeouts, drops</h2>
 * A flow with no request and no reply for 60 s is closed with its socket; the deadline of the oldest flow is
 * offered to the loop through {@link io.jpasta.udp.Icmp#nextDeadlineNs()}. Every refused frame is counted by
 * reason in {@link io.jpasta.udp.IcmpStats}: malformed (ICMP shorter than the echo header), bad checksum, not an
 * echo request or a destination a ping socket cannot serve (multicast, broadcast, IPv6 link-local unless mapped:
 * a host socket has no scope for it), {@code --no-icmp}, a full flow table, ping sockets refused to our group
 * (EACCES: logged once at debug level naming {@code net.ipv4.ping_group_range}), other socket errors (a failed
 * {@code -o} or {@code --outbound-if4/6} bind among them), sendto/recv errors. NDP and MLD messages are left to the
 * L2 services. Fragments are never seen here: the L2 services drop them.
 * Buffers and per-flow arrays are allocated on the first ICMP frame; nothing is allocated per frame.
 */
package io.jpasta.udp;
