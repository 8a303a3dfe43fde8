/**
 * UDP flows (not implemented yet) and ICMP/ICMPv6 echo between the guest and the host's network.
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
