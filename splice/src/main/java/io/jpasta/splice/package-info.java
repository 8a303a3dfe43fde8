/**
 * Loopback TCP bypass with splice(2): a connection between a loopback client on one side (host or namespace) and a
 * loopback server on the other never touches the tap; two sockets and two pipes carry it, and no byte is copied into
 * the JVM.
 *
 * <h2>Theory of operation</h2>
 * <p>The launcher's listeners accept a connection (side 0) and hand it to {@link io.jpasta.splice.Splice#open} with
 * a fresh socket of the same family on the other side (side 1): for {@code -t}, from a {@link
 * io.jpasta.splice.SocketPool} of namespace sockets made by jpasta-nsd in batches of 32 (refilled when fewer than 16
 * are left), so that accepting costs no round trip; for {@code -T}, a host socket made on the spot. Side 1 connects
 * without blocking to 127.0.0.1 or ::1 at the target port ({@code SPLICE_CONNECT}); EPOLLOUT with no socket error
 * makes the connection {@code SPLICE_ESTABLISHED}, a refusal resets the client.
 *
 * <p>Pipe {@code i} carries what side {@code i} sent. Moving data from side {@code f} to side {@code t} (one "pump")
 * is {@code splice(sock f -> pipe f)} then {@code splice(pipe f -> sock t)}, with SPLICE_F_MOVE | SPLICE_F_NONBLOCK,
 * plus SPLICE_F_MORE on a write that follows a read which filled the pipe (the source very likely has more; when
 * the source is drained, TCP_NODELAY is re-asserted to push what MORE held back). A pump runs until the source says
 * EAGAIN with the pipe empty, the source's end of stream, an error, or 16 rounds. A write that would block sets
 * {@code OUT_WAIT_t}: we then watch EPOLLOUT on {@code t} and stop watching EPOLLIN on {@code f}, so a slow
 * receiver throttles the sender through TCP's own windows, never through memory of ours. Pipes are as large as
 * the kernel grants, up to 8 MiB (fs.pipe-max-size, usually 1 MiB for unprivileged users; smaller once the user's
 * pipe page budget runs out), and pooled when known empty.
 *
 * <p>Sockets are registered edge-triggered; this is safe because a pump never leaves data unread in its source
 * unless an EPOLLOUT wake-up is armed on the destination (after the round limit the destination is re-registered,
 * which reports EPOLLOUT at once if it is writable), and it spares us level-triggered EPOLLHUP storms on half-closed
 * sockets.
 *
 * <p>Closing: end of stream on side {@code f} ({@code FIN_RCVD_f}) becomes {@code shutdown(t, SHUT_WR)}
 * ({@code FIN_SENT_t}) only once pipe {@code f} is drained, so nothing already read is lost. When both directions
 * are over, both sockets are closed. An error on side {@code x} (reset, broken pipe) closes {@code x}
 * ({@code GONE_x}) and drops what was meant for it, but what {@code x} sent before failing is still written to the
 * other side, which is then closed normally; if nothing was owed, the other side gets a RST (SO_LINGER 0) so that
 * the reset propagates.
 *
 * <p>Flows: every spliced connection is a flow of type {@code TCP_SPLICE} in the flow table the tap's TCP and ICMP
 * flows use too ({@link io.jpasta.tap.flow.FlowTable}), so its capacity (128k - 1) bounds them all together. Side 0
 * records the client and the listening port (pif {@code HOST} for {@code -t}, {@code SPLICE} for {@code -T}), side 1
 * the loopback target on the other side; neither is hashed, as nothing looks a spliced flow up by address. The flow
 * index is the connection's index, the epoll index of its sockets is the flow side index, and trace logs name the
 * flow ({@code "Flow 3 (TCP (spliced)): HOST [127.0.0.1]:40000 -> [0.0.0.0]:8080 => SPLICE [127.0.0.1]:8080"}).
 *
 * <p>Limits: when the flow table is full the listener resets the accepted socket (SO_LINGER 0) before it spends a
 * socket on the other side; the refusal is counted ({@code --stats}: "refused (flow table full N)") and the first one
 * of each episode is logged at debug level. When no pipe or no socket for the other side can be made, the accepted
 * socket is reset and counted as refused too. When the process runs out of descriptors (accept4 fails with EMFILE
 * or ENFILE), the launcher's listener gives up a descriptor it keeps in reserve, accepts the waiting client, resets
 * it and takes the reserve back: a client left in the backlog of a level-triggered listener would hang, and the loop
 * would spin on it (warned once per episode). After a failure on one side with data still owed to the other, the surviving socket is closed with close(2) after
 * draining the pipe: bytes still in its send queue are delivered unless its peer also left data unread.
 *
 * <p>All system calls go through {@link io.jpasta.splice.SpliceIo} ({@link io.jpasta.splice.NativeSpliceIo} in
 * production), so the state machine is tested over a fake kernel without namespaces or native code.
 */
package io.jpasta.splice;
