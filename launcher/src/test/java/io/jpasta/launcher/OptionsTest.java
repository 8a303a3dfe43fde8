package io.jpasta.launcher;

import io.jpasta.tap.fwd.IpLiteral;
import io.jpasta.tap.fwd.PortRules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptionsTest {

    private static Options ok(String... argv) throws ExitRequest {
        return Options.parse(argv);
    }

    private static ExitRequest exit(String... argv) {
        return assertThrows(ExitRequest.class, () -> Options.parse(argv));
    }

    /** Asserts pasta's die(): the message line alone on stderr, status 1. */
    private static void dies(String message, String... argv) {
        ExitRequest e = exit(argv);
        assertEquals(message + "\n", e.text(), () -> String.join(" ", argv));
        assertEquals(1, e.status());
        assertFalse(e.toStdout());
    }

    /** Asserts a getopt error: glibc's line, then the usage, on stderr, status 1. */
    private static void usageError(String line, String... argv) {
        ExitRequest e = exit(argv);
        assertEquals(line + "\n" + Usage.TEXT, e.text(), () -> String.join(" ", argv));
        assertEquals(1, e.status());
        assertFalse(e.toStdout());
    }

    private static InetAddress ip(String s) {
        return IpLiteral.parse(s);
    }

    // ---- help and version ------------------------------------------------------------------------------------

    @Test
    void helpPrintsUsageOnStdoutWithStatusZero() {
        for (String h : new String[] {"-h", "--help", "--he"}) {
            ExitRequest e = exit(h);
            assertEquals(0, e.status());
            assertTrue(e.toStdout());
            assertEquals(Usage.TEXT, e.text());
            assertTrue(e.text().startsWith("Usage: pasta [OPTION]... [COMMAND] [ARGS]...\n"));
        }
    }

    @Test
    void versionFirstLineStartsWithPasta() {
        ExitRequest e = exit("--version");
        assertEquals(0, e.status());
        assertTrue(e.toStdout());
        assertTrue(e.text().startsWith("pasta "));
        assertTrue(e.text().endsWith("\n"));
        assertEquals("pasta " + Usage.VERSION, e.text().lines().findFirst().orElseThrow());
    }

    @Test
    void optionsAreHandledInOrderSoFirstExitWins() {
        assertEquals(0, exit("--version", "--help").status());
        assertTrue(exit("--version", "--help").text().startsWith("pasta "));
        assertEquals(Usage.TEXT, exit("--help", "-x").text());
        usageError("pasta: invalid option -- 'x'", "-x", "--help");
        dies("MTU 70000 too large (max 65521)", "-m", "70000", "--version");
    }

    // ---- getopt errors ---------------------------------------------------------------------------------------

    /**
     * The command lines podman 5.4 gives pasta (its libnetwork/pasta: "-t none" and the like only for a direction
     * without ports), and those of 4.4-5.3 (no --map-guest-addr).
     */
    @Test
    void podmansCommandLinesParse() throws Exception {
        Options o = ok("--config-net", "-t", "127.0.0.1/8081-8081:80-80", "-u", "8082-8083:80-81", "--dns-forward",
                "169.254.1.1", "-T", "none", "-U", "none", "--no-map-gw", "--quiet",
                "--netns", "/run/user/1000/netns/netns-4f1e0c8e-b1f7-5d5c-7b0a-9e3b0f5a1c2d", "--map-guest-addr",
                "169.254.1.2");
        assertTrue(o.configNet() && o.quiet() && o.noMapGw());
        assertEquals("/run/user/1000/netns/netns-4f1e0c8e-b1f7-5d5c-7b0a-9e3b0f5a1c2d", o.netns());
        assertEquals(List.of(IpLiteral.parse("169.254.1.1")), o.dnsForward());
        assertEquals(List.of(IpLiteral.parse("169.254.1.2")), o.mapGuestAddr());
        assertTrue(o.tcpPorts().isForwarded(8081));
        // user options of --network pasta:OPT,OPT come right after --config-net
        Options user = ok("--config-net", "-T", "5000", "-a", "203.0.113.2", "--dns-forward", "169.254.1.1",
                "-t", "none", "-u", "none", "-U", "none", "--no-map-gw", "--quiet", "--netns",
                "/run/user/1000/netns/netns-x");
        assertTrue(user.tcpNs().isForwarded(5000), "a user's -T, and no -T none from podman then");
        // podman 4.4-5.3, and a bridge network's rootless-netns
        ok("--config-net", "--dns-forward", "169.254.1.1", "-t", "none", "-u", "none", "-T", "none", "-U", "none",
                "--no-map-gw", "--quiet", "--netns", "/run/user/1000/netns/netns-x");
        Options bridge = ok("--config-net", "--pid", "/run/user/1000/containers/networks/rootless-netns/pasta.pid",
                "--dns-forward", "169.254.1.1", "-t", "none", "-u", "none", "-T", "none", "-U", "none", "--no-map-gw",
                "--quiet", "--netns", "/run/user/1000/containers/networks/rootless-netns/rootless-netns");
        assertEquals("/run/user/1000/containers/networks/rootless-netns/pasta.pid", bridge.pidFile());
    }

    @Test
    void passtOnlyShortOptionsAreRefusedWithPastasMessages() {
        dies("-s is for passt / vhost-user mode only", "-s", "/tmp/x");
        dies("--one-off is for passt mode only", "-1");
    }

    @Test
    void getoptErrorsPrintGlibcLineThenUsage() {
        usageError("pasta: unrecognized option '--foo'", "--foo");
        usageError("pasta: unrecognized option '--foo=bar'", "--foo=bar");
        usageError("pasta: invalid option -- 'x'", "-x");
        usageError("pasta: option requires an argument -- 't'", "-t");
        usageError("pasta: option '--mtu' requires an argument", "--mtu");
        usageError("pasta: option '--netns' requires an argument", "--netns");
        usageError("pasta: option '--debug' doesn't allow an argument", "--debug=1");
        usageError("pasta: option '--config-net' doesn't allow an argument", "--config=1");
        usageError("pasta: option '--conf' is ambiguous; possibilities: '--config-net' '--conf-path'", "--conf");
        usageError("pasta: option '--conf-path' requires an argument", "--conf-p");
        usageError("pasta: option requires an argument -- 'c'", "-c");
        usageError("pasta: option '--ipv' is ambiguous; possibilities: '--ipv4-only' '--ipv6-only'", "--ipv");
        usageError("pasta: option '--o' is ambiguous; possibilities: '--outbound' '--one-off' '--outbound-if4' "
                + "'--outbound-if6'", "--o");
        usageError("pasta: option '--no' is ambiguous; possibilities: '--no-tcp' '--no-udp' '--no-icmp' "
                + "'--no-dhcp' '--no-dhcpv6' '--no-ndp' '--no-ra' '--no-splice' '--no-map-gw' '--no-dhcp-dns' "
                + "'--no-dhcp-search' '--no-netns-quit' '--no-copy-routes' '--no-copy-addrs'", "--no");
    }

    @Test
    void confPathIsPestosSocketAndMustFitASockaddr() throws Exception {
        assertEquals("/run/user/1000/pesto.sock", ok("-c", "/run/user/1000/pesto.sock").confPath());
        assertEquals("b", ok("--conf-path", "a", "-c", "b").confPath(), "the last one counts");
        assertNull(ok().confPath());
        dies("Invalid configuration path: ", "-c", "");
        String longest = "/" + "x".repeat(106);
        assertEquals(longest, ok("-c", longest).confPath());
        dies("Invalid configuration path: " + longest + "x", "-c", longest + "x");
    }

    @Test
    void portOptionsAreKeptInCommandLineOrder() throws Exception {
        assertEquals(List.of("u", "53", "t", "22", "T", "auto", "t", "80"),
                ok("-u", "53", "-t", "22", "-T", "auto", "--tcp-ports=80").portSpecs());
    }

    @Test
    void uniquePrefixesSelectLongOptions() throws Exception {
        assertTrue(ok("--config").configNet());
        assertEquals(OptionalInt.of(1500), ok("--mt=1500").mtu());
        assertTrue(ok("--fore").foreground());
    }

    @Test
    void tableKeepsDebianOrderForOldOptions() {
        List<String> names = OptionTable.table().names();
        String[] debian = {"debug", "quiet", "foreground", "stderr", "log-file", "help", "socket", "fd",
            "ns-ifname", "pcap", "pid", "mtu", "address", "netmask", "mac-addr", "gateway", "interface", "outbound",
            "dns", "search", "no-tcp", "no-udp", "no-icmp", "no-dhcp", "no-dhcpv6", "no-ndp", "no-ra", "no-map-gw",
            "ipv4-only", "ipv6-only", "one-off", "tcp-ports", "udp-ports", "tcp-ns", "udp-ns", "userns", "netns",
            "ns-mac-addr", "dhcp-dns", "no-dhcp-dns", "dhcp-search", "no-dhcp-search",
            "dns-forward", "no-netns-quit", "trace", "runas", "log-size", "version", "outbound-if4", "outbound-if6",
            "config-net", "no-copy-routes", "no-copy-addrs", "netns-only", "map-host-loopback", "map-guest-addr",
            "host-lo-to-ns-lo", "dns-host", "vhost-user", "print-capabilities", "socket-path", "fqdn", "repair-path",
            "migrate-exit", "migrate-no-linger", "stats", "conf-path", "chroot-fallback"};
        int last = -1;
        for (String n : debian) {
            int i = names.indexOf(n);
            assertTrue(i > last, n);
            last = i;
        }
        assertEquals(names.size(), names.stream().distinct().count());
    }

    // ---- operands --------------------------------------------------------------------------------------------

    @Test
    void parsingStopsAtFirstOperand() throws Exception {
        Options o = ok("-f", "sh", "-c", "--foo");
        assertEquals(List.of("sh", "-c", "--foo"), o.command());
        assertTrue(o.foreground());
        assertTrue(o.pid().isEmpty());
    }

    @Test
    void doubleDashStartsTheCommand() throws Exception {
        assertEquals(List.of("-d", "x"), ok("--", "-d", "x").command());
        assertEquals(OptionalInt.of(1234), ok("--", "1234").pid());     // still a lone operand: a PID
    }

    @Test
    void loneIntegerIsPid() throws Exception {
        Options o = ok("-f", "1234");
        assertEquals(OptionalInt.of(1234), o.pid());
        assertEquals(List.of(), o.command());
        assertEquals(OptionalInt.of(0), ok("0").pid());
        assertEquals(OptionalInt.of(Integer.MAX_VALUE), ok("2147483647").pid());
    }

    @Test
    void integerWithMoreOperandsIsACommand() throws Exception {
        Options o = ok("12", "13");
        assertTrue(o.pid().isEmpty());
        assertEquals(List.of("12", "13"), o.command());
        assertEquals(List.of("123abc"), ok("123abc").command());
    }

    @Test
    void noOperandsMeansShell() throws Exception {
        Options o = ok();
        assertTrue(o.pid().isEmpty());
        assertTrue(o.command().isEmpty());
        assertThrows(UnsupportedOperationException.class, () -> o.command().add("x"));
    }

    @Test
    void netnsNameResolvesUnderRunNetns() throws Exception {
        assertEquals("/run/netns/foo", ok("--netns", "foo").netns());
        assertEquals("/proc/1/ns/net", ok("--netns=/proc/1/ns/net").netns());
        assertEquals("./x", ok("--netns", "./x").netns());
        assertEquals("/run/netns/b", ok("--netns", "a", "--netns", "b").netns());
        assertTrue(ok("--netns", "foo").netnsOnly());
        assertFalse(ok("--netns", "foo", "--userns", "/u").netnsOnly());
        assertTrue(ok("--netns-only", "1").netnsOnly());
        assertEquals("/proc/1/ns/user", ok("--userns", "/proc/1/ns/user", "1").userns());
    }

    // ---- every option, accepted forms ------------------------------------------------------------------------

    @Test
    void loggingOptions() throws Exception {
        Options o = ok("-d", "-f", "-e", "-l", "/tmp/log", "--log-size", "50000", "--runas", "1000:1000");
        assertTrue(o.debug());
        assertFalse(o.trace());
        assertTrue(o.foreground());
        assertTrue(o.stderr());
        assertEquals("/tmp/log", o.logFile());
        assertEquals(50000, o.logSize());
        assertEquals("1000:1000", o.runas());
        assertTrue(ok("--trace").debug());
        assertTrue(ok("--trace").trace());
        assertTrue(ok("-d", "--trace").trace());
        assertTrue(ok("-q").quiet());
        assertEquals(Options.LOG_SIZE_DEFAULT, ok().logSize());
        assertEquals(40960, ok("--log-size=40960").logSize());
        assertEquals(0x10000, ok("--log-size=0x10000").logSize());
        assertNull(ok().logFile());
    }

    @Test
    void fileAndFdOptions() throws Exception {
        Options o = ok("-p", "/tmp/p.pcap", "-P", "/tmp/pid", "-F", "5");
        assertEquals("/tmp/p.pcap", o.pcapFile());
        assertEquals("/tmp/pid", o.pidFile());
        assertEquals(5, o.fd());
        assertEquals(-1, ok().fd());
    }

    @Test
    void mtuAcceptsZeroAndEthernetRange() throws Exception {
        assertEquals(OptionalInt.of(0), ok("-m", "0").mtu());
        assertEquals(OptionalInt.of(68), ok("-m68").mtu());
        assertEquals(OptionalInt.of(65521), ok("--mtu", "65521").mtu());
        dies("MTU 65522 too large (max 65521)", "--mtu", "65522");
        assertEquals(OptionalInt.of(256), ok("-m", "0x100").mtu());
        assertEquals(OptionalInt.empty(), ok().mtu());
    }

    @Test
    void addressesOnePerFamily() throws Exception {
        Options o = ok("-a", "198.51.100.5", "-a", "2001:db8::5", "-g", "198.51.100.1", "-g", "fe80::1",
                "-o", "198.51.100.6", "-o", "2001:db8::6", "-n", "24");
        assertEquals(List.of(ip("198.51.100.5"), ip("2001:db8::5")), o.addresses());
        assertEquals(ip("198.51.100.5"), o.address4());
        assertEquals(ip("2001:db8::5"), o.address6());
        assertEquals(List.of(ip("198.51.100.1"), ip("fe80::1")), o.gateways());
        assertEquals(List.of(ip("198.51.100.6"), ip("2001:db8::6")), o.outbound());
        assertEquals(24, o.netmask());
        assertEquals(List.of(ip("2001:db8::5")), ok("-a", "2001:db8::5").addresses());
        assertEquals(List.of(ip("fe80::1")), ok("-a", "fe80::1").addresses());
        assertEquals(List.of(ip("127.0.0.1")), ok("-o", "127.0.0.1").outbound());
        assertEquals(List.of(ip("224.1.1.1")), ok("-g", "224.1.1.1").gateways());
    }

    @ParameterizedTest
    @CsvSource({"24, 24", "0, 0", "32, 32", "255.255.255.0, 24", "255.255.0.0, 16", "255.255.255.254, 31",
        "0.0.0.0, 0", "128.0.0.0, 1"})
    void netmaskAsBitsOrDotted(String arg, int prefix) throws Exception {
        assertEquals(prefix, ok("-n", arg).netmask());
    }

    @Test
    void netmaskLastWins() throws Exception {
        assertEquals(16, ok("-n", "24", "-n", "16").netmask());
        assertEquals(-1, ok().netmask());
    }

    @Test
    void macAddressesAreCopies() throws Exception {
        Options o = ok("-M", "0:1:2:3:4:5", "--ns-mac-addr", "de:AD:be:ef:00:01");
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 5}, o.macAddr());
        assertArrayEquals(new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef, 0, 1}, o.nsMacAddr());
        assertNotSame(o.macAddr(), o.macAddr());
        o.macAddr()[0] = 9;
        assertEquals(0, o.macAddr()[0]);
        assertNull(ok().macAddr());
        assertArrayEquals(new byte[] {0, 0x11, 0x22, 0x33, 0x44, 0x56},
                ok("-M", "00:11:22:33:44:55", "-M", "00:11:22:33:44:56").macAddr());
    }

    @Test
    void interfaceOptions() throws Exception {
        Options o = ok("-i", "eth0", "-I", "tap0", "--outbound-if4", "eth1", "--outbound-if6", "eth2");
        assertEquals("eth0", o.iface());
        assertEquals("tap0", o.nsIfname());
        assertEquals("eth1", o.outboundIf4());
        assertEquals("eth2", o.outboundIf6());
        assertEquals("aaaaaaaaaaaaaaa", ok("-I", "aaaaaaaaaaaaaaa").nsIfname());
    }

    @Test
    void dnsOptions() throws Exception {
        Options o = ok("-D", "198.51.100.53", "-D", "2001:db8::53", "-S", "a.example b.example", "-S", "c",
                "--dns-forward", "198.51.100.1", "--dns-forward", "2001:db8::1", "--dhcp-dns", "--dhcp-search",
                "--dns-host", "198.51.100.2");
        assertEquals(List.of(ip("198.51.100.53"), ip("2001:db8::53")), o.dns());
        assertEquals(List.of("a.example", "b.example", "c"), o.search());
        assertEquals(List.of(ip("198.51.100.1"), ip("2001:db8::1")), o.dnsForward());
        assertTrue(o.dhcpDns());
        assertTrue(o.dhcpSearch());
        assertEquals(ip("198.51.100.2"), o.dnsHost());
        assertTrue(ok("-D", "none").dnsNone());
        assertTrue(ok("-S", "none").searchNone());
        assertEquals(List.of(ip("127.0.0.1"), ip("::"), ip("0.0.0.0")),
                ok("-D", "127.0.0.1", "-D", "::", "-D", "0.0.0.0").dns());
        assertEquals(8, ok("-D", "198.51.100.1", "-D", "198.51.100.2", "-D", "198.51.100.3", "-D",
                "198.51.100.4", "-D", "2001:db8::1", "-D", "2001:db8::2", "-D", "2001:db8::3", "-D",
                "2001:db8::4").dns().size());
    }

    @Test
    void namesAndStats() throws Exception {
        Options o = ok("-H", "box", "--fqdn", "box.example", "--stats", "10");
        assertEquals("box", o.hostname());
        assertEquals("box.example", o.fqdn());
        assertEquals(10, o.stats());
        assertEquals("b", ok("--hostname", "a", "-H", "b").hostname());
        assertEquals(-1, ok().stats());
    }

    @Test
    void everyFlagOption() throws Exception {
        Options o = ok("--no-tcp", "--no-udp", "--no-icmp", "--no-dhcp", "--no-dhcpv6", "--no-ndp", "--no-ra",
                "--no-splice", "--freebind", "--no-map-gw", "--host-lo-to-ns-lo", "--no-netns-quit", "--config-net",
                "--no-copy-routes", "--no-copy-addrs", "--netns-only", "-4", "--no-tcp");
        assertTrue(o.noTcp() && o.noUdp() && o.noIcmp() && o.noDhcp() && o.noDhcpv6() && o.noNdp() && o.noRa());
        assertTrue(o.noSplice() && o.freebind() && o.noMapGw() && o.hostLoToNsLo() && o.noNetnsQuit());
        assertTrue(o.configNet() && o.noCopyRoutes() && o.noCopyAddrs() && o.netnsOnly() && o.ipv4Only());
        assertFalse(o.ipv6Only() || o.spliceOnly());
        Options none = ok();
        assertFalse(none.noTcp() || none.noUdp() || none.noIcmp() || none.noDhcp() || none.noDhcpv6()
                || none.noNdp() || none.noRa() || none.noSplice() || none.freebind() || none.noMapGw()
                || none.hostLoToNsLo() || none.noNetnsQuit() || none.configNet() || none.netnsOnly()
                || none.ipv4Only() || none.ipv6Only() || none.debug() || none.quiet() || none.foreground());
        assertTrue(ok("--ipv6-only", "-6").ipv6Only());
        assertTrue(ok("--splice-only").spliceOnly());
        assertTrue(ok("--no-follow-host").noFollowHost());
        assertFalse(ok("--config-net").noFollowHost());
        assertTrue(ok("-44").ipv4Only());
    }

    @Test
    void mapOptions() throws Exception {
        Options o = ok("--map-host-loopback", "198.51.100.9", "--map-guest-addr", "2001:db8::9");
        assertEquals(List.of(ip("198.51.100.9")), o.mapHostLoopback());
        assertEquals(List.of(ip("2001:db8::9")), o.mapGuestAddr());
        assertFalse(o.noMapGw());
        assertTrue(ok("--map-host-loopback", "none").noMapGw());
        assertTrue(ok("--map-guest-addr", "none").mapGuestAddrNone());
        assertEquals(List.of(), ok("--map-host-loopback", "198.51.100.9", "--map-host-loopback", "none")
                .mapHostLoopback());
    }

    @Test
    void portOptionsAccumulatePerProtocolAndDirection() throws Exception {
        Options o = ok("-t", "22", "--tcp-ports=80:8080", "-t443", "-u", "53", "-T", "none", "-U", "auto");
        assertEquals("22,80:8080,443", o.tcpPorts().toString());
        assertEquals(8080, o.tcpPorts().target(80));
        assertEquals("53", o.udpPorts().toString());
        assertEquals(PortRules.Mode.NONE, o.tcpNs().mode());
        assertTrue(o.udpNs().isAuto());
        Options d = ok();
        assertTrue(d.tcpPorts().isUnset() && d.udpPorts().isUnset() && d.tcpNs().isUnset() && d.udpNs().isUnset());
        assertEquals("203.0.113.1", ok("-t", "203.0.113.1%eth0/22").tcpPorts().bindAddress().getHostAddress());
        assertEquals(65535 - 11, ok("-t", "~20000-20010").tcpPorts().count());
    }

    @Test
    void repeatedFlagsThatPastaToleratesAreAccepted() throws Exception {
        assertTrue(ok("-4", "-4").ipv4Only());
        assertTrue(ok("--config-net", "--config-net").configNet());
        assertTrue(ok("--netns-only", "--netns-only").netnsOnly());
        assertTrue(ok("--dhcp-dns", "--dhcp-dns").dhcpDns());
    }

    // ---- bad command lines: pasta's messages, status 1 -------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "-m 70000|MTU 70000 too large (max 65521)",
        "-m 67|Invalid MTU: 67",
        "-m -1|MTU 18446744073709551615 too large (max 65521)",
        "-m abc|Invalid MTU: abc",
        "-m 1500x|Invalid MTU: 1500x",
        "-m 65536|MTU 65536 too large (max 65521)",
        "-a abc|Invalid guest address: abc",
        "-a 198.51.100.1/33|Invalid prefix length: 198.51.100.1/33",
        "-a 198.51.100.1/24 -n 24|Redundant prefix length specification",
        "-a 255.255.255.255|Invalid guest address: 255.255.255.255",
        "-a 0.0.0.0|Invalid guest address: 0.0.0.0",
        "-a 127.0.0.1|Invalid guest address: 127.0.0.1",
        "-a 224.0.0.1|Invalid guest address: 224.0.0.1",
        "-a ::1|Invalid guest address: ::1",
        "-a ::|Invalid guest address: ::",
        "-n 33|Invalid prefix length: 33",
        "-n 255.0.255.0|Invalid prefix length: 255.0.255.0",
        "-n 255.255.255.255|Invalid prefix length: 255.255.255.255",
        "-n abc|Invalid prefix length: abc",
        "-M zz|Invalid MAC address: zz",
        "-M 00:11:22:33:44|Invalid MAC address: 00:11:22:33:44",
        "-M 00:11:22:33:44:55:66|Invalid MAC address: 00:11:22:33:44:55:66",
        "-M 00-11-22-33-44-55|Invalid MAC address: 00-11-22-33-44-55",
        "-M 000:11:22:33:44:55|Invalid MAC address: 000:11:22:33:44:55",
        "--ns-mac-addr zz|Invalid MAC address: zz",
        "-g abc|Invalid gateway address: abc",
        "-g 127.0.0.1|Invalid gateway address: 127.0.0.1",
        "-g 0.0.0.0|Invalid gateway address: 0.0.0.0",
        "-g ::|Invalid gateway address: ::",
        "-o abc|Invalid or redundant outbound address: abc",
        "-o 0.0.0.0|Invalid or redundant outbound address: 0.0.0.0",
        "-o ::|Invalid or redundant outbound address: ::",
        "-o 224.0.0.1|Invalid or redundant outbound address: 224.0.0.1",
        "-D abc|Cannot use DNS address abc",
        "--dns-forward abc|Invalid DNS forwarding address: abc",
        "--dns-forward 0.0.0.0|Invalid DNS forwarding address: 0.0.0.0",
        "--dns-forward 127.0.0.1|Invalid DNS forwarding address: 127.0.0.1",
        "--dns-host abc|Invalid host nameserver address: abc",
        "-F 5 -F 6|Multiple --fd options given",
        "-F -1|Invalid --fd: -1",
        "-F abc|Invalid --fd: abc",
        "-i aaaaaaaaaaaaaaaa|Invalid interface name aaaaaaaaaaaaaaaa: No such device",
        "-I aaaaaaaaaaaaaaaaaaaaaaaaa|Invalid interface name: aaaaaaaaaaaaaaaaaaaaaaaaa",
        "--outbound-if4 aaaaaaaaaaaaaaaaaa|Invalid interface name: aaaaaaaaaaaaaaaaaa",
        "--log-size 1|Invalid --log-size: 1",
        "--log-size abc|Invalid --log-size: abc",
        "--log-size 0|Invalid --log-size: 0",
        "--log-size 40959|Invalid --log-size: 40959",
        "--one-off|--one-off is for passt mode only",
        "--no-dhcp-dns|--no-dhcp-dns is for passt mode only",
        "--no-dhcp-search|--no-dhcp-search is for passt mode only",
        "--netns /x --userns /y --netns-only|Both --userns and --netns-only given",
        "--netns-only --userns /y|Both --userns and --netns-only given",
        "--netns /x 1234|Both --netns and PID or command given",
        "--netns /x true|Both --netns and PID or command given",
        "--netns /x 0|Both --netns and PID or command given",
        "--netns-only 4000000000|Invalid PID 4000000000",
        "--no-splice --splice-only|--splice-only is incompatible with --no-splice",
        "--splice-only --no-splice|--splice-only is incompatible with --no-splice",
        "--socket /tmp/s|-s is for passt / vhost-user mode only",
        "--socket-path /tmp/s|-s is for passt / vhost-user mode only",
        "--repair-path /tmp/r|--repair-path is for vhost-user mode only",
        "--migrate-exit|--migrate-exit is for vhost-user mode only",
        "--migrate-no-linger|--migrate-no-linger is for vhost-user mode only",
        "--map-host-loopback 127.0.0.1|Invalid address to remap to host: 127.0.0.1",
        "--map-guest-addr abc|Invalid address to remap to host: abc",
        "--stats x|Invalid --stats delay: x",
        "-t 65536|Invalid port specifier '65536'",
        "-t 22-20|Invalid port specifier '22-20'",
        "-t 22,22|Overlapping port specifier 22,22",
        "-u 22 -u none|-u none conflicts with previous options",
        "-t all|'all' port forwarding is only allowed for passt",
        "-t 22-80:32-89|Invalid port specifier '22-80:32-89'",
    })
    void badCommandLineDiesWithPastaMessage(String line, String message) {
        dies(message, line.split(" "));
    }

    @Test
    void overlappingPortRulesDieWithTheForwardingTablesConflictText() {
        dies("Forwarding configuration conflict: UDP [*]:22  =>  22  versus UDP [*]:22  =>  22 ", "-u", "22", "-u", "22");
        dies("Forwarding configuration conflict: TCP [*]%lo:20-30  =>  20-30  versus TCP [*]%lo:22  =>  22 ",
                "-T", "22", "-T", "20-30");
    }

    @Test
    void repeatedValueOptionsKeepTheLastAsPasta2026Does() throws Exception {
        assertEquals("198.51.100.2", ok("-a", "198.51.100.1", "-a", "198.51.100.2").address4().getHostAddress());
        assertEquals("lo2", ok("-i", "lo1", "-i", "lo2").iface());
        assertEquals("b", ok("--outbound-if4", "a", "--outbound-if4", "b").outboundIf4());
        assertEquals(24, ok("-a", "198.51.100.1/24").netmask());
        assertTrue(ok("-t", "none", "-t", "22").tcpPorts().isForwarded(22));
        assertTrue(ok("-U", "none", "-U", "none").udpNs().mode() == io.jpasta.tap.fwd.PortRules.Mode.NONE);
    }

    @Test
    void emptyValuesAreRejected() {
        dies("Invalid pcap path: ", "-p", "");
        dies("Invalid PID file: ", "-P", "");
        dies("Invalid userns: ", "--userns", "");
        dies("Invalid interface name: ", "-I", "");
        dies("Invalid interface name : No such device", "-i", "");
        dies("Cannot use DNS address ", "-D", "");
        dies("Cannot use DNS search domain ", "-S", "");
        dies("Invalid port specifier ''", "-t", "");
        dies("Invalid netns: ", "--netns", "");
    }

    @Test
    void fifthDnsAddressOfAFamilyIsRefused() {
        dies("Cannot use DNS address 198.51.100.5", "-D", "198.51.100.1", "-D", "198.51.100.2", "-D",
                "198.51.100.3", "-D", "198.51.100.4", "-D", "198.51.100.5");
    }

    @Test
    void otherOptionsAreCheckedBeforePortSpecs() {
        dies("MTU 70000 too large (max 65521)", "-t", "99999", "-m", "70000");
        dies("Invalid port specifier '99999'", "-t", "99999", "-u", "x");
        dies("Invalid port specifier 'x'", "-u", "x", "-t", "99999");
    }

    @Test
    void portSpecsAreCheckedBeforeOperands() {
        dies("Invalid port specifier 'x'", "--netns", "/x", "-t", "x", "cmd");
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"0, 0", "10, 10", "0x10, 16", "010, 8", " 5, 5", "+5, 5", "-5, -5", "0X1f, 31"})
    void strtolReadsCBases(String s, long v) {
        assertEquals(v, OptionValues.strtol(s, 0));
    }

    @ParameterizedTest
    @CsvSource({"''", "abc", "5x", "0x", "08", "99999999999999999999", "' '", "+", "'5 '", "٣"})
    void strtolRefusesPartialNumbers(String s) {
        assertEquals(OptionValues.INVALID, OptionValues.strtol(s, 0));
    }

    @Test
    void repeatedAndOpposedOptionsTakeTheLastAsPasta2026Does() throws ExitRequest {
        Options o = ok("-m", "1500", "-m", "9000", "-p", "/tmp/a", "-p", "/tmp/b", "-I", "a", "-I", "b", "-4", "-6",
                "-d", "-q", "-D", "198.51.100.1", "-D", "none", "-S", "none", "-S", "x.org");
        assertEquals(java.util.OptionalInt.of(9000), o.mtu());
        assertEquals("/tmp/b", o.pcapFile());
        assertEquals("b", o.nsIfname());
        assertTrue(o.ipv6Only() && !o.ipv4Only(), "-4 -6: IPv6 only");
        assertTrue(o.quiet() && !o.debug(), "-d -q: quiet");
        assertTrue(ok("-q", "--trace").trace());
        assertEquals(List.of(), o.dns());
        assertEquals(List.of("x.org"), o.search());
        assertEquals(Long.MAX_VALUE, ok("--log-size", "-5").logSize(), "strtoul wraps a negative size");
    }

    @Test
    void deprecatedOptionsWarnAndNeedConfigNetAsPasta2026() throws ExitRequest {
        ExitRequest e = assertThrows(ExitRequest.class, () -> Options.parse(new String[] {"--no-copy-routes"}));
        assertEquals(1, e.status());
        assertEquals("--no-copy-routes will be dropped soon\n--no-copy-routes needs --config-net\n", e.text());
        assertTrue(ok("--config-net", "--no-copy-addrs").noCopyAddrs());
    }
}
