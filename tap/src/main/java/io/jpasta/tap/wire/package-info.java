/**
 * Flyweight views over frames in off-heap memory: Ethernet, ARP, IPv4, IPv6, UDP, TCP (and its options), ICMP,
 * ICMPv6; Internet checksums; sequence number arithmetic; MAC addresses as {@code long}.
 *
 * <h2>Theory of operation</h2>
 * A view holds a segment and an offset, nothing else, and is reused for every frame: no allocation on the data
 * path. Each header class has a static {@code fits(seg, off, len)} that checks, once, that the bytes present
 * hold a whole header and that the header's own length fields are possible (IPv4 IHL and total length, UDP
 * length, TCP data offset, IPv6 payload length); {@link io.jpasta.tap.wire.Ipv6Header#parse} also walks the
 * extension headers. After that check the accessors read inside the checked range and cannot fail. Writers
 * ({@code init}, setters, {@code fillChecksum}) build headers in place in an outgoing buffer.
 *
 * <p>All wire fields are big-endian through {@link io.jpasta.tap.wire.Be}'s unaligned layouts. IPv4 addresses
 * are {@code int}s, IPv6 addresses two {@code long}s (high, low), MAC addresses the low 48 bits of a
 * {@code long}. Sequence numbers are {@code int}s compared only through {@link io.jpasta.tap.wire.Seq}.
 *
 * <h2>Checksums</h2>
 * {@link io.jpasta.tap.wire.Checksum} keeps unfolded partial sums in a {@code long}, so pseudo-header, header
 * and payload sums add up before one fold; incremental updates follow RFC 1624 for rewriting ports, addresses
 * or sequence numbers without summing the payload again.
 *
 * <h2>Limits</h2>
 * Only Ethernet II framing (no VLAN tags) and Ethernet/IPv4 ARP. IPv6 extension chains are walked up to 16
 * headers; fragments are recognised, never reassembled.
 */
package io.jpasta.tap.wire;
