/**
 * End-to-end tests of the built {@code pasta} against Debian's, run by failsafe as root.
 *
 * <h2>Theory of operation</h2>
 * Each test class builds its own network with {@code scripts/sandbox} ({@link io.jpasta.it.Sandbox}): a netns
 * {@code NAME-h} that plays the host (uplink {@code up0}: 198.51.100.2/30, 2001:db8:1::2/64, default routes via
 * .1 and ::1) and a netns {@code NAME-r} that plays the remote network (servers 198.51.100.200 and
 * 2001:db8:2::10 on its lo). The two are joined by a pair of taps and a socat relay, because the kernel here
 * may have no veth. Both pastas, the one under test ({@code -Djpasta.pasta}, default {@code dist/bin/pasta})
 * and the reference ({@code -Djpasta.ref}, default {@code /usr/bin/pasta}), run in {@code NAME-h} as the
 * unprivileged user {@code jpasta-test}, exactly as a user would start them, and the tests compare what each
 * leaves behind: {@code ip -j} views of the namespace (made canonical by {@link io.jpasta.it.IpJson}), exit
 * status, first stderr message. A test whose own Java sockets are the host's clients and servers (SpliceIT)
 * moves its thread into {@code NAME-h} for the test ({@link io.jpasta.it.NetnsThread}); no test runs pasta in
 * the machine's own network namespace.
 *
 * <p>{@link io.jpasta.it.Proc} starts every process in a session of its own behind an exec-only chain, so the pid
 * it holds is the program's, and SIGKILLs the group at the end and waits until all of it is gone, which also takes
 * down what a failing pasta leaves behind. Daemons (PID and {@code --netns} mode) are ended by the pid in their
 * {@code -P} file. Logs of every process stay in {@code target/it-logs/<class>/} until the next run of the class,
 * and so do the captures a failed test keeps ({@link io.jpasta.it.Sandbox#keep}); a failed assertion prints the
 * command, status and both outputs. Waiting is always {@link io.jpasta.it.Poll polling} an observable condition
 * under a deadline.
 *
 * <p>{@link io.jpasta.it.PodmanIT} runs real rootless podman 5 ({@code scripts/podman-env}: a cached Debian 13 root
 * filesystem entered inside the sandbox's host namespace, a podman session of its own per sandbox) with the built
 * jpasta as podman's pasta, and proves for each test that the pasta under test served it (its process holds the
 * namespace path podman gave it); {@code -Djpasta.podman.pasta=DIR} runs the same tests on another pasta.
 *
 * <p>{@link io.jpasta.it.ConfineIT} reads the confinement of the JVM and nsd from /proc and makes jpasta try
 * forbidden things after ready through its hidden test hook ({@code -Djpasta.test.tryAfterReady}, given through
 * {@code JPASTA_JAVA_OPTS}).
 * <p>{@link io.jpasta.it.FaultsIT}, {@link io.jpasta.it.LimitsIT} and {@link io.jpasta.it.EdgeFaultsIT} break
 * things on purpose and check what is left: processes killed, resets from either end, too few descriptors, a full
 * flow table ({@code -Djpasta.flows=N}), readers that stall, small MTUs, window scaling off and at 14, a SYN flood,
 * the {@code --netns} file or the host's default route taken away mid-transfer; besides the clients' view they read
 * the JVM's RSS, descriptors and CPU time from /proc. {@link io.jpasta.it.SoakIT} is the soak of
 * {@code scripts/test --long}; the normal suite skips it.
 *
 * <h2>Running</h2>
 * As root, once: {@code scripts/setup}. Then {@code mvn -B -pl it-tests verify -Djpasta.pasta=PATH} (the suite
 * does not depend on the other modules). A machine that cannot run a class (not root, no test user, no usable
 * /dev/net/tun, no binary) skips it with the reason printed. Limits: one sandbox per class, whole run about a
 * minute; where Debian's pasta does not do what the issue asks (--help status, signals the command sends itself
 * inside its PID namespace, quitting when the PID's process is gone, readiness before the caller returns in
 * PID mode) the test checks the behaviour on the binary under test only.
 */
package io.jpasta.it;
