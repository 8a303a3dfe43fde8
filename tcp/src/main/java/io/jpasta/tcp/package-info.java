/**
 * TCP between the tap and host sockets, without a TCP stack of our own (issue 5, after the seed's design).
 *
 * <h2>What is translated</h2>
 * A connection the guest opens (a SYN arriving on the tap) becomes a non-blocking host socket connecting to the
 * same destination port and address, except the translations of {@link io.jpasta.tap.fwd.AddrMap}: the
 * {@code --map-host-loopback} address (the gateway unless {@code --no-map-gw}) goes to the host's 127.0.0.1 or ::1,
 * the {@code --map-guest-addr} address to the host's own address, the {@code --dns-forward} address on ports 53 and
 * 853 to the {@code --dns-host}. Toward the guest the flow keeps the address the guest used. The host socket is bound
 * to the {@code -o} address and the {@code --outbound-if4/6} interface of its family before it connects; if that
 * fails, the guest gets a RST as for a refused connect.
 * A connection accepted on a host listener becomes a SYN we send to the guest with the client's address and port
 * as source ({@link io.jpasta.tcp.Tcp#acceptedClient}: a client on the host itself appears under the
 * {@code --map-host-loopback} or {@code --map-guest-addr} address, or the gateway's). The host kernel does the real TCP toward the peer; toward the
 * guest we only produce the segments a peer would, mirroring what the socket does.
 *
 * <h2>Events instead of states</h2>
 * {@link io.jpasta.tcp.TcpConn} keeps per flow a set of events that happened (SOCK_ACCEPTED, TAP_SYN_RCVD,
 * TAP_SYN_ACK_SENT, ESTABLISHED, SOCK_FIN_RCVD, SOCK_FIN_SENT, TAP_FIN_RCVD, TAP_FIN_SENT, TAP_FIN_ACKED) and
 * flags for passing conditions (STALLED, LOCAL, ACTIVE_CLOSE, ACK_TO_TAP_DUE, ACK_FROM_TAP_DUE, ...). The first
 * three are fundamental and replace all others when set. Everything is in int/long arrays indexed by the flow
 * index of the shared {@link io.jpasta.tap.flow.FlowTable}; side 0 of a TCP flow faces the tap, side 1 the host.
 *
 * <h2>Handshake</h2>
 * Guest SYN: the flow records the guest's sequence, MSS (536 when absent) and window scale, and starts the
 * connect. Only when the socket is writable (connected) do we answer SYN-ACK, announcing an MSS from the tap MTU
 * and our window scale (8) only if the guest offered scaling, with an RFC 6528 initial sequence number (keyed hash
 * of the addresses plus a 4 µs clock). A connect failure, at once or later, answers the guest with RST, so
 * clients see "connection refused" as they would from the real peer. The guest's ACK establishes the flow.
 *
 * <h2>Socket to guest</h2>
 * Received data stays in the socket until the guest acknowledges it. We read with MSG_PEEK at an offset
 * (SO_PEEK_OFF) equal to the bytes in flight, straight into the data area of up to {@value Tcp#FRAMES} frame
 * slots whose headers are then written in front of the data; at most the guest's window minus what is in flight
 * is read. The acknowledged bytes are dropped from the socket (recv with MSG_TRUNC) once per burst of tap frames,
 * for all the guest's ACKs of the burst, and what the window they opened allows is peeked once, at the end of the
 * burst too (as pasta batches them): per ACK, two system calls and a small peek were 7.75 against 8.60 Gbit/s
 * with four streams toward the guest. Until the release, peeks skip the acknowledged bytes still in front
 * ({@code seqSockHead}); a socket is never closed with unreleased data, which would reset its peer. Retransmission
 * is therefore a rewind: sequence back to the acknowledged point, peek again. It happens on three duplicate ACKs
 * (fast retransmit) and on timeout (200 ms, doubling, reset after 7 attempts without progress). End of stream on
 * the socket becomes our FIN once all data before it was sent.
 *
 * <h2>Guest to socket</h2>
 * In-order data of a burst of tap frames is appended to a per-flow buffer and written with one send at the end of
 * the burst ({@link io.jpasta.tcp.Tcp#flush}); the burst is acknowledged with one ACK. What the socket does not
 * take stays in the buffer (bounded, {@value Tcp#PEND_CAP} bytes) and is written when the socket reports room
 * (EPOLLOUT), instead of being dropped: we acknowledge only what we hold, so nothing is lost or acknowledged twice.
 * The window we advertise is the socket's free send space minus what we hold, so the guest rarely sends what we
 * cannot take; a small window is re-checked after 10 ms and a window update sent. Out-of-order segments are not
 * kept: each one gets a duplicate ACK at once, so the guest's fast retransmit starts after three of them rather
 * than after a timeout. The guest's FIN becomes shutdown(SHUT_WR) once everything before it was written.
 *
 * <h2>Closing and timeouts</h2>
 * The flow is freed and the socket closed once our FIN to the socket is sent and the guest acknowledged our FIN.
 * RST from the guest closes the socket with linger 0 (a RST to the peer); a socket error sends RST to the guest.
 * Timeouts: handshake 10 s, retransmission as above, window re-check 10 ms, inactivity 2 h (no data, FIN, RST,
 * acknowledgment progress or window change either way, no socket event).
 *
 * <h2>Keepalive</h2>
 * An established connection whose guest sent nothing for 30 s, with nothing of ours unacknowledged, gets a
 * keepalive: a bare ACK one below our next sequence, which the guest's stack must answer. A guest that lost the
 * connection answers with a RST, and the host socket is reset at once instead of staying open for 2 h. The answers
 * do not count as activity: a connection idle on both sides is still reset after 2 h. With data in flight the
 * retransmissions probe the guest instead.
 *
 * <h2>Layout</h2>
 * {@link io.jpasta.tcp.Tcp} is the engine's face (the entry points the loop calls) and what ends a connection; it
 * holds four parts around the state they share, {@link io.jpasta.tcp.TcpConn} (one column per field, declared once)
 * and the flow table: {@code TcpTap} (segments from the guest and the end-of-burst work they leave),
 * {@code TcpSock} (socket readiness, the socket's data toward the guest, connections accepted on {@code -t}),
 * {@code TcpTimers} (the list of open connections and their deadlines) and {@code TcpEmitter} (headers written in
 * front of data already in place, frames to the tap). Sockets and memory are reached only through
 * {@link io.jpasta.tcp.TcpSocks}, which the tests fake.
 *
 * <h2>Limits</h2>
 * Per-connection arrays start at {@value Tcp#INITIAL_FLOWS} flows and double with the highest flow index in use, as
 * the flow table's do. No SACK and no timestamps are negotiated with the guest; fragments never get here (the tap
 * module's classifier drops them, as it drops segments whose headers do not fit); {@code -t} listeners themselves
 * belong to the launcher (they call {@link io.jpasta.tcp.Tcp#acceptedClient}). Zero allocation per segment: buffers
 * are allocated when first needed (the frame slots when a socket is first read) and data buffers are pooled.
 *
 * <h2>Drops and counters</h2>
 * {@link io.jpasta.tcp.Tcp#stats()} counts segments and bytes each way, retransmissions, keepalives and RSTs, and
 * drops by reason: a segment of no connection (answered with a RST unless it is one), a SYN to an address or port
 * no socket can serve (port 0, multicast, broadcast), a SYN for which the flow table has no room (RST). Trace lines
 * ({@code --trace}) name the flow and each event.
 */
package io.jpasta.tcp;
