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
    // SCAFFOLD (splice branch): -t/-T specs "PORT", "A-B", "A-B:C-D", "auto", comma-separated; CLI branch replaces
    List<Listeners.Forward> tcpToNs = new ArrayList<>(), tcpFromNs = new ArrayList<>();
    boolean tcpToNsAuto, tcpFromNsAuto;

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
                case "-t", "--tcp-ports" -> o.tcpToNsAuto |= scaffoldPorts("-t", argv[++i], o.tcpToNs);
                case "-T", "--tcp-ns" -> o.tcpFromNsAuto |= scaffoldPorts("-T", argv[++i], o.tcpFromNs);
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

    /** SCAFFOLD: @return true for "auto"; else adds the forwards of {@code spec} to {@code out} */
    private static boolean scaffoldPorts(String opt, String spec, List<Listeners.Forward> out) throws ExitRequest {
        if (spec.equals("auto")) {
            return true;
        }
        if (spec.equals("none")) {
            return false;
        }
        try {
            for (String part : spec.split(",")) {
                String[] mapping = part.split(":");
                int[] from = range(mapping[0]);
                int[] to = mapping.length > 1 ? range(mapping[1]) : from;
                for (int p = from[0]; p <= from[1]; p++) {
                    out.add(new Listeners.Forward(null, null, p, to[0] + p - from[0], true, opt + " " + spec));
                }
            }
        } catch (RuntimeException e) {
            throw new ExitRequest(1, "Invalid port specifier " + spec + "\n", false);
        }
        return false;
    }

    private static int[] range(String r) {
        String[] ab = r.split("-");
        int a = Integer.parseInt(ab[0]);
        return new int[] {a, ab.length > 1 ? Integer.parseInt(ab[1]) : a};
    }

    public Listeners.Ports tcpToNs() { return new Listeners.Ports(tcpToNs, tcpToNsAuto); }
    public Listeners.Ports tcpFromNs() { return new Listeners.Ports(tcpFromNs, tcpFromNsAuto); }

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
}
