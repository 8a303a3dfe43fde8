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
 * event data packs {@code type | index | fd}, one dispatch switch. It reads tap frames until EAGAIN, and stops on
 * the command's exit (its status), on the namespace going away (0), on SIGTERM/SIGQUIT (0; signals arrive
 * through a pipe written by a C handler, {@link io.jpasta.launcher.Signals}) or on a tap hang-up (1).
 *
 * <p>Startup is a product feature: the path to "ready" avoids reflection, regular expressions and MemorySegment
 * access forms (spun at first use, ~20-35 ms here): setup structs are direct ByteBuffers, and a warm-up thread
 * prepares the off-heap access paths of the data path while the kernel builds the namespaces.
 */
package io.jpasta.launcher;
