/**
 * pasta's process and event loop: what runs between the command line and the protocol handlers.
 *
 * <h2>Theory of operation</h2>
 * <p>The C starter ({@code src/main/c/starter.c}, installed as {@code dist/bin/pasta}) forks the JVM with the AOT
 * cache and a status pipe. {@link io.jpasta.launcher.Main} parses the options ({@link io.jpasta.launcher.Options},
 * our own getopt_long), starts {@code jpasta-nsd} to create or join the namespaces, asks it for the tap device and
 * a netlink socket inside the namespace, configures the namespace, and then either releases the command (command
 * mode) or detaches ({@link io.jpasta.launcher.Daemon}: setsid, /dev/null on 0-2, "ready" on the status pipe,
 * upon which the starter exits 0).
 *
 * <p>{@link io.jpasta.launcher.Loop} is the only thread that touches the data path: one epoll set whose 64-bit
 * event data packs {@code type | index | fd}, one dispatch switch. It reads tap frames until EAGAIN and hands
 * them to {@link io.jpasta.launcher.TapEngines} (the frame classifier of the tap module and the protocol engines
 * behind it; {@link io.jpasta.launcher.TapIo} does the frame I/O, counting and capture only), and stops on
 * the command's exit (its status), on the namespace going away (0), on SIGTERM/SIGQUIT (0; signals arrive
 * through a pipe written by a C handler, {@link io.jpasta.launcher.Signals}) or on a tap hang-up (1).
 * Between two batches of events it makes the flow indices freed during the batch reusable (an event later in the
 * same batch may still name a closed socket's flow). Work that must not delay a first connection (building the TCP
 * engine, filling the splice socket and pipe pools) waits for a poll that finds nothing to do
 * ({@code Loop.whenIdle}): right after start, while the command itself starts.
 *
 * <p>Once ready, before the loop runs, {@link io.jpasta.launcher.Confinement} takes from the JVM what it no longer
 * needs (unless {@code --no-confine}): exec, ptrace, mounts, namespaces and the like through seccomp, capabilities
 * but the network ones, and through Landlock the whole filesystem except reading its own {@code dist/}, the JDK and
 * /proc/self and writing the {@code -l}, {@code -p} and {@code -P} files. Nothing after ready spawns a process
 * (nsd starts the command) or opens another file.
 * The control sockets ({@code control}: pesto's {@code -c}, our {@code --api}) are served from the same loop.
 *
 * <p>Startup is a product feature: the path to "ready" avoids reflection, regular expressions and MemorySegment
 * access forms (spun at first use, ~20-35 ms here): setup structs are direct ByteBuffers, and a warm-up thread
 * prepares the off-heap access paths of the data path while the kernel builds the namespaces. Everything else the
 * first connection runs comes from the AOT cache, trained by {@code scripts/build.d/aot-train} on a start that
 * forwards connections through the tap and spliced both ways; {@code -d} prints the start-up timeline, in
 * milliseconds since the starter's exec ({@code scripts/bench.d/README.md}).
 *
 * <p>Port forwarding: the forwarding tables ({@code control.RuleSet}, built from {@code -t -u -T -U} as pasta 2026
 * builds them, and changed at run time by pesto over {@code -c}) are carried out per protocol by a
 * {@link io.jpasta.launcher.Listeners}: its {@link io.jpasta.launcher.ListenerTable} holds the listening sockets
 * (the host's ours, the namespace's made by nsd), {@link io.jpasta.launcher.AutoScan} follows the other side's
 * listening ports for {@code auto}, and {@code Listeners} itself decides what is bound and what an accepted TCP
 * connection becomes (spliced, or handed to the tap path; UDP listeners hand their datagrams to the UDP engine).
 * {@link io.jpasta.launcher.Forwarding} translates a table change into both protocols' listeners.
 *
 * <p>Logging and counters follow one convention for every module ({@link io.jpasta.netns.log}): {@code --stats}
 * prints one line per {@link io.jpasta.netns.log.Counters} (tap, classifier, each L2 service, ICMP, TCP, splice)
 * and the flow table's.
 *
 * <h2>Theory of operation: following the host</h2>
 * Unless {@code --no-follow-host} (ours; also off with {@code --splice-only}), {@link io.jpasta.launcher.FollowHost}
 * keeps the namespace in step with the host after start (issue 18). At the first quiet moment of the loop it opens
 * {@link io.jpasta.netns.HostWatch} (a NETLINK_ROUTE socket bound to the link, address and route groups of both
 * families, and inotify on {@code /etc/resolv.conf} and its directory) and registers it, with a one-shot timerfd,
 * as {@code Epoll.T_HOST}. A notification only pokes a {@link io.jpasta.launcher.Debounce}: the host is read again
 * (three dumps and resolv.conf) 100 ms after the last notification of a burst, at most 500 ms after its first,
 * so a burst of a thousand changes costs one or a few reads. If the template interfaces or the resolvers differ
 * from what was read before, {@link io.jpasta.launcher.Conf#of} derives the configuration again from the same
 * command-line input (options that fix a value keep it; the tap keeps its name), and the change goes out: first
 * to the engines ({@code TapEngines.hostChanged}: DHCP, DHCPv6, NDP and an unsolicited router advertisement at
 * once, DHCP leases of 60 s for ten minutes; the guest's address for inbound flows; {@code AddrMap.hostChanged}: gateway mapping and
 * {@code --dns-forward} target; TCP flows bound to an address the host lost are reset toward the guest while it
 * still has that address), then, with {@code --config-net}, to the namespace's interface
 * ({@code NsNetConfig.update} over a netlink socket in the namespace that nsd hands over when following starts).
 * {@code -d} logs each change. The tap's MTU stays pasta's 65520 (or {@code -m}): the host's MTU never reaches the
 * tap, at start or later. Nothing here is static: the follower holds the state it applied, and the engines are
 * told through one call.
 *
 * <h2>Theory of operation: the command line</h2>
 * {@link io.jpasta.launcher.OptionParser} reads pasta's argv with {@link io.jpasta.launcher.Getopt}, our own
 * table-driven scanner with glibc {@code getopt_long} semantics in pasta's mode (stop at the first operand, no
 * permutation; {@code --}; clusters; attached and detached arguments; unique prefixes of long options) and glibc's
 * exact error lines, because clients (podman, rootlesskit) match them. It is hand written rather than generated
 * by a library: it runs on every container start, so it avoids reflection, regular expressions and large static
 * tables (the option table is built per call, about 65 small records). The result is
 * {@link io.jpasta.launcher.Options}, an immutable value: switches in one set, the six options that take one
 * address per IP version ({@code -a -g -o --dns-forward --map-host-loopback --map-guest-addr}) as
 * {@link io.jpasta.launcher.AddrPair}s checked by one rule each ({@link io.jpasta.launcher.FamilyOption}).
 * {@link io.jpasta.launcher.Conf} then derives, per IP version with one method, what the namespace and the tap
 * services get; both it and {@link io.jpasta.tap.TapConf} are built with named setters.
 *
 * <p>Each option is checked when met, with pasta's message and exit status 1 ({@code Invalid MTU: 70000},
 * {@code Multiple --pcap options given}); port specifications after all other options, by
 * {@link io.jpasta.tap.fwd.PortRules.Builder}; operands last (a lone unsigned integer is a PID, otherwise a
 * command; neither may come with {@code --netns}). Nothing reaches namespace setup until the whole line is valid.
 * {@code --help} and {@code --version}, and every error, surface as an {@link io.jpasta.launcher.ExitRequest}
 * carrying the exact text, the stream and the status; {@code Main} prints it and exits.
 *
 * <p>Differences from Debian's pasta 2023 that are deliberate: {@code --help} prints on stdout with status 0
 * (newer pasta); options are not permuted (newer pasta uses {@code +}); values Debian's pasta silently misreads
 * ({@code -m abc}, {@code -M zz}, {@code -n abc}, {@code -F abc}) are rejected; {@code %IF/} without an address is
 * accepted in port specifications; newer options (-H, --fqdn, --map-host-loopback, ...) are accepted.
 */
package io.jpasta.launcher;
