/**
 * The tap side of jpasta: what the guest sees on its Ethernet link, short of TCP, UDP and ICMP echo.
 *
 * <h2>Theory of operation</h2>
 * The event loop reads frames from the tap device into off-heap buffers and hands each to
 * {@link io.jpasta.tap.Classifier#frame}, the one place where a frame is parsed: the Ethernet header, for IP the
 * network header (IPv4 length, header checksum and fragment bits; IPv6 length and extension-header chain) and the
 * TCP or UDP header are checked once and located in a reused {@link io.jpasta.tap.TapFrame}. The frame then goes to
 * exactly one place, chosen by EtherType and protocol: the link's control protocols, answered here by
 * {@link io.jpasta.tap.L2Services},
 * <ul>
 * <li>{@code Arp}: every requested address but the guest's own resolves to our MAC ({@code -M}).</li>
 * <li>{@code Ndp}: neighbour solicitations are answered with our MAC from our link-local address; router
 *     solicitations get a router advertisement with the /64 of the guest's address for SLAAC, our MAC, MTU,
 *     and RDNSS/DNSSL if enabled; unsolicited advertisements follow at random intervals from
 *     {@link io.jpasta.tap.L2Services#timer}.</li>
 * <li>{@code Dhcp} and {@code Dhcpv6}: a one-client server handing out the host's address with infinite
 *     leases, the gateway, MTU, host name, FQDN, and resolvers and search list if enabled.</li>
 * </ul>
 * or one of the protocol engines registered as a {@link io.jpasta.tap.TapHandler} (ICMP echo, TCP, UDP: the modules
 * above this one), which get the offsets and addresses already worked out and never parse Ethernet or IP again.
 * Frames are never trusted: every length is checked once on entry, each refusal is a {@code DROPPED} counted once
 * under a reason (by the classifier for bad headers, unknown EtherTypes and protocols and protocols switched off;
 * by {@link io.jpasta.tap.L2Stats} per service; by each engine for its own), and nothing throws.

 * <h2>Data flow and memory</h2>
 * Frames in: a caller-owned {@link java.lang.foreign.MemorySegment}, read through reused flyweight views
 * ({@link io.jpasta.tap.wire}). Frames out: built in one 4 KiB reply buffer owned by {@code L2Services} and
 * handed to a {@link io.jpasta.tap.TapSink}, which writes or copies them before returning. Nothing is allocated
 * per frame. The tap I/O code records every frame both ways with {@link io.jpasta.tap.Pcap} when {@code -p} is
 * given.
 *
 * <h2>Configuration and time</h2>
 * {@link io.jpasta.tap.TapConf} is built by the launcher from options and host state and is immutable; when the
 * launcher follows a change of the host it builds a new one and hands it to {@code L2Services.hostChanged} (and
 * to the engines'), and {@link io.jpasta.tap.fwd.AddrMap#hostChanged} derives the translations again.
 * Clocks and randomness are passed in ({@code nowNs}, a {@link java.util.random.RandomGenerator}), so the
 * services are tested with a fake clock and no tap device. Flows for TCP, UDP, ICMP and splice live in
 * {@link io.jpasta.tap.flow.FlowTable}. Not thread-safe: everything here runs on the event loop thread.
 *
 * <h2>Limits</h2>
 * One guest; no IP fragment reassembly (fragments are dropped and counted); replies up to 4 KiB (long DNS
 * search lists are cut to what fits); DHCP replies within the client's maximum message size.
 */
package io.jpasta.tap;
