package io.jpasta.launcher;

import io.jpasta.launcher.control.Api;
import io.jpasta.launcher.control.ApiServer;
import io.jpasta.launcher.control.CommandLineRules;
import io.jpasta.launcher.control.ControlServer;
import io.jpasta.launcher.control.FwdRule;
import io.jpasta.launcher.control.FwdTable;
import io.jpasta.launcher.control.PestoSession;
import io.jpasta.launcher.control.RuleSet;
import io.jpasta.launcher.control.UnixServer;
import io.jpasta.netns.HostState;
import io.jpasta.netns.IfConfig;
import io.jpasta.netns.NetlinkLink;
import io.jpasta.netns.Netlink;
import io.jpasta.netns.NsNetConfig;
import io.jpasta.netns.Nsd;
import io.jpasta.netns.Resolv;
import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.tap.L2Services;
import io.jpasta.tap.Pcap;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.fwd.AddrMap;
import io.jpasta.tcp.SysTcpSocks;
import io.jpasta.tcp.Tcp;
import io.jpasta.tap.wire.MacAddr;
import io.jpasta.splice.NativeSpliceIo;
import io.jpasta.splice.Splice;
import io.jpasta.netns.NsQuit;
import io.jpasta.netns.sys.Sys;
import io.jpasta.udp.Icmp;
import io.jpasta.udp.SysPingSockets;
import io.jpasta.udp.SysUdpSocks;
import io.jpasta.udp.Udp;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * pasta's entry point, started by the C starter ({@code dist/bin/pasta}): options, host state, namespace set-up
 * through jpasta-nsd, then the event loop. Exit statuses are pasta's: 0, 1 for errors, the command's own status in
 * command mode (128 + N when signal N killed it).
 */
public final class Main {
    private Main() {
    }

    /**
     * Seconds after which any UDP flow expires, instead of 30 and 180: for tests of expiry only
     * ({@code JPASTA_JAVA_OPTS=-Djpasta.udp.idleSeconds=N} through the starter).
     */
    static final String UDP_IDLE_PROPERTY = "jpasta.udp.idleSeconds";
    /** A pesto client that moves no byte for this long is closed ({@code -Djpasta.control.idleMs} changes it). */
    static final long CONTROL_IDLE_MS = 10_000;
    /**
     * An API client that moves no byte for this long and does not watch is closed, so that forgotten connections do
     * not hold the API's 16 places ({@code -Djpasta.api.idleMs} changes it).
     */
    static final long API_IDLE_MS = 60_000;

    /** Namespace configuration without a tap ({@code --splice-only}): loopback up, nothing else. */
    private static final IfConfig LO_ONLY = new IfConfig("lo", IfConfig.KEEP_MTU, IfConfig.KEEP_MAC, List.of(),
            List.of(), IfConfig.LO_UP);

    public static void main(String[] args) {
        Thread.ofPlatform().daemon().name("warm-up").start(Main::warmUp);
        int status;
        try {
            status = run(args);
        } catch (ExitRequest e) {
            PrintStream ps = e.toStdout() ? System.out : System.err;
            ps.print(e.text());
            ps.flush();
            status = e.status();
        } catch (Nsd.SetupException e) {
            Log.err(e.getMessage());
            status = 1;
        } catch (IOException e) {
            Log.err(e.getMessage());
            status = 1;
        }
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }

    static int run(String[] args) throws ExitRequest, IOException {
        Options opt = Options.parse(args);
        Log.configure(opt.debug(), opt.trace(), opt.quiet());
        Sys.load();
        Log.debug("options parsed");
        int pidFd = openFiles(opt);
        boolean commandMode = opt.netns() == null && opt.pid().isEmpty();
        Nsd.confine(!opt.noConfine());
        Namespaces ns = startNamespaces(opt, commandMode);
        Nsd nsd = ns.nsd();
        // the kernel builds the namespaces in nsd meanwhile
        Log.debug("namespace helper started");
        Conf conf;
        Resolv resolv;
        HostState host;
        try (Netlink hostNl = Netlink.open()) {
            // pasta checks -i only: an --outbound-if4/6 that does not exist fails each outbound socket instead
            if (opt.iface() != null && hostNl.linkIndex(opt.iface()) < 0) {
                throw new ExitRequest(1, "Invalid interface name " + opt.iface() + ": No such device\n", false);
            }
            host = HostState.read(hostNl, opt.iface(), !opt.ipv6Only(), !opt.ipv4Only());
            resolv = Resolv.read(Resolv.RESOLV_CONF);
            conf = Conf.of(input(opt), host, resolv);
        }
        Log.debug("host state read");
        nsd.awaitReady();
        if (Log.debug) { // String.concat: no call site to link, the -d timeline stays true
            Log.debug("namespace ready, helper pid ".concat(Integer.toString(nsd.pid()))
                    .concat(nsd.unconfined().isEmpty() ? "" : ", helper not confined: ".concat(nsd.unconfined())));
        }
        int tapFd = configureNamespace(opt, nsd, conf);

        Pcap pcap = opt.pcapFile() != null ? openPcap(opt.pcapFile()) : null;
        L2Services l2 = new L2Services(conf.tap(), new SplittableRandom(), Sys.monotonicNs(), Sys.realtimeNs());
        TapIo tapIo = new TapIo(tapFd, pcap);
        TapEngines tap = new TapEngines(tapIo, l2, conf.tap());
        Loop loop = new Loop(nsd, tapFd, ns.quit(), tap, commandMode);
        // the documented address translations, shared by TCP, UDP and ICMP echo through the tap
        AddrMap addrMap = addrMap(opt, conf.tap(), resolv);
        if (Log.debug) {
            Log.debug(addrMap.describe());
        }
        if (tapFd >= 0) {
            tapEngines(opt, conf, loop, tap, tapIo, addrMap);
            if (!opt.noFollowHost()) {
                // following the host (issue 18, ours), off the way to "ready": the first quiet moment opens the
                // watches, then reads the host once more
                HostState h = host;
                loop.whenIdle(() -> FollowHost.start(opt, loop, tap, addrMap, conf, h, resolv, nsd));
            }
        }
        loop.addDrain(tap::busy);
        if (opt.stats() >= 0) {
            loop.stats(opt.stats());
        }
        Log.debug("loop ready");

        // the forwarding tables of the command line as pesto shows them (issue 16), and the listeners that carry
        // them out, bound before the command starts (issue 6)
        CommandLineRules rules = CommandLineRules.build(opt.portSpecs(), caps(opt),
                CommandLineRules.ephemeralRange());
        if (Log.debug) {
            logRules(rules.rules());
        }
        Listeners listeners = tcpListeners(opt, nsd, loop, tap, tapFd >= 0, rules);
        Listeners udpListeners = opt.noUdp() ? null
                : udp(opt, conf, nsd, loop, tap, tapFd >= 0 ? tapIo : null, l2, addrMap, rules);
        if (pidFd >= 0) {
            writePidFile(pidFd);
        }
        Forwarding forwarding = new Forwarding(rules.rules(), listeners, udpListeners);
        List<ControlServer> control = controlSockets(opt, loop, forwarding, tap, listeners);
        try {
            return runLoop(opt, nsd, loop, listeners, tap, commandMode);
        } finally {
            control.forEach(ControlServer::close);
        }
    }

    /**
     * {@code -c}: pesto's control socket; {@code --api} (ours): the JSON control API, whose protocol and JSON library
     * load at its first request. Both are there before the command runs or the caller is told we are ready.
     */
    private static List<ControlServer> controlSockets(Options opt, Loop loop, Forwarding forwarding, TapEngines tap,
                                                      Listeners listeners) throws IOException {
        List<ControlServer> servers = new ArrayList<>(2);
        if (opt.confPath() != null) {
            UnixServer pesto = UnixServer.open(opt.confPath(), loop.nextServerId(), loop.epoll(),
                    () -> new PestoSession(forwarding), Long.getLong("jpasta.control.idleMs", CONTROL_IDLE_MS)
                    * 1_000_000L);
            loop.serve(pesto);
            servers.add(pesto);
        }
        if (opt.apiPath() != null) {
            ApiSources sources = new ApiSources(tap, listeners.splice(), forwarding, caps(opt));
            try {
                ApiServer api = ApiServer.open(opt.apiPath(), loop.nextServerId(), loop.epoll(),
                        stats -> new Api(sources, stats), Long.getLong("jpasta.api.idleMs", API_IDLE_MS) * 1_000_000L);
                loop.serve(api);
                servers.add(api);
            } catch (IOException e) {
                servers.forEach(ControlServer::close); // pesto's socket file goes too
                throw e;
            }
        }
        return servers;
    }

    /**
     * Opens the files named on the command line first, as pasta does: a bad path fails before any set-up.
     *
     * @return the PID file's descriptor, or -1 without {@code -P}
     */
    private static int openFiles(Options opt) throws ExitRequest, IOException {
        if (opt.logFile() != null) {
            checkWritable(opt.logFile(), "log file");
            Log.toFile(opt.logFile(), opt.logSize());
        }
        int pidFd = opt.pidFile() != null ? openForWriting(opt.pidFile(), "PID file") : -1;
        if (opt.runas() != null) {
            RunAs.check(opt.runas());
        }
        return pidFd;
    }

    /** The namespace helper, and what ends a daemon when the namespace goes (null in command mode). */
    private record Namespaces(Nsd nsd, NsQuit quit) {
    }

    /** Starts nsd: it creates the namespaces and the command (command mode) or joins PID's or {@code --netns}'s. */
    private static Namespaces startNamespaces(Options opt, boolean commandMode) throws IOException {
        String nsdPath = System.getProperty("jpasta.home", ".") + "/lib/jpasta-nsd";
        if (commandMode) {
            return new Namespaces(spawn(nsdPath, opt), null);
        }
        if (opt.netns() != null) {
            Nsd nsd = Nsd.joinNetns(nsdPath, opt.netns(), opt.userns() != null ? opt.userns() : "none");
            return new Namespaces(nsd, opt.noNetnsQuit() ? null : NsQuit.watchPath(opt.netns()));
        }
        int pid = opt.pid().getAsInt();
        String userns = opt.userns() != null ? opt.userns() : opt.netnsOnly() ? "none" : "auto";
        Nsd nsd = Nsd.joinPid(nsdPath, pid, userns);
        return new Namespaces(nsd, opt.noNetnsQuit() ? null : NsQuit.watchPid(pid));
    }

    /**
     * Makes the tap in the namespace and configures it (addresses, routes, MTU, lo up); with {@code --splice-only}
     * no tap at all, only lo up.
     *
     * @return the tap's descriptor, or -1 without a tap
     */
    private static int configureNamespace(Options opt, Nsd nsd, Conf conf) throws IOException {
        boolean tapless = opt.spliceOnly();
        Nsd.TapDevice tapDev = tapless ? null : nsd.tap(conf.tapName());
        try (Netlink nsNl = new Netlink(nsd.netlink(Linux.NETLINK_ROUTE))) {
            NsNetConfig.apply(nsNl, tapless ? LO_ONLY : conf.ifConfig());
        }
        Log.debug(tapless ? "no tap (--splice-only)" : "tap configured: ".concat(tapDev.name()));
        return tapless ? -1 : tapDev.fd();
    }

    /** ICMP echo and TCP through the tap, each engine built on the first frame of its protocol. */
    private static void tapEngines(Options opt, Conf conf, Loop loop, TapEngines tap, TapIo tapIo,
                                   AddrMap addrMap) {
        tap.icmp(new Icmp(conf.tap(), Flows::table, new SysPingSockets(loop.epoll(), addrMap), addrMap));
        if (!opt.noTcp()) {
            long tcpSecret = new SplittableRandom().nextLong();
            tap.tcp(() -> new Tcp(tap.conf(), Flows.table(), new SysTcpSocks(loop.epoll(), addrMap), tapIo, addrMap,
                    tcpSecret));
        }
    }

    /**
     * The {@code -t}/{@code -T} listeners and their spliced connections; non-loopback clients of {@code -t} ports
     * take the tap path with their source address kept (issue 5), loopback ones too with {@code --no-splice}.
     */
    private static Listeners tcpListeners(Options opt, Nsd nsd, Loop loop, TapEngines tap, boolean hasTap,
                                          CommandLineRules rules) throws IOException {
        Splice splice = new Splice(new NativeSpliceIo(loop.epoll()), Flows::table);
        Listeners listeners = new Listeners(nsd, loop.epoll(), splice,
                Forwarding.ports(rules.rules(), false, FwdRule.TCP),
                Forwarding.ports(rules.rules(), true, FwdRule.TCP), opt.freebind());
        if (hasTap) {
            listeners.tapPath((fd, peer, port) -> tap.tcpAccepted(fd, peer, port, Sys.monotonicNs()));
        }
        if (opt.noSplice()) {
            listeners.noSplice();
        }
        listeners.start();
        Log.debug("TCP listeners bound");
        loop.splice(listeners, splice);
        return listeners;
    }

    /** Releases the command or detaches, then runs the loop. @return pasta's exit status */
    private static int runLoop(Options opt, Nsd nsd, Loop loop, Listeners listeners, TapEngines tap,
                               boolean commandMode) throws IOException {
        if (commandMode) {
            nsd.go();
            Log.debug("command released");
        } else {
            if (!opt.foreground()) {
                Daemon.detach();
            }
        }
        Confinement.afterReady(opt, nsd, loop);
        // after the command started or the caller was told we are ready, and after the first events: a client
        // that was quick takes a socket from nsd directly (13-24 ms measured before the loop ran otherwise)
        loop.whenIdle(tap::buildTcp);
        loop.whenIdle(listeners::fillPools);
        int status = loop.run();
        loop.logStats();
        tap.flush();
        nsd.close();
        return status;
    }

    /**
     * UDP: the engine (built on the first datagram from the guest or a listener) and the {@code -u}/{@code -U}
     * listeners, whose loopback peers are spliced with sockets of the namespace from the listeners' pool.
     */
    private static Listeners udp(Options opt, Conf conf, Nsd nsd, Loop loop, TapEngines tap, TapIo tapIo,
                                 L2Services l2, AddrMap addrMap, CommandLineRules rules) throws IOException {
        Listeners.UdpPath path = new Listeners.UdpPath() {
            @Override
            public void datagrams(int fd, boolean inNs, boolean v6, int port, int target) {
                tap.udp().fromListener(fd, inNs, v6, port, target, Sys.monotonicNs());
            }

            @Override
            public void closed(int fd) {
                Udp u = tap.udpIfBuilt();
                if (u != null) {
                    u.listenerClosed(fd);
                }
            }
        };
        Listeners listeners = Listeners.udp(nsd, loop.epoll(), path,
                Forwarding.ports(rules.rules(), false, FwdRule.UDP),
                Forwarding.ports(rules.rules(), true, FwdRule.UDP), opt.freebind());
        tap.udp(() -> {
            Udp u = new Udp(tap.conf(), Flows::table, new SysUdpSocks(loop.epoll(), addrMap), tapIo, addrMap,
                    listeners::nsSocket, l2::guestMac);
            if (opt.noSplice()) {
                u.noSplice();
            }
            long idle = Long.getLong(UDP_IDLE_PROPERTY, 0);
            if (idle > 0) {
                u.timeouts(idle * 1_000_000_000L, idle * 1_000_000_000L);
            }
            return u;
        });
        listeners.start();
        loop.udpListeners(listeners);
        loop.whenIdle(listeners::fillPools);
        return listeners;
    }

    /**
     * Runs, on a second thread and while the main thread parses options and the kernel builds namespaces, the JDK
     * initialisation that our set-up would otherwise pay for on the way to "ready" (measured with
     * -Xlog:class+init): InetAddress's class initialisation (it loads the security properties file), the access
     * forms of MemorySegment (spun at first use, 20-35 ms, not kept by the AOT cache) and its array-copy type
     * switch; and the classes of the confinement that follows "ready" (2-18 ms before a first client otherwise).
     */
    private static void warmUp() {
        try {
            Sys.load();
            Confinement.warmUp();
        } catch (RuntimeException | LinkageError e) {
            // the main thread reports a library that cannot load
        }
        try {
            InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            // cannot happen for a 4-byte address; nothing to warm then
        }
        MemorySegment seg = Arena.ofAuto().allocate(64, 8);
        ValueLayout.OfShort beShort = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        ValueLayout.OfInt beInt = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        seg.set(ValueLayout.JAVA_BYTE, 1, (byte) 1);
        seg.set(beShort, 2, (short) seg.get(ValueLayout.JAVA_BYTE, 1));
        seg.set(beInt, 4, seg.get(beShort, 2));
        seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 8, seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2));
        seg.set(ValueLayout.JAVA_INT_UNALIGNED, 8, seg.get(beInt, 4));
        seg.set(ValueLayout.JAVA_INT, 12, seg.get(ValueLayout.JAVA_INT, 8));
        seg.set(ValueLayout.JAVA_LONG_UNALIGNED, 16, seg.get(ValueLayout.JAVA_INT_UNALIGNED, 8));
        seg.set(ValueLayout.JAVA_LONG, 24, seg.get(ValueLayout.JAVA_LONG, 16));
        byte[] bytes = new byte[16];
        MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, 32, 16);
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, 32, bytes, 0, 16);
        MemorySegment.copy(seg, 0, seg, 32, 16);
    }

    private static Nsd spawn(String nsdPath, Options opt) throws IOException {
        List<String> cmd = opt.command();
        String path;
        List<String> argv;
        if (cmd.isEmpty()) {
            String shell = System.getenv("SHELL");
            path = shell == null || shell.isEmpty() ? "/bin/sh" : shell;
            argv = List.of("-" + path); // a login shell: pasta prefixes the path with '-' for argv[0]
        } else {
            path = cmd.get(0);
            argv = cmd;
        }
        String hostname = opt.hostname() != null ? opt.hostname() : "pasta-" + hostHostname();
        return Nsd.spawn(nsdPath, hostname, path, argv);
    }

    private static String hostHostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "pasta";
        }
    }

    /**
     * Opens the capture file; as pasta, a file that cannot be opened is reported and traffic goes on uncaptured.
     *
     * @return the capture, or null
     */
    private static Pcap openPcap(String file) {
        int fd = Sys.open(file, Linux.O_WRONLY | Linux.O_CREAT | Linux.O_TRUNC | Linux.O_CLOEXEC, 0644);
        if (fd < 0) {
            Log.err("Couldn't open pcap file " + file + ": " + Errno.text(-fd));
            return null;
        }
        Sys.close(fd);
        try {
            FileChannel ch = FileChannel.open(Path.of(file), StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            Log.info("Saving packet capture to " + file);
            return new Pcap(ch);
        } catch (IOException e) {
            Log.err("Couldn't open pcap file " + file + ": " + e.getMessage());
            return null;
        }
    }

    /**
     * Opens {@code file} for writing (created if missing, truncated), as pasta opens its PID file.
     *
     * @param what the file's role in the message, "PID file"
     * @return the descriptor
     * @throws ExitRequest with pasta's message, {@code Couldn't open PID file F: strerror}, and status 1
     */
    static int openForWriting(String file, String what) throws ExitRequest {
        int fd = Sys.open(file, Linux.O_WRONLY | Linux.O_CREAT | Linux.O_TRUNC | Linux.O_CLOEXEC, 0644);
        if (fd < 0) {
            throw new ExitRequest(1, "Couldn't open " + what + " " + file + ": " + Errno.text(-fd) + "\n", false);
        }
        return fd;
    }

    /** Fails as {@link #openForWriting} does if {@code file} cannot be opened for writing; leaves it open nowhere. */
    private static void checkWritable(String file, String what) throws ExitRequest {
        Sys.close(openForWriting(file, what));
    }

    /** @return the capabilities of the forwarding tables: the families and protocols enabled, auto, interfaces */
    static int caps(Options o) {
        return (o.ipv6Only() ? 0 : FwdTable.CAP_IPV4) | (o.ipv4Only() ? 0 : FwdTable.CAP_IPV6)
                | (o.noTcp() ? 0 : FwdTable.CAP_TCP) | (o.noUdp() ? 0 : FwdTable.CAP_UDP) | FwdTable.CAP_SCAN
                | FwdTable.CAP_IFNAME;
    }

    /** Logs the forwarding tables as pasta does at start. */
    private static void logRules(RuleSet set) {
        for (FwdTable t : set.tables()) {
            Log.debug((t.pif() == RuleSet.PIF_HOST ? "Inbound" : "Outbound") + " forwarding rules (" + t.name()
                    + "):");
            for (FwdRule r : t.rules()) {
                Log.debug("    " + r.text());
            }
        }
    }

    /**
     * @return the address translations of the options ({@code --map-host-loopback}, {@code --no-map-gw},
     *         {@code --map-guest-addr}, {@code --dns-forward}, {@code --dns-host}, {@code -o},
     *         {@code --outbound-if4/6}) over the tap's configuration and the host's resolvers
     */
    static AddrMap addrMap(Options o, TapConf tap, Resolv resolv) {
        AddrMap.Builder b = AddrMap.builder(tap).noMapGw(o.noMapGw()).dnsHost(o.dnsHost())
                .resolvers(resolv.nameservers()).outboundIf(o.outboundIf4(), o.outboundIf6());
        o.mapHostLoopback().forEach(b::mapHostLoopback);
        o.mapGuestAddr().forEach(b::mapGuestAddr);
        o.dnsForward().forEach(b::dnsForward);
        o.outbound().forEach(b::outbound);
        return b.build();
    }

    /** @return what {@link Conf} needs from the command line */
    static Conf.Input input(Options o) {
        byte[] nsMac = o.nsMacAddr();
        byte[] ourMac = o.macAddr();
        Conf.Input in = Conf.input().configNet(o.configNet()).ipv4Only(o.ipv4Only()).ipv6Only(o.ipv6Only())
                .nsIfname(o.nsIfname()).mtu(o.mtu().orElse(0))
                .nsMac(nsMac != null ? NetlinkLink.mac(nsMac) : IfConfig.KEEP_MAC)
                .addr4(o.address4()).prefixLen4(o.netmask()).gateway4(o.gateway4())
                .addr6(o.address6()).gateway6(o.gateway6())
                .dns(o.dnsNone() ? List.of() : o.dns().isEmpty() ? null : o.dns())
                .search(o.searchNone() ? List.of() : o.search().isEmpty() ? null : o.search()).noRa(o.noRa());
        in.services().ourMac(ourMac != null ? NetlinkLink.mac(ourMac) : MacAddr.PASTA_DEFAULT)
                .dhcpDns(o.dhcpDns()).dhcpSearch(o.dhcpSearch()).hostname(o.hostname()).fqdn(o.fqdn())
                .noDhcp(o.noDhcp()).noDhcpv6(o.noDhcpv6()).noNdp(o.noNdp()).noIcmp(o.noIcmp());
        return in;
    }

    /** Writes our PID to the file opened at start ({@code -P}) and closes it. */
    private static void writePidFile(int fd) throws IOException {
        ByteBuffer b = Sys.buffer(16).put(0, (Sys.getpid() + "\n").getBytes(StandardCharsets.US_ASCII));
        int len = Integer.toString(Sys.getpid()).length() + 1;
        long n = Sys.write(fd, Sys.address(b), len);
        Sys.close(fd);
        if (n != len) {
            throw new IOException("PID file write: " + (n < 0 ? Errno.text((int) -n) : "short write"));
        }
    }
}
