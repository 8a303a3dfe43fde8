package io.jpasta.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/** SCAFFOLD until the CLI branch lands. */
public final class Options {
    boolean configNet, foreground, quiet, debug, trace, netnsOnly, noNetnsQuit;
    String pidFile, pcapFile, logFile, netns, userns, nsIfname, iface, hostname;
    long logSize = -1;
    OptionalInt pid = OptionalInt.empty();
    int mtu = -1;
    List<String> command = new ArrayList<>();

    public static Options parse(String[] argv) throws ExitRequest {
        Options o = new Options();
        int i = 0;
        for (; i < argv.length; i++) {
            String a = argv[i];
            switch (a) {
                case "--config-net" -> o.configNet = true;
                case "-f", "--foreground" -> o.foreground = true;
                case "-q", "--quiet" -> o.quiet = true;
                case "-d", "--debug" -> o.debug = true;
                case "--trace" -> o.trace = true;
                case "-P", "--pid" -> o.pidFile = argv[++i];
                case "-p", "--pcap" -> o.pcapFile = argv[++i];
                case "-I", "--ns-ifname" -> o.nsIfname = argv[++i];
                case "--netns" -> o.netns = argv[++i];
                case "--version" -> throw new ExitRequest(0, "pasta 0.1.0 (jpasta)\n", true);
                case "--" -> {
                    i++;
                    o.command.addAll(List.of(argv).subList(i, argv.length));
                    return o;
                }
                default -> {
                    if (a.startsWith("-")) {
                        throw new ExitRequest(1, "pasta: unrecognized option '" + a + "'\n", false);
                    }
                    if (argv.length - i == 1 && a.chars().allMatch(Character::isDigit)) {
                        o.pid = OptionalInt.of(Integer.parseInt(a));
                        return o;
                    }
                    o.command.addAll(List.of(argv).subList(i, argv.length));
                    return o;
                }
            }
        }
        return o;
    }

    public boolean configNet() { return configNet; }
    public boolean foreground() { return foreground; }
    public boolean quiet() { return quiet; }
    public boolean debug() { return debug; }
    public boolean trace() { return trace; }
    public boolean netnsOnly() { return netnsOnly; }
    public boolean noNetnsQuit() { return noNetnsQuit; }
    public String pidFile() { return pidFile; }
    public String pcapFile() { return pcapFile; }
    public String logFile() { return logFile; }
    public long logSize() { return logSize; }
    public String netns() { return netns; }
    public String userns() { return userns; }
    public String nsIfname() { return nsIfname; }
    public String iface() { return iface; }
    public String hostname() { return hostname; }
    public OptionalInt pid() { return pid; }
    public int mtu() { return mtu; }
    public List<String> command() { return command; }
    public boolean ipv4Only() { return false; }
    public boolean ipv6Only() { return false; }
    public long nsMacAddr() { return io.jpasta.netns.IfConfig.KEEP_MAC; }
    public long macAddr() { return io.jpasta.tap.wire.MacAddr.PASTA_DEFAULT; }
    public java.net.Inet4Address addr4() { return null; }
    public int prefixLen4() { return -1; }
    public java.net.Inet4Address gateway4() { return null; }
    public java.net.Inet6Address addr6() { return null; }
    public java.net.Inet6Address gateway6() { return null; }
    public List<java.net.InetAddress> dns() { return null; }
    public List<String> search() { return null; }
    public boolean dhcpDns() { return false; }
    public boolean dhcpSearch() { return false; }
    public String fqdn() { return null; }
    public boolean noDhcp() { return false; }
    public boolean noDhcpv6() { return false; }
    public boolean noNdp() { return false; }
    public boolean noRa() { return false; }
    public boolean noIcmp() { return false; }
}
