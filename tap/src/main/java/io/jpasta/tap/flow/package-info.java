/**
 * The flow table: every connection-like thing jpasta tracks (TCP to a host socket, spliced TCP, UDP, ICMP
 * echo), in one index-addressed table of bounded size shared by the {@code tcp}, {@code udp} and {@code splice}
 * modules.
 *
 * <h2>Theory of operation</h2>
 * A flow is an index in {@code [0, capacity)} with a {@link io.jpasta.tap.flow.FlowType type} and two sides.
 * Each side records on which interface it lives ({@link io.jpasta.tap.flow.Pif}: the tap, the host, the
 * namespace for splice), the peer's address and port and ours; addresses of both families are stored as
 * IPv4-mapped IPv6 pairs ({@link io.jpasta.tap.flow.Inany}). Frames from the tap and events from sockets find
 * their flow with {@link io.jpasta.tap.flow.FlowTable#lookup} on (protocol, interface, addresses, ports), which
 * returns a side index ({@code flow * 2 + side}); epoll events carry the flow index directly. Protocol modules
 * keep their own per-flow state in arrays indexed by flow, and a lookup touches only primitive arrays.
 *
 * <p>Indices are handed out lowest first (a freed one is reused before a new one), so the arrays start at 256 flows
 * and double as the highest index in use grows; the modules' per-flow arrays follow the same rule. A freed index
 * is reusable only after the event loop finished the batch of epoll events it was freed in
 * ({@link io.jpasta.tap.flow.FlowTable#reap}): an event of that batch for the closed socket still names the index.
 *
 * <h2>Limits</h2>
 * Capacity (the bound of the growth) is fixed at construction, by default 128k - 1 flows as in pasta. When it is full,
 * {@link io.jpasta.tap.flow.FlowTable#alloc} refuses, counts the refusal, and the protocol answers as it would
 * when out of resources (a TCP RST, a dropped datagram). Timers walk the table with
 * {@link io.jpasta.tap.flow.FlowTable#next}; deadlines themselves belong to the owning modules.
 * {@link io.jpasta.tap.flow.FlowTable#inconsistency} checks every invariant of the table (counts, free lists, hash
 * index); the fuzz tests of the engines call it after every input. It walks the whole table: not for the data path.
 */
package io.jpasta.tap.flow;
