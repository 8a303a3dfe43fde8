/**
 * Runtime control: the forwarding tables jpasta runs with; {@code -c, --conf-path PATH}, the unix socket through
 * which upstream's client {@code pesto} shows and replaces them while jpasta runs; and {@code --api PATH}, our JSON
 * control API, which shows every flow and the counters too ({@code jpasta-ctl} is its client).
 *
 * <h2>Theory of operation</h2>
 * <p>The forwarding configuration is a {@link io.jpasta.launcher.control.RuleSet}: one
 * {@link io.jpasta.launcher.control.FwdTable} per pif that takes forwards, HOST (connections to the host, the
 * {@code -t}/{@code -u} listeners) and SPLICE (connections to the namespace's loopback, {@code -T}/{@code -U}).
 * A table is an ordered list of {@link io.jpasta.launcher.control.FwdRule}s and the capabilities that decide what it
 * accepts. {@link io.jpasta.launcher.control.CommandLineRules} builds the starting tables from the port options,
 * rule by rule as pasta 2026 does, so that pesto shows the same lines for the same command line; the launcher's
 * {@code Forwarding} turns tables into listeners (one forward per port, or an {@code auto} range per scanned rule).
 *
 * <p>{@link io.jpasta.launcher.control.UnixServer} serves a unix stream socket from the event loop: no thread, no
 * blocking call; the listening socket, the client and an idle timer are in the loop's epoll set
 * ({@code T_CONTROL}). One client at a time: listen(2) with a backlog of 0 and the listening socket out of the epoll
 * set while a client is served, so other clients wait in connect(2) or in the kernel's queue, as with pasta (which
 * blocks its whole loop meanwhile; we do not). Reads are bounded by what the session asks for next and by 16 reads
 * of 4 KiB per event; output by a 64 KiB buffer; a client that moves no byte for 10 s
 * ({@code -Djpasta.control.idleMs}) is closed, where pasta would wait forever. The socket file is created with mode
 * 0600 (fchmod(2) of the socket before bind(2): no window with a wider mode) and removed at exit, if it is still
 * ours. A path where something still listens is refused ({@code Socket path PATH already in use}); a socket left by
 * a process that is gone is replaced; a file that is not a socket is left alone (pasta would remove it).
 *
 * <p>{@link io.jpasta.launcher.control.PestoSession} speaks pesto's protocol on it. The server speaks first, then
 * the client sends complete new tables, and the server applies them all at once or not at all. pesto does all the
 * editing itself ({@code -A}, {@code -D}, {@code -C}, port specifications): it reads the tables, changes its copy and
 * sends every table back. The server replies nothing: it closes the connection when done, and on a bad request it
 * closes it too, leaving what it did not read unread (so the client's kernel reports a reset), logs pasta's warning,
 * and changes nothing. New tables replace the old at once: listeners no longer asked for are closed, new ones bound
 * (the namespace's through nsd), those asked for again kept; connections already open are not touched.
 *
 * <h2>Wire format (protocol version 2)</h2>
 * Integers are unsigned and big-endian; text fields are NUL-padded to their size. A connection carries, in order:
 * <pre>
 * server to client, once on accept:
 *   hello (20 bytes)
 *     0  magic[8]       "basil:s" and a NUL
 *     8  version u32    2 (0 was for experiments; 1 had no target address and is spoken by no one now)
 *    12  name_size u32  128, the server's pif name field size (the client refuses another value)
 *    16  ifnamsiz u32   16, the server's IFNAMSIZ (idem)
 *   then per pif with a table, in pif number order:
 *     0  pif u8         1 HOST, 3 SPLICE (2 is the tap, which has no table); 0 ends the list
 *     1  name[128]      "HOST", "SPLICE"
 *   129  caps u32       1 IPv4, 2 IPv6, 4 TCP, 8 UDP, 16 auto (scan), 32 interface names (SO_BINDTODEVICE)
 *   133  count u32      number of rules that follow
 *   137  rule[count]    56 bytes each, below
 *   then pif u8 = 0
 *
 * client to server, to replace the tables (optional: a client that only shows closes instead):
 *   per table it sends:
 *     0  pif u8         which table; the server has every table start empty, then adds what is sent
 *     1  count u32      at most 255
 *     5  rule[count]    56 bytes each
 *   then pif u8 = 0     the server applies the tables and closes; a table not sent ends up empty, one
 *                       sent twice gets both lists; bytes after the 0 are not read
 *
 * rule (56 bytes)
 *     0  addr[16]       listening address, IPv6 or IPv4-mapped IPv6 (::ffff:a.b.c.d); :: with flag 1
 *    16  taddr[16]      target address, :: or ::ffff:0.0.0.0 for the path's default target
 *    32  ifname[16]     listening interface, NUL-terminated, "" for any ("lo" for SPLICE rules of -T/-U)
 *    48  first u16      first listening port
 *    50  last u16       last listening port
 *    52  to u16         target port of first; port p goes to to + p - first
 *    54  proto u8       6 TCP, 17 UDP
 *    55  flags u8       1 any address of both families, 2 best effort (bind failures skipped),
 *                       4 scanned (auto: forwarded while the port listens on the other side)
 * </pre>
 *
 * <h2>Requests and answers</h2>
 * pesto shows the tables ({@code pesto PATH}), adds rules ({@code -A -t SPEC}), deletes rules that match exactly
 * ({@code -D -t SPEC}), clears a table ({@code -C HOST}), or, with port options and neither {@code -A} nor
 * {@code -D}, replaces the table the option belongs to; {@code -s} prints the tables before and after. Conflicts
 * among rules it finds itself and exits 1 without sending. The server checks each rule as it arrives and refuses
 * the whole update, with pasta's words, on: a pif without a table ({@code Received rules for non-existent table}),
 * a count above 255 ({@code Received 256 rules (maximum 255)}), an interface name without its NUL, a reversed
 * range, port 0 on either side, an unknown flag, a dual-stack rule whose address is not {@code ::}, a family or
 * protocol the table does not take, a protocol other than TCP and UDP, an overlap with a rule already in the
 * table ({@code Forwarding configuration conflict: A versus B}), more than 255 rules. A connection that ends before
 * the closing pif 0 changes nothing.
 *
 * <p>Differences from pasta, all deliberate: a rule with a target address is refused ({@code Target address ADDR for
 * forwarding rule not supported}: our listeners forward to the path's default address only); a stalled client is
 * closed after the idle timeout; unchanged listeners stay open across an update (pasta closes and rebinds all);
 * refusals are logged as warnings also without {@code -d}; the socket file is 0600 and removed at exit; a port that
 * cannot be bound does not stop the other rules from being bound.
 *
 * <h2>The JSON control API ({@code --api PATH}, ours)</h2>
 * {@link io.jpasta.launcher.control.ApiServer} serves the socket from the loop like the pesto socket (same
 * {@link io.jpasta.launcher.control.SocketFile}: mode 0600, removed at exit), but to up to 16 clients at once, each
 * with its own bounds: a request line of at most 4 KiB, an output buffer of 256 KiB. A client that does not read
 * stalls only itself: a listing waits for it to drain, an event that does not fit is dropped for it and counted,
 * a plain reply that does not fit closes it; a client that moves no byte for 60 s ({@code -Djpasta.api.idleMs}) is
 * closed unless it watches, so forgotten connections do not hold the 16 places.
 * {@link io.jpasta.launcher.control.Api} speaks the protocol with jackson-core's streaming parser and generator (no
 * object mapping, no reflection); neither it nor the library is loaded until the first request arrives. Requests
 * are one JSON object per line, answered in order: those sent while a listing is still being written wait, unread,
 * until it ends, so replies never interleave (only {@code watch} events come between the lines of a listing). Every
 * reply is one line:
 * <pre>
 * {"cmd":"flows"}     one line per flow, then {"end":"flows","count":N}:
 *                     {"flow":12,"proto":"tcp","path":"tap","state":"ESTABLISHED ...",
 *                      "from":{"pif":"TAP","addr":"198.51.100.2","port":40000},   who opened it
 *                      "to":{"pif":"TAP","addr":"203.0.113.9","port":80},         where it was opened to
 *                      "peer":{"pif":"HOST","addr":"203.0.113.9","port":80},      the other side's endpoint
 *                      "bytes_out":120,"bytes_in":56000,"packets_out":3,"packets_in":40,
 *                      "age_ms":5012,"idle_ms":12}
 *                     proto tcp, udp, icmp, icmpv6; path tap, splice or ping; bytes are payload bytes, each
 *                     counted once: TCP through the tap counts the guest's bytes as they arrive in order and
 *                     the socket's as the guest acknowledges them (data sent again is not counted again), its
 *                     packets are segments with data (resent ones included); splice counts splice(2) moves as
 *                     packets; UDP datagrams; ICMP echo requests and replies
 * {"cmd":"stats"}     {"stats":{"tcp":{"segs-from-tap":N,...,"drops":{"no flow":N,...}},...,
 *                              "api":{"clients":N,"requests":N,"errors":N,"events":N,"drops":{"too many clients":N,
 *                                     "request too long":N,"reply did not fit":N,"event did not fit":N,"idle":N}}},
 *                      "flows":{"in_use":N,"capacity":131071,"refused":N}}
 *                     (every module's counters as --stats logs them, and the API's own)
 * {"cmd":"forwards"}  {"forwards":[{"table":"HOST","rules":["TCP [*]:8080  =>  8080",...]},...]}
 * {"cmd":"add","option":"-t","spec":"8081"}     the rules that option would make, added
 * {"cmd":"delete","option":"-t","spec":"8081"}  those rules removed; both answer {"ok":true}
 * {"cmd":"watch"}     {"watching":true}, then {"event":"open"|"close", flow fields...} as flows open and close,
 *                     once per batch of events; "dropped_before":N when N events did not fit before
 * anything wrong      {"error":"..."} (malformed JSON, unknown command, pasta's message for a bad rule)
 * </pre>
 * Counting costs the data path two additions per packet batch: the flow table keeps, per side, the payload bytes and
 * packets it sent, and per flow when it opened and last moved something.
 */
package io.jpasta.launcher.control;
