/**
 * The pasta executable's Java side: command line, configuration, event loop, listeners, daemonizing.
 *
 * <h2>Theory of operation: the command line</h2>
 * {@link io.jpasta.launcher.Options#parse} reads pasta's argv with {@link io.jpasta.launcher.Getopt}, our own
 * table-driven scanner with glibc {@code getopt_long} semantics in pasta's mode (stop at the first operand, no
 * permutation; {@code --}; clusters; attached and detached arguments; unique prefixes of long options) and glibc's
 * exact error lines, because clients (podman, rootlesskit) match them. It is hand written rather than generated
 * by a library: it runs on every container start, so it avoids reflection, regular expressions and large static
 * tables (the option table is built per call, about 65 small records).
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
