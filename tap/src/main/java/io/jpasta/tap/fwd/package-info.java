/**
 * Forwarding decisions: which ports are forwarded in which direction, to which port and on which address.
 *
 * <h2>Theory of operation</h2>
 * pasta forwards ports in four tables, one per protocol and direction: {@code -t} (TCP, init namespace to target
 * namespace), {@code -u} (UDP, same direction), {@code -T} and {@code -U} (TCP and UDP from the target namespace to
 * the init namespace). Each table is a {@link io.jpasta.tap.fwd.PortRules}, built once at startup from the
 * specifications of its option by {@link io.jpasta.tap.fwd.PortRules.Builder}, which checks them with pasta's
 * rules and messages ({@code Invalid port specifier ...}, {@code Overlapping port specifier ...}, mode conflicts),
 * so that a bad command line stops before any namespace or socket exists.
 *
 * <p>A table is a 65536-bit map of forwarded ports plus, per port, the target port (only allocated when some
 * item maps ports, {@code 22:2222}), whether the port was named explicitly (versus implied by an exclude-only
 * specification such as {@code ~20000-20010} or by passt's {@code all}: such ports are bound best effort, and the
 * listener code skips the ephemeral range read from {@code /proc/sys/net/ipv4/ip_local_port_range}), and the bind
 * (address and/or interface, {@code 203.0.113.1%eth0/22}; none means both families on the wildcard address).
 * {@code auto} tables carry no ports: the listener code discovers them from the other side's listening sockets.
 *
 * <p>{@link io.jpasta.tap.fwd.IpLiteral} parses numeric addresses exactly as {@code inet_pton(3)} accepts them,
 * never resolving names.
 *
 * <p>{@link io.jpasta.tap.fwd.AddrMap} holds the only address translations pasta documents, built once from
 * {@code --map-host-loopback} (default: the gateway; off with {@code none} or {@code --no-map-gw}),
 * {@code --map-guest-addr}, {@code --dns-forward}/{@code --dns-host} (TCP and UDP to ports 53 and 853; the DNS host
 * defaults to the first name server of the family in the host's resolv.conf), {@code -o} and
 * {@code --outbound-if4/6}. A flow the guest opens asks it where the destination really is on the host; a peer on the
 * host that the guest could not answer (loopback, the host's own address, which is the guest's) is shown to the guest
 * under the mapped address or the gateway. Addresses are {@link io.jpasta.tap.flow.Inany} halves and the result of a
 * call is read back from the map, so a lookup allocates nothing.
 *
 * <p>Limits: at most 256 distinct binds per table; port numbers 0-65535 (exclude-only specifications start at 1).
 */
package io.jpasta.tap.fwd;
